"""The example scenarios in scenarios/: they load, and the municipal desk behaves like a real one."""

from __future__ import annotations

from pathlib import Path

import pytest

import simsla

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
MUNICIPAL = SCENARIOS / "municipal-it-desk.yaml"


def test_there_are_example_scenarios():
    assert MUNICIPAL in FILES


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_example_loads(path: Path):
    scenario = simsla.load_scenario(path)
    assert scenario.name
    assert scenario.horizon > 0


@pytest.fixture(scope="module")
def municipal_results() -> simsla.Results:
    scenario = simsla.load_scenario(MUNICIPAL)
    short = scenario.model_copy(update={"horizon": 14 * 86400.0})
    return simsla.simulate(short, replications=1, seed=1, workers=1)


def test_municipal_scenario_shape():
    scenario = simsla.load_scenario(MUNICIPAL)
    assert scenario.timezone == "Europe/Stockholm"
    assert scenario.start.weekday() == 0 and scenario.start.month == 1
    assert scenario.warmup == 7 * 86400.0
    assert scenario.horizon == 13 * 7 * 86400.0
    assert len(scenario.customers) == 3
    assert len(scenario.services) >= 14
    assert [g.role for g in scenario.groups].count("resolver") == 3
    assert len(scenario.suppliers) == 2
    assert {d.channel for d in scenario.demand} >= {"phone", "portal"}


def test_municipal_runs_through_every_party(municipal_results: simsla.Results):
    results = municipal_results
    assert results.unstable == []
    visited = set(results.segments["party"].astype(str))
    for party in results.scenario.parties:
        assert party in visited, f"no ticket reached {party!r}"
    resolved_by = set(results.tickets["resolved_by"].dropna().astype(str))
    for party in results.scenario.parties:
        assert party in resolved_by, f"{party!r} resolved no ticket"


def test_municipal_desk_is_loaded_realistically(municipal_results: simsla.Results):
    summary = municipal_results.summary()
    groups = {g["name"]: g for g in summary["groups"]}
    desk = municipal_results.scenario.desk.name
    assert 0.4 <= groups[desk]["utilization"] <= 0.95
    for g in municipal_results.scenario.groups:
        if g.role == "resolver":
            assert groups[g.name]["utilization"] < 0.95, g.name
    phone = next(c for c in summary["channels"] if c["channel"] == "phone")
    assert 0.6 <= phone["answered_within"]["20s"]["mean"] <= 0.99
    assert phone["abandonment"]["mean"] < 0.15


def test_municipal_check_reports_the_deliberate_gap():
    """The municipal file leaves P1/P2 tickets at the case-system vendor uncovered (see its comments)."""
    from typer.testing import CliRunner

    from simsla.analysis.coverage import check
    from simsla.cli import app

    scenario = simsla.load_scenario(SCENARIOS / "municipal-it-desk.yaml")
    verdicts = {(v.agreement, v.target): v for v in check(scenario)}
    gap = verdicts[("SLA Almvik", "P1 resolution")]
    assert gap.verdict == "missing agreement"
    assert any("case-system-vendor" in p for p in gap.problems)
    assert verdicts[("SLA Almvik", "P4 resolution")].verdict == "covered"
    result = CliRunner().invoke(app, ["check", str(SCENARIOS / "municipal-it-desk.yaml")])
    assert result.exit_code == 1


def test_national_desk_is_ten_municipal_desks_and_runs_stable():
    from simsla.experiment.gate import estimate_resources, preflight

    national = simsla.load_scenario(SCENARIOS / "national-desk.yaml")
    municipal = simsla.load_scenario(MUNICIPAL)
    assert len([g for g in national.groups if g.role == "resolver"]) == 8 and len(national.suppliers) == 4
    per_week = lambda sc: estimate_resources(sc).tickets / (sc.end / (7 * 86400))  # noqa: E731
    assert 7 < per_week(national) / per_week(municipal) < 14
    assert preflight(national).refusals == []
    data = national.model_dump(mode="json", exclude_defaults=True)
    data["horizon"], data["warmup"] = "2w", "3d"
    short = simsla.Scenario.model_validate(data)
    res = simsla.simulate(short, replications=1, seed=3, workers=1)
    assert not res.unstable and len(res.tickets) > 30_000
