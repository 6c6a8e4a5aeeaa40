"""The volume calendar: month/week factors, trend and special days, in the model and on the engine axis."""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import textwrap

import numpy as np
import pytest
from scipy import stats

import simsla
from simsla.engine import arrivals, seasons
from simsla.engine.daily import day_starts
from simsla.experiment import gate
from simsla.io import ScenarioError, load_scenario

MONTHS = {"jan": 1.1, "feb": 1.05, "mar": 1.2, "apr": 1.0, "may": 0.95, "jun": 0.85, "jul": 0.6,
          "aug": 0.8, "sep": 1.05, "oct": 1.1, "nov": 1.15, "dec": 0.9}
DAYS = {"mon-fri": 1.0, "sat": 0.3, "sun": 0.1}

BASE = {
    "name": "volume calendar unit",
    "start": "2026-01-01",
    "timezone": "Europe/Stockholm",
    "horizon": "365d",
    "calendars": {"se": {"hours": {"all": "24h"}, "holiday_country": "SE"}},
    "services": [{"name": "mail"}],
    "demand": [{"name": "calls", "channel": "phone", "volume": "100/day", "profile": {"days": DAYS}}],
    "groups": [{"name": "desk", "role": "desk", "staff": 4, "handling": {"dist": "exponential", "mean": "1m"},
                "first_contact_resolution": 1.0}],
}


def scenario(stream: dict | None = None, **top) -> simsla.Scenario:
    data = copy.deepcopy(BASE)
    data["demand"][0].update(stream or {})
    data.update(top)
    return simsla.Scenario.model_validate(data)


def day_volume(volume_per_day: float, day: dt.date) -> float:
    """Expected contacts on a date from the weekly profile alone (the oracle, from the spec)."""
    w = [1.0] * 5 + [0.3, 0.1]
    return volume_per_day * 7 * w[day.weekday()] / sum(w)


def monthly_counts(sc: simsla.Scenario, replications: int, seed: int) -> np.ndarray:
    starts = day_starts(sc)
    days = [sc.start + dt.timedelta(days=i - 1) for i in range(len(starts))]  # local_days starts a day early
    month = np.array([d.month - 1 if d.year == sc.start.year else -1 for d in days])
    out = np.zeros((replications, 12))
    for r in range(replications):
        t = arrivals.generate(sc, seed, r)["time"]
        day = np.searchsorted(starts, t, side="right") - 1
        m = month[day]
        out[r] = np.bincount(m[m >= 0], minlength=12)
    return out


def test_a_year_reproduces_the_stated_monthly_totals():
    sc = scenario({"volume_calendar": {"months": MONTHS}})
    expected = np.zeros(12)
    for m in range(12):
        for d in range(1, calendar.monthrange(2026, m + 1)[1] + 1):
            expected[m] += day_volume(100, dt.date(2026, m + 1, d)) * list(MONTHS.values())[m]
    counts = monthly_counts(sc, 10, seed=5)
    # Poisson counts pooled over 10 replications: chi-square over the 12 months
    observed = counts.sum(axis=0)
    stat = float(((observed - 10 * expected) ** 2 / (10 * expected)).sum())
    assert stats.chi2.sf(stat, 12) > 0.001, (observed / 10, expected)
    # and power: a flat year is rejected
    flat = np.array([sum(day_volume(100, dt.date(2026, m + 1, d)) for d in range(1, calendar.monthrange(2026, m + 1)[1] + 1))
                     for m in range(12)])
    assert stats.chi2.sf(float(((observed - 10 * flat) ** 2 / (10 * flat)).sum()), 12) < 1e-6


def test_trend_compounds_from_the_start():
    sc = scenario({"volume_calendar": {"trend": "8%"}})
    iv = arrivals.rate_intervals(sc, sc.demand[0])
    plain = arrivals.rate_intervals(scenario(), scenario().demand[0])
    assert len(iv) == len(plain)
    ratio = iv[:, 2] / plain[:, 2]
    days = (iv[:, 0] // 86400).astype(int)  # close enough to the local day away from midnight
    assert np.allclose(ratio[days == 0], 1.0)
    assert ratio[-1] == pytest.approx(1.08 ** (364 / 365.25), rel=1e-3)
    assert np.all(np.diff(ratio) >= -1e-12)


def test_special_days_closed_factor_as_and_hours():
    hours = [0] * 8 + [1] * 8 + [0] * 8
    vc = {"special_days": [
        {"date": "2026-03-10", "closed": True},
        {"date": "2026-03-11", "factor": 2.5},
        {"date": "2026-03-12", "as": "sunday"},
        {"date": "2026-03-13", "hours": hours, "factor": 0.5},
    ]}
    sc, plain = scenario({"volume_calendar": vc}), scenario()
    iv, base = arrivals.rate_intervals(sc, sc.demand[0]), arrivals.rate_intervals(plain, plain.demand[0])
    starts = day_starts(sc)

    def mass(intervals, date):
        i = (date - sc.start).days + 1
        inside = (intervals[:, 0] >= starts[i]) & (intervals[:, 0] < starts[i + 1])
        part = intervals[inside]
        return float(((part[:, 1] - part[:, 0]) * part[:, 2]).sum()), part

    assert mass(iv, dt.date(2026, 3, 10))[0] == 0
    assert mass(iv, dt.date(2026, 3, 11))[0] == pytest.approx(2.5 * mass(base, dt.date(2026, 3, 11))[0])
    assert mass(iv, dt.date(2026, 3, 12))[0] == pytest.approx(mass(base, dt.date(2026, 3, 15))[0])  # a Sunday
    m13, part = mass(iv, dt.date(2026, 3, 13))
    assert m13 == pytest.approx(0.5 * mass(base, dt.date(2026, 3, 13))[0])
    local_hours = (part[:, 0] - starts[(dt.date(2026, 3, 13) - sc.start).days + 1]) / 3600
    assert local_hours.min() == 8 and local_hours.max() == 15
    # every other day is untouched
    assert mass(iv, dt.date(2026, 3, 9))[0] == pytest.approx(mass(base, dt.date(2026, 3, 9))[0])


def test_holidays_as_sunday_is_the_old_holiday_behaviour():
    old = scenario({"holidays": "se"})
    new = scenario({"volume_calendar": {"special_days": [{"holidays": "se", "as": "sunday"}]}})
    a, b = arrivals.rate_intervals(old, old.demand[0]), arrivals.rate_intervals(new, new.demand[0])
    assert np.allclose(a, b)
    closed = scenario({"volume_calendar": {"special_days": [{"holidays": "se", "closed": True}]}})
    c = arrivals.rate_intervals(closed, closed.demand[0])
    assert len(c) < len(a)


def test_first_special_day_wins_and_week_factors():
    sc = scenario({"volume_calendar": {"weeks": {10: 2.0}, "special_days": [
        {"date": "2026-03-03", "factor": 3.0}, {"date": "2026-03-03", "closed": True}]}})
    vc = sc.volume_calendar_of(sc.demand[0])
    days = [dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 9)]  # ISO week 10, 10, 11
    assert list(seasons.day_factors(sc, vc, days)) == pytest.approx([2.0 * 1.0, 2.0, 1.0], rel=1e-3)
    assert seasons.special_days(sc, vc, days)[1].factor == 3.0


def test_named_calendars_are_shared_and_the_estimate_follows_them():
    sc = scenario({"volume_calendar": "retail"}, volume_calendars={"retail": {"months": {m: 2.0 for m in MONTHS}}})
    assert gate.estimate_resources(sc).tickets == pytest.approx(2 * gate.estimate_resources(scenario()).tickets, rel=0.01)


def test_no_calendar_changes_nothing():
    a = arrivals.generate(scenario(), 3, 0)["time"]
    b = arrivals.generate(scenario({"volume_calendar": {"months": {"jan": 1}}}), 3, 0)["time"]
    assert np.array_equal(a, b)


HEAD = """\
name: t
start: 2026-01-05
horizon: 1w
calendars: {office: {hours: {mon-fri: 08:00-17:00}}}
services: [{name: s}]
groups: [{name: desk, role: desk, staff: 2, handling: {dist: exponential, mean: 4m}, first_contact_resolution: 1}]
"""
STREAM = "demand: [{name: c, channel: phone, volume: 5/h, volume_calendar: %s}]\n"


@pytest.mark.parametrize("calendar_text, field, words", [
    ("{months: {mars: 1.2}}", "demand[0].volume_calendar", "not a month"),
    ("{months: {mar: -1}}", "demand[0].volume_calendar.months.mar", "negative"),
    ("{months: {mar: 1e12}}", "demand[0].volume_calendar.months.mar", "1000"),
    ("{special_days: [{date: 2026-01-06, factor: -2}]}", "demand[0].volume_calendar.special_days[0].factor", "negative"),
    ("{months: {mar: 1}, weeks: {3: 1}}", "demand[0].volume_calendar", "not both"),
    ("{weeks: {54: 1}}", "demand[0].volume_calendar", "ISO week"),
    ("{trend: 12}", "demand[0].volume_calendar.trend", "10"),
    ("{trend: lots}", "demand[0].volume_calendar.trend", "number"),
    ("{special_days: [{date: 2026-01-06}]}", "demand[0].volume_calendar.special_days[0]", "say what the day does"),
    ("{special_days: [{date: 2026-01-06, closed: true, factor: 2}]}", "demand[0].volume_calendar.special_days[0]", "closed day"),
    ("{special_days: [{date: 2026-01-06, as: funday}]}", "demand[0].volume_calendar.special_days[0]", "not a weekday"),
    ("{special_days: [{date: 2026-01-06, hours: [1, 2]}]}", "demand[0].volume_calendar.special_days[0]", "24 weights"),
    ("{special_days: [{date: 1900-01-06, factor: 2}]}", "demand[0].volume_calendar.special_days[0]", "1971"),
    ("{special_days: [{holidays: nowhere, closed: true}]}", "demand[0].volume_calendar.special_days[0].holidays", "unknown calendar"),
    ("{special_days: [{factor: 2}]}", "demand[0].volume_calendar.special_days[0]", "either a date or a holiday"),
    ("retail", "demand[0].volume_calendar", "unknown volume calendar 'retail'"),
])
def test_the_loader_names_file_line_and_field(tmp_path, calendar_text, field, words):
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + STREAM % calendar_text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert f"{path}:" in text and field in text and words in text, text
