"""The ServiceNow incident event log (../shared/data/): fit and back-test (skipped where the data is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

import simsla
from simsla.fit import backtest, fit_log

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "servicenow_incident_event_log.csv.gz"
pytestmark = pytest.mark.skipif(not DATA.is_file(), reason=f"real data not present at {DATA}")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    fit = fit_log(DATA, "servicenow", window="all")      # the whole log: what is known about it
    path = tmp_path_factory.mktemp("sn") / "sn.yaml"
    path.write_text(fit.scenario_yaml())
    return fit, path


def test_fit_matches_what_is_known_about_the_log(fitted):
    fit, path = fitted
    t = fit.fit.tickets
    assert len(t) == 20769
    assert t["channel"].eq("phone").mean() == pytest.approx(0.998, abs=0.002)
    assert t["made_sla"].mean() == pytest.approx(0.61, abs=0.01)
    assert fit.fit.arrivals.over_dispersed
    assert "closed but resolved_at missing" in set(fit.quality_frame()["problem"])
    scenario = simsla.load_scenario(path)
    assert len(scenario.groups) <= 12                    # rare groups collapsed
    # urgent tickets go to other first groups than the rest: the first assignment has rules for P1 and P2
    first = [r for r in scenario.routing if r.source == scenario.desk.name and r.when.values("priority")]
    assert {p for r in first for p in r.when.values("priority")} >= {"P1", "P2"}
    assert all(r.to.get("Group 70", 0) < 0.3 for r in first if set(r.when.values("priority")) <= {"P1", "P2"})
    # resolving visits and hand-offs take different times: the busiest group has rules for both
    g70 = next(g for g in scenario.groups if g.name == "Group 70")
    assert {r.resolves for r in g70.handling_times.by} == {True, False}


def test_backtest_arrivals_mix_and_median_resolution(fitted):
    _, path = fitted
    df = backtest(DATA, "servicenow", path, replications=1, seed=1, workers=1,
                  window="all").to_frame().set_index("measure")
    assert abs(df.loc["tickets per week", "relative_error"]) < 0.03
    assert abs(df.loc["share P3", "relative_error"]) < 0.01
    assert abs(df.loc["median resolution P3, h", "relative_error"]) < 0.15
    assert abs(df.loc["median resolution all, h", "relative_error"]) < 0.15


def test_detected_window_leaves_out_the_go_live_weeks_and_the_holdout_is_inside_it():
    """The instance went live on 2016-02-29: resolution shortens week by week until late April (median 91 h
    in the first week, 1-5 h from 25 April).  The default fit window is the stationary end; the hold-out
    (its last week) is predicted by a scenario fitted on the weeks before it, both censored alike."""
    res = backtest(DATA, "servicenow", None, replications=1, seed=1, workers=1, holdout=7 * 86400.0)
    assert res.notes[1].startswith("Fit window (detected): tickets opened 2016-04-25 .. 2016-05-13")
    assert res.insample is not None and res.notes[0].startswith("hold-out (fitted before 2016-05-07)")
    table = res.table().set_index("measure")
    assert {"in-sample rel. error", "hold-out rel. error"} <= set(table.columns)
    assert "share reaching Group 70" in table.index and "p90 resolution P3, h" in table.index
    # the last week (to Friday 11:49, compared alike) is 15 % quieter than the two before: measured, not hidden
    assert abs(table.loc["tickets per week", "hold-out rel. error"]) < 0.25
    assert abs(table.loc["share reaching Group 70", "hold-out rel. error"]) < 0.2
    assert all(0 < u < 1 for u in res.utilisation.values() if u > 0)
