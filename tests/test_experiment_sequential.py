"""simsla.experiment.sequential: the stopping rule, its validity, and sequential runs of the engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simsla
from simsla.analysis.stats import wilson_ci
from simsla.experiment.sequential import (ALL_DECIDED, CAP_REACHED, FAILED, NOTHING, PRECISION_REACHED, Plan,
                                          run_looks, schedule, simulate_sequential)

ERLANG_C = Path(__file__).resolve().parent.parent / "scenarios" / "erlang-c.yaml"


# ---------------------------------------------------------------- the rule, pure
def test_the_schedule_doubles_from_the_first_look_to_the_cap():
    assert schedule(10, 64) == (10, 20, 40, 64)
    assert schedule(4, 64) == (4, 8, 16, 32, 64)
    assert schedule(5, 5) == (5,)
    with pytest.raises(ValueError, match="below the first batch"):
        schedule(8, 4)
    with pytest.raises(ValueError):
        Plan(precision=0.0)


def test_each_look_spends_an_equal_share_of_the_error():
    plan = Plan(0.03, first=10, cap=64)
    assert plan.look_level == pytest.approx(1 - 0.05 / 4)
    a = plan.assess("x", 3, 40)
    _, lo, hi = wilson_ci(3, 40, 1 - 0.05 / 4)
    assert (a.low, a.high) == (lo, hi)
    assert a.high - a.low > wilson_ci(3, 40)[2] - wilson_ci(3, 40)[1]  # wider than a fixed-size 95 % interval


def test_the_reasons_to_stop():
    plan = Plan(0.05, first=4, cap=16, line=0.1)
    assert plan.look(0, {"a": (0, 400), "b": (300, 400)}).stop == ALL_DECIDED  # far below and far above the line
    precise = plan.look(0, {"a": (40, 400), "b": (0, 400)})  # a sits on the line, but is known to about ±0.04
    assert precise.stop == PRECISION_REACHED and precise.undecided == []
    wide = plan.look(0, {"a": (4, 40)})
    assert wide.stop is None and wide.undecided == ["a"]
    last = plan.look(len(plan.looks) - 1, {"a": (4, 40)})
    assert last.stop == CAP_REACHED
    assert plan.look(0, {"a": (4, 40), "b": (30, 40)}, stop_on_failure=True).stop == FAILED
    assert plan.look(0, {"a": (0, 0)}).stop == NOTHING  # no complete period: more replications cannot help


def test_run_looks_asks_for_each_batch_once_and_reports_the_cap():
    plan = Plan(0.01, first=2, cap=8)
    asked = []
    record = run_looks(plan, lambda done, upto: asked.append((done, upto)), lambda upto: {"a": (upto, 10 * upto)})
    assert asked == [(0, 2), (2, 4), (4, 8)]
    assert record.replications == 8 and record.reason == CAP_REACHED
    assert "cap was reached" in record.headline() and "NOT" in record.headline()
    assert record.as_dict()["precision_reached"] is False


def _coverage(p: float, plan: Plan, periods_per_replication: int, seeds: int) -> tuple[float, float]:
    """Share of sequential runs of a Bernoulli(p) process whose final interval holds p, and mean replications."""
    covered, used = 0, 0
    for seed in range(seeds):
        draws = np.random.default_rng(seed).random((plan.cap, periods_per_replication)) < p
        record = run_looks(plan, lambda done, upto: None,
                           lambda upto: {"q": (int(draws[:upto].sum()), upto * periods_per_replication)})
        final = record.final.assessments[0]
        covered += final.low <= p <= final.high
        used += record.replications
    return covered / seeds, used / seeds


@pytest.mark.parametrize("p", [0.06, 0.1, 0.14])
def test_intervals_stay_valid_under_the_stopping(p):
    """The rule itself on a known-probability process: coverage at least the nominal 95 % over many seeds."""
    plan = Plan(0.03, first=2, cap=64, line=0.1)
    coverage, used = _coverage(p, plan, periods_per_replication=3, seeds=800)
    assert coverage >= 0.95, (p, coverage)


def test_borderline_quantities_cost_more_replications_than_easy_ones():
    plan = Plan(0.03, first=2, cap=64, line=0.1)
    _, easy = _coverage(0.8, plan, 3, 100)  # far above the 10 % line: decided at once, mostly
    _, borderline = _coverage(0.12, plan, 3, 100)
    assert easy < 3 and borderline > 30


# ---------------------------------------------------------------- sequential runs of the engine
def _desk(folder: Path, fraction: float) -> simsla.Scenario:
    """One agent, 6 calls/h of 3 minutes (load 0.3, about 72 % answered in 20 s), 11 complete weeks a replication."""
    text = (ERLANG_C.read_text(encoding="utf-8").replace("horizon: 28d", "horizon: 12w").replace("warmup: 1d", "warmup: 2h")
            .replace("volume: 200/h", "volume: 6/h").replace("staff: 14", "staff: 1")
            .replace("fraction: 0.8", f"fraction: {fraction}"))
    path = folder / f"desk-{fraction}.yaml"
    path.write_text(text, encoding="utf-8")
    return simsla.load_scenario(path)


@pytest.fixture(scope="module")
def easy(tmp_path_factory) -> simsla.Scenario:
    return _desk(tmp_path_factory.mktemp("easy"), 0.9)  # far from its target: every week breached


@pytest.fixture(scope="module")
def borderline(tmp_path_factory) -> simsla.Scenario:
    return _desk(tmp_path_factory.mktemp("borderline"), 0.7)


def test_same_seed_same_numbers_whatever_the_workers(borderline):
    one = simulate_sequential(borderline, 0.05, first=2, cap=8, seed=11, workers=1)
    two = simulate_sequential(borderline, 0.05, first=2, cap=8, seed=11, workers=2)
    assert one.extra["sequential"] == two.extra["sequential"]
    assert one.replications == two.replications
    for name in ("tickets", "segments", "runs"):
        assert getattr(one, name).equals(getattr(two, name)), name
    assert one.summary()["targets"] == two.summary()["targets"]


def test_an_easy_desk_stops_at_the_first_look_and_a_borderline_one_runs_on(easy, borderline):
    lines = []
    fast = simulate_sequential(easy, 0.05, first=2, cap=8, seed=3, workers=1, on_look=lambda k: lines.append(k.line(3)))
    assert fast.replications == 2 and fast.extra["sequential"]["stopped"] == ALL_DECIDED
    assert lines == ["look 1/3: 2 replications, 0 undecided, widest half-width "
                     f"{fast.extra['sequential']['looks'][0]['widest_half_width']:.3f} -> stop (all decided)"]
    slow = simulate_sequential(borderline, 0.05, first=2, cap=8, seed=3, workers=1)
    assert slow.replications > fast.replications


def test_the_cap_is_respected_and_said(borderline):
    res = simulate_sequential(borderline, 0.005, first=2, cap=4, seed=3, workers=1)
    seq = res.summary()["sequential"]
    assert res.replications == 4 and seq["stopped"] == CAP_REACHED and not seq["precision_reached"]
    assert "cap was reached" in seq["headline"]
    # the reported interval is the valid one: at the look level, wider than a fixed-size run's 95 % interval
    target = res.summary()["targets"][0]
    b, n = int(round(target["breach_probability"] * target["periods_evaluated"])), target["periods_evaluated"]
    assert target["breach_probability_ci95"] == pytest.approx(list(wilson_ci(b, n, seq["look_level"])[1:]))
    assert target["breach_interval_level_per_look"] == seq["look_level"]
