"""Fitting ticket logs: rebuilding tickets from updates, dirty data, csv mappings, the round trip."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simsla
from simsla.fit import fit_log
from simsla.fit.csvlog import load_mapping
from simsla.fit.routing import probabilities
from simsla.fit.tolog import write_ticket_log

FIXTURES = Path(__file__).parent / "fixtures"

ROUND_TRIP = """
name: ticket round trip
start: 2026-01-05
horizon: 3w
services: [{name: it}]
priority_matrix:
  priorities: [P1, P2, P3, P4]
  matrix: {high: [P1, P2, P3], medium: [P2, P3, P4], low: [P3, P4, P4]}
demand:
  - {name: t, channel: phone, volume: 700/week, impact: {high: 0.1, medium: 0.3, low: 0.6}, urgency: {high: 0.2, medium: 0.8},
     profile: {days: {mon-fri: 1}, hours: [0,0,0,0,0,0,0,0,1,1,1,1,1,1,1,1,1,0,0,0,0,0,0,0]}}
groups:
  - {name: desk, role: desk, staff: 200, handling: {dist: lognormal, mean: 20m, cv: 1.0}, first_contact_resolution: 0.6, discipline: fifo}
  - {name: network, staff: 300, handling: {dist: lognormal, mean: 4h, cv: 1.2}}
  - {name: apps, staff: 300, handling: {dist: gamma, mean: 8h, cv: 0.8}}
routing:
  - {from: desk, to: {network: 0.3, apps: 0.7}}
  - {from: network, to: {resolved: 0.8, apps: 0.2}}
  - {from: apps, to: {resolved: 0.9, network: 0.1}}
"""

SMALL = """number,state,opened,updated,resolved,prio,group
A1,New,01/03/2021 09:00,01/03/2021 09:00,?,2 - High,desk
A1,Active,01/03/2021 09:00,01/03/2021 10:00,?,2 - High,net
A1,Resolved,01/03/2021 09:00,01/03/2021 13:00,01/03/2021 13:00,2 - High,net
B2,New,02/03/2021 08:00,02/03/2021 08:00,02/03/2021 08:30,3 - Moderate,desk
B2,New,02/03/2021 08:00,02/03/2021 08:00,02/03/2021 08:30,3 - Moderate,desk
C3,New,03/03/2021 08:00,03/03/2021 08:00,02/03/2021 07:00,3 - Moderate,desk
D4,New,not a date,03/03/2021 08:00,?,3 - Moderate,desk
E5,New,04/03/2021 08:00,04/03/2021 08:00,?,?,?
E5,Active,04/03/2021 08:00,04/03/2021 09:00,?,?,apps
"""
MAP = {"ticket": "number", "state": "state", "opened_at": "opened", "updated_at": "updated", "resolved_at": "resolved",
       "priority": "prio", "group": "group", "time_format": "%d/%m/%Y %H:%M"}


def _rebuild(text, tmp_path):
    from simsla.fit.tickets_scenario import read_ticket_log
    from simsla.fit.quality import Quality

    path = tmp_path / "log.csv"
    path.write_text(text)
    q = Quality()
    tickets, visits = read_ticket_log(path, "csv", MAP, q)
    return tickets.set_index("ticket"), visits, q.frame().set_index("problem")["count"]


def test_tickets_are_rebuilt_from_their_updates(tmp_path):
    t, v, problems = _rebuild(SMALL, tmp_path)
    assert t.loc["A1", "resolution_h"] == 4.0 and t.loc["A1", "priority"] == "P2"
    a1 = v[v["ticket"] == "A1"]
    assert list(a1["party"]) == ["desk", "net"] and list(a1["hours"]) == [1.0, 3.0]
    assert list(v.loc[v["ticket"] == "E5", "party"]) == ["apps"]        # missing first group: the next one is assumed
    assert problems["duplicate rows"] == 1
    assert problems["tickets resolved before they were opened"] == 1
    assert problems["unparseable opened_at"] == 1
    assert problems["tickets without a usable opening time"] == 1
    assert "C3" not in t.index and "D4" not in t.index
    assert problems["updates without an assignment group"] == 1


def test_mapping_checks():
    with pytest.raises(ValueError, match="needs"):
        load_mapping({"ticket": "n"})
    with pytest.raises(ValueError, match="unknown mapping field"):
        load_mapping({"ticket": "n", "opened_at": "o", "colour": "c"})
    assert load_mapping("ticket: n\nopened_at: o\n")["ticket"] == "n"


def test_probabilities_sum_to_one():
    p = probabilities({"a": 1, "b": 1, "c": 1})
    assert sum(p.values()) == pytest.approx(1, abs=1e-12)


def test_dirty_servicenow_sample_fits_and_loads(tmp_path):
    raw = pd.read_csv(FIXTURES / "servicenow_sample.csv", dtype=str, keep_default_na=False)
    base = int(raw.duplicated().sum())          # the sample keeps a few columns only: some updates look alike
    raw = pd.concat([raw, raw.iloc[10:14]], ignore_index=True)
    raw.loc[2, "sys_updated_at"] = "31/02/2016 25:00"
    path = tmp_path / "sn.csv"
    raw.to_csv(path, index=False)
    fit = fit_log(path, "servicenow")
    problems = fit.quality_frame().set_index("problem")["count"]
    assert problems["duplicate rows"] >= base + 3
    assert problems["unparseable updated_at"] == 1
    (tmp_path / "s.yaml").write_text(fit.scenario_yaml())
    simsla.load_scenario(tmp_path / "s.yaml")
    files = {p.name for p in fit.write_report(tmp_path / "report")}
    assert {"scenario.yaml", "report.csv", "data_quality.csv", "arrivals.png"} <= files


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rtt")
    (folder / "s.yaml").write_text(ROUND_TRIP)
    results = simsla.simulate(simsla.load_scenario(folder / "s.yaml"), replications=1, seed=2, workers=1)
    log = write_ticket_log(results, folder / "log.csv")
    return fit_log(log, "servicenow", times="fitted"), folder


def test_round_trip_recovers_mix_routing_and_times(round_trip):
    fit, folder = round_trip
    f = fit.fit
    assert f.arrivals.per_week == pytest.approx(700, rel=0.08)
    shares = f.tickets["priority"].value_counts(normalize=True)
    # P4 = medium/low + low/medium + low/low = 0.3*0 + 0.6*0.8 = 0.48 (no low urgency); P3 = 0.1*0 + 0.3*0.8 + 0.6*0.2
    assert shares["P4"] == pytest.approx(0.48, abs=0.04)
    assert shares["P3"] == pytest.approx(0.36, abs=0.04)
    r = f.routes.set_index(["from", "to"])["count"]
    desk_total = r.loc["desk"].sum()
    assert r[("desk", "resolved")] / desk_total == pytest.approx(0.6, abs=0.04)
    assert r[("desk", "apps")] / (desk_total - r[("desk", "resolved")]) == pytest.approx(0.7, abs=0.06)
    assert r[("apps", "resolved")] / r.loc["apps"].sum() == pytest.approx(0.9, abs=0.05)
    assert f.times["apps"].best.mean == pytest.approx(8 * 3600, rel=0.12)
    assert f.times["network"].best.mean == pytest.approx(4 * 3600, rel=0.2)
    assert f.times["desk"].best.mean == pytest.approx(20 * 60, rel=0.1)
    (folder / "fitted.yaml").write_text(fit.scenario_yaml())
    simsla.load_scenario(folder / "fitted.yaml")


URGENT_DIFFERS = """
name: urgent tickets travel differently
start: 2026-01-05
horizon: 2w
services: [{name: it}]
priority_matrix:
  priorities: [P1, P2, P3, P4]
  matrix: {high: [P1, P2, P3], medium: [P2, P3, P4], low: [P3, P4, P4]}
demand:
  - {name: t, channel: phone, volume: 700/week, impact: {high: 0.3, medium: 0.3, low: 0.4}, urgency: {high: 0.5, medium: 0.5}}
groups:
  - {name: desk, role: desk, staff: 200, handling: {dist: lognormal, mean: 10m, cv: 1.0}, first_contact_resolution: 0.0, discipline: fifo}
  - name: network
    staff: 500
    handling: {default: {dist: lognormal, mean: 1h, cv: 1.0}, by: [{when: {priority: [P1, P2]}, time: {dist: lognormal, mean: 20h, cv: 0.5}}]}
  - {name: apps, staff: 500, handling: {dist: gamma, mean: 4h, cv: 0.8}}
routing:
  - {from: desk, when: {priority: [P1, P2]}, to: {network: 0.9, apps: 0.1}}
  - {from: desk, to: {network: 0.1, apps: 0.9}}
  - {from: network, to: {resolved: 0.9, apps: 0.1}}
  - {from: apps, to: {resolved: 1.0}}
"""


def test_priority_rules_where_the_data_supports_them(tmp_path):
    """Urgent tickets go elsewhere first and stay longer: the fit writes `when: {priority: ...}` rules for
    the desk's routing and the network's time (and they are found again in the scenario), none for apps."""
    import yaml

    from simsla.model.units import parse_duration

    (tmp_path / "s.yaml").write_text(URGENT_DIFFERS)
    results = simsla.simulate(simsla.load_scenario(tmp_path / "s.yaml"), replications=1, seed=3, workers=1)
    log = write_ticket_log(results, tmp_path / "log.csv")
    fit = fit_log(log, "servicenow")
    data = yaml.safe_load(fit.scenario_yaml())
    (tmp_path / "fitted.yaml").write_text(fit.scenario_yaml())
    simsla.load_scenario(tmp_path / "fitted.yaml")
    urgent = {"P1", "P2"}

    def prios(rule):
        p = rule["when"]["priority"]
        return {p} if isinstance(p, str) else set(p)

    by_prio = [r for r in data["routing"] if r["from"] == "desk" and "when" in r]
    assert any(prios(r) <= urgent for r in by_prio)
    for r in by_prio:
        assert prios(r) <= urgent or not prios(r) & urgent                # never mixes the classes
        assert r["to"]["network" if prios(r) <= urgent else "apps"] > 0.8
    catch_all = [r for r in data["routing"] if r["from"] == "desk" and "when" not in r]
    assert len(catch_all) == 1 and data["routing"].index(catch_all[0]) > data["routing"].index(by_prio[-1])
    groups = {g["name"]: g for g in data["groups"]}
    rules = groups["network"]["handling"]["by"]
    assert any(prios(r) <= urgent for r in rules) and all(prios(r) <= urgent or not prios(r) & urgent for r in rules)
    urgent_time = next(r["time"] for r in rules if prios(r) <= urgent)
    assert parse_duration(urgent_time["samples"][50]) > 10 * 3600      # 20 h, vs 1 h for the rest
    assert "by" not in groups["apps"]["handling"]            # same time for every priority: no rule
    assert not [r for r in data["routing"] if r["from"] == "apps" and "when" in r]


RESOLVING_IS_LONGER = """
name: resolving visits are long, hand-offs short
start: 2026-01-05
horizon: 2w
services: [{name: it}]
priority_matrix:
  priorities: [P1, P2, P3, P4]
  matrix: {high: [P1, P2, P3], medium: [P2, P3, P4], low: [P3, P4, P4]}
demand:
  - {name: t, channel: phone, volume: 700/week, impact: {high: 0.3, medium: 0.3, low: 0.4}, urgency: {high: 0.5, medium: 0.5}}
groups:
  - {name: desk, role: desk, staff: 200, handling: {dist: lognormal, mean: 10m, cv: 1.0}, first_contact_resolution: 0.0, discipline: fifo}
  - name: network
    staff: 500
    handling:
      default: {dist: lognormal, mean: 2h, cv: 1.0}
      by:
        - {resolves: true, time: {dist: lognormal, mean: 20h, cv: 0.6}}
        - {resolves: false, time: {dist: lognormal, mean: 30m, cv: 0.8}}
  - {name: apps, staff: 500, handling: {dist: gamma, mean: 4h, cv: 0.8}}
routing:
  - {from: desk, to: {network: 1.0}}
  - {from: network, to: {resolved: 0.6, apps: 0.4}}
  - {from: apps, to: {resolved: 1.0}}
"""


def test_resolving_and_passing_on_visits_get_their_own_times(tmp_path):
    """A group whose resolving visits last far longer than its hand-offs gets `resolves: true/false` rules,
    and the fitted scenario reproduces both distributions of the time at the group."""
    import numpy as np
    import yaml

    from simsla.model.units import parse_duration

    (tmp_path / "s.yaml").write_text(RESOLVING_IS_LONGER)
    results = simsla.simulate(simsla.load_scenario(tmp_path / "s.yaml"), replications=1, seed=5, workers=1)
    log = write_ticket_log(results, tmp_path / "log.csv")
    fit = fit_log(log, "servicenow")
    data = yaml.safe_load(fit.scenario_yaml())
    groups = {g["name"]: g for g in data["groups"]}
    rules = groups["network"]["handling"]["by"]
    plain = {r["resolves"]: r["time"] for r in rules if "when" not in r and "resolves" in r}
    assert set(plain) == {True, False}
    assert parse_duration(plain[True]["samples"][50]) > 10 * parse_duration(plain[False]["samples"][50])
    assert "by" not in groups["apps"]["handling"]          # apps always resolves: nothing to split
    (tmp_path / "fitted.yaml").write_text(fit.scenario_yaml())
    refit = simsla.simulate(simsla.load_scenario(tmp_path / "fitted.yaml"), replications=1, seed=6, workers=1)
    v = fit.fit.visits
    seg = refit.segments[(refit.segments["party"] == "network") & refit.segments["end"].notna()]
    q = np.array([0.25, 0.5, 0.75, 0.9])
    for resolves, outcome in ((True, "resolved"), (False, "escalated")):
        observed = v.loc[(v["party"] == "network") & (v["resolves"] == resolves), "secs"].dropna().to_numpy()
        mine = seg[seg["outcome"] == outcome]
        simulated = (mine["end"] - mine["enter"]).to_numpy()
        assert len(observed) > 200 and len(simulated) > 200
        np.testing.assert_allclose(np.quantile(simulated, q), np.quantile(observed, q), rtol=0.15, err_msg=outcome)
