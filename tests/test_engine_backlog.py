"""A backlog start in the engine and the analysis: arrival times, parties, common random numbers, breaches."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import simsla
from simsla.analysis.measures import ticket_items
from simsla.engine import arrivals
from simsla.engine.contacts import CONTACTS
from simsla.engine.replication import Replication
from simsla.timebase import calendar_clock

DAY = 86400.0
BASE = {
    "name": "backlog engine", "start": "2026-01-01", "timezone": "UTC", "horizon": "59d",
    "services": [{"name": "pc"}, {"name": "mail"}],
    "demand": [{"name": "calls", "channel": "phone", "volume": "20/h",
                "priority": {"P2": 0.2, "P3": 0.5, "P4": 0.3}}],
    "groups": [{"name": "desk", "role": "desk", "staff": 3, "handling": {"dist": "exponential", "mean": "4m"},
                "first_contact_resolution": 0.7},
               {"name": "fast", "staff": 2, "handling": {"dist": "deterministic", "value": "1h"}},
               {"name": "slow", "staff": 1, "handling": {"dist": "deterministic", "value": "200d"}}],
    "routing": [{"from": "desk", "to": {"fast": 1.0}}],
    "agreements": [{"name": "SLA", "kind": "SLA", "period": "month", "targets": [
        {"name": "resolution", "metric": "resolution", "threshold": "10d", "fraction": 0.9},
        {"name": "answer", "metric": "answer_time", "threshold": "20s", "fraction": 0.8}]}],
}
#: open tickets (age in days, party): their fates under a 10-day resolution target are worked out in the test
OPEN = [(20, "slow"), (5, "slow"), (2, "slow"), (20, "fast"), (1, "fast"), (3, "desk")]


def scenario(backlog: list | None = None, volume: str = "20/h") -> simsla.Scenario:
    data = copy.deepcopy(BASE)
    data["demand"][0]["volume"] = volume
    if backlog is not None:
        data["backlog"] = backlog
    return simsla.Scenario.model_validate(data)


def tickets(age_party=OPEN) -> list[dict]:
    return [{"tickets": [{"party": p, "age": f"{a}d", "priority": "P3", "service": "pc", "channel": "email"}
                         for a, p in age_party]}]


def test_backlog_rows_come_first_oldest_first_at_minus_their_age():
    sc = scenario(tickets())
    arr = arrivals.generate(sc, seed=3, replication=0)
    n = len(OPEN)
    assert (arr["contact"][:n] == CONTACTS.index("backlog")).all() and (arr["contact"][n:] == 0).all()
    ages = sorted((a for a, _ in OPEN), reverse=True)
    assert np.allclose(arr["time"][:n], [-a * DAY for a in ages])
    assert (arr["time"][n:] >= 0).all() and np.isinf(arr["patience"][:n]).all()
    # where each open ticket starts: its party (ties in age keep the order written)
    order = sorted(range(n), key=lambda i: -OPEN[i][0])
    assert [sc.parties[p] for p in arr["party"][:n]] == [OPEN[i][1] for i in order]


def test_fresh_arrivals_are_unchanged_by_a_backlog():
    without = arrivals.generate(scenario(), seed=5, replication=2)
    counted = scenario([{"party": "fast", "count": 50, "age": {"dist": "exponential", "mean": "3d"}}])
    with_ = arrivals.generate(counted, seed=5, replication=2)
    for name, column in without.items():
        np.testing.assert_array_equal(with_[name][50:], column, err_msg=name)
    assert "contact" not in without and "party" not in without  # no backlog: the columns of before


def test_each_open_ticket_is_entered_at_its_party_at_time_zero():
    sc = scenario(tickets(), volume="0/h")
    log = Replication(sc, seed=1, replication=0).run()
    seg = pd.DataFrame(log.segments)
    first = seg.groupby("ticket").first()
    assert np.allclose(first["enter"], 0.0)
    order = sorted(range(len(OPEN)), key=lambda i: -OPEN[i][0])
    assert [sc.parties[p] for p in first["party"]] == [OPEN[i][1] for i in order]
    # the desk's ticket is the only one ever at the desk; the others never see it
    assert set(seg.loc[seg["party"] == 0, "ticket"]) == {first.index[first["party"] == 0][0]}


def test_breaches_count_in_the_period_their_deadline_passes():
    sc = scenario(tickets(OPEN[:5]), volume="0/h")
    res = simsla.simulate(sc, replications=1, seed=2, workers=1)
    tk = res.tickets.set_index("ticket")
    assert (tk["contact"] == "backlog").all() and tk["arrival"].min() == -20 * DAY
    agreement = sc.agreements[0]
    items = ticket_items(res, calendar_clock(sc, None), agreement, agreement.targets[0]).set_index("ticket")
    # tickets by id (oldest first): 20d at slow, 20d at fast, 5d at slow, 2d at slow, 1d at fast
    age = (-tk["arrival"] / DAY).round().astype(int)
    party = tk["resolved_by"].astype(str).where(tk["outcome"] == "resolved", "open")
    row = {(a, p): i for i, a, p in zip(tk.index, age, party)}
    # resolved after an hour at `fast`: counted when resolved, met or missed by their whole age
    assert not items.loc[row[20, "fast"], "met"] and items.loc[row[1, "fast"], "met"]
    assert items.loc[row[1, "fast"], "when"] == pytest.approx(3600.0)
    # open at `slow` all run: a breach when the deadline passes, inside the run
    assert items.loc[row[5, "open"], "when"] == pytest.approx(5 * DAY)
    assert items.loc[row[2, "open"], "when"] == pytest.approx(8 * DAY)
    assert not items.loc[[row[5, "open"], row[2, "open"]], "met"].any()
    # past its deadline before the start: counted at a deadline before the run, in no measured period
    assert items.loc[row[20, "open"], "when"] < 0
    table = res.evaluation()
    jan = table[(table["target"] == "resolution") & table["period"].astype(str).str.contains("2026-01")]
    assert int(jan["counted"].sum()) == 4 and int(jan["met"].sum()) == 1
    assert int(table.loc[table["target"] == "resolution", "counted"].sum()) == 4


def test_answer_time_leaves_the_backlog_out():
    sc = scenario(tickets([(3, "desk")] * 4) + [{"party": "desk", "count": 30, "channel": "phone",
                                                 "age": {"dist": "uniform", "low": "1m", "high": "1h"}}],
                  volume="20/h")
    res = simsla.simulate(sc, replications=1, seed=4, workers=1)
    agreement = sc.agreements[0]
    items = ticket_items(res, calendar_clock(sc, None), agreement, agreement.targets[1])
    backlog = set(res.tickets.loc[res.tickets["contact"] == "backlog", "ticket"])
    assert len(backlog) == 34 and not backlog & set(items["ticket"])
    assert len(items) > 1000  # the fresh calls are counted


def test_warmup_keeps_the_backlog_and_without_one_every_contact_is_fresh():
    data = copy.deepcopy(BASE)
    data.update(warmup="2d", horizon="5d", backlog=[{"party": "fast", "count": 7, "age": {"dist": "exponential",
                                                                                           "mean": "1d"}}])
    res = simsla.simulate(simsla.Scenario.model_validate(data), replications=1, seed=1, workers=1)
    tk = res.tickets
    assert (tk["contact"] == "backlog").sum() == 7 and (tk.loc[tk["contact"] == "fresh", "arrival"] >= 2 * DAY).all()
    assert list(tk["contact"].cat.categories) == list(CONTACTS)
    assert "backlog" in tk["stream"].cat.categories
    plain = simsla.simulate(scenario(), replications=1, seed=1, workers=1)
    assert (plain.tickets["contact"] == "fresh").all() and "backlog" not in plain.tickets["stream"].cat.categories


def test_the_gate_warns_about_a_warmup_with_a_backlog():
    from simsla.experiment.gate import preflight

    data = copy.deepcopy(BASE)
    data.update(warmup="1d", backlog=[{"party": "fast", "count": 7, "age": {"dist": "exponential", "mean": "1d"}}])
    kinds = [w.kind for w in preflight(simsla.Scenario.model_validate(data)).warnings]
    assert "backlog-warmup" in kinds
    assert "backlog-warmup" not in [w.kind for w in preflight(scenario(tickets())).warnings]


def test_attributes_left_out_are_drawn_like_demand():
    sc = scenario([{"party": "fast", "count": 2000, "age": {"dist": "exponential", "mean": "1d"}}])
    arr = arrivals.generate(sc, seed=7, replication=0)
    prio = np.asarray(sc.levels("priority"))[arr["priority"][:2000]]
    share = pd.Series(prio).value_counts(normalize=True)
    assert share["P3"] == pytest.approx(0.5, abs=0.04) and share["P2"] == pytest.approx(0.2, abs=0.03)
    assert (arr["channel"][:2000] == sc.levels("channel").index("phone")).all()  # the only stream's channel
    assert arr["time"][:2000].min() >= -365 * DAY  # ages capped at max_age


def test_a_backlog_with_lines_redials_and_callbacks():
    """Open tickets take no phone line, are offered no callback, and stay marked when redials are added."""
    data = copy.deepcopy(BASE)
    data["horizon"] = "3d"
    data["patience"] = {"dist": "exponential", "mean": "1m"}
    data["redials"] = {"probability": 0.5, "delay": {"dist": "exponential", "mean": "5m"}}
    desk = data["groups"][0]
    desk.update(staff=1, lines=2, callback={"offer_over": "30s", "accept": 0.9})
    data["backlog"] = [{"party": "desk", "count": 20, "channel": "phone", "age": {"dist": "exponential",
                                                                                "mean": "2h"}}]
    res = simsla.simulate(simsla.Scenario.model_validate(data), replications=1, seed=8, workers=1)
    tk = res.tickets
    kinds = tk["contact"].value_counts()
    assert kinds["backlog"] == 20 and kinds["redial"] > 0 and kinds["fresh"] > 0
    backlog = tk[tk["contact"] == "backlog"]
    assert backlog["callback"].isna().all() and (backlog["outcome"] != "blocked").all()
    assert (backlog["arrival"] < 0).all() and tk.loc[tk["contact"] != "backlog", "arrival"].min() >= 0
    assert tk["callback"].notna().any()  # fresh callers were called back


def test_the_fast_path_leaves_a_backlog_to_the_general_engine():
    from simsla.engine import fastpath

    data = copy.deepcopy(BASE)
    data.update(groups=[{**BASE["groups"][0], "first_contact_resolution": 1.0, "discipline": "fifo"}], routing=[])
    plain = simsla.Scenario.model_validate(data)
    assert fastpath.applies(plain) is None
    data["backlog"] = [{"party": "desk", "count": 3, "age": {"dist": "deterministic", "value": "1h"}}]
    assert "backlog" in fastpath.applies(simsla.Scenario.model_validate(data))
