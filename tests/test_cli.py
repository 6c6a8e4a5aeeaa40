"""simsla.cli: run, validate, schema and check through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simsla.cli import app

ERLANG_C = Path(__file__).resolve().parent.parent / "scenarios" / "erlang-c.yaml"
TEXT = ERLANG_C.read_text(encoding="utf-8")


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture()
def short(tmp_path) -> Path:
    """erlang-c.yaml with an 8-hour horizon and a 1-hour warm-up."""
    text = TEXT.replace("horizon: 28d", "horizon: 8h").replace("warmup: 1d", "warmup: 1h")
    assert text != TEXT
    path = tmp_path / "erlang-c-short.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def bad(tmp_path) -> Path:
    text = TEXT.replace("mean: 3m}", "mean: 3 minutes}").replace("    staff: 14 ", "    staf: 14 ")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line(path: Path, fragment: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if fragment in line)


def _no_traceback(result) -> None:
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_run_writes_results(runner, short, tmp_path):
    out = tmp_path / "results"
    result = runner.invoke(app, ["run", str(short), "-r", "2", "-s", "1", "-w", "1", "-o", str(out)])
    assert result.exit_code == 0, result.stdout + result.stderr
    _no_traceback(result)
    summary = json.loads((out / "summary.json").read_text())
    for key in ("scenario", "seed", "replications", "tickets", "groups"):
        assert key in summary
    assert summary["seed"] == 1 and summary["replications"] == 2
    assert summary["scenario"] == "Erlang C — one phone queue"
    t = summary["tickets"]
    assert t["arrived"] == t["resolved"] + t["abandoned"] + t["open"] > 0
    assert [g["name"] for g in summary["groups"]] == ["desk"]
    assert 0 < summary["groups"][0]["utilization"] < 1
    assert {"tickets.parquet", "segments.parquet", "scenario.json"} <= {p.name for p in out.iterdir()}
    assert "results written to" in result.stdout
    assert "Erlang C" in result.stdout


def test_validate_the_example_file(runner):
    result = runner.invoke(app, ["validate", str(ERLANG_C)])
    assert result.exit_code == 0
    assert "valid" in result.stdout and "Erlang C" in result.stdout


def test_run_replaces_an_earlier_result(runner, short, tmp_path):
    out = tmp_path / "results"
    for seed in ("1", "2"):
        result = runner.invoke(app, ["run", str(short), "--replications", "1", "--seed", seed, "--workers", "1",
                                     "--out", str(out)])
        assert result.exit_code == 0, result.stderr
    assert json.loads((out / "summary.json").read_text())["seed"] == 2


def test_run_refuses_a_folder_of_someone_elses_files_before_simulating(runner, short, tmp_path):
    out = tmp_path / "mydocs"
    out.mkdir()
    (out / "old.txt").write_text("mine")
    result = runner.invoke(app, ["run", str(short), "-r", "1", "-s", "2", "-w", "1", "--out", str(out)])
    assert result.exit_code == 2
    _no_traceback(result)
    assert f"{out}: this folder already holds files that simsla did not write (old.txt)" in result.stderr
    assert "choose a new or empty folder" in result.stderr
    assert result.stdout == ""  # nothing was simulated, nothing printed
    assert [p.name for p in out.iterdir()] == ["old.txt"] and (out / "old.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["mydocs", short.name])


def test_run_into_the_current_folder_is_refused_cleanly(runner, short, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(app, ["run", str(short), "-r", "1", "-s", "1", "-w", "1", "-o", "."])
    assert result.exit_code == 2
    _no_traceback(result)
    assert "is the current folder" in result.stderr and "-o results" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_run_into_a_file_is_refused(runner, short, tmp_path):
    result = runner.invoke(app, ["run", str(short), "-r", "1", "-w", "1", "-o", str(short)])
    assert result.exit_code == 2
    _no_traceback(result)
    assert f"{short}: is a file, not a folder" in result.stderr
    assert short.read_text(encoding="utf-8").startswith(TEXT[:20])


def test_run_removes_the_temporary_folder_of_a_killed_save(runner, short, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "results"
    first = runner.invoke(app, ["run", str(short), "-r", "1", "-s", "1", "-w", "1", "-o", str(out)])
    assert first.exit_code == 0, first.stderr
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its process id now belongs to no process: as a save killed mid-way
    left = tmp_path / f".results.simsla-tmp-{child.pid}-x7k2q9pa"
    left.mkdir()
    (left / ".simsla.json").write_text("{}")
    (left / "tickets.parquet").write_bytes(b"half a table")
    again = runner.invoke(app, ["run", str(short), "-r", "1", "-s", "2", "-w", "1", "-o", str(out)])
    assert again.exit_code == 0, again.stderr
    assert not left.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["results", short.name])


# every command that takes a seed, a count or workers refuses the same slips the same way (exit 2, no traceback)
SLIPS = [
    (["run", "{s}", "-s", "-1"], "--seed"),
    (["frontier", "{s}", "-t", "a/b", "-s", "-1"], "--seed"),
    (["staff", "{s}", "-s", "-1"], "--seed"),
    (["sweep", "{s}", "--vary", "demand[*].volume=x1", "-o", "{o}", "-s", "-1"], "--seed"),
    (["backtest", "{s}", "-f", "calls", "-s", "-1"], "--seed"),
    (["run", "{s}", "-r", "0"], "--replications"),
    (["run", "{s}", "-w", "0"], "--workers"),
    (["run", "{s}", "-w", "-2"], "--workers"),
    (["frontier", "{s}", "-t", "a/b", "-r", "0"], "--replications"),
    (["frontier", "{s}", "-t", "a/b", "-w", "0"], "--workers"),
    (["staff", "{s}", "-r", "1"], "--replications"),
    (["staff", "{s}", "-w", "0"], "--workers"),
    (["staff", "{s}", "--max-simulations", "0"], "--max-simulations"),
    (["sweep", "{s}", "--vary", "demand[*].volume=x1", "-o", "{o}", "-r", "1"], "--replications"),
    (["sweep", "{s}", "--vary", "demand[*].volume=x1", "-o", "{o}", "-w", "0"], "--workers"),
    (["backtest", "{s}", "-f", "calls", "-r", "0"], "--replications"),
    (["backtest", "{s}", "-f", "calls", "-w", "0"], "--workers"),
    (["check", "{s}", "--min-share", "-0.5"], "--min-share"),
    (["erlang", "--rate", "200/h", "--aht", "3m", "--patience", "2m", "--max-abandon", "7"], "--max-abandon"),
]


@pytest.mark.parametrize("args, option", SLIPS, ids=[" ".join(a[:1] + a[2:]) for a, _ in SLIPS])
def test_option_slips_are_usage_errors(runner, short, tmp_path, args, option):
    out = tmp_path / "out"
    result = runner.invoke(app, [a.format(s=short, o=out) for a in args])
    assert result.exit_code == 2, result.output
    _no_traceback(result)
    assert option in result.output
    assert not out.exists()


@pytest.mark.parametrize("command", [
    ["staff", "{s}", "-r", "2", "-w", "1", "-o", "{o}"],
    ["sweep", "{s}", "--vary", "demand[*].volume=x1,x2", "-r", "2", "-w", "1", "-o", "{o}"],
    ["frontier", "{s}", "-t", "SLA/calls in 20 s", "-r", "1", "-w", "1", "-o", "{o}"],
    ["backtest", str(Path(__file__).parent / "fixtures" / "bank_calls_sample.csv"), "-f", "calls", "-r", "1", "-w", "1",
     "-o", "{o}"],
], ids=["staff", "sweep", "frontier", "backtest"])
def test_every_output_folder_refuses_someone_elses_files(runner, short, tmp_path, command):
    out = tmp_path / "mydocs"
    out.mkdir()
    (out / "sweep.csv").write_text("my own sweep, by hand")  # even a name simsla would write
    result = runner.invoke(app, [a.format(s=short, o=out) for a in command])
    assert result.exit_code == 2, result.output
    _no_traceback(result)
    assert f"{out}: this folder already holds files that simsla did not write (sweep.csv)" in result.stderr
    assert [p.name for p in out.iterdir()] == ["sweep.csv"]
    assert (out / "sweep.csv").read_text() == "my own sweep, by hand"


def test_fit_never_overwrites_a_scenario_it_did_not_write(runner, tmp_path):
    calls = Path(__file__).parent / "fixtures" / "bank_calls_sample.csv"
    mine = tmp_path / "desk.yaml"
    mine.write_text(TEXT, encoding="utf-8")
    result = runner.invoke(app, ["fit", str(calls), "-f", "calls", "-o", str(mine)])
    assert result.exit_code == 2
    _no_traceback(result)
    assert f"{mine}: exists and was not written by simsla" in result.stderr
    assert mine.read_text(encoding="utf-8") == TEXT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desk.yaml"]
    folder = runner.invoke(app, ["fit", str(calls), "-f", "calls", "-o", str(tmp_path)])
    assert folder.exit_code == 2 and "is a folder, not a file" in folder.stderr


def test_fit_replaces_its_own_scenario_and_report(runner, tmp_path):
    calls = Path(__file__).parent / "fixtures" / "bank_calls_sample.csv"
    out = tmp_path / "calls.yaml"
    for _ in range(2):
        result = runner.invoke(app, ["fit", str(calls), "-f", "calls", "-o", str(out)])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "calls-fit" / "fit.json").is_file()


def test_report_on_a_damaged_folder_is_a_clear_error(runner, short, tmp_path):
    out = tmp_path / "results"
    assert runner.invoke(app, ["run", str(short), "-r", "1", "-s", "1", "-w", "1", "-o", str(out)]).exit_code == 0
    (out / "summary.json").write_text("{ not json")
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 2
    _no_traceback(result)
    assert f"{out}: not a readable simsla results folder" in result.stderr


def test_run_invalid_file_exits_2_with_located_problems(runner, bad, tmp_path):
    out = tmp_path / "results"
    result = runner.invoke(app, ["run", str(bad), "-r", "1", "-s", "1", "-w", "1", "-o", str(out)])
    assert result.exit_code == 2
    _no_traceback(result)
    err = result.stderr
    assert f"{bad}:{_line(bad, '3 minutes')}: groups[0].handling.mean: expected a duration such as" in err
    assert f"{bad}:{_line(bad, 'staf: 14')}: groups[0].staf: unknown field 'staf'; did you mean 'staff'?" in err
    assert "2 problem(s); nothing was simulated." in err
    assert result.stdout == ""
    assert not out.exists()


def test_validate_good_and_bad(runner, short, bad):
    good = runner.invoke(app, ["validate", str(short)])
    assert good.exit_code == 0
    assert f"{short}: valid — Erlang C — one phone queue" in good.stdout
    assert good.stderr == ""
    wrong = runner.invoke(app, ["validate", str(bad)])
    assert wrong.exit_code == 2
    _no_traceback(wrong)
    assert f"{bad}:{_line(bad, 'staf: 14')}: groups[0].staf:" in wrong.stderr


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("name: [unclosed\nstart: 2026-01-05\n", ":2: not valid YAML"),
        ("", "the file is empty"),
        ("- a list\n", ":1: a scenario is a mapping"),
        ("!!python/object:os.system {}\n", "YAML tags are not allowed"),
    ],
)
def test_validate_unreadable_files(runner, tmp_path, text, fragment):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    _no_traceback(result)
    assert fragment in result.stderr


def test_validate_missing_file(runner, tmp_path):
    path = tmp_path / "nope.yaml"
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    _no_traceback(result)
    assert f"{path}: no such file" in result.stderr


def test_schema_prints_json(runner):
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert "groups" in schema["properties"]
    assert schema["properties"]["groups"]["type"] == "array"


def test_check_without_agreements(runner, short):
    result = runner.invoke(app, ["check", str(short)])
    assert result.exit_code == 0
    assert "no SLA resolution targets to check" in result.stdout


def test_bad_options_are_usage_errors(runner, short):
    result = runner.invoke(app, ["run", str(short), "-r", "0"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["frobnicate"])
    assert result.exit_code == 2


def _slow_desk(tmp_path: Path) -> Path:
    """One agent at load 0.3 (about 72 % of calls answered in 20 s against a target of 80 %), two complete weeks."""
    text = (TEXT.replace("horizon: 28d", "horizon: 3w").replace("warmup: 1d", "warmup: 2h")
            .replace("volume: 200/h", "volume: 6/h").replace("staff: 14", "staff: 1"))
    path = tmp_path / "slow-desk.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_run_with_precision_prints_the_looks_and_why_it_stopped(runner, tmp_path):
    path = _slow_desk(tmp_path)
    result = runner.invoke(app, ["run", str(path), "-r", "2", "--precision", "0.2", "--max-replications", "4",
                                 "-s", "1", "-w", "1", "-o", str(tmp_path / "res")])
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "look 1/2: 2 replications, 0 undecided" in result.stderr  # every week breached: decided at once
    assert "2 replications: stopped at look 1 of 2 (all decided)" in result.stdout
    summary = json.loads((tmp_path / "res" / "summary.json").read_text())
    assert summary["replications"] == 2 and summary["sequential"]["stopped"] == "all decided"


def test_run_with_precision_says_when_the_cap_was_reached(runner, tmp_path):
    path = _slow_desk(tmp_path)
    path.write_text(path.read_text().replace("fraction: 0.8", "fraction: 0.72"))
    result = runner.invoke(app, ["run", str(path), "-r", "2", "--precision", "0.01", "--max-replications", "4",
                                 "-s", "1", "-w", "1", "-o", str(tmp_path / "res")])
    assert result.exit_code == 0, result.output
    assert "cap reached" in result.stdout and "precision ±0.01 was NOT reached" in result.stdout
    assert json.loads((tmp_path / "res" / "summary.json").read_text())["replications"] == 4


@pytest.mark.parametrize("args, fragment", [
    (["--max-replications", "4"], "--max-replications applies with --precision only"),
    (["-r", "8", "--precision", "0.1", "--max-replications", "4"], "below the first look"),
])
def test_precision_flags_that_do_not_fit_are_refused(runner, tmp_path, args, fragment):
    path = _slow_desk(tmp_path)
    result = runner.invoke(app, ["run", str(path), "-w", "1", "-o", str(tmp_path / "res")] + args)
    _no_traceback(result)
    assert result.exit_code == 2 and fragment in result.stderr
    assert not (tmp_path / "res").exists()


def _machine_for(monkeypatch, scenario: Path, kept: float) -> None:
    """Memory for a run that holds ``kept`` replications' results (one worker): above it, refused."""
    import simsla.experiment.resources as resources
    from simsla.experiment.gate import flow
    from simsla.io import load_scenario

    sc = load_scenario(scenario)
    e = resources.estimate_resources(sc, flow(sc))
    free = (e.results_bytes * kept + e.memory_bytes) / resources.RUN_MEMORY_SHARE
    monkeypatch.setattr(resources, "available_memory", lambda: free)


@pytest.mark.parametrize("options, refused_for", [
    ([], None),  # streamed: two replications' results held at a time (one worker)
    (["--report"], "--report"),  # the report reads all 40 back
    (["-r", "4", "--report", "--precision", "0.05", "--max-replications", "40"], "--report"),  # up to the cap
])
def test_validate_makes_the_checks_run_makes_with_the_same_options(runner, tmp_path, monkeypatch, options, refused_for):
    # a machine with memory for 20 replications' results: the streamed run fits, the report of 40 does not
    # (the whole 28 days: a replication's results weigh next to its working memory)
    _machine_for(monkeypatch, ERLANG_C, kept=20)
    size = [] if "-r" in options else ["-r", "40"]
    checked = runner.invoke(app, ["validate", str(ERLANG_C), "-w", "1", *size, *options])
    _no_traceback(checked)
    if refused_for is None:
        assert checked.exit_code == 0, checked.stderr
        return
    assert checked.exit_code == 3, checked.stdout + checked.stderr
    assert f"all results held together for {refused_for}" in checked.stderr
    assert f"leave out {refused_for}" in checked.stderr
    out = tmp_path / "never"
    ran = runner.invoke(app, ["run", str(ERLANG_C), "-w", "1", "-s", "1", "-o", str(out), *size, *options])
    _no_traceback(ran)
    # run refuses it before simulating, with the very same words, and writes nothing
    assert ran.exit_code == 3 and ran.stderr == checked.stderr
    assert not out.exists()


def test_validate_refuses_volume_risk_without_busy_days_as_run_does(runner, short, tmp_path):
    checked = runner.invoke(app, ["validate", str(short), "--volume-risk"])
    ran = runner.invoke(app, ["run", str(short), "--volume-risk", "-o", str(tmp_path / "never")])
    assert checked.exit_code == ran.exit_code == 2
    assert "no demand stream has busy days" in checked.stderr and checked.stderr == ran.stderr


def test_volume_risk_holds_two_runs_of_results(monkeypatch):
    # --volume-risk compares a second run (without busy days) with the first: both runs' tables are held
    import simsla.experiment.resources as resources
    from simsla.experiment.gate import preflight
    from simsla.io import load_scenario

    _machine_for(monkeypatch, ERLANG_C, kept=30)
    sc = load_scenario(ERLANG_C)
    assert preflight(sc, replications=20, workers=1).refusals == []
    twice = preflight(sc, replications=20, workers=1, runs=2, held_for="--volume-risk").refusals
    assert [r.kind for r in twice] == ["resources"] and "2 runs of them side by side" in twice[0].message
    assert resources.RUN_MEMORY_SHARE < 1
