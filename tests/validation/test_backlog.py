"""A backlog start drains as the transient CTMC of an M/M/c predicts.

N tickets are open at time 0 at the desk (``backlog:``, all of them at age
0, so every one still needs a full exponential work time — exact, by
memorylessness, for a ticket already half worked on too); c agents work
them with exponential work times of mean 1/mu, and fresh calls arrive at
rate lambda (case "drain": none).  The number in system L(t) is a
birth-death process, its distribution at time t is ``p0 @ expm(Q t)``
(``scipy.linalg.expm``) from the point mass at N.  With arrivals the state
space is truncated at ``K``, chosen so that the probability beyond it is
below 1e-12 at every time checked (verified from the solution itself: the
mass in the last states is asserted negligible).

Per replication: L(t) at each check time, counted from the tickets table
(arrived by t and not resolved by t).  The 99 % CI across replications
must hold E[L(t)] and be narrow: its half-width at most 3 % (4 % with
arrivals) of the initial backlog N (``tests/validation/conftest.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from .conftest import check_ci, desk, exponential, run, scenario

CASES = {
    # 200 open tickets, 20 agents, 10-minute work, nothing new: a pure death process (empty after ~2 h)
    "drain-200-on-20": dict(n=200, c=20, aht=600.0, rate=0.0, times=(900, 1800, 3600, 4800, 5400), reps=40, seed=21,
                            share=0.03),
    # 300 open tickets, 25 agents, 6-minute work, fresh calls at 150/h (rho = 0.6): drains towards steady state
    "drain-300-on-25-with-arrivals": dict(n=300, c=25, aht=360.0, rate=150 / 3600,
                                          times=(900, 1800, 3600, 5400, 7200), reps=60, seed=22, share=0.04),
}


def transient_mean(n: int, c: int, mu: float, lam: float, times: tuple[float, ...]) -> tuple[np.ndarray, float]:
    """E[L(t)] of the M/M/c birth-death process from L(0) = n, and the mass left in the truncation's last states."""
    k = n if lam == 0 else n + 600  # with arrivals: far beyond anything reached in a few hours
    q = np.zeros((k + 1, k + 1))
    for i in range(k + 1):
        if i < k:
            q[i, i + 1] = lam
        if i > 0:
            q[i, i - 1] = min(i, c) * mu
        q[i, i] = -q[i].sum()
    p0 = np.zeros(k + 1)
    p0[n] = 1.0
    means, tail = [], 0.0
    for t in times:
        p = p0 @ expm(q * t)
        means.append(float(p @ np.arange(k + 1)))
        tail = max(tail, float(p[-10:].sum()) if lam > 0 else 0.0)
    return np.array(means), tail


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_backlog_drains_like_the_ctmc(case: str) -> None:
    c = CASES[case]
    horizon = max(c["times"]) + 3600
    extra = {"backlog": [{"party": "desk", "count": c["n"], "priority": "P3",
                          "age": {"dist": "deterministic", "value": 0}}]}
    sc = scenario(rate=c["rate"] if c["rate"] > 0 else 0.0, groups=[desk(c["c"], exponential(c["aht"]))],
                  horizon=f"{horizon}s", warmup=0, **extra)
    theory, tail = transient_mean(c["n"], c["c"], 1 / c["aht"], c["rate"], c["times"])
    assert tail < 1e-12, f"truncation too tight: {tail:.3g} of the mass in the last states"
    res = run(sc, c["reps"], c["seed"])
    tk = res.tickets
    assert (tk["contact"] == "backlog").sum() == c["n"] * c["reps"]
    arrival = tk["arrival"].to_numpy()
    done = tk["resolved"].fillna(np.inf).to_numpy()
    rep = tk["replication"].to_numpy()
    for t, expected in zip(c["times"], theory):
        in_system = (arrival <= t) & (done > t)
        values = np.bincount(rep, weights=in_system, minlength=c["reps"])
        # the half-width is bounded by a share of the initial backlog (the means fall towards 0 as it drains)
        check_ci(f"backlog {case}: E[L({t / 60:g} min)]", values, expected, max_abs_half=c["share"] * c["n"])
