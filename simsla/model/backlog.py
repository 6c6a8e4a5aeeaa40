"""A backlog start: the open work a scenario begins with, as plain data.

A scenario may start with tickets already open (``backlog:``), each at a
party, with its SLA clock running since it was opened.  An entry is either

* **counts**: ``{party, count, age, priority | impact + urgency, service?,
  customer?, type?, channel?}``, ``count`` tickets whose ages are drawn
  from ``age`` (capped at ``max_age``); or
* **tickets**: one row per open ticket, normally read from a CSV file
  (``file:``, read by ``simsla.backlog_file`` when the scenario is loaded;
  the rows are kept here, so a results folder's ``scenario.json`` holds the
  backlog it was run with) with ``opened`` (a local date-time) or ``age``.

Attributes left out (service, customer, type, channel, and the priority) are
drawn like fresh demand: a demand stream by its share of the volume (among
the streams of the given channel and type, if any), then the stream's
service, customer and impact x urgency mix; a given priority without impact
and urgency takes one of the matrix cells of that priority, uniformly.

This module holds the data and its cross-reference checks
(``backlog_problems``, called from ``Scenario.problems``); the engine draws
the tickets (``simsla.engine.backlog``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simsla.model.demand import CHANNELS, TICKET_TYPES
from simsla.model.distributions import Distribution
from simsla.model.units import Duration

if TYPE_CHECKING:
    from simsla.model.scenario import Scenario

_STRICT = ConfigDict(extra="forbid", frozen=True)
#: the most open tickets one count entry (and one file) may hold
MAX_BACKLOG = 1_000_000
#: the default cap on ages drawn from a distribution: one year
MAX_AGE = 365 * 86400.0
#: ticket fields a row may give (besides ``opened``/``age`` and ``line``)
TICKET_FIELDS = ("party", "priority", "impact", "urgency", "service", "customer", "type", "channel")


class _Attributes(BaseModel):
    """What an open ticket is: the attributes a backlog entry or ticket may give (the rest are drawn)."""

    model_config = _STRICT

    priority: str | None = None
    impact: str | None = None
    urgency: str | None = None
    service: str | None = None
    customer: str | None = None
    type: str | None = None
    channel: str | None = None


class BacklogTicket(_Attributes):
    """One open ticket: where it is, how old it is, what it is about (what is left out is drawn)."""

    model_config = _STRICT

    line: int | None = Field(None, description="its line in the backlog file (for messages)")
    opened: dt.datetime | None = Field(None, description="when it was opened (local time, or with an offset)")
    age: Duration | None = Field(None, description="its age at the scenario's start (instead of `opened`)")
    party: str = Field(min_length=1, description="the group or supplier that holds it now")

    @model_validator(mode="after")
    def _when(self) -> "BacklogTicket":
        if (self.opened is None) == (self.age is None):
            raise ValueError("give an open ticket either `opened` (when it was opened) or `age`, not both or neither")
        if (self.impact is None) != (self.urgency is None):
            raise ValueError("give impact and urgency together (or only a priority)")
        return self


class BacklogEntry(_Attributes):
    """Open work at the start: ``count`` tickets at a party with an age distribution, or a list of tickets.

    Examples (YAML)::

        backlog:
          - {party: applications, count: 40, priority: P3, age: {dist: exponential, mean: 4d}}
          - {party: network, count: 5, impact: high, urgency: medium, service: network-vpn,
             age: {dist: uniform, low: 1h, high: 2d}}
          - file: municipal-backlog.csv          # relative to the scenario file
    """

    model_config = _STRICT

    file: str | None = Field(None, description="a CSV of open tickets, relative to the scenario file")
    columns: dict[str, str | tuple[str, ...]] | None = Field(
        None, description="field -> the file's column, where they differ (opened, age, party, priority, ...)")
    tickets: tuple[BacklogTicket, ...] = Field((), description="open tickets (a file's rows are read into this)")
    party: str | None = Field(None, min_length=1, description="the group or supplier holding the tickets")
    count: int | None = Field(None, ge=0, le=MAX_BACKLOG, description="how many open tickets")
    age: Distribution | None = Field(None, description="their ages at the scenario's start")
    max_age: Duration = Field(MAX_AGE, description="drawn ages are capped here (default 365d)")

    @model_validator(mode="after")
    def _form(self) -> "BacklogEntry":
        counts = {k: getattr(self, k) for k in ("party", "count", "age", *TICKET_FIELDS[1:])}
        if self.file is not None or self.tickets:
            given = [k for k, v in counts.items() if v is not None]
            if given:
                raise ValueError(f"an entry with `file` or `tickets` lists open tickets; {', '.join(given)} belong to "
                                 "a counts entry ({party, count, age, ...}): write them as a separate entry")
            return self
        if self.columns is not None:
            raise ValueError("`columns` names a file's columns: give `file` too")
        missing = [k for k in ("party", "count", "age") if counts[k] is None]
        if missing:
            raise ValueError(f"a backlog entry is either {{party, count, age, priority, ...}} or {{file: OPEN.csv}}; "
                             f"this one lacks {', '.join(missing)}")
        if (self.impact is None) != (self.urgency is None):
            raise ValueError("give impact and urgency together (or only a priority)")
        if self.max_age <= 0:
            raise ValueError("max_age must be positive")
        return self

    @property
    def size(self) -> int:
        """How many open tickets this entry holds."""
        return len(self.tickets) if self.file is not None or self.tickets else int(self.count or 0)


def ticket_age(ticket: BacklogTicket, origin: dt.datetime) -> float:
    """A ticket's age in seconds at ``origin`` (the scenario's start); a naive ``opened`` is local time there."""
    if ticket.age is not None:
        return float(ticket.age)
    opened = ticket.opened
    assert opened is not None
    if opened.tzinfo is None:
        opened = opened.replace(tzinfo=origin.tzinfo)
    return (origin - opened.astimezone(zoneinfo.ZoneInfo("UTC"))).total_seconds()


def backlog_size(scenario: "Scenario") -> int:
    """Open tickets at the start, over all entries."""
    return sum(e.size for e in scenario.backlog)


def backlog_lead(scenario: "Scenario") -> float:
    """How far before the start the backlog's SLA clocks reach (seconds; 0 without a backlog).

    The oldest ticket of a list, and ``max_age`` for a counts entry: business
    clocks cover this much time before engine time 0.
    """
    lead = 0.0
    for e in scenario.backlog:
        if e.tickets:
            lead = max(lead, max(ticket_age(t, scenario.origin) for t in e.tickets))
        elif e.size:
            lead = max(lead, float(e.max_age))
    return lead


def backlog_problems(scenario: "Scenario") -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-references of the backlog: parties, priorities and attribute values, ages (field path, message)."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    parties = scenario.parties
    pm = scenario.priority_matrix
    used = {p for row in pm.matrix.values() for p in row}
    known = {
        "impact": pm.impacts, "urgency": pm.urgencies, "service": scenario.levels("service"),
        "customer": tuple(scenario.customers), "type": TICKET_TYPES, "channel": CHANNELS,
    }
    services = {s.name: s for s in scenario.services}

    def check(loc: tuple, item: BacklogEntry | BacklogTicket) -> None:
        if item.party not in parties:
            out.append(((*loc, "party"), f"unknown party {item.party!r} (known: {list(parties)}); a backlog ticket "
                                         "waits at a group or supplier of this scenario"))
        if item.priority is not None and item.priority not in used:
            out.append(((*loc, "priority"), f"priority {item.priority!r} is unknown (known: {sorted(used)})"))
        for attribute, levels in known.items():
            value = getattr(item, attribute)
            if value is not None and value not in levels:
                hint = "; the scenario lists no customers" if attribute == "customer" and not levels else ""
                out.append(((*loc, attribute), f"{attribute} {value!r} is unknown (known: {list(levels)}){hint}"))
        if item.impact in pm.impacts and item.urgency in pm.urgencies and item.priority is not None:
            implied = pm.priority(item.impact, item.urgency)
            if implied != item.priority:
                out.append(((*loc, "priority"), f"impact {item.impact!r} and urgency {item.urgency!r} give priority "
                                                f"{implied!r} in the priority matrix, not {item.priority!r}: give one "
                                                "or the other, or make them agree"))
        sv = services.get(item.service or "")
        if sv is not None and sv.customers is not None and item.customer is not None and item.customer in known["customer"] \
                and item.customer not in sv.customers:
            out.append(((*loc, "customer"), f"service {sv.name!r} is used only by {list(sv.customers)}, "
                                            f"not by {item.customer!r}"))

    unstaffed = {g.name for g in scenario.groups if g.max_staff == 0}
    for i, e in enumerate(scenario.backlog):
        holders = {e.party} if e.party is not None else {t.party for t in e.tickets}
        for name in sorted(holders & unstaffed):
            out.append((("backlog", i), f"group {name!r} holds backlog tickets but is never staffed (staff 0 in every "
                                        "shift): they would stay open for the whole run; give it a shift"))
        if e.file is None and not e.tickets:
            check(("backlog", i), e)
            continue
        for j, t in enumerate(e.tickets):
            check(("backlog", i, "tickets", j), t)
            if t.opened is not None:
                age = ticket_age(t, scenario.origin)
                if age < 0:
                    out.append((("backlog", i, "tickets", j, "opened"),
                                f"opened {t.opened.isoformat(' ')} is after the scenario's start ({scenario.start} "
                                f"00:00 {scenario.timezone}): a backlog is the work open at the start; set `start:` "
                                "to the day after the export, or leave this ticket out"))
    return out
