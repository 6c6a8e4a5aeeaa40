"""Business-time clocks: engine seconds -> business seconds, vectorised.

The engine runs in *engine seconds*: real (UTC) seconds since the scenario's
origin, a tz-aware local datetime (normally a Monday 00:00 in the scenario's
IANA time zone).  An SLA clock only runs while a support calendar is open.

:class:`BusinessClock` precomputes, for ``[0, horizon + margin]`` engine
seconds, the sorted, merged open intervals of a calendar and from them a
monotone piecewise-linear map

    B(t) = business seconds accumulated in [0, t]

(the cumulative open time before each interval plus the part of the interval
already passed).  Everything afterwards is ``np.searchsorted`` on whole numpy
arrays -- never a Python loop per ticket.

Semantic decisions
------------------
* Opening hours are *local wall-clock* times, converted per date to UTC, so
  daylight-saving changes are real: on a DST day an 08:00-17:00 window is
  still 9 real hours, and a 24/7 day is 23 or 25 hours long.
* Wall times that do not exist (spring-forward gap, e.g. 02:30 in
  Europe/Stockholm on the last Sunday of March) are shifted forward to the
  first instant after the gap (03:00); ambiguous wall times (fall-back) mean
  their *first* occurrence.
* A close time ``time(0, 0)`` means midnight at the end of the day (24:00).
  More generally a close time at or before the open time means the next day
  (``22:00-06:00`` is an overnight window), except that ``open == close`` is
  rejected as empty unless both are 00:00, which is the whole day.  A window
  belongs to the day it opens on: a holiday removes the windows that *open*
  on it (an overnight window opening the evening before still runs into it).
  ``time(23, 59, 59)`` is taken literally (one second short of midnight).
* Intervals are half-open ``[open, close)``: :meth:`BusinessClock.is_open` is
  true at the opening instant and false at the closing instant.
* Inverse side: :meth:`BusinessClock.deadline` returns by default
  (``side="right"``) the *latest* engine time at which no more than the given
  business time has passed.  When the target is reached exactly at a closing
  time this is the start of the next open period (like pandas'
  ``BusinessHour``), and ``end <= deadline(start, d)`` holds exactly when
  ``elapsed(start, end) <= d``: a ticket resolved during the closed time after
  its last business second is still on time.  ``side="left"`` gives the
  *earliest* instant at which that much business time has accumulated (the
  closing edge itself), never earlier than ``start``.
* Range: the map is precomputed on ``[-lead, horizon + margin]`` (default margin
  60 days, lead 0) so tickets opened at the horizon still get deadlines, and
  tickets opened before the start (a backlog) have clocks that already ran;
  ``business_time`` counts from engine time 0 (negative before it).  Engine times
  outside that range, and deadlines that would fall beyond it, raise
  ``ValueError``.  NaN passes through as NaN (e.g. unresolved tickets); an
  infinite business-seconds budget gives an infinite deadline.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

__all__ = ["BusinessClock", "holiday_dates", "DEFAULT_MARGIN"]

DAY = 86400.0
#: Extra engine seconds precomputed after the horizon (60 days).
DEFAULT_MARGIN = 60 * DAY

_Window = tuple[Any, Any]


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {tz!r}; use an IANA name such as 'Europe/Stockholm'") from exc


def _aware_origin(origin: dt.datetime, zone: ZoneInfo | None) -> dt.datetime:
    if not isinstance(origin, dt.datetime):
        raise TypeError(f"origin must be a datetime.datetime, got {type(origin).__name__}")
    if origin.tzinfo is None or origin.utcoffset() is None:
        if zone is None:
            return origin.replace(tzinfo=dt.timezone.utc)
        return origin.replace(tzinfo=zone)
    return origin


def _seconds_of_day(value: Any, what: str) -> float:
    """Seconds after local midnight for a ``datetime.time`` or a number."""
    if isinstance(value, dt.time):
        if value.tzinfo is not None:
            raise ValueError(f"{what} {value!r} must be a naive local time of day")
        return value.hour * 3600.0 + value.minute * 60.0 + value.second + value.microsecond / 1e6
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"{what} must be a datetime.time or seconds after midnight, got {value!r}")


def _window_seconds(window: _Window, weekday: int) -> tuple[float, float]:
    """(open, close) seconds after the opening day's local midnight; close may exceed a day."""
    try:
        start_raw, end_raw = window
    except (TypeError, ValueError) as exc:
        raise ValueError(f"weekday {weekday}: an opening window must be an (open, close) pair, got {window!r}") from exc
    start = _seconds_of_day(start_raw, "open time")
    end = _seconds_of_day(end_raw, "close time")
    if not 0.0 <= start < DAY:
        raise ValueError(f"weekday {weekday}: open time {start_raw!r} is not within the day")
    if isinstance(end_raw, dt.time):
        # time(0, 0) as close is 24:00; a close at or before the open is the next day.
        if end <= start:
            if end == start and start != 0.0:
                raise ValueError(f"weekday {weekday}: the window {start_raw}-{end_raw} is empty")
            end += DAY
    elif not start < end <= start + DAY:
        raise ValueError(
            f"weekday {weekday}: window ({start_raw!r}, {end_raw!r}) seconds must satisfy "
            "open < close <= open + 86400"
        )
    return start, end


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    import pandas as pd  # here, not at the top: `simsla validate` reads holidays without paying for pandas

    return pd.Timestamp(value).date()


def _epoch_seconds(naive: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """Naive local wall times -> UTC epoch seconds.

    Non-existent wall times (spring-forward gap) shift forward to the end of
    the gap; ambiguous ones (fall-back) take the first occurrence (fold=0).
    """
    import pandas as pd

    idx = pd.DatetimeIndex(naive)
    aware = idx.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward")
    epoch = pd.Timestamp(0, tz="UTC")
    secs = np.asarray((aware - epoch) / pd.Timedelta(seconds=1), dtype=float)
    for i in np.flatnonzero(np.isnan(secs)):  # ambiguous: only a few per year
        secs[i] = idx[i].to_pydatetime().replace(tzinfo=zone, fold=0).timestamp()
    return secs


def _merge(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of [start, end) intervals as sorted, disjoint, non-touching intervals."""
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if starts.size == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    new = np.empty(starts.size, dtype=bool)
    new[0] = True
    new[1:] = starts[1:] > reach[:-1]
    group = np.cumsum(new) - 1
    out_start = starts[new]
    out_end = np.zeros(out_start.size)
    np.maximum.at(out_end, group, ends)
    return out_start, out_end


def _out(values: np.ndarray, scalar: bool) -> Any:
    return values[()] if scalar else values


class BusinessClock:
    """A calendar's open time as a monotone map engine seconds -> business seconds.

    Build with :meth:`from_weekly` (local weekly opening hours + holidays) or
    :meth:`always` (24/7, the identity map).  All query methods take numpy
    arrays (or scalars, returning numpy scalars) and broadcast.
    """

    def __init__(
        self,
        open_intervals: np.ndarray,
        *,
        origin: dt.datetime | None,
        horizon: float,
        margin: float = DEFAULT_MARGIN,
        tz: str | None = None,
        lead: float = 0.0,
    ) -> None:
        horizon = float(horizon)
        margin = float(margin)
        lead = float(lead)
        if not np.isfinite(lead) or lead < 0:
            raise ValueError(f"lead must be a finite number of seconds >= 0, got {lead!r}")
        if not np.isfinite(horizon) or horizon < 0:
            raise ValueError(f"horizon must be a finite number of seconds >= 0, got {horizon!r}")
        if not np.isfinite(margin) or margin < 0:
            raise ValueError(f"margin must be a finite number of seconds >= 0, got {margin!r}")
        self.origin = origin
        self.tz = tz
        self.horizon = horizon
        self.margin = margin
        #: first engine second covered by the precomputed map (0, or before the start for a backlog)
        self.lead = lead
        self.first = -lead
        #: last engine second covered by the precomputed map
        self.end = horizon + margin
        iv = np.asarray(open_intervals, dtype=float).reshape(-1, 2)
        starts = np.clip(iv[:, 0], self.first, self.end)
        ends = np.clip(iv[:, 1], self.first, self.end)
        self._open, self._close = _merge(starts, ends)
        lengths = self._close - self._open
        # business seconds accumulated at each opening / closing edge
        self._cum_after = np.cumsum(lengths)
        self._cum_before = np.concatenate(([0.0], self._cum_after))[:-1]
        #: business seconds in the whole precomputed range
        self.total = float(self._cum_after[-1]) if lengths.size else 0.0
        #: business seconds before engine time 0 (the lead's open time): public business times count from 0
        self._zero = float(self._internal(np.asarray(0.0))) if lead > 0 else 0.0
        self._scalar: tuple[list[float], ...] | None = None  # plain lists for deadline_scalar, made on first use

    # ------------------------------------------------------------------ build
    @classmethod
    def from_weekly(
        cls,
        weekly: Mapping[int, Sequence[_Window]],
        *,
        holidays: Iterable[Any] = (),
        tz: str,
        origin: dt.datetime,
        horizon: float,
        margin: float = DEFAULT_MARGIN,
        lead: float = 0.0,
    ) -> "BusinessClock":
        """Clock for weekly local opening hours.

        ``weekly`` maps weekday (0 = Monday) to ``(open, close)`` windows, each
        either ``datetime.time`` pairs (close ``time(0, 0)`` = 24:00, close
        before open = next day) or seconds after local midnight (close may
        exceed 86400 for an overnight window; this is what
        ``simsla.model.calendar.Calendar.weekly()`` returns).  Days missing
        from the mapping are closed; ``holidays`` (dates) are closed all day.
        A naive ``origin`` is taken as local time in ``tz``.
        """
        zone = _zone(tz)
        origin = _aware_origin(origin, zone)
        per_day: dict[int, list[tuple[float, float]]] = {}
        for weekday, windows in weekly.items():
            if isinstance(weekday, bool) or not isinstance(weekday, (int, np.integer)) or not 0 <= weekday <= 6:
                raise ValueError(f"weekly keys must be weekdays 0 (Monday) .. 6 (Sunday), got {weekday!r}")
            if windows is None:
                continue
            per_day[int(weekday)] = [_window_seconds(w, int(weekday)) for w in windows]
        closed = {_as_date(h) for h in holidays}

        end = float(horizon) + float(margin)
        first = origin.astimezone(zone).date() - dt.timedelta(days=2 + math.ceil(float(lead) / DAY))
        last = (origin.astimezone(dt.timezone.utc) + dt.timedelta(seconds=end)).astimezone(zone).date() + dt.timedelta(days=1)
        days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
        weekday_of = (days.astype("int64") - 4) % 7  # 1970-01-01 was a Thursday
        if closed:
            days_open = ~np.isin(days, np.array(sorted(closed), dtype="datetime64[D]"))
        else:
            days_open = np.ones(days.size, dtype=bool)

        naive_start, naive_end = [], []
        for weekday, windows in per_day.items():
            these = days[(weekday_of == weekday) & days_open].astype("datetime64[us]")
            for start, stop in windows:
                naive_start.append(these + np.timedelta64(round(start * 1e6), "us"))
                naive_end.append(these + np.timedelta64(round(stop * 1e6), "us"))
        if naive_start:
            zero = origin.timestamp()
            s = _epoch_seconds(np.concatenate(naive_start), zone) - zero
            e = _epoch_seconds(np.concatenate(naive_end), zone) - zero
            intervals = np.column_stack([s, e])
        else:
            intervals = np.empty((0, 2))
        return cls(intervals, origin=origin, horizon=horizon, margin=margin, tz=tz, lead=lead)

    @classmethod
    def always(
        cls,
        *,
        origin: dt.datetime | None = None,
        horizon: float,
        margin: float = DEFAULT_MARGIN,
        tz: str | None = None,
        lead: float = 0.0,
    ) -> "BusinessClock":
        """24/7 clock: business time equals engine time (the identity map)."""
        if tz is None and isinstance(origin, dt.datetime) and isinstance(origin.tzinfo, ZoneInfo):
            tz = origin.tzinfo.key
        end = float(horizon) + float(margin)
        return cls(np.array([[-float(lead), end]]), origin=origin, horizon=horizon, margin=margin, tz=tz, lead=lead)

    # ------------------------------------------------------------- internals
    def _check_times(self, t: np.ndarray, what: str = "engine time") -> None:
        bad = (t < self.first) | (t > self.end) | np.isinf(t)
        if np.any(bad):
            worst = np.asarray(t)[bad].flat[0]
            raise ValueError(
                f"{what} {worst!r} s is outside the clock's precomputed range [{self.first:g}, {self.end:g}] s "
                f"(horizon {self.horizon:g} s + margin {self.margin:g} s); "
                "build the clock with a larger horizon or margin"
            )

    def _inverse(self, b: np.ndarray, side: str, beyond_rule: str = "raise") -> np.ndarray:
        """Engine time for cumulative business seconds ``b`` (NaN passes through).

        ``beyond_rule="inf"`` gives ``inf`` for budgets the precomputed range never
        reaches (a calendar closed for the rest of the run) instead of raising.
        """
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', got {side!r}")
        b = np.asarray(b, dtype=float)
        if np.any(b < 0):
            raise ValueError("business seconds must be >= 0")
        n = self._open.size
        nan = np.isnan(b)
        if side == "left":
            beyond = b > self.total
        else:
            at_end = n > 0 and self._close[-1] >= self.end
            beyond = (b > self.total) if at_end else (b >= self.total)
        if np.any(beyond) and beyond_rule == "inf":
            t = self._inverse(np.where(beyond, 0.0, b), side) if not np.all(beyond) else np.zeros_like(b)
            return np.where(nan, np.nan, np.where(beyond, np.inf, t))
        if np.any(beyond):
            worst = b[beyond].flat[0]
            raise ValueError(
                f"{worst:g} business seconds are not reached within the clock's precomputed range "
                f"[0, {self.end:g}] s (it holds {self.total:g} business seconds); "
                "build the clock with a larger horizon or margin"
            )
        if n == 0:  # only b == 0 with side='left' gets here
            return np.where(nan, np.nan, self.first)
        k = np.searchsorted(self._cum_after, b, side=side)
        k = np.clip(k, 0, n - 1)
        t = self._open[k] + (b - self._cum_before[k])
        t = np.minimum(t, self._close[k])
        if side == "left":
            t = np.where(b <= 0.0, self.first, t)
        return np.where(nan, np.nan, t)

    # --------------------------------------------------------------- queries
    def _internal(self, arr: np.ndarray) -> np.ndarray:
        """Business seconds in ``[first, t]`` (the precomputed map itself)."""
        if self._open.size == 0:
            return np.where(np.isnan(arr), np.nan, 0.0)
        k = np.searchsorted(self._open, arr, side="right") - 1
        k = np.clip(k, 0, self._open.size - 1)
        inside = np.clip(arr - self._open[k], 0.0, self._close[k] - self._open[k])
        return self._cum_before[k] + inside

    def business_time(self, t: Any) -> Any:
        """Cumulative business seconds in ``[0, t]`` for engine times ``t`` (negative before 0)."""
        arr = np.asarray(t, dtype=float)
        self._check_times(arr)
        out = self._internal(arr)
        return _out(out - self._zero if self._zero else out, arr.ndim == 0)

    def engine_time(self, business_seconds: Any, *, side: str = "right") -> Any:
        """Inverse of :meth:`business_time`.

        ``side="left"``: the earliest engine time with ``business_time >= b``
        (a closing edge when ``b`` is reached exactly at a close).
        ``side="right"``: the latest engine time with ``business_time <= b``
        (the start of the next open period in that case).
        """
        b = np.asarray(business_seconds, dtype=float)
        return _out(self._inverse(b + self._zero if self._zero else b, side), b.ndim == 0)

    def elapsed(self, start: Any, end: Any) -> Any:
        """Business seconds between engine times (signed: negative if ``end < start``)."""
        s = np.asarray(start, dtype=float)
        e = np.asarray(end, dtype=float)
        out = np.asarray(self.business_time(e) - self.business_time(s))
        return _out(out, out.ndim == 0)

    def open_seconds_between(self, a: Any, b: Any) -> Any:
        """Open seconds in ``[a, b]`` (same as :meth:`elapsed`; for availability accounting)."""
        return self.elapsed(a, b)

    def deadline(self, start: Any, business_seconds: Any, *, side: str = "right", beyond: str = "raise") -> Any:
        """Engine time when ``business_seconds`` of business time have passed after ``start``.

        Default ``side="right"``: the latest instant still within budget, so
        ``end <= deadline(start, d)`` iff ``elapsed(start, end) <= d``; when
        the budget runs out exactly at a closing time this is the next opening.
        ``side="left"``: the earliest instant the budget is used up (the
        closing edge), never before ``start``.  ``business_seconds`` of
        ``inf`` gives ``inf``; NaN gives NaN.  A budget the clock's range
        never reaches (the calendar stays closed to its end) raises, or gives
        ``inf`` with ``beyond="inf"`` (the analysis' choice: such a deadline
        passes after the run, if ever).
        """
        if beyond not in ("raise", "inf"):
            raise ValueError(f"beyond must be 'raise' or 'inf', got {beyond!r}")
        s = np.asarray(start, dtype=float)
        d = np.asarray(business_seconds, dtype=float)
        if np.any(d < 0):
            raise ValueError("business_seconds must be >= 0")
        s, d = np.broadcast_arrays(s, d)
        infinite = np.isposinf(d)
        self._check_times(s)
        target = self._internal(s) + np.where(infinite, 0.0, d)
        t = self._inverse(target, side, beyond)
        if side == "left":
            t = np.maximum(t, s)
        t = np.where(infinite & ~np.isnan(s), np.inf, t)
        return _out(t, t.ndim == 0)

    def deadline_scalar(self, start: float, business_seconds: float) -> float:
        """:meth:`deadline` (``side="right"``) for one start and one budget, without numpy overhead.

        The engine asks this once per supplier visit; numpy on single numbers
        costs hundreds of microseconds, plain bisection a few.
        """
        if self._scalar is None:
            self._scalar = (self._open.tolist(), self._close.tolist(), self._cum_before.tolist(),
                            self._cum_after.tolist())
        opens, closes, before, after = self._scalar
        n = len(opens)
        if n == 0 or not (self.first <= start <= self.end) or not (0.0 <= business_seconds < math.inf):
            return float(self.deadline(start, business_seconds))  # edge cases: the general path (and its errors)
        k = min(max(bisect.bisect_right(opens, start) - 1, 0), n - 1)
        b = before[k] + min(max(start - opens[k], 0.0), closes[k] - opens[k]) + business_seconds
        at_end = closes[-1] >= self.end
        if (b > self.total) if at_end else (b >= self.total):
            return float(self.deadline(start, business_seconds))
        j = min(bisect.bisect_right(after, b), n - 1)
        return min(opens[j] + (b - before[j]), closes[j])

    def is_open(self, t: Any) -> Any:
        """Whether the calendar is open at engine times ``t`` (``[open, close)``; NaN -> False)."""
        arr = np.asarray(t, dtype=float)
        self._check_times(arr)
        if self._open.size == 0:
            return _out(np.zeros(arr.shape, dtype=bool), arr.ndim == 0)
        k = np.searchsorted(self._open, arr, side="right") - 1
        ok = k >= 0
        kk = np.clip(k, 0, None)
        return _out(ok & (arr < self._close[kk]), arr.ndim == 0)

    def open_intervals(self) -> np.ndarray:
        """Sorted, disjoint ``[open, close)`` intervals in engine seconds, shape (n, 2)."""
        return np.column_stack([self._open, self._close])

    @property
    def is_always_open(self) -> bool:
        """True if open throughout the precomputed range (a 24/7 clock)."""
        return self._open.size == 1 and self._open[0] <= self.first and self._close[0] >= self.end

    def __repr__(self) -> str:
        return (
            f"BusinessClock(tz={self.tz!r}, origin={self.origin!r}, horizon={self.horizon:g}, "
            f"margin={self.margin:g}, intervals={self._open.size}, total={self.total:g})"
        )


def holiday_dates(country: str, years: Iterable[int], subdivision: str | None = None) -> list[dt.date]:
    """Public holidays of ``country`` (ISO code, e.g. ``"SE"``) in ``years``, sorted.

    Uses the ``holidays`` package; an unknown country or subdivision raises
    ``ValueError``.
    """
    import holidays as _holidays

    if not isinstance(country, str) or not country.strip():
        raise ValueError(f"holiday country must be an ISO country code such as 'SE', got {country!r}")
    code = country.strip().upper()
    supported = _holidays.list_supported_countries()
    if code not in supported:
        raise ValueError(
            f"unknown holiday country code {country!r}; use an ISO 3166 code supported by the "
            "'holidays' package, e.g. SE, DE, GB, US"
        )
    subdivs = supported[code]
    if subdivision is not None and subdivision not in subdivs:
        hint = ", ".join(subdivs[:20]) + (" ..." if len(subdivs) > 20 else "") if subdivs else "none"
        raise ValueError(f"unknown subdivision {subdivision!r} for {code}; known subdivisions: {hint}")
    year_list = sorted({int(y) for y in years})
    if not year_list:
        return []
    try:
        found = _holidays.country_holidays(code, subdiv=subdivision, years=year_list)
    except NotImplementedError as exc:  # pragma: no cover - guarded above
        raise ValueError(str(exc)) from exc
    return sorted(d for d in found if d.year in set(year_list))
