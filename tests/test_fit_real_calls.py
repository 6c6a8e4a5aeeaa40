"""The Anonymous Bank call log (../shared/data/): fit and back-test (skipped where the data is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

import simsla
from simsla.fit import backtest, fit_log

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "anonymous_bank_calls_1999_08.csv.gz"
pytestmark = pytest.mark.skipif(not DATA.is_file(), reason=f"real data not present at {DATA}")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    fit = fit_log(DATA, "calls")
    path = tmp_path_factory.mktemp("bank") / "bank.yaml"
    path.write_text(fit.scenario_yaml())
    return fit, path


def test_fit_matches_what_is_known_about_the_log(fitted):
    fit, path = fitted
    f = fit.fit
    assert f.observed["calls offered"] == 38662                      # AGENT + HANG in queue
    assert f.observed["abandonment share"] == pytest.approx(0.188, abs=0.002)
    assert f.observed["mean handling time, s"] == pytest.approx(185, abs=2)
    assert f.handling.best.mean == pytest.approx(185, rel=0.05)
    assert f.patience.naive_mean == pytest.approx(89.5, abs=1)       # README: abandoners waited 89 s
    assert f.patience.exp_mle_mean > 3 * f.patience.naive_mean       # censoring matters
    assert f.arrivals.over_dispersed
    problems = set(fit.quality_frame()["problem"])
    assert "PHANTOM calls" in problems and "hung up in the VRU before asking for an agent" in problems
    simsla.load_scenario(path)


def test_backtest_within_ten_percent_on_abandonment_and_answer_within_20s(fitted):
    _, path = fitted
    # the fitted busy days (cv ~0.22, correlated across days) make a month's volume vary by ~10 % between
    # replications, as real months do: six replications keep the mean within the tolerances below
    bt = backtest(DATA, "calls", path, replications=6, seed=1, workers=2)
    df = bt.to_frame().set_index("measure")
    assert abs(df.loc["calls offered", "relative_error"]) < 0.03
    assert df.loc["calls offered", "ci_low"] <= df.loc["calls offered", "observed"] <= df.loc["calls offered", "ci_high"]
    assert abs(df.loc["abandonment share", "relative_error"]) < 0.15
    assert abs(df.loc["P(wait <= 20 s | served)", "relative_error"]) < 0.10
    assert abs(df.loc["mean handling time, s", "relative_error"]) < 0.03
