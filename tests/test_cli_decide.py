"""The decision commands on the command line: erlang, frontier, report, run --report."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from simsla.cli import app

runner = CliRunner()


def test_erlang_reproduces_the_published_example():
    result = runner.invoke(app, ["erlang", "--rate", "200/h", "--aht", "3m", "--threshold", "20s", "--target", "0.8"])
    assert result.exit_code == 0, result.output
    assert "agents needed for 80 % within 20s: 14" in result.output
    assert "0.8884" in result.output and "0.1741" in result.output


def test_erlang_bad_input_is_a_clear_error():
    result = runner.invoke(app, ["erlang", "--rate", "fast", "--aht", "3m"])
    assert result.exit_code == 2 and "expected a rate" in result.output and "Traceback" not in result.output


def test_erlang_scenario_requirement_per_hour():
    result = runner.invoke(app, ["erlang", "--scenario", "scenarios/erlang-c.yaml", "--threshold", "20s", "--target", "0.8"])
    assert result.exit_code == 0, result.output
    assert "required" in result.output and "scheduled" in result.output


def test_run_with_report_and_report_command(tmp_path):
    out = tmp_path / "res"
    result = runner.invoke(app, ["run", "scenarios/erlang-c.yaml", "-r", "2", "-s", "1", "-w", "1", "-o", str(out), "--report"])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file() and json.loads((out / "summary.json").read_text())["seed"] == 1
    (out / "report.html").unlink()
    again = runner.invoke(app, ["report", str(out)])
    assert again.exit_code == 0 and (out / "report.html").is_file()
    missing = runner.invoke(app, ["report", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "Traceback" not in missing.output


def test_frontier_command(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(open("scenarios/erlang-c.yaml").read().replace("horizon: 28d", "horizon: 14d") + """
agreements:
  - name: SLA
    kind: SLA
    period: week
    targets:
      - {name: calls, metric: answer_time, threshold: 20s, fraction: 0.8}
""")
    result = runner.invoke(app, ["frontier", str(scenario), "-t", "SLA/calls", "-r", "3", "-s", "1", "-w", "1",
                                 "-o", str(tmp_path / "f")])
    assert result.exit_code == 0, result.output
    assert "tightest threshold" in result.output and (tmp_path / "f" / "frontier.png").is_file()
    bad = runner.invoke(app, ["frontier", str(scenario), "-t", "nosuchtarget", "-r", "1", "-w", "1"])
    assert bad.exit_code == 2


TINY = """
name: one desk
start: 2026-01-05
horizon: 2w
services: [{name: helpdesk}]
demand: [{name: calls, channel: phone, volume: 40/h}]
groups:
  - {name: desk, role: desk, staff: 12, first_contact_resolution: 1.0, discipline: fifo,
     handling: {dist: exponential, mean: 6m}, cost_per_hour: 2.0}
agreements:
  - name: SLA
    kind: SLA
    period: week
    targets: [{name: answered, metric: answer_time, threshold: 20s, fraction: 0.8}]
"""


def test_staff_finds_the_erlang_c_answer_and_reports_both_checks(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    result = runner.invoke(app, ["staff", str(path), "-r", "4", "-s", "5", "-w", "2", "-o", str(tmp_path / "st")])
    assert result.exit_code == 0, result.output
    assert "check (a)" in result.output and "check (b)" in result.output
    saved = json.loads((tmp_path / "st" / "staffing.json").read_text())
    assert saved["staffing"][0]["staff"] == 7  # Erlang C: 7 agents give 88.6 %, 6 give 74.5 %


def test_sweep_compares_points_and_resumes(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    args = ["sweep", str(path), "--vary", "groups[desk].staff=6,7", "-r", "3", "-s", "1", "-w", "1", "-o", str(tmp_path / "sw")]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "groups" in first.output and (tmp_path / "sw" / "sweep.csv").is_file()
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "sw" / "points").iterdir()}
    again = runner.invoke(app, args)
    assert again.exit_code == 0
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "sw" / "points").iterdir()} == stamps  # nothing redone
    bad = runner.invoke(app, ["sweep", str(path), "--vary", "groups[nobody].staff=3", "-r", "2", "-o", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_sweep_prints_a_legend_and_a_table_per_target(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    args = ["sweep", str(path), "--vary", "groups[desk].staff=x1,11", "-r", "2", "-s", "1", "-w", "1",
            "-o", str(tmp_path / "sw")]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "changes nothing" in res.output  # the x1 point is the baseline, named once in the legend
    assert res.output.count("SLA / answered") == 1  # one table per target, titled by it
    assert "few periods (4)" in res.output  # 2 replications x 2 weeks
    wide = runner.invoke(app, args + ["--wide"])
    assert wide.exit_code == 0 and "every point x target" in wide.output
