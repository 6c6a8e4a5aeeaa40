"""Day-by-day variation of demand: busy-day factors on the engine axis.

A stream with ``busy_days`` is a doubly stochastic Poisson process: each
local day ``d`` gets a random factor ``F_d`` (mean 1) that multiplies the
stream's rate for that day, so a day with expected count ``m`` has count
variance ``m + cv² m²``.  The factors of a replication are drawn up front from
their own random stream (``SeedSequence(seed, spawn_key=(replication,
BUSY_DAYS, kind, party))``), before any arrival, and enter the time
rescaling of the non-homogeneous Poisson process as a per-day scale of the
piecewise-constant rate, so arrivals stay vectorised and a stream without a
factor (or with cv 0) draws exactly the numbers it drew before.

Streams naming one entry of the scenario's ``busy_days`` share one factor
sequence (they move together); an inline factor belongs to its stream.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import zlib

import numpy as np

from simsla.engine import streams
from simsla.model import Scenario
from simsla.model.volume import BusyDays
from simsla.timebase import engine_seconds, local_days

#: spawn-key kinds: a stream's own factor (party = stream index) or a shared one (party = hash of its name)
OWN, SHARED = 0, 1


def day_starts(scenario: Scenario) -> np.ndarray:
    """Engine time of 00:00 local time of each local day overlapping the run (one day either side).

    Days are placed one by one, so the day of a clock change is 23 or 25 hours long.
    """
    return np.array([engine_seconds(scenario.origin, day, 0.0) for day in local_days(scenario.origin, scenario.end)])


def normal_scores(correlation: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """A stationary Gaussian AR(1) series with unit variance and lag-1 correlation ``correlation``."""
    z = rng.standard_normal(n)
    if correlation <= 0 or n < 2:
        return z
    from scipy import signal  # here, not at the top: `simsla validate` imports this module and needs no scipy

    innovation = np.sqrt(1.0 - correlation**2)
    # x_t = rho x_{t-1} + sqrt(1 - rho^2) z_t, started in the stationary law (x_0 = z_0)
    rest, _ = signal.lfilter([innovation], [1.0, -correlation], z[1:], zi=[correlation * z[0]])
    return np.concatenate([z[:1], rest])


def day_factors(busy: BusyDays, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` daily factors with mean 1 and coefficient of variation ``busy.cv``.

    The normal scores are AR(1); a lognormal factor is their exponential
    (so its log is AR(1) exactly), a gamma factor their image under the
    gamma quantile function (a Gaussian copula: the marginal law is exactly
    gamma with shape 1/cv²).
    """
    x = normal_scores(busy.correlation, n, rng)
    if busy.distribution == "lognormal":
        s2 = np.log1p(busy.cv**2)
        return np.exp(np.sqrt(s2) * x - s2 / 2.0)
    from scipy import stats

    shape = 1.0 / busy.cv**2
    # the upper half through survival functions keeps the upper tail accurate
    upper = x > 0
    out = np.empty(n)
    out[upper] = stats.gamma.isf(stats.norm.sf(x[upper]), shape, scale=1.0 / shape)
    out[~upper] = stats.gamma.ppf(stats.norm.cdf(x[~upper]), shape, scale=1.0 / shape)
    return out


def factor_key(scenario: Scenario, k: int) -> tuple[int, int] | None:
    """The (kind, party) of stream ``k``'s factor in the spawn key; ``None`` for a Poisson stream.

    A shared factor is keyed by a hash of its name, so adding, removing or
    reordering other factors never changes its numbers.
    """
    d = scenario.demand[k]
    busy = scenario.busy_days_of(d)
    if busy is None or not busy.active:
        return None
    if isinstance(d.busy_days, str):
        return SHARED, zlib.crc32(d.busy_days.encode("utf-8"))
    return OWN, k


def busy_day_factors(scenario: Scenario, seed: int, replication: int) -> dict[int, np.ndarray]:
    """Stream index -> one factor per day of ``day_starts`` (streams without a varying factor are absent)."""
    out: dict[int, np.ndarray] = {}
    drawn: dict[tuple[int, int], np.ndarray] = {}
    n = len(local_days(scenario.origin, scenario.end))
    for k, d in enumerate(scenario.demand):
        key = factor_key(scenario, k)
        if key is None:
            continue
        if key not in drawn:
            drawn[key] = day_factors(scenario.busy_days_of(d), n,
                                     streams.stream(seed, replication, streams.BUSY_DAYS, *key))
        out[k] = drawn[key]
    return out


def scale_by_day(intervals: np.ndarray, starts: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Multiply the rate of each (start, end, rate) interval by the factor of the local day it starts in.

    Profile intervals are windows of one local day (they never cross midnight),
    so one factor per interval is exact.
    """
    if len(intervals) == 0:
        return intervals
    day = np.clip(np.searchsorted(starts, intervals[:, 0], side="right") - 1, 0, len(factors) - 1)
    out = intervals.copy()
    out[:, 2] *= factors[day]
    return out[out[:, 2] > 0]


def mean_factor_quantile(busy: BusyDays | None, days: float, q: float = 0.999) -> float:
    """An upper ``q`` quantile of the mean factor over ``days`` days (1 without a factor).

    The mean of correlated factors is taken as the mean of ``n_eff = days (1 - rho) / (1 + rho)``
    independent gamma factors, which is gamma with shape ``n_eff / cv²`` (exact for independent
    gamma factors, close for the others).  The resource check uses it to bound a replication's arrivals.
    """
    if busy is None or not busy.active:
        return 1.0
    rho = busy.correlation
    n_eff = max(1.0, days * (1.0 - rho) / (1.0 + rho))
    shape = n_eff / busy.cv**2
    if shape >= 1.0:
        # Wilson-Hilferty: 2 % above the gamma quantile at shape 1, within 0.01 % from shape 50; no scipy import, so
        # `simsla validate` stays quick to start
        z = NormalDist().inv_cdf(q)
        return float((1.0 - 1.0 / (9.0 * shape) + z * math.sqrt(1.0 / (9.0 * shape))) ** 3)
    from scipy.special import gammaincinv

    return float(gammaincinv(shape, q) / shape)  # the gamma(shape, scale 1/shape) quantile
