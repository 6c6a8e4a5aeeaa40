"""An agent group: its agents on SimPy's event queue, its shifts; matching left to its selection.

Agents are long-lived state machines (one per seat of the peak headcount)
on SimPy's event queue, not one process per ticket: a ticket is an integer,
and a free agent waits on an alarm (``simsla.engine.alarms``) that the next
arrival sets with the ticket in hand.  *Which*
agent takes *which* ticket is decided by the group's ``Selection``
(``simsla.engine.selection``); the group carries the decision out — hands a
ticket to a free agent, interrupts a preempted one, wakes free agents when
the headcount changes.

Shift ends follow the group's ``at_shift_end``: with ``finish`` the agent
completes the ticket in hand, then leaves (the headcount drops when they go);
with ``handover`` the work stops at the shift's end and the ticket goes back
to its selection (first in its queue) with the work that remains, so the
number of busy agents never exceeds the schedule.

As a party the group is ``offer(ticket)``: the ticket is already entered in
the ledger at this party.  When an agent is done with a visit the group calls
``done(ticket, party)``, or — when the visit stops half-way to wait on the
customer — hands it to its ``CustomerWait``, which offers it back later.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import TYPE_CHECKING

import simpy

from simsla.engine.ledger import (  # noqa: F401  (the codes are part of this module's interface)
    ABANDONED, ESCALATED, HANDOVER, OPEN, OUTCOMES, PENDING, PREEMPTED, RESOLVED, Ledger)
from simsla.engine.alarms import NORMAL, URGENT, Alarm
from simsla.engine.selection import Seats, Selection

if TYPE_CHECKING:
    from simsla.engine.parties import CustomerWait


class QueueOverflow(Exception):
    """A queue grew past the bound that marks a run as unstable."""

    def __init__(self, party: str, length: int, time: float):
        # all arguments go to Exception: SimPy re-creates a crashed process's exception from its args
        super().__init__(party, length, time)
        self.party, self.length, self.time = party, length, time

    def __str__(self) -> str:
        return (f"the queue of {self.party!r} reached {self.length} tickets at t={self.time:.0f}s: "
                "its offered load exceeds its capacity; the run was stopped there")


class AgentGroup:
    """The agents of one group, as a party of the replication.

    Parameters
    ----------
    env, ledger
        the replication's SimPy environment and ticket ledger.
    index, name
        party index and name.
    seats
        the group's shared seat state (its size is the peak headcount).
    selection
        the matching policy; it was given the same ``seats``.
    work_time
        ``ticket -> seconds`` of a fresh visit.
    done
        called with ``(ticket, party)`` when a visit's work is complete.
    handover
        ``at_shift_end: handover`` (else ``finish``).
    customer
        the group's customer wait (None: work never stops for the customer).
    max_queue
        waiting items beyond which the run is stopped as unstable.
    teams
        with agent groups: per agent group its seats (``range``), per seat the work-time function
        (``work_time`` with the agent group's handling factor and stretch), per agent group its seats per
        agent (concurrency), per seat the agent group's number in the log; None without.
    """

    def __init__(self, env: simpy.Environment, ledger: Ledger, index: int, name: str, seats: Seats,
                 selection: Selection, work_time: Callable[[int], float], done: Callable[[int, int], None], *,
                 handover: bool, customer: "CustomerWait | None", max_queue: int,
                 teams: "tuple[list[range], list[Callable[[int], float]], list[int], list[int]] | None" = None):
        self.env, self.ledger, self.index, self.name = env, ledger, index, name
        self.seats, self.selection = seats, selection
        self.work_time, self.done, self.customer = work_time, done, customer
        self.handover, self.max_queue = handover, max_queue
        self.teams = teams
        # an item that waits may later be offered to a wider set of agents (skills: overflow after a delay)
        self.overflow_after = getattr(selection, "overflow_after", float("inf"))
        self.overflows = self.overflow_after < float("inf")
        #: called with each item that has to wait (e.g. to notice when a caller hangs up)
        self.on_wait: list[Callable[[int], None]] = []
        n = len(seats.serving)
        self.wake: list[Alarm | None] = [None] * n  # per free seat, the alarm that hands it work
        self.off: list[Alarm | None] = [None] * n  # per off-duty seat, the alarm that calls it in
        self._interrupted: list[Callable[[int, int], None]] = [None] * n  # type: ignore[list-item]
        self._start: list[Callable[[int], None]] = [None] * n  # type: ignore[list-item]
        for seat in range(n):
            self._seat(seat)

    # ------------------------------------------------------------ party
    def offer(self, tid: int) -> None:
        """A ticket reaches this group (already entered in the ledger here)."""
        seat = self.selection.on_arrival(tid)
        if seat < 0:
            if self.selection.waiting > self.max_queue:
                raise QueueOverflow(self.name, self.selection.waiting, self.env.now)
            if self.overflows:
                self.env.timeout(self.overflow_after).callbacks.append(lambda _ev, tid=tid: self._overflow(tid))
            if self.on_wait:
                for hook in self.on_wait:
                    hook(tid)
            return
        if self.wake[seat] is not None:  # a free agent: starts on it now
            self.wake[seat] = None
            self._start[seat](tid)
        else:  # a busy one: preempted, it takes this ticket and gives its own back
            self._interrupt(seat, PREEMPTED, tid)

    def _overflow(self, tid: int) -> None:
        """A waiting item may now go to agents without the first level of its skill."""
        seat = self.selection.on_overflow(tid)
        if seat >= 0:
            self.wake[seat] = None
            self._start[seat](tid)

    def _give_back(self, tid: int) -> None:
        """An interrupted ticket goes back to the selection (or straight to a free agent)."""
        seat = self.selection.on_return(tid)
        if seat >= 0:
            self.wake[seat] = None
            self._start[seat](tid)
        elif self.overflows:  # back in the queue: it may overflow again once it has waited that long
            self.env.timeout(self.overflow_after).callbacks.append(lambda _ev, tid=tid: self._overflow(tid))

    # ------------------------------------------------------------ shifts
    def set_staff(self, level: int, team: int = -1) -> None:
        """Change the headcount (of agent group ``team``, with agent groups); agents re-check their duty."""
        seats = self.seats
        if team >= 0:
            self._set_team_staff(level, team)
            return
        old, seats.staff = seats.staff, level
        duty = seats.duty
        for seat in range(min(old, level), min(max(old, level), len(duty))):
            duty[seat] = seat < level
        for seat in self.selection.on_shift(level):
            ev = self.wake[seat]
            self.wake[seat] = None
            ev.set(0, -1)
        for seat in range(min(level, len(self.off))):
            ev = self.off[seat]
            if ev is not None:
                self.off[seat] = None
                ev.set(0, -1)
        if self.handover and level < old:
            serving = seats.serving
            for seat in range(level, min(old, len(serving))):
                if serving[seat] >= 0:
                    self._interrupt(seat, HANDOVER)

    def _set_team_staff(self, level: int, team: int) -> None:
        """Agent group ``team`` now has ``level`` agents on duty (each with its sessions' seats)."""
        seats, (ranges, _, per_agent, _) = self.seats, self.teams
        block = ranges[team]
        on = min(len(block), level * per_agent[team])
        duty, serving = seats.duty, seats.serving
        leaving = [seat for seat in block[on:] if duty[seat]]
        for seat in block:
            duty[seat] = seat < block.start + on
        seats.staff = sum(duty)
        for seat in self.selection.on_shift(level):
            ev = self.wake[seat]
            self.wake[seat] = None
            ev.set(0, -1)
        for seat in block[:on]:
            ev = self.off[seat]
            if ev is not None:
                self.off[seat] = None
                ev.set(0, -1)
        if self.handover:
            for seat in leaving:
                if serving[seat] >= 0:
                    self._interrupt(seat, HANDOVER)

    # ------------------------------------------------------------ agents
    def _seat(self, seat: int) -> None:
        """The agent in ``seat``: a state machine driven by alarms (``simsla.engine.alarms``).

        It does what a SimPy process looping "take the next ticket, work it"
        would, event for event and in the same order, without a generator
        resume per step: ``step`` runs the loop from where the agent last
        waited up to where it waits next (off duty, idle, or on a ticket).
        """
        # one closure on purpose: this runs once per visit, and every helper call here costs
        # about 1 % of the M/M/50 benchmark; the matching decisions live in the selection, not here
        env, ledger, seats = self.env, self.ledger, self.seats
        serving, remaining, duty = seats.serving, ledger.remaining, seats.duty
        work_time = self.work_time if self.teams is None else self.teams[1][seat]
        on_free, start_work = self.selection.on_free, ledger.start
        if self.teams is not None:  # the log says which agent group did the work
            code = self.teams[3][seat]
            start_work = lambda tid, t: ledger.start_by(tid, t, code)  # noqa: E731
        done, hold = self.done, None if self.customer is None else self.customer.rest
        customer, index, wake, off, give_back = self.customer, self.index, self.wake, self.off, self._give_back
        queue, eid = env._queue, env._eid  # ``env.schedule`` written out below (SimPy's queue entries)
        # a preempting selection reads the rank of the item in each seat's hand (``Seats.rank_in_hand``)
        in_hand = seats.rank_in_hand
        rank_of, key = (getattr(self.selection, "rank", None), getattr(self.selection, "key", None))
        v_tid, v_start, v_work = -1, 0.0, 0.0  # the ticket in hand, when its work started, how long it takes

        def step(tid: int) -> None:
            nonlocal v_tid, v_start, v_work
            if not duty[seat]:
                if tid >= 0:  # handed a ticket just as the shift ended: give it back
                    give_back(tid)
                off[seat] = off_alarm
                return
            if tid < 0:
                tid = on_free(seat)
                if tid < 0:
                    wake[seat] = wake_alarm
                    return
            start = env._now  # (SimPy's clock read directly: ``env.now`` is a Python property call)
            work = remaining.pop(tid, None) if remaining else None  # (usually empty: no lookup)
            if work is None:
                work = work_time(tid)
                if customer is not None:
                    work = customer.split(tid, work)
            start_work(tid, start)
            serving[seat] = tid
            if in_hand is not None:
                in_hand[seat] = rank_of[key[tid]]
            v_tid, v_start, v_work = tid, start, work
            timer.callbacks = when_done  # ``timer.set(work)`` written out: this runs once per visit
            heappush(queue, (start + work, NORMAL, next(eid), timer))

        def finished(_alarm: Alarm) -> None:
            serving[seat] = -1
            if in_hand is not None:
                in_hand[seat] = -1
            if hold is not None and v_tid in hold:  # the work stopped half-way: the ticket waits on the customer
                ledger.pend(v_tid, index, env._now)
                customer.offer(v_tid)
            else:
                done(v_tid, index)
            step(-1)

        def interrupted(outcome: int, nxt: int) -> None:
            nonlocal timer
            timer.cancel()
            timer = Alarm(env, finished)
            now = env._now
            remaining[v_tid] = v_work - (now - v_start)
            ledger.interrupt(v_tid, index, outcome, now)
            serving[seat] = -1  # (rank_in_hand was cleared by ``_interrupt``)
            give_back(v_tid)
            step(nxt)

        wake_alarm = Alarm(env, lambda a: step(a.value))
        off_alarm = Alarm(env, lambda a: step(-1))
        timer = Alarm(env, finished)
        when_done = [finished]
        self._interrupted[seat] = interrupted
        self._start[seat] = step
        # the agent starts as a SimPy process would: at once, before the events already due now
        wake_alarm.set(0, -1, URGENT)

    def _interrupt(self, seat: int, outcome: int, nxt: int = -1) -> None:
        """Stop the work in ``seat`` now (``PREEMPTED`` by ticket ``nxt``, or ``HANDOVER`` at a shift's end).

        At once, inside the call that asks for it — not as an event after it, as SimPy's
        ``Process.interrupt`` would: a preemption then costs no event, and the seat can never be
        asked twice.  (The engine did it SimPy's way until December 2026; ties at one instant may
        since come out in another order, the numbers' distribution is the same.)
        """
        if self.seats.rank_in_hand is not None:
            self.seats.rank_in_hand[seat] = -1
        self._interrupted[seat](outcome, nxt)


#: the name the engine used before the parts were separated
Pool = AgentGroup
