"""Logs of status changes (no resolution-time column): resolution from the statuses, waits as pauses, the gate.

The log is written by simsla itself (``simsla.fit.tolog.write_status_log``) from a simulation whose
parameters are known, so every fitted number has a truth to be compared with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simsla
from simsla.fit import fit_log
from simsla.fit.csvlog import load_mapping
from simsla.fit.quality import Quality
from simsla.fit.statuses import classify
from simsla.fit.tolog import STATUS_MAPPING, write_status_log

TRUTH = """
name: status round trip
start: 2026-01-05
horizon: 4w
services: [{name: it}]
priority_matrix:
  priorities: [P1, P2, P3]
  impacts: [high, low]
  urgencies: [high, low]
  matrix: {high: [P1, P2], low: [P2, P3]}
demand:
  - {name: t, channel: email, volume: 600/week, impact: {high: 0.3, low: 0.7}, urgency: {high: 0.3, low: 0.7}}
groups:
  - {name: desk, role: desk, staff: 200, handling: {dist: lognormal, mean: 20m, cv: 1.0}, first_contact_resolution: 0.3,
     discipline: fifo}
  - name: apps
    staff: 300
    handling: {dist: gamma, mean: 4h, cv: 0.8}
    customer_wait: {probability: 0.3, duration: {dist: lognormal, mean: 10h, cv: 1.0}}
suppliers:
  - {name: acme, response: {dist: deterministic, value: 1s}, resolution: {dist: lognormal, mean: 6h, cv: 0.8}}
routing:
  - {from: desk, to: {apps: 1.0}}
  - {from: apps, to: {resolved: 0.8, acme: 0.2}}
  - {from: acme, to: {apps: 1.0}}
"""


@pytest.fixture(scope="module")
def status_log(tmp_path_factory):
    folder = tmp_path_factory.mktemp("status")
    (folder / "truth.yaml").write_text(TRUTH)
    results = simsla.simulate(simsla.load_scenario(folder / "truth.yaml"), replications=1, seed=3, workers=1)
    log = write_status_log(results, folder / "log.csv", reopen=0.1, seed=3)
    return results, log, folder


def test_statuses_are_classified_with_dashes_case_and_sub_statuses_ignored():
    state = pd.Series(["Accepted", "accepted", "Completed", "Completed", "Queued", "Accepted", None])
    sub = pd.Series(["Wait \u2013 User", "wait-vendor", "Resolved", "Closed", "Awaiting Assignment", "In Progress", None])
    assert list(classify(state, sub, {})) == ["customer", "supplier", "resolved", "closed", "queue", "work", "work"]
    mine = {"customer_wait_states": ["Accepted/In Progress"]}
    assert classify(state, sub, mine)[5] == "customer"


def test_mapping_takes_status_lists_and_needs_no_opened_at_for_a_status_log():
    m = load_mapping({"ticket": "case", "updated_at": "t", "state": "s", "resolved_states": "Done"})
    assert m["resolved_states"] == ["Done"]
    with pytest.raises(ValueError, match="opened_at"):
        load_mapping({"ticket": "case", "updated_at": "t"})
    with pytest.raises(ValueError, match="customer_waits"):
        load_mapping({"ticket": "case", "opened_at": "o", "customer_waits": "sometimes"})


def test_resolution_is_the_first_resolved_status_not_the_closure(status_log):
    from simsla.fit.tickets_scenario import read_ticket_log

    results, log, _ = status_log
    q = Quality()
    t, _ = read_ticket_log(log, "csv", STATUS_MAPPING, q)
    truth = results.tickets.set_index("ticket")
    t = t.set_index("ticket")
    ids = [int(c[1:]) for c in t.index]
    true_h = ((truth.loc[ids, "resolved"] - truth.loc[ids, "arrival"]) / 3600).to_numpy()
    fitted = t["resolution_h"].to_numpy()
    done = np.isfinite(true_h)
    assert np.nanmax(np.abs(fitted[done] - true_h[done])) < 1 / 60          # to the second, rounded
    assert np.isnan(fitted[~done]).all()                                  # never resolved: not timed
    # the closure (the last event) is days later: taking it would have doubled the median many times over
    last_h = (t["closed"] - t["opened"]).dt.total_seconds() / 3600
    assert last_h.median() > 5 * np.nanmedian(fitted)
    # about 10 % were reopened (written so); they are counted, and their resolution is still the first one
    problems = q.frame().set_index("problem")["count"]
    assert problems["tickets reopened after their first resolution"] / done.sum() == pytest.approx(0.1, abs=0.03)
    assert t["reopened"].mean() == pytest.approx(0.1, abs=0.03)


def test_round_trip_waits_are_pauses_and_handling_is_work(status_log):
    _, log, folder = status_log
    fit = fit_log(log, "csv", STATUS_MAPPING, times="fitted")
    f = fit.fit
    assert set(f.tickets["channel"]) == {"portal"}             # no channel in the log: the stated default
    assert "tickets without a channel (no contact_type column)" in set(fit.quality_frame()["problem"])
    # apps: work gamma mean 4 h (the visits that did not wait); 30 % of fresh visits wait 10 h on the user.
    # A visit back from the supplier is a fresh visit too, so the share is per visit, as fitted.
    assert f.times["apps"].best.mean == pytest.approx(4 * 3600, rel=0.1)
    w = f.waits["apps"]
    assert w.probability == pytest.approx(0.3, abs=0.04)
    assert w.seconds.mean() == pytest.approx(10 * 3600, rel=0.15)
    assert "desk" not in f.waits                               # the desk never waited
    # the supplier is a supplier visit, not time at apps
    sup = [p for p in f.times if p.startswith("vendor")]
    assert len(sup) == 1 and f.times[sup[0]].best.mean == pytest.approx(6 * 3600, rel=0.15)
    path = folder / "fitted.yaml"
    path.write_text(fit.scenario_yaml())
    scenario = simsla.load_scenario(path)
    apps = next(g for g in scenario.groups if g.name == "apps")
    assert apps.customer_wait.probability == pytest.approx(0.3, abs=0.04)
    # the gate `simsla run` uses accepts what fit wrote
    from simsla.experiment.gate import preflight

    assert preflight(scenario, replications=2, workers=1).blocking() == []
    assert 0 < f.gate.utilisation["apps"] < 1


def test_backtest_measures_the_first_resolution(status_log):
    from simsla.fit import backtest

    _, log, folder = status_log
    df = backtest(log, "csv", folder / "fitted.yaml", replications=2, seed=1, workers=1,
                  mapping=STATUS_MAPPING).to_frame().set_index("measure")
    for p in ("P2", "P3"):
        assert abs(df.loc[f"median resolution {p}, h", "relative_error"]) < 0.15
    assert abs(df.loc["p90 resolution all, h", "relative_error"]) < 0.15


def test_fitted_times_always_load_and_a_poor_fit_is_flagged():
    from simsla.fit.distributions import fit_durations, loadable

    rng = np.random.default_rng(5)
    # minutes or a month: a lognormal fit has a cv of 10^5 and a weibull shape near the model's 0.19 bound
    x = np.concatenate([rng.exponential(60, 3000), rng.exponential(30 * 86400, 1000)])
    f = fit_durations(x, "bimodal")
    assert all(loadable(c.spec()) for c in f.candidates)          # clamped where outside the model's ranges
    assert not next(c for c in f.candidates if c.family == "lognormal").loadable
    assert f.best.loadable
    assert f.poor and "POOR FIT" in f.verdict()
    good = fit_durations(rng.lognormal(5, 1, 2000), "lognormal")
    assert good.best.family == "lognormal" and not good.poor


def test_priorities_in_rank_order_not_alphabetical():
    from simsla.fit.tickets_scenario import priority_order

    labels = pd.Series(["High", "Low", "Major", "Medium", "unknown", "Low"])
    assert priority_order(labels) == ["Major", "High", "Medium", "Low", "unknown"]
    assert priority_order(pd.Series(["P3", "P10", "P1"])) == ["P1", "P3", "P10"]
    assert priority_order(labels, ["Medium", "Major"])[:2] == ["Medium", "Major"]


def test_holdout_backtest_predicts_the_last_week_it_never_saw(status_log):
    from simsla.fit import backtest

    _, log, _ = status_log
    res = backtest(log, "csv", None, replications=2, seed=1, workers=1, mapping=STATUS_MAPPING, holdout=7 * 86400.0)
    df = res.to_frame().set_index("measure")
    assert res.notes[0].startswith("hold-out (fitted before 2026-01-26)")
    assert abs(df.loc["tickets per week", "relative_error"]) < 0.1
    assert abs(df.loc["median resolution P3, h", "relative_error"]) < 0.2
    assert abs(df.loc["p90 resolution all, h", "relative_error"]) < 0.2


def test_window_flags_a_burst_and_a_truncated_cohort():
    from simsla.fit.window import check_window

    rng = np.random.default_rng(0)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 364, 300), unit="D")
    burst = pd.Timestamp("2024-06-03") + pd.to_timedelta(rng.uniform(0, 7, 900), unit="D")
    opened = pd.Series(np.concatenate([days.values, burst.values])).sort_values(ignore_index=True)
    hours = rng.exponential(200, len(opened))
    end = opened.max()
    resolved = opened + pd.to_timedelta(hours, unit="h")
    open_ = resolved > end
    t = pd.DataFrame({"opened": opened, "resolved": resolved.where(~open_), "closed_unresolved": False,
                      "resolution_h": np.where(open_, np.nan, hours)})
    q = Quality()
    w = check_window(t, q)
    assert w.burst and w.busiest_share == pytest.approx(0.75, abs=0.03)
    assert w.incomplete and w.incomplete[-1] == str(end.to_period("M"))
    assert "tickets opened in one burst week" in set(q.frame()["problem"])
    flat = check_window(t[~t["opened"].between("2024-06-03", "2024-06-10")], Quality())
    assert not flat.burst


def test_ping_pong_between_two_teams_survives_the_collapse():
    from simsla.fit.routing import collapse, transitions

    t0 = pd.Timestamp("2024-01-01")
    rows = []
    for i in range(40):                       # A -> B -> A (ping-pong), and rare teams x, y in a row
        parties = ["A", "B", "A"] if i % 2 else ["A", "x", "y", "B"]
        for step, party in enumerate(parties):
            rows.append({"ticket": f"T{i}", "step": step, "party": party, "kind": "group",
                         "start": t0 + pd.Timedelta(hours=step), "end": t0 + pd.Timedelta(hours=step + 1),
                         "hours": 1.0, "wait_hours": 0.0, "last": step == len(parties) - 1})
    v = collapse(pd.DataFrame(rows), max_groups=2, min_share=0.1)
    per = v.groupby("ticket").size()
    assert (per[[f"T{i}" for i in range(1, 40, 2)]] == 3).all()             # A, B, A kept
    assert (per[[f"T{i}" for i in range(0, 40, 2)]] == 3).all()             # x, y lumped into one visit
    r = transitions(v).set_index(["from", "to"])["count"]
    assert r[("B", "A")] == 20 and r[("other groups", "B")] == 20


OFFICE = """
name: office-hours round trip
start: 2026-01-05
horizon: 6w
services: [{name: it}]
priority_matrix:
  priorities: [P1, P2, P3]
  impacts: [high, low]
  urgencies: [high, low]
  matrix: {high: [P1, P2], low: [P2, P3]}
demand:
  - {name: t, channel: email, volume: 500/week, impact: {high: 0.3, low: 0.7}, urgency: {high: 0.3, low: 0.7},
     profile: {days: {mon-fri: 1}, hours: [0,0,0,0,0,0,0,0,1,1,1,1,1,1,1,1,1,1,0,0,0,0,0,0]}}
groups:
  - {name: desk, role: desk, staff: 200, handling: {dist: lognormal, mean: 15m, cv: 1.0}, first_contact_resolution: 0.2,
     discipline: fifo}
  - name: apps
    shifts: [{days: mon-fri, hours: 08:00-18:00, staff: 400}]
    at_shift_end: handover
    handling: {dist: gamma, mean: 6h, cv: 0.8}
routing:
  - {from: desk, to: {apps: 1.0}}
"""


def test_office_hours_round_trip_times_in_office_time(tmp_path):
    from simsla.fit import backtest

    (tmp_path / "truth.yaml").write_text(OFFICE)
    results = simsla.simulate(simsla.load_scenario(tmp_path / "truth.yaml"), replications=1, seed=4, workers=1)
    log = write_status_log(results, tmp_path / "log.csv", seed=4)
    mapping = {**STATUS_MAPPING, "business_hours": "auto"}
    fit = fit_log(log, "csv", mapping, times="fitted")
    assert fit.fit.window.business_hours and fit.fit.business          # detected: all tickets open Mon-Fri 08-18
    assert fit.fit.window.office_share > 0.95
    # 6 h of work in office time (in calendar time a visit spans nights and weekends: far longer)
    assert fit.fit.times["apps"].best.mean == pytest.approx(6 * 3600, rel=0.1)
    path = tmp_path / "fitted.yaml"
    path.write_text(fit.scenario_yaml())
    apps = next(g for g in simsla.load_scenario(path).groups if g.name == "apps")
    assert apps.at_shift_end == "handover" and apps.shifts
    df = backtest(log, "csv", path, replications=2, seed=1, workers=1, mapping=mapping).to_frame().set_index("measure")
    assert abs(df.loc["median resolution all, h", "relative_error"]) < 0.15
    assert abs(df.loc["p90 resolution all, h", "relative_error"]) < 0.15
    plain = fit_log(log, "csv", STATUS_MAPPING, times="fitted")         # business_hours: no (the default)
    assert plain.fit.times["apps"].best.mean > 1.5 * 6 * 3600
