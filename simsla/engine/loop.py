"""The event loop: SimPy's ``Environment.run(until=...)``, written out for the engine's own events.

SimPy's ``run`` calls ``step`` once per event, and ``step`` guards every
event against a ``StopSimulation`` raised by its callbacks.  The engine
raises none (its stop is a time), and most of its events are alarms
(``simsla.engine.alarms``) with one callback, so the loop here pops the
queue and calls the callbacks itself: the same events in the same order
(time, priority, insertion), the clock set before each, a failed process
re-raised as SimPy would, and the stop placed as SimPy places it (an urgent
event at ``until``: what is due at that time with normal priority does not
run).
"""

from __future__ import annotations

from heapq import heappop

import simpy
from simpy.events import URGENT


def run_until(env: simpy.Environment, until: float) -> None:
    """Process ``env``'s events up to ``until``, as ``env.run(until=until)`` would.

    The clock ends at ``now + (until - now)``, as in SimPy: ``until`` itself when the run starts at 0.

    Raises
    ------
    ValueError
        ``until`` is not after the current time.
    Exception
        whatever a callback raised, or the exception of a SimPy process that failed.
    """
    until = float(until)  # (as SimPy: a NumPy number would make every later queued time one)
    if until <= env.now:
        raise ValueError(f"until ({until}) must be greater than the current simulation time")
    stop = simpy.Event(env)
    stop._ok, stop._value = True, None
    env.schedule(stop, URGENT, until - env.now)
    queue = env._queue
    while True:
        env._now, _, _, event = heappop(queue)  # never empty: ``stop`` is in it until it is reached
        if event is stop:
            return
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            # a SimPy process (shifts, a supplier with a capacity) crashed: raise a copy, as ``Environment.step``
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc
