"""``simsla fit`` and ``simsla backtest`` refuse every malformed log with exit 2, the file and the problem named.

Each kind of bad file is generated in ``tmp_path`` from the committed samples,
for each ``--format`` (servicenow, calls, csv with a mapping), and run through
both commands: exit 2, the file named, the problem named, never a traceback.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from pathlib import Path
from typing import Callable

import pytest
from typer.testing import CliRunner

from simsla.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = {"servicenow": FIXTURES / "servicenow_sample.csv", "calls": FIXTURES / "bank_calls_sample.csv",
           "csv": FIXTURES / "servicenow_sample.csv"}
MAPPING = ("ticket: number\nopened_at: opened_at\nresolved_at: resolved_at\nupdated_at: sys_updated_at\n"
           "group: assignment_group\npriority: priority\ntime_format: '%d/%m/%Y %H:%M'\n")
TIME_COLUMNS = {"opened_at", "sys_updated_at", "resolved_at", "closed_at", "date"}
runner = CliRunner()


def _sample(format: str) -> str:
    return SAMPLES[format].read_text(encoding="utf-8")


def _rows(format: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_sample(format))))


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def _bad_dates(format: str) -> bytes:
    rows = _rows(format)
    cols = [i for i, c in enumerate(rows[0]) if c in TIME_COLUMNS]
    return _csv([rows[0]] + [[("yesterday" if i in cols else v) for i, v in enumerate(r)] for r in rows[1:]])


def _all_missing(format: str) -> bytes:
    header = _rows(format)[0]
    return _csv([header] + [["?"] * len(header) for _ in range(40)])


def _latin1(format: str) -> bytes:
    # a name with a non-ASCII letter, saved in Latin-1 as older exports are
    text = _sample(format).replace("Group 56", "Gruppe Ä").replace("GELBER", "MÜLLER")
    return text.encode("latin-1")


def _truncated_gz(format: str) -> bytes:
    whole = gzip.compress(_sample(format).encode())
    return whole[: len(whole) // 2]


#: kind -> (file name, bytes from the format's sample (None: a folder; "absent": nothing), words of the problem)
BAD: dict[str, tuple[str, Callable[[str], bytes | str | None], tuple[str, ...]]] = {
    "text named .gz": ("log.csv.gz", lambda f: _sample(f).encode(), ("not gzip-compressed", "rename")),
    "truncated gzip": ("log.csv.gz", _truncated_gz, ("truncated gzip",)),
    "empty file": ("log.csv", lambda f: b"", ("is empty",)),
    "blank lines only": ("log.csv", lambda f: b"\n\n  \n", ("is empty",)),
    "header only": ("log.csv", lambda f: _sample(f).splitlines(True)[0].encode(), ("header but no data rows",)),
    "all values missing": ("log.csv", _all_missing, ("no usable",)),
    "unparseable dates": ("log.csv", _bad_dates, ("no usable", "unparseable", "yesterday")),
    "binary junk": ("log.csv", lambda f: random.Random(7).randbytes(4000), ("binary data",)),
    "Latin-1 text": ("log.csv", _latin1, ("not UTF-8", "line 2")),
    "UTF-16 text": ("log.csv", lambda f: _sample(f).encode("utf-16"), ("UTF-16", "UTF-8")),
    "a folder": ("logs", lambda f: None, ("is a folder",)),
    "missing file": ("nope.csv", lambda f: "absent", ("no such file",)),
    "not CSV": ("log.csv", lambda f: (_sample(f).splitlines(True)[0] + 'a,"unterminated\n').encode(),
                ("not a readable CSV",)),
    "too few rows": ("log.csv", lambda f: "".join(_sample(f).splitlines(True)[:6]).encode(), ("too little data",)),
}
#: the other format's sample: wrong columns for the chosen --format
WRONG_FORMAT = {"servicenow": "calls", "calls": "servicenow", "csv": "calls"}
EXPECTED_COLUMN = {"servicenow": "'number' (ticket)", "calls": "'vru_entry'", "csv": "'number' (ticket)"}
EXPECTS = {"servicenow": "--format servicenow", "calls": "--format calls", "csv": "--mapping"}


def _write(tmp_path: Path, name: str, data: bytes | str | None) -> Path:
    path = tmp_path / name
    if data is None:
        path.mkdir()
    elif data != "absent":
        path.write_bytes(data)
    return path


def _invoke(command: str, log: Path, format: str, tmp_path: Path, mapping: Path | None = None):
    args = [command, str(log), "-f", format]
    args += ["-o", str(tmp_path / "out" / "fitted.yaml")] if command == "fit" else ["-r", "1", "-w", "1"]
    if format == "csv":
        mapping = mapping or tmp_path / "map.yaml"
        if not mapping.exists():
            mapping.write_text(MAPPING)
    if mapping is not None:
        args += ["--mapping", str(mapping)]
    return runner.invoke(app, args)


def _refused(result, file: Path, words: tuple[str, ...]) -> None:
    text = result.output
    assert result.exit_code == 2, text
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert str(file) in text, f"the file is not named: {text}"
    for word in words:
        assert word in text, f"{word!r} not in: {text}"


@pytest.mark.parametrize("command", ["fit", "backtest"])
@pytest.mark.parametrize("format", ["servicenow", "calls", "csv"])
@pytest.mark.parametrize("kind", list(BAD))
def test_a_malformed_log_is_refused_with_the_file_and_the_problem(tmp_path, command, format, kind):
    name, make, words = BAD[kind]
    log = _write(tmp_path, name, make(format))
    _refused(_invoke(command, log, format, tmp_path), log, words)
    assert not (tmp_path / "out" / "fitted.yaml").exists()


@pytest.mark.parametrize("command", ["fit", "backtest"])
@pytest.mark.parametrize("format", ["servicenow", "calls", "csv"])
def test_the_wrong_format_names_the_missing_columns_and_what_the_format_expects(tmp_path, command, format):
    log = _write(tmp_path, "log.csv", _sample(WRONG_FORMAT[format]).encode())
    result = _invoke(command, log, format, tmp_path)
    _refused(result, log, ("missing column(s)", EXPECTED_COLUMN[format], EXPECTS[format]))


def test_a_call_log_without_abandoned_calls_is_too_little_data_for_patience(tmp_path):
    rows = _rows("calls")
    outcome = rows[0].index("outcome")
    served = [r for r in rows[1:] if r[outcome] == "AGENT"]
    log = _write(tmp_path, "served.csv", _csv([rows[0]] + served))
    _refused(_invoke("fit", log, "calls", tmp_path), log, ("too little data", "abandoned", "patience"))


#: --mapping file content -> words of the problem (the mapping file is the one named)
BAD_MAPPINGS = {
    "not YAML": ("ticket: [number\n", ("not valid YAML",)),
    "a list": ("- number\n- opened_at\n", ("mapping of field: column", "list")),
    "unknown field": ("ticket: number\nopened: opened_at\n", ("unknown mapping field", "opened")),
    "required field missing": ("ticket: number\n", ("needs", "opened_at")),
    "a YAML boolean": ("ticket: number\nopened_at: yes\n", ("opened_at", "boolean")),
    "empty": ("", ("is empty",)),
}


@pytest.mark.parametrize("kind", list(BAD_MAPPINGS))
def test_a_malformed_mapping_is_refused_naming_the_mapping_file(tmp_path, kind):
    text, words = BAD_MAPPINGS[kind]
    mapping = tmp_path / "columns.yaml"
    mapping.write_text(text)
    _refused(_invoke("fit", SAMPLES["csv"], "csv", tmp_path, mapping), mapping, words)


def test_a_missing_mapping_file_and_no_mapping_for_csv_are_refused(tmp_path):
    absent = tmp_path / "absent.yaml"
    _refused(_invoke("fit", SAMPLES["csv"], "servicenow", tmp_path, absent), absent, ("no such file",))
    result = runner.invoke(app, ["fit", str(SAMPLES["csv"]), "-f", "csv", "-o", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and "--format csv needs --mapping" in result.output


def test_a_mapped_column_that_is_absent_is_named_with_its_field(tmp_path):
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("ticket: ticket_id\nopened_at: opened_at\n")
    _refused(_invoke("fit", SAMPLES["csv"], "csv", tmp_path, mapping), SAMPLES["csv"],
             ("missing column(s) 'ticket_id' (ticket)", "MAP.yaml"))


@pytest.mark.parametrize("format", ["servicenow", "calls"])
def test_good_logs_still_read_gzipped_and_with_a_bom_and_crlf(tmp_path, format):
    text = _sample(format)
    for name, data in (("log.csv.gz", gzip.compress(text.encode())),
                       ("log.csv", ("\ufeff" + text.replace("\n", "\r\n")).encode())):
        result = runner.invoke(app, ["fit", str(_write(tmp_path, name, data)), "-f", format,
                                     "-o", str(tmp_path / f"{name}.yaml")])
        assert result.exit_code == 0, result.output


def test_the_python_api_raises_a_log_error_naming_the_file(tmp_path):
    from simsla.fit import LogError, fit_log

    log = _write(tmp_path, "log.csv", b"")
    with pytest.raises(LogError) as caught:
        fit_log(log, "calls")
    assert caught.value.file == str(log) and caught.value.problem.startswith("is empty")


@pytest.mark.parametrize("format", ["servicenow", "calls"])
def test_a_backtest_of_a_given_scenario_on_a_handful_of_rows_is_too_little_data(tmp_path, format):
    fitted = tmp_path / "fitted.yaml"
    assert runner.invoke(app, ["fit", str(SAMPLES[format]), "-f", format, "-o", str(fitted)]).exit_code == 0
    log = _write(tmp_path, "few.csv", "".join(_sample(format).splitlines(True)[:3]).encode())
    result = runner.invoke(app, ["backtest", str(log), str(fitted), "-f", format, "-r", "1", "-w", "1"])
    _refused(result, log, ("too little data", "to compare a simulation with"))


def test_a_zip_of_one_log_is_read_and_a_zip_of_several_or_a_cut_one_is_named_as_such(tmp_path):
    import zipfile

    one, two = tmp_path / "one.zip", tmp_path / "two.zip"
    with zipfile.ZipFile(one, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(SAMPLES["calls"], "calls.csv")
    with zipfile.ZipFile(two, "w") as archive:
        archive.write(SAMPLES["calls"], "calls.csv")
        archive.write(SAMPLES["servicenow"], "tickets.csv")
    assert _invoke("fit", one, "calls", tmp_path).exit_code == 0
    _refused(_invoke("fit", two, "calls", tmp_path), two, ("zip archive of 2 files", "unzip"))
    cut = _write(tmp_path, "cut.zip", one.read_bytes()[:2000])
    _refused(_invoke("fit", cut, "calls", tmp_path), cut, ("damaged or truncated zip",))


def test_a_log_that_decompresses_past_the_bound_is_refused_before_parsing(tmp_path, monkeypatch):
    from simsla.fit import reading

    monkeypatch.setattr(reading, "MAX_BYTES", 4096)   # the bound stops a decompression bomb the same way
    log = _write(tmp_path, "calls.csv.gz", gzip.compress(_sample("calls").encode()))
    _refused(_invoke("fit", log, "calls", tmp_path), log, ("more than", "MiB", "shorter period"))
