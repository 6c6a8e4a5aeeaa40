"""Reporting periods (ISO week, month, quarter, year) for engine times, vectorised.

Engine times are real seconds since the scenario's origin (a tz-aware
datetime); periods follow the *local* calendar of the scenario's time zone, so
a month starts at local midnight on its first day whatever the UTC offset.
Weeks are ISO weeks (Monday to Sunday, labelled by ISO year and week number,
e.g. ``2026-W01`` which begins on Monday 2025-12-29).

Each period has an integer code that is consecutive within a kind (the next
month's code is this month's plus one), so codes can be used directly for
grouping, ``np.bincount`` after subtracting the first code, or ranges of
periods with no tickets in them:

* ``year``: the year (2026)
* ``quarter``: ``year * 4 + quarter - 1``
* ``month``: ``year * 12 + month - 1``
* ``week``: weeks since Monday 1969-12-29 (code 0)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from simsla.clock import _aware_origin, _epoch_seconds, _zone

__all__ = ["PERIODS", "period_index", "period_label", "period_bounds", "period_table"]

PERIODS = ("week", "month", "quarter", "year")


def _check_period(period: str) -> str:
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")
    return period


def _origin(origin: dt.datetime, tz: str) -> tuple[dt.datetime, ZoneInfo]:
    zone = _zone(tz)
    return _aware_origin(origin, zone), zone


def period_index(t: Any, origin: dt.datetime, tz: str, period: str) -> Any:
    """Integer code of the reporting period each engine time ``t`` falls in.

    ``t`` is an array (or scalar) of engine seconds; NaN is rejected.  A time
    exactly at a period's start belongs to that period (periods are ``[start, end)``).
    """
    _check_period(period)
    origin, zone = _origin(origin, tz)
    arr = np.asarray(t, dtype=float)
    if np.any(~np.isfinite(arr)):
        raise ValueError("period_index: engine times must be finite (got NaN or inf)")
    flat = arr.reshape(-1)
    zero = pd.Timestamp(origin).tz_convert("UTC")
    local = (zero + pd.to_timedelta(flat, unit="s")).tz_convert(zone)
    if period == "year":
        codes = np.asarray(local.year, dtype=np.int64)
    elif period == "quarter":
        codes = np.asarray(local.year, dtype=np.int64) * 4 + np.asarray(local.quarter, dtype=np.int64) - 1
    elif period == "month":
        codes = np.asarray(local.year, dtype=np.int64) * 12 + np.asarray(local.month, dtype=np.int64) - 1
    else:
        days = local.tz_localize(None).to_numpy().astype("datetime64[D]").astype(np.int64)
        codes = (days + 3) // 7  # 1970-01-01 was a Thursday
    codes = codes.reshape(arr.shape)
    return codes[()] if arr.ndim == 0 else codes


def _start_dates(codes: np.ndarray, period: str) -> np.ndarray:
    """Local first day (datetime64[D]) of each period code."""
    if period == "year":
        return (codes - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    if period == "quarter":
        return (codes * 3 - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
    if period == "month":
        return (codes - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
    return (codes * 7 - 3).astype("datetime64[D]")


def period_label(codes: Any, period: str) -> Any:
    """Labels such as ``2026-W03``, ``2026-01``, ``2026-Q1``, ``2026`` (str for a scalar)."""
    _check_period(period)
    arr = np.asarray(codes, dtype=np.int64)
    flat = arr.reshape(-1)
    if period == "year":
        labels = [f"{c:04d}" for c in flat]
    elif period == "quarter":
        labels = [f"{c // 4:04d}-Q{c % 4 + 1}" for c in flat]
    elif period == "month":
        labels = [f"{c // 12:04d}-{c % 12 + 1:02d}" for c in flat]
    else:
        labels = []
        for day in _start_dates(flat, "week").tolist():
            iso = day.isocalendar()
            labels.append(f"{iso[0]:04d}-W{iso[1]:02d}")
    out = np.array(labels, dtype=object).reshape(arr.shape)
    return out[()] if arr.ndim == 0 else out


def period_bounds(codes: Any, origin: dt.datetime, tz: str, period: str) -> tuple[Any, Any]:
    """``(start, end)`` engine seconds of each period: local midnight to next period's local midnight."""
    _check_period(period)
    origin, zone = _origin(origin, tz)
    arr = np.asarray(codes, dtype=np.int64)
    flat = arr.reshape(-1)
    zero = origin.timestamp()
    edges = np.concatenate([_start_dates(flat, period), _start_dates(flat + 1, period)])
    secs = _epoch_seconds(edges.astype("datetime64[us]"), zone) - zero
    start, end = secs[: flat.size].reshape(arr.shape), secs[flat.size :].reshape(arr.shape)
    if arr.ndim == 0:
        return start[()], end[()]
    return start, end


def period_table(
    t: Any | None = None,
    *,
    origin: dt.datetime,
    tz: str,
    period: str,
    span: tuple[float, float] | None = None,
    codes: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Periods as a DataFrame with columns ``code, label, start, end`` (engine seconds).

    Give ``span=(a, b)`` for every period overlapping engine times ``[a, b)``
    (including periods with no events), ``t`` for the periods the given times
    fall in, or ``codes`` directly.  Rows are sorted by code, without duplicates.
    """
    _check_period(period)
    chosen: list[np.ndarray] = []
    if codes is not None:
        chosen.append(np.asarray(list(codes), dtype=np.int64))
    if t is not None:
        chosen.append(np.asarray(period_index(t, origin, tz, period), dtype=np.int64).reshape(-1))
    if span is not None:
        a, b = (float(x) for x in span)
        if b < a:
            raise ValueError(f"span end {b} is before its start {a}")
        first = int(period_index(a, origin, tz, period))
        last = int(period_index(b, origin, tz, period))
        if b > a:
            start_last, _ = period_bounds(last, origin, tz, period)
            if start_last >= b:  # [a, b) does not reach into the period starting at b
                last -= 1
        chosen.append(np.arange(first, last + 1, dtype=np.int64))
    if not chosen:
        raise ValueError("period_table needs t, span or codes")
    all_codes = np.unique(np.concatenate(chosen))
    start, end = period_bounds(all_codes, origin, tz, period)
    return pd.DataFrame(
        {
            "code": all_codes,
            "label": period_label(all_codes, period),
            "start": np.asarray(start, dtype=float),
            "end": np.asarray(end, dtype=float),
        }
    )
