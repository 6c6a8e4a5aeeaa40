"""One gate before simulating: everything ``validate`` and ``run`` check after loading a scenario.

``preflight(scenario)`` is the only entry point; ``simsla validate``,
``simsla run`` and the deciding commands (``staff``, ``sweep``, ``frontier``)
all call it, so whatever ``run`` refuses, ``validate`` refuses too, with the
same words.  It returns a :class:`Preflight`:

``refusals``
    what stops a run (exit 3).  Each :class:`Refusal` says whether ``--force``
    may override it (``forceable``): an overloaded queue may be simulated
    anyway (the run then reports it unstable); too much work for the machine,
    tickets trapped in a routing loop, outages that never end and a supplier
    that never works may not, since such a run could not end or could not mean
    anything.
``warnings``
    named :class:`Caution` s that may be intended but usually are not: a party
    near capacity, demand arriving while the desk has nobody on shift, calls
    that can never be answered, targets whose scope matches no demand, a
    supplier whose calendar is open so little that its tickets outlast the run.
``estimate``
    the :class:`ResourceEstimate` of one replication (tickets, segments,
    events, agent processes, memory), checked against a :class:`Budget`.

The order keeps the gate cheap and safe: first the resource estimate from the
scenario's own numbers (volumes x horizon including the warm-up, outage rates
and surges, shift blocks x staff, groups x hours, keys x parties), without
building anything large; only a scenario that fits goes on to the traffic
equations (:mod:`simsla.experiment.stability`), whose visits per ticket then
refine the estimate.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from simsla.engine.arrivals import MAX_ARRIVALS, MAX_OUTAGES, hour_of_week_weights
from simsla.engine.replication import MAX_HOPS
from simsla.engine import seasons
from simsla.engine.daily import mean_factor_quantile
from simsla.engine.tables import KeySpace
from simsla.experiment.stability import Flow, describe_keys, flow, load_rows, outage_cycle
from simsla.model import Scenario
from simsla.model.units import format_duration
from simsla.timebase import closed_dates, weekly_intervals

HOUR, DAY, WEEK = 3600.0, 86400.0, 7 * 86400.0
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

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
#: utilisation at which a party is reported as near capacity
NEAR_CAPACITY = 0.9
#: share of a stream's volume on a day without anybody at the desk that is worth a warning
UNSTAFFED_SHARE = 0.01


@dataclass(frozen=True)
class Refusal:
    """A reason not to simulate (exit 3): ``kind`` is overload, resources, routing, outages or closed."""

    kind: str
    message: str
    forceable: bool = False

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Caution:
    """A named warning about a party, stream or target (``subject``)."""

    kind: str
    subject: str
    message: str

    def __str__(self) -> str:
        return self.message


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


@dataclass(frozen=True)
class Preflight:
    """What the gate found: refusals (exit 3), named warnings, and the resource estimate."""

    refusals: list[Refusal]
    warnings: list[Caution]
    estimate: ResourceEstimate
    flow: Flow | None = field(default=None, repr=False, compare=False)

    def blocking(self, force: bool = False) -> list[Refusal]:
        """The refusals that stop a run (``force`` lifts the forceable ones)."""
        return [r for r in self.refusals if not (force and r.forceable)]


def preflight(scenario: Scenario, *, budget: Budget | None = None, replications: int = 1,
              workers: int = 1, held: int | None = None) -> Preflight:
    """Every check ``run`` makes before simulating, for ``validate`` and ``run`` alike.

    Parameters
    ----------
    scenario
        a validated scenario.
    budget
        what one replication may use; default :meth:`Budget.of_machine`.
    replications, workers
        the run's size (``simsla validate`` and ``simsla run`` both default to
        10 replications on all cores): replications run ``workers`` at a time
        and the parent holds all their results, which must fit ``run_bytes``.
    held
        replications whose results the parent holds at once when the run
        streams them to disk (``simulate(..., out=...)``); None: all of them.

    Returns
    -------
    Preflight
        refusals, warnings and the estimate; never raises for a valid scenario.
    """
    budget = budget or Budget.of_machine()
    refusals: list[Refusal] = []
    refusals += _outage_refusals(scenario)
    estimate = estimate_resources(scenario)
    refusals += _resource_refusals(scenario, estimate, budget, replications, workers, held)
    if refusals:
        # too big, or never ends: solving the traffic equations could itself be too much
        return Preflight(refusals, [], estimate)
    traffic = flow(scenario)
    estimate = estimate_resources(scenario, traffic)
    refusals += _resource_refusals(scenario, estimate, budget, replications, workers, held)
    space = traffic.space
    refusals += [Refusal("routing", trap.describe(scenario, space)) for trap in traffic.traps]
    refusals += _hop_refusals(scenario, traffic, estimate.tickets)
    load = [SimpleNamespace(**row) for row in load_rows(scenario, traffic)]
    refusals += _load_refusals(scenario, load)
    warnings = (_load_warnings(load) + _peak_month_warnings(scenario, load) + _shift_warnings(scenario)
                + _target_warnings(scenario, traffic) + _evaluation_warnings(estimate, replications)
                + _backlog_warnings(scenario))
    closed, slow = _supplier_calendars(scenario, load)
    return Preflight(refusals + closed, warnings + slow, estimate, traffic)


#: CPU seconds of target evaluation above which the gate says how long it will take
SLOW_EVALUATION_SECONDS = 60.0


def _backlog_warnings(scenario: Scenario) -> list[Caution]:
    """A backlog start needs no warm-up (the open work is the state at the start): say so when one is set.

    A backlog is entered at engine time 0, the start of the warm-up; fresh
    tickets of the warm-up are left out of the results while the backlog's
    are kept, so the measured window would start from neither state.
    """
    if not scenario.backlog or scenario.warmup <= 0:
        return []
    return [Caution("backlog-warmup", "warmup",
                    f"the scenario starts from a backlog and also has a warm-up of {format_duration(scenario.warmup)}: "
                    "the backlog is the open work at the start of the warm-up, and the warm-up's fresh tickets are "
                    "left out of the results while the backlog's are kept; set warmup: 0 (a backlog start needs "
                    "none), or `simsla run --backlog` does so")]


def _evaluation_warnings(estimate: ResourceEstimate, replications: int) -> list[Caution]:
    """Evaluating many targets over many tickets takes time after simulating: say so before it starts."""
    seconds = estimate.analysis_seconds(replications)
    if seconds < SLOW_EVALUATION_SECONDS:
        return []
    return [Caution("slow-evaluation", "agreements",
                    f"evaluating {estimate.targets} targets over about {estimate.tickets * replications:,.0f} tickets "
                    f"will take about {seconds / 60:.0f} min of CPU after the simulation; fewer targets or "
                    "replications make it quicker")]


# ---------------------------------------------------------------- resources
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
                       workers: int = 1, held: int | None = None) -> list[Refusal]:
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
    run = e.results_bytes * kept + e.memory_bytes * side_by_side
    if e.memory_bytes <= budget.memory_bytes and run > budget.run_bytes:
        together = "all results held together" if held is None else f"results of {kept} held at a time"
        out.append(f"about {run / 2**30:,.1f} GiB for the whole run ({replications} replications, {side_by_side} at a "
                   f"time, {together}): more than the {budget.run_bytes / 2**30:,.1f} GiB available "
                   f"({RUN_MEMORY_SHARE:.0%} of the free memory); use fewer replications (-r) or workers (-w), or "
                   "shorten the horizon")
    return [Refusal("resources", m) for m in out]


def _outage_refusals(scenario: Scenario) -> list[Refusal]:
    out = []
    for sv in scenario.services:
        f = sv.failures
        if f is None:
            continue
        cycle = outage_cycle(f)
        if not cycle > 0:
            out.append(Refusal("outages", f"service {sv.name!r}: outages with zero up-time and zero restore time "
                                          "would follow each other without end; give failures.time_between a positive mean"))
        elif scenario.end / cycle > MAX_OUTAGES:
            out.append(Refusal("outages", f"service {sv.name!r}: about {scenario.end / cycle:,.0f} outages per "
                                          f"replication (one every {cycle:g} s): more than {MAX_OUTAGES:,}; "
                                          "lengthen failures.time_between"))
    return out


def _hop_refusals(scenario: Scenario, traffic: Flow, tickets: float) -> list[Refusal]:
    """Loops that are left, but so rarely that some ticket would pass the engine's hop limit.

    The hops of a ticket are roughly geometric with mean m, so P(hops > MAX_HOPS)
    is about exp(-MAX_HOPS / m); over ``tickets`` tickets the chance that any
    reaches the limit stays under 1 % while m < MAX_HOPS / ln(100 x tickets).
    """
    limit = MAX_HOPS / math.log(100 * max(tickets, 1.0))
    hops = traffic.visits.sum(axis=1) - 1  # per signature: visits after the first
    worst = np.flatnonzero(hops > limit)
    if len(worst) == 0:
        return []
    mine = np.isin(traffic.signature, worst)
    return [Refusal("routing", f"tickets of {describe_keys(scenario, traffic.space, traffic.keys[mine])} pass from "
                               f"party to party about {hops[worst].max():,.0f} times on average: the engine takes a "
                               f"ticket past {MAX_HOPS:,} hand-overs for a routing loop, and among about "
                               f"{tickets:,.0f} tickets some would get there; lower the probability of the loop "
                               f"(keep the mean under {limit:,.0f} hand-overs)")]


# --------------------------------------------------------------------- load
def _load_refusals(scenario: Scenario, load) -> list[Refusal]:
    out = []
    for r in load:
        if r.stable:
            continue
        if r.capacity == 0:
            what = "nobody is on shift" if r.kind == "group" else "it has no capacity"
            message = (f"{r.party}: receives {r.visits_per_hour:.3g} visits/h but {what} during the run "
                       "(capacity 0): its tickets would wait until the end; staff it, or route its tickets elsewhere")
        else:
            message = (f"{r.party}: offered load {r.offered_erlangs:.2f} Erlang ({r.visits_per_hour:.1f} visits/h x "
                       f"{r.mean_work_seconds / 60:.1f} min of work) against a capacity of {r.capacity:.2f} "
                       f"(average headcount over the run): utilisation {r.utilization:.0%}")
        out.append(Refusal("overload", message, forceable=True))
    return out


def _load_warnings(load) -> list[Caution]:
    out = []
    for r in load:
        if r.stable and NEAR_CAPACITY <= r.utilization < 1:
            out.append(Caution("near-capacity", r.party,
                               f"{r.party}: offered load {r.offered_erlangs:.2f} Erlang against a capacity of "
                               f"{r.capacity:.2f}: utilisation {r.utilization:.0%}, close to what it can do; "
                               "queues will be long and sensitive to small changes in demand"))
        if r.note and r.capacity > 0:
            abandoned = 1 - min(1.0, r.capacity / r.offered_erlangs)
            out.append(Caution("abandonment", r.party,
                               f"{r.party}: offered load {r.offered_erlangs:.2f} Erlang against a capacity of "
                               f"{r.capacity:.2f} ({r.utilization:.0%}): only callers hanging up keep its queue "
                               f"bounded; expect at least {abandoned:.0%} of its calls to be abandoned"))
    return out


def _peak_month_warnings(scenario: Scenario, load) -> list[Caution]:
    """A volume calendar's busiest month can overload a party that keeps up on the run's average.

    The load check uses the run's average volume; here every stream's demand
    in each month is weighed by its volume, and a party whose load scaled to
    the busiest month reaches its capacity is named (its queue grows through
    that month).  The scaling assumes the streams share the party's work in
    proportion to their volume: a warning, not a refusal.
    """
    if not any(scenario.volume_calendar_of(d) is not None for d in scenario.demand):
        return []
    total = sum(d.volume for d in scenario.demand)
    if total <= 0:
        return []
    months: dict[tuple[int, int], float] = {}
    mean = 0.0
    for d in scenario.demand:
        per_month = seasons.month_factors(scenario, d)
        mean += d.volume * seasons.mean_factor(scenario, d) / total
        for key, f in per_month.items():
            months[key] = months.get(key, 0.0) + d.volume * f / total
    if not months or mean <= 0:
        return []
    (year, month), peak = max(months.items(), key=lambda kv: kv[1])
    ratio = peak / mean
    out = []
    for r in load:
        if r.stable and r.utilization < 1 <= r.utilization * ratio and not r.note:
            out.append(Caution("peak-month", r.party,
                               f"{r.party}: in {year}-{month:02d} the volume calendar puts demand {ratio - 1:.0%} above "
                               f"the run's average, so its offered load is about {r.utilization * ratio:.0%} of its "
                               "capacity that month (on average "
                               f"{r.utilization:.0%}): its queue grows through the month; staff that month or "
                               "expect its targets to be breached"))
    return out


# ------------------------------------------------------------------- shifts
def _hourly_staff(group) -> np.ndarray:
    """Agent-seconds on duty in each of the 168 hours of a group's week (holidays aside)."""
    out = np.zeros(168)
    if group.staff is not None:
        return out + group.staff * HOUR
    for shift in group.shifts or ():
        for day, start, end in shift.windows():
            a, b = day * DAY + start, day * DAY + end
            for h in range(int(a // HOUR), int(math.ceil(b / HOUR))):
                cover = min(b, (h + 1) * HOUR) - max(a, h * HOUR)
                if cover > 0:
                    out[h % 168] += shift.staff * cover
    return out


def _shift_warnings(scenario: Scenario) -> list[Caution]:
    """Demand that arrives while the desk has nobody on shift, and calls that can never be answered."""
    desk = scenario.desk
    staffed = _hourly_staff(desk) > 0
    day_staffed = staffed.reshape(7, 24).any(axis=1)
    out = []
    for d in scenario.demand:
        if d.volume <= 0:
            continue
        share = hour_of_week_weights(scenario.profile(d)) / 168.0
        patience = d.patience or (scenario.patience if d.channel == "phone" else None)
        unstaffed = float(share[~staffed].sum())
        if patience is not None and unstaffed > 0.999:
            out.append(Caution("never-answered", d.name,
                               f"demand {d.name!r}: its calls can never be answered: they arrive only while "
                               f"{desk.name!r} has nobody on shift, and callers hang up after about "
                               f"{patience.expected / 60:.1f} min"))
            continue
        days = [DAYS[k] for k in range(7) if not day_staffed[k] and share.reshape(7, 24)[k].sum() >= UNSTAFFED_SHARE]
        if days:
            on_days = float(sum(share.reshape(7, 24)[DAYS.index(k)].sum() for k in days))
            fate = "hang up unanswered" if patience is not None else "wait for the next shift"
            out.append(Caution("nobody-on-shift", d.name,
                               f"demand {d.name!r}: {on_days:.0%} of its contacts arrive on {', '.join(days)}, when "
                               f"{desk.name!r} has nobody on shift all day; they {fate} (add a shift, or give the "
                               "stream a profile without those days)"))
        elif patience is not None and unstaffed >= 0.05:
            out.append(Caution("never-answered", d.name,
                               f"demand {d.name!r}: {unstaffed:.0%} of its calls arrive in hours when {desk.name!r} has "
                               f"nobody on shift; their callers hang up after about {patience.expected / 60:.1f} min "
                               "and can never be answered"))
    return out


# ------------------------------------------------------------------ targets
def _target_warnings(scenario: Scenario, traffic: Flow) -> list[Caution]:
    """Targets whose scope matches no ticket that can arrive (they would report no breach)."""
    space = traffic.space
    index = {p: i for i, p in enumerate(scenario.parties)}
    customers = scenario.levels("customer")
    out = []
    for a in scenario.agreements:
        for t in a.targets:
            if t.metric == "availability":
                continue
            mask = space.mask(t.when)[traffic.keys]
            if a.customer is not None:
                codes = np.unravel_index(traffic.keys, space.shape)
                mask &= codes[1] == customers.index(a.customer)
            if t.metric == "answer_time":
                mask &= np.unravel_index(traffic.keys, space.shape)[3] == scenario.levels("channel").index("phone")
            weight = traffic.rate[mask]
            if a.party is not None:
                weight = weight * traffic.visits_per_key(index[a.party])[mask]
            if not weight.sum() > 0:
                where = f" that reaches {a.party!r}" if a.party is not None else ""
                out.append(Caution("target-no-demand", f"{a.name} / {t.name}",
                                   f"target {a.name} / {t.name}: no demand{where} matches its scope, so it would be "
                                   "measured on no tickets and report no breach; check its `when` (and the "
                                   "agreement's customer) against the demand streams"))
    return out


# ---------------------------------------------------------------- suppliers
def _open_share(scenario: Scenario, name: str) -> float:
    """Share of the run during which a calendar is open (its weekly hours less its holidays)."""
    cal = scenario.calendar(name)
    closed = closed_dates(cal.holidays, cal.holiday_country, cal.holiday_subdivision, scenario.origin, scenario.end)
    weekly = {day: list(windows) for day, windows in cal.weekly().items()}
    boxes = weekly_intervals(weekly, scenario.origin, scenario.end, closed=closed)
    return float((np.minimum(boxes[:, 1], scenario.end) - boxes[:, 0]).clip(0).sum() / scenario.end) if len(boxes) else 0.0


def _supplier_calendars(scenario: Scenario, load) -> tuple[list[Refusal], list[Caution]]:
    """Suppliers that hold work but never work, or work so little that their tickets outlast the run."""
    refusals, cautions = [], []
    visits = {r.party: r.visits_per_hour for r in load}
    for s in scenario.suppliers:
        if s.calendar is None or visits.get(s.name, 0.0) <= 0:
            continue
        open_share = _open_share(scenario, s.calendar)
        if open_share <= 0:
            refusals.append(Refusal("closed", f"supplier {s.name!r} receives {visits[s.name]:.3g} tickets/h but its "
                                              f"calendar {s.calendar!r} is never open during the run (none of its "
                                              "opening hours falls inside it): none of them would ever be worked and its "
                                              "contract would report no breach; give the calendar hours in the run"))
            continue
        real = (s.response.expected + s.resolution.expected) / open_share
        if real > scenario.horizon / 4:
            cautions.append(Caution("slow-calendar", s.name,
                                    f"supplier {s.name!r}: its calendar {s.calendar!r} is open "
                                    f"{open_share * WEEK / HOUR:.3g} h a week on average, so a visit takes about "
                                    f"{real / DAY:,.0f} days of real time against a horizon of "
                                    f"{scenario.horizon / DAY:,.0f} days: most of its tickets will still be open "
                                    "at the end"))
    return refusals, cautions
