"""The ``simsla`` command line."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from simsla.entry import Terminated, exit_status, mark_reported
from simsla.io import ScenarioError, json_schema, load_scenario
from simsla.safe_text import guard, visible

app = typer.Typer(add_completion=False, no_args_is_help=True, help="simsla: can the service levels on the table be kept?")
# guarded: whatever they print, control characters from user text are shown as escapes (\x1b), never obeyed
out = guard(Console(width=None if sys.stdout.isatty() else 160))
err = guard(Console(stderr=True, width=None if sys.stderr.isatty() else 160))


def say(console: Console, text: object, label: str | None = None, style: str | None = None) -> None:
    """Print text that may come from the user literally (never as rich markup, control characters shown as
    escapes such as ``\\x1b``), after an optional coloured label."""
    line = Text()
    if label:
        line.append(label, style=style)
        line.append(" ")
    line.append(visible(text))
    console.print(line, highlight=False, soft_wrap=True)


def _load(path: Path, backlog: Path | None = None):
    """The scenario (exit 2 with its problems); ``backlog``: start from these open tickets, without a warm-up."""
    try:
        model = load_scenario(path, backlog=backlog)
    except ScenarioError as exc:
        for problem in exc.problems:
            say(err, problem, "error", "red")
        err.print(f"{len(exc.problems)} problem(s); nothing was simulated.", highlight=False)
        raise typer.Exit(2) from None
    if backlog is not None and model.warmup > 0:
        from simsla.model.units import format_duration

        say(err, f"--backlog: the run starts from the {sum(e.size for e in model.backlog)} open tickets of {backlog} "
                 f"at {model.start} 00:00; the scenario's warm-up ({format_duration(model.warmup)}) is not simulated",
            "note", "cyan")
        model = model.model_copy(update={"warmup": 0.0})
    return model


BACKLOG_HELP = ("start from the open tickets of this CSV (opened, party, priority, ...; see docs/scenarios.md, "
                "'Starting from a backlog'), in place of the scenario's own backlog, without a warm-up")


def gate(model, *, force: bool = False, replications: int = 1, workers: int | None = 1, held: int | None = None,
         runs: int = 1, held_for: str | None = None):
    """The pre-simulation gate (``simsla.experiment.gate.preflight``), shared by every command that simulates.

    Prints each warning and each refusal on one line (stderr) and ends the
    command with exit 3 when a refusal stands.  ``force`` (``run --force``;
    the staffing search and sweeps, which change staff and volumes themselves)
    lifts the overload refusals only: too much work, trapped tickets, endless
    outages and a supplier that never works stop every command.  The run's
    size (``replications``, ``workers``; None: all cores) sets how much of its
    results the memory must hold (``held`` replications at a time for a run
    streamed to disk; ``runs`` such runs side by side; ``held_for``: the
    option that holds them all, named in a refusal).
    """
    import os

    from simsla.experiment.gate import preflight

    checked = preflight(model, replications=replications, workers=workers or os.cpu_count() or 1, held=held,
                        runs=runs, held_for=held_for)
    for caution in checked.warnings:
        say(err, caution, "warning", "yellow")
    for refusal in checked.refusals:
        say(err, refusal, "overloaded" if refusal.kind == "overload" else "refused", "red")
    blocking = checked.blocking(force)
    if blocking:
        if any(r.forceable for r in blocking):
            err.print("These queues would grow for as long as the run lasts; add staff or lower the volume.",
                      highlight=False)
        if all(r.forceable for r in blocking):
            err.print("Nothing was simulated (`simsla run --force` simulates anyway: the run is then marked "
                      "unstable when a queue keeps growing).", highlight=False)
        else:
            err.print("Nothing was simulated: this scenario cannot be simulated as it stands (--force does not "
                      "change that).", highlight=False)
        raise typer.Exit(3)
    return checked


class _LateProgress:
    """A progress bar on stderr that appears only once a run has taken a couple of seconds."""

    def __init__(self, label: str, delay: float = 2.0):
        self.label, self.delay, self.t0 = label, delay, time.monotonic()
        self.bar: Progress | None = None
        self.task = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None and time.monotonic() - self.t0 >= self.delay and done < total:
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        if self.bar is not None:
            self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextlib.contextmanager
def _interruptible(out_dir: Path):
    """Ctrl-C (exit 130) and SIGTERM (exit 143) end the command with a one-line message, never a traceback.

    Results are written atomically, so ``out_dir`` holds either the previous
    complete run or nothing new; the worker processes are stopped on the way
    out (``simsla.experiment.workers``).
    """
    try:
        yield
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        say(err, f"{what}: nothing new was written to {out_dir}")
        mark_reported()
        raise typer.Exit(exit_status(exc)) from None


def _output_folder(path: Path, kind: str, *, claim: bool = False) -> Path:
    """``simsla.outputs.check_output_folder`` (or ``claim_output_folder``) for ``-o``: exit 2 with its message."""
    from simsla.outputs import check_output_folder, claim_output_folder

    with _writing(path):
        (claim_output_folder if claim else check_output_folder)(path, kind)
    return path


@contextlib.contextmanager
def _claimed(path: Path, kind: str):
    """Claim ``path`` as simsla's ``kind`` of folder for a command that writes into it as it goes;
    if the command fails or is stopped before writing anything, a folder made here is removed again."""
    from simsla.outputs import release_output_folder

    existed = Path(path).exists()
    _output_folder(path, kind, claim=True)
    try:
        yield
    except BaseException:
        if not existed:
            release_output_folder(path)
        raise


@contextlib.contextmanager
def _writing(path: Path):
    """A folder simsla must not or cannot write into ends the command with one line and exit 2."""
    from simsla.outputs import OutputFolderError

    try:
        yield
    except OutputFolderError as exc:
        say(err, exc, "error", "red")
        raise typer.Exit(2) from None
    except OSError as exc:
        say(err, f"{path}: cannot be written ({exc.strerror or exc}); choose another folder", "error", "red")
        raise typer.Exit(2) from None


@contextlib.contextmanager
def _executor(cluster: str | None, workers: int | None = None, *, own_pool: bool = False):
    """The executor for ``--cluster``; without one, None (the command opens its own pool) or,
    with ``own_pool``, a pool of ``workers`` processes that die with this one (for code that opens
    plain pools itself).  Only failures to open it are reported as a cluster problem (exit 2).
    """
    if cluster is None:
        count = workers or os.cpu_count() or 1
        if not own_pool or count <= 1:
            yield None
            return
        spec = f"processes:{count}"
    else:
        spec = "local" if cluster == "local" else cluster
    from simsla.decide.executors import make_executor

    with contextlib.ExitStack() as stack:
        try:
            executor = stack.enter_context(make_executor(spec))
        except (ValueError, OSError) as exc:
            say(err, f"cluster {cluster!r}: {exc}", "error", "red")
            raise typer.Exit(2) from None
        yield executor


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="scenario file (YAML)"),
    replications: int = typer.Option(10, "--replications", "-r", min=1, help="independent runs of the horizon"),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", min=0, help="root seed, 0 or more (default: a fresh one, recorded)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, help="processes (default: all cores)"),
    out_dir: Path = typer.Option(Path("results"), "--out", "-o",
                                 help="results folder: new, empty, or an earlier simsla result (replaced)"),
    force: bool = typer.Option(False, "--force", help="simulate even when the analytic load says a queue cannot settle"),
    report: bool = typer.Option(False, "--report", help="also write report.html into the results folder"),
    cluster: Optional[str] = typer.Option(None, "--cluster", help="run replications on a Dask cluster: tcp://HOST:PORT, or 'local'"),
    volume_risk: bool = typer.Option(False, "--volume-risk", help="also simulate without the busy-day factors (same "
                                     "seed): how much of each target's breach risk is volume uncertainty "
                                     "(volume_risk.csv, a report section)"),
    precision: Optional[float] = typer.Option(
        None, "--precision", min=0.001, max=0.25,
        help="run replications in looks (the first of -r) until every target's breach probability is decided "
             "(its 95 % interval on one side of the risk line) or known to ± this half-width, e.g. 0.03"),
    max_replications: Optional[int] = typer.Option(
        None, "--max-replications", min=1, help="with --precision: the cap on replications (default 64)"),
    backlog: Optional[Path] = typer.Option(None, "--backlog", help=BACKLOG_HELP),
) -> None:
    """Simulate SCENARIO, print the summary and write the results folder (exit 3 when a queue cannot settle).

    With --precision, replications run in looks of -r, 2r, 4r ... up to
    --max-replications and stop once every target is decided or precise
    enough (the README says how the intervals stay valid).
    """
    from simsla.engine.arrivals import ResourceLimit
    from simsla.experiment import simulate
    from simsla.report.tables import print_summary

    _output_folder(out_dir, "results")  # before any work: never simulate for a folder that cannot take the results
    model = _load(scenario, backlog)
    cap = run_checks(scenario, model, replications=replications, workers=workers, force=force, cluster=cluster,
                     report=report, volume_risk=volume_risk, precision=precision, max_replications=max_replications)
    # streamed: each replication's tables go to disk as it completes (a few held at a time); --volume-risk
    # compares two runs' tables in memory, so it keeps the in-memory path
    streamed = not volume_risk
    progress = _LateProgress(f"simulating {escape(visible(model.name, one_line=True))}")
    to = out_dir if streamed else None
    try:
        with _interruptible(out_dir), _writing(out_dir) if streamed else contextlib.nullcontext(), \
                _executor(cluster) as executor:
            if cap is None:
                results = simulate(model, replications=replications, seed=seed, workers=workers, progress=progress,
                                   executor=executor, out=to)
            else:
                from simsla.experiment.sequential import simulate_sequential

                looks = len(_plan(precision, replications, cap).looks)
                results = simulate_sequential(model, precision, replications, cap, seed=seed, workers=workers,
                                              executor=executor, progress=progress,
                                              on_look=lambda look: say(err, look.line(looks)), out=to)
            if volume_risk:  # the same seed without the busy-day factors (simsla.decide.volume)
                from simsla.decide.volume import volume_risk_of

                progress.close()
                progress = _LateProgress(f"simulating {escape(visible(model.name, one_line=True))} without busy days")
                results.extra["volume_risk"] = volume_risk_of(results, workers=workers, progress=progress,
                                                              executor=executor)
    except ResourceLimit as exc:  # a draw far above the gate's estimate: stop cleanly, nothing written
        say(err, exc, "refused", "red")
        err.print("Nothing was written.", highlight=False)
        raise typer.Exit(3) from None
    finally:
        progress.close()
    with _interruptible(out_dir), _writing(out_dir):
        folder = results.folder if streamed else results.save(out_dir)
        if report:
            from simsla.report.html import write_report

            # the report draws from every table: they are read back into memory for it
            write_report(results.load() if streamed else results, folder)
    summary = results.summary()
    print_summary(summary, out)
    if "sequential" in summary:
        _print_sequential(summary["sequential"])
    if volume_risk:
        from simsla.report.tables import print_volume_risk

        print_volume_risk(results.extra["volume_risk"], out,
                          title="How much of the risk is volume uncertainty: breach probability with busy days / without")
    written = ("summary.json, tickets, segments, utilization" + (", volume_risk.csv" if volume_risk else "")
               + (", report.html" if report else ""))
    say(out, f"results written to {folder}/ ({written})")
    if summary["unstable"]:
        raise typer.Exit(3)


def _plan(precision: float, first: int, cap: int):
    from simsla.experiment.sequential import Plan

    return Plan(precision, first, cap)


def run_checks(path: Path, model, *, replications: int, workers: int | None, force: bool = False,
               cluster: str | None = None, report: bool = False, volume_risk: bool = False,
               precision: float | None = None, max_replications: int | None = None) -> int | None:
    """Every check ``simsla run`` makes with these options before it simulates; ``validate`` calls it too.

    The options that shape the run shape the checks: ``--precision`` may go
    on to ``--max-replications``; a run streamed to disk holds a few
    replications' results at a time, but ``--report`` reads every table back
    for the report and ``--volume-risk`` holds two runs' tables (with and
    without busy days) side by side; on a cluster the workers' memory is
    theirs.  Exit 2 for options that do not fit, 3 for a refusal.  Returns
    the ``--precision`` cap (None without it).
    """
    from simsla.experiment.runner import stream_window

    if volume_risk:
        from simsla.decide.volume import has_busy_days

        if not has_busy_days(model):
            say(err, f"{path}: --volume-risk: no demand stream has busy days (busy_days with cv > 0): there is "
                     "no volume uncertainty to measure", "error", "red")
            raise typer.Exit(2)
    cap = _sequential_cap(precision, max_replications, replications, model)
    held, runs, held_for = stream_window(workers or os.cpu_count() or 1), 1, None
    if volume_risk:
        held, runs, held_for = None, 2, "--volume-risk"
    elif report:
        held, held_for = None, "--report"
    gate(model, force=force, replications=cap or replications, workers=1 if cluster else workers, held=held,
         runs=runs, held_for=held_for)
    return cap


def _sequential_cap(precision: float | None, max_replications: int | None, first: int, model=None) -> int | None:
    """The cap on replications of a ``--precision`` run (None without one); exit 2 for flags that do not fit."""
    from simsla.experiment.sequential import DEFAULT_MAX_REPLICATIONS

    if precision is None:
        if max_replications is not None:
            say(err, "--max-replications applies with --precision only", "error", "red")
            raise typer.Exit(2)
        return None
    cap = DEFAULT_MAX_REPLICATIONS if max_replications is None else max_replications
    if cap < first:
        say(err, f"--max-replications {cap} is below the first look (-r {first})", "error", "red")
        raise typer.Exit(2)
    if model is not None and not model.agreements:
        say(err, "--precision judges the targets' breach probabilities, and this scenario has no agreements",
            "error", "red")
        raise typer.Exit(2)
    return cap


def _print_sequential(seq: dict) -> None:
    """How many replications a ``--precision`` run used and why it stopped (the cap said out loud)."""
    if seq.get("stopped") == "cap reached":
        say(out, seq["headline"], "cap reached", "red")
    else:
        say(out, seq["headline"], "precision", "green")
    say(out, f"rule: {seq['rule']}")


@app.command()
def check(
    scenario: Path = typer.Argument(..., help="scenario file (YAML)"),
    min_share: float = typer.Option(0.01, "--min-share", min=0.0, max=1.0,
                                    help="paths taken by fewer tickets than this share are counted, not judged"),
) -> None:
    """Is every SLA target covered by OLAs and UCs along every escalation path? (exit 0 covered, 1 gaps, 2 invalid)"""
    from simsla.analysis.coverage import check as coverage

    model = _load(scenario)
    verdicts = coverage(model, min_share=min_share)
    if not verdicts:
        out.print("no SLA resolution targets to check", highlight=False)
    for v in verdicts:
        colour = "green" if v.verdict == "covered" else "red"
        say(out, f" {v.agreement} / {v.target}  ({v.paths} escalation paths)", v.verdict, colour)
        for p in v.problems:
            say(out, f"    {p}")
        if v.minor_paths:
            out.print(f"    ({v.minor_paths} rarer paths, each under {min_share:.0%} of the tickets, not judged; "
                      f"{v.minor_with_gaps} of them have gaps)", highlight=False)
    if any(v.verdict != "covered" for v in verdicts):
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    sys.stdout.write(json_schema() + "\n")


@app.command()
def validate(
    scenario: Path = typer.Argument(..., help="scenario file (YAML)"),
    replications: int = typer.Option(10, "--replications", "-r", min=1, help="as for `run`: the run's size to check"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, help="as for `run` (default: all cores)"),
    backlog: Optional[Path] = typer.Option(None, "--backlog", help="as for `run`: " + BACKLOG_HELP),
    force: bool = typer.Option(False, "--force", help="as for `run`: overloaded queues are reported, not refused"),
    report: bool = typer.Option(False, "--report", help="as for `run` (the report reads every table back into memory)"),
    cluster: Optional[str] = typer.Option(None, "--cluster", help="as for `run` (not contacted: the memory is "
                                          "checked as a cluster run needs it)"),
    volume_risk: bool = typer.Option(False, "--volume-risk", help="as for `run` (two runs' tables held together)"),
    precision: Optional[float] = typer.Option(None, "--precision", min=0.001, max=0.25,
                                              help="as for `run`: the checks cover --max-replications"),
    max_replications: Optional[int] = typer.Option(None, "--max-replications", min=1, help="as for `run`"),
) -> None:
    """Check a scenario file without simulating it: every check `run` makes with the same options
    (exit 2 invalid, 3 refused)."""
    model = _load(scenario, backlog)
    run_checks(scenario, model, replications=replications, workers=workers, force=force, cluster=cluster,
               report=report, volume_risk=volume_risk, precision=precision, max_replications=max_replications)
    say(out, f"{scenario}: valid — {model.name}")


# the other commands live in their own modules and register on `app`
from simsla import cli_decide, cli_fit  # noqa: E402,F401


def main() -> None:  # pragma: no cover - console entry point
    from simsla.entry import handle_sigterm, run_app

    handle_sigterm()
    run_app(app)


if __name__ == "__main__":  # pragma: no cover
    main()
