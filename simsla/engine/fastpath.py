"""The first-come-first-served fast path: a desk simulated by recursion, not by SimPy events.

Where a scenario is a plain multi-server queue — one group, the desk,
resolving every contact at first contact, a constant headcount, one queue
rank, no interruptions — the general engine's SimPy processes compute what
the earliest-free-agent (Kiefer–Wolfowitz) recursion computes directly:
taken in arrival order, a ticket starts at the later of its arrival and the
earliest time an agent is free, and that agent is then free at start + work.
``run`` does that with ``heapq`` over the agents' free times, and builds a
``RunLog`` identical to the general engine's for the same scenario and seed:
same columns, dtypes and values, bit for bit
(``tests/test_engine_fastpath.py`` compares them ticket for ticket).

Why the results are the same, not merely alike:

* **The same random numbers.**  Arrivals come from ``arrivals.generate``
  (outages and their surges included) and the desk's work times from
  ``handling.work_time``, which draws them up front per ticket; the router's
  uniforms are not needed (first-contact resolution 1 resolves whatever they
  are), so they are not drawn.
* **The same floats.**  SimPy's clock is a sum: an arrival process at
  ``now`` waits ``t - now`` and wakes at ``now + (t - now)``, which is not
  always ``t``; an agent that starts at ``s`` ends at ``s + work``.  Both
  sums are made here in the same order (``_clock``, the recursion).
* **The same ties.**  Events at the horizon are not processed (SimPy's stop
  event is urgent): a ticket that would arrive, start or end exactly at the
  stop does not.  An agent free *before* an arrival takes it at once; a
  caller who had to wait is skipped when an agent would take them if their
  ``abandon_at <= now`` (the general engine's lazy abandonment).  An agent
  freed at the very instant a caller arrives takes the caller at that
  instant either way; only whether that caller is first checked for having
  hung up depends on SimPy's event order, and it matters only for a
  patience that rounds to zero — then the general engine is run instead.
* **The same stop and warnings.**  Callers still waiting at the horizon
  hang up there if their ``abandon_at`` has passed (``Ledger.close``), the
  rest stay open; backlog trends are checked by ``trend.growing_backlogs``
  on the segments in the order the ledger appends them.  A queue that could
  outgrow ``max_queue`` (an upper bound on the general engine's count, lazily
  kept callers included) is left to the general engine, which stops it
  exactly where it would.

One caveat on that last order: when segments are logged at the very same
instant (a completion and the hang-ups the freed agent skips, with several
agents freed together) the ledger's order among them follows SimPy's event
ids, approximated here by ticket number.  Arrivals from Poisson streams
never tie like that; arrivals forced onto a time grid with deterministic
work and patience do, and there the order can differ (the test checks the
order exactly where nothing ties).  The backlog sums may then differ in
their last bit, which could change the instability message only for a t
statistic or a printed mean within rounding of a threshold or a half.

``applies(scenario)`` says why the fast path does not apply (None: it
does); ``chosen`` is what ``replication.run`` asks, and honours
``SIMSLA_FAST_PATH=0`` in the environment (the general engine only, as the
benchmark's second line).
"""

from __future__ import annotations

import heapq
import logging
import math
import os

import numpy as np

from simsla.engine import arrivals
from simsla.engine.handling import work_time
from simsla.engine.ledger import ABANDONED, OPEN, RESOLVED, RunLog
from simsla.engine.shifts import staff_steps
from simsla.engine.tables import KeySpace
from simsla.engine.trend import growing_backlogs
from simsla.model import Scenario

#: set to 0 (or off, no, false) to run every scenario through the general engine
ENV = "SIMSLA_FAST_PATH"
_OFF = {"0", "off", "no", "false"}

logger = logging.getLogger(__name__)


class _Fallback(Exception):
    """This replication is left to the general engine (a tie of SimPy event order, a queue past its bound)."""


def applies(scenario: Scenario) -> str | None:
    """Why the recursion cannot stand in for the general engine on this scenario; None if it can.

    Each condition keeps the desk a plain first-come-first-served queue of
    identical agents, whose one decision is when a ticket starts:

    * one group and no suppliers or routing rules: no ticket leaves the desk;
    * first-contact resolution 1 for every ticket: every desk visit resolves;
    * a constant ``staff`` (no shifts) above 0: the agents are always the same;
    * no agent groups: every agent takes every ticket, at the same pace;
    * not preemptive, no customer waits: work, once started, runs to its end;
    * no phone lines, redials or callbacks: a contact simply arrives and waits;
    * no backlog start (its tickets enter at time 0, not at their arrival times);
    * a single queue rank among the channels that arrive (``discipline: fifo``
      or one priority, and ``phone_first`` with one channel or none): the
      queue is served in arrival order.

    Patience (callers hanging up), outages with surges and major incidents,
    warm-up, busy days and volume calendars all apply: they change only
    which tickets arrive when, or are the lazy abandonment modelled here.
    """
    if len(scenario.groups) != 1:
        return "more than one group: tickets may move between groups"
    if scenario.suppliers:
        return "suppliers"
    if scenario.routing:
        return "routing rules"
    g = scenario.groups[0]
    fcr = g.resolution_probability
    if fcr.default < 1 or any(r.probability < 1 for r in fcr.by):
        return "first-contact resolution below 1: the desk escalates"
    if g.agents is not None:
        return "agent groups (skills): agents differ in what they take"
    if g.staff is None:
        return "shifts: the headcount changes over time"
    if g.staff == 0:
        return "staff 0: nobody answers"
    if g.preemptive:
        return "preemption"
    if g.customer_wait is not None:
        return "customer waits: work stops half-way"
    if g.lines is not None:
        return "phone lines (busy signals)"
    if g.callback is not None:
        return "callbacks"
    if scenario.redials is not None:
        return "redials"
    if any(e.size for e in scenario.backlog):
        return "a backlog start: open tickets enter at time 0, before their arrival times"
    if len(_ranks(scenario)) > 1:
        return "priority ordering: tickets that arrive have different queue ranks (discipline or phone_first)"
    return None


def _ranks(scenario: Scenario) -> set[int]:
    """The desk's queue ranks of the keys whose channel can arrive (demand streams; outage calls are phone)."""
    from simsla.engine.replication import _rank  # (replication imports this module)

    space = KeySpace(scenario)
    channels = scenario.levels("channel")
    used = {channels.index(d.channel) for d in scenario.demand}
    if any(s.failures is not None for s in scenario.services):
        used.add(channels.index("phone"))
    channel = np.unravel_index(np.arange(space.size), space.shape)[3]
    rank = np.asarray(_rank(scenario, space, 0))
    return set(rank[np.isin(channel, list(used))].tolist())


def chosen(scenario: Scenario, fast: bool = True) -> bool:
    """Whether ``replication.run`` takes the fast path (asked for, not switched off, and it applies)."""
    if not fast or os.environ.get(ENV, "1").strip().lower() in _OFF:
        return False
    why = applies(scenario)
    if why is not None:
        logger.debug("general engine for %r: %s", scenario.name, why)
        return False
    return True


class _Desk:
    """The router as ``handling.work_time`` sees it: with first-contact resolution 1 every desk visit resolves."""

    desk = 0

    @staticmethod
    def first_contact_resolved(keys: np.ndarray) -> np.ndarray:
        # Router's test is ``uniform < 1.0``, true for every uniform in [0, 1)
        return np.ones(len(keys), dtype=bool)


def run(scenario: Scenario, seed: int, replication: int, *, max_queue: int = 200_000) -> RunLog:
    """One replication by recursion; the same ``RunLog`` as ``replication.Replication(...).run()``.

    Parameters
    ----------
    scenario
        a scenario for which ``applies`` is None.
    seed, replication
        root seed and replication index (which random numbers).
    max_queue
        the general engine's bound on a queue; a run that might reach it is left to the general engine.
    """
    try:
        return _run(scenario, seed, replication, max_queue)
    except _Fallback as why:
        logger.debug("general engine for %r: %s", scenario.name, why)
        from simsla.engine.replication import Replication

        return Replication(scenario, seed, replication, max_queue=max_queue).run()


def _clock(t: np.ndarray) -> np.ndarray:
    """SimPy's clock at each arrival: the arrivals process wakes at ``now + (t - now)``, not always at ``t``.

    If each previous clock equals its arrival time, each ``prev + (t - prev)``
    computed at once is the clock (by induction); when one of them is not
    ``t`` (rounding, rare), the sums are made one by one as SimPy makes them.
    """
    if len(t) == 0:
        return t
    prev = np.concatenate([[0.0], t[:-1]])
    clock = np.where(t > prev, prev + (t - prev), prev)
    if np.array_equal(clock, t):
        return t
    now, out = 0.0, []
    for x in t.tolist():
        if x > now:
            now = now + (x - now)
        out.append(now)
    return np.asarray(out)


def _run(scenario: Scenario, seed: int, replication: int, max_queue: int) -> RunLog:
    sc = scenario
    end = sc.end
    space = KeySpace(sc)
    outages = arrivals.outages(sc, seed, replication)
    arr = arrivals.generate(sc, seed, replication, outages)
    time = arr["time"]
    clock = _clock(time)
    n = int(np.searchsorted(clock, end, side="left"))  # the arrivals processed before the stop event
    key = space.key(arr)
    # the general engine's own draw (HANDLING stream, rule by rule), as the array its lookup indexes
    work = np.asarray(work_time(sc, space, 0, key, _Desk(), seed, replication).__self__)[:n]
    abandon_at = (time + arr["patience"])[:n]  # as Contacts computes it
    impatient = bool(np.isfinite(arr["patience"]).any())
    start, popped, waiting_from = _recursion(clock[:n], work, abandon_at if impatient else None,
                                             int(sc.groups[0].staff), end)
    _check_queue(clock[:n], start, popped, waiting_from, max_queue)
    tickets = {name: col[:n] for name, col in arr.items() if name != "patience"}
    del arr, clock, key  # (a million tickets: every column freed early lowers the peak the benchmark bounds)

    finish = start + work
    del work
    resolved = finish < end  # (NaN compares False) a completion at the stop is not processed
    # hung up: skipped when an agent would have taken them, or still waiting at the stop once abandon_at passed
    hung_up = ~np.isnan(popped) & np.isnan(start)
    late = np.zeros(n, dtype=bool)
    late[waiting_from:] = abandon_at[waiting_from:] <= end
    abandoned = hung_up | late
    del late
    # the ledger's append order: completions and skipped callers as they happen, the rest at the stop
    order = np.argsort(np.where(resolved, finish, np.where(hung_up, popped, np.inf)), kind="stable")
    del popped, hung_up

    tickets["answered"] = start
    tickets["abandoned"] = np.where(abandoned, abandon_at, np.nan)
    tickets["resolved"] = np.where(resolved, finish, np.nan)
    tickets["resolved_by"] = np.where(resolved, 0, -1).astype(np.int16)
    outcome = np.full(n, 2, dtype=np.int8)
    outcome[resolved] = 0
    outcome[abandoned] = 1
    tickets["outcome"] = outcome

    seg_end = np.where(resolved, finish, np.where(abandoned, abandon_at, np.nan))
    del finish, abandon_at
    seg_outcome = np.full(n, OPEN, dtype=np.int8)
    seg_outcome[resolved] = RESOLVED
    seg_outcome[abandoned] = ABANDONED
    del resolved, abandoned
    segments = {"ticket": np.arange(n, dtype=np.int64), "party": np.zeros(n, dtype=np.int16),
                "enter": time[:n].copy(), "start": start.copy(), "end": seg_end, "outcome": seg_outcome}
    del time

    parties = segments["party"][order]
    enter, left = segments["enter"][order], seg_end[order]
    del order
    growing = growing_backlogs(list(sc.parties), parties, enter, left, sc.warmup, end)
    del parties, enter, left
    staffing = {g.name: staff_steps(sc, gi) for gi, g in enumerate(sc.groups)}
    return RunLog(tickets, segments, staffing, end, outages, "; ".join(growing) or None)


#: tickets per block of the recursion: its Python lists (32 bytes a float) stay a few MiB, not 100s
_BLOCK = 1 << 16


def _recursion(arrive: np.ndarray, work: np.ndarray, abandon_at: np.ndarray | None, staff: int,
               end: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Earliest-free-agent recursion over the tickets in arrival order, block by block.

    Parameters
    ----------
    arrive
        SimPy's clock at each arrival (``_clock``), all before ``end``.
    work
        each ticket's work time.
    abandon_at
        each caller's arrival + patience; None when nobody hangs up.
    staff
        agents, all free from time 0.
    end
        the stop: nothing at or after it happens.

    Returns
    -------
    start
        per ticket, when an agent took it (NaN: never, before the stop).
    popped
        per ticket that waited, when an agent reached it in the queue (NaN: it did not wait, or no agent
        reached it before the stop); a caller reached after hanging up has a ``popped`` and no ``start``.
    waiting_from
        from this ticket on, every ticket was still waiting at the stop.
    """
    n = len(arrive)
    start, popped = np.full(n, np.nan), np.full(n, np.nan)
    free = [0.0] * staff  # a heap of the agents' free times, carried from block to block
    for lo in range(0, n, _BLOCK):
        hi = min(n, lo + _BLOCK)
        s, p = [math.nan] * (hi - lo), [math.nan] * (hi - lo)
        done = _block(arrive[lo:hi].tolist(), work[lo:hi].tolist(),
                      None if abandon_at is None else abandon_at[lo:hi].tolist(), free, end, s, p)
        start[lo:hi], popped[lo:hi] = s, p
        if done < hi - lo:
            return start, popped, lo + done
    return start, popped, n


def _block(arrive: list[float], work: list[float], abandon_at: list[float] | None, free: list[float],
           end: float, start: list[float], popped: list[float]) -> int:
    """One block of the recursion (``free`` updated in place); the first ticket still waiting at the stop."""
    replace = heapq.heapreplace
    if abandon_at is None:
        for i, a in enumerate(arrive):
            f = free[0]
            if f < a:
                start[i] = a
                replace(free, a + work[i])
            elif f < end:  # (f == a too: taken at that instant whatever SimPy's event order)
                start[i] = popped[i] = f
                replace(free, f + work[i])
            else:
                return i
        return len(arrive)
    for i, a in enumerate(arrive):
        f = free[0]
        if f < a:  # an agent is already free: the caller is answered on arrival, never checked for patience
            start[i] = a
            replace(free, a + work[i])
            continue
        if f >= end:
            return i
        gone = abandon_at[i] <= f
        if gone and f == a:  # whether they are checked depends on SimPy's event order
            raise _Fallback(f"a patience of zero at the instant an agent is freed (t={a})")
        popped[i] = f
        if not gone:
            start[i] = f
            replace(free, f + work[i])
    return len(arrive)


def _check_queue(arrive: np.ndarray, start: np.ndarray, popped: np.ndarray, waiting_from: int,
                 max_queue: int) -> None:
    """Leave the run to the general engine if its queue might pass ``max_queue`` (it stops the run there).

    The general engine counts, as each ticket joins the queue, the tickets
    queued and not yet taken from it (callers who hung up stay until an agent
    reaches them).  Counting every ticket reached at or after that instant,
    and every one still waiting at the stop, bounds that count from above.
    """
    queued = ~np.isnan(popped)
    queued[waiting_from:] = True
    if int(queued.sum()) <= max_queue:
        return
    reached = np.where(np.isnan(popped), np.inf, popped)[queued]  # in queue order, non-decreasing
    at = arrive[queued]
    length = np.arange(1, len(at) + 1) - np.searchsorted(reached, at, side="left")
    if int(length.max()) > max_queue:
        raise _Fallback(f"the desk's queue may pass {max_queue} tickets")
