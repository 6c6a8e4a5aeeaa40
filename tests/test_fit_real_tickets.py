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
    fit = fit_log(DATA, "servicenow")
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
    df = backtest(DATA, "servicenow", path, replications=1, seed=1, workers=1).to_frame().set_index("measure")
    assert abs(df.loc["tickets per week", "relative_error"]) < 0.03
    assert abs(df.loc["share P3", "relative_error"]) < 0.01
    assert abs(df.loc["median resolution P3, h", "relative_error"]) < 0.15
    assert abs(df.loc["median resolution all, h", "relative_error"]) < 0.15
