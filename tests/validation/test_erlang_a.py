"""M/M/c+M: callers with exponential patience hang up (Erlang A).

Lazy abandonment (a caller who hung up is dropped when an agent reaches it)
is exact for a FIFO queue, so the shares of abandoned and of waiting callers,
the mean wait and the service level of answered calls must match ``erlang_a``.
The load is 10 Erlang on 10 agents: without abandonment the queue would be
unstable, so the patience is what keeps it finite.
"""

from __future__ import annotations

import numpy as np
import pytest

from simsla.analytic import erlang_a

from .conftest import EPS, check_ci, desk, exponential, per_replication, run, scenario, settled

RATE, AHT, AGENTS, PATIENCE = 200 / 3600, 180.0, 10, 120.0
REPS, SEED = 10, 21


def _time_in_queue(d):
    """Wait of every caller: until answered, or until hanging up."""
    return np.where(d["outcome"] == "abandoned", d["abandoned"] - d["arrival"], d["wait"])


@pytest.mark.slow
def test_erlang_a() -> None:
    sc = scenario(rate=RATE, horizon="10d", warmup="6h", patience=exponential(PATIENCE),
                  groups=[desk(AGENTS, exponential(AHT))])
    theory = erlang_a(AGENTS, RATE, AHT, PATIENCE)
    res = run(sc, REPS, SEED)
    tk = settled(res.tickets, sc, tail=3600)
    served = tk["outcome"] == "resolved"
    assert set(tk["outcome"].unique()) <= {"resolved", "abandoned"}
    # an abandoned caller was never answered and hung up exactly at arrival + patience > arrival
    ab = tk[~served]
    assert ab["answered"].isna().all() and (ab["abandoned"] > ab["arrival"]).all()

    check_ci("ErlangA 10erl/10ag/pat120: P(abandon)",
             per_replication(tk, REPS, lambda d: (d["outcome"] == "abandoned").mean()),
             theory.p_abandon, max_rel_half=0.06)
    check_ci("ErlangA 10erl/10ag/pat120: P(wait>0)",
             per_replication(tk, REPS, lambda d: 1.0 - ((d["outcome"] == "resolved") & (d["wait"] <= EPS)).mean()),
             theory.p_wait, max_rel_half=0.03)
    check_ci("ErlangA 10erl/10ag/pat120: mean time in queue, all [s]",
             per_replication(tk, REPS, lambda d: _time_in_queue(d).mean()),
             theory.mean_wait, max_rel_half=0.06)
    check_ci("ErlangA 10erl/10ag/pat120: mean wait, answered [s]",
             per_replication(tk, REPS, lambda d: d.loc[d["outcome"] == "resolved", "wait"].mean()),
             theory.mean_wait_served, max_rel_half=0.06)
    check_ci("ErlangA 10erl/10ag/pat120: P(W<=20s | answered)",
             per_replication(tk, REPS, lambda d: (d.loc[d["outcome"] == "resolved", "wait"] <= 20).mean()),
             theory.service_level(20, basis="served"), max_abs_half=0.015)
