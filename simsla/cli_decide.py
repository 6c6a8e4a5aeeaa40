"""``simsla erlang``, ``simsla frontier`` and ``simsla report``: decisions and pictures on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from rich.markup import escape
from rich.text import Text

from simsla.cli import _interruptible, _LateProgress, _load, app, err, gate, out, say
from simsla.model.units import format_duration


@app.command()
def erlang(
    rate: Optional[str] = typer.Option(None, "--rate", help="arrival rate, e.g. 200/h"),
    aht: Optional[str] = typer.Option(None, "--aht", help="mean handling time, e.g. 3m"),
    agents: Optional[list[int]] = typer.Option(None, "--agents", help="agent count(s) to report (repeatable)"),
    threshold: Optional[str] = typer.Option(None, "--threshold", help="answer-time threshold, e.g. 20s"),
    target: Optional[str] = typer.Option(None, "--target", help="share within the threshold, e.g. 0.8; with --scenario "
                                         "also AGREEMENT/TARGET to use one of the scenario's answer-time targets"),
    patience: Optional[str] = typer.Option(None, "--patience", help="callers' mean patience (Erlang A), e.g. 2m"),
    max_abandon: Optional[float] = typer.Option(None, "--max-abandon", min=0.0, max=1.0,
                                                help="largest acceptable abandonment share, 0 to 1"),
    abandoned: Optional[str] = typer.Option(None, "--abandoned", help="how abandoned calls count: miss (default), "
                                            "exclude, grace (with --grace); with --scenario default: the target's rule"),
    grace: Optional[str] = typer.Option(None, "--grace", help="grace period for --abandoned grace, e.g. 5s"),
    scenario: Optional[Path] = typer.Option(None, "--scenario", help="instead: the desk's phone requirement per interval vs its shifts"),
    interval: str = typer.Option("60m", "--interval", help="with --scenario: 15m, 30m or 60m"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="with --scenario: write the staff-vs-requirement figure (PNG)"),
    volume_quantile: Optional[float] = typer.Option(
        None, "--volume-quantile", min=0.5, max=0.999,
        help="with --scenario: staff for a day this busy, e.g. 0.9 (the quantile of each stream's busy-day factor)"),
) -> None:
    """Erlang C/A quick answers: service level for agents, agents for a service level.

    Assumes a stationary interval, exponential handling (and patience), one
    pool and no escalations; simulate for anything beyond that.  Service levels
    are stated on an abandoned-call basis (--abandoned), the rule of an
    answer-time target.
    """
    from simsla.decide.erlang import choose_targets, week_requirement
    from simsla.decide.erlang import erlang as calculator
    from simsla.model.units import parse_duration
    from simsla.report.erlang_table import print_calculator, print_week_requirement

    if abandoned is not None and abandoned not in ("miss", "exclude", "grace"):
        say(err, f"--abandoned is miss, exclude or grace, got {abandoned!r}", "error", "red")
        raise typer.Exit(2)
    fraction, target_name = None, None
    if target is not None:
        try:
            fraction = float(target)
        except ValueError:
            target_name = target
        if fraction is not None and not 0 < fraction <= 1:
            say(err, f"--target is a share between 0 and 1 (e.g. 0.8), got {target}", "error", "red")
            raise typer.Exit(2)
    try:
        if scenario is not None:
            unused = [name for name, value in (("--rate", rate), ("--aht", aht), ("--agents", agents),
                                               ("--patience", patience), ("--max-abandon", max_abandon)) if value]
            if unused:
                say(err, f"{', '.join(unused)} not used with --scenario (the scenario gives demand, handling, "
                         "patience and shifts)", "note", "yellow")
            model = _load(scenario)
            if volume_quantile is not None:  # a busy day rather than the mean day (simsla.decide.volume)
                from simsla.decide.volume import at_volume_quantile

                model, lines = at_volume_quantile(model, volume_quantile)
                for line in lines or ["no stream has busy days: the requirement is that of the mean day"]:
                    say(out, f"--volume-quantile {volume_quantile:g}: {line}", "note", "yellow")
            step = parse_duration(interval)
            if step not in (900.0, 1800.0, 3600.0):
                raise ValueError(f"--interval is 15m, 30m or 60m, got {interval!r}")
            targets, how = choose_targets(model, target_name, threshold=threshold, fraction=fraction,
                                          abandoned=abandoned, grace=grace)
            week = week_requirement(model, targets, step, how=how)
            for line in week.caveats:  # skills: the pooled requirement is an optimistic bound (decide.erlang_skills)
                say(out, line, "caveat", "yellow")
            print_week_requirement(week, out)
            if plot is not None:
                from simsla.report.figures_load import requirement_figure

                plot.parent.mkdir(parents=True, exist_ok=True)
                requirement_figure(week, title=f"{model.name}: desk staff vs phone requirement").savefig(
                    plot, dpi=110, bbox_inches="tight")
                say(out, f"figure written to {plot}")
            return
        if rate is None or aht is None:
            err.print("give --rate and --aht (or --scenario FILE)", highlight=False)
            raise typer.Exit(2)
        if target_name is not None:
            raise ValueError(f"--target is a share (e.g. 0.8) without --scenario, got {target_name!r}")
        if plot is not None or interval != "60m" or volume_quantile is not None:
            say(err, "--plot, --interval and --volume-quantile apply to --scenario only", "note", "yellow")
        report = calculator(rate, aht, agents=agents or None, threshold=threshold, target=fraction,
                            patience=patience, max_abandon=max_abandon, abandoned=abandoned or "miss", grace=grace)
    except (KeyError, ValueError) as exc:
        say(err, exc.args[0] if isinstance(exc, KeyError) else exc, "error", "red")
        raise typer.Exit(2) from None
    print_calculator(report, out)


@app.command()
def frontier(
    scenario: Path = typer.Argument(..., help="scenario file (YAML)"),
    target: str = typer.Option(..., "--target", "-t", help="AGREEMENT/TARGET, e.g. 'SLA Almvik/P1 resolution'"),
    confidence: float = typer.Option(0.9, "--confidence", min=0.5, max=0.999, help="probability of meeting it per period"),
    replications: int = typer.Option(20, "--replications", "-r", min=1),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", min=0),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1),
    out_dir: Path = typer.Option(Path("frontier"), "--out", "-o", help="folder for frontier.csv/json and the figure"),
    precision: Optional[float] = typer.Option(
        None, "--precision", min=0.001, max=0.25,
        help="replications in looks (the first of -r) until the target's breach probability is decided or known "
             "to ± this half-width"),
    max_replications: Optional[int] = typer.Option(None, "--max-replications", min=1,
                                                   help="with --precision: the cap on replications (default 64)"),
) -> None:
    """The defensible offer for a target: tightest threshold, highest fraction, and the curve between."""
    from simsla.decide._common import readable_duration
    from simsla.decide.frontier import frontier as compute
    from simsla.experiment import simulate
    from simsla.report.figures_targets import frontier_figure
    from simsla.report.frontier_text import print_frontier

    model = _load(scenario)
    gate(model)  # the frontier simulates the scenario as it is: what `run` refuses, it refuses
    if "/" not in target:
        err.print("--target is AGREEMENT/TARGET, e.g. 'SLA Almvik/P1 resolution'", highlight=False)
        raise typer.Exit(2)
    agreement, name = target.split("/", 1)
    from simsla.cli import _output_folder, _print_sequential, _sequential_cap, _writing

    cap = _sequential_cap(precision, max_replications, replications, model)
    _output_folder(out_dir, "frontier")  # before simulating: never simulate for a folder that cannot take the answer
    progress = _LateProgress(f"simulating {escape(model.name)}")
    try:
        with _interruptible(out_dir):
            if cap is None:
                results = simulate(model, replications=replications, seed=seed, workers=workers, progress=progress)
            else:
                results = _simulate_sequential(model, precision, replications, cap, seed, workers, progress,
                                               confidence, [f"{agreement.strip()} / {name.strip()}"])
    finally:
        progress.close()
    try:
        found = compute(results, agreement.strip(), name.strip(), confidence)
    except (KeyError, ValueError) as exc:
        say(err, exc, "error", "red")
        raise typer.Exit(2) from None
    print_frontier(found, out)
    if "sequential" in results.extra:
        _print_sequential(results.extra["sequential"])
    with _interruptible(out_dir), _writing(out_dir):
        _output_folder(out_dir, "frontier", claim=True)
        folder = found.save(out_dir)
        fig = frontier_figure(found, confidence)
        fig.savefig(Path(folder) / "frontier.png", dpi=110, bbox_inches="tight")
    say(out, f"written to {folder}/ (frontier_curve.csv, frontier_grid.csv, frontier.json, frontier.png)")


def _simulate_sequential(model, precision, first, cap, seed, workers, progress, confidence, targets):
    """``simulate_sequential`` with each look on stderr (``simsla.experiment.sequential``)."""
    from simsla.experiment.sequential import Plan, simulate_sequential

    looks = len(Plan(precision, first, cap, 1.0 - confidence).looks)
    known = {f"{a.name} / {t.name}" for a in model.agreements for t in a.targets}
    if not set(targets) <= known:  # the frontier names the target; say so before simulating
        raise typer.BadParameter(f"no target {targets[0]!r} (known: {sorted(known)})", param_hint="--target")
    return simulate_sequential(model, precision, first, cap, seed=seed, workers=workers, progress=progress,
                               on_look=lambda look: say(err, look.line(looks)), confidence=confidence,
                               targets=targets)


@app.command()
def report(folder: Path = typer.Argument(..., help="a results folder written by `simsla run`")) -> None:
    """Write a self-contained report.html into a results folder."""
    from simsla.experiment import Results
    from simsla.report.html import write_report

    from simsla.cli import _writing

    try:
        results = Results.load(folder)
    except FileNotFoundError as exc:
        say(err, exc, "error", "red")
        raise typer.Exit(2) from None
    except (OSError, ValueError, KeyError) as exc:  # a damaged folder: unreadable JSON or Parquet, a bad scenario
        say(err, f"{folder}: not a readable simsla results folder ({type(exc).__name__}: {exc}); run `simsla run` "
                 "again into it", "error", "red")
        raise typer.Exit(2) from None
    with _interruptible(folder), _writing(folder):
        path = write_report(results, folder)
    say(out, f"report written to {path}")


@app.command()
def staff(
    scenario: Path = typer.Argument(..., help="scenario file (YAML)"),
    confidence: float = typer.Option(0.9, "--confidence", min=0.5, max=0.999,
                                     help="required probability of meeting each target per period"),
    target: Optional[list[str]] = typer.Option(None, "--target", "-t", help="AGREEMENT/TARGET to meet (repeatable; default all SLA/OLA)"),
    replications: int = typer.Option(6, "--replications", "-r", min=2, help="replications per confirmation"),
    seed: int = typer.Option(1, "--seed", "-s", min=0),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1),
    cluster: Optional[str] = typer.Option(None, "--cluster", help="tcp://HOST:PORT or 'local' (Dask)"),
    max_simulations: int = typer.Option(120, "--max-simulations", min=1, help="candidates to evaluate at most"),
    max_occupancy: float = typer.Option(0.85, "--max-occupancy", min=0.01, max=1.0,
                                        help="cap on every party's offered load / capacity (checked before simulating)"),
    protect: Optional[str] = typer.Option(
        None, "--protect", help="ticket classes (priority/channel) that may not get slower than today: a tolerance "
        "('10%', the default, for every class), classes ('P3/email,P4/*', with a tolerance: '15%,P3/*') or 'none'"),
    out_dir: Path = typer.Option(Path("staffing"), "--out", "-o",
                                 help="folder: staffing.csv/json, recommended.yaml and the resumable search log"),
    precision: Optional[float] = typer.Option(
        None, "--precision", min=0.001, max=0.25,
        help="per candidate, replications in looks (the first of the search's or -r) until every target's breach "
             "probability is decided or known to ± this half-width: easy candidates stop early"),
    max_replications: Optional[int] = typer.Option(None, "--max-replications", min=2,
                                                   help="with --precision: the cap per candidate (default 64)"),
) -> None:
    """The least-cost staffing that meets every selected target with the given confidence (checked, not trusted).

    Every party stays within the occupancy cap, and no ticket class gets a
    median or p90 time to resolution more than 10 % worse than with today's
    staffing (``--protect``), so work no target measures is not starved.
    """
    from simsla.cli import _executor
    from simsla.decide.staffing import find_staffing
    from simsla.decide.staffing_protection import parse_protection

    model = _load(scenario)
    gate(model, force=True)  # the search adds staff itself: an overloaded start is reported, not refused
    targets = [tuple(t.split("/", 1)) for t in target] if target else None
    if targets and any(len(t) != 2 for t in targets):
        err.print("--target is AGREEMENT/TARGET, e.g. 'SLA Almvik/P1 resolution'", highlight=False)
        raise typer.Exit(2)
    try:
        protection = parse_protection(protect)
    except ValueError as exc:
        say(err, exc, "error", "red")
        raise typer.Exit(2) from None

    from simsla.cli import _claimed, _sequential_cap, _writing

    cap = _sequential_cap(precision, max_replications, replications)

    def progress(line: str) -> None:
        say(err, line)

    try:
        # our pool, not find_staffing's own: its workers die with this process
        # claimed before the search: its resumable log goes into the folder as it runs
        with _interruptible(out_dir), _claimed(out_dir, "staffing"), \
                _executor(cluster, workers, own_pool=True) as executor:
            result = find_staffing(model, targets=targets, confidence=confidence, replications=replications, seed=seed,
                                   workers=workers, executor=executor, progress=progress,
                                   max_simulations=max_simulations, out_dir=out_dir,
                                   max_occupancy=max_occupancy, protection=protection, precision=precision,
                                   max_replications=cap)
    except (KeyError, ValueError) as exc:
        say(err, exc, "error", "red")
        raise typer.Exit(2) from None
    with _interruptible(out_dir), _writing(out_dir):
        folder = result.save(out_dir)
    d = result.to_dict()
    _print_staffing(result)
    say(out, result.targets.to_string(index=False))
    _print_occupancy(result, max_occupancy)
    _print_protection(result, protection.describe())
    check = d["check_independent_seed"]
    out.print(f"check (a), independent seed {check.get('seed')}: "
              f"{'holds' if check.get('holds') else 'does NOT hold'}", highlight=False)
    out.print("check (b), one agent fewer per block:", highlight=False)
    say(out, result.check_minimal.to_string(index=False))
    s = d["search"]
    out.print(f"search: {s.get('candidates_evaluated')} candidates, {s.get('replications_simulated')} replications simulated "
              f"({s.get('replications_read_from_log', 0)} read from the search log), "
              f"{s.get('replication_years', 0):.1f} replication-years, {s.get('seconds', 0):.0f} s; "
              f"{s.get('candidates_pruned_by_occupancy_cap', 0)} candidates refused by the occupancy cap without "
              f"simulating; written to {folder}/ (recommended.yaml: the scenario with this staffing)", highlight=False)
    if s.get("sequential"):
        _print_staff_sequential(s)
    for line in s.get("run_would_refuse", []):
        say(out, f"simsla run would refuse the recommendation: {line}", "warning", "red")
    for line in s.get("run_warnings", []):
        say(out, f"simsla run would warn: {line}", "note", "yellow")
    if not result.meets_all:
        say(out, "the recommendation does NOT meet everything: see the tables above and staffing.json", "warning", "red")


def _print_staff_sequential(s: dict) -> None:
    """Replications per candidate under ``--precision``, and how many candidates hit the cap."""
    stops = s["sequential"]
    reps = sorted(x["replications"] for x in stops)
    capped = [x for x in stops if x["stopped"] == "cap reached"]
    out.print(f"--precision {s['precision']:g}: {len(stops)} sequential judgements, replications per candidate "
              f"min {reps[0]}, median {reps[len(reps) // 2]}, max {reps[-1]} (cap {s['max_replications']}); "
              f"{len(capped)} reached the cap without the precision", highlight=False)


def _print_staffing(result) -> None:
    """The staffing table: agents on the floor, paid FTE and cost per block."""
    frame = result.to_frame()
    table = Table(title=f"Staffing: {result.total_cost:,.0f} per week (now {result.current_cost:,.0f}); "
                        "staff = agents on the floor, paid FTE = on the floor / (1 − shrinkage), cost per paid hour",
                  title_justify="left")
    columns = {"group": "group", "block": "block", "days": "days", "hours": "hours", "current": "now",
               "staff": "on floor", "shrinkage": "shrinkage", "paid_fte": "paid FTE", "cost_per_week": "cost/week"}
    if "agents" in frame:  # skills: each block staffs one agent group, at its cost and shrinkage
        columns = {"group": "group", "agents": "agent group", **{k: v for k, v in columns.items() if k != "group"}}
        frame = frame.assign(agents=frame["agents"].fillna("–"))
    for col, head in columns.items():
        table.add_column(head, justify="right" if frame[col].dtype.kind in "if" else "left")
    for row in frame[list(columns)].itertuples(index=False):
        table.add_row(*[(f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}") if isinstance(v, float) else Text(str(v))
                        for v in row])
    out.print(table)


def _print_occupancy(result, cap: float) -> None:
    """Offered load per party at the recommendation, against the cap."""
    table = Table(title=f"Occupancy at the recommendation (offered load / average headcount on the floor; cap {cap:.0%})",
                  title_justify="left")
    for col in ("party", "offered Erlang", "capacity", "utilisation", ""):
        table.add_column(col, justify="left" if col in ("party", "") else "right")
    for r in result.occupancy.itertuples(index=False):
        capacity = "unlimited" if r.capacity == float("inf") else f"{r.capacity:.2f}"
        util = "–" if r.capacity == float("inf") else f"{100 * r.utilization:.0f} %"
        table.add_row(Text(str(r.party)), f"{r.offered_erlangs:.2f}", capacity, util,
                      "ok" if r.within_cap else "OVER THE CAP")
    out.print(table)


def _print_protection(result, rule: str) -> None:
    """What was protected and how each class fared against today's staffing."""
    from simsla.decide._common import readable_duration

    out.print(f"protected: {escape(rule)}", highlight=False)
    classes = result.classes
    if not len(classes):
        return
    table = Table(title="Time to resolution per ticket class: recommendation / today (paired ratio, 95 % interval)",
                  title_justify="left")
    for col in ("class", "tickets/rep", "median today", "median ratio", "p90 today", "p90 ratio", "verdict"):
        table.add_column(col, justify="left" if col in ("class", "verdict") else "right")

    def ratio(r) -> str:
        if r.ratio != r.ratio:
            return "–"
        return f"{r.ratio:.2f} [{r.ratio_ci_low:.2f}–{r.ratio_ci_high:.2f}]"

    for cls, rows in classes.groupby("class", sort=True):
        by = {r.statistic: r for r in rows.itertuples(index=False)}
        med, p90 = by["median"], by["p90"]
        verdict = ", ".join(dict.fromkeys(r.status for r in (med, p90) if r.status != "ok")) or "ok"
        table.add_row(Text(str(cls)), f"{med.tickets_per_replication:.0f}", readable_duration(med.baseline),
                      ratio(med), readable_duration(p90.baseline), ratio(p90), Text(verdict))
    out.print(table)


@app.command()
def sweep(
    scenario: Path = typer.Argument(..., help="scenario file (YAML)"),
    vary: list[str] = typer.Option(..., "--vary", help="FIELD=V1,V2,... e.g. 'demand[*].volume=x1,x1.2' (repeatable)"),
    points: bool = typer.Option(False, "--points", help="take the i-th values together instead of the full grid"),
    replications: int = typer.Option(10, "--replications", "-r", min=2),
    seed: int = typer.Option(1, "--seed", "-s", min=0),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1),
    cluster: Optional[str] = typer.Option(None, "--cluster", help="tcp://HOST:PORT or 'local' (Dask)"),
    out_dir: Path = typer.Option(..., "--out", "-o", help="folder; finished points are kept and skipped on a rerun"),
    wide: bool = typer.Option(False, "--wide", help="one table of every point x target instead of one table per target"),
    precision: Optional[float] = typer.Option(
        None, "--precision", min=0.001, max=0.25,
        help="per point, replications in looks (the first of -r) until every target's breach probability is "
             "decided (vs a 10 % risk line) or known to ± this half-width"),
    max_replications: Optional[int] = typer.Option(None, "--max-replications", min=2,
                                                   help="with --precision: the cap per point (default 64)"),
) -> None:
    """What-ifs over scenario fields with common random numbers; paired differences vs the unchanged scenario."""
    from simsla.cli import _executor
    from simsla.decide.sweep import sweep as run_sweep

    model = _load(scenario)
    gate(model, force=True)  # the points change staff and volumes: an overloaded base is reported, not refused
    grid: dict[str, list[str]] = {}
    for item in vary:
        if "=" not in item:
            say(err, f"--vary {item!r}: write FIELD=V1,V2,...")
            raise typer.Exit(2)
        field, values = item.split("=", 1)
        grid[field.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    from simsla.cli import _claimed, _output_folder, _sequential_cap

    cap = _sequential_cap(precision, max_replications, replications, model)
    _output_folder(out_dir, "sweep")  # before any work
    progress = _LateProgress("sweeping")
    try:
        # claimed before sweeping: finished points go into the folder as they come
        with _interruptible(out_dir), _claimed(out_dir, "sweep"), _executor(cluster) as executor:
            result = run_sweep(model, grid, grid=not points, replications=replications, seed=seed, workers=workers,
                               out_dir=out_dir, progress=progress, executor=executor, precision=precision,
                               max_replications=cap)
    except ValueError as exc:
        say(err, exc, "error", "red")
        raise typer.Exit(2) from None
    finally:
        progress.close()
    from simsla.report.sweep_table import print_sweep

    print_sweep(result, out, wide=wide)
    if precision is not None:
        for p in result.points:
            say(out, f"{p['code']} ({p['label']}): {p['replications']} replications, {p.get('stopped')}",
                "cap reached" if p.get("stopped") == "cap reached" else "precision",
                "red" if p.get("stopped") == "cap reached" else "green")
    say(out, f"written to {out_dir}/ (sweep.csv with unpaired intervals too, sweep.json, points/)")


@app.command("volume-risk")
def volume_risk(
    scenario: Path = typer.Argument(..., help="scenario file (YAML) with busy days"),
    replications: int = typer.Option(20, "--replications", "-r", min=2),
    seed: int = typer.Option(1, "--seed", "-s", min=0),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="folder for volume_risk.csv"),
) -> None:
    """How much of each target's breach risk comes from busy days: the same seed with and without them."""
    from simsla.decide.volume import has_busy_days, volume_risk as compute
    from simsla.report.tables import print_volume_risk

    model = _load(scenario)
    gate(model)
    if not has_busy_days(model):
        say(err, f"{scenario}: no demand stream has busy days (busy_days with cv > 0): there is no volume "
                 "uncertainty to measure", "error", "red")
        raise typer.Exit(2)
    from simsla.cli import _output_folder, _writing

    if out_dir is not None:
        _output_folder(out_dir, "volume-risk")
    progress = _LateProgress(f"simulating {escape(model.name)} with and without busy days")
    try:
        with _interruptible(out_dir or Path(".")):
            frame = compute(model, replications=replications, seed=seed, workers=workers, progress=progress)
    finally:
        progress.close()
    print_volume_risk(frame, out)
    if out_dir is not None:
        with _interruptible(out_dir), _writing(out_dir):
            _output_folder(out_dir, "volume-risk", claim=True)
            frame.to_csv(Path(out_dir) / "volume_risk.csv", index=False)
        say(out, f"written to {out_dir}/volume_risk.csv")
