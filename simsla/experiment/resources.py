"""What one replication will take, estimated before simulating, and the refusal of what is too much.

:func:`estimate_resources` gives a :class:`ResourceEstimate` (tickets,
visits, events, agent processes, memory, targets to evaluate) from the
scenario's own numbers: volumes x horizon including the warm-up, busy days,
the volume calendar, outage rates and surges, redials, shift blocks x staff,
groups x hours, keys x parties; with the traffic equations' :class:`Flow` the
visits per ticket refine it.  :class:`Budget` is what a replication and a
whole run may use (:func:`available_memory` of the machine by default), and
``_resource_refusals`` names every way an estimate exceeds it.  The byte and
event constants are measured on the example scenarios.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from simsla.engine.arrivals import MAX_ARRIVALS
from simsla.engine import seasons
from simsla.engine.daily import mean_factor_quantile
from simsla.engine.tables import KeySpace
from simsla.experiment.findings import Refusal
from simsla.experiment.stability import Flow, outage_cycle
from simsla.model import Scenario

HOUR, DAY, WEEK = 3600.0, 86400.0, 7 * 86400.0

#: share of the machine's available memory one replication may use
MEMORY_SHARE = 0.5
#: share of the available memory a whole run may use: the replications side by side plus all their results
RUN_MEMORY_SHARE = 0.8
#: most simulation events one replication may take (the engine runs about 400 000 a second on one
#: core: this is about four minutes per replication)
MAX_EVENTS = 100_000_000
#: most agent processes (seats at the peak headcount, over all groups; x concurrency for chat agents) in one replication
MAX_AGENTS = 200_000
#: memory per unit, measured on the example scenarios (engine state, log columns, tables, with headroom)
TICKET_BYTES = 300
SEGMENT_BYTES = 120
#: fixed memory of a replication (clocks, calendars, key tables, SimPy)
BASE_BYTES = 48 * 2**20
AGENT_BYTES = 2_500
UTILIZATION_ROW_BYTES = 160
KEY_PARTY_BYTES = 32
OUTAGE_BYTES = 120
#: what one replication leaves in the parent process (pandas tables, and their copy while they are joined)
RESULT_TICKET_BYTES = 160
RESULT_SEGMENT_BYTES = 80
RESULT_ROW_BYTES = 80
#: SimPy events per visit of a ticket to a party (arrival or hand-over, work timeout, completion)
EVENTS_PER_SEGMENT = 3


@dataclass(frozen=True)
class Budget:
    """What one replication may use: bytes of memory and simulation events."""

    memory_bytes: float
    events: float = MAX_EVENTS
    agents: float = MAX_AGENTS
    run_bytes: float = math.inf

    @classmethod
    def of_machine(cls) -> "Budget":
        """``MEMORY_SHARE`` of the available memory per replication, ``RUN_MEMORY_SHARE`` for a whole run.

        Available memory: ``/proc/meminfo`` MemAvailable, else ``os.sysconf``.
        """
        free = available_memory()
        return cls(memory_bytes=MEMORY_SHARE * free, run_bytes=RUN_MEMORY_SHARE * free)


def available_memory() -> float:
    """Bytes of memory available to new processes (4 GiB when the system does not say)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 4.0 * 2**30


#: the evaluation's cost (``ResourceEstimate.analysis_seconds``): per target, and per ticket and target
ANALYSIS_SECONDS_PER_TARGET = 0.08
ANALYSIS_SECONDS_PER_ITEM = 1e-7


@dataclass(frozen=True)
class ResourceEstimate:
    """Expected work and memory of one replication (the warm-up included)."""

    tickets: float
    segments: float
    events: float
    agents: int
    outages: float
    utilization_rows: float
    memory_bytes: float
    visits_per_ticket: float = 1.0
    results_bytes: float = 0.0
    targets: int = 0

    def analysis_seconds(self, replications: int = 1) -> float:
        """CPU seconds the evaluation of every target takes over ``replications`` (measured: about 80 ms per
        target plus 0.1 us per ticket and target: 2.6 s for the municipal desk's 34 targets over 104,000
        tickets, 157 s for 1,828 targets over 9,000)."""
        return self.targets * (ANALYSIS_SECONDS_PER_TARGET
                               + ANALYSIS_SECONDS_PER_ITEM * self.tickets * max(replications, 1))

    def describe(self) -> str:
        """The estimate in one line."""
        return (f"about {self.tickets:,.0f} tickets, {self.segments:,.0f} visits, {self.events:,.0f} events, "
                f"{self.agents:,} agent processes and {self.memory_bytes / 2**20:,.0f} MiB per replication"
                + (f"; {self.targets} targets to evaluate" if self.targets else ""))


def estimate_resources(scenario: Scenario, traffic: Flow | None = None) -> ResourceEstimate:
    """Expected tickets, visits, events, agent processes and memory of one replication.

    Without ``traffic`` a ticket is taken to visit one party (the desk); with
    it, the traffic equations give the mean visits per ticket.
    """
    end = scenario.end
    # busy days: arrivals are bounded by the mean factor's upper 99.9 % quantile over the run, not by its mean 1
    # and a volume calendar by its mean day factor over the run (seasons, trend, special days)
    tickets = sum(d.volume * mean_factor_quantile(scenario.busy_days_of(d), end / DAY) * seasons.mean_factor(scenario, d)
                  for d in scenario.demand) * end
    outages = 0.0
    for sv in scenario.services:
        f = sv.failures
        if f is None:
            continue
        cycle = outage_cycle(f)
        count = end / cycle if cycle > 0 else 0.0  # no cycle at all: refused on its own (_outage_refusals)
        outages += count
        tickets += count * (1.0 if f.major_incident else 0.0) + (f.surge or 0.0) * f.time_to_restore.expected * count
    tickets *= redial_bound(scenario)
    visits = traffic.visits_per_ticket if traffic is not None else 1.0
    waits = max((g.customer_wait.probability for g in scenario.groups if g.customer_wait), default=0.0)
    segments = tickets * visits * (1.0 + 2.0 * waits)  # a customer wait adds its own visit and a second one
    agents, shift_events = 0, 0.0
    weeks = end / WEEK + 1
    for g in scenario.groups:
        for seats, changes in _seat_blocks(g):
            agents += seats
            shift_events += changes * weeks * seats  # each change wakes up to the peak number of seats
    hours = end / HOUR + 1
    util_rows = len(scenario.groups) * hours
    space = KeySpace(scenario)
    events = tickets + EVENTS_PER_SEGMENT * segments + shift_events + outages
    memory = (BASE_BYTES + tickets * TICKET_BYTES + segments * SEGMENT_BYTES + agents * AGENT_BYTES
              + util_rows * UTILIZATION_ROW_BYTES + space.size * len(scenario.parties) * KEY_PARTY_BYTES
              + outages * OUTAGE_BYTES)
    return ResourceEstimate(tickets=tickets, segments=segments, events=events, agents=int(agents), outages=outages,
                            utilization_rows=util_rows, memory_bytes=memory, visits_per_ticket=visits,
                            results_bytes=(tickets * RESULT_TICKET_BYTES + segments * RESULT_SEGMENT_BYTES
                                           + util_rows * RESULT_ROW_BYTES),
                            targets=sum(len(a.targets) for a in scenario.agreements))


def redial_bound(scenario: Scenario) -> float:
    """Contacts per fresh contact at most, with redials: as if every attempt failed (a bound, not a forecast).

    1 + p + p^2 + ... + p^attempts for phone contacts; a desk whose callers fail that often is refused or warned
    about on its load anyway, and the bound keeps the memory estimate safe whatever the abandonment turns out to be.
    """
    r = scenario.redials
    if r is None:
        return 1.0
    p = float(r.probability)
    return float(sum(p ** k for k in range(r.attempts + 1)))


def _seat_blocks(group) -> list[tuple[int, int]]:
    """(agent processes, headcount changes a week) of a group, or of each of its agent groups.

    An agent process is a seat.  Without agent groups a group has one seat per
    person of its peak headcount; an agent group has its own peak (agent
    groups peaking at different hours add up) times its ``concurrency``: a
    chat agent holding three sessions is three seats.
    """
    if group.agents is None:
        return [_weekly_peak(group)]
    out = []
    for j, team in enumerate(group.agents):
        blocks = [s for i, s in enumerate(group.shifts or ()) if group.team_of_block(i) == j]
        peak, changes = _weekly_peak(group, blocks)
        out.append((peak * team.concurrency, changes))
    return out


def _weekly_peak(group, shifts=None) -> tuple[int, int]:
    """The most people on duty at once in a group's week (or in ``shifts``), and its headcount changes a week."""
    if group.staff is not None:
        return group.staff, 0
    changes: dict[float, float] = {}
    for shift in (group.shifts or ()) if shifts is None else shifts:
        if shift.staff <= 0:
            continue
        for day, start, end in shift.windows():
            a, b = day * DAY + start, day * DAY + end
            for lo, hi in ((a, min(b, WEEK)), (0.0, b - WEEK)):  # a block past Sunday midnight wraps to Monday
                if hi > lo:
                    changes[lo] = changes.get(lo, 0.0) + shift.staff
                    changes[hi] = changes.get(hi, 0.0) - shift.staff
    level, peak = 0.0, 0.0
    for t in sorted(changes):
        level += changes[t]
        peak = max(peak, level)
    return int(round(peak)), len(changes)


def _resource_refusals(scenario: Scenario, e: ResourceEstimate, budget: Budget, replications: int = 1,
                       workers: int = 1, held: int | None = None, runs: int = 1,
                       held_for: str | None = None) -> list[Refusal]:
    span = f"{scenario.end / WEEK:,.1f} weeks (warm-up included)"
    out = []
    if e.tickets > MAX_ARRIVALS:
        out.append(f"about {e.tickets:,.0f} contacts per replication over {span}: more than the {MAX_ARRIVALS:,} "
                   "simsla holds in memory; shorten the horizon or the warm-up, or lower the volume or the outage surge")
    if e.agents > budget.agents:
        out.append(f"{e.agents:,} agent processes (people on duty at the peak over all groups, each agent group at "
                   f"its own peak, chat agents once per session): more than {budget.agents:,.0f}; lower the shifts' "
                   "staff (blocks that overlap add up) or the agent groups' concurrency")
    if e.events > budget.events:
        out.append(f"about {e.events:,.0f} simulation events per replication ({e.describe()}): more than the "
                   f"{budget.events:,.0f} a replication may take; shorten the horizon or the warm-up, lower the volume, "
                   "or use fewer and simpler shift blocks")
    if e.memory_bytes > budget.memory_bytes:
        out.append(f"about {e.memory_bytes / 2**30:,.1f} GiB per replication ({e.describe()}): more than the "
                   f"{budget.memory_bytes / 2**30:,.1f} GiB available to it ({MEMORY_SHARE:.0%} of the free memory); "
                   f"shorten the horizon ({span}), lower the volume, or use fewer groups")
    side_by_side = max(1, min(workers, replications))
    kept = replications if held is None else max(1, min(held, replications))
    run = e.results_bytes * kept * runs + e.memory_bytes * side_by_side
    if e.memory_bytes <= budget.memory_bytes and run > budget.run_bytes:
        together = "all results held together" if held is None else f"results of {kept} held at a time"
        if runs > 1:
            together += f", {runs} runs of them side by side"
        leave_out = ""
        if held_for:
            together += f" for {held_for}"
            leave_out = f"; or leave out {held_for} (the run alone streams its tables to disk)"
        out.append(f"about {run / 2**30:,.1f} GiB for the whole run ({replications} replications, {side_by_side} at a "
                   f"time, {together}): more than the {budget.run_bytes / 2**30:,.1f} GiB available "
                   f"({RUN_MEMORY_SHARE:.0%} of the free memory); use fewer replications (-r) or workers (-w), or "
                   f"shorten the horizon{leave_out}")
    return [Refusal("resources", m) for m in out]
