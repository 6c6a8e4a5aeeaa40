"""M/G/1 with lognormal service (cv 1.5): Pollaczek-Khinchine mean wait."""

from __future__ import annotations

import pytest

from simsla.analytic import mg1_mean_wait

from .conftest import check_ci, desk, per_replication, run, scenario, settled

MEAN, CV, RHO = 60.0, 1.5, 0.6
RATE = RHO / MEAN
REPS, SEED = 12, 41


@pytest.mark.slow
def test_pollaczek_khinchine_lognormal() -> None:
    sc = scenario(rate=RATE, horizon="56d", warmup="1d",
                  groups=[desk(1, {"dist": "lognormal", "mean": MEAN, "cv": CV})])
    theory = mg1_mean_wait(RATE, MEAN, cv=CV)
    res = run(sc, REPS, SEED)
    tk = settled(res.tickets, sc, tail=86400)
    seg = res.segments
    # the service times really are lognormal with that mean and cv
    work = seg["end"] - seg["start"]
    assert work.mean() == pytest.approx(MEAN, rel=0.02)
    assert work.std() / work.mean() == pytest.approx(CV, rel=0.05)
    check_ci("M/G/1 lognormal cv1.5 rho0.6: mean wait [s]",
             per_replication(tk, REPS, lambda d: d["wait"].mean()), theory, max_rel_half=0.10)
    check_ci("M/G/1 lognormal cv1.5 rho0.6: P(wait>0)",
             per_replication(tk, REPS, lambda d: (d["wait"] > 1e-6).mean()), RHO, max_rel_half=0.02)
