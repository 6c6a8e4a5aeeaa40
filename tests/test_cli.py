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


def test_run_replaces_the_output_folder(runner, short, tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (out / "old.txt").write_text("old")
    result = runner.invoke(app, ["run", str(short), "--replications", "1", "--seed", "2", "--workers", "1",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert not (out / "old.txt").exists()
    assert json.loads((out / "summary.json").read_text())["seed"] == 2


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
