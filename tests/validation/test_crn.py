"""Common random numbers: comparing 9 with 10 desk agents on the same seed is far more precise.

Both staffings are simulated R times.  With common random numbers (the same
seed for both) replication r of each sees the same callers and talk times, so
the per-replication difference of the service level (share answered within
20 s) varies much less than when the
two staffings are run on independent seeds.  The check is an F-test on the
two variances of the paired differences and a 95 % interval of their ratio.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

import simsla

from .conftest import WORKERS, desk, exponential, record_p, scenario

R = 20


def _service_level(res: simsla.Results) -> np.ndarray:
    t = res.tickets
    return (t["wait"] <= 20.0).groupby(t["replication"]).mean().to_numpy()


def test_crn_reduces_the_variance_of_the_paired_difference() -> None:
    # 84 calls/h x 5 min = 7 Erlang: 9 agents are 78 % busy, 10 agents 70 %
    make = lambda c: scenario(rate="84/h", horizon="2d", warmup="4h", groups=[desk(c, exponential("5m"))])  # noqa: E731
    nine, ten = make(9), make(10)
    s9 = _service_level(simsla.simulate(nine, replications=R, seed=101, workers=WORKERS))
    s10_crn = _service_level(simsla.simulate(ten, replications=R, seed=101, workers=WORKERS))
    s10_ind = _service_level(simsla.simulate(ten, replications=R, seed=202, workers=WORKERS))
    d_crn, d_ind = s10_crn - s9, s10_ind - s9
    assert (d_crn > 0).all(), "with CRN, 10 agents answer more calls in 20 s in every replication"
    v_crn, v_ind = d_crn.var(ddof=1), d_ind.var(ddof=1)
    ratio = v_ind / v_crn
    df = R - 1
    p = float(stats.f.sf(ratio, df, df))  # H0: equal variances; H1: CRN smaller
    low, high = ratio / stats.f.ppf(0.975, df, df), ratio / stats.f.ppf(0.025, df, df)
    record_p(f"CRN variance ratio independent/CRN = {ratio:.1f} (95% CI {low:.1f}-{high:.1f})", p, "p < 0.001")
    assert p < 0.001
    assert low > 2.0, f"variance reduction ratio {ratio:.2f}, 95 % CI [{low:.2f}, {high:.2f}]"
