"""Round trip (issue 13): a status log that simsla writes -- customer waits, a supplier, a group on office
hours, reassignments -- fitted back to the parameters it was written from.

Tolerances: means of times within 15 % (a few hundred visits each), probabilities within 0.05, the
inferred hours exact.  The fit window and the follow-up rule are exercised too: a desk that slows down
half-way is cut to its second half, and tickets opened near the extract's end are not timed.
"""

from __future__ import annotations

import pandas as pd
import pytest

import simsla
from simsla.fit import fit_log
from simsla.fit.tolog import STATUS_MAPPING, write_status_log

TRUTH = """
name: round trip
start: 2026-01-05
horizon: 6w
services: [{name: it}]
priority_matrix:
  priorities: [P1, P2, P3]
  impacts: [high, low]
  urgencies: [high, low]
  matrix: {high: [P1, P2], low: [P2, P3]}
demand:
  - {name: t, channel: email, volume: 700/week, impact: {high: 0.3, low: 0.7}, urgency: {high: 0.3, low: 0.7}}
groups:
  - {name: desk, role: desk, staff: 200, handling: {dist: lognormal, mean: 20m, cv: 1.0},
     first_contact_resolution: 0.3, discipline: fifo}
  - name: apps
    staff: 300
    handling: {dist: gamma, mean: 3h, cv: 0.8}
    customer_wait: {probability: 0.3, duration: {dist: lognormal, mean: 8h, cv: 1.0}}
  - name: infra
    shifts: [{days: mon-fri, hours: 08:00-18:00, staff: 300}]
    at_shift_end: handover
    handling: {dist: gamma, mean: 5h, cv: 0.7}
suppliers:
  - {name: acme, response: {dist: deterministic, value: 1s}, resolution: {dist: lognormal, mean: 6h, cv: 0.8}}
routing:
  - {from: desk, to: {apps: 1.0}}
  - {from: apps, to: {resolved: 0.6, infra: 0.25, acme: 0.15}}
  - {from: infra, to: {resolved: 0.9, apps: 0.1}}
  - {from: acme, to: {apps: 1.0}}
"""


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roundtrip")
    (folder / "truth.yaml").write_text(TRUTH)
    results = simsla.simulate(simsla.load_scenario(folder / "truth.yaml"), replications=1, seed=5, workers=1)
    log = write_status_log(results, folder / "log.csv", seed=5)
    fit = fit_log(log, "csv", {**STATUS_MAPPING, "business_hours": "auto", "sla_targets": {"P1": "8h", "P3": "3d"},
                               "sla_hours": "mon-fri 08:00-18:00"},
                  times="fitted", window="all")
    return fit, folder


def test_working_hours_are_inferred_and_times_are_business_time(round_trip):
    fit, _ = round_trip
    f = fit.fit
    assert f.hours["infra"].text == "mon-fri 08:00-18:00"       # a handover group on office hours
    assert f.hours["apps"].round_the_clock                        # staffed around the clock: calendar time
    assert f.times["infra"].best.mean == pytest.approx(5 * 3600, rel=0.15)   # business time, not nights and weekends


def test_waits_supplier_and_reassignments_come_back(round_trip):
    fit, _ = round_trip
    f = fit.fit
    assert f.times["apps"].best.mean == pytest.approx(3 * 3600, rel=0.15)
    w = f.waits["apps"]
    assert w.probability == pytest.approx(0.3, abs=0.05)
    assert w.seconds.mean() == pytest.approx(8 * 3600, rel=0.15)
    sup = [p for p in f.times if p.startswith("vendor")]
    assert len(sup) == 1 and f.times[sup[0]].best.mean == pytest.approx(6 * 3600, rel=0.15)
    r = f.routes.set_index(["from", "to"])["count"]
    out = r.loc["apps"]
    assert out.get("infra", 0) / out.sum() == pytest.approx(0.25, abs=0.05)
    assert out.get(sup[0], 0) / out.sum() == pytest.approx(0.15, abs=0.05)
    assert r.loc["infra"].get("apps", 0) / r.loc["infra"].sum() == pytest.approx(0.1, abs=0.05)


def test_the_written_scenario_has_the_calendar_and_the_sla_in_it(round_trip):
    fit, folder = round_trip
    path = folder / "fitted.yaml"
    path.write_text(fit.scenario_yaml())
    sc = simsla.load_scenario(path)
    infra = next(g for g in sc.groups if g.name == "infra")
    assert infra.at_shift_end == "handover" and infra.shifts
    assert "mon-fri 08-18" in sc.calendars
    (sla,) = sc.agreements
    assert sla.calendar == "mon-fri 08-18" and {t.name for t in sla.targets} == {"P1 resolved", "P3 resolved"}
    assert fit.fit.gate.refusals == []


def test_a_desk_that_changed_is_fitted_on_its_stationary_end_and_late_tickets_are_not_timed():
    from simsla.fit.quality import Quality
    from simsla.fit.stationary import choose

    rng = pd.Series(range(8000))
    opened = pd.Timestamp("2026-01-05") + pd.to_timedelta(rng * (56 * 86400 / 8000), unit="s")
    slow = opened < pd.Timestamp("2026-02-02")                  # four weeks at 40 h, then four at 4 h
    import numpy as np

    hours = np.random.default_rng(1).exponential(np.where(slow, 40.0, 4.0))
    resolved = opened + pd.to_timedelta(hours, unit="h")
    end = opened.max() + pd.Timedelta(hours=2)
    t = pd.DataFrame({"ticket": rng.astype(str), "opened": opened, "resolved": resolved.where(resolved <= end),
                      "closed": pd.NaT, "closed_unresolved": False})
    t["resolution_h"] = (t["resolved"] - t["opened"]).dt.total_seconds() / 3600
    t.attrs["extract_end"] = end
    v = pd.DataFrame({"ticket": t["ticket"]})
    q = Quality()
    kept, _, win = choose(t, v, None, q)
    assert win.chosen == "detected" and win.start == pd.Timestamp("2026-02-02")
    assert win.left_out == int(slow.sum())
    assert win.follow_up_h == pytest.approx(4 * np.log(20), rel=0.2)          # the 95 % time of an exponential(4 h)
    assert 0 < win.short_follow_up < 400 and not kept["timed"].iloc[-1]
    assert "tickets opened outside the fit window" in set(q.frame()["problem"])
    explicit, _, w2 = choose(t, v, "2026-01-05..2026-02-01", Quality())
    assert w2.chosen == "--window" and len(explicit) == int(slow.sum())


def test_first_visits_separate_gives_returning_visits_their_own_party(round_trip):
    from simsla.fit.csvlog import load_mapping

    _, folder = round_trip
    fit = fit_log(folder / "log.csv", "csv", {**STATUS_MAPPING, "first_visits": "separate"}, times="fitted",
                  window="all")
    parties = set(fit.fit.times)
    # every ticket opens at the desk: apps and infra only ever see later visits
    assert {"desk", "apps again", "infra again"} <= parties and "apps" not in parties
    assert fit.fit.visits.groupby("ticket").head(1)["party"].eq("desk").all()      # first visits keep the name
    path = folder / "separate.yaml"
    path.write_text(fit.scenario_yaml())
    assert {g.name for g in simsla.load_scenario(path).groups} >= {"desk", "apps again", "infra again"}
    with pytest.raises(ValueError, match="first_visits: pooled"):
        load_mapping({**STATUS_MAPPING, "first_visits": "yes"})
