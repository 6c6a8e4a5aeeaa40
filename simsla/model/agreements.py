"""Agreements: SLAs towards customers, OLAs binding groups, UCs binding suppliers.

A target is a metric, a scope (``when``), a threshold, a fraction and the
agreement's reporting period: "90 % of P1 incidents resolved within 5
business hours, per month".  How each metric is measured:

``answer_time``
    phone calls: from arrival to answer (abandoned calls count as misses by
    default; ``abandoned: exclude`` leaves them out; ``abandoned_grace: 5s``
    leaves out only callers who hung up within 5 s).
``first_response``
    from arrival to the desk's first work on the ticket (SLA); for an OLA or
    UC, from the hand-over to the party until it starts work (its response).
``resolution``
    from arrival to resolution (SLA); for an OLA or UC, from the hand-over to
    the party until the party is done with it (resolved or passed on), each
    visit counted separately.
``availability``
    share of the agreement's support hours in the period that the services in
    scope were all up (planned maintenance excluded); no threshold.

Clocks run only in the target's calendar (default: the agreement's; default
24/7).  An SLA clock pauses while the ticket waits on the customer and, with
``pause_on_supplier``, while a supplier holds it.  An OLA clock runs only
while its group holds the ticket, a UC clock only while its supplier does.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simsla.model.chain import When
from simsla.model.distributions import MAX_MEAN
from simsla.model.units import Duration, Number, format_duration

Metric = Literal["answer_time", "first_response", "resolution", "availability"]
Period = Literal["week", "month", "quarter", "year"]

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Target(BaseModel):
    """One promise: ``fraction`` of the tickets in scope within ``threshold``, per period."""

    model_config = _STRICT

    name: str = Field(min_length=1)
    metric: Metric
    when: When = Field(When(), description="scope: service, customer, type, channel, priority")
    threshold: Duration | None = Field(None, description="e.g. 20s, 5h (business time in the calendar)")
    fraction: Number = Field(gt=0, le=1, description="share that must meet the threshold, e.g. 0.9")
    calendar: str | None = Field(None, description="clock calendar for this target (default: the agreement's)")
    abandoned: Literal["miss", "exclude"] = Field("miss", description="answer_time: how abandoned calls count")
    callbacks: Literal["at_callback", "at_acceptance", "exclude"] = Field(
        "at_callback", description="answer_time: a call called back counts as answered when the callback connects "
                                   "(a failed callback is a miss), when the caller accepted it, or is left out")
    abandoned_grace: Duration | None = Field(
        None, description="answer_time: calls abandoned within this time are left out (the rest count as misses)"
    )
    warning_margin: Number = Field(0.02, ge=0, lt=1, description="amber when attainment is within this of the fraction")

    @field_validator("threshold", "abandoned_grace")
    @classmethod
    def _at_most_ten_years(cls, value: float | None) -> float | None:
        if value is not None and value > MAX_MEAN:
            raise ValueError(f"{format_duration(value)} is longer than 3650d (10 years), the longest threshold a "
                             "target may have (no period is that long)")
        return value

    @model_validator(mode="after")
    def _metric_fields(self) -> "Target":
        if self.metric == "availability":
            if self.threshold is not None:
                raise ValueError("an availability target has no threshold: give only its fraction (e.g. 0.998)")
        elif self.threshold is None:
            raise ValueError(f"a {self.metric} target needs a threshold (e.g. 20s, 4h)")
        if self.metric != "answer_time" and (self.abandoned != "miss" or self.abandoned_grace is not None):
            raise ValueError("abandoned / abandoned_grace apply to answer_time targets only")
        if self.metric == "answer_time" and self.when.values("channel") not in (None, ("phone",)):
            raise ValueError("answer_time is measured on phone calls: scope it with channel: phone (or leave channel out)")
        return self


class Agreement(BaseModel):
    """An SLA, OLA or UC with its support calendar, period and targets."""

    model_config = _STRICT

    name: str = Field(min_length=1)
    kind: Literal["SLA", "OLA", "UC"]
    customer: str | None = Field(None, description="SLA: the customer it is signed with (limits every target's scope)")
    party: str | None = Field(None, description="OLA: the group it binds; UC: the supplier it binds")
    calendar: str | None = Field(None, description="support hours: when the clocks run (default 24/7)")
    period: Period = "month"
    pause_on_supplier: bool = Field(False, description="SLA: the clock stops while a supplier holds the ticket")
    targets: tuple[Target, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _kind_fields(self) -> "Agreement":
        if self.kind == "SLA" and self.party is not None:
            raise ValueError("an SLA is signed with a customer, not a party: use `customer` (or leave it out)")
        if self.kind != "SLA" and self.party is None:
            raise ValueError(f"an {self.kind} binds a {'group' if self.kind == 'OLA' else 'supplier'}: give `party`")
        if self.kind != "SLA" and (self.customer is not None or self.pause_on_supplier):
            raise ValueError(f"customer and pause_on_supplier apply to SLAs only, not to an {self.kind}")
        for t in self.targets:
            if self.kind != "SLA" and t.metric in ("answer_time", "availability"):
                raise ValueError(f"target {t.name!r}: an {self.kind} measures first_response or resolution, not {t.metric}")
        names = [t.name for t in self.targets]
        if len(set(names)) != len(names):
            raise ValueError("target names must be unique within an agreement")
        return self
