"""``simsla fit`` and ``simsla backtest`` on the committed samples of the real logs."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import simsla
from simsla.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


def test_fit_calls_writes_a_scenario_that_loads_and_a_report(tmp_path):
    out = tmp_path / "calls.yaml"
    result = runner.invoke(app, ["fit", str(FIXTURES / "bank_calls_sample.csv"), "-f", "calls", "-o", str(out),
                                 "--report", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    scenario = simsla.load_scenario(out)
    assert any(d.channel == "phone" for d in scenario.demand)
    assert any((tmp_path / "report").iterdir())


def test_fit_tickets_and_backtest(tmp_path):
    out = tmp_path / "tickets.yaml"
    result = runner.invoke(app, ["fit", str(FIXTURES / "servicenow_sample.csv"), "-f", "servicenow", "-o", str(out)])
    assert result.exit_code == 0, result.output
    simsla.load_scenario(out)
    bt = runner.invoke(app, ["backtest", str(FIXTURES / "bank_calls_sample.csv"), "-f", "calls", "-r", "2", "-w", "1"])
    assert bt.exit_code == 0, bt.output
    assert "abandonment share" in bt.output


def test_fit_errors_are_clear(tmp_path):
    missing = runner.invoke(app, ["fit", str(tmp_path / "nope.csv"), "-f", "calls", "-o", str(tmp_path / "x.yaml")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    bad = runner.invoke(app, ["fit", str(FIXTURES / "bank_calls_sample.csv"), "-f", "excel", "-o", str(tmp_path / "x.yaml")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_fit_window_option_and_its_errors(tmp_path):
    sample = str(FIXTURES / "servicenow_sample.csv")
    out = str(tmp_path / "w.yaml")
    ok = runner.invoke(app, ["fit", sample, "-f", "servicenow", "-o", out, "--window", "all"])
    assert ok.exit_code == 0, ok.output
    assert "Fit window (whole log)" in Path(out).read_text()
    for window, says in (("2016-03-01", "START..END"), ("2016-13-01..", "must be dates"),
                         ("2030-01-01..2030-02-01", "holds no tickets")):
        bad = runner.invoke(app, ["fit", sample, "-f", "servicenow", "-o", out, "--window", window])
        assert bad.exit_code == 2 and says in bad.output and "Traceback" not in bad.output, bad.output
    calls = runner.invoke(app, ["fit", str(FIXTURES / "bank_calls_sample.csv"), "-f", "calls", "-o", out,
                                "--window", "all"])
    assert calls.exit_code == 2 and "ticket logs" in calls.output
