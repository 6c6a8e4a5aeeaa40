"""Multi-skill agent groups against the exact Markov chain (``ctmc_skills``).

One desk holds agent groups with skill levels; incidents need skill A and
requests skill B (``skills`` rules on the ticket type).  Work is exponential
(A 300 s, B 200 s; team2 works at ``handling_factor`` 0.8), no abandonment,
every ticket resolved at first contact, ``agent: preferred`` (best level
first), ``item: preferred`` (a freed agent takes its best-level skill first)
and ``overflow_after: 0``: exactly the policy the CTMC models.  Levels are
distinct where a tie would be broken by history (longest idle / waiting),
which no count-based chain can follow.

Per replication (warm-up excluded, last 2 h of arrivals dropped) we compare
per class P(wait > 0), the mean wait and P(wait <= 20 s), and per agent
group the utilisation (work time in the measured window over staffed time,
from the segments), with the 99 % CI across replications.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import simsla

from .conftest import BASE, EPS, check_ci, per_replication, run, settled
from .ctmc_skills import MultiSkill, solve

A_MEAN, B_MEAN, FACTOR = 300.0, 200.0, 0.8
T = 20.0


def _scenario(rates: dict[str, float], agents: list[dict], horizon: str, warmup: str) -> simsla.Scenario:
    """Incidents (skill A) and requests (skill B) on one skilled desk."""
    data = copy.deepcopy(BASE)
    data.update({
        "horizon": horizon, "warmup": warmup,
        "demand": [{"name": "a", "channel": "phone", "type": "incident", "volume": f"{rates['A']!r}/h"},
                   {"name": "b", "channel": "phone", "type": "request", "volume": f"{rates['B']!r}/h"}],
        "groups": [{"name": "desk", "role": "desk", "discipline": "fifo", "phone_first": False,
                    "first_contact_resolution": 1.0,
                    "handling": {"default": {"dist": "exponential", "mean": A_MEAN},
                                 "by": [{"when": {"type": "request"}, "time": {"dist": "exponential", "mean": B_MEAN}}]},
                    "skills": [{"when": {"type": "incident"}, "need": "A"}, {"need": "B"}],
                    "agents": agents,
                    "selection": {"agent": "preferred", "item": "preferred", "overflow_after": 0}}],
    })
    return simsla.Scenario.model_validate(data)


def _team_utilisation(res: simsla.Results, sc: simsla.Scenario, team: str, staff: int, reps: int) -> np.ndarray:
    """Work time of an agent group inside [warm-up, end] over its staffed time, per replication."""
    seg = res.segments[res.segments["agents"] == team]
    lo, hi = _window(sc)
    work = (seg["end"].clip(lo, hi) - seg["start"].clip(lo, hi)).clip(lower=0)
    out = work.groupby(seg["replication"]).sum().reindex(range(reps), fill_value=0.0).to_numpy()
    return out / (staff * (hi - lo))


def _window(sc: simsla.Scenario) -> tuple[float, float]:
    return float(sc.warmup), float(sc.end)


N_RATES = {"A": 36.0, "B": 40.0}  # per hour: utilisation 0.75 (team1) and 0.79 (team2)


@pytest.mark.slow
def test_n_design() -> None:
    """N design: team1 (3) serves A only; team2 (3) serves B first and A second."""
    agents = [{"name": "team1", "skills": {"A": 1}, "staff": 3},
              {"name": "team2", "skills": {"B": 1, "A": 2}, "staff": 3, "handling_factor": FACTOR}]
    design = MultiSkill(lam=[N_RATES["A"] / 3600, N_RATES["B"] / 3600], n=[3, 3], level=[[1, None], [2, 1]],
                        mu=[[1 / A_MEAN, None], [1 / (A_MEAN * FACTOR), 1 / (B_MEAN * FACTOR)]],
                        classes=["A", "B"], teams=["team1", "team2"])
    theory = solve(design, [T])
    reps, seed = 10, 41
    sc = _scenario(N_RATES, agents, horizon="21d", warmup="12h")
    res = run(sc, reps, seed)
    tk = settled(res.tickets, sc, tail=2 * 3600)
    tk = tk.assign(cls=np.where(tk["type"] == "incident", "A", "B"))
    seg = res.segments
    for cls in ("A", "B"):
        d = tk[tk["cls"] == cls]
        check_ci(f"Skills N: P(wait>0) {cls}", per_replication(d, reps, lambda x: (x["wait"] > EPS).mean()),
                 theory["p_wait"][cls], max_rel_half=0.06)
        check_ci(f"Skills N: mean wait {cls} [s]", per_replication(d, reps, lambda x: x["wait"].mean()),
                 theory["mean_wait"][cls], max_rel_half=0.15)
        check_ci(f"Skills N: P(wait<={T:g}s) {cls}", per_replication(d, reps, lambda x: (x["wait"] <= T).mean()),
                 theory["service_level"][T][cls], max_abs_half=0.03)
    # share of A served by team2 (the secondary skill)
    sa = seg[seg["skill"] == "A"]
    check_ci("Skills N: share of A served by team2",
             per_replication(sa, reps, lambda x: (x["agents"] == "team2").mean()),
             theory["share"]["A"]["team2"], max_abs_half=0.02)
    for team in ("team1", "team2"):
        check_ci(f"Skills N: utilisation {team}", _team_utilisation(res, sc, team, 3, reps),
                 theory["utilisation"][team], max_rel_half=0.03)


W_RATES = {"A": 8.0, "B": 20.0, "C": 10.0}  # per hour: utilisation ~0.66 (team1) and ~0.45 (team2)
C_MEAN = 240.0


@pytest.mark.slow
def test_w_design() -> None:
    """W design: team1 (2) serves A first and B second; team2 (2, factor 0.8) serves C first and B third.

    Incidents need A, requests B, orders C; B's levels differ (2 at team1, 3 at team2), so a B ticket
    meeting both free goes to team1, and each freed agent takes its own first skill before B.
    """
    agents = [{"name": "team1", "skills": {"A": 1, "B": 2}, "staff": 2},
              {"name": "team2", "skills": {"C": 1, "B": 3}, "staff": 2, "handling_factor": FACTOR}]
    design = MultiSkill(lam=[W_RATES[c] / 3600 for c in "ABC"], n=[2, 2], level=[[1, 2, None], [None, 3, 1]],
                        mu=[[1 / A_MEAN, 1 / B_MEAN, None], [None, 1 / (B_MEAN * FACTOR), 1 / (C_MEAN * FACTOR)]],
                        classes=["A", "B", "C"], teams=["team1", "team2"])
    theory = solve(design, [T])
    data = _scenario({"A": W_RATES["A"], "B": W_RATES["B"]}, agents, horizon="28d", warmup="12h").model_dump(
        mode="json", exclude_defaults=True)
    data["demand"].append({"name": "c", "channel": "phone", "type": "order", "volume": f"{W_RATES['C']!r}/h"})
    desk = data["groups"][0]
    desk["skills"] = [{"when": {"type": "incident"}, "need": "A"}, {"when": {"type": "order"}, "need": "C"},
                      {"need": "B"}]
    desk["handling"]["by"].append({"when": {"type": "order"}, "time": {"dist": "exponential", "mean": C_MEAN}})
    sc = simsla.Scenario.model_validate(data)
    reps, seed = 10, 43
    res = run(sc, reps, seed)
    tk = settled(res.tickets, sc, tail=2 * 3600)
    tk = tk.assign(cls=tk["type"].map({"incident": "A", "request": "B", "order": "C"}).astype(str))
    for cls in "ABC":
        d = tk[tk["cls"] == cls]
        check_ci(f"Skills W: P(wait>0) {cls}", per_replication(d, reps, lambda x: (x["wait"] > EPS).mean()),
                 theory["p_wait"][cls], max_rel_half=0.12)
        check_ci(f"Skills W: mean wait {cls} [s]", per_replication(d, reps, lambda x: x["wait"].mean()),
                 theory["mean_wait"][cls], max_rel_half=0.25)
    sb = res.segments[res.segments["skill"] == "B"]
    check_ci("Skills W: share of B served by team1",
             per_replication(sb, reps, lambda x: (x["agents"] == "team1").mean()),
             theory["share"]["B"]["team1"], max_abs_half=0.03)
    for team in ("team1", "team2"):
        check_ci(f"Skills W: utilisation {team}", _team_utilisation(res, sc, team, 2, reps),
                 theory["utilisation"][team], max_rel_half=0.04)
