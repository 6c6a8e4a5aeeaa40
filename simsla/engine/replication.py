"""One replication: a SimPy Environment, its pools and suppliers, and the ticket log.

``run(scenario, seed, replication)`` is the whole public surface: it builds
the model from plain data, runs it to the horizon and returns columns (numpy
arrays).  No files, no globals: everything random comes from
``simsla.engine.streams``.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

import numpy as np
import simpy

from simsla.engine import arrivals, streams
from simsla.engine.pool import ABANDONED, ESCALATED, OPEN, PENDING, RESOLVED, Pool, QueueOverflow
from simsla.engine.sampling import Buffer, sampler
from simsla.engine.tables import KeySpace
from simsla.engine.trend import growing_backlogs
from simsla.model import Scenario
from simsla.model.chain import RESOLVED as RESOLVED_NAME
from simsla.engine.shifts import staff_steps
from simsla.timebase import calendar_clock

#: ticket outcomes
TICKET_OUTCOMES = ("resolved", "abandoned", "open")
#: a ticket passing through more parties than this is taken as a routing loop
MAX_HOPS = 1000


@dataclass
class RunLog:
    """The raw output of one replication: columns, engine seconds, codes."""

    tickets: dict[str, np.ndarray]
    segments: dict[str, np.ndarray]
    staffing: dict[str, tuple[np.ndarray, np.ndarray]]
    stopped_at: float
    outages: dict[str, np.ndarray] = field(default_factory=dict)
    unstable: str | None = None
    stats: dict[str, float] = field(default_factory=dict)


class Replication:
    """The model of one replication; build, then ``run()``."""

    def __init__(self, scenario: Scenario, seed: int, replication: int, *, max_queue: int = 200_000):
        self.scenario, self.seed, self.replication = scenario, seed, replication
        self.env = simpy.Environment()
        space = KeySpace(scenario)
        self.outages = arrivals.outages(scenario, seed, replication)
        arr = arrivals.generate(scenario, seed, replication, self.outages)
        self.arrivals = arr
        n = len(arr["time"])
        self.n = n
        # per-ticket state in typed arrays (8 bytes a value, not a 32-byte Python float in a list):
        # this is what keeps a million tickets in memory
        self.key = _view(space.key(arr))
        self.abandon_at = _view(arr["time"] + arr["patience"])
        nan = math.nan
        self.answered = array("d", [nan]) * n
        self.abandoned_at = array("d", [nan]) * n
        self.resolved_at = array("d", [nan]) * n
        self.resolved_by = array("h", [-1]) * n
        self.hops = array("i", [0]) * n
        self.remaining: dict[int, float] = {}
        self.customer_rest: dict[int, float] = {}
        self.next_dest: dict[int, int] = {}  # destinations drawn when work started (outcome-dependent work times)
        self.active: dict[int, list] = {}
        self.seg_ticket, self.seg_party, self.seg_outcome = array("q"), array("h"), array("b")
        self.seg_enter, self.seg_start, self.seg_end = array("d"), array("d"), array("d")
        self.n_arrived = 0

        parties = scenario.parties
        self.n_groups = len(scenario.groups)
        self.party_index = {p: i for i, p in enumerate(parties)}
        self.desk_index = next(i for i, g in enumerate(scenario.groups) if g.role == "desk")

        # routing: per party, key -> rule, and per rule the destinations and their cdf
        self.route_rule: list[list[int]] = []
        self.route_dest: list[list[list[int]]] = []
        self.route_cdf: list[list[list[float]]] = []
        for p in parties:
            rules = [r for r in scenario.routing if r.source == p]
            self.route_rule.append(space.first_match([r.when for r in rules]).tolist())
            self.route_dest.append([[-1 if d == RESOLVED_NAME else self.party_index[d] for d in r.to] for r in rules])
            self.route_cdf.append([np.cumsum(list(r.to.values())).tolist() for r in rules])
        self.route_u = [Buffer(lambda rng, k: rng.uniform(size=k), streams.stream(seed, replication, streams.ROUTING, 1 + i))
                        for i in range(len(parties))]
        routing_rng = streams.stream(seed, replication, streams.ROUTING, 0)
        self.fcr_u = _view(routing_rng.uniform(size=n))
        self.first_u = _view(routing_rng.uniform(size=n))
        desk = scenario.desk
        fcr = desk.resolution_probability
        fcr_table = np.array([r.probability for r in fcr.by] + [fcr.default])
        self.fcr = fcr_table[space.first_match([r.when for r in fcr.by], default=len(fcr.by))].tolist()

        # pools
        self.pools: list[Pool] = []
        prios = len(scenario.priority_matrix.priorities)
        prio_of_key = np.unravel_index(np.arange(space.size), space.shape)
        channel_code, prio_code = prio_of_key[3], prio_of_key[4]
        phone = scenario.levels("channel").index("phone")
        self.staffing = {g.name: staff_steps(scenario, gi) for gi, g in enumerate(scenario.groups)}
        for gi, g in enumerate(scenario.groups):
            rank = prio_code.copy() if g.discipline == "priority" else np.zeros(space.size, dtype=np.int64)
            if g.phone_first:
                rank = rank + np.where(channel_code == phone, 0, prios if g.discipline == "priority" else 1)
            work = self._work_time(space, gi, arr, n)
            # one agent process per seat of the peak headcount (not the sum of all shift blocks,
            # which for many non-overlapping blocks would be processes that never work)
            seats = int(self.staffing[g.name][1].max(initial=0))
            self.pools.append(Pool(
                self, gi, g.name, seats, rank, work,
                preemptive=g.preemptive, handover=(g.at_shift_end == "handover"), is_desk=(gi == self.desk_index),
                max_queue=max_queue,
            ))
        for gi, g in enumerate(scenario.groups):
            self.env.process(self._shifts(self.pools[gi], *self.staffing[g.name]))

        # suppliers
        self.supplier_draws = []
        self.supplier_res = []
        self.supplier_clocks = []
        for si, s in enumerate(scenario.suppliers):
            rng = streams.stream(seed, replication, streams.SUPPLIERS, si)
            self.supplier_draws.append((Buffer(sampler(s.response), rng), Buffer(sampler(s.resolution), rng)))
            self.supplier_res.append(simpy.Resource(self.env, s.capacity) if s.capacity else None)
            self.supplier_clocks.append(None if s.calendar is None else calendar_clock(scenario, s.calendar))
        # customer waits: per group, (probability, uniform draws, duration draws); party index of "the customer"
        self.customer_party = len(parties)
        self.customer_wait = []
        for gi, g in enumerate(scenario.groups):
            cw = g.customer_wait
            if cw is None or cw.probability <= 0:
                self.customer_wait.append(None)
                continue
            rng = streams.stream(seed, replication, streams.CUSTOMER, gi)
            self.customer_wait.append((cw.probability, Buffer(lambda r, k: r.uniform(size=k), rng),
                                       Buffer(sampler(cw.duration), rng)))
        self.env.process(self._arrivals(_view(arr["time"])))

    def _work_time(self, space: KeySpace, gi: int, arr: dict[str, np.ndarray], n: int):
        """The work-time function of a group: per-ticket draws for the desk, buffered elsewhere.

        When a handling rule depends on whether the visit resolves the ticket,
        the destination is drawn as the work starts (kept in ``next_dest``) and
        the rule chosen with it.
        """
        handling = self.scenario.groups[gi].handling_times
        rules = handling.by
        specs = [r.time for r in rules] + [handling.default]

        def table(resolves: bool) -> np.ndarray:
            return space.first_match([r.when if r.resolves in (None, resolves) else None for r in rules],
                                     default=len(rules))

        depends = any(r.resolves is not None for r in rules)
        rng = streams.stream(self.seed, self.replication, streams.HANDLING, gi)
        if gi == self.desk_index:
            # drawn per ticket up front: the same caller gets the same talk time in every scenario (CRN)
            keys = np.asarray(self.key, dtype=np.int64)
            times = np.zeros(n)
            if n == 0:
                by_ticket = np.zeros(0, dtype=np.int64)
            elif depends:  # the desk's first visit resolves exactly when first-contact resolution says so
                resolved_here = np.asarray(self.fcr_u) < np.asarray(self.fcr)[keys]
                by_ticket = np.where(resolved_here, table(True)[keys], table(False)[keys])
            else:
                by_ticket = table(True)[keys]
            for k, spec in enumerate(specs):
                mask = by_ticket == k
                times[mask] = sampler(spec)(rng, int(mask.sum()))
            return _view(times).__getitem__
        buffers = [Buffer(sampler(spec), rng) for spec in specs]
        key = self.key
        if not depends:
            rule_list = table(True).tolist()
            return lambda tid: buffers[rule_list[key[tid]]]()
        when_resolved, when_passed = table(True).tolist(), table(False).tolist()

        def work(tid: int) -> float:
            dest = self._destination(tid, gi)
            self.next_dest[tid] = dest
            return buffers[(when_resolved if dest < 0 else when_passed)[key[tid]]]()

        return work

    # ------------------------------------------------------------------ processes
    def _arrivals(self, times: memoryview):
        env, desk = self.env, self.pools[self.desk_index]
        d = self.desk_index
        for tid, t in enumerate(times):
            if t > env.now:
                yield env.timeout(t - env.now)
            self.n_arrived = tid + 1
            self.active[tid] = [d, t, math.nan]
            desk.arrive(tid)

    def _shifts(self, pool: Pool, times: np.ndarray, levels: np.ndarray):
        env = self.env
        for t, level in zip(times.tolist(), levels.tolist()):
            if t > env.now:
                yield env.timeout(t - env.now)
            pool.set_staff(int(level))

    def _supplier(self, si: int, tid: int):
        env = self.env
        response, resolution = self.supplier_draws[si]
        res = self.supplier_res[si]
        req = None
        if res is not None:
            req = res.request()
            yield req
        clock = self.supplier_clocks[si]
        # with a calendar, the supplier's times run in its business hours
        wait = response() if clock is None else self._business_wait(clock, response())
        yield env.timeout(wait)
        self.start_work(tid, env.now)
        work = resolution() if clock is None else self._business_wait(clock, resolution())
        yield env.timeout(work)
        if req is not None:
            res.release(req)
        self.finish(tid, self.n_groups + si)

    def _business_wait(self, clock, business_seconds: float) -> float:
        """Engine seconds from now until ``business_seconds`` of a calendar's open time have passed."""
        now = self.env.now
        try:
            return clock.deadline_scalar(now, business_seconds) - now
        except ValueError:
            # not reached within the clock's range (the run's end plus a margin of months), e.g. a
            # calendar open one minute a week: the work outlasts the run and the ticket stays open
            return self.scenario.end - now + 1.0

    def split_for_customer(self, tid: int, gi: int, work: float) -> float:
        """Fresh work at a group: maybe stop half-way to wait on the customer."""
        cw = self.customer_wait[gi]
        if cw is None or cw[1]() >= cw[0]:
            return work
        self.customer_rest[tid] = work / 2
        return work / 2

    def _customer(self, tid: int, gi: int, rest: float):
        env = self.env
        start = env.now
        wait = self.customer_wait[gi][2]()
        self.active[tid] = [self.customer_party, start, start]
        yield env.timeout(wait)
        self._segment(tid, self.customer_party, start, start, env.now, ESCALATED)
        self.remaining[tid] = rest
        self.active[tid] = [gi, env.now, math.nan]
        self.pools[gi].arrive(tid)

    # ------------------------------------------------------------- bookkeeping
    def start_work(self, tid: int, t: float) -> None:
        """A party starts working on a ticket (first time at the desk = answered)."""
        state = self.active[tid]
        if state[0] == self.desk_index and self.answered[tid] != self.answered[tid]:
            self.answered[tid] = t
        state[2] = t

    def _segment(self, tid: int, party: int, enter: float, start: float, end: float, outcome: int) -> None:
        self.seg_ticket.append(tid)
        self.seg_party.append(party)
        self.seg_enter.append(enter)
        self.seg_start.append(start)
        self.seg_end.append(end)
        self.seg_outcome.append(outcome)

    def interrupt(self, tid: int, party: int, outcome: int) -> None:
        """Work on a ticket stopped (preempted or shift end); it waits again at the same party."""
        state = self.active[tid]
        now = self.env.now
        self._segment(tid, party, state[1], state[2], now, outcome)
        state[1], state[2] = now, math.nan

    def abandon(self, tid: int, party: int) -> None:
        """A caller hung up (at ``abandon_at``) while waiting."""
        state = self.active.pop(tid)
        t = self.abandon_at[tid]
        self._segment(tid, party, state[1], math.nan, t, ABANDONED)
        self.abandoned_at[tid] = t

    def finish(self, tid: int, party: int) -> None:
        """A party finished its work: resolve or pass the ticket on."""
        now = self.env.now
        state = self.active[tid]
        if tid in self.customer_rest:
            self._segment(tid, party, state[1], state[2], now, PENDING)
            self.env.process(self._customer(tid, party, self.customer_rest.pop(tid)))
            return
        dest = self.next_dest.pop(tid, None)
        if dest is None:
            dest = self._destination(tid, party)
        if dest < 0:
            self._segment(tid, party, state[1], state[2], now, RESOLVED)
            del self.active[tid]
            self.resolved_at[tid] = now
            self.resolved_by[tid] = party
            return
        self._segment(tid, party, state[1], state[2], now, ESCALATED)
        self.hops[tid] += 1
        if self.hops[tid] > MAX_HOPS:
            raise RuntimeError(f"ticket {tid} passed {MAX_HOPS} parties: the routing loops")
        state[0], state[1], state[2] = dest, now, math.nan
        if dest < self.n_groups:
            self.pools[dest].arrive(tid)
        else:
            self.env.process(self._supplier(dest - self.n_groups, tid))

    def _destination(self, tid: int, party: int) -> int:
        """Next party index, or -1 for resolved."""
        key = self.key[tid]
        if party == self.desk_index and self.hops[tid] == 0:
            if self.fcr_u[tid] < self.fcr[key]:
                return -1
            u = self.first_u[tid]
        else:
            u = self.route_u[party]()
        rule = self.route_rule[party][key]
        if rule < 0:
            return -1
        cdf = self.route_cdf[party][rule]
        dests = self.route_dest[party][rule]
        for k, c in enumerate(cdf):
            if u < c:
                return dests[k]
        return dests[-1]

    # ---------------------------------------------------------------------- run
    def run(self) -> RunLog:
        """Simulate to the end of the horizon (or until a queue overflows)."""
        end = self.scenario.end
        unstable = None
        try:
            self.env.run(until=end)
            stop = end
        except QueueOverflow as overflow:
            unstable = str(overflow)
            stop = self.env.now
        for tid, (party, enter, start) in list(self.active.items()):
            if party == self.desk_index and self.abandon_at[tid] <= stop and self.answered[tid] != self.answered[tid]:
                self.abandon(tid, party)
            else:
                self._segment(tid, party, enter, start, math.nan, OPEN)
        if unstable is None:
            # the hard bound catches only the fastest-growing queues; a slower one shows in its trend
            growing = growing_backlogs(list(self.scenario.parties), np.frombuffer(self.seg_party, dtype=np.int16),
                                       np.frombuffer(self.seg_enter), np.frombuffer(self.seg_end),
                                       self.scenario.warmup, stop)
            unstable = "; ".join(growing) or None
        return self._log(stop, unstable)

    def _log(self, stop: float, unstable: str | None) -> RunLog:
        n = self.n_arrived
        arr = self.arrivals
        tickets = {name: col[:n] for name, col in arr.items() if name != "patience"}
        # views on the engine's arrays (no copy: the replication is done with them)
        tickets["answered"] = np.frombuffer(self.answered, dtype=np.float64)[:n]
        tickets["abandoned"] = np.frombuffer(self.abandoned_at, dtype=np.float64)[:n]
        tickets["resolved"] = np.frombuffer(self.resolved_at, dtype=np.float64)[:n]
        tickets["resolved_by"] = np.frombuffer(self.resolved_by, dtype=np.int16)[:n]
        outcome = np.full(n, 2, dtype=np.int8)
        outcome[~np.isnan(tickets["resolved"])] = 0
        outcome[~np.isnan(tickets["abandoned"])] = 1
        tickets["outcome"] = outcome
        raw = {
            "ticket": (self.seg_ticket, np.int64), "party": (self.seg_party, np.int16),
            "enter": (self.seg_enter, np.float64), "start": (self.seg_start, np.float64),
            "end": (self.seg_end, np.float64), "outcome": (self.seg_outcome, np.int8),
        }
        order = np.lexsort((np.frombuffer(self.seg_enter), np.frombuffer(self.seg_ticket, dtype=np.int64)))
        segments = {}
        for name, (column, dtype) in raw.items():  # one column at a time: peak memory is one extra column
            segments[name] = np.frombuffer(column, dtype=dtype)[order]
        del raw
        self.seg_ticket = self.seg_party = self.seg_enter = self.seg_start = self.seg_end = self.seg_outcome = None
        return RunLog(tickets, segments, self.staffing, stop, self.outages, unstable)


def _view(values: np.ndarray) -> memoryview:
    """Read-only per-ticket data as a memoryview: indexing gives plain Python numbers, without a copy."""
    return memoryview(np.ascontiguousarray(values))


def run(scenario: Scenario, seed: int, replication: int, *, max_queue: int = 200_000) -> RunLog:
    """Simulate one replication of a scenario and return its log."""
    return Replication(scenario, seed, replication, max_queue=max_queue).run()
