"""The multi-skill CTMC oracle (``ctmc_skills``) against closed forms, before it judges the engine.

Fast, no simulation.  Each case is a multi-skill design whose answer is known
exactly: (a) one class on one team is Erlang C; (b) two classes on one team
with one service rate pool into Erlang C for the total, and with class A
served first they are Cobham's non-preemptive priority M/M/c; (c) disjoint
skills are two independent M/M/c queues; (d) probabilities add up, and the
utilisation is the offered load over the agents.  Tolerances are 1e-6
relative: the truncation (mass < 1e-9) and the solvers are far more exact.
"""

from __future__ import annotations

import numpy as np
import pytest

from simsla.analytic import erlang_c_result, priority_mmc_nonpreemptive

from .ctmc_skills import MultiSkill, solve

REL = 1e-6
THRESHOLDS = (0.0, 20.0, 60.0, 300.0)


def _erlang_c_agrees(r: dict, k: str, c: int, rate: float, aht: float) -> None:
    e = erlang_c_result(c, rate, aht)
    assert r["p_wait"][k] == pytest.approx(e.p_wait, rel=REL)
    assert r["mean_wait"][k] == pytest.approx(e.mean_wait, rel=REL)
    assert r["mean_wait_phase"][k] == pytest.approx(e.mean_wait, rel=REL)
    for t in THRESHOLDS:
        assert r["service_level"][t][k] == pytest.approx(e.service_level(t), rel=REL)


def _conserves(r: dict) -> None:
    """(d) the stationary law sums to one; P(W <= t) is a distribution with its atom at 0; shares add to 1."""
    assert r["pi_sum"] == pytest.approx(1.0, abs=1e-12)
    assert r["truncation"] < 1e-9 and r["truncation_beyond"] < 1e-9
    for k in r["p_wait"]:
        sl = [r["service_level"][t][k] for t in THRESHOLDS]
        assert sl[0] == pytest.approx(1 - r["p_wait"][k], abs=1e-12)
        assert all(0 <= a <= b <= 1 + 1e-12 for a, b in zip(sl, sl[1:]))
        assert sum(r["share"][k].values()) == pytest.approx(1.0, abs=1e-12)
        # Little on the queue agrees with the tagged arrival's phase-type mean
        assert r["mean_wait_phase"][k] == pytest.approx(r["mean_wait"][k], rel=REL)


@pytest.mark.parametrize("c, rate, aht", [(14, 200 / 3600, 180.0), (50, 0.2, 225.0), (1, 0.8 / 600, 600.0)])
def test_a_one_class_one_team_is_erlang_c(c: int, rate: float, aht: float) -> None:
    r = solve(MultiSkill(lam=[rate], n=[c], level=[[1]], mu=[[1 / aht]], classes=["A"], teams=["t"]), THRESHOLDS)
    _erlang_c_agrees(r, "A", c, rate, aht)
    assert r["utilisation"]["t"] == pytest.approx(rate * aht / c, rel=REL)
    _conserves(r)


def test_b_two_classes_one_team_pool_into_erlang_c_and_cobham() -> None:
    c, aht, lam = 4, 300.0, [2.0 / 600, 1.2 / 600]  # 3.2 Erl on 4 agents, rho = 0.8
    total = sum(lam)
    e = erlang_c_result(c, total, aht)
    cobham = priority_mmc_nonpreemptive(c, lam, aht)
    # A first: at equal levels by the explicit class order, and by levels 1 < 2, and by rank
    designs = {
        "tie+priority": MultiSkill(lam=lam, n=[c], level=[[1, 1]], mu=[[1 / aht, 1 / aht]], priority=[0, 1]),
        "levels": MultiSkill(lam=lam, n=[c], level=[[1, 2]], mu=[[1 / aht, 1 / aht]]),
        "rank": MultiSkill(lam=lam, n=[c], level=[[2, 1]], mu=[[1 / aht, 1 / aht]], item="priority", rank=[0, 1]),
    }
    for name, d in designs.items():
        r = solve(d, THRESHOLDS)
        for k in ("0", "1"):  # PASTA: everyone waits iff all agents are busy
            assert r["p_wait"][k] == pytest.approx(e.p_wait, rel=REL), name
        pooled = sum(lam[i] * r["mean_wait"][str(i)] for i in range(2)) / total
        assert pooled == pytest.approx(e.mean_wait, rel=REL), name
        for i in range(2):
            assert r["mean_wait"][str(i)] == pytest.approx(float(cobham.mean_wait[i]), rel=REL), name
        # the number waiting does not depend on the order of service (one rate): the pooled
        # P(W = 0) is Erlang C's, and the class served first waits less
        assert r["service_level"][60.0]["0"] > e.service_level(60) > r["service_level"][60.0]["1"], name
        assert r["utilisation"]["0"] == pytest.approx(total * aht / c, rel=REL), name
        _conserves(r)


def test_b_ties_without_an_order_are_refused() -> None:
    with pytest.raises(ValueError, match="priority"):
        solve(MultiSkill(lam=[0.001, 0.001], n=[2], level=[[1, 1]], mu=[[0.01, 0.01]]))
    with pytest.raises(ValueError, match="share a level"):
        solve(MultiSkill(lam=[0.001], n=[1, 1], level=[[1], [1]], mu=[[0.01], [0.01]]))
    with pytest.raises(ValueError, match="not Markov"):
        solve(MultiSkill(lam=[0.001], n=[1], level=[[1]], mu=[[0.01]], agent="longest-idle"))


def test_c_disjoint_skills_are_independent_queues() -> None:
    # team 0 serves A only (3 agents, 250 s), team 1 serves B only (5 agents, 180 s)
    lam, n, aht = [2.4 / 250, 4.0 / 180], [3, 5], [250.0, 180.0]
    d = MultiSkill(lam=lam, n=n, level=[[1, None], [None, 1]], mu=[[1 / aht[0], None], [None, 1 / aht[1]]],
                   classes=["A", "B"], teams=["t0", "t1"])
    r = solve(d, THRESHOLDS)
    for k, name in enumerate("AB"):
        _erlang_c_agrees(r, name, n[k], lam[k], aht[k])
        assert r["utilisation"][f"t{k}"] == pytest.approx(lam[k] * aht[k] / n[k], rel=REL)
        assert r["share"][name][f"t{k}"] == 1.0
    _conserves(r)


def test_d_n_design_conserves_work() -> None:
    """An N design (team 1: A; team 2: B first, A second) conserves work and probability.

    No closed form, but the busy time is the work offered: sum over teams of
    n_j x utilisation_j = sum over (team, class) of lam_k x share x mean time.
    """
    lam = [30 / 3600, 40 / 3600]
    mu = [[1 / 300, None], [1 / 240, 1 / 160]]
    d = MultiSkill(lam=lam, n=[3, 3], level=[[1, None], [2, 1]], mu=mu, classes=["A", "B"], teams=["t1", "t2"])
    r = solve(d, THRESHOLDS)
    _conserves(r)
    for j, team in enumerate(("t1", "t2")):
        work = sum(lam[k] * r["share"][c][team] / mu[j][k] for k, c in enumerate("AB") if mu[j][k] is not None)
        assert r["utilisation"][team] * d.n[j] == pytest.approx(work, rel=REL)
    assert r["share"]["B"]["t1"] == 0.0 and 0 < r["share"]["A"]["t2"] < 0.5


def test_d_three_classes_iterative_solve_agrees_with_lu(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small W design solved by GMRES (forced) and by LU gives the same answer."""
    from . import ctmc_skills

    d = MultiSkill(lam=[1.5 / 3600, 3 / 3600, 1.5 / 3600], n=[1, 1], level=[[1, 2, None], [None, 3, 1]],
                   mu=[[1 / 300, 1 / 200, None], [None, 1 / 160, 1 / 240]], classes="ABC", teams=["t1", "t2"])
    monkeypatch.setattr(ctmc_skills, "DIRECT_MAX", 10**9)
    lu = solve(d, THRESHOLDS)
    monkeypatch.setattr(ctmc_skills, "DIRECT_MAX", 0)
    it = solve(d, THRESHOLDS)
    assert lu["states"] == it["states"] > 1000
    _conserves(lu)
    for key in ("p_wait", "mean_wait", "utilisation"):
        for name, v in lu[key].items():
            assert it[key][name] == pytest.approx(v, rel=REL), (key, name)
    for t in THRESHOLDS:
        assert np.allclose(list(it["service_level"][t].values()), list(lu["service_level"][t].values()), rtol=REL)
