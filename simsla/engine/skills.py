"""Skills-based routing: the ``Selection`` of a group with agent groups (``simsla.model.skills``).

Seats are laid out agent group by agent group; an agent group with
``concurrency: n`` has ``n`` seats per agent (its sessions).  A ticket needs
one skill (``need[ticket]``, drawn up front); only seats whose agent group
holds that skill may take it, those with level 1 at once and the others
once the ticket has waited ``overflow_after``.

Decisions, each a pure function of the state (so same seed, same run):

* **an item arrives** (``on_arrival``): among the eligible agent groups with
  a free seat, ``agent: longest-idle`` takes the seat idle longest,
  ``preferred`` the best level first (then longest idle).  Within an agent
  group the longest-idle seat; with concurrency the seat of the agent with
  the fewest sessions in hand (then longest idle).
* **a seat frees up** (``on_free``): the heads of the queues of the seat's
  skills are the candidates (a queue per skill and rank is FIFO, so its head
  waited longest); ``item: longest-waiting`` takes the one waiting longest,
  ``priority`` the best rank, then longest waiting, ``preferred`` the
  seat's best-level skill, then rank, then longest waiting.
* **reserve** (blending): a seat starts an item that is not a phone call only
  while at least ``reserve`` other free seats of agent groups that take phone
  calls stay free.
* **overflow**: the group asks ``on_overflow(item)`` when an item has waited
  ``overflow_after``; a free seat of a secondary agent group may take it.

Callers who hang up are skipped lazily, as in ``PriorityQueues``; items
taken by overflow stay in their queue, marked, and are skipped the same way.
"""

from __future__ import annotations

import math
from bisect import insort
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from simsla.engine.selection import Patience, Seats

INF = math.inf


@dataclass(frozen=True)
class Teams:
    """The layout of a skilled group's seats and what its agent groups can do.

    Attributes
    ----------
    team
        per seat, its agent group.
    agent
        per seat, the agent it belongs to (seats of one agent share a number; sessions with concurrency).
    first
        per agent group, its first seat; ``concurrency`` per agent group.
    level
        per agent group and skill, the level (0: not held).
    phone
        per agent group, whether it can take some phone call (counted for the reserve).
    """

    team: list[int]
    agent: list[int]
    first: list[int]
    concurrency: list[int]
    level: list[list[int]]
    phone: list[bool]


class SkillQueues:
    """The selection of a group with agent groups (see the module docstring).

    Parameters
    ----------
    seats
        the group's seats (read only).
    teams
        seat layout and skill levels.
    need
        per ticket, the index of the skill it needs at this group.
    rank, key
        per key the queue rank (priority, phone first), per ticket its key.
    is_phone
        per key, whether the ticket is a phone call (for the reserve).
    agent_policy, item_policy, overflow_after, reserve
        the group's ``selection``.
    now
        the simulation clock.
    patience
        callers who may hang up while waiting here (None: nobody does).
    """

    def __init__(self, seats: Seats, teams: Teams, need, rank: list[int], key, is_phone: list[bool], *,
                 agent_policy: str, item_policy: str, overflow_after: float, reserve: int,
                 now: Callable[[], float], patience: Patience | None, callbacks: bool = False):
        self.seats, self.t, self.need, self.rank, self.key, self.is_phone = seats, teams, need, rank, key, is_phone
        self.preferred_agent = agent_policy == "preferred"
        self.item_policy, self.reserve, self.now, self.patience = item_policy, reserve, now, patience
        n_teams, n_skills = len(teams.first), len(teams.level[0]) if teams.level else 0
        ranks = max(rank, default=0) + 1 + callbacks  # with callbacks, a last rank for them
        self.last: set[int] = set()  # items queued as callbacks (the last rank of their skill)
        self.queues = [[deque() for _ in range(ranks)] for _ in range(n_skills)]
        self.entered: dict[int, float] = {}
        self.taken: set[int] = set()  # items taken by overflow, still in their queue
        self.waiting = 0
        # free seats per agent group, longest idle first (sorted by idle_since, then seat)
        self.free: list[list[int]] = [[] for _ in range(n_teams)]
        self.idle_since = [0.0] * len(teams.team)
        self.woken: set[int] = set()  # free seats woken by a shift change: still idle since before
        # per skill, the agent groups that may take it at once and after the overflow delay, best level first
        delay = overflow_after > 0
        self.at_once = [[j for j in _by_level(teams, s) if not delay or teams.level[j][s] == 1] for s in range(n_skills)]
        self.later = [[j for j in _by_level(teams, s) if delay and teams.level[j][s] > 1] for s in range(n_skills)]
        self.overflow_after = overflow_after if any(self.later) else INF
        # per agent group, its skills with their levels, best first
        self.skills_of = [sorted(((teams.level[j][s], s) for s in range(n_skills) if teams.level[j][s]))
                          for j in range(n_teams)]

    # ---------------------------------------------------------------- seats
    def _free_phone(self) -> int:
        return sum(len(self.free[j]) for j, phone in enumerate(self.t.phone) if phone)

    def _reserve_allows(self, item: int, team: int, free_phone: int) -> bool:
        """Whether a seat of ``team`` may start ``item`` without eating into the phone reserve.

        Only agents who take calls are held back: keeping a chat-only agent idle frees nobody for calls.
        """
        if self.reserve == 0 or not self.t.phone[team] or self.is_phone[self.key[item]]:
            return True
        return free_phone - (1 if self.t.phone[team] else 0) >= self.reserve

    def _pick_seat(self, item: int, groups: list[int]) -> int:
        """The free seat that takes ``item`` among agent groups ``groups`` (best level first), or -1."""
        best, best_key = -1, None
        free_phone = self._free_phone() if self.reserve else 0
        s = self.need[item]
        for j in groups:
            free = self.free[j]
            if not free or not self._reserve_allows(item, j, free_phone):
                continue
            pos = self._seat_in(j)
            seat = free[pos]
            k = (self.t.level[j][s], self.idle_since[seat]) if self.preferred_agent else (self.idle_since[seat],)
            if best_key is None or k < best_key:
                best, best_key = (j, pos), k
        if best_key is None:
            return -1
        j, pos = best
        return self.free[j].pop(pos)

    def _seat_in(self, j: int) -> int:
        """Position in ``free[j]`` of the seat to use: longest idle, or with sessions the least-loaded agent."""
        free = self.free[j]
        if self.t.concurrency[j] == 1:
            return 0
        # an on-duty agent's seats are free or in work: the fewest in work = the most seats in the free list
        agent, idle = self.t.agent, self.idle_since
        spare: dict[int, int] = {}
        for seat in free:
            spare[agent[seat]] = spare.get(agent[seat], 0) + 1
        return min(range(len(free)), key=lambda p: (-spare[agent[free[p]]], idle[free[p]], free[p]))

    # ---------------------------------------------------------------- items
    def _queue(self, item: int) -> deque:
        qs = self.queues[self.need[item]]
        return qs[-1] if self.last and item in self.last else qs[self.rank[self.key[item]]]

    def withdraw(self, item: int) -> None:
        """A waiting item leaves its queue (a caller who accepted a callback)."""
        self._queue(item).remove(item)
        self.waiting -= 1
        self.entered.pop(item, None)

    def ahead(self, item: int) -> int:
        """Items of the same skill waiting ahead of a waiting ``item`` (its queue and those served before)."""
        q, qs = self._queue(item), self.queues[self.need[item]]
        k = next(i for i, x in enumerate(qs) if x is q)
        return sum(len(x) for x in qs[:k]) + q.index(item)

    def promote(self, item: int) -> None:
        """A waiting callback whose window has passed goes first (front of its skill's first queue)."""
        qs = self.queues[self.need[item]]
        if item in self.last and item in qs[-1]:
            qs[-1].remove(item)
            qs[0].appendleft(item)

    def _enqueue(self, item: int, front: bool) -> None:
        q = self._queue(item)
        q.appendleft(item) if front else q.append(item)
        self.entered.setdefault(item, self.now())
        self.waiting += 1

    def _gone(self, item: int, now: float) -> bool:
        """Taken by overflow already, or a caller who has hung up (logged now)."""
        if item in self.taken:
            self.taken.discard(item)
            return True
        p = self.patience
        if p is not None and p.abandon_at[item] <= now and p.answered[item] != p.answered[item]:
            p.hang_up(item)
            self.entered.pop(item, None)
            return True
        return False

    def _head(self, q: deque, now: float) -> int:
        """The live head of a queue (dropping items gone), or -1."""
        while q:
            item = q[0]
            if not self._gone(item, now):
                return item
            q.popleft()
            self.waiting -= 1
        return -1

    # ---------------------------------------------------------------- the seam
    def on_arrival(self, item: int) -> int:
        """A free eligible seat, or -1 (the item waits; the group asks ``on_overflow`` after the delay)."""
        seat = self._pick_seat(item, self.at_once[self.need[item]])
        if seat < 0:
            self._enqueue(item, front=False)
        return seat

    def on_return(self, item: int) -> int:
        """An interrupted item: a free eligible seat, or -1 (first in its queue)."""
        s = self.need[item]
        seat = self._pick_seat(item, self.at_once[s] + (self.later[s] if self._overflowed(item) else []))
        if seat < 0:
            self._enqueue(item, front=True)
        else:
            self.entered.pop(item, None)
        return seat

    def _overflowed(self, item: int) -> bool:
        since = self.entered.get(item)
        return since is not None and self.now() - since >= self.overflow_after

    def on_overflow(self, item: int) -> int:
        """``item`` has waited ``overflow_after``: a free seat of a secondary agent group, or -1."""
        since = self.entered.get(item)
        if since is None or item in self.taken or self.now() - since < self.overflow_after - 1e-9:
            return -1  # taken already (or hung up and logged), or back in the queue since (a later timer)
        p = self.patience
        if p is not None and p.abandon_at[item] <= self.now():
            return -1  # hung up; logged when its queue reaches it
        seat = self._pick_seat(item, self.later[self.need[item]])
        if seat >= 0:
            self.taken.add(item)
            self.entered.pop(item, None)
        return seat

    def on_free(self, seat: int) -> int:
        """The eligible waiting item this seat takes (by the item policy), or -1 (the seat is free)."""
        t, now = self.t, self.now()
        team = t.team[seat]
        free_phone = self._free_phone() + (1 if t.phone[team] else 0) if self.reserve else 0
        best_q, best_key = None, None
        for level, s in self.skills_of[team]:
            if level > 1 and self.overflow_after > 0 and self.later[s]:
                must_wait = self.overflow_after
            else:
                must_wait = 0.0
            for r, q in enumerate(self.queues[s]):
                item = self._head(q, now)
                if item < 0:
                    continue
                since = self.entered[item]
                if must_wait and now - since < must_wait:
                    continue
                if not self._reserve_allows(item, team, free_phone):
                    continue
                k = self._item_key(level, r, since)
                if best_key is None or k < best_key:
                    best_q, best_key = q, k
        if best_q is None:
            if seat in self.woken:  # still free: idle since it last freed up, not since the shift change
                self.woken.discard(seat)
            else:
                self.idle_since[seat] = now
            idle = self.idle_since
            insort(self.free[team], seat, key=lambda x: (idle[x], x))
            return -1
        self.woken.discard(seat)
        item = best_q.popleft()
        self.waiting -= 1
        self.entered.pop(item, None)
        return item

    def _item_key(self, level: int, rank: int, since: float) -> tuple:
        if self.item_policy == "longest-waiting":
            return (since,)
        if self.item_policy == "priority":
            return (rank, since)
        return (level, rank, since)

    def on_shift(self, level: int) -> list[int]:
        """Every free seat: each asks again (the queues may hold work) or leaves."""
        out = sorted(seat for free in self.free for seat in free)
        for free in self.free:
            free.clear()
        duty = self.seats.duty  # (already updated by the group) seats going off duty start afresh when back
        self.woken = {seat for seat in out if duty[seat]}
        return out


def _by_level(teams: Teams, skill: int) -> list[int]:
    """Agent groups holding ``skill``, best level first (then in the order listed)."""
    return sorted((j for j in range(len(teams.first)) if teams.level[j][skill]), key=lambda j: teams.level[j][skill])
