"""Terminal output never passes control characters through: they are shown as escapes (``\\x1b``)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

import simsla
from simsla.cli import app, say
from simsla.safe_text import guard, visible

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()
RAW = ("\x1b", "\x9b", "\x07", "\x08", "\r", "\x00", "\x7f", "\u202e", "\u2066")


@pytest.mark.parametrize("char, shown", [("\x1b", "\\x1b"), ("\x9b", "\\x9b"), ("\x7f", "\\x7f"), ("\x00", "\\x00"),
                                         ("\r", "\\x0d"), ("\u202e", "\\u202e"), ("\u2067", "\\u2067")])
def test_visible_escapes_each_kind_of_control_character(char, shown):
    assert visible(f"a{char}b") == f"a{shown}b"


def test_visible_keeps_layout_unless_one_line():
    assert visible("a\tb\nc") == "a\tb\nc"
    assert visible("a\tb\nc", one_line=True) == "a\\x09b\\x0ac"
    assert visible("Björkhamn — ✓ 20 %") == "Björkhamn — ✓ 20 %"


def _plain_console() -> Console:
    return Console(file=io.StringIO(), width=200, color_system=None)


def test_say_and_the_guarded_consoles_print_no_raw_control_character():
    console = _plain_console()
    say(console, "name \x1b[31mred\x1b]0;title\x07 \u202eevil", "error", "red")
    guarded = guard(_plain_console())
    table = Table("group \x1b[1m")
    table.add_row("cell \x1b[2J\x9b")
    guarded.print(table)
    guarded.print("markup-free \x1b[5m text", highlight=False)
    for printed in (console.file.getvalue(), guarded.file.getvalue()):
        assert not any(c in printed for c in RAW), repr(printed)
        assert "\\x1b" in printed


def test_fit_prints_no_escape_from_a_csv_value_or_column_name(tmp_path):
    text = (FIXTURES / "servicenow_sample.csv").read_text(encoding="utf-8")
    header, body = text.split("\n", 1)
    log = tmp_path / "esc.csv"
    log.write_text(header.replace("number", "number\x1b[8m") + "\n" + body.replace("Group 56", "Group\x1b[31m 56"),
                   encoding="utf-8")
    out = tmp_path / "fitted.yaml"
    result = runner.invoke(app, ["fit", str(log), "-f", "servicenow", "-o", str(out)])
    assert result.exit_code == 2, result.output   # the ticket column is now missing: named, the file's escaped
    assert "\x1b" not in result.output
    assert "'number' (ticket)" in result.output and "the file has 'number\\x1b[8m'" in result.output
    log.write_text(text.replace("Group 56", "Group\x1b[31m 56"), encoding="utf-8")
    result = runner.invoke(app, ["fit", str(log), "-f", "servicenow", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "control characters" in result.output and "\\x1b" in result.output
    written = out.read_text(encoding="utf-8")
    assert "\x1b" not in written and "Group\\x1b[31m 56" in written
    simsla.load_scenario(out)   # the escape is text: the fitted scenario loads


def test_an_error_quoting_a_path_with_an_escape_prints_it_escaped(tmp_path):
    log = tmp_path / "log\x1b[31m.csv"
    result = runner.invoke(app, ["fit", str(log), "-f", "calls", "-o", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "log\\x1b[31m.csv: no such file" in result.output


def test_a_scenario_name_with_an_escape_is_refused_without_printing_it_raw(tmp_path):
    spec = (Path(__file__).parent.parent / "scenarios" / "erlang-c.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    lines = spec.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("name:"))
    lines[index] = 'name: "desk \\e[31mred"'   # YAML's \e is ESC
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(bad)])
    assert "\x1b" not in result.output, repr(result.output)
    assert result.exit_code == 2, result.output
