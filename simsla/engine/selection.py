"""The selection seam: which free agent gets an arriving item, which waiting item a freed agent takes.

An agent group (``simsla.engine.pool.AgentGroup``) owns its agents as SimPy
processes; every *matching* decision goes through its ``Selection``:

``on_arrival(item) -> seat``
    An item reaches the group.  Return a free seat to hand it to, a busy
    seat to preempt (its item comes back through ``on_return``), or -1: the
    item waits, kept by the selection.
``on_free(seat) -> item``
    Agent ``seat`` is free and on duty.  Return the waiting item it takes
    (removed from the waiting items), or -1: the seat is free and the
    selection remembers it for ``on_arrival``/``on_return``.
``on_return(item) -> seat``
    An item whose work was interrupted (preempted, handed over at a shift's
    end) comes back with its remaining work: a free seat, or -1 (it waits).
``on_shift(level) -> seats``
    The headcount changes to ``level``: the free seats to wake.  The group
    wakes them in this order; each asks ``on_free`` again (or goes off duty
    if its seat is now beyond the headcount), and forgets being free.
``waiting``
    Items waiting (the group's bound on a queue that cannot settle).

A selection may read the group's ``Seats`` (the headcount, and per seat the
item in hand, -1 none) and never writes them; items are
ticket ids, whose attributes it may look up through the key array it was
given.  Skills, blending and callbacks are other selections behind the same
four calls.

``PriorityQueues`` is today's policy: one FIFO queue per rank (the ticket's
priority under ``discipline: priority``, phone before written work under
``phone_first``), the most recently freed agent first, preemption of the
lowest-ranked work in hand, interrupted items back at the front of their
queue, and lazy abandonment: a caller who has hung up is logged and skipped
when they would be taken, which is exact for a queue served in order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Protocol


class Seats:
    """What a group's agents are doing, shared read-only with its selection."""

    __slots__ = ("staff", "serving", "duty", "rank_in_hand")

    def __init__(self, seats: int):
        self.staff = 0  # seats on duty: ``0 .. staff-1`` in a group without agent groups
        self.serving: list[int] = [-1] * seats  # item in hand per seat (-1 none)
        self.duty: list[bool] = [False] * seats  # per seat, on duty now
        #: per seat, the queue rank of the item in hand (-1: none, or being interrupted); kept only for a
        #: selection that preempts (``rank_in_hand is not None``), so that finding a victim is one ``max``
        self.rank_in_hand: list[int] | None = None


class Selection(Protocol):
    """The matching policy of one agent group (see the module docstring)."""

    waiting: int

    def on_arrival(self, item: int) -> int:
        """An item arrives: a free seat to take it, a busy seat to preempt, or -1 (it waits)."""

    def on_free(self, seat: int) -> int:
        """A seat is free: the item it takes (no longer waiting), or -1 (the seat is now free)."""

    def on_return(self, item: int) -> int:
        """An interrupted item comes back: a free seat to take it, or -1 (it waits)."""

    def on_shift(self, level: int) -> list[int]:
        """The headcount is now ``level``: the free seats to wake (no longer free)."""


#: builds a group's selection: ``(seats, rank, key, *, preemptive, patience) -> Selection``
SelectionFactory = Callable[..., Selection]


class Patience:
    """Who has hung up: callers whose ``abandon_at`` has passed before anyone answered.

    Parameters
    ----------
    abandon_at, answered
        per ticket (read-only views of the ledger's columns).
    now
        the simulation clock (``lambda: env.now``).
    hang_up
        logs a caller's abandonment (``Ledger.hung_up`` for this party).
    """

    __slots__ = ("abandon_at", "answered", "now", "hang_up")

    def __init__(self, abandon_at, answered, now: Callable[[], float], hang_up: Callable[[int], None]):
        self.abandon_at, self.answered, self.now, self.hang_up = abandon_at, answered, now, hang_up


class PriorityQueues:
    """Priority queues, FIFO within a rank, with optional preemption and lazy abandonment.

    Parameters
    ----------
    seats
        the group's seats (read only).
    rank
        per key, the queue rank (0 is served first).
    key
        per ticket, its key.
    preemptive
        an arrival that finds no free agent interrupts the lowest-ranked work in hand, if lower than its own.
    patience
        callers who may hang up while waiting here (None: nobody does).
    """

    def __init__(self, seats: Seats, rank: list[int], key, *, preemptive: bool,
                 patience: Patience | None, callbacks: bool = False):
        self.seats, self.rank, self.key = seats, rank, key
        # with callbacks, one more queue after every rank: the callbacks waiting to be made
        self.queues: list[deque[int]] = [deque() for _ in range(max(rank, default=0) + 1 + callbacks)]
        self.waiting = 0  # items in the queues, including callers who already hung up
        self.free: list[int] = []  # free seats, the most recently freed last
        self.preemptive, self.patience = preemptive, patience
        self.lowest = max(rank, default=0)
        if preemptive:  # the group keeps the rank of each item in hand for us
            seats.rank_in_hand = [-1] * len(seats.serving)
        #: items queued as callbacks (the last queue)
        self.last: set[int] = set()

    def _queue(self, item: int) -> deque[int]:
        if self.last and item in self.last:
            return self.queues[-1]
        return self.queues[self.rank[self.key[item]]]

    def on_arrival(self, item: int) -> int:
        """A free seat (the most recently freed), a seat to preempt, or -1 (queued)."""
        if self.free:
            return self.free.pop()
        if self.preemptive and not (self.last and item in self.last):  # a callback never interrupts work
            victim = self._victim(item)
            if victim >= 0:
                return victim
        # (written out: this runs for every item that waits)
        (self.queues[-1] if self.last and item in self.last else self.queues[self.rank[self.key[item]]]).append(item)
        self.waiting += 1
        return -1

    def withdraw(self, item: int) -> None:
        """A waiting item leaves its queue (a caller who accepted a callback)."""
        self._queue(item).remove(item)
        self.waiting -= 1

    def ahead(self, item: int) -> int:
        """Items waiting ahead of a waiting ``item`` in its queue and the queues served before it."""
        q = self._queue(item)
        k = next(i for i, x in enumerate(self.queues) if x is q)  # (empty deques compare equal: by identity)
        return sum(len(x) for x in self.queues[:k]) + q.index(item)

    def promote(self, item: int) -> None:
        """A waiting callback whose window has passed goes first (front of the first queue)."""
        if item in self.last and item in self.queues[-1]:
            self.queues[-1].remove(item)
            self.queues[0].appendleft(item)

    def _victim(self, item: int) -> int:
        """The on-duty seat with the lowest-ranked item in hand, ranked below ``item`` (first such seat), or -1."""
        own = self.rank[self.key[item]]
        if own >= self.lowest:  # nothing in hand can rank below the lowest rank: no scan
            return -1
        in_hand = self.seats.rank_in_hand
        on_duty = min(self.seats.staff, len(in_hand))
        if on_duty <= 0:
            return -1
        worst = max(in_hand[:on_duty])  # the first seat with the lowest-ranked item, as a scan in seat order
        return in_hand.index(worst, 0, on_duty) if worst > own else -1

    def on_return(self, item: int) -> int:
        """A free seat, or -1 with the item first in its queue."""
        if self.free:
            return self.free.pop()
        (self.queues[-1] if self.last and item in self.last else self.queues[self.rank[self.key[item]]]).appendleft(item)
        self.waiting += 1
        return -1

    def on_free(self, seat: int) -> int:
        """The first waiting item by rank and arrival (callers who hung up logged and skipped), or -1."""
        patience = self.patience
        for q in self.queues:
            while q:
                item = q.popleft()
                self.waiting -= 1
                # (the clock is read only when there is an item: most calls find the queues empty)
                if patience is not None and patience.abandon_at[item] <= patience.now() \
                        and patience.answered[item] != patience.answered[item]:
                    patience.hang_up(item)
                    continue
                return item
        self.free.append(seat)
        return -1

    def on_shift(self, level: int) -> list[int]:
        """Every free seat: each asks again (the queue may hold work) or leaves."""
        free, self.free = self.free, []
        return free
