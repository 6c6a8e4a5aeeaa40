"""simsla.model.backlog and simsla.backlog_file: a backlog start's data, its checks, and its file's errors."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

import simsla
from simsla.cli import app
from simsla.io import ScenarioError, load_scenario
from simsla.model.backlog import backlog_lead, backlog_size, ticket_age
from simsla.model.scenario import ScenarioProblems

ROOT = Path(__file__).resolve().parent.parent
MUNICIPAL = ROOT / "scenarios" / "municipal-it-desk.yaml"
BACKLOG_CSV = ROOT / "scenarios" / "municipal-backlog.csv"
BASE = {
    "name": "backlog", "start": "2026-01-05", "timezone": "Europe/Stockholm", "horizon": "7d",
    "services": [{"name": "pc"}, {"name": "hr", "customers": ["A"]}], "customers": ["A", "B"],
    "demand": [{"name": "calls", "channel": "phone", "volume": "10/h"}],
    "groups": [{"name": "desk", "role": "desk", "staff": 2, "handling": {"dist": "exponential", "mean": "5m"},
                "first_contact_resolution": 0.5},
               {"name": "2nd", "staff": 2, "handling": {"dist": "exponential", "mean": "1h"}},
               {"name": "idle", "shifts": [{"days": "mon", "hours": "08:00-09:00", "staff": 0}],
                "handling": {"dist": "exponential", "mean": "1h"}}],
    "routing": [{"from": "desk", "to": {"2nd": 1.0}}],
}
COUNTS = {"party": "2nd", "count": 5, "priority": "P3", "age": {"dist": "exponential", "mean": "2d"}}


def build(*entries: dict) -> simsla.Scenario:
    data = copy.deepcopy(BASE)
    data["backlog"] = list(entries)
    return simsla.Scenario.model_validate(data)


def problems(*entries: dict) -> list[tuple[str, str]]:
    with pytest.raises(Exception) as info:
        build(*entries)
    errors = info.value.errors() if hasattr(info.value, "errors") else []
    cause = (errors[0].get("ctx") or {}).get("error") if errors else None
    if isinstance(cause, ScenarioProblems):
        return [(".".join(map(str, loc)), msg) for loc, msg in cause.problems]
    return [("", str(info.value))]


def test_a_counts_entry_and_its_size_and_lead():
    sc = build(COUNTS, {**COUNTS, "count": 3, "max_age": "10d"})
    assert backlog_size(sc) == 8
    assert backlog_lead(sc) == 365 * 86400  # the default cap of drawn ages
    assert build().backlog == () and backlog_lead(build()) == 0


def test_a_ticket_list_lead_is_its_oldest_ticket():
    sc = build({"tickets": [{"party": "desk", "age": "3d"}, {"party": "2nd", "opened": "2026-01-04 12:00"}]})
    assert backlog_lead(sc) == 3 * 86400
    # a naive `opened` is local time in the scenario's zone: 12 hours before the start
    assert ticket_age(sc.backlog[0].tickets[1], sc.origin) == 12 * 3600


@pytest.mark.parametrize("entry, field, words", [
    ({**COUNTS, "party": "3rd"}, "backlog.0.party", "unknown party '3rd'"),
    ({**COUNTS, "priority": "P9"}, "backlog.0.priority", "priority 'P9' is unknown"),
    ({**COUNTS, "service": "mail"}, "backlog.0.service", "service 'mail' is unknown"),
    ({**COUNTS, "channel": "fax"}, "backlog.0.channel", "channel 'fax' is unknown"),
    ({**COUNTS, "service": "hr", "customer": "B"}, "backlog.0.customer", "used only by ['A']"),
    ({**COUNTS, "priority": "P1", "impact": "low", "urgency": "low"}, "backlog.0.priority", "give priority 'P5'"),
    ({**COUNTS, "party": "idle"}, "backlog.0", "never staffed"),
    ({"tickets": [{"party": "desk", "opened": "2026-01-05 08:00"}]}, "backlog.0.tickets.0.opened",
     "after the scenario's start"),
])
def test_cross_reference_problems_name_the_field(entry, field, words):
    found = problems(entry)
    assert any(f == field and words in m for f, m in found), found


@pytest.mark.parametrize("entry, words", [
    ({"party": "2nd", "count": 3}, "lacks age"),
    ({**COUNTS, "file": "x.csv"}, "belong to a counts entry"),
    ({**COUNTS, "impact": "high"}, "impact and urgency together"),
    ({"tickets": [{"party": "desk"}]}, "either `opened`"),
    ({**COUNTS, "count": -1}, "greater than or equal to 0"),
])
def test_malformed_entries_are_refused(entry, words):
    found = problems(entry)
    assert any(words in m for _, m in found), found


def test_nothing_to_simulate_unless_a_backlog():
    data = copy.deepcopy(BASE)
    data["demand"][0]["volume"] = "0/h"
    with pytest.raises(Exception, match="nothing would ever arrive"):
        simsla.Scenario.model_validate(data)
    data["backlog"] = [COUNTS]
    assert simsla.Scenario.model_validate(data).backlog[0].count == 5


# ------------------------------------------------------------------ files
def scenario_file(tmp_path: Path, rows: str, columns: dict | None = None) -> Path:
    (tmp_path / "open.csv").write_text(rows, encoding="utf-8")
    import yaml

    data = copy.deepcopy(BASE)
    data["backlog"] = [{"file": "open.csv", **({"columns": columns} if columns else {})}]
    path = tmp_path / "desk.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def messages(path: Path, **kw) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, **kw)
    return [str(p) for p in info.value.problems]


def test_a_file_is_read_relative_to_the_scenario(tmp_path):
    path = scenario_file(tmp_path, "number,opened,party,priority,service\n"
                                   "1,2026-01-02 10:00,2nd,P3,pc\n2,2026-01-04,desk,,\n")
    sc = load_scenario(path)
    (entry,) = sc.backlog
    assert [t.party for t in entry.tickets] == ["2nd", "desk"]
    assert entry.tickets[0].line == 2 and entry.tickets[0].service == "pc" and entry.tickets[1].priority is None
    assert entry.tickets[1].opened == dt.datetime(2026, 1, 4)


def test_a_mapping_of_columns_and_open_rows_only(tmp_path):
    rows = ("number,opened_at,assignment_group,prio,resolved_at\n"
            "1,2026-01-02 10:00,2nd,P3,\n2,2026-01-03 10:00,desk,P2,2026-01-03 11:00\n")
    path = scenario_file(tmp_path, rows, {"opened_at": "opened_at", "group": "assignment_group", "priority": "prio",
                                          "resolved_at": "resolved_at"})
    (entry,) = load_scenario(path).backlog
    assert [(t.party, t.priority) for t in entry.tickets] == [("2nd", "P3")]  # the resolved row is no backlog


@pytest.mark.parametrize("rows, expected", [
    ("opened,party\n2026-01-02,2nd\nyesterday,desk\n", "open.csv:3: opened: 'yesterday' is not a date-time"),
    ("opened,party\n2026-01-02,\n", "open.csv:2: party: empty"),
    ("opened,party,priority\n2026-01-02,3rd,P3\n", "open.csv:2: party: unknown party '3rd'"),
    ("opened,party,priority\n2026-01-02,2nd,P3\n2026-01-02,2nd,P7\n", "open.csv:3: priority: priority 'P7'"),
    ("opened,party\n2026-01-06 09:00,2nd\n", "open.csv:2: opened: opened 2026-01-06 09:00:00 is after the"),
    ("opened,party\n2026-01-02,2nd,extra\n", "open.csv:2: 3 fields where the header has 2"),
    ("age,party\nlong,2nd\n", "open.csv:2: age: 'long' is not an age"),
    ("when,party\n2026-01-02,2nd\n", "open.csv:1: opened: missing column 'opened'"),
    ("opened,who\n2026-01-02,2nd\n", "open.csv:1: party: missing column 'party'"),
    ("opened,party\n", "open.csv: holds no open tickets"),
    ("", "open.csv: the file is empty"),
    ("opened,party,impact\n2026-01-02,2nd,high\n", "open.csv:2: impact: impact and urgency come together"),
])
def test_file_problems_name_file_line_and_column(tmp_path, rows, expected):
    found = messages(scenario_file(tmp_path, rows))
    assert any(expected in m for m in found), found


def test_a_missing_file_and_bad_columns_mapping(tmp_path):
    path = scenario_file(tmp_path, "opened,party\n2026-01-02,2nd\n", {"opend": "x"})
    found = messages(path)
    assert any("desk.yaml" in m and "backlog[0].columns.opend: unknown field 'opend'" in m for m in found), found
    (tmp_path / "open.csv").unlink()
    found = messages(scenario_file(tmp_path, "x\n"), backlog=tmp_path / "gone.csv")
    assert any("gone.csv: no such file" in m for m in found), found


def test_not_utf8(tmp_path):
    path = scenario_file(tmp_path, "")
    (tmp_path / "open.csv").write_bytes("opened,party\n2026-01-02,2nd\n2026-01-02,\xe5\n".encode("latin-1"))
    assert any("open.csv:3: not UTF-8" in m for m in messages(path))


def test_the_example_backlog_loads_with_the_municipal_desk():
    sc = load_scenario(MUNICIPAL, backlog=BACKLOG_CSV)
    assert 300 <= backlog_size(sc) <= 400
    parties = {t.party for t in sc.backlog[0].tickets}
    assert {"service-desk", "applications", "workplace", "network"} <= parties


def test_cli_validate_with_a_bad_backlog_exits_2(tmp_path):
    bad = tmp_path / "open.csv"
    bad.write_text("opened,party,priority\n2026-01-02,nowhere,P3\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(MUNICIPAL), "--backlog", str(bad)])
    assert result.exit_code == 2, result.output
    assert f"{bad}:2: party: unknown party 'nowhere'" in " ".join(result.output.split())
    ok = CliRunner().invoke(app, ["validate", str(MUNICIPAL), "--backlog", str(BACKLOG_CSV)])
    assert ok.exit_code == 0, ok.output
    assert "warm-up (7d) is not simulated" in " ".join(ok.output.split())
