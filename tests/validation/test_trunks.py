"""Phone lines (trunks): a desk whose ``lines`` are all taken blocks the next call (outcome ``blocked``).

No patience, no redials, every call resolved at first contact, exponential
handling (180 s), FIFO:

* ``lines == staff == c`` is the loss system M/M/c/c: a call is blocked with
  the Erlang B probability ``B(c, a)`` and an admitted call never waits; the
  agents carry ``a (1 - B)`` Erlang, an occupancy of ``a (1 - B) / c``.
* ``lines == K > staff == c`` is M/M/c/K.  The number at the desk is the
  birth-death chain ``pi_n ~ a^n / n!`` (``n <= c``), ``a^c / c! (a/c)^(n-c)``
  (``c < n <= K``), computed here.  By PASTA a call is blocked w.p. ``pi_K``;
  an admitted call finds ``n`` w.p. ``pi_n / (1 - pi_K)`` (``n < K``), waits
  iff ``n >= c``, and then its wait is the time of ``n - c + 1`` completions
  at rate ``c mu``: Erlang(``n - c + 1``, ``c mu``).  So P(wait > 0 | admitted),
  the mean wait and P(wait <= t) of admitted calls follow exactly.

Per replication (warm-up excluded, the last hour of arrivals dropped) one
number per measure; 99 % CI across replications (``conftest``).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simsla.analytic import erlang_b

from .conftest import EPS, check_ci, desk, exponential, per_replication, run, scenario, settled
from .ctmc_retrial import mmck

AHT = 180.0
MU = 1.0 / AHT
THRESHOLDS = (20.0, 60.0)


def _blocked(d):
    return (d["outcome"] == "blocked").mean()


def _admitted(d):
    return d[d["outcome"] != "blocked"]


def _occupancy(res, reps):
    return per_replication(res.utilization, reps, lambda d: d["busy"].sum() / d["staffed"].sum())


# ------------------------------------------------------------------ Erlang B: M/M/c/c
ERLANG_B = {
    # 5 Erlang on 5 lines and 5 agents: B = 0.2849
    "c5-a5": dict(c=5, a=5.0, horizon="21d", reps=10, seed=151, b_rel=0.02),
    # 15 Erlang on 20: B = 0.0456 (rarer blocking, a wider relative interval)
    "c20-a15": dict(c=20, a=15.0, horizon="7d", reps=10, seed=152, b_rel=0.05),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(ERLANG_B))
def test_erlang_b(case: str) -> None:
    k = ERLANG_B[case]
    c, a, reps = k["c"], k["a"], k["reps"]
    sc = scenario(rate=a * MU, horizon=k["horizon"], warmup="6h",
                  groups=[desk(c, exponential(AHT), lines=c)])
    theory_b = erlang_b(c, a)
    if case == "c5-a5":
        assert theory_b == pytest.approx(0.28487, abs=5e-6)
    # the birth-death chain with K = c is Erlang B's (the helper used for M/M/c/K agrees)
    assert mmck(c, c, a)[-1] == pytest.approx(theory_b, rel=1e-12)
    res = run(sc, reps, k["seed"])
    tk = settled(res.tickets, sc, tail=3600)
    assert set(tk["outcome"].unique()) == {"resolved", "blocked"}
    # a loss system: an admitted call is answered at once, a blocked one never
    assert (_admitted(tk)["wait"] <= EPS).all()
    assert tk.loc[tk["outcome"] == "blocked", "answered"].isna().all()
    assert (tk["contact"] == "fresh").all()

    check_ci(f"ErlangB {case}: P(blocked)", per_replication(tk, reps, _blocked), theory_b, max_rel_half=k["b_rel"])
    # carried load a (1 - B) on c agents
    check_ci(f"ErlangB {case}: occupancy = carried load / c", _occupancy(res, reps), a * (1 - theory_b) / c,
             max_rel_half=0.01)


# ------------------------------------------------------------------ M/M/c/K
MMCK = {
    # 4.5 Erlang on 5 agents, 10 lines
    "c5-K10-a4.5": dict(c=5, K=10, a=4.5, horizon="21d", reps=10, seed=161),
    # 10 Erlang on 10 agents, 13 lines (rho = 1: only the lines keep it finite)
    "c10-K13-a10": dict(c=10, K=13, a=10.0, horizon="10d", reps=10, seed=162),
}


def mmck_theory(c: int, K: int, a: float) -> dict[str, float]:
    pi = mmck(c, K, a)
    seen = pi[:K] / (1.0 - pi[K])  # what an admitted call finds
    n = np.arange(K)
    ahead = n - c + 1  # completions it waits for, when n >= c
    waits = n >= c
    out = {
        "p_blocked": float(pi[K]),
        "p_wait": float(seen[waits].sum()),
        "mean_wait": float((seen[waits] * ahead[waits]).sum() / (c * MU)),
        "occupancy": a * (1.0 - float(pi[K])) / c,
    }
    for t in THRESHOLDS:
        done = stats.gamma.cdf(t, ahead[waits], scale=1 / (c * MU))  # P(Erlang(n - c + 1, c mu) <= t)
        out[f"sl{t:g}"] = float(seen[~waits].sum() + (seen[waits] * done).sum())
    return out


@pytest.mark.slow
@pytest.mark.parametrize("case", list(MMCK))
def test_mmck(case: str) -> None:
    k = MMCK[case]
    c, K, a, reps = k["c"], k["K"], k["a"], k["reps"]
    theory = mmck_theory(c, K, a)
    # consistency of the chain: Little's law on the queue, E[queue] = admitted rate * mean wait
    pi = mmck(c, K, a)
    mean_queue = float((pi * np.maximum(np.arange(K + 1) - c, 0)).sum())
    assert mean_queue == pytest.approx(a * MU * (1 - pi[K]) * theory["mean_wait"], rel=1e-12)
    sc = scenario(rate=a * MU, horizon=k["horizon"], warmup="6h", groups=[desk(c, exponential(AHT), lines=K)])
    res = run(sc, reps, k["seed"])
    tk = settled(res.tickets, sc, tail=3600)
    assert set(tk["outcome"].unique()) == {"resolved", "blocked"}
    name = f"M/M/c/K {case}"

    check_ci(f"{name}: P(blocked)", per_replication(tk, reps, _blocked), theory["p_blocked"], max_rel_half=0.05)
    check_ci(f"{name}: P(wait>0 | admitted)",
             per_replication(tk, reps, lambda d: (_admitted(d)["wait"] > EPS).mean()), theory["p_wait"],
             max_rel_half=0.03)
    check_ci(f"{name}: mean wait, admitted [s]", per_replication(tk, reps, lambda d: _admitted(d)["wait"].mean()),
             theory["mean_wait"], max_rel_half=0.05)
    for t in THRESHOLDS:
        check_ci(f"{name}: P(wait<={t:g}s | admitted)",
                 per_replication(tk, reps, lambda d: (_admitted(d)["wait"] <= t).mean()), theory[f"sl{t:g}"],
                 max_abs_half=0.01)
    check_ci(f"{name}: occupancy", _occupancy(res, reps), theory["occupancy"], max_rel_half=0.01)
