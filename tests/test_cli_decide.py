"""The decision commands on the command line: erlang, frontier, report, run --report."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from simsla.cli import app

runner = CliRunner()


def test_erlang_reproduces_the_published_example():
    result = runner.invoke(app, ["erlang", "--rate", "200/h", "--aht", "3m", "--threshold", "20s", "--target", "0.8"])
    assert result.exit_code == 0, result.output
    assert "agents needed for 80 % within 20s (miss): 14" in result.output
    assert "88.84 %" in result.output and "17.41 %" in result.output
    assert "abandoned-call basis: miss" in result.output  # stated even when nobody hangs up


def _service_level_of(output: str, agents: int) -> float:
    """The service-level cell (4th column) of the calculator's row for ``agents``."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│") if c.strip()]
        if cells and cells[0] == str(agents):
            return float(cells[3].rstrip(" %"))
    raise AssertionError(f"no row for {agents} agents in\n{output}")


def test_erlang_abandoned_basis_is_an_option_and_printed():
    base = ["erlang", "--rate", "200/h", "--aht", "3m", "--threshold", "20s", "--patience", "2m", "--agents", "10"]
    default = runner.invoke(app, base)
    assert default.exit_code == 0, default.output
    assert "abandoned-call basis: miss — abandoned calls count as misses" in default.output
    levels = {}
    for rule, extra in (("miss", []), ("grace", ["--grace", "15s"]), ("exclude", [])):
        result = runner.invoke(app, base + ["--abandoned", rule] + extra)
        assert result.exit_code == 0, result.output
        assert f"answered in 20s ({rule})" in result.output and f"abandoned-call basis: {rule}" in result.output
        levels[rule] = _service_level_of(result.output, 10)
    assert levels == {"miss": 63.99, "grace": 67.49, "exclude": 74.19}
    assert _service_level_of(default.output, 10) == levels["miss"]
    assert "hang up within 15s" in runner.invoke(app, base + ["--abandoned", "grace", "--grace", "15s"]).output
    for bad in (["--abandoned", "sometimes"], ["--abandoned", "grace"], ["--abandoned", "exclude", "--grace", "5s"]):
        result = runner.invoke(app, base + bad)
        assert result.exit_code == 2 and "Traceback" not in result.output, bad


def test_erlang_bad_input_is_a_clear_error():
    result = runner.invoke(app, ["erlang", "--rate", "fast", "--aht", "3m"])
    assert result.exit_code == 2 and "expected a rate" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["erlang", "--rate", "200/h", "--aht", "3m", "--threshold", "20s", "--target", "1.5"])
    assert result.exit_code == 2 and "between 0 and 1" in result.output


THREE = "tests/fixtures/erlang-three-channels.yaml"


def test_erlang_scenario_reads_its_targets_and_prints_a_readable_table():
    result = runner.invoke(app, ["erlang", "--scenario", THREE])
    assert result.exit_code == 0, result.output
    out = result.output
    # which targets, with their thresholds and abandoned-call rules
    assert "[1] 85 % within 30s (abandoned calls left out): SLA A / calls in 30 s" in out
    assert "[2] 80 % within 2m (calls abandoned within 10s left out" in out
    assert "abandoned calls: exclude" in out and "answered in 30s*" in out
    # e-mail and portal are not calls; nights and weekends are not listed; Mon-Fri rows merged
    assert "not calls: mails (email), web (portal)" in out and "5,000 calls a week" in out
    assert "Mon–Fri" in out and "Tue" not in out and "00:00" not in out
    assert "08:00–17:00" in out and "not shown: 118 intervals" in out
    assert "NOBODY ON SHIFT" in out and "calls arrive with nobody on shift in 5 intervals" in out
    assert "required 300.0, on shift 360.0" in out
    # no DataFrame dump
    assert "rate_per_hour" not in out and "aht_seconds" not in out and len(out.splitlines()) < 40


def test_erlang_scenario_target_threshold_and_interval_options():
    one = runner.invoke(app, ["erlang", "--scenario", THREE, "--target", "SLA A/calls in 30 s"])
    assert one.exit_code == 0, one.output
    assert "the target chosen with --target" in one.output and "SLA B" not in one.output
    at20 = runner.invoke(app, ["erlang", "--scenario", THREE, "--target", "SLA A/calls in 30 s", "--threshold", "20s"])
    assert at20.exit_code == 0, at20.output
    assert "85 % within 20s" in at20.output and "given on the command line" in at20.output
    assert "required 350.0" in at20.output and "required 300.0" in one.output  # 7 agents at 20 s, 6 at 30 s
    miss = runner.invoke(app, ["erlang", "--scenario", THREE, "--target", "SLA A/calls in 30 s", "--abandoned", "miss"])
    assert "abandoned calls: miss" in miss.output and "required 350.0" in miss.output
    quarter = runner.invoke(app, ["erlang", "--scenario", THREE, "--interval", "15m"])
    assert quarter.exit_code == 0 and "15-minute intervals" in quarter.output and "08:00–17:00" in quarter.output
    for bad in (["--interval", "20m"], ["--target", "SLA A/nope"]):
        result = runner.invoke(app, ["erlang", "--scenario", THREE] + bad)
        assert result.exit_code == 2 and "Traceback" not in result.output, bad


def test_erlang_scenario_plot_writes_a_png(tmp_path):
    path = tmp_path / "fig" / "staff.png"
    result = runner.invoke(app, ["erlang", "--scenario", THREE, "--plot", str(path)])
    assert result.exit_code == 0, result.output
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert f"figure written to {path}" in result.output.replace("\n", "")


def test_erlang_scenario_requirement_per_hour():
    result = runner.invoke(app, ["erlang", "--scenario", "scenarios/erlang-c.yaml"])
    assert result.exit_code == 0, result.output
    assert "required" in result.output and "on shift" in result.output
    assert "80 % within 20s (abandoned calls count as misses): SLA / calls in 20 s" in result.output
    assert "Mon–Sun" in result.output and "00:00–24:00" in result.output  # 24/7, flat: one row for the week


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
    # the smallest example carries the classic 80 % in 20 s phone target itself
    scenario.write_text(open("scenarios/erlang-c.yaml").read().replace("horizon: 28d", "horizon: 14d"))
    result = runner.invoke(app, ["frontier", str(scenario), "-t", "SLA/calls in 20 s", "-r", "3", "-s", "1", "-w", "1",
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


def test_staff_writes_a_recommended_scenario_that_run_accepts_without_force(tmp_path):
    import simsla

    path = tmp_path / "tiny.yaml"
    path.write_text(TINY.replace("cost_per_hour: 2.0}", "cost_per_hour: 2.0, shrinkage: 0.3}"))
    folder = tmp_path / "st"
    result = runner.invoke(app, ["staff", str(path), "-r", "3", "-s", "5", "-w", "1", "--protect", "15%",
                                 "--max-occupancy", "0.8", "-o", str(folder)])
    assert result.exit_code == 0, result.output
    assert "on floor" in result.output and "paid FTE" in result.output
    assert "protected: every ticket class" in result.output and "15 % worse" in result.output
    assert "Occupancy at the recommendation" in result.output and "cap 80%" in result.output
    saved = json.loads((folder / "staffing.json").read_text())
    row = saved["staffing"][0]
    assert row["staff"] == 7 and abs(row["paid_fte"] - 10) < 1e-9  # 7 on the floor / (1 - 0.3)
    assert abs(saved["total_cost_per_week"] - 7 * 168 * 2.0 / 0.7) < 1e-6 and saved["protection"]["tolerance"] == 0.15
    recommended = folder / "recommended.yaml"
    model = simsla.load_scenario(recommended)
    assert model.groups[0].staff == 7 and model.groups[0].shrinkage == 0.3
    run = runner.invoke(app, ["run", str(recommended), "-r", "1", "-s", "1", "-w", "1", "-o", str(tmp_path / "res")])
    assert run.exit_code == 0, run.output
    assert json.loads((tmp_path / "res" / "summary.json").read_text())["seed"] == 1


def test_staff_refuses_a_bad_protect_option(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    result = runner.invoke(app, ["staff", str(path), "--protect", "P3", "-w", "1", "-o", str(tmp_path / "st")])
    assert result.exit_code == 2 and "--protect" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "st").exists()


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


def test_staff_with_precision_reports_replications_per_candidate(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    result = runner.invoke(app, ["staff", str(path), "-r", "4", "-s", "5", "-w", "1", "--precision", "0.2",
                                 "--max-replications", "8", "-o", str(tmp_path / "st")])
    assert result.exit_code == 0, result.output
    assert "--precision 0.2:" in result.output and "replications per candidate" in result.output
    search = json.loads((tmp_path / "st" / "staffing.json").read_text())["search"]
    assert search["precision"] == 0.2 and search["max_replications"] == 8
    assert search["sequential"] and all(s["replications"] <= 8 for s in search["sequential"])


def test_sweep_with_precision_stops_each_point_on_its_own(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    args = ["sweep", str(path), "--vary", "groups[desk].staff=4,7", "-r", "2", "-s", "1", "-w", "1",
            "--precision", "0.2", "--max-replications", "8", "-o", str(tmp_path / "sw")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    points = {p["label"]: p for p in json.loads((tmp_path / "sw" / "sweep.json").read_text())["points"]}
    # 4 agents for 4 Erlang: every week breached, decided at the first look
    assert points["groups[desk].staff=4"]["replications"] == 2
    assert points["groups[desk].staff=4"]["stopped"] == "all decided"
    assert all(p["replications"] <= 8 for p in points.values())
    again = runner.invoke(app, args)  # finished points are read back, not simulated again
    assert again.exit_code == 0 and json.loads((tmp_path / "sw" / "sweep.json").read_text())["points"] == list(points.values())


def test_frontier_with_precision(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(open("scenarios/erlang-c.yaml").read().replace("horizon: 28d", "horizon: 14d"))
    result = runner.invoke(app, ["frontier", str(scenario), "-t", "SLA/calls in 20 s", "-r", "2", "-s", "1", "-w", "1",
                                 "--precision", "0.2", "--max-replications", "4", "-o", str(tmp_path / "f")])
    assert result.exit_code == 0, result.output
    assert "tightest threshold" in result.output and "replications" in result.output and "rule:" in result.output
    assert json.loads((tmp_path / "f" / "frontier.json").read_text())["replications"] in (2, 4)
