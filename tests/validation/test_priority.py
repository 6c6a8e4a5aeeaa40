"""Non-preemptive priority M/M/c: three classes share one pool (Cobham).

Priorities come from the impact x urgency matrix: every ticket has urgency
``high``, and impact high/medium/low with weights 0.2/0.3/0.5, so the default
matrix makes them P1/P2/P3 with those shares.  The desk serves by priority
(``discipline: priority``), first come first served within a priority, never
interrupting work; all service is exponential with one mean, FCR 1.
"""

from __future__ import annotations

import pytest

from simsla.analytic import priority_mg1_preemptive_resume, priority_mmc_nonpreemptive

from .conftest import check_ci, desk, exponential, per_replication, run, scenario, settled

AGENTS, AHT, RHO = 4, 600.0, 0.85
SHARES = {"P1": 0.2, "P2": 0.3, "P3": 0.5}
RATE = RHO * AGENTS / AHT  # total arrivals per second
REPS, SEED = 12, 31


@pytest.mark.slow
def test_cobham_nonpreemptive_priority() -> None:
    sc = scenario(rate=RATE, channel="portal", horizon="70d", warmup="2d",
                  stream={"impact": {"high": 0.2, "medium": 0.3, "low": 0.5}, "urgency": {"high": 1.0}},
                  groups=[desk(AGENTS, exponential(AHT), discipline="priority")])
    theory = priority_mmc_nonpreemptive(AGENTS, [RATE * s for s in SHARES.values()], AHT)
    res = run(sc, REPS, SEED)
    tk = settled(res.tickets, sc, tail=2 * 86400)
    # the shares of the priorities are the ones the matrix should give
    shares = tk["priority"].value_counts(normalize=True)
    for p, share in SHARES.items():
        assert shares[p] == pytest.approx(share, abs=0.01)
    assert shares.drop(list(SHARES)).sum() == 0
    waits = []
    for k, p in enumerate(SHARES):
        ci = check_ci(f"Cobham c=4 rho=0.85: mean wait {p} [s]",
                      per_replication(tk[tk["priority"] == p], REPS, lambda d: d["wait"].mean()),
                      float(theory.mean_wait[k]), max_rel_half=0.12)
        waits.append(ci.mean)
    assert waits[0] < waits[1] < waits[2]
    check_ci("Cobham c=4 rho=0.85: mean wait, all [s]",
             per_replication(tk, REPS, lambda d: d["wait"].mean()), theory.overall_mean_wait(), max_rel_half=0.10)


PR_MEAN, PR_CV, PR_RHO = 600.0, 0.5, 0.8
PR_SHARES = {"P1": 0.3, "P2": 0.7}


@pytest.mark.slow
def test_preemptive_resume_mg1() -> None:
    """``preemptive: true`` on one agent: a P1 interrupts a P2, which later resumes where it stopped.

    Gamma service (cv 0.5, the same law for both classes): the mean time in
    system per class is the exact preemptive-resume M/G/1 result.
    """
    rate = PR_RHO / PR_MEAN
    reps = 12
    sc = scenario(rate=rate, channel="portal", horizon="56d", warmup="2d",
                  stream={"impact": {"high": 0.3, "medium": 0.7}, "urgency": {"high": 1.0}},
                  groups=[desk(1, {"dist": "gamma", "mean": PR_MEAN, "cv": PR_CV}, discipline="priority",
                               preemptive=True)])
    theory = priority_mg1_preemptive_resume([rate * s for s in PR_SHARES.values()], PR_MEAN, cvs=PR_CV)
    res = run(sc, reps, seed=32)
    tk = settled(res.tickets, sc, tail=2 * 86400)
    seg = res.segments.merge(tk[["replication", "ticket", "priority"]], on=["replication", "ticket"])
    # P1 is never preempted; P2 is, and its work is resumed, not restarted (total work has the law's mean)
    assert (seg.loc[seg["priority"] == "P1", "outcome"] == "resolved").all()
    assert (seg["outcome"] == "preempted").sum() > 1000
    work = (seg["end"] - seg["start"]).groupby([seg["replication"], seg["ticket"]]).sum()
    assert work.mean() == pytest.approx(PR_MEAN, rel=0.02)
    assert work.std() / work.mean() == pytest.approx(PR_CV, rel=0.05)
    for k, p in enumerate(PR_SHARES):
        check_ci(f"Preemptive-resume M/G/1 rho=0.8: time in system {p} [s]",
                 per_replication(tk[tk["priority"] == p], reps, lambda d: (d["resolved"] - d["arrival"]).mean()),
                 float(theory.mean_sojourn[k]), max_rel_half=0.10)
