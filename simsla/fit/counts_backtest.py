"""Back-test of a count series: fit on all but the last weeks, predict those weeks, compare.

``simsla backtest SERIES --format counts --holdout 4w`` fits the scenario to
the series without its last ``holdout`` (whole days), simulates the hold-out
period many times (arrivals only: the desk does not change how many contacts
come) and reports

* the coverage of the 80 % and 95 % prediction intervals of daily totals
  (the share of hold-out days whose observed total lies inside the
  simulated 10-90 % and 2.5-97.5 % range; well calibrated: 0.80 and 0.95);
* each calendar month's total in the hold-out, observed vs simulated (mean
  and 95 % range), with the relative error;
* the ratio of simulated to observed day-to-day spread: the standard
  deviation of daily totals around the model's expectation, relative to it
  (1: the model varies as much as the data; a Poisson model without busy
  days gives far below 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simsla.fit.backtesting import BacktestResult
from simsla.fit.counts import MIN_DAYS, Series, fit_series, read_series
from simsla.fit.counts_scenario import series_scenario
from simsla.fit.quality import Quality
from simsla.fit.reading import LogError

#: simulated hold-outs behind the prediction intervals (arrivals only, so cheap)
MIN_DRAWS = 400
DEFAULT_HOLDOUT_DAYS = 28


def split(series: Series, days: int) -> tuple[Series, pd.DatetimeIndex]:
    """The series without its last ``days`` whole days, and those days."""
    idx = series.counts.index
    end = idx.max().normalize() + pd.Timedelta(days=1)
    start = end - pd.Timedelta(days=days)
    train = Series(series.counts[idx < start], series.interval, series.quality, series.holidays_country)
    if (start - idx.min().normalize()).days < MIN_DAYS:
        raise LogError(None, f"too little data: a hold-out of {days} days leaves "
                             f"{(start - idx.min().normalize()).days} days to fit on, at least {MIN_DAYS} are needed")
    return train, pd.date_range(start, end, freq="D", inclusive="left")


def simulated_days(sc, draws: int, seed: int) -> np.ndarray:
    """(draw, day) simulated totals of each local day of the scenario's horizon."""
    from simsla.engine import arrivals
    from simsla.engine.daily import day_starts

    edges = day_starts(sc)
    edges = edges[(edges >= 0) & (edges <= sc.end + 1e-6)]
    return np.array([np.histogram(arrivals.generate(sc, seed, r)["time"], bins=edges)[0] for r in range(draws)],
                    dtype=float)


def counts_backtest(path: Any, mapping: Any = None, holdout: float | None = None, replications: int = 5,
                    seed: int = 1) -> BacktestResult:
    """Fit on the series minus the hold-out, predict the hold-out; see the module docstring."""
    import simsla

    days = DEFAULT_HOLDOUT_DAYS if holdout is None else int(round(holdout / 86400))
    if days < 1:
        raise LogError(None, f"--holdout {holdout:g} s is less than a day: hold out whole days, e.g. 4w or 28d")
    series = read_series(path, Quality(), mapping)
    train, held = split(series, days)
    fit = fit_series(train)
    sc = simsla.Scenario.model_validate(series_scenario(fit, start=held[0], days=days).data)
    draws = max(replications, MIN_DRAWS)
    sim = simulated_days(sc, draws, seed)[:, :days]
    totals = series.counts.groupby(series.counts.index.normalize())
    complete = (totals.count() == series.slots_per_day).reindex(held, fill_value=False).to_numpy()
    observed = totals.sum().reindex(held).to_numpy(dtype=float)
    obs, s = observed[complete], sim[:, complete]
    if len(obs) == 0:
        raise LogError(None, "the hold-out has no complete day (every day has a missing interval): nothing to compare")
    rows = []
    for level in (0.80, 0.95):
        lo, hi = np.quantile(s, [(1 - level) / 2, (1 + level) / 2], axis=0)
        inside = float(np.mean((obs >= lo) & (obs <= hi)))
        rows.append({"measure": f"coverage of the {level:.0%} prediction interval of daily totals",
                     "observed": inside, "simulated": level, "ci_low": np.nan, "ci_high": np.nan})
    months = held[complete].to_period("M")
    for month in months.unique():
        mine = np.asarray(months == month)
        part = "" if mine.sum() == month.days_in_month else f" ({mine.sum()} days)"
        per = s[:, mine].sum(axis=1)
        rows.append({"measure": f"total {month}{part}", "observed": float(obs[mine].sum()), "simulated": float(per.mean()),
                     "ci_low": float(np.quantile(per, 0.025)), "ci_high": float(np.quantile(per, 0.975))})
    expected = s.mean(axis=0)
    observed_spread = float(np.std((obs - expected) / expected, ddof=1)) if len(obs) > 1 else np.nan
    simulated_spread = np.std((s - expected) / expected, axis=1, ddof=1) if len(obs) > 1 else np.array([np.nan])
    ratio = float(simulated_spread.mean() / observed_spread) if observed_spread > 0 else np.nan
    rows.append({"measure": "day-to-day spread, simulated / observed", "observed": 1.0, "simulated": ratio,
                 "ci_low": float(np.quantile(simulated_spread, 0.025) / observed_spread),
                 "ci_high": float(np.quantile(simulated_spread, 0.975) / observed_spread)})
    notes = [f"fitted on {series.counts.index.min().date()} to {held[0].date() - pd.Timedelta(days=1)}; "
             f"held out {days} days from {held[0].date()} ({int(complete.sum())} complete)",
             f"{draws} simulated hold-outs (arrivals only: the desk does not change how many contacts come)",
             f"busy-day cv fitted {fit.daily.cv:.3f}; coverage is well calibrated at 0.80 / 0.95; the spread "
             "ratio is the standard deviation of daily totals around the expectation, simulated over observed"]
    return BacktestResult("counts", rows, draws, seed, notes=notes)
