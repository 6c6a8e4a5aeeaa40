"""Filters on ticket attributes: which tickets a rule, a route or a target applies to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

_STRICT = ConfigDict(extra="forbid", frozen=True)


def _as_tuple(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


class When(BaseModel):
    """A filter on ticket attributes; every field given must match."""

    model_config = _STRICT

    service: str | tuple[str, ...] | None = None
    customer: str | tuple[str, ...] | None = None
    type: str | tuple[str, ...] | None = None
    channel: str | tuple[str, ...] | None = None
    priority: str | tuple[str, ...] | None = None

    @field_validator("service", "customer", "type", "channel", "priority")
    @classmethod
    def _not_empty(cls, value: str | tuple[str, ...] | None, info: ValidationInfo) -> str | tuple[str, ...] | None:
        # an empty list matches no ticket: the rule or target would silently never apply
        if isinstance(value, tuple) and not value:
            raise ValueError(f"an empty list matches no ticket, so this would never apply; list the {info.field_name} "
                             f"values to match, or leave `{info.field_name}` out to match any")
        return value

    def values(self, attribute: str) -> tuple[str, ...] | None:
        """Accepted values of an attribute, or None for any."""
        return _as_tuple(getattr(self, attribute))


ATTRIBUTES: tuple[str, ...] = ("service", "customer", "type", "channel", "priority")
