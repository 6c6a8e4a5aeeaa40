"""Offered load before simulating, and what happens when a queue cannot settle."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import simsla
from simsla.cli import app
from simsla.experiment.stability import offered_load, overloaded


def _scenario(volume: str, staff: int = 1, patience: bool = False, horizon: str = "2d"):
    return simsla.Scenario.model_validate({
        "name": "load", "start": "2026-01-05", "horizon": horizon,
        "services": [{"name": "a"}, {"name": "b"}],
        "demand": [{"name": "t", "channel": "phone" if patience else "portal", "volume": volume,
                    **({"patience": {"dist": "exponential", "mean": "1m"}} if patience else {})}],
        "groups": [{"name": "desk", "role": "desk", "staff": staff, "handling": {"dist": "exponential", "mean": "10m"},
                    "first_contact_resolution": 0.5},
                   {"name": "l2", "shifts": [{"days": "mon-fri", "hours": "08:00-16:00", "staff": 2}],
                    "handling": {"dist": "exponential", "mean": "1h"}}],
        "routing": [{"from": "desk", "when": {"service": "a"}, "to": {"l2": 1.0}},
                    {"from": "desk", "to": {"l2": 1.0}},
                    {"from": "l2", "to": {"resolved": 0.8, "l2": 0.2}}],
    })


def test_traffic_equations_by_hand():
    # 3/h arrive; the desk resolves half; the rest visit l2 1/(1-0.2) = 1.25 times on average
    table = offered_load(_scenario("3/h", staff=2)).set_index("party")
    assert table.loc["desk", "visits_per_hour"] == pytest.approx(3.0)
    assert table.loc["desk", "offered_erlangs"] == pytest.approx(3 * 10 / 60)
    assert table.loc["l2", "visits_per_hour"] == pytest.approx(3 * 0.5 * 1.25)
    assert table.loc["l2", "offered_erlangs"] == pytest.approx(3 * 0.5 * 1.25 * 1.0)
    # l2 works 8 h on weekdays: a two-day run from Monday averages 2 x 16 / 48 people
    assert table.loc["l2", "capacity"] == pytest.approx(2 * 16 / 48)
    assert not table.loc["l2", "stable"] and table.loc["desk", "stable"]


def test_analytic_load_matches_simulated_utilisation():
    sc = _scenario("1/h", staff=1, horizon="28d")
    table = offered_load(sc).set_index("party")
    results = simsla.simulate(sc, replications=6, seed=2, workers=1)
    u = results.utilization.groupby(["replication", "group"], observed=True)[["busy", "staffed"]].sum()
    desk = (u.xs("desk", level="group")["busy"] / u.xs("desk", level="group")["staffed"]).to_numpy()
    m, half = desk.mean(), 3 * desk.std(ddof=1) / np.sqrt(len(desk))
    assert abs(m - table.loc["desk", "utilization"]) < half + 0.01


def test_overloaded_names_the_group_its_load_and_capacity():
    messages = overloaded(_scenario("600/h"))
    assert any(m.startswith("desk:") and "100.00 Erlang" in m and "capacity of 1.00" in m for m in messages)
    # impatient callers bound the desk's queue: no refusal for the desk itself
    assert not any(m.startswith("desk:") for m in overloaded(_scenario("600/h", patience=True)))


def test_run_refuses_an_overloaded_scenario_and_force_ends_cleanly(tmp_path):
    path = tmp_path / "over.yaml"
    path.write_text("""
name: overloaded
start: 2026-01-05
horizon: 7d
services: [{name: a}]
demand: [{name: t, channel: portal, volume: 60/h}]
groups:
  - {name: desk, role: desk, staff: 1, handling: {dist: exponential, mean: 10m}, first_contact_resolution: 1.0}
""")
    runner = CliRunner()
    refused = runner.invoke(app, ["run", str(path), "-r", "1", "-w", "1", "-o", str(tmp_path / "out")])
    assert refused.exit_code == 3 and "desk" in refused.output and "Traceback" not in refused.output
    assert not (tmp_path / "out").exists()
    results = simsla.simulate(simsla.load_scenario(path), replications=1, seed=1, workers=1, max_queue=500)
    assert results.unstable and "desk" in results.unstable[0] and "Erlang" in results.unstable[0]
    assert len(results.tickets) < 2000  # the run stopped at the bound, not at the horizon


def test_too_many_arrivals_is_refused_before_generating_them():
    assert "holds in memory" in overloaded(_scenario("100000/s", horizon="30d"))[0]


# ------------------------------------------------------- the trend of a backlog
def test_the_trend_rule_finds_a_growing_backlog_and_rarely_a_settled_one():
    from simsla.engine.trend import BATCHES, T_CRITICAL, trend

    rng = np.random.default_rng(7)
    growing = 50 + 30 * np.arange(BATCHES) + rng.normal(0, 20, BATCHES)
    slope, t = trend(growing)
    assert slope == pytest.approx(30, abs=10) and t > T_CRITICAL
    # settled: independent batch means around a level; the one-sided test at p = 0.001 fires about once in 1000
    fired = sum(trend(40 + rng.normal(0, 5, BATCHES))[1] > T_CRITICAL for _ in range(4000))
    assert fired < 20


def test_growing_backlogs_needs_a_material_rise():
    from simsla.engine.trend import growing_backlogs

    day = 86400.0
    # party 0: one ticket an hour that never leaves (a backlog rising by 24 a day); party 1: each leaves after an hour
    enter = np.arange(0, 20 * day, 3600.0)
    party = np.concatenate([np.zeros(len(enter), dtype=np.int16), np.ones(len(enter), dtype=np.int16)])
    end = np.concatenate([np.full(len(enter), np.nan), enter + 3600.0])
    messages = growing_backlogs(["l2", "l3"], party, np.concatenate([enter, enter]), end, 0.0, 20 * day)
    assert len(messages) == 1 and "'l2' kept growing" in messages[0]
    # a steady drift of a few tickets is significant but not material
    few = np.array([2 * day, 9 * day, 15 * day])
    assert growing_backlogs(["l2"], np.zeros(3, dtype=np.int16), few, np.full(3, np.nan), 0.0, 20 * day) == []


def test_the_traffic_equations_report_a_trap_instead_of_a_singular_matrix():
    from simsla.experiment.stability import flow

    sc = _scenario("3/h")
    looping = sc.model_copy(update={"routing": (
        *sc.routing[:2],
        simsla.model.Route.model_validate({"from": "l2", "when": {"channel": "phone"}, "to": {"resolved": 1.0}}),
        simsla.model.Route.model_validate({"from": "l2", "to": {"l2": 1.0}}),
    )})
    traffic = flow(looping)
    assert [t.parties for t in traffic.traps] == [("l2",)]
    table = offered_load(looping, traffic).set_index("party")  # solved for the rest, no exception
    assert table.loc["desk", "visits_per_hour"] == pytest.approx(0.0)  # every key of this stream is trapped


def _skilled(agents, rate_a="30/h", rate_b="10/h"):
    import copy

    import simsla

    g = {"name": "desk", "role": "desk", "discipline": "fifo", "phone_first": False, "first_contact_resolution": 1.0,
         "handling": {"dist": "exponential", "mean": 300},
         "skills": [{"when": {"service": "sa"}, "need": "A"}, {"need": "B"}], "agents": agents}
    data = {"name": "s", "start": "2026-01-05", "timezone": "UTC", "horizon": "7d",
            "services": [{"name": "sa"}, {"name": "sb"}], "groups": [g],
            "demand": [{"name": "a", "channel": "phone", "services": {"sa": 1}, "volume": rate_a},
                       {"name": "b", "channel": "phone", "services": {"sb": 1}, "volume": rate_b}]}
    return simsla.Scenario.model_validate(copy.deepcopy(data))


def test_a_skill_whose_agents_cannot_carry_its_work_makes_the_group_unstable():
    from simsla.experiment.stability import offered_load

    # 2.5 Erlang of A work on the 2 agents who hold A, although the group's 6 agents could carry all 3.33 Erlang
    sc = _skilled([{"name": "a", "skills": {"A": 1}, "staff": 2}, {"name": "b", "skills": {"B": 1}, "staff": 4}])
    row = offered_load(sc).iloc[0]
    assert not row["stable"] and row["utilization"] == pytest.approx(2.5 / 2)
    assert "tightest skills: A" in row["note"]
    # B agents who also hold A at level 2 take the excess: the whole group is the tightest set
    sc = _skilled([{"name": "a", "skills": {"A": 1}, "staff": 2}, {"name": "b", "skills": {"B": 1, "A": 2}, "staff": 4}])
    row = offered_load(sc).iloc[0]
    assert row["stable"] and row["utilization"] == pytest.approx((2.5 + 2.5 / 3) / 6) and row["note"] == ""


def test_sessions_and_faster_specialists_add_capacity():
    from simsla.experiment.stability import offered_load

    plain = offered_load(_skilled([{"name": "x", "skills": {"A": 1, "B": 1}, "staff": 4}])).iloc[0]
    chat = offered_load(_skilled([{"name": "x", "skills": {"A": 1, "B": 1}, "staff": 4, "concurrency": 2,
                                   "stretch": [1.0, 1.6]}])).iloc[0]
    fast = offered_load(_skilled([{"name": "x", "skills": {"A": 1, "B": 1}, "staff": 4,
                                   "handling_factor": 0.5}])).iloc[0]
    assert plain["utilization"] == pytest.approx((2.5 + 2.5 / 3) / 4)
    assert chat["utilization"] == pytest.approx(plain["utilization"] * 1.6 / 2)
    assert fast["utilization"] == pytest.approx(plain["utilization"] * 0.5)


def test_backlog_means_equal_the_overlap_of_every_visit_with_every_batch():
    """The one-pass sum (visits inside one batch) plus the cut of visits across batches equals the plain sum."""
    from simsla.engine.trend import backlog_means

    def plain(party, enter, end, parties, edges, stop):
        mine = party < parties
        party, enter = party[mine].astype(np.int64), enter[mine]
        leave = np.where(np.isnan(end[mine]), stop, end[mine])
        out = np.zeros((parties, len(edges) - 1))
        for j in range(len(edges) - 1):
            cut = np.clip(np.minimum(leave, edges[j + 1]) - np.maximum(enter, edges[j]), 0.0, None)
            out[:, j] = np.bincount(party, weights=cut, minlength=parties)
        return out / np.diff(edges)[None, :]

    rng = np.random.default_rng(1)
    for _ in range(200):
        n, parties, stop = int(rng.integers(0, 2000)), int(rng.integers(1, 5)), 1000.0
        party = rng.integers(0, parties + 1, n).astype(np.int16)  # the last code: the customer, left out
        enter = rng.uniform(0, stop, n)
        end = np.where(rng.uniform(size=n) < 0.1, np.nan, np.minimum(enter + rng.exponential(rng.choice([1, 50, 400]), n), stop))
        edges = np.sort(rng.uniform(0, stop, 11))
        edges[-1] = stop
        enter[: min(n, 5)] = edges[2]  # visits that start exactly on an edge
        np.testing.assert_allclose(backlog_means(party, enter, end, parties, edges, stop),
                                   plain(party, enter, end, parties, edges, stop), rtol=1e-9, atol=1e-9)
