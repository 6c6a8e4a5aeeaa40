"""Local wall-clock time <-> engine seconds.

The engine counts seconds from the scenario's origin (its start date, 00:00
local time).  Opening hours, shifts and arrival profiles are written in local
wall-clock time, so each local day is placed on the engine's axis separately;
that is what makes daylight-saving days 23 or 25 hours long, as they are.
This module is below both the engine and the analysis layer and imports
neither.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simsla.clock import BusinessClock
    from simsla.model import Scenario

DAY = 86400.0


def local_days(origin: dt.datetime, span: float) -> list[dt.date]:
    """The local dates that overlap [0, span] engine seconds (one extra day either side)."""
    n = int(np.ceil(span / DAY)) + 3
    first = origin.date() - dt.timedelta(days=1)
    return [first + dt.timedelta(days=i) for i in range(n)]


def engine_seconds(origin: dt.datetime, day: dt.date, seconds_after_midnight: float) -> float:
    """Engine time of a local wall-clock instant (``day`` + seconds after its midnight).

    A wall-clock time that does not exist (the hour skipped in spring) maps to
    the instant the clocks jumped; one that exists twice (autumn) to its first
    occurrence.
    """
    tz = origin.tzinfo
    whole_days, rest = divmod(seconds_after_midnight, DAY)
    day = day + dt.timedelta(days=int(whole_days))
    naive = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(seconds=rest)
    local = naive.replace(tzinfo=tz, fold=0)
    utc = local.astimezone(dt.timezone.utc)
    # a non-existent local time round-trips to another wall time: use the jump instant
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        utc = _transition(tz, naive.replace(tzinfo=tz, fold=1).astimezone(dt.timezone.utc), utc)
    return (utc - origin.astimezone(dt.timezone.utc)).total_seconds()


def _transition(tz: dt.tzinfo, before: dt.datetime, after: dt.datetime) -> dt.datetime:
    """The UTC instant in [before, after] at which ``tz``'s offset changes (to the second)."""
    offset = before.astimezone(tz).utcoffset()
    while (after - before).total_seconds() > 1:
        mid = before + (after - before) / 2
        if mid.astimezone(tz).utcoffset() == offset:
            before = mid
        else:
            after = mid
    return after.replace(microsecond=0)


@functools.lru_cache(maxsize=16)
def _midnights(origin: dt.datetime, span: float) -> np.ndarray:
    """Engine time of each local midnight of ``local_days(origin, span)`` and of the two after them.

    Kept per (origin, span): every stream, shift and calendar of a run asks for the same days, in
    every replication.  The array is shared: read only.
    """
    days = local_days(origin, span)
    midnights = [engine_seconds(origin, d, 0.0) for d in days]
    midnights += [engine_seconds(origin, days[-1], DAY), engine_seconds(origin, days[-1], 2 * DAY)]
    out = np.asarray(midnights)
    out.flags.writeable = False
    return out


def weekly_intervals(
    weekly: Mapping[int, Sequence[tuple[float, float]]],
    origin: dt.datetime,
    span: float,
    closed: Iterable[dt.date] = (),
    values: Mapping[int, Sequence[float]] | None = None,
) -> np.ndarray:
    """Place weekly local windows on the engine axis.

    Parameters
    ----------
    weekly
        weekday (0 = Monday) -> windows as (start, end) seconds after local
        midnight; ``end`` past 86400 runs into the next day.
    origin
        engine time zero, an aware datetime.
    span
        engine seconds to cover, from 0.
    closed
        local dates on which no window starts (holidays).
    values
        optional weekday -> one number per window (staff, a weight), returned
        as a third column.

    Returns
    -------
    numpy.ndarray
        rows (start, end[, value]) in engine seconds, sorted by start, clipped
        to [0, span], empty windows dropped.  Windows are not merged.
    """
    closed = set(closed)
    days = local_days(origin, span)
    width = 3 if values is not None else 2
    # a local midnight per day (and one more): where a day and the next are 24 h long, a
    # wall-clock time is just midnight + offset; only days around a DST change need zoneinfo
    mid = _midnights(origin, span)
    # every window of every open day, in day order then window order (as a loop over them would be),
    # placed at once: midnight + offset (this runs per replication and stream, a row per hour of the year)
    per_wd = [np.asarray(weekly.get(wd, ()), dtype=float).reshape(-1, 2) for wd in range(7)]
    open_days = np.array([i for i, d in enumerate(days) if d not in closed and len(per_wd[d.weekday()])],
                         dtype=np.int64)
    if len(open_days) == 0:
        return np.zeros((0, width))
    wds = np.array([days[i].weekday() for i in open_days], dtype=np.int64)
    counts = np.array([len(w) for w in per_wd], dtype=np.int64)[wds]
    first = np.concatenate([[0], np.cumsum([len(w) for w in per_wd])])
    flat = np.concatenate(per_wd)
    day_of_row = np.repeat(open_days, counts)
    k = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    row = first[np.repeat(wds, counts)] + k
    start, end = mid[day_of_row] + flat[row, 0], mid[day_of_row] + flat[row, 1]
    plain = (mid[1:-1] - mid[:-2] == DAY) & (mid[2:] - mid[1:-1] == DAY)
    for r in np.flatnonzero(~plain[day_of_row]):  # a DST change: each wall-clock time through zoneinfo
        day = days[day_of_row[r]]
        start[r], end[r] = engine_seconds(origin, day, flat[row[r], 0]), engine_seconds(origin, day, flat[row[r], 1])
    start, end = np.maximum(start, 0.0), np.minimum(end, span)
    keep = end > start
    cols = [start[keep], end[keep]]
    if values is not None:
        per_value = [np.asarray(values[wd] if len(per_wd[wd]) else (), dtype=float).reshape(-1) for wd in range(7)]
        if any(len(v) != len(w) for v, w in zip(per_value, per_wd)):
            raise ValueError("weekly_intervals: `values` needs one number per window of each weekday")
        vals = np.concatenate(per_value)
        cols.append(vals[row[keep]])
    out = np.column_stack(cols) if keep.any() else np.zeros((0, width))
    return out[np.argsort(out[:, 0], kind="stable")]


def step_function(intervals: np.ndarray, span: float) -> tuple[np.ndarray, np.ndarray]:
    """Sum of (start, end, value) boxes as a step function on [0, span].

    Returns ``(times, levels)``: the level is ``levels[i]`` from ``times[i]``
    until ``times[i + 1]`` (the last level holds until ``span``).  Consecutive
    equal levels are merged.
    """
    edges = np.concatenate([[0.0], intervals[:, 0], intervals[:, 1]])
    deltas = np.concatenate([[0.0], intervals[:, 2], -intervals[:, 2]])
    order = np.argsort(edges, kind="stable")
    edges, deltas = edges[order], deltas[order]
    times, index = np.unique(edges, return_index=True)
    level = np.cumsum(deltas)
    # level after all changes at the same instant
    last = np.concatenate([index[1:] - 1, [len(edges) - 1]])
    levels = np.round(level[last], 9)
    keep = np.concatenate([[True], levels[1:] != levels[:-1]])
    times, levels = times[keep], levels[keep]
    inside = times < span
    return times[inside], levels[inside]


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone ``name``."""
    return zoneinfo.ZoneInfo(name)


def closed_dates(holidays: Iterable[dt.date], country: str | None, subdivision: str | None,
                 origin: dt.datetime, span: float) -> list[dt.date]:
    """All dates a calendar is closed over the run: listed dates plus a country's holidays."""
    dates = set(holidays)
    if country:
        first = origin.year
        last = (origin + dt.timedelta(seconds=span)).year + 1
        from simsla.clock import holiday_dates  # the holidays package is only imported when a country is named

        dates |= set(holiday_dates(country, range(first, last + 1), subdivision))
    return sorted(dates)


def calendar_clock(scenario: "Scenario", name: str | None, margin: float = 400 * DAY) -> "BusinessClock":
    """The business clock of a scenario's calendar (``None``/``24/7``: always open).

    The margin past the horizon lets tickets still open at the end get
    deadlines and business ages; a scenario with a backlog gets a clock that
    also covers the time before the start back to its oldest ticket
    (``simsla.model.backlog.backlog_lead``), where their SLA clocks began.
    """
    from simsla.model.backlog import backlog_lead

    lead = float(np.ceil(backlog_lead(scenario) / DAY) + 1) * DAY if scenario.backlog else 0.0
    cal = scenario.calendar(name)
    # a clock is read only and a pure function of these: every target, party and replication of a
    # run asks for the same few, and building one costs milliseconds
    key = (cal.model_dump_json(), scenario.timezone, scenario.origin.isoformat(), float(scenario.end), margin, lead)
    clock = _CLOCKS.get(key)
    if clock is None:
        if len(_CLOCKS) >= 64:
            _CLOCKS.clear()
        clock = _CLOCKS[key] = _build_clock(scenario, cal, margin, lead)
    return clock


#: business clocks built so far, by what they are built from (``calendar_clock``)
_CLOCKS: dict[tuple, "BusinessClock"] = {}


def _build_clock(scenario: "Scenario", cal, margin: float, lead: float) -> "BusinessClock":
    from simsla.clock import BusinessClock

    if cal.is_always_open:
        return BusinessClock.always(origin=scenario.origin, horizon=scenario.end, margin=margin, lead=lead)
    first = scenario.origin - dt.timedelta(seconds=lead)
    closed = closed_dates(cal.holidays, cal.holiday_country, cal.holiday_subdivision, first,
                          scenario.end + margin + lead)
    return BusinessClock.from_weekly(cal.weekly(), holidays=closed, tz=scenario.timezone, origin=scenario.origin,
                                     horizon=scenario.end, margin=margin, lead=lead)
