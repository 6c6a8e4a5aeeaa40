"""simsla.decide.staffing: a one-desk M/M/c scenario whose answer Erlang C predicts.

40 calls/h, exponential 6-minute talks (4 Erlang), 80 % answered within 20 s
per week: Erlang C gives 74.5 % with 6 agents and 88.6 % with 7, so the
least staffing is 7 and one fewer fails every week.
"""

from __future__ import annotations

import numpy as np
import pytest

import simsla
from simsla.analytic import staff_for_service_level
from simsla.decide.staffing import (
    analytic_start,
    apply_staffing,
    cover_requirement,
    find_staffing,
    select_targets,
    staffing_blocks,
)


def tiny() -> simsla.Scenario:
    return simsla.Scenario.model_validate({
        "name": "one desk", "start": "2026-01-05", "timezone": "UTC", "horizon": "2w",
        "services": [{"name": "helpdesk"}],
        "demand": [{"name": "calls", "channel": "phone", "type": "incident", "volume": "40/h"}],
        "groups": [{"name": "desk", "role": "desk", "staff": 12, "first_contact_resolution": 1.0, "discipline": "fifo",
                    "handling": {"dist": "exponential", "mean": "6m"}, "cost_per_hour": 2.0}],
        "agreements": [{"name": "SLA", "kind": "SLA", "period": "week", "targets": [
            {"name": "answered", "metric": "answer_time", "threshold": "20s", "fraction": 0.8}]}],
    })


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    folder = tmp_path_factory.mktemp("staffing")
    lines: list[str] = []
    res = find_staffing(tiny(), replications=4, seed=5, workers=2, progress=lines.append, out_dir=folder)
    return res, folder, lines


def test_found_staffing_is_the_erlang_c_answer(found) -> None:
    res, _, lines = found
    need = staff_for_service_level(40 / 3600, 360.0, 20.0, 0.8)
    assert need == 7
    assert res.staff == {"desk:24/7": need}
    assert res.total_cost == pytest.approx(need * 168 * 2.0)  # agent-hours per week x cost per hour
    assert res.current_cost == pytest.approx(12 * 168 * 2.0)
    row = res.targets.iloc[0]
    assert row["status"] == "met" and res.meets_all
    # the breach probability is small with confidence: its upper 95 % bound is below one half
    assert row["breach_ci_high"] < 0.5 and row["periods"] == 8
    assert lines and any("check" in line for line in lines)


def test_both_checks_are_reported(found) -> None:
    res, _, _ = found
    a = res.check_independent
    assert a["seed"] != 5 and a["replications"] == 4 and a["holds"]
    (t,) = a["targets"]
    assert t["breach_ci_low"] <= 0.1 <= 1.0 and t["periods"] == 8
    b = res.check_minimal
    assert len(b) == 1 and b.iloc[0]["one_fewer"] == 6
    assert "SLA / answered" in b.iloc[0]["breaks"]
    assert res.search["replication_years"] > 0 and res.search["candidates_evaluated"] >= 4


def test_saved_and_resumed_from_the_search_log(found) -> None:
    res, folder, _ = found
    assert (folder / "staffing.csv").is_file() and (folder / "staffing.json").is_file()
    assert any((folder / "search").glob("*.json"))
    again = find_staffing(tiny(), replications=4, seed=5, workers=1, out_dir=folder)
    assert again.search["replications_simulated"] == 0, "a rerun reads every candidate from the log"
    assert again.search["replications_read_from_log"] > 0
    assert again.staff == res.staff
    assert again.targets.equals(res.targets)


def test_blocks_costs_and_the_analytic_start_of_the_municipal_desk() -> None:
    sc = simsla.load_scenario("scenarios/municipal-it-desk.yaml")
    blocks = staffing_blocks(sc)
    desk = [b for b in blocks if b.group == "service-desk"]
    assert [b.label for b in desk] == ["early", "day", "late", "saturday"]
    assert desk[0].hours_per_week == pytest.approx(45.0) and desk[2].hours_per_week == pytest.approx(42.5)
    assert desk[0].cost_per_agent == pytest.approx(45.0 * 520)
    keys = select_targets(sc)
    assert "SLA Almvik / calls answered" in keys and not any("availability" in k for k in keys)
    assert not any(k.startswith("UC") for k in keys)
    start, info = analytic_start(sc, blocks, keys)
    assert info["desk_peak_requirement"] >= 8
    changed = apply_staffing(sc, blocks, start)
    assert [s.staff for s in changed.desk.shifts] == start[:4]
    assert changed.groups[1] == sc.groups[1]  # other groups keep their staffing
    with pytest.raises(ValueError, match="unknown target"):
        select_targets(sc, ["SLA Almvik / nope"])
    assert select_targets(sc, ["OLA network"]) == [k for k in keys if k.startswith("OLA network")]


def test_cover_requirement_is_least_cost() -> None:
    # two blocks: A covers intervals 0-1, B covers 1-2; need 2, 3, 1
    covers = np.array([[1, 1, 0], [0, 1, 1]], dtype=float)
    x = cover_requirement(np.array([2, 3, 1]), covers, np.array([1.0, 1.0]))
    assert (covers.T @ x >= [2, 3, 1]).all() and x.sum() == 3
    # B expensive: cover interval 1 with A as far as possible
    x = cover_requirement(np.array([2, 3, 1]), covers, np.array([1.0, 10.0]))
    assert x.tolist() == [2, 1]
