"""Busy days: a doubly stochastic Poisson process, checked against its theory and against breach frequencies.

* Daily counts of a stream with a mean-1 factor of cv ``c`` per day and
  expected count ``m`` are mixed Poisson: mean ``m``, variance ``m + c² m²``
  (for a gamma factor, negative binomial).  Each replication gives one sample
  mean and one sample variance over its days; the 99 % interval across
  replications must contain the theory, and be narrow.
* The AR(1) correlation of the log factor is recovered: the lag-1
  autocorrelation of the log factors lies within its 99 % interval
  (asymptotic standard error sqrt((1 - rho²) / n)).
* Breach calibration: a synthetic desk (M/M/4, 12 calls an hour, 10-minute
  calls, 80 % answered in 20 s per month) whose true demand has busy days
  (gamma, cv 0.25).  The "observed" months come from an independent
  simulation of that true model written here (FIFO servers, no engine code);
  simsla's predicted monthly breach probability with the busy-day factor
  must match the observed frequency (Newcombe's 99 % interval of the
  difference of two proportions contains 0), and the Poisson-only model's
  prediction must not (it is far too optimistic).
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from scipy import stats

import simsla
from simsla.engine import arrivals, daily, streams
from simsla.model.volume import BusyDays

from .conftest import RECORDS, check_ci, desk, exponential, run, scenario

DAY = 86400.0


def daily_counts(sc: simsla.Scenario, replications: int, seed: int) -> np.ndarray:
    """(replication, day) arrival counts over whole local days of the run (arrivals only: no queue needed)."""
    starts = daily.day_starts(sc)
    edges = starts[(starts >= 0) & (starts <= sc.end)]
    rows = []
    for r in range(replications):
        t = arrivals.generate(sc, seed, r)["time"]
        rows.append(np.histogram(t, bins=edges)[0])
    return np.array(rows, dtype=float)


@pytest.mark.parametrize("distribution", ["gamma", "lognormal"])
def test_daily_counts_have_mixed_poisson_mean_and_variance(distribution: str) -> None:
    m, cv = 200.0, 0.3
    sc = scenario(rate=f"{m}/day", horizon="52w", warmup=0, groups=[desk(1, exponential("1s"))],
                  stream={"busy_days": {"cv": cv, "distribution": distribution}})
    counts = daily_counts(sc, 20, seed=2026)
    check_ci(f"busy days ({distribution}): daily mean", counts.mean(axis=1), m, max_rel_half=0.05)
    check_ci(f"busy days ({distribution}): daily variance m + cv^2 m^2", counts.var(axis=1, ddof=1),
             m + cv**2 * m**2, max_rel_half=0.1)
    # the Poisson variance m is far outside: the test can tell the models apart
    assert counts.var(axis=1, ddof=1).mean() > 5 * m


def test_poisson_stream_keeps_poisson_variance() -> None:
    m = 200.0
    sc = scenario(rate=f"{m}/day", horizon="52w", warmup=0, groups=[desk(1, exponential("1s"))])
    counts = daily_counts(sc, 12, seed=7)
    check_ci("no busy days: daily variance m", counts.var(axis=1, ddof=1), m, max_rel_half=0.1)


@pytest.mark.parametrize("distribution", ["lognormal", "gamma"])
def test_ar1_correlation_of_the_log_factor_is_recovered(distribution: str) -> None:
    rho, n = 0.6, 3000
    busy = BusyDays(cv=0.3, distribution=distribution, correlation=rho)
    f = daily.day_factors(busy, n, streams.stream(99, 0, streams.BUSY_DAYS, 0, 0))
    x = np.log(f) - np.log(f).mean()
    r1 = float((x[1:] * x[:-1]).sum() / (x * x).sum())
    se = math.sqrt((1 - rho**2) / n)
    z = stats.norm.ppf(0.995)
    RECORDS.append({"check": f"busy days ({distribution}): lag-1 autocorrelation of log factor", "analytic": rho,
                    "mean": r1, "low": r1 - z * se, "high": r1 + z * se, "rel_half": z * se / rho})
    # lognormal: the log factor is AR(1) exactly; gamma: its normal scores are, and the log is close
    tolerance = z * se + (0 if distribution == "lognormal" else 0.02)
    assert abs(r1 - rho) <= tolerance, f"lag-1 autocorrelation {r1:.3f}, expected {rho} +- {tolerance:.3f}"


# ---------------------------------------------------------------- breach calibration
RATE, AHT, AGENTS, CV, THRESHOLD, FRACTION = 12 / 3600, 600.0, 4, 0.25, 20.0, 0.8
MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def true_months(seed: int) -> np.ndarray:
    """Monthly attainment of a year from the true model, simulated independently of the engine.

    Each day gets a gamma factor (mean 1, cv ``CV``), arrivals are Poisson with
    that day's rate, uniform over the day; ``AGENTS`` servers take callers in
    order of arrival (the earliest free server), exponential talk times.
    """
    rng = np.random.default_rng(seed)
    days = sum(MONTH_DAYS)
    factor = rng.gamma(1 / CV**2, CV**2, days)
    n = rng.poisson(RATE * DAY * factor)
    t = np.concatenate([d * DAY + np.sort(rng.uniform(0, DAY, k)) for d, k in enumerate(n)])
    talk = rng.exponential(AHT, len(t))
    free = [0.0] * AGENTS
    wait = np.empty(len(t))
    for i, (a, x) in enumerate(zip(t.tolist(), talk.tolist())):
        first = heapq.heappop(free)
        begin = a if a > first else first
        wait[i] = begin - a
        heapq.heappush(free, begin + x)
    month = np.searchsorted(np.cumsum(MONTH_DAYS) * DAY, t, side="right")
    return np.bincount(month, weights=wait <= THRESHOLD, minlength=12) / np.bincount(month, minlength=12)


def predicted_months(cv: float, replications: int, seed: int) -> np.ndarray:
    """simsla's breached flags of every complete month over ``replications`` years."""
    sc = scenario(rate="12/h", horizon="365d", warmup="1d", start="2025-12-31", groups=[desk(AGENTS, exponential("10m"))],
                  stream={"busy_days": {"cv": cv}} if cv else {},
                  agreements=[{"name": "SLA", "kind": "SLA", "period": "month",
                               "targets": [{"name": "answer", "metric": "answer_time", "threshold": "20s",
                                            "fraction": FRACTION}]}])
    table = simsla.evaluate(run(sc, replications, seed=seed))
    table = table[table["complete"]]
    assert len(table) == 12 * replications
    return table["breached"].to_numpy(dtype=bool)


def wilson(k: int, n: int, z: float) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def newcombe(k1: int, n1: int, k2: int, n2: int, level: float = 0.99) -> tuple[float, float]:
    """Newcombe's hybrid score interval of p1 - p2."""
    z = stats.norm.ppf(0.5 + level / 2)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


@pytest.mark.slow
def test_breach_probability_with_busy_days_is_calibrated_and_poisson_is_not() -> None:
    observed = np.concatenate([true_months(seed) < FRACTION for seed in range(10)])  # 120 true months
    busy = predicted_months(CV, replications=6, seed=31)
    poisson = predicted_months(0.0, replications=6, seed=31)
    k_obs, n_obs = int(observed.sum()), len(observed)
    rows = {}
    for name, pred in (("busy days", busy), ("Poisson only", poisson)):
        low, high = newcombe(int(pred.sum()), len(pred), k_obs, n_obs)
        rows[name] = (pred.mean(), low, high)
        RECORDS.append({"check": f"monthly breach probability, {name} - observed", "analytic": 0.0,
                        "mean": pred.mean() - observed.mean(), "low": low, "high": high, "rel_half": math.inf})
    assert 0.2 < observed.mean() < 0.9, f"observed breach frequency {observed.mean():.2f}: the desk does not test much"
    p, low, high = rows["busy days"]
    assert low <= 0 <= high, f"busy-day prediction {p:.2f} vs observed {observed.mean():.2f}: difference CI [{low:.2f}, {high:.2f}]"
    p, low, high = rows["Poisson only"]
    assert not low <= 0 <= high, f"the Poisson-only prediction {p:.2f} should be miscalibrated vs {observed.mean():.2f}"
