"""``simsla fit SERIES --format counts``: reading a count series, its data problems, and a round trip."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import simsla
from simsla.cli import app
from simsla.fit import fit_log
from simsla.fit.counts import read_series
from simsla.fit.quality import Quality
from simsla.fit.reading import LogError

runner = CliRunner()
WEEKDAY = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.4, 0.3])
MONTHS = np.array([1.1, 1.05, 1.2, 1.0, 0.95, 0.85, 0.6, 0.8, 1.05, 1.1, 1.15, 0.9])
TREND, CV, BASE = 0.08, 0.15, 300.0
# a day of quarter hours: a bell around noon over a floor
SHAPE = np.exp(-0.5 * ((np.arange(96) / 4 - 12) / 3) ** 2) + 0.05
SHAPE = SHAPE / SHAPE.sum()


def synthetic(days: int, seed: int = 3, interval: int = 15, seasons: bool = True) -> pd.DataFrame:
    """A count series from the true model, written here independently of simsla: known profile, months, trend, cv."""
    rng = np.random.default_rng(seed)
    months, trend = (MONTHS, TREND) if seasons else (np.ones(12), 0.0)
    dates = pd.date_range("2023-01-02", periods=days, freq="D")
    per = 24 * 60 // interval
    shape = SHAPE.reshape(per, -1).sum(axis=1)
    factor = rng.gamma(1 / CV**2, CV**2, days)
    mean = (BASE * WEEKDAY[dates.day_of_week] * months[dates.month - 1] * (1 + trend) ** (np.arange(days) / 365.25)
            * factor)
    counts = rng.poisson(mean[:, None] * shape[None, :])
    stamps = dates.values[:, None] + (np.arange(per) * interval * 60 * 10**9).astype("timedelta64[ns]")[None, :]
    return pd.DataFrame({"interval_start": pd.DatetimeIndex(stamps.ravel()).strftime("%Y-%m-%d %H:%M"),
                         "offered": counts.ravel()})


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    path = tmp_path_factory.mktemp("series") / "series.csv"
    synthetic(800).to_csv(path, index=False)
    return fit_log(path, "counts"), path


def widen(f: float, lo: float, hi: float, level_z: float = 2.576) -> tuple[float, float]:
    """A 95 % log-scale interval widened to 99 % (12 months are checked at once)."""
    k = level_z / 1.96
    return f * (lo / f) ** k, f * (hi / f) ** k


def test_round_trip_recovers_cv_trend_months_weekdays_and_profile(round_trip):
    fit, _ = round_trip
    d = fit.fit.daily
    lo, hi = d.cv_interval  # 95 %, widened to 99 % like every check here
    lo, hi = d.cv - (d.cv - lo) * 2.576 / 1.96, d.cv + (hi - d.cv) * 2.576 / 1.96
    assert lo <= CV <= hi, f"cv {d.cv:.3f} [{lo:.3f}, {hi:.3f}] vs true {CV}"
    assert hi - lo < 0.05
    t, tlo, thi = d.trend
    tlo, thi = widen(1 + t, 1 + tlo, 1 + thi)
    assert tlo - 1 <= TREND <= thi - 1 and thi - tlo < 0.06, d.trend
    jan = d.months["jan"][0]
    for k, (name, (f, flo, fhi)) in enumerate(d.months.items()):
        if name == "jan":
            continue
        low, high = widen(f / jan, flo / jan, fhi / jan)
        assert low <= MONTHS[k] / MONTHS[0] <= high, (name, f / jan, low, high, MONTHS[k] / MONTHS[0])
    mon = d.weekday["mon"][0]
    for k, (name, (f, flo, fhi)) in enumerate(d.weekday.items()):
        if name != "mon":
            low, high = widen(f / mon, flo / mon, fhi / mon)
            assert low <= WEEKDAY[k] / WEEKDAY[0] <= high, (name, f / mon, low, high)
    # the profile: each weekday's day shape within a few per cent per hour where it matters
    week = fit.fit.week.reshape(7, 96)
    hours = (week / week.sum(axis=1, keepdims=True)).reshape(7, 24, 4).sum(axis=2)
    true = SHAPE.reshape(24, 4).sum(axis=1)
    big = true > 0.03
    assert np.max(np.abs(hours[:5, big] / true[big] - 1)) < 0.08
    assert fit.fit.daily.correlation == 0.0  # independent days were not made into runs


def test_the_fitted_scenario_loads_and_spans_the_series(round_trip, tmp_path):
    fit, _ = round_trip
    path = tmp_path / "fitted.yaml"
    path.write_text(fit.scenario_yaml())
    sc = simsla.load_scenario(path)
    assert sc.horizon == 800 * 86400 and str(sc.start) == "2023-01-02"
    d = sc.demand[0]
    assert sc.busy_days_of(d).cv == pytest.approx(CV, abs=0.03)
    assert len(sc.profile(d).hour_of_week) == 672
    assert sc.volume_calendar_of(d).trend == pytest.approx(TREND, abs=0.03)
    files = fit.write_report(tmp_path / "report")
    names = {f.name for f in files}
    assert {"daily_totals.png", "busy_days.png", "daily.csv", "report.csv"} <= names
    report = pd.read_csv(tmp_path / "report" / "report.csv")
    assert report["note"].str.contains("var = m \\+ cv\\^2 m\\^2").any()


def test_a_short_series_fits_no_months_and_no_trend_and_says_why(tmp_path):
    path = tmp_path / "short.csv"
    synthetic(60, interval=30).to_csv(path, index=False)
    fit = fit_log(path, "counts").fit
    assert fit.series.interval == 30 and fit.daily.months is None and fit.daily.trend is None
    assert any("not fitted" in n for n in fit.daily.notes)


def write(tmp_path, frame: pd.DataFrame, name: str = "s.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_gaps_fractional_duplicates_and_off_grid_rows_are_data_problems(tmp_path):
    df = synthetic(30).astype({"offered": float})
    df = df.drop(index=range(500, 520))                                     # a gap
    df.loc[10, "offered"] = 2.5                                             # fractional
    df = pd.concat([df, df.iloc[[30]]])                                     # a duplicate interval
    df = pd.concat([df, pd.DataFrame({"interval_start": ["2023-01-03 10:07"], "offered": [3]})])  # off the grid
    df = pd.concat([df, pd.DataFrame({"interval_start": ["not a time"], "offered": [3]})])
    df.loc[40, "offered"] = -1
    q = Quality()
    series = read_series(write(tmp_path, df), q)
    problems = " | ".join(q.frame()["problem"])
    for words in ("gap", "fractional", "more than once", "off the 15-minute grid", "timestamp", "negative"):
        assert words in problems, problems
    assert len(series.complete_days()) == 30 - 2  # the gap's day and the negative count's day are incomplete


@pytest.mark.parametrize("minutes, ok", [(5, True), (10, True), (60, True), (7, False), (90, False), (1, False)])
def test_interval_must_be_5_to_60_minutes_dividing_an_hour(tmp_path, minutes, ok):
    stamps = pd.date_range("2023-01-02", periods=int(20 * 1440 / minutes), freq=f"{minutes}min")
    df = pd.DataFrame({"time": stamps.strftime("%Y-%m-%d %H:%M"), "calls": 1})
    path = write(tmp_path, df)
    if ok:
        assert read_series(path).interval == minutes
    else:
        with pytest.raises(LogError, match="interval"):
            read_series(path)


def test_columns_detected_or_mapped_and_refused_with_the_file_named(tmp_path):
    df = synthetic(20).rename(columns={"interval_start": "Intervall", "offered": "Anrufe"})
    df["agents"] = 3
    path = write(tmp_path, df)
    # detected: the first numeric column that is not the timestamp
    assert read_series(path).counts.sum() == df["Anrufe"].sum()
    mapped = read_series(path, mapping={"timestamp": "Intervall", "count": "agents"})
    assert mapped.counts.sum() == 3 * len(df)
    with pytest.raises(LogError, match="Nope"):
        read_series(path, mapping={"timestamp": "Intervall", "count": "Nope"})
    with pytest.raises(LogError, match="no timestamp column"):
        read_series(write(tmp_path, pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]}), "no_time.csv"))


def test_cli_fit_counts_writes_a_scenario_and_refuses_a_bad_series(tmp_path):
    path = write(tmp_path, synthetic(21))
    out = tmp_path / "fitted.yaml"
    result = runner.invoke(app, ["fit", str(path), "--format", "counts", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text())["demand"][0]["busy_days"]["cv"] > 0
    bad = write(tmp_path, pd.DataFrame({"time": ["2023-01-02 00:00", "2023-01-02 00:07"], "n": [1, 2]}), "bad.csv")
    result = runner.invoke(app, ["fit", str(bad), "--format", "counts", "-o", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and "bad.csv" in result.output and "Traceback" not in result.output


# ------------------------------------------------------------------------------------------ back-test
def test_backtest_prediction_intervals_cover_and_the_spread_matches(tmp_path):
    """On a series from the true model, 80 % / 95 % intervals cover about 80 % / 95 % of 84 held-out days
    (binomial 99 % intervals) and the simulated day-to-day spread matches the observed (its interval holds 1)."""
    from simsla.fit import backtest

    path = write(tmp_path, synthetic(224, seed=8, seasons=False))
    bt = backtest(path, "counts", holdout=84 * 86400.0, seed=2)
    df = bt.to_frame().set_index("measure")
    for level in (0.80, 0.95):
        cover = df.loc[f"coverage of the {level:.0%} prediction interval of daily totals", "observed"]
        half = 2.576 * math.sqrt(level * (1 - level) / 84)
        assert level - half <= cover <= min(1.0, level + half), (level, cover)
    spread = df.loc["day-to-day spread, simulated / observed"]
    assert spread["ci_low"] <= 1.0 <= spread["ci_high"] and spread["ci_high"] - spread["ci_low"] < 1.0
    months = [m for m in df.index if m.startswith("total ")]
    assert months and all(abs(df.loc[m, "relative_error"]) < 0.25 for m in months)


def test_cli_backtest_counts_with_holdout_and_its_refusals(tmp_path):
    path = write(tmp_path, synthetic(70, seasons=False))
    result = runner.invoke(app, ["backtest", str(path), "--format", "counts", "--holdout", "2w", "-o", str(tmp_path / "bt")])
    assert result.exit_code == 0, result.output
    assert "coverage of the 80% prediction interval" in result.output and (tmp_path / "bt" / "backtest.csv").is_file()
    result = runner.invoke(app, ["backtest", str(path), "--format", "counts", "--holdout", "9w"])
    assert result.exit_code == 2 and "too little data" in result.output
    result = runner.invoke(app, ["backtest", str(path), "--format", "counts", "--holdout", "soon"])
    assert result.exit_code == 2 and "--holdout" in result.output
    result = runner.invoke(app, ["backtest", str(path), "--format", "calls", "--holdout", "2w"])
    assert result.exit_code == 2 and "--holdout applies to --format counts" in result.output


def test_holiday_effect_is_fitted_from_the_holidays_calendar(tmp_path):
    import holidays

    df = synthetic(150, seed=11, seasons=False)
    stamps = pd.to_datetime(df["interval_start"])
    df["interval_start"] = (stamps + pd.Timedelta(days=58)).dt.strftime("%Y-%m-%d %H:%M")  # from 2023-03-01
    se = holidays.country_holidays("SE", years=[2023])
    on_holiday = np.array([d in se for d in (stamps + pd.Timedelta(days=58)).dt.date])
    rng = np.random.default_rng(5)
    df.loc[on_holiday, "offered"] = rng.binomial(df.loc[on_holiday, "offered"].to_numpy(), 0.3)
    path = write(tmp_path, df)
    fit = fit_log(path, "counts", {"holidays": "SE"})
    d = fit.fit.daily
    assert d.holidays_seen >= 5
    f, lo, hi = d.holiday
    low, high = widen(f, lo, hi)
    assert low <= 0.3 <= high, d.holiday
    sc = fit.scenario()
    special = sc.volume_calendar_of(sc.demand[0]).special_days[0]
    assert special.holidays == "public-holidays" and special.factor == pytest.approx(f, rel=1e-3)
    assert sc.calendars["public-holidays"].holiday_country == "SE"
