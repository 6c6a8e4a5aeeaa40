"""Callbacks as a second, lower-priority class: against the exact Markov chain of the desk.

M/M/c (c = 10, exponential handling 180 s, λ = 185/h, ρ = 0.925), no
abandonment.  Every call that has to wait is offered a callback
(``offer_over: 0s``: the predicted wait of a waiting call is positive) and
takes it with probability p = 0.5; the customer always answers.  Calls in
the queue are served first; a callback is made when an agent frees up and no
call waits (non-preemptive).  Service times do not depend on the class, so
the chain is (k busy agents, n1 calls waiting, n2 callbacks waiting):

* arrival λ: k < c → k + 1; else with p → n2 + 1, with 1 - p → n1 + 1;
* completion k·μ: n1 > 0 → n1 - 1; else n2 > 0 → n2 - 1; else k - 1.

By PASTA a call is offered a callback with P(k = c); Little's law gives the
mean wait in the call queue, E[n1] / (λ (1 - p) P(k = c)), and the mean time
from accepting to being called back, E[n2] / (λ p P(k = c)).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.linalg import spsolve

from .conftest import EPS, check_ci, desk, exponential, per_replication, run, scenario, settled

C, AHT, RATE, P = 10, 180.0, 185 / 3600, 0.5
REPS, SEED = 24, 23


def chain(c: int, lam: float, mu: float, p: float, cap: int = 330) -> dict[str, float]:
    """Stationary measures of the callback chain, n1 + n2 truncated at ``cap`` (the mass there checked)."""
    states = [(k, 0, 0) for k in range(c)] + [(c, a, b) for a in range(cap + 1) for b in range(cap + 1 - a)]
    index = {s: i for i, s in enumerate(states)}
    rows, cols, vals = [], [], []

    def rate(src, dst, r):
        if dst in index and r > 0:
            rows.append(index[src]), cols.append(index[dst]), vals.append(r)

    for s in states:
        k, a, b = s
        if k < c:
            rate(s, (k + 1, 0, 0), lam)
        else:
            rate(s, (c, a, b + 1), lam * p)
            rate(s, (c, a + 1, b), lam * (1 - p))
        done = k * mu
        if a > 0:
            rate(s, (c, a - 1, b), done)
        elif b > 0:
            rate(s, (c, 0, b - 1), done)
        elif k > 0:
            rate(s, (k - 1, 0, 0), done)
    n = len(states)
    q = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
    q = q - sparse.diags(np.asarray(q.sum(axis=1)).ravel())
    a_mat = q.T.tolil()
    a_mat[0, :] = 1.0  # replace one balance equation by the normalisation
    rhs = np.zeros(n)
    rhs[0] = 1.0
    pi = spsolve(a_mat.tocsr(), rhs)
    s = np.array(states)
    edge = pi[s[:, 1] + s[:, 2] == cap].sum()
    assert edge < 1e-9, f"truncation mass {edge:.2e}: raise the cap"
    busy = pi[s[:, 0] == c].sum()
    n1, n2 = (pi * s[:, 1]).sum(), (pi * s[:, 2]).sum()
    return {"offered": busy, "call_wait": n1 / (lam * (1 - p) * busy), "callback_delay": n2 / (lam * p * busy),
            "occupancy": ((pi * s[:, 0]).sum()) / c}


@pytest.fixture(scope="module")
def simulated():
    sc = scenario(rate=RATE, horizon="21d", warmup="1d",
                  groups=[desk(C, exponential(AHT), callback={"offer_over": "0s", "accept": P})])
    res = run(sc, REPS, SEED)
    return res, settled(res.tickets, sc, tail=6 * 3600)


def test_the_chain_without_callbacks_is_erlang_c() -> None:
    from simsla.analytic import erlang_c_result

    theory = erlang_c_result(C, RATE, AHT)
    exact = chain(C, RATE, 1 / AHT, 0.0)
    assert exact["offered"] == pytest.approx(theory.p_wait, rel=1e-6)
    assert exact["call_wait"] * theory.p_wait == pytest.approx(theory.mean_wait, rel=1e-6)


@pytest.mark.slow
def test_callbacks_against_the_markov_chain(simulated) -> None:
    res, tk = simulated
    exact = chain(C, RATE, 1 / AHT, P)
    assert (tk["outcome"] == "resolved").all()
    called = ~np.isnan(tk["callback"])
    check_ci("callbacks: share of calls that waited (offered)",
             per_replication(tk, REPS, lambda d: ((d["wait"] > EPS) | ~np.isnan(d["callback"])).mean()),
             exact["offered"], max_rel_half=0.06)
    check_ci("callbacks: share accepted",
             per_replication(tk, REPS, lambda d: (~np.isnan(d["callback"])).mean()), P * exact["offered"],
             max_rel_half=0.08)
    queued = tk[~called & (tk["wait"] > EPS)]
    check_ci("callbacks: mean wait of calls that waited in the queue [s]",
             per_replication(queued, REPS, lambda d: d["wait"].mean()), exact["call_wait"], max_rel_half=0.06)
    back = tk[called]
    check_ci("callbacks: mean time from acceptance to callback [s]",
             per_replication(back, REPS, lambda d: (d["answered"] - d["callback"]).mean()), exact["callback_delay"],
             max_rel_half=0.15)
    check_ci("callbacks: occupancy",
             per_replication(res.utilization, REPS, lambda d: d["busy"].sum() / d["staffed"].sum()),
             exact["occupancy"], max_rel_half=0.01)
