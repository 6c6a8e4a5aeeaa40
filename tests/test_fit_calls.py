"""Fitting call logs: patience with censoring, dirty data, the round trip through simsla."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simsla
from simsla.fit import fit_log
from simsla.fit.calls import fit_patience, read_calls
from simsla.fit.distributions import duration_text, fit_durations, kaplan_meier
from simsla.fit.quality import Quality
from simsla.fit.tolog import write_call_log

FIXTURES = Path(__file__).parent / "fixtures"

ROUND_TRIP = """
name: round trip
start: 2026-01-05
horizon: 2w
services: [{name: helpdesk}]
profiles:
  day: {intervals: [{days: mon-fri, hours: 08:00-12:00, weight: 2}, {days: mon-fri, hours: 12:00-17:00, weight: 1}]}
demand:
  - {name: calls, channel: phone, volume: 1500/week, profile: day}
patience: {dist: exponential, mean: 2m}
groups:
  - name: desk
    role: desk
    shifts: [{days: mon-fri, hours: 08:00-17:00, staff: 5}]
    handling: {dist: lognormal, mean: 4m, cv: 0.8}
    first_contact_resolution: 1.0
    discipline: fifo
"""


def test_duration_fit_recovers_known_lognormal_and_picks_it_by_aic():
    x = np.random.default_rng(1).lognormal(np.log(120), 0.6, 4000)
    fit = fit_durations(x, "x")
    assert fit.best.family == "lognormal"
    assert fit.best.mean == pytest.approx(120 * np.exp(0.18), rel=0.05)
    assert fit.spec()["dist"] == "lognormal"


def test_duration_text_is_readable_and_parsed_back():
    from simsla.model.units import parse_duration

    for s in (1, 59, 61, 3600, 3725, 90061):
        assert parse_duration(duration_text(s)) == s


def test_patience_censored_mle_beats_the_naive_mean():
    rng = np.random.default_rng(7)
    n, mean = 5000, 180.0
    patience = rng.exponential(mean, n)
    offered_wait = rng.exponential(100.0, n)          # how long each caller would have to wait
    abandoned = patience < offered_wait
    wait = np.minimum(patience, offered_wait)
    p = fit_patience(wait, abandoned)
    assert p.exp_mle_mean == pytest.approx(mean, rel=0.07)
    assert abs(p.naive_mean - mean) > 3 * abs(p.exp_mle_mean - mean)
    assert p.naive_mean < 0.6 * mean                    # only the impatient abandon
    assert p.km_median == pytest.approx(mean * np.log(2), rel=0.1)
    assert p.censored.best.mean == pytest.approx(mean, rel=0.15)


def test_kaplan_meier_without_censoring_is_the_empirical_survival():
    t, s = kaplan_meier([1, 2, 2, 3], [True, True, True, True])
    assert list(t) == [1, 2, 3]
    assert np.allclose(s, [0.75, 0.25, 0.0])


def test_dirty_call_log_is_cleaned_and_reported(tmp_path):
    raw = pd.read_csv(FIXTURES / "bank_calls_sample.csv", dtype=str, keep_default_na=False)
    dirty = pd.concat([raw, raw.iloc[:3]], ignore_index=True)          # 3 duplicates
    dirty.loc[5, "q_start"] = "?"                                      # missing value
    dirty.loc[6, "ser_start"] = "25:99:00"                             # unparseable
    dirty.loc[7, "date"] = "99x803"                                    # bad date
    dirty.loc[8, "outcome"] = "WHO_KNOWS"                              # unknown outcome
    path = tmp_path / "dirty.csv"
    dirty.to_csv(path, index=False)
    fit = fit_log(path, "calls")
    problems = fit.quality_frame().set_index("problem")["count"]
    assert problems["duplicate rows"] == 3
    assert problems["missing or unparseable date"] == 1
    assert problems["unparseable ser_start"] >= 1
    assert problems["unknown outcome (not AGENT/HANG/PHANTOM)"] == 1
    assert "data_quality" in fit.to_dict()
    assert isinstance(simsla.Scenario.model_validate(__import__("yaml").safe_load(fit.scenario_yaml())), simsla.Scenario)


def test_not_a_call_log_is_a_clear_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not an Anonymous Bank call log"):
        read_calls(path, Quality())


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    path = tmp_path_factory.mktemp("rt") / "scenario.yaml"
    path.write_text(ROUND_TRIP)
    scenario = simsla.load_scenario(path)
    results = simsla.simulate(scenario, replications=1, seed=3, workers=1)
    log = write_call_log(results, path.with_name("calls.csv"))
    return results, fit_log(log, "calls"), path.parent


def test_round_trip_recovers_the_parameters(round_trip):
    results, fit, folder = round_trip
    f = fit.fit
    assert f.arrivals.per_week == pytest.approx(1500, rel=0.06)
    w = np.asarray(f.arrivals.weights()).reshape(7, 24)
    assert w[5:].sum() == 0 and w[0, :8].sum() == 0
    assert w[:5, 8:12].mean() / w[:5, 12:17].mean() == pytest.approx(2.0, rel=0.15)
    assert f.handling.best.mean == pytest.approx(240, rel=0.06)
    assert f.handling.best.cv == pytest.approx(0.8, rel=0.15)
    assert f.patience.exp_mle_mean == pytest.approx(120, rel=0.2)
    assert f.patience.naive_mean < 0.6 * 120
    assert f.staff["agents"].max() <= 5.0
    # the fitted scenario loads as is
    (folder / "fitted.yaml").write_text(fit.scenario_yaml())
    simsla.load_scenario(folder / "fitted.yaml")


def test_report_files(round_trip, tmp_path):
    _, fit, _ = round_trip
    files = fit.write_report(tmp_path)
    names = {p.name for p in files}
    assert {"scenario.yaml", "report.csv", "data_quality.csv", "fit.json", "patience.png", "handling.png"} <= names
    assert set(fit.report_frame().columns) == {"section", "measure", "observed", "fitted", "note"}
