"""An escalation chain desk -> group2 -> resolved is a tandem of M/M/c queues.

The desk resolves nothing (FCR 0) and escalates everything to ``group2``,
which resolves it (or, in the feedback case, sends it back to its own queue
with probability 0.2).  Everything is exponential and staffed 24/7, so by
Jackson's theorem the mean time from arrival to resolution is the sum of the
nodes' M/M/c sojourn times weighted by their visits.
"""

from __future__ import annotations

import numpy as np
import pytest

from simsla.analytic import jackson_network, tandem

from .conftest import check_ci, desk, exponential, per_replication, run, scenario, settled

RATE = 48 / 3600  # per second
DESK_AGENTS, DESK_AHT = 5, 300.0
G2_MEAN = 180.0


def _chain(g2_agents: int, feedback: float | None):
    routing = [{"from": "desk", "to": {"group2": 1.0}}]
    if feedback is not None:
        routing.append({"from": "group2", "to": {"group2": feedback, "resolved": 1.0 - feedback}})
    return scenario(rate=RATE, channel="portal", horizon="42d", warmup="1d", routing=routing,
                    groups=[desk(DESK_AGENTS, exponential(DESK_AHT), first_contact_resolution=0.0),
                            {"name": "group2", "staff": g2_agents, "handling": exponential(G2_MEAN),
                             "discipline": "fifo"}])


CASES = {
    "tandem": (3, None, 11),
    "feedback0.2": (4, 0.2, 12),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_jackson_time_in_system(case: str) -> None:
    g2_agents, feedback, seed = CASES[case]
    reps = 10
    sc = _chain(g2_agents, feedback)
    if feedback is None:
        theory = tandem(RATE, [DESK_AGENTS, g2_agents], [DESK_AHT, G2_MEAN])
    else:
        theory = jackson_network([RATE, 0.0], [[0.0, 1.0], [0.0, feedback]], [DESK_AGENTS, g2_agents],
                                 [DESK_AHT, G2_MEAN])
    res = run(sc, reps, seed)
    tk = settled(res.tickets, sc, tail=86400)
    assert (tk["outcome"] == "resolved").all() and (tk["resolved_by"] == "group2").all()
    seg = res.segments.merge(tk[["replication", "ticket"]], on=["replication", "ticket"])  # settled tickets only
    # visits to group2 per ticket: 1 for the tandem, geometric with mean 1/(1-p) with feedback
    visits = per_replication(seg[seg["party"] == "group2"], reps, lambda d: len(d)) / \
        per_replication(tk, reps, lambda d: len(d))
    assert np.mean(visits) == pytest.approx(theory.visits[1], rel=0.03 if feedback else 1e-3)

    check_ci(f"Jackson {case}: mean time in system [s]",
             per_replication(tk, reps, lambda d: (d["resolved"] - d["arrival"]).mean()),
             theory.mean_time_in_system, max_rel_half=0.06)
    # per node: mean wait per visit at the desk and at group2
    for node, party in enumerate(("desk", "group2")):
        s = seg[seg["party"] == party]
        check_ci(f"Jackson {case}: mean wait per visit at {party} [s]",
                 per_replication(s, reps, lambda d: (d["start"] - d["enter"]).mean()),
                 float(theory.mean_wait[node]), max_rel_half=0.12)
