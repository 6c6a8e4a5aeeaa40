"""simsla.decide.frontier on a near-deterministic desk whose frontier is known by hand.

Requests take exactly 2 minutes, incidents exactly 10; the desk has far more
agents than it needs, so nobody waits and a ticket's resolution time is its
handling time.  Nothing arrives on Sundays, so every ticket is resolved in the
week it arrived.  Per week, the share of tickets within any threshold between
2 and 10 minutes is the share of requests that week.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import simsla
from simsla.analysis.attainment import target_summary
from simsla.decide.frontier import allowed_breaches, frontier

WEEK = 7 * 86400


@pytest.fixture(scope="module")
def results() -> simsla.Results:
    profile = {"days": {"mon-sat": 1.0, "sun": 0.0}}
    data = {
        "name": "frontier by hand", "start": "2026-01-05", "timezone": "UTC", "horizon": "4w",
        "services": [{"name": "helpdesk"}],
        "demand": [
            {"name": "requests", "channel": "portal", "type": "request", "volume": "3/h", "profile": profile},
            {"name": "incidents", "channel": "portal", "type": "incident", "volume": "1/h", "profile": profile},
        ],
        "groups": [{"name": "desk", "role": "desk", "staff": 30, "first_contact_resolution": 1.0, "discipline": "fifo",
                    "handling": {"default": {"dist": "deterministic", "value": "10m"},
                                 "by": [{"when": {"type": "request"}, "time": {"dist": "deterministic", "value": "2m"}}]}}],
        "agreements": [{"name": "SLA", "kind": "SLA", "period": "week", "targets": [
            {"name": "resolved in 5m", "metric": "resolution", "threshold": "5m", "fraction": 0.7}]}],
    }
    sc = simsla.Scenario.model_validate(data)
    return simsla.simulate(sc, replications=5, seed=11, workers=1)


def _weekly_request_shares(results: simsla.Results) -> np.ndarray:
    tk = results.tickets
    assert tk["outcome"].eq("resolved").all()
    week = (tk["arrival"] // WEEK).astype(int)
    share = tk.assign(week=week, req=tk["type"].eq("request")).groupby(["replication", "week"])["req"].mean()
    assert len(share) == 20
    return np.sort(share.to_numpy())


def test_highest_fraction_is_an_order_statistic_of_the_weekly_shares(results) -> None:
    shares = _weekly_request_shares(results)
    for conf in (0.9, 0.8, 0.5):
        f = frontier(results, "SLA", "resolved in 5m", confidence=conf)
        m = int(math.floor((1 - conf) * 20 + 1e-9))
        assert f.periods == 20
        assert f.highest_fraction == pytest.approx(shares[m])
        # at that fraction, exactly the weeks below it breach
        assert (shares < f.highest_fraction - 1e-12).sum() <= m


def test_tightest_threshold_is_2_or_10_minutes(results) -> None:
    shares = _weekly_request_shares(results)
    f = frontier(results, "SLA", "resolved in 5m", confidence=0.9, fractions=[0.5, shares[0] - 1e-3, 0.95, 1.0])
    curve = f.curve.set_index("fraction")["threshold_seconds"]
    assert curve.loc[0.5] == pytest.approx(120.0)
    assert curve.loc[shares[0] - 1e-3] == pytest.approx(120.0)
    assert curve.loc[0.95] == pytest.approx(600.0)
    assert curve.loc[1.0] == pytest.approx(600.0)


def test_breach_probability_of_the_agreed_pair_matches_evaluate(results) -> None:
    f = frontier(results, "SLA", "resolved in 5m")
    (row,) = target_summary(results)
    assert f.breach_probability == pytest.approx(row["breach_probability"])
    assert list(f.breach_ci95) == pytest.approx(row["breach_probability_ci95"])
    shares = _weekly_request_shares(results)
    assert f.breach_probability == pytest.approx((shares < 0.7).mean())


def test_monotone_curve_and_grid(results) -> None:
    f = frontier(results, "SLA", "resolved in 5m", confidence=0.9)
    th = f.curve["threshold_seconds"].to_numpy(dtype=float)
    assert np.all(np.diff(th) >= 0), "a higher fraction never allows a tighter threshold"
    m = f.grid_matrix()
    assert (np.diff(m.to_numpy(), axis=0) <= 1e-12).all(), "breach probability falls as the threshold grows"
    assert (np.diff(m.to_numpy(), axis=1) >= -1e-12).all(), "and rises with the fraction"
    stricter = frontier(results, "SLA", "resolved in 5m", confidence=0.9, criterion="upper")
    # 20 periods cannot show a breach probability <= 10 % with 95 % confidence: nothing is defended
    assert allowed_breaches(20, 0.9, "upper") == -1 and stricter.tightest_threshold is None
    assert allowed_breaches(40, 0.9, "upper") == 0 and allowed_breaches(20, 0.9) == 2
    lax = frontier(results, "SLA", "resolved in 5m", confidence=0.5)
    assert lax.highest_fraction >= f.highest_fraction


def test_outputs_and_save(results, tmp_path) -> None:
    f = frontier(results, "SLA", "resolved in 5m")
    d = f.to_dict()
    assert d["threshold"] == "5m" and d["periods"] == 20 and len(d["grid"]["breach_probability"]) == len(d["grid"]["thresholds_seconds"])
    assert isinstance(f.to_frame(), pd.DataFrame) and {"fraction", "threshold_seconds", "breach_probability"} <= set(f.to_frame())
    f.save(tmp_path / "out")
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"frontier.json", "frontier_curve.csv", "frontier_grid.csv"}


def test_unknown_names_are_refused(results) -> None:
    with pytest.raises(ValueError, match="no agreement named"):
        frontier(results, "SLA X", "resolved in 5m")
    with pytest.raises(ValueError, match="has no target"):
        frontier(results, "SLA", "nope")


def test_the_offer_carries_intervals_over_replications_and_is_rounded_safely(results) -> None:
    f = frontier(results, "SLA", "resolved in 5m", confidence=0.8)
    lo, hi = f.highest_fraction_ci95
    assert f.replications == 5
    assert lo is not None and lo <= f.highest_fraction <= hi
    # the by-hand frontier: the share of requests per week varies between weeks, so the interval has width
    assert hi - lo > 0.0
    offer = f.offer()
    assert offer["highest_fraction"] <= f.highest_fraction + 1e-12  # rounded down: never more than shown
    assert f.fraction_step in (0.05, 0.01, 0.001) and f.fraction_step <= (hi - lo) / 4 or f.fraction_step == 0.001
    # same results, same intervals (the bootstrap is seeded from the run's seed)
    again = frontier(results, "SLA", "resolved in 5m", confidence=0.8)
    assert again.highest_fraction_ci95 == f.highest_fraction_ci95
    assert again.tightest_threshold_ci95 == f.tightest_threshold_ci95


def test_too_few_periods_is_said(results) -> None:
    assert frontier(results, "SLA", "resolved in 5m", confidence=0.8).notes == ()  # 5 x 4 weeks: 20 periods
    one = simsla.simulate(results.scenario, replications=1, seed=11, workers=1)
    f = frontier(one, "SLA", "resolved in 5m", confidence=0.8)
    assert f.periods == 4 and f.highest_fraction_ci95 == (None, None)
    assert any("4 complete periods (fewer than 20)" in n for n in f.notes)
    assert any("one replication: no interval" in n for n in f.notes)


def test_rounding_goes_the_safe_way() -> None:
    from simsla.decide.frontier import round_to

    assert round_to(13_999.0, 3600.0, "up") == 14_400.0
    assert round_to(0.8349, 0.01, "down") == 0.83
    assert round_to(0.83, 0.01, "down") == 0.83  # exact multiples stay
    assert round_to(float("inf"), 3600.0, "up") == float("inf")
