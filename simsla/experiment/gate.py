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

Its checks live below it: the resource estimate and its budget in
:mod:`simsla.experiment.resources`, the named warnings (and the supplier
calendars' refusal) in :mod:`simsla.experiment.cautions`, the two kinds of
finding in :mod:`simsla.experiment.findings`; the refusals of outages,
routing loops and overload are here.  Every name is importable from this
module as before.

The order keeps the gate cheap and safe: first the resource estimate from the
scenario's own numbers (volumes x horizon including the warm-up, outage rates
and surges, shift blocks x staff, groups x hours, keys x parties), without
building anything large; only a scenario that fits goes on to the traffic
equations (:mod:`simsla.experiment.stability`), whose visits per ticket then
refine the estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from simsla.engine.arrivals import MAX_OUTAGES
from simsla.engine.replication import MAX_HOPS
from simsla.experiment.cautions import (  # noqa: F401  (part of this module's interface)
    DAYS, NEAR_CAPACITY, SLOW_EVALUATION_SECONDS, UNSTAFFED_SHARE, _backlog_warnings, _evaluation_warnings,
    _hourly_staff, _load_warnings, _open_share, _peak_month_warnings, _shift_warnings, _supplier_calendars,
    _target_warnings)
from simsla.experiment.findings import Caution, Refusal  # noqa: F401  (part of this module's interface)
from simsla.experiment.resources import (  # noqa: F401  (part of this module's interface)
    ANALYSIS_SECONDS_PER_ITEM, ANALYSIS_SECONDS_PER_TARGET, AGENT_BYTES, BASE_BYTES, DAY, EVENTS_PER_SEGMENT, HOUR,
    KEY_PARTY_BYTES, MAX_AGENTS, MAX_EVENTS, MEMORY_SHARE, OUTAGE_BYTES, RESULT_ROW_BYTES, RESULT_SEGMENT_BYTES,
    RESULT_TICKET_BYTES, RUN_MEMORY_SHARE, SEGMENT_BYTES, TICKET_BYTES, UTILIZATION_ROW_BYTES, WEEK, Budget,
    ResourceEstimate, _resource_refusals, _seat_blocks, _weekly_peak, available_memory, estimate_resources,
    redial_bound)
from simsla.experiment.stability import Flow, describe_keys, flow, load_rows, outage_cycle
from simsla.model import Scenario


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
              workers: int = 1, held: int | None = None, runs: int = 1,
              held_for: str | None = None) -> Preflight:
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
    runs
        runs of this size whose results the parent holds side by side (2:
        ``run --volume-risk``, which compares a second run without busy days
        with the first).
    held_for
        the option that makes the parent hold every table (``--report``,
        ``--volume-risk``), named in a memory refusal with the advice to
        leave it out.

    Returns
    -------
    Preflight
        refusals, warnings and the estimate; never raises for a valid scenario.
    """
    budget = budget or Budget.of_machine()
    refusals: list[Refusal] = []
    refusals += _outage_refusals(scenario)
    estimate = estimate_resources(scenario)
    refusals += _resource_refusals(scenario, estimate, budget, replications, workers, held, runs, held_for)
    if refusals:
        # too big, or never ends: solving the traffic equations could itself be too much
        return Preflight(refusals, [], estimate)
    traffic = flow(scenario)
    estimate = estimate_resources(scenario, traffic)
    refusals += _resource_refusals(scenario, estimate, budget, replications, workers, held, runs, held_for)
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


# ----------------------------------------------------------------- refusals
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
