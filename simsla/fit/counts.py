"""Count series (contacts per interval, the usual ACD or WFM export): read, check, fit.

A series is a CSV with a timestamp column (the start of each interval) and a
count column, at one regular interval from 5 to 60 minutes that divides an
hour.  The columns are detected (a column that parses as timestamps; a
numeric column named like ``count``/``calls``/``offered``/``volume``, else the
first other numeric one) or named with ``--mapping`` (``timestamp: COLUMN``,
``count: COLUMN``; optionally ``holidays: COUNTRY`` for the holiday calendar
of the ``holidays`` package).

Data problems are counted and listed, never crashed on: missing or
unparseable timestamps and counts (row dropped), negative counts (dropped),
fractional counts (kept: they are averages or scaled, but a Poisson count is
whole), duplicate intervals (summed), timestamps off the grid (dropped) and
gaps (intervals missing inside the span: their days are left out of the
daily model, the rest of the day still counts for the profile).

What is fitted (``fit_series``):

* the profile of the week at the series' resolution: per slot of the week
  the mean count, after dividing each day by its month, trend and holiday
  factor (so it is the profile of a typical week at factor 1);
* the daily model (``simsla.fit.daily``): weekday volumes, month factors
  and trend where the span allows, a holiday factor, and the busy-day cv left
  after all that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simsla.fit.daily import DailyFit, fit_daily
from simsla.fit.quality import Quality
from simsla.fit.reading import LogError, no_usable_rows, read_table, require_enough, require_rows

EXPECTS = "a count series (--format counts): a timestamp column and a count column"
HINT = ("--format counts reads one row per interval (5 to 60 minutes) with its start time and its count; name the "
        "columns with --mapping MAP.yaml (timestamp: COLUMN, count: COLUMN) if they are not found")
COUNT_NAMES = ("count", "counts", "calls", "offered", "calls_offered", "contacts", "volume", "n", "arrivals", "value")
TIME_NAMES = ("timestamp", "time", "interval", "start", "datetime", "date_time", "period", "date")
#: the shortest and longest interval a series may have, minutes
MIN_INTERVAL, MAX_INTERVAL = 5, 60
MIN_DAYS = 14


@dataclass
class Series:
    """A cleaned count series on its regular grid (NaN where an interval is missing)."""

    counts: pd.Series          # index: interval starts, every slot of the span
    interval: int              # minutes
    quality: Quality
    holidays_country: str | None = None

    @property
    def slots_per_day(self) -> int:
        return 24 * 60 // self.interval

    def complete_days(self) -> pd.Series:
        """Daily totals of the days with no missing interval."""
        day = self.counts.index.normalize()
        g = self.counts.groupby(day)
        full = g.count() == self.slots_per_day
        return g.sum()[full]


def _mapping(mapping: Any) -> dict[str, str]:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise LogError(None, "a --mapping for --format counts is `timestamp: COLUMN`, `count: COLUMN` "
                             "(and optionally `holidays: COUNTRY`), each a text")
    unknown = set(mapping) - {"timestamp", "count", "holidays"}
    if unknown:
        raise LogError(None, f"--mapping names {sorted(unknown)}: --format counts knows timestamp, count and holidays")
    return dict(mapping)


def _detect(raw: pd.DataFrame, path: Any, mapping: dict[str, str]) -> tuple[str, str]:
    columns = list(raw.columns)
    lower = {str(c).strip().lower(): c for c in columns}
    for field_ in ("timestamp", "count"):
        if field_ in mapping and mapping[field_] not in columns:
            raise LogError(None if isinstance(path, pd.DataFrame) else path,
                           f"is not {EXPECTS}: --mapping names column {mapping[field_]!r} for {field_}, which the file "
                           f"does not have (it has {', '.join(map(str, columns[:12]))})")
    sample = raw.head(200)

    def parses_as_time(c: str) -> bool:
        t = pd.to_datetime(sample[c].astype("string").str.strip(), errors="coerce", format="mixed")
        return t.notna().mean() > 0.9 and pd.to_numeric(sample[c], errors="coerce").notna().mean() < 0.5

    def numeric(c: str) -> bool:
        return pd.to_numeric(sample[c].astype("string").str.strip(), errors="coerce").notna().mean() > 0.9

    time_col = mapping.get("timestamp") or next((lower[n] for n in TIME_NAMES if n in lower and parses_as_time(lower[n])),
                                                None) or next((c for c in columns if parses_as_time(c)), None)
    count_col = mapping.get("count") or next((lower[n] for n in COUNT_NAMES if n in lower and lower[n] != time_col
                                              and numeric(lower[n])), None) \
        or next((c for c in columns if c != time_col and numeric(c)), None)
    if time_col is None or count_col is None:
        what = "timestamp" if time_col is None else "count"
        raise LogError(None if isinstance(path, pd.DataFrame) else path,
                       f"is not {EXPECTS}: no {what} column found among {', '.join(map(str, columns[:12]))}. {HINT}")
    return time_col, count_col


def read_series(path: str | Path | pd.DataFrame, quality: Quality | None = None, mapping: Any = None) -> Series:
    """The series on its grid, every problem counted in ``quality`` (see the module docstring)."""
    q = quality if quality is not None else Quality()
    m = _mapping(mapping)
    raw = read_table(path, q)
    require_rows(raw, path)
    time_col, count_col = _detect(raw, path, m)
    n0 = len(raw)
    text = raw[time_col].astype("string").str.strip()
    t = pd.to_datetime(text, errors="coerce", format="mixed")
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_localize(None)
    q.add("missing or unparseable timestamp", int(t.isna().sum()), "row dropped",
          text[t.isna()].iloc[0] if t.isna().any() else "")
    c = pd.to_numeric(raw[count_col].astype("string").str.strip(), errors="coerce")
    q.add("missing or unparseable count", int((c.isna() & t.notna()).sum()), "row dropped",
          raw[count_col][c.isna() & t.notna()].iloc[0] if (c.isna() & t.notna()).any() else "")
    negative = c < 0
    q.add("negative count", int(negative.sum()), "row dropped", c[negative].iloc[0] if negative.any() else "")
    ok = t.notna() & c.notna() & ~negative & np.isfinite(c.fillna(0))
    frac = ok & (c != np.round(c))
    q.add("fractional count (a Poisson count is whole: averaged or scaled data?)", int(frac.sum()),
          "kept as is; the busy-day cv is then only approximate", c[frac].iloc[0] if frac.any() else "")
    t, c = t[ok], c[ok].astype(float)
    if len(t) == 0:
        raise no_usable_rows(n0, "intervals (a timestamp and a count)", q, HINT)
    require_enough(len(t), 2, "usable interval(s)", "to tell the series' interval")
    interval = _interval(t, path)
    step = pd.Timedelta(minutes=interval)
    off = (t - t.dt.normalize()) % step != pd.Timedelta(0)
    q.add(f"timestamp off the {interval}-minute grid", int(off.sum()), "row dropped",
          t[off].iloc[0] if off.any() else "")
    t, c = t[~off], c[~off]
    dup = t.duplicated(keep=False)
    q.add("interval listed more than once", int(t.duplicated().sum()), "counts summed",
          t[dup].iloc[0] if dup.any() else "")
    counts = c.groupby(t.values).sum()
    start, end = counts.index.min().normalize(), counts.index.max().normalize() + pd.Timedelta(days=1)
    grid = pd.date_range(start, end, freq=step, inclusive="left")
    full = counts.reindex(grid)
    inside = (grid >= counts.index.min()) & (grid <= counts.index.max())
    gaps = int(full[inside].isna().sum())
    q.add("missing interval inside the span (a gap)", gaps, "its day is left out of the daily model",
          full[inside][full[inside].isna()].index[0] if gaps else "")
    days = int((end - start).days)
    require_enough(days, MIN_DAYS, "days in the series", "to fit weekly profiles and daily totals")
    return Series(full, interval, q, m.get("holidays"))


def _interval(t: pd.Series, path: Any) -> int:
    """The series' interval in minutes: the most common step between consecutive timestamps."""
    steps = pd.Series(np.diff(np.sort(t.unique()))).dt.total_seconds() / 60
    steps = steps[steps > 0]
    if steps.empty:
        raise LogError(None, "every row has the same timestamp: a count series needs consecutive intervals")
    minutes = float(steps.mode().iloc[0])
    file = None if isinstance(path, pd.DataFrame) else path
    if minutes != round(minutes) or not MIN_INTERVAL <= minutes <= MAX_INTERVAL or 60 % int(minutes):
        raise LogError(file, f"is not {EXPECTS}: its interval is {minutes:g} minutes; a count series has one regular "
                             f"interval from {MIN_INTERVAL} to {MAX_INTERVAL} minutes that divides an hour "
                             "(5, 6, 10, 12, 15, 20, 30 or 60)")
    return int(minutes)


# ------------------------------------------------------------------------------------------- fit
@dataclass
class SeriesFit:
    """A count series fitted: the week profile, the daily model and the busy-day factor."""

    series: Series
    daily: DailyFit
    week: np.ndarray             # mean count per slot of the week at factor 1 (Monday 00:00 first)
    holidays: list[dt.date] = field(default_factory=list)

    @property
    def per_week(self) -> float:
        return float(np.nansum(self.week))

    @property
    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        idx = self.series.counts.index
        return idx.min().normalize(), idx.max().normalize() + pd.Timedelta(days=1)

    def weights(self) -> list[float]:
        w = np.nan_to_num(self.week)
        w = w / w.mean() if w.sum() > 0 else np.ones(len(w))
        return [float(f"{v:.4g}") for v in w]

    def to_dict(self) -> dict[str, Any]:
        return {"interval_minutes": self.series.interval, "per_week": self.per_week, **self.daily.to_dict()}


def holiday_dates(country: str | None, start: pd.Timestamp, end: pd.Timestamp) -> list[dt.date]:
    """Public holidays of ``country`` (the ``holidays`` package) between two dates."""
    if not country:
        return []
    import holidays

    try:
        table = holidays.country_holidays(country.strip().upper(), years=range(start.year, end.year + 1))
    except (NotImplementedError, KeyError) as exc:
        raise LogError(None, f"--mapping holidays: {country!r} is not a country the holidays package knows") from exc
    return sorted(d for d in table if start.date() <= d < end.date())


def day_scale(daily: DailyFit, dates: pd.DatetimeIndex, holidays: set) -> np.ndarray:
    """Month x trend x holiday factor of each date (the part of a day's volume the week profile does not hold)."""
    out = np.ones(len(dates))
    if daily.months is not None:
        out *= np.array([daily.months[m][0] for m in np.array(list(daily.months))[dates.month - 1]])
    if daily.trend is not None:
        out *= (1 + daily.trend[0]) ** ((dates - daily.dates.min()).days.to_numpy() / 365.25)
    if daily.holiday is not None:
        out *= np.where([d.date() in holidays for d in dates], daily.holiday[0], 1.0)
    return out


def fit_series(series: Series) -> SeriesFit:
    """Fit the week profile and the daily model; see the module docstring."""
    totals = series.complete_days()
    require_enough(len(totals), MIN_DAYS, "complete days (no missing interval)", "to fit daily totals")
    start, end = series.counts.index.min().normalize(), series.counts.index.max().normalize() + pd.Timedelta(days=1)
    hol = holiday_dates(series.holidays_country, start, end)
    daily = fit_daily(totals, set(hol) or None)
    c = series.counts
    days = c.index.normalize()
    unique_days = pd.DatetimeIndex(days.unique())
    scale = pd.Series(day_scale(daily, unique_days, set(hol)), index=unique_days).reindex(days).to_numpy()
    ordinary = ~np.isin(days.date, np.array(hol, dtype=object)) if hol else np.ones(len(c), dtype=bool)
    per_day = series.slots_per_day
    slot = c.index.day_of_week * per_day + (c.index.hour * 60 + c.index.minute) // series.interval
    value = c.to_numpy() / scale
    use = ordinary & np.isfinite(value)
    week = np.bincount(slot[use], weights=value[use], minlength=7 * per_day)
    seen = np.bincount(slot[use], minlength=7 * per_day)
    week = np.divide(week, seen, out=np.full(7 * per_day, np.nan), where=seen > 0)
    return SeriesFit(series, daily, week, hol)
