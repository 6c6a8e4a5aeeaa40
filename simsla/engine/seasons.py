"""The volume calendar on the engine axis: months or weeks of the year, a trend and special days.

A stream's rate on local day ``d`` is its weekly profile's rate times a
deterministic day factor: the factor of ``d``'s month (or ISO week), times
``(1 + trend) ** years`` since the scenario's start, times a special day's
``factor``.  A special day that changes the day's shape (``closed``, ``as``
another weekday, its own ``hours``) replaces that day's intervals.  All of
this is known before a replication starts, so it is applied to the rate
intervals once and the time rescaling of the Poisson process is unchanged.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from simsla.model import DemandStream, Scenario
from simsla.model.volume import SpecialDay, VolumeCalendar
from simsla.timebase import closed_dates, engine_seconds, local_days

HOUR = 3600.0
DAYS_PER_YEAR = 365.25


def special_days(scenario: Scenario, vc: VolumeCalendar, days: list[dt.date]) -> list[SpecialDay | None]:
    """The special day that decides each date (the first in the list that matches), else ``None``."""
    out: list[SpecialDay | None] = [None] * len(days)
    index = {day: i for i, day in enumerate(days)}
    for special in vc.special_days:
        if special.date is not None:
            dates = [special.date]
        else:
            cal = scenario.calendar(special.holidays)
            dates = closed_dates(cal.holidays, cal.holiday_country, cal.holiday_subdivision, scenario.origin,
                                 scenario.end)
        for date in dates:
            i = index.get(date)
            if i is not None and out[i] is None:
                out[i] = special
    return out


def day_factors(scenario: Scenario, vc: VolumeCalendar, days: list[dt.date]) -> np.ndarray:
    """Month (or week) factor times the trend for each local date (special days not included)."""
    if vc.weeks is not None:
        season = np.array([vc.weeks.get(day.isocalendar()[1], 1.0) for day in days])
    else:
        months = vc.month_factors()
        season = np.array([months[day.month - 1] for day in days])
    years = np.array([(day - scenario.start).days for day in days]) / DAYS_PER_YEAR
    return season * (1.0 + vc.trend) ** years


def day_intervals(scenario: Scenario, day: dt.date, rates: np.ndarray) -> np.ndarray:
    """(start, end, rate) for equal local slots of one date (24: hours), within the run.

    The skipped hour of spring is empty, as on the engine axis everywhere.
    """
    slot = 24 * HOUR / len(rates)
    edges = np.clip([engine_seconds(scenario.origin, day, j * slot) for j in range(len(rates) + 1)], 0.0, scenario.end)
    iv = np.column_stack([edges[:-1], edges[1:], rates])
    return iv[(iv[:, 1] > iv[:, 0]) & (iv[:, 2] > 0)]


def apply_volume_calendar(scenario: Scenario, stream: DemandStream, intervals: np.ndarray,
                          weights: np.ndarray) -> np.ndarray:
    """The stream's rate intervals with its volume calendar applied (unchanged without one).

    ``weights`` are the stream's week weights at its profile's resolution
    (168·k, mean 1): a day taken ``as`` another weekday gets that weekday's
    slots of them, and a day with its own ``hours`` keeps its weekday's
    expected volume.
    """
    vc = scenario.volume_calendar_of(stream)
    if vc is None:
        return intervals
    days = local_days(scenario.origin, scenario.end)
    starts = np.array([engine_seconds(scenario.origin, day, 0.0) for day in days])
    factor = day_factors(scenario, vc, days)
    special = special_days(scenario, vc, days)
    reshaped = np.zeros(len(days), dtype=bool)
    for i, s in enumerate(special):
        if s is None:
            continue
        factor[i] *= s.factor if s.factor is not None else 1.0
        reshaped[i] = s.closed or s.as_day is not None or s.hours is not None
    day = np.clip(np.searchsorted(starts, intervals[:, 0], side="right") - 1, 0, len(days) - 1)
    keep = ~reshaped[day]
    out = intervals[keep].copy()
    out[:, 2] *= factor[day[keep]]
    parts = [out]
    for i in np.flatnonzero(reshaped):
        s = special[i]
        if s.closed:
            continue
        own, per_day = days[i].weekday(), len(weights) // 7
        if s.as_day is not None:
            shape = weights[s.weekday * per_day:(s.weekday + 1) * per_day]
        else:
            # the day's own expected volume (in hours at the mean rate), spread by its 24 hours
            hours_at_mean = weights[own * per_day:(own + 1) * per_day].sum() * 24 / per_day
            shape = np.asarray(s.hours, dtype=float) / np.sum(s.hours) * hours_at_mean
        parts.append(day_intervals(scenario, days[i], stream.volume * shape * factor[i]))
    iv = np.vstack(parts)
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    return iv[iv[:, 2] > 0]


def run_day_factors(scenario: Scenario, stream: DemandStream) -> tuple[list[dt.date], np.ndarray]:
    """Each local date of the run and the volume calendar's factor on it (special days included; 1 without one)."""
    days = local_days(scenario.origin, scenario.end)
    vc = scenario.volume_calendar_of(stream)
    if vc is None:
        return days, np.ones(len(days))
    factor = day_factors(scenario, vc, days)
    for i, s in enumerate(special_days(scenario, vc, days)):
        if s is not None:
            factor[i] = 0.0 if s.closed else factor[i] * (s.factor if s.factor is not None else 1.0)
    return days, factor


def mean_factor(scenario: Scenario, stream: DemandStream) -> float:
    """The volume calendar's average day factor over the run (1 without one): the load check and the estimate."""
    if scenario.volume_calendar_of(stream) is None:
        return 1.0
    _, factor = run_day_factors(scenario, stream)
    return float(max(factor.mean(), 0.0)) if len(factor) else 1.0


def month_factors(scenario: Scenario, stream: DemandStream) -> dict[tuple[int, int], float]:
    """The volume calendar's average day factor in each (year, month) of the run."""
    days, factor = run_day_factors(scenario, stream)
    sums: dict[tuple[int, int], list[float]] = {}
    for day, f in zip(days, factor):
        sums.setdefault((day.year, day.month), []).append(float(f))
    return {k: float(np.mean(v)) for k, v in sums.items()}
