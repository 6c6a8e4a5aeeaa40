"""Parties other than agent groups: external suppliers, and the customer a ticket waits on.

Every party has the same narrow interface: ``offer(ticket)`` — the ticket
has been entered in the ledger at this party — and, when its work on the
ticket is complete, a call of the ``done(ticket, party)`` it was given
(the replication's dispatcher, which asks the router where the ticket goes).
A party writes what happened to the ledger and knows no other party.

* ``Supplier``: a response time, then the resolution work, each drawn from
  the supplier's distributions and counted in its business hours when it has
  a calendar; with a ``capacity`` it works that many of our tickets at once
  (a SimPy ``Resource``), else any number.
* ``CustomerWait`` (per agent group with ``customer_wait``): a fresh visit
  stops half-way with the given probability (``split``); the group then
  offers the ticket here, it waits for the customer's reply (its own
  segment, party "the customer"), and goes back to the group with the other
  half of the work.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from simsla.engine.alarms import URGENT, Alarm
from simsla.engine.ledger import Ledger
from simsla.engine.sampling import Buffer


class Supplier:
    """An external supplier bound by an underpinning contract.

    Parameters
    ----------
    env, ledger
        the replication's environment and ledger.
    index
        party index.
    response, resolution
        draws of the response time and of the resolution work (business seconds when ``clock`` is set).
    capacity
        tickets worked at once (None or 0: any number).
    clock
        the supplier's business clock (None: around the clock).
    end
        the run's end (engine seconds), for work that outlasts the clock's range.
    done
        called with ``(ticket, party)`` when the work is complete.
    """

    def __init__(self, env: simpy.Environment, ledger: Ledger, index: int, response: Buffer, resolution: Buffer,
                 capacity: int | None, clock, end: float, done: Callable[[int, int], None]):
        self.env, self.ledger, self.index = env, ledger, index
        self.response, self.resolution = response, resolution
        self.res = simpy.Resource(env, capacity) if capacity else None
        self.clock, self.end, self.done = clock, end, done

    def offer(self, tid: int) -> None:
        """The supplier takes the ticket: a response, then the resolution work."""
        if self.res is not None:  # with a capacity the ticket may queue for it: a SimPy process
            self.env.process(self._visit(tid))
            return
        # without one, three steps on one alarm — as the process would run them, event for event
        visit = Alarm(self.env, lambda a: self._respond(a, tid))
        visit.set(0, None, URGENT)

    def _respond(self, visit: Alarm, tid: int) -> None:
        visit.then(lambda a: self._start(a, tid)).set(self._wait(self.response()))

    def _start(self, visit: Alarm, tid: int) -> None:
        self.ledger.start(tid, self.env.now)
        visit.then(lambda a: self.done(tid, self.index)).set(self._wait(self.resolution()))

    def _visit(self, tid: int):
        env, res = self.env, self.res
        req = res.request()
        yield req
        yield env.timeout(self._wait(self.response()))
        self.ledger.start(tid, env.now)
        yield env.timeout(self._wait(self.resolution()))
        res.release(req)
        self.done(tid, self.index)

    def _wait(self, seconds: float) -> float:
        """Engine seconds from now until ``seconds`` of the supplier's open time have passed."""
        if self.clock is None:
            return seconds
        now = self.env.now
        try:
            return self.clock.deadline_scalar(now, seconds) - now
        except ValueError:
            # not reached within the clock's range (the run's end plus a margin of months), e.g. a
            # calendar open one minute a week: the work outlasts the run and the ticket stays open
            return self.end - now + 1.0


class CustomerWait:
    """Waits on the customer of one agent group.

    Parameters
    ----------
    env, ledger
        the replication's environment and ledger.
    index
        party index of "the customer" (one past the groups and suppliers).
    group
        party index of the agent group whose visits it splits.
    probability
        chance that a fresh visit stops half-way for the customer.
    u, duration
        uniform draws for that chance, and draws of the wait (one stream, two buffers).
    back
        the group's ``offer``: where the ticket goes when the customer has answered.
    """

    def __init__(self, env: simpy.Environment, ledger: Ledger, index: int, group: int, probability: float,
                 u: Buffer, duration: Buffer, back: Callable[[int], None] | None = None):
        self.env, self.ledger, self.index, self.group = env, ledger, index, group
        self.probability, self.u, self.duration, self.back = probability, u, duration, back
        #: per ticket whose visit stops half-way, the work left for after the reply (the group looks here when
        #: the work in hand ends: a ticket in it then waits on the customer)
        self.rest: dict[int, float] = {}

    def split(self, tid: int, work: float) -> float:
        """The part of a fresh visit's ``work`` to do now (half of it when it stops for the customer)."""
        if self.u() >= self.probability:
            return work
        self.rest[tid] = work / 2
        return work / 2

    def offer(self, tid: int) -> None:
        """The ticket waits for the customer, then goes back to the group (as a process would: it starts at once)."""
        rest = self.rest.pop(tid)
        Alarm(self.env, lambda a: self._wait(a, tid, rest)).set(0, None, URGENT)

    def _wait(self, alarm: Alarm, tid: int, rest: float) -> None:
        start = self.env.now
        wait = self.duration()
        self.ledger.hold(tid, self.index, start)
        alarm.then(lambda a: self._reply(tid, start, rest)).set(wait)

    def _reply(self, tid: int, start: float, rest: float) -> None:
        self.ledger.reply(tid, self.index, self.group, start, self.env.now, rest)
        self.back(tid)
