"""Daily totals: what moves them (weekday, month, trend, holidays) and the busy-day factor left after that.

The expected total of day ``d`` is a log-linear model,

    log E[Y_d] = b0 + b_weekday(d) [+ b_month(d)] [+ g * years(d)] [+ b_holiday * holiday(d)],

fitted as a negative-binomial (NB2) generalised linear model by iteratively
reweighted least squares: the variance of a day's total is ``m + cv² m²``,
which is exactly the doubly stochastic Poisson process simsla simulates with a
busy-day factor of coefficient of variation ``cv`` (a gamma factor makes the
daily count negative binomial).  ``cv²`` is estimated by the method of moments
on the daily totals against the fitted expectation,

    cv² = Σ [(y - m)² - m] / Σ m²   (times n / (n - p) for the p fitted parameters),

alternating with the GLM weights until both settle.  Its 95 % interval is a
parametric bootstrap (daily totals redrawn from the fitted negative binomial,
cv re-estimated against the same expectation).  The lag-1 autocorrelation of
the residual log factor ``log(y / m)`` says whether busy days come in runs;
it is corrected for the Poisson noise in ``y`` (which dilutes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: weekday names, Monday first
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
#: month-of-year factors need every month seen once; a trend needs two years to be told apart from them
MONTHS_FROM_DAYS, TREND_FROM_DAYS = 365, 730
DAYS_PER_YEAR = 365.25


@dataclass
class DailyFit:
    """The fitted daily model; factors are multiplicative, with 95 % intervals."""

    dates: pd.DatetimeIndex           # the days used (complete days with a positive expectation)
    observed: np.ndarray
    expected: np.ndarray              # fitted E[Y_d]
    weekday: dict[str, tuple[float, float, float]]            # relative to the mean weekday: (factor, low, high)
    months: dict[str, tuple[float, float, float]] | None      # normalised to mean 1 over the year
    trend: tuple[float, float, float] | None                  # growth per year (0.08 = 8 %)
    holiday: tuple[float, float, float] | None                # factor on a holiday
    holidays_seen: int
    cv: float
    cv_interval: tuple[float, float]
    lag1: float                        # lag-1 autocorrelation of log(y / m), as observed
    lag1_interval: tuple[float, float]
    correlation: float                 # the busy-day factor's correlation, corrected for Poisson noise
    notes: list[str] = field(default_factory=list)

    @property
    def residual_factor(self) -> np.ndarray:
        """Observed / expected per day: the busy-day factor plus Poisson noise."""
        return self.observed / self.expected

    @property
    def dispersion(self) -> float:
        """Variance over mean of the daily totals against their expectation (1 for Poisson)."""
        return float(np.mean((self.observed - self.expected) ** 2 / self.expected))

    def to_dict(self) -> dict[str, Any]:
        return {"days": len(self.dates), "weekday": self.weekday, "months": self.months, "trend": self.trend,
                "holiday": self.holiday, "holidays_seen": self.holidays_seen, "busy_day_cv": self.cv,
                "busy_day_cv_interval": self.cv_interval, "lag1_log_residual": self.lag1,
                "lag1_interval": self.lag1_interval, "busy_day_correlation": self.correlation,
                "dispersion_index": self.dispersion, "notes": self.notes}


def _design(dates: pd.DatetimeIndex, start: pd.Timestamp, months: bool, trend: bool,
            holiday: np.ndarray | None) -> tuple[np.ndarray, list[str]]:
    cols, names = [np.ones(len(dates))], ["intercept"]
    for w in range(1, 7):
        cols.append((dates.day_of_week == w).astype(float))
        names.append(f"weekday:{DAYS[w]}")
    if months:
        for m in range(2, 13):
            cols.append((dates.month == m).astype(float))
            names.append(f"month:{MONTHS[m - 1]}")
    if trend:
        cols.append(((dates - start).days / DAYS_PER_YEAR).to_numpy(dtype=float))
        names.append("trend")
    if holiday is not None:
        cols.append(holiday.astype(float))
        names.append("holiday")
    return np.column_stack(cols), names


def nb2_glm(X: np.ndarray, y: np.ndarray, cv2: float, beta: np.ndarray | None = None,
            iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Log-link GLM with variance m + cv² m² by IRLS: (coefficients, covariance)."""
    if beta is None:
        beta = np.zeros(X.shape[1])
        beta[0] = np.log(max(y.mean(), 1e-9))
    for _ in range(iterations):
        eta = X @ beta
        mu = np.exp(eta)
        w = mu / (1.0 + cv2 * mu)
        z = eta + (y - mu) / mu
        xtw = X.T * w
        new = np.linalg.solve(xtw @ X + 1e-12 * np.eye(X.shape[1]), xtw @ z)
        done = np.max(np.abs(new - beta)) < 1e-10
        beta = new
        if done:
            break
    mu = np.exp(X @ beta)
    w = mu / (1.0 + cv2 * mu)
    return beta, np.linalg.pinv((X.T * w) @ X)


def moment_cv2(y: np.ndarray, mu: np.ndarray, parameters: int = 0) -> float:
    """cv² of a mean-1 factor from var = m + cv² m² (method of moments, clipped at 0)."""
    n = len(y)
    scale = n / max(n - parameters, 1)
    return float(max(0.0, scale * np.sum((y - mu) ** 2 - mu) / np.sum(mu**2)))


def lag1(x: np.ndarray, consecutive: np.ndarray) -> float:
    """Lag-1 autocorrelation over the pairs of consecutive days (``consecutive[i]``: day i+1 follows day i)."""
    x = x - x.mean()
    pairs = consecutive
    if pairs.sum() < 3 or np.sum(x * x) == 0:
        return float("nan")
    return float(np.sum(x[1:][pairs] * x[:-1][pairs]) / np.sum(x * x) * len(x) / max(pairs.sum(), 1))


def fit_daily(totals: pd.Series, holidays: set | None = None, seed: int = 12) -> DailyFit:
    """Fit the daily model to complete days' totals (index: dates).

    ``holidays`` are the dates of a holiday calendar over the span; with none in
    the span no holiday effect is fitted.
    """
    totals = totals.astype(float).sort_index()
    dates = pd.DatetimeIndex(totals.index).normalize()
    y = totals.to_numpy()
    span = (dates.max() - dates.min()).days + 1
    start = dates.min()
    notes = []
    use_months = span >= MONTHS_FROM_DAYS
    use_trend = span >= TREND_FROM_DAYS
    notes.append(f"month-of-year factors: {'fitted' if use_months else 'not fitted'} "
                 f"({span} days; they need at least {MONTHS_FROM_DAYS}, every month seen once)")
    notes.append(f"trend: {'fitted' if use_trend else 'not fitted'} ({span} days; a growth per year needs at least "
                 f"{TREND_FROM_DAYS} days to be told apart from the months)")
    hol = None
    seen = 0
    if holidays:
        hol = np.array([d.date() in holidays for d in dates])
        seen = int(hol.sum())
        if seen == 0:
            hol = None
        notes.append(f"holidays: {seen} in the span" + (" (one factor for all of them)" if seen else ", no effect fitted"))
    X, names = _design(dates, start, use_months, use_trend, hol)
    # weekdays that never occur (a series of weekdays only) have no information: drop their columns
    keep = np.array([True] + [X[:, j].any() for j in range(1, X.shape[1])])
    X, names = X[:, keep], [n for n, k in zip(names, keep) if k]
    cv2, beta = 0.0, None
    for _ in range(20):
        beta, cov = nb2_glm(X, y, cv2, beta)
        mu = np.exp(X @ beta)
        new = moment_cv2(y, mu, X.shape[1])
        if abs(new - cv2) < 1e-8:
            break
        cv2 = new
    beta, cov = nb2_glm(X, y, cv2, beta)
    mu = np.exp(X @ beta)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    coef = dict(zip(names, zip(beta, se)))

    def factor(name: str) -> tuple[float, float, float]:
        b, s = coef.get(name, (0.0, 0.0))
        return float(np.exp(b)), float(np.exp(b - 1.96 * s)), float(np.exp(b + 1.96 * s))

    raw_w = np.array([factor(f"weekday:{d}")[0] if d != "mon" else 1.0 for d in DAYS])
    present = np.array([(dates.day_of_week == w).any() for w in range(7)])
    norm = raw_w[present].mean()
    weekday = {}
    for w, d in enumerate(DAYS):
        if present[w]:
            f, lo, hi = (1.0, 1.0, 1.0) if d == "mon" else factor(f"weekday:{d}")
            weekday[d] = (f / norm, lo / norm, hi / norm)
    months = None
    if use_months:
        raw = {m: ((1.0, 1.0, 1.0) if m == "jan" else factor(f"month:{m}")) for m in MONTHS}
        mnorm = np.mean([v[0] for v in raw.values()])
        months = {m: (f / mnorm, lo / mnorm, hi / mnorm) for m, (f, lo, hi) in raw.items()}
    trend = None
    if use_trend:
        f, lo, hi = factor("trend")
        trend = (f - 1.0, lo - 1.0, hi - 1.0)
    holiday = factor("holiday") if hol is not None else None
    cv = float(np.sqrt(cv2))
    cv_lo, cv_hi = _cv_interval(mu, cv2, X.shape[1], seed)
    # residual log factor and its day-to-day correlation
    r = np.log(np.maximum(y, 0.5) / mu)
    consecutive = np.diff(dates.values).astype("timedelta64[D]").astype(int) == 1
    r1 = lag1(r, consecutive)
    half = 1.96 / np.sqrt(max(consecutive.sum(), 1))
    noise = float(np.mean(1.0 / mu))  # Var log(y/m) ~ log(1 + cv²) + 1/m
    signal_var = np.log1p(cv2)
    corr = 0.0
    if cv2 > 0 and np.isfinite(r1) and r1 - half > 0:  # only a correlation the data shows
        corr = float(np.clip(r1 * (signal_var + noise) / signal_var, 0.0, 0.99))
    return DailyFit(dates, y, mu, weekday, months, trend, holiday, seen, cv, (cv_lo, cv_hi), r1,
                    (r1 - half, r1 + half), corr, notes)


def _cv_interval(mu: np.ndarray, cv2: float, parameters: int, seed: int, draws: int = 400) -> tuple[float, float]:
    """95 % parametric-bootstrap interval of cv (totals redrawn from the fitted mixed Poisson)."""
    rng = np.random.default_rng(seed)
    out = np.empty(draws)
    for i in range(draws):
        f = rng.gamma(1.0 / cv2, cv2, len(mu)) if cv2 > 0 else 1.0
        out[i] = np.sqrt(moment_cv2(rng.poisson(mu * f).astype(float), mu, parameters))
    lo, hi = np.quantile(out, [0.025, 0.975])
    # the bootstrap's own bias moved back onto the estimate (basic interval), never below 0
    cv = np.sqrt(cv2)
    return float(max(0.0, 2 * cv - hi)), float(max(0.0, 2 * cv - lo))
