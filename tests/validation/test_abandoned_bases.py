"""The abandoned-call rules of an answer-time target, Erlang A against the simulation's measurement.

One M/M/c+M phone queue (10 Erlang on 10 agents, exponential patience with
mean 2 min) and one SLA with three answer-time targets that differ only in
how abandoned calls count: ``miss`` (the default), ``exclude`` and a 15 s
grace period.  The attainment that ``simsla.evaluate`` measures on the
simulated tickets (the same code every report uses) must match
``ErlangAResult.service_level`` under the same basis, and the share of
callers who hang up within the grace period must match
``ErlangAResult.p_abandon_within``.  Each check is the 99 % CI across
replications (see ``conftest``).
"""

from __future__ import annotations

import pytest

import simsla
from simsla.analytic import erlang_a

from .conftest import check_ci, desk, exponential, per_replication, run, scenario

RATE, AHT, AGENTS, PATIENCE = 200 / 3600, 180.0, 10, 120.0
THRESHOLD, GRACE = 20.0, 15.0
REPS, SEED = 10, 31

TARGETS = [
    {"name": "miss", "metric": "answer_time", "threshold": "20s", "fraction": 0.8},
    {"name": "exclude", "metric": "answer_time", "threshold": "20s", "fraction": 0.8, "abandoned": "exclude"},
    {"name": "grace", "metric": "answer_time", "threshold": "20s", "fraction": 0.8, "abandoned_grace": "15s"},
]


@pytest.mark.slow
def test_abandoned_call_rules_match_erlang_a() -> None:
    sc = scenario(rate=RATE, horizon="10d", warmup="6h", patience=exponential(PATIENCE),
                  groups=[desk(AGENTS, exponential(AHT))],
                  agreements=[{"name": "SLA", "kind": "SLA", "period": "week", "targets": TARGETS}])
    theory = erlang_a(AGENTS, RATE, AHT, PATIENCE)
    analytic = {"miss": theory.service_level(THRESHOLD, "miss"),
                "exclude": theory.service_level(THRESHOLD, "exclude"),
                "grace": theory.service_level(THRESHOLD, "grace", GRACE)}
    # the three bases differ here by more than the intervals' widths, so the test tells them apart
    assert analytic["miss"] + 0.03 < analytic["grace"] < analytic["exclude"] - 0.03
    res = run(sc, REPS, SEED)
    table = simsla.evaluate(res)
    per_rep = table.groupby(["target", "replication"])[["met", "counted"]].sum()
    for basis, value in analytic.items():
        part = per_rep.loc[basis]
        assert len(part) == REPS and (part["counted"] > 20_000).all()
        check_ci(f"ErlangA 10erl/10ag/pat120: answered in 20 s, abandoned={basis}",
                 (part["met"] / part["counted"]).to_numpy(), value, max_abs_half=0.015)
    tk = res.tickets
    check_ci("ErlangA 10erl/10ag/pat120: P(hang up within 15 s)",
             per_replication(tk, REPS, lambda d: ((d["outcome"] == "abandoned")
                                                  & (d["abandoned"] - d["arrival"] <= GRACE)).mean()),
             theory.p_abandon_within(GRACE), max_rel_half=0.08)
