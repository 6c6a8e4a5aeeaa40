"""Confidence intervals across replications.

Replications are independent, so a statistic computed per replication is an
i.i.d. sample; its mean gets a Student-t interval.  Shares of periods (breach
probabilities) get a Wilson interval.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the t-interval of the mean of i.i.d. values (NaNs ignored)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if len(v) < 2:
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return m, m - half, m + half


def wilson_ci(successes: int, trials: int, level: float = 0.95) -> tuple[float, float, float]:
    """(share, low, high): the Wilson score interval of a binomial share."""
    if trials == 0:
        return math.nan, math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exactly 0, not rounding noise, when none happened
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return p, low, high
