"""A commented scenario and a fit report from a count series (``simsla fit SERIES --format counts``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simsla.fit.counts import SeriesFit, fit_series, read_series
from simsla.fit.daily import DailyFit
from simsla.fit.emit import ScenarioText, add_time_frame, rate_text, shift_blocks

#: a count series holds no handling times: the desk below is a placeholder at this talk time
ASSUMED_AHT = 300.0
HOLIDAY_CALENDAR = "public-holidays"


def busy_days_spec(daily: DailyFit) -> dict[str, Any] | None:
    """The stream's ``busy_days`` from a daily fit (``None`` when the totals show no over-dispersion)."""
    if daily.cv <= 0:
        return None
    spec: dict[str, Any] = {"cv": float(round(min(daily.cv, 2.0), 4))}
    if daily.correlation > 0:
        spec["correlation"] = float(round(daily.correlation, 3))
    return spec


def busy_days_comment(daily: DailyFit) -> list[str]:
    lo, hi = daily.cv_interval
    lines = [f"Busy days: after weekday{', month' if daily.months else ''}{', trend' if daily.trend else ''}"
             f"{' and holidays' if daily.holiday else ''}, daily totals still vary more than Poisson "
             f"(dispersion index {daily.dispersion:.1f}; Poisson gives 1).",
             f"cv {daily.cv:.3f} (95 % bootstrap interval {lo:.3f} to {hi:.3f}), by the method of moments on "
             f"{len(daily.dates)} daily totals",
             "against the fitted expectation m: var = m + cv^2 m^2 (a gamma day factor, as simsla simulates)."]
    r0, r1 = daily.lag1_interval
    lines.append(f"Lag-1 autocorrelation of the residual log factor {daily.lag1:.2f} (95 % {r0:.2f} to {r1:.2f})"
                 + (f": busy days come in runs, correlation {daily.correlation:.2f} after removing the Poisson noise."
                    if daily.correlation > 0 else ": no runs of busy days shown, independent days."))
    return lines


def series_scenario(fit: SeriesFit, source: str = "", start: pd.Timestamp | None = None,
                    days: int | None = None) -> ScenarioText:
    """The fitted scenario over the series' span (default) or over ``days`` from ``start`` (a back-test's hold-out)."""
    d = fit.daily
    s0, s1 = fit.span
    start = s0 if start is None else start
    days = int(round((s1 - s0) / pd.Timedelta(days=1))) if days is None else days
    # the volume is that of the start date: the trend has compounded since the series began
    growth = (1 + d.trend[0]) ** ((start - d.dates.min()).days / 365.25) if d.trend else 1.0
    per_week = fit.per_week * growth
    name = "Contact centre fitted from a count series"
    sc = ScenarioText(name)
    sc.header = [
        f"Fitted by `simsla fit` from {source or 'a count series'} ({fit.series.interval}-minute intervals, "
        f"{s0.date()} to {(s1 - pd.Timedelta(days=1)).date()}).",
        "Every demand number below comes from the series; the comments say how.  The series holds counts only:",
        f"THE DESK IS A PLACEHOLDER (talk time {ASSUMED_AHT / 60:.0f} min, square-root staffing per hour).  Replace it "
        "with your own handling times and roster.",
        "Times are the series' clock times, written as UTC (no DST).",
    ]
    add_time_frame(sc, name, f"Fitted from {source or 'a count series'}: week profile, weekday volumes, seasons, "
                             "trend, holidays and busy days.", start, days)
    if d.holiday is not None and fit.series.holidays_country:
        sc.add("calendars", {HOLIDAY_CALENDAR: {"hours": {"all": "24h"},
                                                "holiday_country": fit.series.holidays_country.upper()}},
               f"The public holidays of {fit.series.holidays_country.upper()} (the `holidays` package).")
    sc.add("services", [{"name": "contacts"}], "A count series has no services: one for all contacts.")
    per_day = fit.series.slots_per_day
    sc.add("profiles", {"series": {"hour_of_week": fit.weights()}},
           f"The week at the series' resolution ({7 * per_day} slots of {fit.series.interval} min, Monday 00:00 first):",
           "the mean count per slot, each day first divided by its month, trend and holiday factor, as relative",
           "weights.  They hold the weekday volumes: " + ", ".join(f"{k} {v[0]:.2f}" for k, v in d.weekday.items())
           + " (relative to the mean day).")
    stream: dict[str, Any] = {"name": "contacts", "channel": "phone", "type": "incident", "volume": rate_text(per_week),
                              "profile": "series", "impact": {"low": 1}, "urgency": {"low": 1}}
    calendar: dict[str, Any] = {}
    notes = list(d.notes)
    if d.months:
        calendar["months"] = {m: float(round(v[0], 4)) for m, v in d.months.items()}
        notes.append("months: " + ", ".join(f"{m} {v[0]:.2f} ({v[1]:.2f}-{v[2]:.2f})" for m, v in d.months.items()))
    if d.trend:
        calendar["trend"] = float(round(d.trend[0], 5))
        notes.append(f"trend {d.trend[0]:+.1%} a year (95 % {d.trend[1]:+.1%} to {d.trend[2]:+.1%}), compounded "
                     "from the start")
    if d.holiday is not None and fit.series.holidays_country:
        calendar["special_days"] = [{"holidays": HOLIDAY_CALENDAR, "factor": float(round(d.holiday[0], 4))}]
        notes.append(f"holidays: factor {d.holiday[0]:.2f} (95 % {d.holiday[1]:.2f}-{d.holiday[2]:.2f}) on "
                     f"{d.holidays_seen} holidays seen")
    if calendar:
        stream["volume_calendar"] = calendar
    busy = busy_days_spec(d)
    if busy:
        stream["busy_days"] = busy
    sc.add("demand", [stream],
           f"{rate_text(per_week)}: the weekly volume at month factor 1 on the start date.",
           *notes, *busy_days_comment(d))
    rate = np.repeat(np.nan_to_num(fit.week).reshape(168, -1).sum(axis=1), 1) * growth  # per hour of the week
    load = rate * ASSUMED_AHT / 3600.0
    staff = np.where(rate > 0, np.ceil(load + 1.5 * np.sqrt(load) + 0.5), 0).astype(int)
    sc.add("groups", [{"name": "desk", "role": "desk", "shifts": shift_blocks(staff),
                       "handling": {"dist": "exponential", "mean": f"{ASSUMED_AHT / 60:g}m"},
                       "first_contact_resolution": 1.0, "discipline": "fifo"}],
           "PLACEHOLDER desk: not in the series.  Staff per hour = load + 1.5 sqrt(load) (square-root staffing) at "
           f"a {ASSUMED_AHT / 60:g}-minute talk time.")
    return sc


def counts_result(path: Any, mapping: Any = None, source: str = ""):
    """Read, fit and write up a count series: a ``FitResult``."""
    from simsla.fit.quality import Quality
    from simsla.fit.result import FitResult

    q = Quality()
    fit = fit_series(read_series(path, q, mapping))
    text = series_scenario(fit, source=source)
    d = fit.daily
    rows = [{"section": "arrivals", "measure": "contacts per week (factor 1)", "observed": fit.per_week,
             "fitted": fit.per_week, "note": f"{fit.series.interval}-minute series"}]
    for k, (f, lo, hi) in d.weekday.items():
        rows.append({"section": "weekday", "measure": f"{k} volume / mean day", "observed": f, "fitted": f,
                     "note": f"95 % {lo:.3f}-{hi:.3f}" if k != "mon" else "reference day of the model"})
    for k, (f, lo, hi) in (d.months or {}).items():
        rows.append({"section": "months", "measure": f"{k} factor", "observed": None, "fitted": f,
                     "note": f"95 % {lo:.3f}-{hi:.3f}"})
    if d.trend:
        rows.append({"section": "trend", "measure": "growth per year", "observed": None, "fitted": d.trend[0],
                     "note": f"95 % {d.trend[1]:.4f}-{d.trend[2]:.4f}"})
    if d.holiday:
        rows.append({"section": "holidays", "measure": "holiday factor", "observed": None, "fitted": d.holiday[0],
                     "note": f"{d.holidays_seen} holidays; 95 % {d.holiday[1]:.3f}-{d.holiday[2]:.3f}"})
    rows += [{"section": "busy days", "measure": "busy-day cv", "observed": None, "fitted": d.cv,
              "note": "method of moments, var = m + cv^2 m^2; 95 % bootstrap "
                      f"{d.cv_interval[0]:.3f}-{d.cv_interval[1]:.3f}"},
             {"section": "busy days", "measure": "dispersion index of daily totals", "observed": d.dispersion,
              "fitted": 1 + d.cv**2 * float(np.mean(d.expected)), "note": "Poisson gives 1"},
             {"section": "busy days", "measure": "lag-1 autocorrelation of log(observed / expected)",
              "observed": d.lag1, "fitted": d.correlation, "note": "fitted: corrected for Poisson noise"}]
    rows += [{"section": "notes", "measure": n, "observed": None, "fitted": None, "note": ""} for n in d.notes]
    daily_table = pd.DataFrame({"date": d.dates.date, "observed": d.observed, "expected": d.expected.round(3),
                                "factor": d.residual_factor.round(4)})
    tables = {"daily": daily_table, "week_profile": pd.DataFrame({"slot": range(len(fit.week)), "mean": fit.week})}

    def figures(folder):
        return daily_figures(Path(folder), d)

    return FitResult("counts", source, fit, text, q, rows, tables, figures)


def daily_figures(folder: Path, d: DailyFit) -> list[Path]:
    """Observed vs fitted daily totals; the residual factor's distribution and autocorrelation."""
    from scipy import stats

    from simsla.fit.report import _plt, _save

    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 3.4))
    ax.plot(d.dates, d.observed, ".", ms=3, color="#345", label="observed daily total")
    ax.plot(d.dates, d.expected, "-", lw=1, color="#c33", label="fitted expectation (weekday, season, trend, holidays)")
    ax.set_ylabel("contacts per day")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Daily totals: observed vs fitted")
    files = [_save(plt, fig, folder / "daily_totals.png")]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.4))
    r = d.residual_factor
    a1.hist(r, bins=40, density=True, color="#9ab", label="observed / expected")
    if d.cv > 0:
        x = np.linspace(max(r.min(), 1e-3), r.max(), 200)
        a1.plot(x, stats.gamma.pdf(x, 1 / d.cv**2, scale=d.cv**2), color="#c33", label=f"gamma, cv {d.cv:.3f}")
    a1.set_title("Residual day factor")
    a1.legend(fontsize=8)
    x = np.log(np.maximum(d.observed, 0.5) / d.expected)
    x = x - x.mean()
    lags = np.arange(1, 15)
    acf = [float(np.sum(x[k:] * x[:-k]) / np.sum(x * x)) if len(x) > k else np.nan for k in lags]
    a2.bar(lags, acf, color="#345")
    band = 1.96 / np.sqrt(len(x))
    a2.axhline(band, ls="--", color="grey", lw=0.8)
    a2.axhline(-band, ls="--", color="grey", lw=0.8)
    a2.set_xlabel("lag, days")
    a2.set_title("Autocorrelation of the log factor")
    files.append(_save(plt, fig, folder / "busy_days.png"))
    return files
