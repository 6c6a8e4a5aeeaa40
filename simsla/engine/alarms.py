"""Alarms: a function called when the simulation clock reaches a time, without a SimPy process.

A SimPy process costs a generator resume (and, when it starts, an extra
initialisation event) for every event it waits on; an agent that works one
ticket after another, or the stream of arrivals, pays that once per ticket.
An ``Alarm`` is an object SimPy's event loop accepts as an event — it has
``callbacks`` and ``_ok`` — that is scheduled on the same queue, in the same
order (time, priority, insertion), and calls one function when it is
reached.  It can be set again once it has gone off, so an agent or a stream
keeps one for its whole life instead of creating an event per step.

An alarm that is set and then no longer wanted (a preempted agent's end of
work) is ``cancel``-led: its queue entry stays and does nothing when reached,
and the owner takes a fresh alarm for its next use.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT

__all__ = ["Alarm", "NORMAL", "URGENT"]

_NOTHING: list = []


class Alarm:
    """A reusable event that calls ``fn(alarm)`` when reached (``alarm.value`` is what ``set`` was given).

    Parameters
    ----------
    env
        the environment whose queue it goes on.
    fn
        called with the alarm itself when it goes off (SimPy calls an event's callbacks with the event).
    """

    # SimPy's loop reads ``callbacks`` and ``_ok`` (and ``_value`` only of a failed event: never here)
    __slots__ = ("env", "callbacks", "_ok", "value", "_call")

    def __init__(self, env: simpy.Environment, fn: Callable[["Alarm"], None]):
        self.env = env
        self.callbacks: list | None = None
        self._ok, self.value = True, None
        self._call = [fn]  # the one callback, reused: SimPy only reads the list

    def set(self, delay: float, value: Any = None, priority: int = NORMAL) -> None:
        """Go off ``delay`` seconds from now (after the events already due then, as a SimPy event would)."""
        self.value = value
        self.callbacks = self._call
        env = self.env  # ``env.schedule`` written out (SimPy's queue entry: time, priority, insertion, event)
        heappush(env._queue, (env._now + delay, priority, next(env._eid), self))

    def then(self, fn: Callable[["Alarm"], None]) -> "Alarm":
        """Call ``fn`` instead, from the next time it goes off (a process's next step)."""
        self._call = [fn]
        return self

    def cancel(self) -> None:
        """Do nothing when reached (do not ``set`` this alarm again: its queue entry is still there)."""
        self.callbacks = _NOTHING
