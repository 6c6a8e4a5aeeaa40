"""The calculator's week: seconds and rates as written, the intervals of the week, and what the shifts put in each.

The week runs in local wall-clock time from Monday 00:00 (``WEEK`` seconds);
an interval divides an hour (900, 1800, 3600 s) or is a whole number of hours
dividing a day.  Profiles are hourly, so ``_to_intervals`` gives a shorter
interval its hour's rate.  ``scheduled_staff`` and ``shift_cover`` count the
agents a group's shifts schedule per interval (holidays and daylight saving
ignored; the limits are listed in ``simsla.decide.erlang``).
"""

from __future__ import annotations

import math

import numpy as np

from simsla.model.calendar import parse_days, parse_hours
from simsla.model.units import parse_duration, parse_rate

WEEK = 7 * 86400.0
HOUR = 3600.0
DAY_LABELS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _rate(value: float | str) -> float:
    return parse_rate(value) if isinstance(value, str) else float(value)


def _duration(value: float | str | None) -> float | None:
    if value is None:
        return None
    return parse_duration(value) if isinstance(value, str) else float(value)


def _check_interval(interval: float) -> float:
    interval = float(interval)
    if interval <= 0 or (HOUR % interval > 1e-9 and (interval % HOUR > 1e-9 or 86400 % interval > 1e-9)):
        raise ValueError("interval must divide an hour (e.g. 900, 1800, 3600) or be whole hours dividing a day")
    return interval


def _to_intervals(hourly: np.ndarray, interval: float) -> np.ndarray:
    """An hourly rate per interval: split evenly below an hour (profiles are hourly), averaged above."""
    n = int(round(WEEK / interval))
    if interval <= HOUR:
        return np.repeat(hourly, int(round(HOUR / interval)))
    return hourly.reshape(n, int(round(interval / HOUR))).mean(axis=1)


def _clock(seconds: float) -> str:
    return f"{int(seconds % 86400 // 3600):02d}:{int(seconds % 3600 // 60):02d}"


def scheduled_staff(group, interval: float = HOUR) -> np.ndarray:
    """Agents a group's shifts schedule in each interval of the week (average over the interval).

    Local wall-clock hours, Monday 00:00 first; holidays and daylight-saving
    days are ignored.  A group with constant ``staff`` has it everywhere.
    """
    n = int(round(WEEK / interval))
    if group.staff is not None:
        return np.full(n, float(group.staff))
    out = np.zeros(n)
    for shift in group.shifts or ():
        out += shift.staff * shift_cover(shift, interval)
    return out


def shift_cover(shift, interval: float = HOUR) -> np.ndarray:
    """Share of each interval of the week covered by one shift block (0..1)."""
    n = int(round(WEEK / interval))
    cover = np.zeros(n)
    for day in parse_days(shift.days):
        for start, end in parse_hours(shift.hours):
            a, b = day * 86400.0 + start, day * 86400.0 + end
            for k in range(int(a // interval), int(math.ceil(b / interval))):
                lo, hi = max(a, k * interval), min(b, (k + 1) * interval)
                if hi > lo:
                    cover[k % n] += (hi - lo) / interval
    return cover
