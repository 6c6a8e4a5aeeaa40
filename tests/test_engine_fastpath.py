"""The first-come-first-served fast path gives the general engine's log, ticket for ticket.

``simsla.engine.fastpath.run`` replaces SimPy's events by the earliest-free-
agent recursion where a scenario is a plain multi-server desk.  Every case
here runs both (``fastpath.run`` and ``Replication(...).run()``, the general
engine, whatever ``replication.run`` would choose) and compares every column
of the ``RunLog`` exactly — dtypes, values, NaNs in the same places — plus
the staffing steps, the outages, the stop time and the instability message.
The family: 1 to 60 agents, loads 0.5 to 1.05, no/exponential/lognormal
patience, short and long horizons, warm-up, outages with surges and major
incidents, several streams with profiles, busy days and priority mixes, and
arrivals forced onto a coarse grid with deterministic work and patience so
that arrivals, completions and hang-ups tie exactly.  Then the fall-backs (a
queue past ``max_queue``, a zero patience at a tie), the clock sums against
SimPy itself, the switch (``fast=False``, ``SIMSLA_FAST_PATH=0``) and
``applies`` refusing each feature it does not model, with its reason.
"""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest
import simpy

import simsla
from simsla.engine import arrivals, fastpath, replication
from simsla.engine.replication import Replication

BASE = {"name": "fcfs", "start": "2026-01-05", "timezone": "UTC", "services": [{"name": "s"}]}
MEAN = 180.0


def data(staff: int = 5, load: float = 0.9, patience: dict | None = None, horizon: float = 86400.0,
         warmup: float = 0.0, handling: dict | None = None, **desk) -> dict:
    """A one-stream phone desk of ``staff`` agents at utilisation ``load`` (scenario data)."""
    d = copy.deepcopy(BASE)
    group = {"name": "desk", "role": "desk", "staff": staff, "discipline": "fifo", "first_contact_resolution": 1.0,
             "handling": handling or {"dist": "exponential", "mean": MEAN}}
    group.update(desk)
    d.update({"horizon": horizon, "warmup": warmup, "groups": [group],
              "demand": [{"name": "calls", "channel": "phone", "volume": f"{load * staff / MEAN}/s"}]})
    if patience is not None:
        d["patience"] = patience
    return d


def scenario(**kw) -> simsla.Scenario:
    return simsla.Scenario.model_validate(data(**kw))


def assert_same_columns(a: dict, b: dict, what: str) -> None:
    assert list(a) == list(b), what
    for name in a:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        assert x.dtype == y.dtype, f"{what}.{name}: {x.dtype} vs {y.dtype}"
        assert x.shape == y.shape, f"{what}.{name}: {x.shape} vs {y.shape}"
        equal = (x == y) | (np.isnan(x) & np.isnan(y)) if x.dtype.kind == "f" else x == y
        assert equal.all(), f"{what}.{name}: first difference at row {np.flatnonzero(~equal)[0]}"


def assert_identical(sc: simsla.Scenario, seed: int = 1, rep: int = 0, max_queue: int = 200_000):
    """The fast path's RunLog equals the general engine's, column by column; returns it."""
    assert fastpath.applies(sc) is None, fastpath.applies(sc)
    fast = fastpath.run(sc, seed, rep, max_queue=max_queue)
    slow = Replication(sc, seed, rep, max_queue=max_queue).run()
    assert_same_columns(fast.tickets, slow.tickets, "tickets")
    assert_same_columns(fast.segments, slow.segments, "segments")
    assert list(fast.staffing) == list(slow.staffing)
    for name in slow.staffing:
        assert_same_columns(dict(enumerate(fast.staffing[name])), dict(enumerate(slow.staffing[name])), name)
    assert_same_columns(fast.outages, slow.outages, "outages")
    assert repr(fast.stopped_at) == repr(slow.stopped_at)
    assert fast.unstable == slow.unstable
    assert fast.stats == slow.stats and list(fast.needs) == list(slow.needs) == []
    return fast


PATIENCE = {"none": None, "exp": {"dist": "exponential", "mean": "1m"},
            "lognormal": {"dist": "lognormal", "mean": "3m", "cv": 1.5}}


def _family() -> list[tuple]:
    """Agents x load x patience, each with a horizon that keeps the case small, some with warm-up."""
    cases = []
    for k, (staff, load, patience) in enumerate(itertools.product((1, 2, 7, 25, 60), (0.5, 0.8, 0.95, 1.05),
                                                                  PATIENCE)):
        if k % 2:  # half of the grid, spread over it (neighbours are near-copies)
            continue
        rate = load * staff / MEAN
        horizon = min(14 * 86400.0, 6000 / rate)  # ~6,000 calls, at most two weeks
        warmup = 0.0 if k % 3 else horizon / 4
        cases.append((staff, load, patience, horizon, warmup))
    return cases


@pytest.mark.parametrize("staff,load,patience,horizon,warmup", _family())
def test_fast_path_log_equals_the_general_engine(staff, load, patience, horizon, warmup):
    sc = scenario(staff=staff, load=load, patience=PATIENCE[patience], horizon=horizon, warmup=warmup)
    log = assert_identical(sc, seed=staff)
    assert len(log.tickets["time"]) > 1000


def test_long_overloaded_run_is_flagged_unstable_the_same_way():
    sc = scenario(staff=3, load=1.05, horizon=21 * 86400.0)
    log = assert_identical(sc, seed=2)
    assert log.unstable is not None and "kept growing" in log.unstable
    assert np.isnan(log.segments["end"][-50:]).all()  # still waiting (or in work) at the stop: open


def test_seeds_and_replications():
    sc = scenario(staff=4, load=0.9, patience=PATIENCE["exp"], horizon=3 * 86400.0)
    for seed, rep in ((1, 0), (1, 3), (9, 1)):
        assert_identical(sc, seed, rep)


def test_outages_with_surges_and_major_incidents():
    d = data(staff=6, load=0.8, patience=PATIENCE["exp"], horizon=14 * 86400.0)
    d["services"] = [{"name": "s", "failures": {"time_between": {"dist": "exponential", "mean": "1d"},
                                                "time_to_restore": {"dist": "exponential", "mean": "2h"},
                                                "surge": "40/h", "major_incident": True}},
                     {"name": "t", "failures": {"time_between": {"dist": "exponential", "mean": "2d"},
                                                "time_to_restore": {"dist": "exponential", "mean": "1h"},
                                                "surge": "20/h"}}]
    d["demand"][0]["services"] = {"s": 1, "t": 1}
    log = assert_identical(simsla.Scenario.model_validate(d), seed=4)
    assert len(log.outages["start"]) > 5
    assert (log.tickets["stream"] > 0).sum() > 100  # surge calls and major incidents arrived


def test_several_streams_profiles_busy_days_and_priority_mixes_in_arrival_order():
    d = data(staff=8, load=0.9, patience=PATIENCE["lognormal"], horizon=14 * 86400.0, warmup=86400.0,
             phone_first=False)
    d["busy_days"] = {"b": {"cv": 0.2}}
    d["demand"] = [
        {"name": "calls", "channel": "phone", "volume": "25/h", "busy_days": "b",
         "profile": {"days": {"mon-fri": 1.0, "sat": 0.2, "sun": 0.1}}, "impact": {"high": 1, "low": 3}},
        {"name": "mail", "channel": "email", "volume": "10/h", "type": "request"},
        {"name": "vip", "channel": "phone", "volume": "4/h", "patience": {"dist": "exponential", "mean": "4h"}},
        {"name": "portal", "channel": "portal", "volume": "5/h", "busy_days": "b"},
    ]
    sc = simsla.Scenario.model_validate(d)
    log = assert_identical(sc, seed=6)
    assert len(set(log.tickets["priority"].tolist())) > 1 and len(set(log.tickets["channel"].tolist())) == 3


def test_handling_rules_by_attribute():
    handling = {"default": {"dist": "gamma", "mean": "3m", "cv": 0.5},
                "by": [{"when": {"channel": "email"}, "time": {"dist": "uniform", "low": "1m", "high": "9m"}},
                       {"resolves": True, "when": {"channel": "phone"}, "time": {"dist": "weibull", "mean": "2m",
                                                                                  "cv": 1.2}}]}
    d = data(staff=5, load=0.85, patience=PATIENCE["exp"], horizon=5 * 86400.0, handling=handling, phone_first=False)
    d["demand"].append({"name": "mail", "channel": "email", "volume": "6/h"})
    assert_identical(simsla.Scenario.model_validate(d), seed=3)


def test_no_arrivals_at_all():
    d = data(staff=2, horizon=60.0)
    d["demand"][0]["volume"] = "1/d"
    log = assert_identical(simsla.Scenario.model_validate(d), seed=1)
    assert len(log.tickets["time"]) == 0


def test_backlog_trend_sees_the_segments_in_the_ledgers_order(monkeypatch):
    """``growing_backlogs`` sums in array order: the fast path hands it the ledger's own (unsorted) order."""
    seen = {}
    for name, module in (("fast", fastpath), ("general", replication)):
        def spy(names, party, enter, end, warmup, stop, _name=name, _real=module.growing_backlogs):
            seen[_name] = (party.copy(), enter.copy(), end.copy())
            return _real(names, party, enter, end, warmup, stop)

        monkeypatch.setattr(module, "growing_backlogs", spy)
    sc = scenario(staff=3, load=1.05, horizon=5 * 86400.0, patience=PATIENCE["exp"])
    assert_identical(sc, seed=8)
    for fast, general in zip(seen["fast"], seen["general"]):
        assert np.array_equal(fast, general, equal_nan=True)
    assert not np.array_equal(seen["general"][1], np.sort(seen["general"][1]))  # (not simply by ticket)


# ------------------------------------------------------------------ exact ties
@pytest.fixture
def on_a_grid(monkeypatch):
    """Arrivals (in both engines) moved down to whole multiples of ``step`` seconds: batches and exact ties."""
    real = arrivals.generate

    def make(step: float):
        def generate(*args, **kw):
            out = real(*args, **kw)
            out["time"] = np.floor(out["time"] / step) * step
            return out

        monkeypatch.setattr(arrivals, "generate", generate)

    return make


@pytest.mark.parametrize("step,work,patience,staff,load", [
    (60.0, 120.0, None, 3, 0.9),  # completions land on arrival instants
    (60.0, 120.0, 60.0, 3, 0.95),  # and so do hang-ups (abandon_at == the instant an agent frees)
    (30.0, 90.0, 180.0, 1, 1.05),
    (10.0, 40.0, 30.0, 12, 0.9),
    (60.0, 60.0, 120.0, 40, 1.0),
])
def test_exact_ties_of_arrivals_completions_and_hang_ups(on_a_grid, step, work, patience, staff, load):
    on_a_grid(step)
    pat = None if patience is None else {"dist": "deterministic", "mean": patience}
    sc = scenario(staff=staff, load=load, patience=pat, horizon=min(4 * 86400.0, 5000 * MEAN / (load * staff)),
                  handling={"dist": "deterministic", "mean": work})
    log = assert_identical(sc, seed=staff)
    t, start = log.tickets["time"], log.tickets["answered"]
    ends = log.segments["end"]
    assert np.isin(start[~np.isnan(start)], t).mean() > 0.5  # most starts at an arrival instant: real ties
    assert len(np.unique(ends[~np.isnan(ends)])) < np.count_nonzero(~np.isnan(ends))  # segments end together


def test_overloaded_with_ties_gives_the_same_instability(on_a_grid):
    on_a_grid(60.0)
    sc = scenario(staff=2, load=1.05, horizon=21 * 86400.0, handling={"dist": "deterministic", "mean": MEAN})
    log = assert_identical(sc, seed=5)
    assert log.unstable is not None
    # with patience the queue settles (callers leave), hang-ups tie with completions on the grid
    sc = scenario(staff=2, load=1.05, horizon=21 * 86400.0, handling={"dist": "deterministic", "mean": MEAN},
                  patience={"dist": "deterministic", "mean": "2h"})
    assert_identical(sc, seed=5)


def test_a_zero_patience_at_a_tie_is_left_to_the_general_engine(on_a_grid, monkeypatch):
    """A caller hanging up at the instant they arrive, as an agent frees: SimPy's event order decides."""
    on_a_grid(60.0)
    real = arrivals.generate

    def zero_patience(*args, **kw):
        out = real(*args, **kw)
        out["patience"] = np.zeros_like(out["patience"])
        return out

    monkeypatch.setattr(arrivals, "generate", zero_patience)
    built = []

    class Spy(Replication):
        def __init__(self, *args, **kw):
            built.append(args)
            super().__init__(*args, **kw)

    monkeypatch.setattr(replication, "Replication", Spy)
    sc = scenario(staff=2, load=0.9, patience={"dist": "exponential", "mean": "1m"},
                  handling={"dist": "deterministic", "mean": 120.0}, horizon=86400.0)
    assert_identical(sc, seed=1)
    assert built  # the fast path handed this replication to the general engine


# ------------------------------------------------------------------ the clock and the queue bound
def test_clock_is_simpy_clock():
    """``_clock`` is SimPy's ``now`` after ``yield timeout(t - now)``, including where that is not ``t``."""
    rng = np.random.default_rng(3)
    # each time 2-3x the one before: ``t - now`` is rounded, so ``now + (t - now)`` may miss ``t``
    growing = 1e-100 * np.cumprod(rng.uniform(2, 3, 500))
    times = np.sort(np.concatenate([[0.0, 0.0, 1e-300], growing, growing[-1] + rng.uniform(0, 1e6, 2000)]))
    env, seen = simpy.Environment(), []

    def proc():
        for t in times.tolist():
            if t > env.now:
                yield env.timeout(t - env.now)
            seen.append(env.now)

    env.process(proc())
    env.run()
    clock = fastpath._clock(times)
    assert np.array_equal(clock, np.asarray(seen))
    assert not np.array_equal(clock, times)  # the case where SimPy's sum is not the arrival time is covered


def test_arrival_clock_that_is_not_the_arrival_time(monkeypatch):
    real = arrivals.generate

    def uneven(*args, **kw):
        out = real(*args, **kw)
        out["time"] = np.sort(np.concatenate([[0.04097352393619469, 1.3156707759269002], out["time"][2:]]))
        return out

    monkeypatch.setattr(arrivals, "generate", uneven)
    t = np.array([0.04097352393619469, 1.3156707759269002])
    assert fastpath._clock(t)[1] != t[1]
    assert_identical(scenario(staff=1, load=0.9, horizon=86400.0, patience=PATIENCE["exp"]), seed=2)


def test_a_queue_past_max_queue_stops_where_the_general_engine_stops():
    sc = scenario(staff=2, load=1.05, horizon=30 * 86400.0, patience={"dist": "exponential", "mean": "3h"})
    log = assert_identical(sc, seed=3, max_queue=40)
    assert log.unstable is not None and "reached 41 tickets" in log.unstable
    assert log.stopped_at < sc.end


def test_many_queued_callers_but_a_short_queue_stay_on_the_fast_path(monkeypatch):
    built = []

    class Spy(Replication):
        def __init__(self, *args, **kw):
            built.append(args)
            super().__init__(*args, **kw)

    sc = scenario(staff=3, load=0.9, horizon=10 * 86400.0, patience=PATIENCE["exp"])
    fast = fastpath.run(sc, 1, 0, max_queue=40)
    monkeypatch.setattr(replication, "Replication", Spy)
    again = fastpath.run(sc, 1, 0, max_queue=40)
    assert not built  # more than 40 callers waited, never 40 at once: no fall-back
    waited = np.count_nonzero(fast.tickets["answered"] > fast.tickets["time"])
    assert waited > 40
    slow = Replication(sc, 1, 0, max_queue=40).run()
    assert_same_columns(again.segments, slow.segments, "segments")
    assert fast.unstable is None and slow.unstable is None


# ------------------------------------------------------------------ the switch
def test_run_takes_the_fast_path_unless_switched_off(monkeypatch):
    sc = scenario(staff=4, load=0.9, horizon=2 * 86400.0, patience=PATIENCE["exp"])
    calls = []
    real = fastpath.run
    monkeypatch.setattr(fastpath, "run", lambda *a, **kw: calls.append(a) or real(*a, **kw))
    default = replication.run(sc, 1, 0)
    assert len(calls) == 1
    general = replication.run(sc, 1, 0, fast=False)
    monkeypatch.setenv(fastpath.ENV, "0")
    switched_off = replication.run(sc, 1, 0)
    assert len(calls) == 1
    for other in (general, switched_off):
        assert_same_columns(default.tickets, other.tickets, "tickets")
        assert_same_columns(default.segments, other.segments, "segments")
    monkeypatch.setenv(fastpath.ENV, "1")
    replication.run(sc, 1, 0)
    assert len(calls) == 2


def test_simulate_is_unchanged_by_the_fast_path(monkeypatch):
    sc = scenario(staff=4, load=0.9, horizon=2 * 86400.0, patience=PATIENCE["exp"])
    fast = simsla.simulate(sc, replications=2, seed=5, workers=1)
    monkeypatch.setenv(fastpath.ENV, "0")
    slow = simsla.simulate(sc, replications=2, seed=5, workers=1)
    assert fast.tickets.equals(slow.tickets) and fast.segments.equals(slow.segments)


# ------------------------------------------------------------------ what it refuses
def _with(d: dict, **desk) -> dict:
    d = copy.deepcopy(d)
    d["groups"][0].update(desk)
    return d


def _refused() -> list[tuple[str, dict, str]]:
    d = data(patience=PATIENCE["exp"])
    l2 = {"name": "l2", "staff": 2, "handling": {"dist": "exponential", "mean": "1h"}}
    cases = [
        ("second group", {**_with(d, first_contact_resolution=0.6), "groups": [
            _with(d, first_contact_resolution=0.6)["groups"][0], l2],
            "routing": [{"from": "desk", "to": {"l2": 1.0}}]}, "more than one group"),
        ("idle second group", {**d, "groups": [d["groups"][0], l2]}, "more than one group"),
        ("supplier", {**_with(d, first_contact_resolution=0.6), "suppliers": [
            {"name": "v", "response": {"dist": "exponential", "mean": "1h"},
             "resolution": {"dist": "exponential", "mean": "1d"}}],
            "routing": [{"from": "desk", "to": {"v": 1.0}}]}, "suppliers"),
        ("shifts", _with(d, staff=None, shifts=[{"days": "mon-sun", "hours": "00:00-24:00", "staff": 3}]), "shifts"),
        ("preemptive", _with(d, preemptive=True), "preemption"),
        ("customer wait", _with(d, customer_wait={"probability": 0.2,
                                                  "duration": {"dist": "exponential", "mean": "1h"}}),
         "customer waits"),
        ("lines", _with(d, lines=8), "phone lines"),
        ("callback", _with(d, callback={"offer_over": "60s", "accept": 0.5}), "callbacks"),
        ("redials", {**d, "redials": {"probability": 0.5, "delay": {"dist": "exponential", "mean": 60}}}, "redials"),
        ("agents", _with(d, staff=None, agents=[{"name": "a", "skills": {"x": 1}, "staff": 3}]), "agent groups"),
        ("priority discipline", {**_with(d, discipline="priority"),
                                 "demand": [{**d["demand"][0], "impact": {"high": 1, "low": 1}}]}, "priority"),
        ("phone first with mail", {**_with(d, phone_first=True),
                                   "demand": [*d["demand"], {"name": "m", "channel": "email", "volume": "3/h"}]},
         "priority"),
    ]
    return cases


@pytest.mark.parametrize("what,scenario_data,reason", _refused(), ids=[c[0] for c in _refused()])
def test_applies_refuses_what_it_does_not_model(what, scenario_data, reason):
    sc = simsla.Scenario.model_validate(scenario_data)
    why = fastpath.applies(sc)
    assert why is not None and reason in why, why
    assert not fastpath.chosen(sc)


def test_applies_refuses_what_validation_already_excludes():
    """First-contact resolution < 1, routing and staff 0 need other parties to pass validation; checked anyway."""
    sc = scenario()
    desk = sc.groups[0]
    less = desk.model_copy(update={"first_contact_resolution": 0.9})
    assert "first-contact resolution" in fastpath.applies(sc.model_copy(update={"groups": (less,)}))
    assert "staff 0" in fastpath.applies(sc.model_copy(update={"groups": (desk.model_copy(update={"staff": 0}),)}))
    route = simsla.Scenario.model_validate({**data(first_contact_resolution=0.5), "groups": [
        data(first_contact_resolution=0.5)["groups"][0], {"name": "l2", "staff": 1, "handling": {
            "dist": "exponential", "mean": 60}}], "routing": [{"from": "desk", "to": {"l2": 1}}]}).routing
    assert fastpath.applies(sc.model_copy(update={"routing": route})) == "routing rules"


@pytest.mark.parametrize("what,desk,demand", [
    ("phone first, phone only", {"phone_first": True}, None),
    ("priority discipline, one priority in the matrix", {"discipline": "priority"}, None),
    ("fifo with priorities and channels", {"phone_first": False},
     [{"name": "c", "channel": "phone", "volume": "20/h", "impact": {"high": 1, "low": 1}},
      {"name": "m", "channel": "email", "volume": "5/h"}]),
])
def test_applies_where_one_rank_is_in_effect(what, desk, demand):
    d = _with(data(patience=PATIENCE["exp"], horizon=2 * 86400.0), **desk)
    if demand is not None:
        d["demand"] = demand
    if what.startswith("priority discipline"):
        d["priority_matrix"] = {"priorities": ["P1"], "impacts": ["any"], "urgencies": ["any"],
                                "matrix": {"any": ["P1"]}}
    sc = simsla.Scenario.model_validate(d)
    assert fastpath.applies(sc) is None
    assert_identical(sc, seed=2)


def test_shipped_scenarios():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "scenarios"
    assert fastpath.applies(simsla.load_scenario(root / "erlang-c.yaml")) is None
    assert fastpath.applies(simsla.load_scenario(root / "municipal-it-desk.yaml")) is not None
