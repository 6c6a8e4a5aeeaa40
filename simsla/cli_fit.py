"""``simsla fit`` and ``simsla backtest``: scenarios from real records, and whether they behave like them."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from simsla.cli import _interruptible, app, err, out, say

#: every scenario `simsla fit` writes says so near its start; an existing -o file without it is not overwritten
FITTED_BY = "Fitted by `simsla fit`"


def _refuse(problem: object) -> None:
    """One line naming the file and the problem, exit 2 (a log or mapping that cannot be used)."""
    say(err, problem, "error", "red")
    raise typer.Exit(2)


def _log_and_format(log: Path, format: str) -> None:
    """Exit 2 before any work for an unknown --format or a log path that is not a readable file."""
    from simsla.fit import FORMATS
    from simsla.fit.reading import LogError, check_file

    if format not in FORMATS:
        _refuse(f"--format {format}: unknown log format; use one of {', '.join(FORMATS)}")
    try:
        check_file(log)
    except LogError as exc:
        _refuse(exc)


def _mapping(path: Optional[Path], format: str):
    """The --mapping file read and checked; its problems name the mapping file, not the log."""
    if path is None:
        if format == "csv":
            _refuse("--format csv needs --mapping MAP.yaml: which column holds each field (at least ticket and "
                    "opened_at; see `simsla.fit.csvlog`)")
        return None
    from simsla.fit import csvlog, servicenow
    from simsla.io import ScenarioError, read_yaml

    try:
        data, _ = read_yaml(path)
    except ScenarioError as exc:
        for problem in exc.problems:
            say(err, problem, "error", "red")
        raise typer.Exit(2) from None
    if data is None:
        _refuse(f"{path}: is empty; a column mapping has one `field: column` line per field (at least ticket and "
                "opened_at)")
    try:
        csvlog.load_mapping({**servicenow.MAPPING, **data} if format == "servicenow" and isinstance(data, dict) else data)
    except ValueError as exc:
        _refuse(f"{path}: {exc}")
    return data


def _window(window: Optional[str], format: str) -> None:
    """Exit 2 for a --window that is not START..END, or one given for a log that is not a ticket log."""
    if window is None:
        return
    if format not in ("servicenow", "csv"):
        _refuse(f"--window {window}: applies to ticket logs (--format servicenow or csv), not --format {format}")
    if window.strip().lower() in ("all", "whole", "detected"):
        return
    from simsla.fit.stationary import parse_window

    try:
        parse_window(window)
    except ValueError as exc:
        _refuse(exc)


def _fit_problem(log: Path, exc: ValueError) -> None:
    """A log that cannot be fitted or back-tested: exit 2 with the file and the problem."""
    from simsla.fit.reading import LogError

    _refuse(exc if isinstance(exc, LogError) else f"{log}: {exc}")


@app.command()
def fit(
    log: Path = typer.Argument(..., help="ticket export or call log (CSV, may be gzipped)"),
    format: str = typer.Option(..., "--format", "-f", help="servicenow | calls | csv | counts"),
    output: Path = typer.Option(..., "--output", "-o", help="scenario file to write (YAML)"),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="csv: YAML file mapping columns to fields"),
    report_dir: Optional[Path] = typer.Option(None, "--report", help="folder for the fit report (tables, figures)"),
    window: Optional[str] = typer.Option(None, "--window", help="tickets: fit the tickets opened START..END (dates; "
                                         "`all` = the whole log; default: the detected stationary window)"),
) -> None:
    """Fit a scenario to a log; write it (commented) and a fit report."""
    from simsla.fit import fit_log

    _log_and_format(log, format)
    log_mapping = _mapping(mapping, format)
    _window(window, format)
    from simsla.cli import _output_folder, _writing
    from simsla.outputs import check_output_file

    folder = report_dir or output.with_suffix("").with_name(output.stem + "-fit")
    with _writing(output):  # before fitting: never overwrite a file or folder simsla did not write
        check_output_file(output, FITTED_BY)
    _output_folder(folder, "fit")
    try:
        with _interruptible(output):
            result = fit_log(log, format, log_mapping, window=window)
    except ValueError as exc:
        _fit_problem(log, exc)
    text = result.scenario_yaml()
    with _interruptible(output), _writing(output):
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(f".{output.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
        _output_folder(folder, "fit", claim=True)
        written = result.write_report(folder)
    quality = result.quality_frame()
    say(out, f"scenario written to {output}; fit report in {folder}/ ({len(written)} files)")
    if len(quality):
        out.print("data problems found (see the report):", highlight=False)
        say(out, quality.to_string(index=False))


@app.command()
def backtest(
    log: Path = typer.Argument(..., help="the log the scenario should reproduce"),
    scenario: Optional[Path] = typer.Argument(None, help="scenario file (default: fit one from the log)"),
    format: str = typer.Option(..., "--format", "-f", help="servicenow | calls | csv"),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="csv: YAML file mapping columns to fields"),
    replications: int = typer.Option(5, "--replications", "-r", min=1),
    seed: int = typer.Option(1, "--seed", "-s", min=0),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="folder for backtest.csv/json"),
    holdout: Optional[str] = typer.Option(None, "--holdout", help="counts: the last weeks to predict, e.g. 4w "
                                          "(fitted on the rest; default 4w); tickets: the last span to "
                                          "predict at the end of the fit window, fitted on the window before it"),
    window: Optional[str] = typer.Option(None, "--window", help="tickets: compare (and fit) the tickets opened "
                                         "START..END (default: the detected stationary window; `all`: the whole log)"),
) -> None:
    """Simulate a scenario over the log's span; observed vs simulated, with relative errors."""
    from simsla.cli import _load
    from simsla.fit import backtest as run_backtest

    from simsla.cli import _output_folder, _writing

    if out_dir is not None:
        _output_folder(out_dir, "backtest")  # before simulating
    _log_and_format(log, format)
    log_mapping = _mapping(mapping, format)
    _window(window, format)
    model = _load(scenario) if scenario is not None else None
    held = None
    if holdout is not None:
        from simsla.model.units import parse_duration

        try:
            held = parse_duration(holdout)
        except ValueError as exc:
            _refuse(f"--holdout {holdout}: {exc}")
        if format == "calls":
            _refuse("--holdout applies to --format counts and ticket logs (servicenow, csv); --format calls compares "
                    "the whole log")
    try:
        with _interruptible(out_dir or Path(".")):
            result = run_backtest(log, format, model, replications=replications, seed=seed, workers=workers,
                                  mapping=log_mapping, holdout=held, window=window)
    except ValueError as exc:
        _fit_problem(log, exc)
    say(out, result.table().to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    for note in ([f"in-sample: {n}" for n in result.insample.notes[:1]] if result.insample else []) + result.notes:
        say(out, note)
    if result.utilisation:
        say(out, "fitted utilisation: " + ", ".join(f"{g} {u:.0%}" for g, u in result.utilisation.items()))
    if out_dir is not None:
        with _interruptible(out_dir), _writing(out_dir):
            _output_folder(out_dir, "backtest", claim=True)
            result.write(out_dir)
        say(out, f"written to {out_dir}/")
