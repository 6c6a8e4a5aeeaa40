"""``simsla.engine.loop.run_until`` against SimPy's own ``Environment.run(until=...)``.

``run_until`` is a written-out copy of SimPy's loop, so SimPy is the oracle:

* random event sets (fixed seeds) -- alarms of both priorities, timeouts, processes, processes
  waiting on a shared event and on each other, ties, events exactly at ``until`` set before the
  run and from callbacks, callbacks that schedule more -- built on two fresh environments and run
  (in two segments) by ``env.run`` and by ``run_until``: same (time, label) sequence, same clock;
* the stop is SimPy's: an urgent event at ``until`` scheduled when the run starts, so a normal
  event at ``until`` waits for the next segment, an urgent one set before the run runs, and one
  set during the run for ``until`` waits;
* errors: a failed process is re-raised as by SimPy (a copy of the same type, the original as
  ``__cause__``; not if a process waits on it), an alarm callback's exception propagates as it
  is, and ``until <= env.now`` is a ValueError that schedules nothing.
"""

import numpy as np
import pytest
import simpy

from simsla.engine.alarms import NORMAL, URGENT, Alarm
from simsla.engine.loop import run_until

T, T2 = 10.0, 11.5


def simpy_run(env, until):
    env.run(until=until)


def plan(seed):
    """A random event set as plain data (times on a grid of binary fractions: ties, and exactly ``T``)."""
    rng = np.random.default_rng(seed)
    at = lambda: float(rng.integers(0, 2 * T + 3)) / 2  # noqa: E731  (0 .. T + 1 by halves)
    prio = lambda: [NORMAL, URGENT][rng.integers(2)]  # noqa: E731
    items, procs = [("alarm", T, NORMAL, []), ("alarm", T, URGENT, []), ("timeout", T)], 0  # some at ``until``
    for _ in range(int(rng.integers(15, 40))):
        kind = ["alarm", "timeout", "proc"][rng.integers(3)]
        if kind == "alarm":  # what its callback does: a new alarm, itself again, open the gate ("T": at until)
            kids = [(["new", "again", "gate"][rng.integers(3)], "T" if rng.random() < 0.3 else at() / 4, prio())
                    for _ in range(int(rng.integers(0, 3)))]
            items.append(("alarm", at(), prio(), kids))
        elif kind == "timeout":
            items.append(("timeout", at()))
        else:  # each step: a timeout, the gate, or an earlier process
            choices = [at() / 2, "gate"] + ([int(rng.integers(procs))] if procs else [])
            items.append(("proc", [choices[rng.choice(len(choices), p=[.6, .4] if procs == 0 else [.6, .2, .2])]
                                   for _ in range(int(rng.integers(1, 4)))]))
            procs += 1
    return items


def build(env, items, log):
    """The event set on ``env``; what runs appends (time, label) to ``log``."""
    gate, procs = env.event(), []
    rec = lambda label: log.append((env.now, label))  # noqa: E731

    def alarm_fn(label, kids):
        def fire(al):
            rec(f"{label}:{al.value}")
            for j, (what, delay, pr) in enumerate(kids if al.value < 2 else []):
                d = T - env.now if delay == "T" else delay
                if what == "new":
                    Alarm(env, alarm_fn(f"{label}.{j}", kids[:j])).set(d, al.value + 1, pr)
                elif what == "again":
                    return al.set(d, al.value + 1, pr)  # (an alarm that went off may be set again)
                elif not gate.triggered:
                    gate.succeed(label)
        return fire

    def proc(label, steps):
        for k, step in enumerate(steps):
            got = yield gate if step == "gate" else procs[step] if isinstance(step, int) else env.timeout(step)
            rec(f"{label}/{k}: {got}")
        return label

    for i, (kind, *args) in enumerate(items):
        label = f"{kind}{i}"
        if kind == "alarm":
            Alarm(env, alarm_fn(label, args[2])).set(args[0], 0, args[1])
        elif kind == "timeout":
            env.timeout(args[0], label).callbacks.append(lambda ev: rec(ev.value))
        else:
            procs.append(env.process(proc(label, args[0])))


@pytest.mark.parametrize("seed", range(12))
def test_random_event_sets_run_as_in_simpy(seed):
    items, runs = plan(seed), []
    for run in (simpy_run, run_until):
        env, log = simpy.Environment(), []
        build(env, items, log)
        run(env, T)
        first, now = list(log), env.now
        run(env, T2)  # what was left at ``until`` runs in the next segment
        runs.append((first, now, log, env.now))
    assert runs[0] == runs[1]
    first, now, both, now2 = runs[1]
    assert (now, now2) == (T, T2) and len(first) >= 5 and len(both) > len(first)
    assert "alarm0:0" not in [lab for _, lab in first] and (T, "alarm0:0") in both  # normal at ``until``
    assert (T, "alarm1:0") in first  # urgent at ``until``, set before the run


@pytest.mark.parametrize("run", [simpy_run, run_until])
def test_the_stop_is_an_urgent_event_at_until(run):
    env, log = simpy.Environment(), []
    rec = lambda al: log.append((env.now, al.value))  # noqa: E731
    Alarm(env, rec).set(5, "normal before", NORMAL)
    Alarm(env, rec).set(5, "urgent before", URGENT)
    Alarm(env, lambda al: Alarm(env, rec).set(5 - env.now, "urgent during", URGENT)).set(1)
    run(env, 5)
    assert log == [(5, "urgent before")] and env.now == 5
    run(env, 6)
    assert log[1:] == [(5, "urgent during"), (5, "normal before")] and env.now == 6


class Boom(Exception):
    """A test failure."""


class TwoArgs(Exception):  # its args are not its constructor's: SimPy's copy of it fails (a TypeError)
    def __init__(self, a, b):
        super().__init__(f"{a}-{b}")


def failing(env, at, exc):
    yield env.timeout(at)
    raise exc


@pytest.mark.parametrize("exc", [Boom("p", 7), KeyError("k"), TwoArgs(1, 2)])
def test_a_failed_process_is_re_raised_as_simpy_does(exc):
    seen = []
    for run in (simpy_run, run_until):
        env = simpy.Environment()
        env.process(failing(env, 3, exc))
        with pytest.raises(Exception) as info:
            run(env, T)
        seen.append((type(info.value), str(info.value), info.value.__cause__, info.value is exc, env.now))
    assert seen[0] == seen[1]
    kind, _, cause, same, now = seen[1]
    assert now == 3 and not same and (cause is exc) == (kind is type(exc)) and kind in (type(exc), TypeError)


def test_a_failure_a_process_waits_on_does_not_stop_the_run():
    def parent(env, log):
        try:
            yield env.process(failing(env, 2, Boom("handled")))
        except Boom as caught:
            log.append((env.now, caught.args))

    logs = []
    for run in (simpy_run, run_until):
        env, log = simpy.Environment(), []
        env.process(parent(env, log))
        run(env, T)
        logs.append((log, env.now))
    assert logs[0] == logs[1] == ([(2, ("handled",))], T)


@pytest.mark.parametrize("run", [simpy_run, run_until])
def test_an_alarm_callback_exception_propagates_as_it_is(run):
    env, err = simpy.Environment(), Boom("alarm")

    def fn(al):
        raise err

    Alarm(env, fn).set(2)
    with pytest.raises(Boom) as info:
        run(env, T)
    assert info.value is err and env.now == 2


@pytest.mark.parametrize("start, until", [(0, 0), (0, -1.0), (5, 5), (5, 4.5)])
def test_until_not_after_now_is_a_value_error(start, until):
    for run in (simpy_run, run_until):
        env = simpy.Environment(start)
        Alarm(env, lambda al: None).set(1)
        with pytest.raises(ValueError):
            run(env, until)
        assert env.now == start and len(env._queue) == 1  # nothing scheduled, the clock unchanged
