"""M/M/c, FIFO, no abandonment, every call resolved at first contact: Erlang C.

Per replication (warm-up excluded, the last hour of arrivals dropped so that no
call is still waiting) we take the share of calls that waited, the share
answered within a threshold, the mean wait and the agents' occupancy, and
compare the 99 % CI across replications with ``erlang_c_result``.
"""

from __future__ import annotations

import pytest

from simsla.analytic import erlang_c_result

from .conftest import EPS, check_ci, desk, exponential, per_replication, run, scenario, settled

CASES = {
    # (a) the scenario of scenarios/erlang-c.yaml: 10 Erl on 14 agents, rho = 0.714
    "a-10erl-14agents": dict(rate=200 / 3600, aht=180.0, agents=14, horizon="14d", reps=10, seed=11,
                             # bounds on the 99 % CI half-width: relative for P(wait>0) and the
                             # mean wait, absolute for the service levels
                             pw_rel=0.05, w_rel=0.12, sl_abs=0.01),
    # (b) heavy traffic: 45 Erl on 50 agents, rho = 0.90.  The queue fluctuates more slowly, so
    # the same number of calls gives a wider interval.
    "b-45erl-50agents-rho0.90": dict(rate=0.2, aht=225.0, agents=50, horizon="6d", reps=12, seed=12,
                                     pw_rel=0.07, w_rel=0.14, sl_abs=0.025),
}
THRESHOLDS = (20.0, 60.0)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_erlang_c(case: str) -> None:
    c = CASES[case]
    sc = scenario(rate=c["rate"], horizon=c["horizon"], warmup="6h", groups=[desk(c["agents"], exponential(c["aht"]))])
    theory = erlang_c_result(c["agents"], c["rate"], c["aht"])
    if case.startswith("a"):  # the published figures of the example scenario
        assert theory.p_wait == pytest.approx(0.1741, abs=5e-5)
        assert theory.service_level(20) == pytest.approx(0.8884, abs=5e-5)
        assert theory.mean_wait == pytest.approx(7.83, abs=0.01)
    else:
        assert theory.occupancy >= 0.9 - 1e-12
    reps = c["reps"]
    res = run(sc, reps, c["seed"])
    tk = settled(res.tickets, sc, tail=3600)
    assert (tk["outcome"] == "resolved").all()

    check_ci(f"ErlangC {case}: P(wait>0)", per_replication(tk, reps, lambda d: (d["wait"] > EPS).mean()),
             theory.p_wait, max_rel_half=c["pw_rel"])
    check_ci(f"ErlangC {case}: mean wait [s]", per_replication(tk, reps, lambda d: d["wait"].mean()),
             theory.mean_wait, max_rel_half=c["w_rel"])
    for t in THRESHOLDS:
        check_ci(f"ErlangC {case}: P(wait<={t:g}s)", per_replication(tk, reps, lambda d: (d["wait"] <= t).mean()),
                 theory.service_level(t), max_abs_half=c["sl_abs"])
    # the utilisation table agrees with the offered load too (busy / staffed agent-seconds)
    check_ci(f"ErlangC {case}: occupancy",
             per_replication(res.utilization, reps, lambda d: d["busy"].sum() / d["staffed"].sum()),
             theory.occupancy, max_rel_half=0.01)
