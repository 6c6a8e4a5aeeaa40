"""Reporting periods by local calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simsla.analysis.periods import PERIODS, period_bounds, period_index, period_label, period_table

TZ = "Europe/Stockholm"
ZONE = ZoneInfo(TZ)
DAY = 86400.0
ORIGIN = dt.datetime(2025, 12, 29, tzinfo=ZONE)  # Monday of ISO week 2026-W01


def engine(*args: int, origin: dt.datetime = ORIGIN, zone: ZoneInfo = ZONE) -> float:
    return dt.datetime(*args, tzinfo=zone).timestamp() - origin.timestamp()


def labels(t, period, origin=ORIGIN, tz=TZ):
    return list(period_label(period_index(np.asarray(t, dtype=float), origin, tz, period), period))


def test_labels_at_known_instants():
    t = [0.0, engine(2026, 1, 1), engine(2026, 1, 14, 12), engine(2026, 4, 1), engine(2026, 12, 31, 23, 59)]
    assert labels(t, "week") == ["2026-W01", "2026-W01", "2026-W03", "2026-W14", "2026-W53"]
    assert labels(t, "month") == ["2025-12", "2026-01", "2026-01", "2026-04", "2026-12"]
    assert labels(t, "quarter") == ["2025-Q4", "2026-Q1", "2026-Q1", "2026-Q2", "2026-Q4"]
    assert labels(t, "year") == ["2025", "2026", "2026", "2026", "2026"]
    assert labels([engine(2027, 1, 4)], "week") == ["2027-W01"]


def test_scalar_in_scalar_out():
    code = period_index(0.0, ORIGIN, TZ, "month")
    assert isinstance(code, np.integer)
    assert period_label(code, "month") == "2025-12"
    start, end = period_bounds(code, ORIGIN, TZ, "month")
    assert start == pytest.approx(engine(2025, 12, 1)) and end == 3 * DAY


def test_bounds_follow_local_midnights_across_dst():
    code = period_index(engine(2026, 3, 15), ORIGIN, TZ, "month")
    start, end = period_bounds(code, ORIGIN, TZ, "month")
    assert start == engine(2026, 3, 1) and end == engine(2026, 4, 1)
    assert end - start == 31 * DAY - 3600  # March loses an hour to DST
    code = period_index(engine(2026, 10, 15), ORIGIN, TZ, "month")
    start, end = period_bounds(code, ORIGIN, TZ, "month")
    assert end - start == 31 * DAY + 3600
    week = period_index(engine(2026, 3, 26), ORIGIN, TZ, "week")
    start, end = period_bounds(week, ORIGIN, TZ, "week")
    assert start == engine(2026, 3, 23) and end - start == 7 * DAY - 3600


def test_period_starts_belong_to_the_new_period():
    for period in PERIODS:
        codes = np.arange(3) + period_index(10 * DAY, ORIGIN, TZ, period)
        start, end = period_bounds(codes, ORIGIN, TZ, period)
        np.testing.assert_array_equal(period_index(start, ORIGIN, TZ, period), codes)
        np.testing.assert_array_equal(period_index(end - 1e-3, ORIGIN, TZ, period), codes)
        np.testing.assert_array_equal(start[1:], end[:-1])  # consecutive codes tile time


def test_period_table_includes_empty_periods():
    table = period_table(origin=ORIGIN, tz=TZ, period="month", span=(0.0, engine(2026, 4, 1)))
    assert list(table["label"]) == ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert list(table.columns) == ["code", "label", "start", "end"]
    assert table["code"].is_monotonic_increasing
    from_times = period_table(np.array([engine(2026, 2, 3), engine(2026, 2, 4), 0.0]), origin=ORIGIN, tz=TZ, period="quarter")
    assert list(from_times["label"]) == ["2025-Q4", "2026-Q1"]


def test_other_time_zone_and_naive_origin():
    ny = ZoneInfo("America/New_York")
    origin = dt.datetime(2026, 3, 2)  # naive: local time in tz
    t = engine(2026, 3, 31, 23, 30, origin=origin.replace(tzinfo=ny), zone=ny)
    assert labels([t], "month", origin=origin, tz="America/New_York") == ["2026-03"]
    # the same instant (05:30 on 1 April in Stockholm) is already April there
    stockholm_origin = origin.replace(tzinfo=ny).astimezone(ZONE)
    assert labels([t], "month", origin=stockholm_origin, tz=TZ) == ["2026-04"]


def test_errors_and_shapes():
    with pytest.raises(ValueError, match="unknown period"):
        period_index(np.array([0.0]), ORIGIN, TZ, "fortnight")
    with pytest.raises(ValueError, match="finite"):
        period_index(np.array([0.0, np.nan]), ORIGIN, TZ, "week")
    with pytest.raises(ValueError, match="time zone"):
        period_index(np.array([0.0]), ORIGIN, "Nowhere/Special", "week")
    t = np.arange(6.0).reshape(2, 3) * 40 * DAY
    assert period_index(t, ORIGIN, TZ, "month").shape == (2, 3)
    assert period_label(period_index(t, ORIGIN, TZ, "month"), "month").shape == (2, 3)


@settings(max_examples=200, deadline=None)
@given(
    t=st.lists(st.floats(0, 3 * 365 * DAY, allow_nan=False), min_size=1, max_size=30),
    period=st.sampled_from(PERIODS),
)
def test_against_pandas_local_calendar(t, period):
    t = np.array(t)
    codes = period_index(t, ORIGIN, TZ, period)
    start, end = period_bounds(codes, ORIGIN, TZ, period)
    assert np.all(start <= t) and np.all(t < end)
    local = (pd.Timestamp(ORIGIN).tz_convert("UTC") + pd.to_timedelta(t, unit="s")).tz_convert(TZ)
    if period == "week":
        iso = local.isocalendar()
        expected = [f"{y:04d}-W{w:02d}" for y, w in zip(iso["year"], iso["week"])]
    elif period == "month":
        expected = [f"{x.year:04d}-{x.month:02d}" for x in local]
    elif period == "quarter":
        expected = [f"{x.year:04d}-Q{x.quarter}" for x in local]
    else:
        expected = [f"{x.year:04d}" for x in local]
    assert list(period_label(codes, period)) == expected
    # each start is a local midnight on the period's first day
    starts = (pd.Timestamp(ORIGIN).tz_convert("UTC") + pd.to_timedelta(start, unit="s")).tz_convert(TZ)
    assert all(x.hour == 0 and x.minute == 0 for x in starts)
    if period == "week":
        assert all(x.weekday() == 0 for x in starts)
    else:
        assert all(x.day == 1 for x in starts)
