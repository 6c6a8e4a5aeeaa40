"""Callers who ring again, and lines that are busy.

``Redials`` (the scenario's ``redials``): a caller who hung up before being
answered (``abandoned``) or got a busy signal (``blocked``, the desk's
``lines`` were all taken) contacts the desk again with ``probability``,
after ``delay``, at most ``attempts`` times in all for one original
contact.  A share of them (``channel``) switches channel — the call becomes
an e-mail or a portal ticket — and the rest ring again.  Each redial is a
contact of its own in the log (``contact: redial``, with the contact it
repeats), so fresh and repeat volume can be told apart.

A desk's ``lines`` (on the desk group) is the number of phone calls it holds
at once, waiting or being answered; a call that finds every line busy is
blocked (a busy signal): it is logged with outcome ``blocked``, counts as a
call not answered in answer-time targets, and may redial.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simsla.model.demand import CHANNELS
from simsla.model.distributions import Distribution
from simsla.model.units import Number, Probability

_STRICT = ConfigDict(extra="forbid", frozen=True)
#: the most attempts one contact makes (its redials)
MAX_ATTEMPTS = 20


class Redials(BaseModel):
    """Callers who hung up or got a busy signal and contact the desk again (see the module docstring)."""

    model_config = _STRICT

    probability: Probability = Field(description="share of callers who try again after each failed attempt")
    delay: Distribution = Field(description="time from hanging up (or the busy signal) to the next attempt")
    attempts: int = Field(3, ge=1, le=MAX_ATTEMPTS, strict=True,
                          description="most redials after one original contact")
    after: tuple[Literal["abandoned", "blocked"], ...] = Field(
        ("abandoned", "blocked"), min_length=1, description="which failed attempts lead to a redial")
    channel: dict[str, Number] | None = Field(
        None, description="share of redials through another channel, e.g. {email: 0.2}; the rest ring again")

    @field_validator("channel")
    @classmethod
    def _channels(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        for name, share in value.items():
            if name not in CHANNELS:
                raise ValueError(f"unknown channel {name!r}; a redial may switch to one of {list(CHANNELS)}")
            if not 0 <= share <= 1:
                raise ValueError(f"the share of redials through {name!r} lies between 0 and 1, got {share!r}")
        if sum(value.values()) > 1 + 1e-9:
            raise ValueError(f"the shares of redials through other channels sum to {sum(value.values()):g}, "
                             "more than 1; the rest (1 - their sum) ring again")
        return value

    def switch_shares(self) -> dict[str, float]:
        """Channel -> share of redials through it (phone: the rest)."""
        out = {k: float(v) for k, v in (self.channel or {}).items() if k != "phone" and v > 0}
        out["phone"] = max(0.0, 1.0 - sum(out.values()))
        return out
