"""The support chain: groups (desk and resolvers), suppliers, routing."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationInfo, field_validator, model_validator

from simsla.model.calendar import MAX_STAFF, Shift
from simsla.model.distributions import Distribution
from simsla.model.filters import ATTRIBUTES, When  # noqa: F401  (part of this module's interface)
from simsla.model.callers import Callback
from simsla.model.skills import AgentTeam, SkillPolicy, SkillRule
from simsla.model.units import Number, Probability

_STRICT = ConfigDict(extra="forbid", frozen=True)

#: the routing destination that ends a ticket's journey.
RESOLVED = "resolved"
#: the highest cost of one agent-hour (any currency): keeps staffing costs far from overflow
MAX_COST = 1e6
WEEK = 7 * 86400.0


def peak_staff(shifts: tuple[Shift, ...]) -> int:
    """The most people on duty at one instant of the week (overlapping blocks add up; nights wrap into Monday)."""
    changes: list[tuple[float, int]] = []
    for shift in shifts:
        for day, start, end in shift.windows():
            a, b = day * 86400.0 + start, day * 86400.0 + end
            pieces = [(a, b)] if b <= WEEK else [(a, WEEK), (0.0, b - WEEK)]  # Sunday night runs into Monday
            for lo, hi in pieces:
                changes += [(lo, shift.staff), (hi, -shift.staff)]
    peak = level = 0
    for _, delta in sorted(changes, key=lambda c: (c[0], c[1])):  # ends before starts at the same instant
        level += delta
        peak = max(peak, level)
    return peak


class TimeRule(BaseModel):
    """A work-time distribution for the tickets that match ``when``.

    With ``resolves: true`` the rule applies only to visits that end with the
    group resolving the ticket, with ``false`` only to visits that pass it on
    (fitted logs show quick hand-offs and long resolving visits).  The engine
    then decides where the ticket goes next when the work starts, rather than
    when it ends; the probabilities are the same.
    """

    model_config = _STRICT

    when: When = When()
    resolves: bool | None = Field(None, description="only visits that resolve (true) or pass the ticket on (false)")
    time: Distribution


class HandlingTimes(BaseModel):
    """Work time per ticket: a default and rules, the first matching rule wins."""

    model_config = _STRICT

    default: Distribution
    by: tuple[TimeRule, ...] = ()


class ProbabilityRule(BaseModel):
    """A probability for the tickets that match ``when``."""

    model_config = _STRICT

    when: When
    probability: Probability


class Probabilities(BaseModel):
    """A probability per ticket: a default and rules, the first matching rule wins."""

    model_config = _STRICT

    default: Probability
    by: tuple[ProbabilityRule, ...] = ()


def _rules_or_plain(value: Any) -> str:
    """Tell a rule table ({default:, by:}) from its plain form, for clear errors."""
    if isinstance(value, dict):
        return "rules" if "default" in value or "by" in value else "plain"
    if isinstance(value, BaseModel):
        return "rules" if isinstance(value, (HandlingTimes, Probabilities)) else "plain"
    return "plain"


Handling = Annotated[
    Union[Annotated[Distribution, Tag("plain")], Annotated[HandlingTimes, Tag("rules")]],
    Discriminator(_rules_or_plain),
]
Resolution = Annotated[
    Union[Annotated[Probability, Tag("plain")], Annotated[Probabilities, Tag("rules")]],
    Discriminator(_rules_or_plain),
]


class CustomerWait(BaseModel):
    """Some tickets need the customer (information, a test, access) half-way through the work.

    With ``probability`` per visit, the group's work on a ticket stops half-way,
    the ticket waits ``duration`` on the customer (an SLA clock pauses), then
    rejoins the group's queue for the other half of the work.
    """

    model_config = _STRICT

    probability: Probability
    duration: Distribution


class Group(BaseModel):
    """A pool of people with a shift schedule: the 1st-line desk or a resolver group.

    Capacity follows the schedule.  At the end of a shift an agent either
    finishes the ticket in hand and then leaves (``at_shift_end: finish``, the
    default, as on a phone line) or stops and hands the ticket back to the
    front of the queue with the work that remains (``handover``, as for long
    2nd-line work that the next shift picks up).  A group serves by priority (the
    matrix's order), then first come first served; the desk serves phone calls
    before written tickets (``phone_first``).  With ``preemptive`` a more
    urgent ticket interrupts the least urgent one in work, which resumes
    later where it stopped.
    """

    model_config = _STRICT

    name: str = Field(min_length=1)
    role: Literal["desk", "resolver"] = "resolver"
    staff: int | None = Field(None, ge=0, le=MAX_STAFF, strict=True, description="constant headcount, 24/7 (instead of shifts)")
    shifts: tuple[Shift, ...] | None = Field(None, description="shift blocks; staff at an instant is their sum")
    closed_on_holidays: str | None = Field(None, description="a calendar whose holidays this group does not work")
    handling: Handling = Field(description="work time per ticket")
    first_contact_resolution: Resolution | None = Field(
        None, description="desk only: probability that the desk resolves the contact itself"
    )
    discipline: Literal["priority", "fifo"] = "priority"
    phone_first: bool = Field(True, description="serve waiting phone calls before written tickets")
    preemptive: bool = False
    at_shift_end: Literal["finish", "handover"] = Field(
        "finish", description="finish: an agent completes the ticket in hand; handover: it goes back to the queue"
    )
    customer_wait: CustomerWait | None = Field(None, description="tickets that wait on the customer mid-work")
    cost_per_hour: Number | None = Field(None, ge=0, le=MAX_COST, description="cost of one paid agent-hour (staffing search)")
    shrinkage: Number = Field(0.0, ge=0, lt=1, description="share of paid time not on the floor (breaks, training, "
                              "absence); `staff` counts agents on the floor")
    lines: int | None = Field(None, ge=1, le=1_000_000, strict=True,
                              description="desk only: phone calls held at once (waiting or answered); beyond, busy")
    callback: Callback | None = Field(None, description="desk only: virtual hold, callers called back (model.callers)")
    agents: tuple[AgentTeam, ...] | None = Field(None, description="agent groups with skills (simsla.model.skills)")
    skills: tuple[SkillRule, ...] | None = Field(None, description="the skill a ticket needs here, first matching rule")
    selection: SkillPolicy | None = Field(None, description="who takes what, with agent groups")

    @model_validator(mode="before")
    @classmethod
    def _team_staff(cls, data: Any) -> Any:
        # an agent group's constant `staff` is a 24/7 block of the group's shifts: the group's headcount at an
        # instant stays the sum of its blocks, which is what shifts, costs, the gate and `staff` work with
        if not isinstance(data, dict) or not isinstance(data.get("agents"), (list, tuple)):
            return data
        teams = [t for t in data["agents"] if isinstance(t, dict) and t.get("staff") is not None]
        if not teams or data.get("staff") is not None:
            return data
        blocks = list(data.get("shifts") or ())
        for t in teams:
            blocks.append({"name": str(t.get("name")), "days": "mon-sun", "hours": "00:00-24:00",
                           "staff": t["staff"], "agents": t.get("name")})
        data = dict(data)
        data["shifts"] = blocks
        data["agents"] = [{k: v for k, v in t.items() if k != "staff"} if isinstance(t, dict) and t in teams else t
                          for t in data["agents"]]
        return data

    @model_validator(mode="after")
    def _staffing(self) -> "Group":
        if self.agents is not None:
            self._check_teams()
        elif self.skills is not None or self.selection is not None:
            raise ValueError(f"group {self.name!r}: `skills` and `selection` need `agents` (the agent groups and "
                             "their skills); without agent groups every agent takes every ticket")
        elif any(s.agents is not None for s in self.shifts or ()):
            raise ValueError(f"group {self.name!r}: a shift block names `agents` but the group has no agent groups")
        if (self.staff is None) == (self.shifts is None):
            raise ValueError(f"group {self.name!r}: give either `staff` (constant) or `shifts` (a list of blocks)")
        peak = peak_staff(self.shifts or ())
        if peak > MAX_STAFF:
            raise ValueError(f"group {self.name!r}: its shift blocks put up to {peak:,} people on duty at once; a group "
                             f"has at most {MAX_STAFF:,} at any instant (blocks that overlap add up)")
        if self.callback is not None and self.role != "desk":
            raise ValueError(f"group {self.name!r}: `callback` applies to the desk only (callers wait there)")
        if self.callback is not None and self.customer_wait is not None:
            raise ValueError(f"group {self.name!r}: a desk with callbacks cannot also have `customer_wait` (not "
                             "modelled together); leave one out")
        if self.lines is not None and self.role != "desk":
            raise ValueError(f"group {self.name!r}: `lines` (phone lines) applies to the desk only")
        if self.first_contact_resolution is not None and self.role != "desk":
            raise ValueError(f"group {self.name!r}: first_contact_resolution applies to the desk only")
        return self

    def _check_teams(self) -> None:
        """Agent groups: named once, staffed by blocks that name them, every needed skill held by one of them."""
        teams = [t.name for t in self.agents or ()]
        if not teams:
            raise ValueError(f"group {self.name!r}: `agents` lists no agent group; list them or leave `agents` out")
        if len(set(teams)) != len(teams):
            raise ValueError(f"group {self.name!r}: agent group names must be unique, got {teams}")
        if self.staff is not None:
            raise ValueError(f"group {self.name!r}: with agent groups, give each its `staff` (or shift blocks naming "
                             "it with `agents:`) instead of the group's `staff`")
        if self.preemptive:
            raise ValueError(f"group {self.name!r}: preemption is not available with agent groups (skills); "
                             "set preemptive: false or model the group without `agents`")
        for i, s in enumerate(self.shifts or ()):
            if s.agents is None and len(teams) > 1:
                raise ValueError(f"group {self.name!r}: shift block {s.name or i!r} must name the agent group it "
                                 f"staffs with `agents:` (one of {teams})")
            if s.agents is not None and s.agents not in teams:
                raise ValueError(f"group {self.name!r}: shift block {s.name or i!r} names agent group {s.agents!r}, "
                                 f"which is not one of {teams}")
        held = {skill for t in self.agents or () for skill in t.skills}
        if self.skills is None:
            if len(held) > 1:
                raise ValueError(f"group {self.name!r}: its agent groups hold several skills ({sorted(held)}); say "
                                 "with `skills:` which skill a ticket needs (rules with `when` and `need`)")
            return
        if not self.skills or self.skills[-1].when != When():
            raise ValueError(f"group {self.name!r}: end `skills` with a rule without `when` (the skill every other "
                             "ticket needs), so that every ticket needs some skill")
        for j, rule in enumerate(self.skills):
            for skill, share in rule.shares().items():
                if share > 0 and skill not in held:
                    raise ValueError(f"group {self.name!r}: skills rule {j} needs skill {skill!r}, which no agent "
                                     f"group holds (they hold {sorted(held)}); give an agent group that skill")

    def team_of_block(self, block: int) -> int:
        """Index in ``agents`` of the agent group a shift block staffs (0 without agent groups)."""
        name = (self.shifts or ())[block].agents
        if name is None or self.agents is None:
            return 0
        return [t.name for t in self.agents].index(name)

    @property
    def skill_rules(self) -> tuple[SkillRule, ...]:
        """The skills rules (a single default rule when the agent groups hold one skill)."""
        if self.skills is not None:
            return self.skills
        held = sorted({skill for t in self.agents or () for skill in t.skills})
        return (SkillRule(need=held[0] if held else "any"),)

    @property
    def skill_names(self) -> tuple[str, ...]:
        """Every skill of this group, in the order the agent groups name them."""
        out: list[str] = []
        for t in self.agents or ():
            out += [s for s in t.skills if s not in out]
        return tuple(out)

    @property
    def handling_times(self) -> HandlingTimes:
        """The handling spec in its rule form."""
        return self.handling if isinstance(self.handling, HandlingTimes) else HandlingTimes(default=self.handling)

    @property
    def resolution_probability(self) -> Probabilities:
        """First-contact resolution in its rule form (0 for resolver groups)."""
        fcr = self.first_contact_resolution
        if isinstance(fcr, Probabilities):
            return fcr
        return Probabilities(default=0.0 if fcr is None else fcr)

    @property
    def max_staff(self) -> int:
        """An upper bound on the headcount at any instant."""
        if self.staff is not None:
            return self.staff
        return sum(s.staff for s in self.shifts or ())


def paid_fte(on_floor: float, shrinkage: float) -> float:
    """Paid full-time equivalents behind ``on_floor`` agents when ``shrinkage`` of paid time is off the floor.

    Parameters
    ----------
    on_floor : float
        Agents on the floor (a shift's ``staff``), or agent-hours on the floor.
    shrinkage : float
        Share of paid time not available for work (breaks, training, absence), 0 <= shrinkage < 1.

    Returns
    -------
    float
        ``on_floor / (1 - shrinkage)``, in the unit of ``on_floor``.
    """
    if not 0 <= shrinkage < 1:
        raise ValueError(f"shrinkage must lie in [0, 1), got {shrinkage!r}")
    return on_floor / (1.0 - shrinkage)


class Supplier(BaseModel):
    """An external party bound by an underpinning contract.

    A ticket passed to a supplier waits ``response`` (until the supplier takes
    it up), then ``resolution`` (the work).  With a calendar both durations are
    counted in the supplier's business hours.  ``capacity`` limits how many
    tickets it works at once (default: unlimited).
    """

    model_config = _STRICT

    name: str = Field(min_length=1)
    response: Distribution
    resolution: Distribution
    calendar: str | None = Field(None, description="the supplier's working hours (default 24/7)")
    capacity: int | None = Field(None, ge=1, le=1_000_000, strict=True)


class Route(BaseModel):
    """Where tickets go after a party has worked on them.

    From the desk, ``to`` spreads the contacts it did not resolve itself.
    From a group or supplier, ``to`` may include ``resolved``.  Rules are
    tried in order; the first whose ``when`` matches applies.  A group or
    supplier with no matching rule resolves the ticket.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: str = Field(alias="from", description="the party the ticket leaves")
    when: When = When()
    to: dict[str, Number] = Field(description="destination -> probability (groups, suppliers, or `resolved`)")

    @model_validator(mode="after")
    def _probabilities(self) -> "Route":
        if not self.to:
            raise ValueError("`to` needs at least one destination")
        if any(p < 0 or p > 1 for p in self.to.values()):
            raise ValueError("routing probabilities must lie between 0 and 1")
        total = sum(self.to.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"routing probabilities must sum to 1, they sum to {total:g}")
        return self
