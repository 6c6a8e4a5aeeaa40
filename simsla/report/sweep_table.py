"""A sweep in the terminal: a legend of the points, then one compact table per target.

Draws what ``simsla.decide.sweep`` computed; computes no metric.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from simsla.analysis.sample import RULES


def _pct(x: float) -> str:
    return "–" if x is None or x != x else f"{100 * x:.1f}"


def _interval(mid: float, low: float, high: float, unit: str = "%") -> str:
    if mid is None or mid != mid:
        return "–"
    if low is None or low != low:
        return f"{_pct(mid)} {unit}"
    return f"{_pct(mid)} {unit} [{_pct(low)}–{_pct(high)}]"


def _legend(result: Any) -> Table:
    unstable = any(p.get("unstable_replications", 0) for p in result.points)
    legend = Table(show_header=True, box=None, pad_edge=False)
    legend.add_column("point")
    legend.add_column("changes")
    if unstable:
        legend.add_column("unstable replications", justify="right")
    for p in result.points:
        row = [Text(p["code"]), Text("the scenario as given" if p["baseline"] and not p["changes"] else str(p["label"]))]
        if unstable:
            n = p.get("unstable_replications", 0)
            row.append(Text(f"{n} of {p['replications']}" if n else ""))
        legend.add_row(*row)
    for changes in result.same_as_baseline:
        row = [Text("= base"), Text(", ".join(f"{k}={v}" for k, v in changes.items()) + "  (changes nothing)")]
        legend.add_row(*(row + [Text("")] if unstable else row))
    return legend


def _target_table(rows: Any, agreement: str, target: str) -> Table:
    first = rows.iloc[0]
    table = Table(title=Text(f"{agreement} / {target}  (at least {first['fraction']:.0%} per period)"),
                  title_justify="left")
    for col in ("point", "attainment [95 % CI]", "Δ vs base, pts [95 % CI]", "P(breach) [95 % CI]",
                "Δ P(breach), pts [95 % CI]", "note"):
        table.add_column(col, justify="left" if col in ("point", "note") else "right")
    for r in rows.itertuples(index=False):
        if r.baseline:
            d_att = d_breach = "baseline"
        else:
            d_att = _interval(r.diff_attainment, r.diff_attainment_ci_low, r.diff_attainment_ci_high, "")
            d_breach = _interval(r.diff_breach, r.diff_breach_ci_low, r.diff_breach_ci_high, "")
        table.add_row(Text(r.code), _interval(r.attainment, r.attainment_ci_low, r.attainment_ci_high),
                      d_att, _interval(r.breach_probability, r.breach_ci_low, r.breach_ci_high), d_breach,
                      Text(str(r.sample_note or "")))
    return table


def _wide_table(frame: Any) -> Table:
    table = Table(title="Sweep, every point x target", title_justify="left")
    for col in ("point", "target", "attainment [95 % CI]", "P(breach) [95 % CI]", "Δ attainment, pts [95 % CI]", "note"):
        table.add_column(col, justify="left" if col in ("point", "target", "note") else "right")
    for r in frame.itertuples(index=False):
        table.add_row(Text(f"{r.code}  {r.label}"), Text(f"{r.agreement} / {r.target}"),
                      _interval(r.attainment, r.attainment_ci_low, r.attainment_ci_high),
                      _interval(r.breach_probability, r.breach_ci_low, r.breach_ci_high),
                      "baseline" if r.baseline else
                      _interval(r.diff_attainment, r.diff_attainment_ci_low, r.diff_attainment_ci_high, ""),
                      Text(str(r.sample_note or "")))
    return table


def print_sweep(result: Any, console: Console, wide: bool = False) -> None:
    """Print a ``SweepResult``: the legend, then a table per target (or one wide table).

    Parameters
    ----------
    result : simsla.decide.sweep.SweepResult
        The sweep to show.
    console : rich.console.Console
        Where to print.
    wide : bool
        One table of every point x target with the full changes as labels,
        instead of a legend and a compact table per target.
    """
    frame = result.to_frame()
    console.print(f"Sweep: {len(result.points)} points x {result.replications} replications, seed {result.seed}",
                  highlight=False)
    if frame.empty:
        console.print("no target had anything to measure", highlight=False)
        return
    if wide:
        console.print(_wide_table(frame))
    else:
        console.print("Points (the same seed everywhere, so differences are paired by replication):", highlight=False)
        console.print(_legend(result))
        for (agreement, target), rows in frame.groupby(["agreement", "target"], sort=False):
            console.print(_target_table(rows, agreement, target))
    flagged = frame[frame["sample_note"].astype(str) != ""]
    if len(flagged):
        targets = {(a, t) for a, t in zip(flagged["agreement"], flagged["target"])}
        console.print(Text(f"{len(targets)} of {frame.groupby(['agreement', 'target']).ngroups} target(s) rest on too "
                           "little data in at least one point; differences there say little:"))
        for kind, rule in RULES.items():
            if flagged["sample_note"].astype(str).str.contains(kind).any():
                console.print(Text(f"  {kind}: {rule}"))
