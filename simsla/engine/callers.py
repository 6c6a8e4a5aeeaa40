"""Callers at the desk's door: phone lines that can be busy, and callers who ring again.

``Callers`` admits each contact to the desk (fresh ones, and redials as they
arrive).  With ``lines`` a phone call that finds every line taken is blocked
(a busy signal, logged by the ledger); a call holds its line from arrival
until it leaves the desk — answered and done there, or hung up.  With
``redials`` a caller who hung up or was blocked rings again with the
redials' probability after their delay (``Contacts.redial_after``); the
redial is a new contact, created when it arrives (``Contacts.spawn``).

Hanging up is otherwise noticed lazily (when the caller would be taken:
exact for who is served, and cheaper); lines and redials need to know *when*
a caller gave up, so a waiting caller gets a timer at their ``abandon_at``:
if nobody has answered by then, they hung up then.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import simpy

from simsla.engine.contacts import Contacts
from simsla.engine.ledger import Ledger


class Callers:
    """Admission of contacts to the desk: lines, busy signals, redials.

    Parameters
    ----------
    env, ledger, contacts
        the replication's environment, ledger and contacts.
    desk
        party index of the desk.
    offer
        the desk's ``offer(ticket)``.
    lines
        phone calls the desk holds at once (None: no limit).
    is_phone
        per key, whether the contact is a phone call.
    """

    def __init__(self, env: simpy.Environment, ledger: Ledger, contacts: Contacts, desk: int,
                 offer: Callable[[int], None], lines: int | None, is_phone: list[bool]):
        self.env, self.ledger, self.contacts, self.desk, self.offer = env, ledger, contacts, desk, offer
        self.lines, self.is_phone = lines, is_phone
        self.on_line: set[int] = set()
        redials = contacts.redials
        self.redial_abandoned = redials is not None and "abandoned" in redials.after
        self.redial_blocked = redials is not None and "blocked" in redials.after
        self.watch = lines is not None or self.redial_abandoned  # who hangs up, when
        self.called_back: set[int] = set()  # callers who took a callback (they did not hang up)

    def admit(self, tid: int, now: float) -> None:
        """A contact arrives at the desk: blocked if it is a call and every line is busy, else offered."""
        phone = self.is_phone[self.contacts.key[tid]]
        if phone and self.lines is not None:
            if len(self.on_line) >= self.lines:
                self.ledger.block(tid, self.desk, now)
                if self.redial_blocked:
                    self._maybe_redial(tid, now)
                return
            self.on_line.add(tid)
        self.ledger.arrive(tid, self.desk, now)
        self.offer(tid)

    def waits(self, tid: int) -> None:
        """A contact waits at the desk: if it may hang up, look again at its ``abandon_at``."""
        at = self.contacts.abandon_at[tid]
        if math.isfinite(at) and tid not in self.called_back:
            self.env.timeout(max(0.0, at - self.env.now)).callbacks.append(lambda _ev: self._gave_up(tid))

    def _gave_up(self, tid: int) -> None:
        answered = self.ledger.answered[tid]
        if answered == answered or tid in self.called_back:  # answered in time, or waiting on a callback
            return
        self.left(tid)
        if self.redial_abandoned:
            self._maybe_redial(tid, self.env.now)

    def left(self, tid: int) -> None:
        """The contact left the desk (done there, passed on, or hung up): its line is free."""
        self.on_line.discard(tid)

    def _maybe_redial(self, tid: int, now: float) -> None:
        delay = self.contacts.redial_after(tid, now)
        if delay >= 0:
            self.env.timeout(delay).callbacks.append(lambda _ev: self._redial(tid))

    def _redial(self, tid: int) -> None:
        now = self.env.now
        self.admit(self.contacts.spawn(tid, now), now)
