"""Local wall-clock windows on the engine axis: the fast path for plain days equals zoneinfo's answer."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from simsla.timebase import engine_seconds, weekly_intervals


def _slow(weekly, origin, span):
    rows = []
    first = origin.date() - dt.timedelta(days=1)
    for i in range(int(np.ceil(span / 86400)) + 3):
        day = first + dt.timedelta(days=i)
        for a, b in weekly.get(day.weekday(), ()):
            s, e = max(engine_seconds(origin, day, a), 0.0), min(engine_seconds(origin, day, b), span)
            if e > s:
                rows.append((s, e))
    return np.array(sorted(rows))


def test_fast_path_matches_zoneinfo_across_both_dst_changes():
    origin = dt.datetime(2026, 3, 2, tzinfo=ZoneInfo("Europe/Stockholm"))
    span = 260 * 86400.0  # March to November: both changes
    weekly = {d: [(h * 3600.0, (h + 1) * 3600.0) for h in range(24)] for d in range(7)}
    weekly[4] = [(22 * 3600.0, 30 * 3600.0)]  # an overnight window into Saturday
    weekly[5] = [(1 * 3600.0, 4 * 3600.0)]  # a window across the 02:00-03:00 change on Saturdays... and Sunday
    weekly[6] = [(0.0, 86400.0), (1.5 * 3600, 2.5 * 3600)]
    fast = weekly_intervals(weekly, origin, span)
    assert np.array_equal(fast, _slow(weekly, origin, span))


def _loop(weekly, origin, span, closed, values):
    """The placement written as the plain loop over days and windows (the order a stable sort keeps)."""
    rows = []
    first = origin.date() - dt.timedelta(days=1)
    for i in range(int(np.ceil(span / 86400)) + 3):
        day = first + dt.timedelta(days=i)
        if day in closed:
            continue
        for k, (a, b) in enumerate(weekly.get(day.weekday(), ())):
            s, e = max(engine_seconds(origin, day, a), 0.0), min(engine_seconds(origin, day, b), span)
            if e > s:
                rows.append((s, e, values[day.weekday()][k]))
    out = np.array(rows, dtype=float).reshape(-1, 3)
    return out[np.argsort(out[:, 0], kind="stable")]


def test_vectorised_placement_equals_the_loop_row_for_row():
    """Random weekly windows (overlapping, overnight, same starts), closed days, values, DST in three zones."""
    rng = np.random.default_rng(5)
    for zone_name, start in (("Europe/Stockholm", dt.date(2026, 3, 20)), ("America/New_York", dt.date(2026, 10, 25)),
                             ("UTC", dt.date(2026, 1, 5))):
        for _ in range(15):
            origin = dt.datetime.combine(start, dt.time(0), tzinfo=ZoneInfo(zone_name))
            span = float(rng.integers(1, 30)) * 86400.0 + float(rng.uniform(0, 86400))
            weekly, values = {}, {}
            for wd in range(7):
                n = int(rng.integers(0, 5))
                a = np.round(rng.uniform(0, 86400, n) / 900) * 900  # quarter hours: equal starts happen
                weekly[wd] = [(float(x), float(x + rng.integers(1, 40) * 900)) for x in a]
                values[wd] = [float(v) for v in rng.integers(1, 9, n)]
            closed = {start + dt.timedelta(days=int(d)) for d in rng.integers(0, 30, 3)}
            got = weekly_intervals(weekly, origin, span, closed=closed, values=values)
            assert np.array_equal(got, _loop(weekly, origin, span, closed, values))
            assert np.array_equal(weekly_intervals(weekly, origin, span, closed=closed),
                                  _loop(weekly, origin, span, closed, values)[:, :2])
