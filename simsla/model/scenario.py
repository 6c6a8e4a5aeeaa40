"""The scenario: everything simsla needs to simulate a service desk, as plain data."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import zoneinfo
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simsla.model.agreements import Agreement
from simsla.model.backlog import BacklogEntry, backlog_problems
from simsla.model.calendar import ALWAYS, DATE_RANGE_TEXT, LAST_DATE, Calendar, check_date, holiday_years
from simsla.model.callers import Redials
from simsla.model.chain import ATTRIBUTES, RESOLVED, Group, Route, Supplier, When
from simsla.model.demand import CHANNELS, TICKET_TYPES, DemandStream, PriorityMatrix, Profile, Service
from simsla.model.distributions import Distribution
from simsla.model.units import Duration
from simsla.model.volume import BusyDays, VolumeCalendar

DESK = "desk"
#: the longest horizon, and the longest warm-up, simsla simulates (20 years)
MAX_SPAN = 20 * 366 * 86400


class Scenario(BaseModel):
    """A service desk, its demand, its chain of support and (later) its agreements.

    Engine time is seconds since ``start`` 00:00 local time in ``timezone``.
    The first ``warmup`` of the run lets queues fill and is left out of all
    results.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    start: dt.date = Field(description="first day simulated (00:00 local time)")
    timezone: str = Field("UTC", description="IANA time zone, e.g. Europe/Stockholm")
    horizon: Duration = Field(description="how long is simulated after the warm-up, e.g. 52w")
    warmup: Duration = Field(0.0, description="simulated before the horizon and left out of results")
    calendars: dict[str, Calendar] = Field(default_factory=dict, description="named calendars; `24/7` is built in")
    priority_matrix: PriorityMatrix = PriorityMatrix()
    customers: tuple[str, ...] = Field((), description="customer names (optional)")
    services: tuple[Service, ...] = Field(min_length=1)
    profiles: dict[str, Profile] = Field(default_factory=dict, description="named arrival profiles")
    busy_days: dict[str, BusyDays] = Field(default_factory=dict,
                                           description="named busy-day factors; the streams naming one move together")
    volume_calendars: dict[str, VolumeCalendar] = Field(
        default_factory=dict, description="named volume calendars (seasons, trend, special days)")
    demand: tuple[DemandStream, ...] = Field(min_length=1)
    patience: Distribution | None = Field(None, description="callers' patience (phone) unless a stream gives its own")
    redials: Redials | None = Field(None, description="callers who hung up or got a busy signal and try again")
    groups: tuple[Group, ...] = Field(min_length=1)
    suppliers: tuple[Supplier, ...] = ()
    routing: tuple[Route, ...] = ()
    agreements: tuple[Agreement, ...] = Field((), description="SLAs, OLAs and UCs whose targets are measured")
    backlog: tuple[BacklogEntry, ...] = Field((), description="open work at the start: counts per party and "
                                                              "priority with an age distribution, or a file of open "
                                                              "tickets (`simsla.model.backlog`)")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            near = difflib.get_close_matches(value, sorted(zoneinfo.available_timezones()), n=1) if isinstance(value, str) else []
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Stockholm or UTC{hint}") from None
        return value

    @field_validator("start")
    @classmethod
    def _start(cls, value: dt.date) -> dt.date:
        return check_date(value, "the start")

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("the horizon must be positive")
        if value > MAX_SPAN:
            raise ValueError("the horizon is longer than 20 years; simulate a shorter span")
        return value

    @field_validator("warmup")
    @classmethod
    def _warmup(cls, value: float) -> float:
        # bounded like the horizon: the warm-up is simulated too, so it costs as much
        if value > MAX_SPAN:
            raise ValueError("the warm-up is longer than 20 years; a few weeks let the queues fill (use 1w-4w)")
        return value

    # ------------------------------------------------------------------ lookups
    @property
    def desk(self) -> Group:
        """The 1st-line desk."""
        return next(g for g in self.groups if g.role == "desk")

    @property
    def parties(self) -> tuple[str, ...]:
        """Names of all parties in the chain: groups, then suppliers."""
        return tuple(g.name for g in self.groups) + tuple(s.name for s in self.suppliers)

    @property
    def origin(self) -> dt.datetime:
        """Engine time zero as an aware datetime."""
        return dt.datetime.combine(self.start, dt.time(0), tzinfo=zoneinfo.ZoneInfo(self.timezone))

    @property
    def end(self) -> float:
        """Engine time at which the run stops."""
        return self.warmup + self.horizon

    def calendar(self, name: str | None) -> Calendar:
        """A calendar by name; ``None`` and ``24/7`` are always open."""
        if name is None or name == "24/7":
            return self.calendars.get("24/7", ALWAYS)
        return self.calendars[name]

    def profile(self, stream: DemandStream) -> Profile | None:
        """A stream's profile, resolved from its name."""
        return self.profiles[stream.profile] if isinstance(stream.profile, str) else stream.profile

    def busy_days_of(self, stream: DemandStream) -> BusyDays | None:
        """A stream's busy-day factor, resolved from its name (``None``: a Poisson stream)."""
        return self.busy_days[stream.busy_days] if isinstance(stream.busy_days, str) else stream.busy_days

    def volume_calendar_of(self, stream: DemandStream) -> VolumeCalendar | None:
        """A stream's volume calendar, resolved from its name (``None``: every week alike)."""
        vc = stream.volume_calendar
        return self.volume_calendars[vc] if isinstance(vc, str) else vc

    def levels(self, attribute: str) -> tuple[str, ...]:
        """All values an attribute can take in this scenario."""
        return {
            "service": tuple(s.name for s in self.services),
            "customer": self.customers or ("-",),
            "type": TICKET_TYPES,
            "channel": CHANNELS,
            "priority": self.priority_matrix.priorities,
            "impact": self.priority_matrix.impacts,
            "urgency": self.priority_matrix.urgencies,
        }[attribute]

    # --------------------------------------------------------------- validation
    @model_validator(mode="after")
    def _references(self) -> "Scenario":
        problems = self.problems()
        if problems:
            raise ScenarioProblems(problems)
        return self

    def problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Cross-references that a single field cannot check: (field path, message)."""
        out: list[tuple[tuple[str | int, ...], str]] = []
        _control_characters(out, (), self)
        _unique(out, ("services",), (s.name for s in self.services))
        _unique(out, ("customers",), self.customers)
        _unique(out, ("demand",), (d.name for d in self.demand))
        _unique(out, ("groups",), self.parties)
        if RESOLVED in self.parties:
            out.append((("groups",), f"{RESOLVED!r} is reserved for routing; rename that group or supplier"))
        desks = [g.name for g in self.groups if g.role == "desk"]
        if len(desks) != 1:
            out.append((("groups",), f"exactly one group needs role: desk (the 1st line), found {len(desks)}: {desks}"))
        self._date_problems(out)
        calendars = set(self.calendars) | {"24/7"}
        for i, g in enumerate(self.groups):
            if g.closed_on_holidays is not None and g.closed_on_holidays not in calendars:
                out.append((("groups", i, "closed_on_holidays"), f"unknown calendar {g.closed_on_holidays!r} (known: {sorted(calendars)})"))
            for j, rule in enumerate(g.handling_times.by):
                self._check_when(out, ("groups", i, "handling", "by", j, "when"), rule.when)
            for j, rule in enumerate(g.resolution_probability.by):
                self._check_when(out, ("groups", i, "first_contact_resolution", "by", j, "when"), rule.when)
            for j, rule in enumerate(g.skills or ()):
                self._check_when(out, ("groups", i, "skills", j, "when"), rule.when)
        for i, s in enumerate(self.suppliers):
            if s.calendar is not None and s.calendar not in calendars:
                out.append((("suppliers", i, "calendar"), f"unknown calendar {s.calendar!r} (known: {sorted(calendars)})"))
        services = {s.name for s in self.services}
        for i, s in enumerate(self.services):
            for c in s.customers or ():
                if c not in self.customers:
                    out.append((("services", i, "customers"), f"customer {c!r} is not in customers {list(self.customers)}"))
        for i, d in enumerate(self.demand):
            if d.holidays is not None and d.holidays not in calendars:
                out.append((("demand", i, "holidays"), f"unknown calendar {d.holidays!r} (known: {sorted(calendars)})"))
            if isinstance(d.profile, str) and d.profile not in self.profiles:
                out.append((("demand", i, "profile"), f"unknown profile {d.profile!r} (known: {sorted(self.profiles)})"))
            if isinstance(d.busy_days, str) and d.busy_days not in self.busy_days:
                out.append((("demand", i, "busy_days"),
                            f"unknown busy-day factor {d.busy_days!r} (known: {sorted(self.busy_days)})"))
            if isinstance(d.volume_calendar, str) and d.volume_calendar not in self.volume_calendars:
                out.append((("demand", i, "volume_calendar"), f"unknown volume calendar {d.volume_calendar!r} "
                                                              f"(known: {sorted(self.volume_calendars)})"))
            _known(out, ("demand", i, "services"), d.services, services)
            _known(out, ("demand", i, "customers"), d.customers, set(self.customers))
            _known(out, ("demand", i, "impact"), d.impact, set(self.priority_matrix.impacts))
            _known(out, ("demand", i, "urgency"), d.urgency, set(self.priority_matrix.urgencies))
            used = {label for row in self.priority_matrix.matrix.values() for label in row}
            _known(out, ("demand", i, "priority"), d.priority, used)
            if d.customers is not None:
                # a service used by some customers only draws its tickets' customers among them
                for sv in self.services:
                    if sv.customers is None or (d.services is not None and d.services.get(sv.name, 0) <= 0):
                        continue
                    if not any(d.customers.get(c, 0) > 0 for c in sv.customers):
                        out.append((("demand", i, "customers"),
                                    f"service {sv.name!r} is used only by {list(sv.customers)} and this stream gives "
                                    f"none of them a weight, so its tickets about {sv.name!r} would have no customer; "
                                    f"give one of them a weight or leave {sv.name!r} out of the stream's services"))
        inline = [(("demand", i, "volume_calendar"), d.volume_calendar) for i, d in enumerate(self.demand)
                  if not isinstance(d.volume_calendar, (str, type(None)))]
        for loc, vc in [*((("volume_calendars", n), v) for n, v in self.volume_calendars.items()), *inline]:
            for j, special in enumerate(vc.special_days):
                if special.holidays is not None and special.holidays not in calendars:
                    out.append(((*loc, "special_days", j, "holidays"),
                                f"unknown calendar {special.holidays!r} (known: {sorted(calendars)})"))
        if not any(d.volume > 0 for d in self.demand) and not any(sv.failures is not None for sv in self.services) \
                and not any(e.size for e in self.backlog):
            out.append((("demand",), "every demand stream has volume 0 and no service has failures: nothing would "
                                     "ever arrive, so there is nothing to simulate; give a stream a positive volume (or a backlog)"))
        if self.redials is not None and not any(d.channel == "phone" for d in self.demand):
            out.append((("redials",), "redials are callers ringing again, and no demand stream is a phone stream; "
                                      "add a phone stream or leave `redials` out"))
        parties = set(self.parties)
        for i, r in enumerate(self.routing):
            if r.source not in parties:
                out.append((("routing", i, "from"), f"unknown party {r.source!r} (known: {sorted(parties)})"))
            for dest in r.to:
                if dest != RESOLVED and dest not in parties:
                    out.append((("routing", i, "to", dest), f"unknown destination {dest!r} (groups, suppliers or {RESOLVED!r})"))
            if desks and r.source == desks[0]:
                if RESOLVED in r.to:
                    out.append((("routing", i, "to"), "the desk resolves through first_contact_resolution; route only escalations from it"))
                if desks[0] in r.to:
                    out.append((("routing", i, "to"), "the desk cannot escalate to itself"))
            self._check_when(out, ("routing", i, "when"), r.when)
        _unique(out, ("agreements",), (a.name for a in self.agreements))
        groups = {g.name for g in self.groups}
        suppliers = {s.name for s in self.suppliers}
        for i, a in enumerate(self.agreements):
            if a.customer is not None and a.customer not in self.customers:
                out.append((("agreements", i, "customer"), f"unknown customer {a.customer!r} (known: {list(self.customers)})"))
            if a.kind == "OLA" and a.party not in groups:
                out.append((("agreements", i, "party"), f"an OLA binds a group; {a.party!r} is not one (groups: {sorted(groups)})"))
            if a.kind == "UC" and a.party not in suppliers:
                out.append((("agreements", i, "party"), f"a UC binds a supplier; {a.party!r} is not one (suppliers: {sorted(suppliers)})"))
            if a.calendar is not None and a.calendar not in calendars:
                out.append((("agreements", i, "calendar"), f"unknown calendar {a.calendar!r} (known: {sorted(calendars)})"))
            for j, t in enumerate(a.targets):
                if t.calendar is not None and t.calendar not in calendars:
                    out.append((("agreements", i, "targets", j, "calendar"), f"unknown calendar {t.calendar!r} (known: {sorted(calendars)})"))
                self._check_when(out, ("agreements", i, "targets", j, "when"), t.when)
                if t.metric == "answer_time" and not any(d.channel == "phone" for d in self.demand) \
                        and not any(sv.failures is not None for sv in self.services):
                    out.append((("agreements", i, "targets", j, "metric"), "answer_time needs phone calls, and no demand stream has channel: phone"))
                if t.metric == "availability":
                    scoped = t.when.values("service") or tuple(sv.name for sv in self.services)
                    if not any(sv.failures is not None for sv in self.services if sv.name in scoped):
                        out.append((("agreements", i, "targets", j, "metric"),
                                    "availability is measured from service failures, and no service in this target's scope has `failures`"))
        out.extend(backlog_problems(self))
        if not out:
            out.extend(self._chain_problems())
        return out

    def _date_problems(self, out: list) -> None:
        """The whole run lies in the dates simsla can simulate, and in each holiday country's known years."""
        last = self.start + dt.timedelta(seconds=self.end)
        if last > LAST_DATE:
            out.append((("horizon",), f"the run (warm-up and horizon from {self.start}) ends on {last}; simulated "
                                      f"dates lie {DATE_RANGE_TEXT}: start earlier or simulate a shorter span"))
            return
        for name, cal in self.calendars.items():
            if cal.holiday_country is None:
                continue
            known = holiday_years(cal.holiday_country)
            if not (known[0] <= self.start.year and last.year <= known[1]):
                years = str(last.year) if last.year == self.start.year else f"{self.start.year}-{last.year}"
                out.append((("calendars", name, "holiday_country"),
                            f"the `holidays` package knows the public holidays of {cal.holiday_country.upper()} from "
                            f"{known[0]} to {known[1]} only, and this run covers {years}: they "
                            "would silently be missing; move the start or list the dates under `holidays`"))

    def _check_when(self, out: list, loc: tuple, when: When) -> None:
        for attribute in ATTRIBUTES:
            known = self.levels(attribute)
            for v in when.values(attribute) or ():
                if v not in known:
                    out.append(((*loc, attribute), f"{attribute} {v!r} is unknown (known: {list(known)})"))

    def _chain_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Routing must end in resolution from every party a ticket can reach."""
        problems: list[tuple[tuple[str | int, ...], str]] = []
        desk = self.desk
        fcr = desk.resolution_probability
        escalates = fcr.default < 1 or any(r.probability < 1 for r in fcr.by)
        desk_routes = [r for r in self.routing if r.source == desk.name]
        if escalates and not any(r.when == When() for r in desk_routes):
            problems.append((("routing",),
                f"the desk ({desk.name}) does not resolve every contact (first_contact_resolution < 1) "
                "but routing has no catch-all rule from it (a rule without `when`) saying where the rest go"
            ))
        # reachability: parties reachable from the desk, and from each, a path to `resolved`
        edges: dict[str, set[str]] = {p: set() for p in self.parties}
        catch_all: dict[str, bool] = {p: False for p in self.parties}
        for r in self.routing:
            edges[r.source] |= {d for d, p in r.to.items() if p > 0}
            catch_all[r.source] |= r.when == When()
        resolves = {p for p in self.parties if p != desk.name and (not catch_all[p] or RESOLVED in edges[p])}
        if not escalates:
            resolves.add(desk.name)
        changed = True
        while changed:
            changed = False
            for p, dests in edges.items():
                if p not in resolves and dests & resolves:
                    resolves.add(p)
                    changed = True
        reachable, frontier = {desk.name}, [desk.name]
        while frontier:
            for d in edges[frontier.pop()] - {RESOLVED}:
                if d not in reachable:
                    reachable.add(d)
                    frontier.append(d)
        for p in sorted(reachable - resolves):
            problems.append((("routing",), f"tickets that reach {p!r} can never be resolved: every route from it leads back into a loop"))
        for i, g in enumerate(self.groups):
            if g.name in reachable and g.max_staff == 0:
                problems.append((("groups", i), f"group {g.name!r} receives tickets but is never staffed (staff 0 in every shift)"))
        return problems


class ScenarioProblems(ValueError):
    """Cross-reference problems, each with the field path it concerns."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]):
        self.problems = problems
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in problems))


#: characters that act instead of showing: C0 and C1 controls (newline, ESC, NUL, …), DEL, line and
#: paragraph separators and the bidirectional overrides (they reorder what a terminal shows)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_NAMES = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\x1b": "ESC (it starts terminal escape sequences)",
                  "\x00": "NUL", "\x7f": "DEL"}
#: free text may span lines and hold tabs, but no other control characters
_FREE_TEXT = {"description"}
_CONTROL_IN_FREE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _control_characters(out: list, loc: tuple, value: Any, pattern: re.Pattern = _CONTROL) -> None:
    """Report names and labels (anywhere in the scenario, mapping keys included) that hold control characters.

    They would reach terminals, logs and reports as commands (ANSI escape
    sequences) or split one message over several lines.  Descriptions may
    hold newlines and tabs.
    """
    if isinstance(value, str):
        found = pattern.search(value)
        if found:
            char = found.group()
            what = _CONTROL_NAMES.get(char, f"the control character U+{ord(char):04X}")
            kind = "a description is text without control characters other than newlines and tabs" \
                if pattern is _CONTROL_IN_FREE_TEXT else "names and labels are plain text on one line"
            out.append((loc, f"{value!r} contains {what}; {kind}: remove it"))
    elif isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            _control_characters(out, (*loc, info.alias or name), getattr(value, name),
                                _CONTROL_IN_FREE_TEXT if name in _FREE_TEXT else _CONTROL)
    elif isinstance(value, dict):
        for key, item in value.items():
            _control_characters(out, (*loc, key), key)
            _control_characters(out, (*loc, key), item)
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            _control_characters(out, (*loc, i), item)


def _unique(out: list, loc: tuple, names: Iterable[str]) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            out.append((loc, f"the name {n!r} is used twice"))
        seen.add(n)


def _known(out: list, loc: tuple, weights: dict[str, float] | None, known: set[str]) -> None:
    for key in weights or {}:
        if key not in known:
            out.append(((*loc, key), f"{key!r} is unknown (known: {sorted(known)})"))
