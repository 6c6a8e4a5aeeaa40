"""One replication: the parts of the engine wired on one SimPy environment.

``run(scenario, seed, replication)`` is the whole public surface: it builds
the model from plain data, runs it to the horizon and returns a ``RunLog``
of columns (numpy arrays).  No files, no globals: everything random comes
from ``simsla.engine.streams``.  ``Replication`` is the wiring (see the
package docstring, ``simsla/engine/__init__.py``): the arrivals, the ledger,
the router, the parties, and the dispatcher that, when a party is done with
a ticket, asks the router where it goes and offers it there.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush

import numpy as np
import simpy

from simsla.engine import arrivals, fastpath, streams
from simsla.engine.alarms import NORMAL, URGENT, Alarm
from simsla.engine.backlog import BACKLOG
from simsla.engine.callbacks import Callbacks
from simsla.engine.callers import Callers
from simsla.engine.contacts import Contacts
from simsla.engine.handling import work_time
from simsla.engine.ledger import TICKET_OUTCOMES, Ledger, RunLog  # noqa: F401  (part of this module's interface)
from simsla.engine.loop import run_until
from simsla.engine.parties import CustomerWait, Supplier
from simsla.engine.pool import AgentGroup, QueueOverflow
from simsla.engine.router import MAX_HOPS, Router  # noqa: F401
from simsla.engine.sampling import Buffer, sampler
from simsla.engine.selection import Patience, PriorityQueues, Seats, SelectionFactory
from simsla.engine.shifts import staff_steps
from simsla.engine.skills import SkillQueues
from simsla.engine.teams import SkilledGroup, seat_work, skilled_group
from simsla.engine.tables import KeySpace
from simsla.engine.trend import growing_backlogs
from simsla.model import Scenario
from simsla.timebase import calendar_clock


class Replication:
    """The model of one replication; build, then ``run()``.

    Parameters
    ----------
    scenario
        the scenario.
    seed, replication
        root seed and replication index (which random numbers).
    max_queue
        a queue longer than this stops the run as unstable.
    selection
        builds each agent group's matching policy (``simsla.engine.selection``); default ``PriorityQueues``.
    """

    def __init__(self, scenario: Scenario, seed: int, replication: int, *, max_queue: int = 200_000,
                 selection: SelectionFactory = PriorityQueues):
        self.scenario, self.seed, self.replication = scenario, seed, replication
        self.selection = selection
        self.env = simpy.Environment()
        space = KeySpace(scenario)
        self.outages = arrivals.outages(scenario, seed, replication)
        self.arrivals = arr = arrivals.generate(scenario, seed, replication, self.outages)
        # a backlog start: where each open ticket is at time 0 (the first ``len(self.backlog)`` tickets)
        party = arr.pop("party", None)
        self.backlog = party[arr["contact"] == BACKLOG].tolist() if party is not None else []
        self.contacts = contacts = Contacts(scenario, space, arr, seed, replication)
        key = contacts.key
        self.desk = next(i for i, g in enumerate(scenario.groups) if g.role == "desk")
        self.ledger = Ledger(contacts, self.desk, teams=any(g.agents for g in scenario.groups),
                             callbacks=scenario.groups[self.desk].callback is not None)
        self.callbacks: Callbacks | None = None
        self.router = Router(scenario, space, key, seed, replication)
        if scenario.redials is not None:  # a redial's rows: the ledger's, the router's, then the groups'
            contacts.growers += [self.ledger.grow, lambda tid: self.router.grow(contacts.rng_routing)]
        self.finish = self._dispatcher()
        self.staffing = {g.name: staff_steps(scenario, gi) for gi, g in enumerate(scenario.groups)}
        impatient = bool(np.isfinite(arr["patience"]).any())
        # the order of construction is the order of SimPy's start-up events: agents, shifts, arrivals
        self.skilled: dict[int, SkilledGroup] = {}
        self.pools = [self._group(space, gi, key, impatient, max_queue) for gi in range(len(scenario.groups))]
        for gi, g in enumerate(scenario.groups):
            if gi in self.skilled:  # each agent group follows its own shift blocks
                for j, steps in enumerate(self.skilled[gi].steps):
                    self.env.process(self._shifts(self.pools[gi], *steps, team=j))
            else:
                self.env.process(self._shifts(self.pools[gi], *self.staffing[g.name]))
        self.suppliers = [self._supplier(si) for si in range(len(scenario.suppliers))]
        self.offers: list[Callable[[int], None]] = [p.offer for p in self.pools] + [s.offer for s in self.suppliers]
        self.callers = self._callers(space)
        if self.callbacks is not None:  # an open ticket of the backlog is no caller on hold: no callback offer
            self.callbacks.backlog = len(self.backlog)
        self._arrivals(memoryview(np.ascontiguousarray(arr["time"])))

    # ------------------------------------------------------------ parts
    def _group(self, space: KeySpace, gi: int, key: memoryview, impatient: bool, max_queue: int) -> AgentGroup:
        """An agent group with its selection, work times and customer wait."""
        g = self.scenario.groups[gi]
        if g.agents:
            return self._skilled_group(space, gi, key, impatient, max_queue)
        # one agent process per seat of the peak headcount (not the sum of all shift blocks,
        # which for many non-overlapping blocks would be processes that never work)
        seats = Seats(int(self.staffing[g.name][1].max(initial=0)))
        patience = self._patience(gi, impatient)
        extra = {"callbacks": True} if g.callback is not None else {}
        selection = self.selection(seats, _rank(self.scenario, space, gi), key, preemptive=g.preemptive,
                                   patience=patience, **extra)
        customer = self._customer_wait(gi)
        work = work_time(self.scenario, space, gi, key, self.router, self.seed, self.replication, self.contacts)
        work, done = self._callbacks(space, gi, selection, seats, work)
        group = AgentGroup(self.env, self.ledger, gi, g.name, seats, selection, work, done,
                           handover=(g.at_shift_end == "handover"), customer=customer, max_queue=max_queue)
        self._wire_callbacks(group)
        if customer is not None:
            customer.back = group.offer
        return group

    def _callbacks(self, space: KeySpace, gi: int, selection, seats: Seats, work):
        """The desk's callbacks, if it offers them: its work time and completion wrapped."""
        g = self.scenario.groups[gi]
        if g.callback is None:
            return work, self.finish
        rules = g.handling_times
        means = np.array([r.time.expected for r in rules.by] + [rules.default.expected])
        mean_work = means[space.first_match([r.when for r in rules.by], default=len(rules.by))].tolist()
        rng = streams.stream(self.seed, self.replication, streams.CALLBACKS, 0)
        uniform = lambda r, k: r.uniform(size=k)  # noqa: E731
        self.callbacks = cb = Callbacks(self.env, self.ledger, g.callback, selection, seats, self.contacts.key,
                                        self.contacts.abandon_at, mean_work, _phone_keys(self.scenario, space),
                                        Buffer(uniform, rng),
                                        Buffer(uniform, streams.stream(self.seed, self.replication,
                                                                       streams.CALLBACKS, 1)))
        return cb.work(work), cb.done(self.finish)

    def _wire_callbacks(self, group: AgentGroup) -> None:
        if self.callbacks is not None and group.index == self.desk:
            self.callbacks.offer = group.offer
            group.on_wait.insert(0, self.callbacks.consider)  # before anyone watches the caller hang up

    def _callers(self, space: KeySpace) -> Callers | None:
        """Lines and redials at the desk (None: contacts simply arrive)."""
        sc = self.scenario
        lines = sc.groups[self.desk].lines
        if lines is None and sc.redials is None:
            return None
        channels = sc.levels("channel")
        phone = np.unravel_index(np.arange(space.size), space.shape)[3] == channels.index("phone")
        callers = Callers(self.env, self.ledger, self.contacts, self.desk, self.pools[self.desk].offer, lines,
                          phone.tolist())
        if self.callbacks is not None:
            callers.called_back = self.callbacks.accepted
            self.callbacks.line_free = callers.left
        if callers.watch:
            self.pools[self.desk].on_wait.append(callers.waits)
        return callers

    def _patience(self, gi: int, impatient: bool) -> Patience | None:
        if gi != self.desk or not impatient:  # callers hang up only while waiting for the desk
            return None
        ledger = self.ledger
        return Patience(ledger.abandon_at, ledger.answered, lambda: self.env._now, lambda tid: ledger.hung_up(tid, gi))

    def _skilled_group(self, space: KeySpace, gi: int, key: memoryview, impatient: bool,
                       max_queue: int) -> AgentGroup:
        """A group with agent groups: seats per agent group, skill queues, per-seat work times."""
        g = self.scenario.groups[gi]
        skilled = self.skilled[gi] = skilled_group(self.scenario, space, gi, np.array(key, dtype=np.int64),
                                                   self.seed, self.replication, self.contacts)
        seats = Seats(len(skilled.teams.team))
        policy = g.selection
        selection = SkillQueues(seats, skilled.teams, skilled.need, _rank(self.scenario, space, gi), key,
                                skilled.is_phone, agent_policy=policy.agent if policy else "longest-idle",
                                item_policy=policy.item if policy else "priority",
                                overflow_after=float(policy.overflow_after) if policy else 0.0,
                                reserve=policy.reserve if policy else 0, now=lambda: self.env.now,
                                patience=self._patience(gi, impatient), callbacks=g.callback is not None)
        customer = self._customer_wait(gi)
        base = work_time(self.scenario, space, gi, key, self.router, self.seed, self.replication, self.contacts)
        base, done = self._callbacks(space, gi, selection, seats, base)
        teams = (skilled.ranges, seat_work(base, skilled, self.scenario, gi, seats),
                 [t.concurrency for t in g.agents], skilled.codes)
        group = AgentGroup(self.env, self.ledger, gi, g.name, seats, selection, base, done,
                           handover=(g.at_shift_end == "handover"), customer=customer, max_queue=max_queue,
                           teams=teams)
        self._wire_callbacks(group)
        if customer is not None:
            customer.back = group.offer
        return group

    def _customer_wait(self, gi: int) -> CustomerWait | None:
        cw = self.scenario.groups[gi].customer_wait
        if cw is None or cw.probability <= 0:
            return None
        rng = streams.stream(self.seed, self.replication, streams.CUSTOMER, gi)
        return CustomerWait(self.env, self.ledger, len(self.scenario.parties), gi, cw.probability,
                            Buffer(lambda r, k: r.uniform(size=k), rng), Buffer(sampler(cw.duration), rng))

    def _supplier(self, si: int) -> Supplier:
        s = self.scenario.suppliers[si]
        rng = streams.stream(self.seed, self.replication, streams.SUPPLIERS, si)
        clock = None if s.calendar is None else calendar_clock(self.scenario, s.calendar)
        return Supplier(self.env, self.ledger, len(self.scenario.groups) + si, Buffer(sampler(s.response), rng),
                        Buffer(sampler(s.resolution), rng), s.capacity, clock, self.scenario.end, self.finish)

    def _dispatcher(self) -> Callable[[int, int], None]:
        """``done(ticket, party)`` for every party: resolve, or pass on to where the router says."""
        env, ledger, router = self.env, self.ledger, self.router
        next_party, resolve, pass_on, hop = router.next, ledger.resolve, ledger.pass_on, router.hop

        desk = self.desk
        sc = self.scenario

        def finish(tid: int, party: int) -> None:
            now = env._now  # (SimPy's clock read directly: ``env.now`` is a Python property call)
            dest = next_party(tid, party)
            if dest < 0:
                resolve(tid, party, now)
                return
            pass_on(tid, party, dest, now)
            hop(tid)
            self.offers[dest](tid)

        if sc.groups[desk].lines is None and sc.redials is None:
            return finish

        def finish_and_free_the_line(tid: int, party: int) -> None:
            if party == desk:
                self.callers.left(tid)  # (built after the parties that call this)
            finish(tid, party)

        return finish_and_free_the_line

    # ------------------------------------------------------------ processes
    def _arrivals(self, times: memoryview) -> None:
        """The arrivals, each offered at the desk at its time: one alarm, set again for the next."""
        env, arrive, offer, desk = self.env, self.ledger.arrive, self.pools[self.desk].offer, self.desk
        ledger_arrive = arrive
        if self.callers is not None:  # lines and redials: each contact through the desk's door
            arrive, offer = lambda tid, _desk, t: self.callers.admit(tid, t), lambda tid: None
        n, tid = len(times), len(self.backlog)
        queue, eid = env._queue, env._eid

        def due(alarm: Alarm) -> None:
            nonlocal tid
            if alarm.value:  # the start: open at the start, each at its party (its clock ran before)
                alarm.value = None
                for b, party in enumerate(self.backlog):
                    ledger_arrive(b, party, 0.0)  # not through the desk's lines: an open ticket is no call on hold
                    self.offers[party](b)
            now = env._now
            while tid < n:
                t = times[tid]
                if t > now:
                    alarm.callbacks = again  # ``alarm.set(t - now)`` written out: this runs once per arrival
                    heappush(queue, (now + (t - now), NORMAL, next(eid), alarm))  # as ``env.schedule`` adds
                    return
                i = tid
                tid += 1  # before the offer: a full queue stops the run from inside it
                arrive(i, desk, t)
                offer(i)

        again = [due]
        Alarm(env, due).set(0, True, URGENT)  # started as a SimPy process would be

    def _shifts(self, group: AgentGroup, times: np.ndarray, levels: np.ndarray, team: int = -1):
        env = self.env
        for t, level in zip(times.tolist(), levels.tolist()):
            if t > env.now:
                yield env.timeout(t - env.now)
            group.set_staff(int(level), team)

    # ------------------------------------------------------------ run
    def run(self) -> RunLog:
        """Simulate to the end of the horizon (or until a queue overflows)."""
        end = self.scenario.end
        unstable = None
        try:
            run_until(self.env, end)
            stop = end
        except QueueOverflow as overflow:
            unstable = str(overflow)
            stop = self.env.now
        self.ledger.close(stop)
        if unstable is None:
            # the hard bound catches only the fastest-growing queues; a slower one shows in its trend
            party, enter, left = self.ledger.segment_columns()
            growing = growing_backlogs(list(self.scenario.parties), party, enter, left, self.scenario.warmup, stop)
            unstable = "; ".join(growing) or None
        log = self.ledger.log(stop, unstable, self.staffing, self.outages)
        rows = self.contacts.renumber(self.ledger.arrived)
        for gi, skilled in self.skilled.items():  # the skill each ticket needed, by the log's ticket numbers
            need = np.asarray(skilled.need, dtype=np.int64)
            ids = rows(np.arange(len(need)))
            kept = ids < len(log.tickets["time"])
            out = np.full(len(log.tickets["time"]), -1, dtype=np.int16)
            out[ids[kept]] = need[kept]
            log.needs[self.scenario.groups[gi].name] = out
        return log


def _rank(scenario: Scenario, space: KeySpace, gi: int) -> list[int]:
    """Per key, a group's queue rank: priority under ``discipline: priority``, then phone first if asked."""
    g = scenario.groups[gi]
    prios = len(scenario.priority_matrix.priorities)
    codes = np.unravel_index(np.arange(space.size), space.shape)
    channel_code, prio_code = codes[3], codes[4]
    rank = prio_code.copy() if g.discipline == "priority" else np.zeros(space.size, dtype=np.int64)
    if g.phone_first:
        phone = scenario.levels("channel").index("phone")
        rank = rank + np.where(channel_code == phone, 0, prios if g.discipline == "priority" else 1)
    return rank.tolist()


def _phone_keys(scenario: Scenario, space: KeySpace) -> list[bool]:
    """Per key, whether the contact is a phone call."""
    channels = scenario.levels("channel")
    codes = np.unravel_index(np.arange(space.size), space.shape)
    return (codes[3] == channels.index("phone")).tolist()


def run(scenario: Scenario, seed: int, replication: int, *, max_queue: int = 200_000, fast: bool = True) -> RunLog:
    """Simulate one replication of a scenario and return its log.

    ``fast``: a plain first-come-first-served desk is simulated by recursion (``simsla.engine.fastpath``,
    the same log; also off with ``SIMSLA_FAST_PATH=0``).
    """
    if fastpath.chosen(scenario, fast):
        return fastpath.run(scenario, seed, replication, max_queue=max_queue)
    return Replication(scenario, seed, replication, max_queue=max_queue).run()
