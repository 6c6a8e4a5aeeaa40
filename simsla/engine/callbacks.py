"""Callbacks (virtual hold) at the desk: offer, accept, attempts, retries.

``Callbacks`` sits beside the desk's agent group (``model.callers.Callback``
has the rules):

* ``consider(ticket)`` — the group calls it (an ``on_wait`` hook) for every
  item that has to wait.  A phone call whose predicted wait exceeds
  ``offer_over`` is offered a callback and accepts with ``accept``; it then
  leaves its queue (``Selection.withdraw``), frees its line, and is offered
  back to the group as a callback: the selection queues it in its last rank
  (``Selection.last``), served when nothing else waits; with ``within`` a
  timer moves it to the front once the window has passed.
* ``work(base)`` wraps the desk's work time: an agent taking a callback
  dials; the customer answers with ``answer`` (the work is the call's own
  handling time) or not (the agent spends ``dial_time``).
* ``done(finish)`` wraps the desk's completion: after an attempt nobody
  answered the ticket waits ``retry_after`` and is offered again, until
  ``attempts`` have failed (it then ends unanswered).

Random numbers (accept, answer) come from the ``CALLBACKS`` streams, one
uniform per decision, so other streams are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from simsla.engine.ledger import Ledger
from simsla.engine.sampling import Buffer
from simsla.engine.selection import Seats
from simsla.model.callers import Callback


class Callbacks:
    """Virtual hold at the desk (see the module docstring).

    Parameters
    ----------
    env, ledger
        the replication's environment and ledger.
    spec
        the desk's ``callback``.
    selection, seats
        the desk's selection (``withdraw``, ``ahead``, ``last``, ``promote``) and seats (agents on duty).
    key, abandon_at
        per ticket its key and ``abandon_at`` (set to never for a caller waiting on a callback).
    mean_work, is_phone
        per key the desk's mean handling time, and whether the contact is a phone call.
    u_accept, u_answer
        uniform draws for accepting an offer and answering an attempt.
    """

    def __init__(self, env: simpy.Environment, ledger: Ledger, spec: Callback, selection, seats: Seats, key,
                 abandon_at, mean_work: list[float], is_phone: list[bool], u_accept: Buffer, u_answer: Buffer):
        self.env, self.ledger, self.spec, self.selection, self.seats = env, ledger, spec, selection, seats
        self.key, self.abandon_at, self.mean_work, self.is_phone = key, abandon_at, mean_work, is_phone
        self.u_accept, self.u_answer = u_accept, u_answer
        self.accepted: set[int] = set()  # tickets with a callback (waiting, being made, or made)
        self.unanswered: set[int] = set()  # attempts in progress that nobody answers
        self.failed: dict[int, int] = {}  # attempts nobody answered, per ticket
        self.offer: Callable[[int], None] = lambda tid: None  # the desk group's offer (set when wired)
        self.line_free: Callable[[int], None] = lambda tid: None  # the caller's line is free (lines)
        #: tickets below this id are a backlog start's (``simsla.engine.backlog``): open work, no caller on the line
        self.backlog = 0

    def predicted_wait(self, tid: int) -> float:
        """(calls ahead + 1) x mean handling time / agents on duty — what the switch would announce."""
        on_duty = self.seats.staff
        if on_duty <= 0:
            return float("inf")
        return (self.selection.ahead(tid) + 1) * self.mean_work[self.key[tid]] / on_duty

    def consider(self, tid: int) -> None:
        """A ticket waits at the desk: offer a callback if it is a call facing a long wait."""
        if tid in self.accepted or not self.is_phone[self.key[tid]] or tid < self.backlog:
            return
        if self.predicted_wait(tid) <= self.spec.offer_over:
            return
        if self.u_accept() >= self.spec.accept:
            return
        now = self.env.now
        self.selection.withdraw(tid)
        self.accepted.add(tid)
        self.ledger.accept_callback(tid, now)
        self.abandon_at[tid] = float("inf")  # waiting on a callback, not on the line
        self.line_free(tid)
        self.selection.last.add(tid)
        self.offer(tid)
        if self.spec.within is not None:
            self.env.timeout(self.spec.within).callbacks.append(lambda _ev: self.selection.promote(tid))

    def work(self, base: Callable[[int], float]) -> Callable[[int], float]:
        """The desk's work time, with a callback attempt's outcome drawn as the agent dials."""
        unanswered, answer, dial = self.unanswered, self.spec.answer, float(self.spec.dial_time)
        last = self.selection.last

        def work(tid: int) -> float:
            if tid not in last:
                return base(tid)
            if self.u_answer() < answer:  # connected: the callback is the call
                last.discard(tid)
                return base(tid)
            unanswered.add(tid)
            return dial

        return work

    def done(self, finish: Callable[[int, int], None]) -> Callable[[int, int], None]:
        """The desk's completion: an attempt nobody answered is retried (or given up), else ``finish``."""
        unanswered = self.unanswered

        def done(tid: int, party: int) -> None:
            if tid not in unanswered:
                finish(tid, party)
                return
            unanswered.discard(tid)
            now = self.env.now
            self.failed[tid] = tries = self.failed.get(tid, 0) + 1
            if tries >= self.spec.attempts:
                self.ledger.no_answer(tid, now)
                self.ledger.unreached(tid, now)
                self.selection.last.discard(tid)
                return
            self.ledger.no_answer(tid, now)
            self.env.timeout(self.spec.retry_after).callbacks.append(lambda _ev: self._retry(tid))

        return done

    def _retry(self, tid: int) -> None:
        """Dial again: the callback queues as the lowest class, or first once its window has passed."""
        self.offer(tid)
        within = self.spec.within
        if within is not None and self.env.now - self.ledger.callback_at[tid] >= within:
            self.selection.promote(tid)
