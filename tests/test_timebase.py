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
