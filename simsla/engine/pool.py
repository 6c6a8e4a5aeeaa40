"""A group of agents: its queue, its agents, its shifts.

Agents are long-lived SimPy processes (one per seat), not one process per
ticket: a ticket is an integer, the queue is a deque per rank, and an idle
agent waits on an event that the next arrival fires with the ticket in hand.

Shift ends follow the group's ``at_shift_end``: with ``finish`` the agent
completes the ticket in hand, then leaves (the headcount drops when they go);
with ``handover`` the work stops at the shift's end and the ticket goes back to
the front of its queue with the work that remains, so the number of busy
agents never exceeds the schedule.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import simpy

if TYPE_CHECKING:
    from simsla.engine.replication import Replication

#: segment outcomes, as written to the log.
RESOLVED, ESCALATED, ABANDONED, PREEMPTED, HANDOVER, OPEN, PENDING = range(7)
OUTCOMES = ("resolved", "escalated", "abandoned", "preempted", "handover", "open", "pending")


class QueueOverflow(Exception):
    """A queue grew past the bound that marks a run as unstable."""

    def __init__(self, party: str, length: int, time: float):
        # all arguments go to Exception: SimPy re-creates a crashed process's exception from its args
        super().__init__(party, length, time)
        self.party, self.length, self.time = party, length, time

    def __str__(self) -> str:
        return (f"the queue of {self.party!r} reached {self.length} tickets at t={self.time:.0f}s: "
                "its offered load exceeds its capacity; the run was stopped there")


class Pool:
    """The queue and the agents of one group."""

    def __init__(
        self,
        rep: "Replication",
        index: int,
        name: str,
        seats: int,
        rank: np.ndarray,
        work_time: Callable[[int], float],
        *,
        preemptive: bool,
        handover: bool,
        is_desk: bool,
        max_queue: int,
    ):
        self.rep, self.env = rep, rep.env
        self.index, self.name = index, name
        self.rank = rank.tolist()  # key -> queue rank (0 served first)
        self.queues: list[deque[int]] = [deque() for _ in range(max(self.rank, default=0) + 1)]
        self.queued = 0  # tickets in the queues, including callers who already hung up
        self.work_time = work_time
        self.preemptive, self.handover, self.is_desk = preemptive, handover, is_desk
        self.max_queue = max_queue
        self.staff = 0
        self.idle: list[simpy.Event] = []
        self.off: list[simpy.Event | None] = [None] * seats
        self.serving: list[int] = [-1] * seats
        self.procs = [self.env.process(self._agent(i)) for i in range(seats)]

    # ---------------------------------------------------------------- arrivals
    def arrive(self, tid: int) -> None:
        """A ticket reaches this group (already registered with the replication)."""
        if self.idle:
            self.idle.pop().succeed(tid)
            return
        if self.preemptive and self._preempt(tid):
            return
        self.queues[self.rank[self.rep.key[tid]]].append(tid)
        self.queued += 1
        if self.queued > self.max_queue:
            raise QueueOverflow(self.name, self.queued, self.env.now)

    def _preempt(self, tid: int) -> bool:
        rank, key = self.rank, self.rep.key
        mine = rank[key[tid]]
        worst, victim = mine, -1
        for seat in range(min(self.staff, len(self.serving))):
            other = self.serving[seat]
            if other >= 0 and rank[key[other]] > worst:
                worst, victim = rank[key[other]], seat
        if victim < 0:
            return False
        self.serving[victim] = -2  # interrupt pending: not a victim twice
        self.procs[victim].interrupt(("preempt", tid))
        return True

    def _push_front(self, tid: int) -> None:
        """Give back an interrupted ticket: to an idle agent, else first in its queue."""
        if self.idle:
            self.idle.pop().succeed(tid)
            return
        self.queues[self.rank[self.rep.key[tid]]].appendleft(tid)
        self.queued += 1

    def _next(self) -> int:
        """The next ticket to work, or -1; callers who hung up are logged and skipped."""
        rep, now = self.rep, self.env.now
        for q in self.queues:
            while q:
                tid = q.popleft()
                self.queued -= 1
                if self.is_desk and rep.abandon_at[tid] <= now and rep.answered[tid] != rep.answered[tid]:
                    rep.abandon(tid, self.index)
                    continue
                return tid
        return -1

    # ------------------------------------------------------------------ shifts
    def set_staff(self, level: int) -> None:
        """Change the headcount; agents re-check their duty."""
        old, self.staff = self.staff, level
        idle, self.idle = self.idle, []
        for ev in idle:
            ev.succeed(-1)
        for seat in range(min(level, len(self.off))):
            ev = self.off[seat]
            if ev is not None:
                self.off[seat] = None
                ev.succeed(-1)
        if self.handover and level < old:
            for seat in range(level, min(old, len(self.serving))):
                if self.serving[seat] >= 0:
                    self.serving[seat] = -2
                    self.procs[seat].interrupt(("shift", -1))

    # ------------------------------------------------------------------ agents
    def _agent(self, seat: int):
        env, rep = self.env, self.rep
        tid = -1
        while True:
            if seat >= self.staff:
                if tid >= 0:  # handed a ticket just as the shift ended: give it back
                    self._push_front(tid)
                    tid = -1
                ev = env.event()
                self.off[seat] = ev
                yield ev
                continue
            if tid < 0:
                tid = self._next()
            if tid < 0:
                ev = env.event()
                self.idle.append(ev)
                tid = yield ev
                continue
            start = env.now
            work = rep.remaining.pop(tid, None)
            if work is None:
                work = rep.split_for_customer(tid, self.index, self.work_time(tid))
            rep.start_work(tid, start)
            self.serving[seat] = tid
            try:
                yield env.timeout(work)
            except simpy.Interrupt as stop:
                why, nxt = stop.cause
                rep.remaining[tid] = work - (env.now - start)
                rep.interrupt(tid, self.index, PREEMPTED if why == "preempt" else HANDOVER)
                self.serving[seat] = -1
                self._push_front(tid)
                tid = nxt
                continue
            self.serving[seat] = -1
            rep.finish(tid, self.index)
            tid = -1
