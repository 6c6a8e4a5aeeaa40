"""Names reach figures and the report as written: ``$\\macro$`` is text, not mathtext, and never crashes.

Matplotlib reads an even number of ``$`` in a string as mathtext: ``$\\macro$``
raised while drawing, so ``run --report`` and ``simsla report`` crashed on
such a name, and ``$x^2$`` would have been typeset as a formula.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import pytest
import yaml
from matplotlib.text import Text
from rich.console import Console
from typer.testing import CliRunner

import simsla
from simsla.cli import app
from simsla.report import figures as F
from simsla.report.html import render
from simsla.report.tables import print_summary

SERVICE = r"$\macro$ mail"
GROUP = r"2nd $x^2$ line_{a} ~ #%"
SUPPLIER = r"vendor $\frac{a}{b}$"
AGREEMENT = r"SLA $\alpha$ <script>alert(1)</script>"
TARGET = r"P1 $\fix$ & 100$"
NAME = r"Desk $\macro$ Ünïcødé ✓ <b>bold</b>"
runner = CliRunner()


def odd_names_spec() -> dict:
    """A small desk whose every name holds dollars, backslashes, carets, markup and non-ASCII letters."""
    shifts = [{"days": "mon-fri", "hours": "08:00-17:00", "staff": 2}]
    return {
        "name": NAME, "start": "2026-01-05", "horizon": "2w", "warmup": "1w", "timezone": "Europe/Stockholm",
        "services": [{"name": SERVICE}, {"name": "web"}],
        "profiles": {"office": {"intervals": [{"days": "mon-fri", "hours": "08:00-17:00", "weight": 1}]}},
        "demand": [{"name": "calls $1$", "channel": "phone", "volume": "300/week", "profile": "office"},
                   {"name": "tickets", "channel": "portal", "volume": "150/week", "profile": "office"}],
        "patience": {"dist": "exponential", "mean": "2m"},
        "groups": [{"name": "desk", "role": "desk", "shifts": shifts, "handling": {"dist": "exponential", "mean": "5m"},
                    "first_contact_resolution": 0.5},
                   {"name": GROUP, "shifts": shifts, "handling": {"dist": "exponential", "mean": "20m"}}],
        "suppliers": [{"name": SUPPLIER, "response": {"dist": "exponential", "mean": "1h"},
                       "resolution": {"dist": "exponential", "mean": "3h"}}],
        "routing": [{"from": "desk", "to": {GROUP: 0.7, SUPPLIER: 0.3}}],
        "agreements": [
            {"name": AGREEMENT, "kind": "SLA", "period": "week", "targets": [
                {"name": "answer", "metric": "answer_time", "threshold": "20s", "fraction": 0.8},
                {"name": TARGET, "metric": "resolution", "threshold": "2h", "fraction": 0.9}]},
            {"name": "OLA", "kind": "OLA", "party": GROUP, "period": "week", "targets": [
                {"name": "resolution", "metric": "resolution", "threshold": "1h", "fraction": 0.9}]},
        ],
    }


@pytest.fixture(scope="module")
def results():
    return simsla.simulate(simsla.Scenario.model_validate(odd_names_spec()), replications=2, seed=3, workers=1)


def _figures(results) -> dict[str, matplotlib.figure.Figure]:
    table = F.with_margins(simsla.evaluate(results), results.scenario)
    summary = results.summary()
    profile = F.weekly_profile(results)
    import pandas as pd

    return {
        "traffic lights": F.traffic_light_figure(table),
        "breach grid": F.breach_grid_figure(table),
        "attainment": F.attainment_distribution_figure(table),
        "breach probability": F.breach_probability_figure(summary["targets"]),
        "attribution": F.attribution_figure(pd.DataFrame(summary["attribution"])),
        "load": F.load_figure(results, profile),
        "utilisation": F.utilisation_figure(results, profile),
        "staffing": F.staffing_figure(results.scenario),
    }


#: the names each figure must show, exactly as written
SHOWN = {"traffic lights": (AGREEMENT, TARGET), "breach grid": (TARGET,), "attainment": (TARGET,),
         "breach probability": (TARGET,), "attribution": (TARGET,), "load": (GROUP, NAME), "utilisation": (GROUP,)}


def test_every_figure_draws_and_shows_the_names_literally(results):
    for what, fig in _figures(results).items():
        fig.canvas.draw()                                     # raised ValueError on $\macro$ before
        fig.savefig(io.BytesIO(), format="png", dpi=50)
        texts = [t for t in fig.findobj(Text) if t.get_text()]
        shown = " | ".join(t.get_text() for t in texts)
        for name in SHOWN.get(what, ()):
            assert name in shown, f"{what}: {name!r} not shown as written in {shown!r}"
        for t in texts:
            if any(n in t.get_text() for n in (AGREEMENT, TARGET, GROUP, SUPPLIER, SERVICE, NAME)):
                assert not t.get_parse_math() and not t.get_usetex(), f"{what}: {t.get_text()!r} is parsed as math"


def test_numeric_log_ticks_keep_their_mathtext(results):
    fig = F.load_figure(results, F.weekly_profile(results))
    fig.canvas.draw()
    powers = [t for t in fig.findobj(Text) if "mathdefault" in t.get_text()]
    assert powers, "the log axis of the wait panel should have 10^n tick labels"
    assert all(t.get_parse_math() for t in powers)


def test_the_html_report_renders_and_escapes_the_names(results):
    page = render(results)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert r"$\macro$" in page and r"$\fix$ &amp; 100$" in page
    assert matplotlib.rcParams["text.usetex"] is False


def test_run_report_and_simsla_report_take_such_names(tmp_path):
    scenario = tmp_path / "odd.yaml"
    scenario.write_text(yaml.safe_dump(odd_names_spec(), allow_unicode=True), encoding="utf-8")
    out = tmp_path / "results"
    ran = runner.invoke(app, ["run", str(scenario), "-r", "2", "-s", "1", "-w", "1", "-o", str(out), "--report"])
    assert ran.exit_code in (0, 3), ran.output
    assert "Traceback" not in ran.output and (out / "report.html").is_file()
    (out / "report.html").unlink()
    again = runner.invoke(app, ["report", str(out)])
    assert again.exit_code == 0, again.output
    assert r"$\macro$" in (out / "report.html").read_text(encoding="utf-8")


def test_the_summary_tables_show_control_characters_as_escapes(results):
    summary = results.summary()
    summary["scenario"] = "desk\x1b[2J\x1b]0;owned\x07"
    summary["groups"][0]["name"] = "g\x9b31m\u202eevil"
    console = Console(file=io.StringIO(), width=200, color_system=None)
    print_summary(summary, console)
    printed = console.file.getvalue()
    assert "\x1b" not in printed and "\x9b" not in printed and "\u202e" not in printed
    assert "desk\\x1b[2J" in printed and "\\u202eevil" in printed


def test_fit_report_figures_take_group_names_with_dollars(tmp_path):
    fixture = Path(__file__).parent / "fixtures" / "servicenow_sample.csv"
    log = tmp_path / "tickets.csv"
    log.write_text(fixture.read_text(encoding="utf-8").replace("Group 70", r"Group $\macro$ 70"), encoding="utf-8")
    result = runner.invoke(app, ["fit", str(log), "-f", "servicenow", "-o", str(tmp_path / "fitted.yaml"),
                                 "--report", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert any(p.name.startswith("time_at_") for p in (tmp_path / "report").iterdir())   # the group's own figure
    assert r"Group $\macro$ 70" in (tmp_path / "fitted.yaml").read_text(encoding="utf-8")
