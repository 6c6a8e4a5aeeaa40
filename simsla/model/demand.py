"""Services, customers, the priority matrix and demand streams."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simsla.model.calendar import WeeklyWindow, parse_days
from simsla.model.distributions import Distribution
from simsla.model.units import Rate, Weight
from simsla.model.volume import BusyDays, VolumeCalendar

Channel = Literal["phone", "email", "portal"]
TicketType = Literal["incident", "request", "order"]
CHANNELS: tuple[str, ...] = ("phone", "email", "portal")
TICKET_TYPES: tuple[str, ...] = ("incident", "request", "order")

_STRICT = ConfigDict(extra="forbid", frozen=True)


class PriorityMatrix(BaseModel):
    """Impact x urgency -> priority label, as defined in the SLA.

    ``priorities`` lists the labels from most to least urgent; that order is
    the queue order wherever a group serves by priority.
    """

    model_config = _STRICT

    impacts: tuple[str, ...] = ("high", "medium", "low")
    urgencies: tuple[str, ...] = ("high", "medium", "low")
    priorities: tuple[str, ...] = ("P1", "P2", "P3", "P4", "P5")
    matrix: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: {
            "high": ("P1", "P2", "P3"),
            "medium": ("P2", "P3", "P4"),
            "low": ("P3", "P4", "P5"),
        },
        description="one row per impact: the priority for each urgency, in the order of `urgencies`",
    )

    @model_validator(mode="after")
    def _complete(self) -> "PriorityMatrix":
        for name, labels in (("impacts", self.impacts), ("urgencies", self.urgencies), ("priorities", self.priorities)):
            if len(set(labels)) != len(labels) or not labels:
                raise ValueError(f"{name} must be a non-empty list of distinct labels")
        if set(self.matrix) != set(self.impacts):
            raise ValueError(f"matrix needs exactly one row per impact {list(self.impacts)}, got rows {list(self.matrix)}")
        for impact, row in self.matrix.items():
            if len(row) != len(self.urgencies):
                raise ValueError(f"matrix row {impact!r} needs {len(self.urgencies)} priorities (one per urgency)")
            for label in row:
                if label not in self.priorities:
                    raise ValueError(f"matrix row {impact!r} names {label!r}, which is not in priorities {list(self.priorities)}")
        return self

    def priority(self, impact: str, urgency: str) -> str:
        """The priority label for an impact and urgency."""
        return self.matrix[impact][self.urgencies.index(urgency)]


class Failures(BaseModel):
    """How a service fails: an alternating up/down process.

    Each outage raises one major incident (the highest impact and urgency,
    arriving by phone at the outage's start, routed like any ticket) and,
    while it lasts, ``surge`` extra phone incidents from users (lowest impact,
    highest urgency) — only while the desk is staffed, since nobody calls a
    closed line; the callers are the service's customers.  The restore time is drawn here; it does not wait for
    the major incident's ticket.
    """

    model_config = _STRICT

    time_between: Distribution = Field(description="up time from a restore to the next failure")
    time_to_restore: Distribution = Field(description="down time of an outage")
    surge: Rate | None = Field(None, description="extra user calls while the service is down, e.g. 30/h")
    major_incident: bool = Field(True, description="raise a major incident ticket at each outage")


class MaintenanceWindow(WeeklyWindow):
    """A planned weekly maintenance window: excluded from availability."""


class Service(BaseModel):
    """A service in the catalogue; tickets are registered against it."""

    model_config = _STRICT

    name: str = Field(min_length=1)
    description: str = ""
    customers: tuple[str, ...] | None = Field(None, min_length=1, description="customers using it (default: all)")
    failures: Failures | None = Field(None, description="unplanned outages (for availability targets)")
    maintenance: tuple[MaintenanceWindow, ...] = Field((), description="planned weekly maintenance windows")


#: slots per hour a finer profile may have: k divides 60, so every slot is a whole number of minutes
SLOTS_PER_HOUR = tuple(k for k in range(1, 61) if 60 % k == 0)


def slots_per_hour(length: int, hours: int) -> int | None:
    """How many slots per hour ``length`` weights over ``hours`` hours give (``None`` if not a valid profile)."""
    k, rest = divmod(length, hours)
    return k if rest == 0 and k in SLOTS_PER_HOUR else None


def _finer(hours: int) -> str:
    return ", ".join(f"{hours * k} for {60 // k}-minute slots" for k in (2, 4, 12))


class ProfileInterval(WeeklyWindow):
    """A block of the week with a relative arrival weight."""

    weight: Weight = Field(ge=0)


class Profile(BaseModel):
    """How a stream's volume spreads over the hours of the week (local time).

    Written in one of three ways:

    * ``days`` (weight per day spec) and ``hours`` (24 weights, hour 0 to 23);
    * ``hour_of_week``: 168 weights starting Monday 00:00;
    * ``intervals``: blocks of the week with a weight each (uncovered time has 0).

    ``hours`` and ``hour_of_week`` may be finer than an hour: 24·k (168·k)
    weights give slots of 60/k minutes (48: half hours, 96: quarter hours),
    for any k that divides 60 (the interval of an ACD export).
    """

    model_config = _STRICT

    days: dict[str, Weight] | None = None
    hours: tuple[Weight, ...] | None = None
    hour_of_week: tuple[Weight, ...] | None = None
    intervals: tuple[ProfileInterval, ...] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> "Profile":
        forms = [self.hour_of_week is not None, self.intervals is not None, self.days is not None or self.hours is not None]
        if sum(forms) != 1:
            raise ValueError("write a profile with either days+hours, hour_of_week or intervals (exactly one)")
        if self.hours is not None and slots_per_hour(len(self.hours), 24) is None:
            raise ValueError(f"hours needs 24 weights (hour 0 to 23), or 24 per hour's slots for a finer profile "
                             f"({_finer(24)}), got {len(self.hours)}")
        if self.hour_of_week is not None and slots_per_hour(len(self.hour_of_week), 168) is None:
            raise ValueError(f"hour_of_week needs 168 weights, or 168 per hour's slots for a finer profile "
                             f"({_finer(168)}), got {len(self.hour_of_week)}")
        for days in self.days or {}:
            parse_days(days)
        weights = [*(self.hours or ()), *(self.hour_of_week or ()), *(self.days or {}).values()]
        if any(w < 0 for w in weights):
            raise ValueError("profile weights must not be negative")
        if self.intervals is not None:
            positive = any(i.weight > 0 for i in self.intervals)
        elif self.hour_of_week is not None:
            positive = sum(self.hour_of_week) > 0
        else:
            positive = (self.days is None or sum(self.days.values()) > 0) and (self.hours is None or sum(self.hours) > 0)
        if not positive:
            raise ValueError("this profile has no positive weight: nothing would ever arrive; give some hours a weight above 0")
        return self


class DemandStream(BaseModel):
    """Contacts of one type through one channel, spread over services and customers.

    ``volume`` is the stream's rate averaged over the whole week, nights and
    weekends included (``300/day`` means 2100 a week); the profile decides
    when in the week they come.  With ``holidays: CALENDAR`` the public
    holidays of that calendar get the profile's Sunday (users do not call
    about work on Good Friday).
    """

    model_config = _STRICT

    name: str = Field(min_length=1)
    channel: Channel
    type: TicketType = "incident"
    volume: Rate = Field(description="average rate over the week, e.g. 2000/week or 300/day")
    profile: str | Profile | None = Field(None, description="a name from `profiles`, an inline profile, or flat (default)")
    services: dict[str, Weight] | None = Field(None, description="service -> weight (default: all services equally)")
    customers: dict[str, Weight] | None = Field(None, description="customer -> weight (default: all equally)")
    impact: dict[str, Weight] | None = Field(None, description="impact level -> weight")
    urgency: dict[str, Weight] | None = Field(None, description="urgency level -> weight")
    priority: dict[str, Weight] | None = Field(
        None, description="priority -> weight, instead of impact/urgency (each priority's matrix cells share its weight)")
    patience: Distribution | None = Field(None, description="phone only: how long callers wait before hanging up")
    holidays: str | None = Field(None, description="a calendar whose holidays get this stream's Sunday profile")
    busy_days: str | BusyDays | None = Field(
        None, description="a random factor on the rate per day: a name from `busy_days` (shared by every stream "
                          "naming it) or inline (this stream's own); none: Poisson")
    volume_calendar: str | VolumeCalendar | None = Field(
        None, description="months or weeks of the year, a trend and special days: a name from `volume_calendars` "
                          "or inline; none: every week alike")

    @model_validator(mode="after")
    def _weights(self) -> "DemandStream":
        if self.priority is not None and (self.impact is not None or self.urgency is not None):
            raise ValueError("give either a priority mix or impact/urgency weights, not both")
        for field in ("services", "customers", "impact", "urgency", "priority"):
            weights = getattr(self, field)
            if weights is not None:
                if not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
                    raise ValueError(f"{field} weights must be non-negative with a positive sum")
        if self.patience is not None and self.channel != "phone":
            raise ValueError(f"patience applies to phone calls only; stream {self.name!r} is {self.channel}")
        return self

    def cells(self, matrix: "PriorityMatrix") -> np.ndarray:
        """Joint probability of each (impact, urgency) cell of the matrix for this stream's contacts.

        Impact and urgency weights combine independently; a priority mix
        spreads each priority's weight evenly over the cells that map to it.
        """
        if self.priority is not None:
            out = np.zeros((len(matrix.impacts), len(matrix.urgencies)))
            for label, weight in self.priority.items():
                hit = np.array([[matrix.priority(i, u) == label for u in matrix.urgencies] for i in matrix.impacts])
                out[hit] += weight / hit.sum()
            return out / out.sum()

        def share(levels: tuple[str, ...], weights: dict[str, float] | None) -> np.ndarray:
            w = np.ones(len(levels)) if weights is None else np.array([weights.get(v, 0.0) for v in levels], dtype=float)
            return w / w.sum()

        return np.outer(share(matrix.impacts, self.impact), share(matrix.urgencies, self.urgency))
