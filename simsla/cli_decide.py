"""``simsla erlang``, ``simsla frontier`` and ``simsla report``: decisions and pictures on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from simsla.cli import _interruptible, _LateProgress, _load, app, err, out
from simsla.model.units import format_duration


@app.command()
def erlang(
    rate: Optional[str] = typer.Option(None, "--rate", help="arrival rate, e.g. 200/h"),
    aht: Optional[str] = typer.Option(None, "--aht", help="mean handling time, e.g. 3m"),
    agents: Optional[list[int]] = typer.Option(None, "--agents", help="agent count(s) to report (repeatable)"),
    threshold: Optional[str] = typer.Option(None, "--threshold", help="answer-time threshold, e.g. 20s"),
    target: Optional[float] = typer.Option(None, "--target", min=0.0, max=1.0, help="share within the threshold, e.g. 0.8"),
    patience: Optional[str] = typer.Option(None, "--patience", help="callers' mean patience (Erlang A), e.g. 2m"),
    max_abandon: Optional[float] = typer.Option(None, "--max-abandon", help="largest acceptable abandonment share"),
    scenario: Optional[Path] = typer.Option(None, "--scenario", help="instead: the desk's requirement per hour of week"),
) -> None:
    """Erlang C/A quick answers: service level for agents, agents for a service level.

    Assumes a stationary interval, exponential handling (and patience), one
    pool and no escalations; simulate for anything beyond that.
    """
    from simsla.decide.erlang import desk_requirement
    from simsla.decide.erlang import erlang as calculator

    try:
        if scenario is not None:
            model = _load(scenario)
            table = desk_requirement(model, threshold or "20s", target or 0.8)
            out.print(table.to_string(index=False), highlight=False)
            return
        if rate is None or aht is None:
            err.print("give --rate and --aht (or --scenario FILE)", highlight=False)
            raise typer.Exit(2)
        report = calculator(rate, aht, agents=agents or None, threshold=threshold, target=target,
                            patience=patience, max_abandon=max_abandon)
    except ValueError as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    inputs = report.inputs
    out.print(f"{inputs.get('model', 'Erlang C')}: {inputs['rate_per_hour']:g} contacts/h, "
              f"AHT {format_duration(inputs['aht_seconds'])}", highlight=False)
    if report.required_agents is not None:
        out.print(f"agents needed for {100 * target:g} % within {threshold}: [bold]{report.required_agents}[/bold]")
    table = Table()
    frame = report.to_frame()
    for col in frame.columns:
        table.add_column(str(col), justify="right")
    for row in frame.itertuples(index=False):
        table.add_row(*[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row])
    out.print(table)


@app.command()
def frontier(
    scenario: Path = typer.Argument(..., help="scenario file (YAML)"),
    target: str = typer.Option(..., "--target", "-t", help="AGREEMENT/TARGET, e.g. 'SLA Almvik/P1 resolution'"),
    confidence: float = typer.Option(0.9, "--confidence", min=0.5, max=0.999, help="probability of meeting it per period"),
    replications: int = typer.Option(20, "--replications", "-r", min=1),
    seed: Optional[int] = typer.Option(None, "--seed", "-s"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1),
    out_dir: Path = typer.Option(Path("frontier"), "--out", "-o", help="folder for frontier.csv/json and the figure"),
) -> None:
    """The defensible offer for a target: tightest threshold, highest fraction, and the curve between."""
    from simsla.decide._common import readable_duration
    from simsla.decide.frontier import frontier as compute
    from simsla.experiment import simulate
    from simsla.report.figures_targets import frontier_figure

    model = _load(scenario)
    if "/" not in target:
        err.print("--target is AGREEMENT/TARGET, e.g. 'SLA Almvik/P1 resolution'", highlight=False)
        raise typer.Exit(2)
    agreement, name = target.split("/", 1)
    progress = _LateProgress(f"simulating {model.name}")
    try:
        with _interruptible(out_dir):
            results = simulate(model, replications=replications, seed=seed, workers=workers, progress=progress)
    finally:
        progress.close()
    try:
        found = compute(results, agreement.strip(), name.strip(), confidence)
    except (KeyError, ValueError) as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    out.print(f"[bold]{agreement} / {name}[/bold] at {confidence:.0%} confidence per {found.period} "
              f"({found.periods} replication-periods)")
    out.print(f"  as agreed ({100 * found.fraction:g} % within {format_duration(found.threshold)}): "
              f"breach probability {100 * found.breach_probability:.0f} %", highlight=False)
    tight = found.tightest_threshold
    out.print("  tightest threshold at that fraction: "
              + ("none defended" if tight is None else f"{readable_duration(tight)} of business time"), highlight=False)
    high = found.highest_fraction
    out.print("  highest fraction at that threshold: " + ("none defended" if high is None else f"{100 * high:.1f} %"),
              highlight=False)
    folder = found.save(out_dir)
    fig = frontier_figure(found, confidence)
    fig.savefig(Path(folder) / "frontier.png", dpi=110, bbox_inches="tight")
    out.print(f"written to {folder}/ (frontier.csv, frontier.json, frontier.png)", highlight=False)


@app.command()
def report(folder: Path = typer.Argument(..., help="a results folder written by `simsla run`")) -> None:
    """Write a self-contained report.html into a results folder."""
    from simsla.experiment import Results
    from simsla.report.html import write_report

    try:
        results = Results.load(folder)
    except FileNotFoundError as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    path = write_report(results, folder)
    out.print(f"report written to {path}", highlight=False)
