"""Readable terminal tables of a run's summary (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from simsla.model.units import format_duration
from simsla.analysis.sample import RULES
from simsla.report.lights import SYMBOLS
from simsla.safe_text import visible_tree


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _ci_pct(block: dict[str, Any]) -> str:
    lo, hi = block["ci95"]
    if lo is None or hi is None:
        return _pct(block["mean"])
    return f"{_pct(block['mean'])} [{100 * lo:.1f}–{100 * hi:.1f}]"


def _secs(x: float | None) -> str:
    if x is None:
        return "–"
    if x < 120:
        return f"{x:.1f}s"
    return f"{x / 60:.0f}m" if x < 2 * 3600 else f"{x / 3600:.1f}h"


#: traffic-light colours in a terminal (rich styles)
TERMINAL_COLOURS = {"green": "green", "amber": "yellow", "red": "red", "none": "dim"}


def print_verdict(summary: dict[str, Any], console: Console, limit: int = 8) -> None:
    """The answer first: can the targets be kept?  The targets not defensible, at risk or not judged, by name."""
    verdict = visible_tree(summary.get("verdict"))   # names from the scenario: control characters shown as escapes
    if not verdict or not verdict.get("targets"):
        return
    console.print(Text("Verdict: " + verdict["headline"], style="bold"))
    kinds: set[str] = set()
    for status in ("not defensible", "at risk", "cannot be judged", "defensible"):
        group = [t for t in verdict["targets"] if t["status"] == status]
        if not group:
            continue
        light = group[0]["light"]
        console.print(Text(f"  {SYMBOLS.get(light, '')} {status} ({len(group)}):", style=TERMINAL_COLOURS.get(light)))
        for t in group[:limit]:
            p, (lo, hi) = t["breach_probability"], t["breach_probability_ci95"]
            risk = "nothing counted" if p is None else f"{100 * p:.0f} % [{100 * (lo or 0):.0f}–{100 * (hi or 0):.0f}]"
            notes = f"  ({', '.join(t['notes'])})" if t["notes"] else ""
            console.print(Text(f"      {t['agreement']} / {t['target']}: P(breach) {risk}{notes}"))
            kinds.update(n.split(" (")[0] for n in t["notes"])
        if len(group) > limit:
            console.print(Text(f"      ... and {len(group) - limit} more (summary.json lists every target)"))
    for kind in sorted(kinds & set(RULES)):
        console.print(Text(f"  {kind}: {RULES[kind]}", style="dim"))
    if verdict.get("advice"):
        console.print(Text(f"  to judge the others: {verdict['advice']}"))


def print_summary(summary: dict[str, Any], console: Console) -> None:
    """Print the headline tables of a ``summary.json`` dict (the verdict first)."""
    summary = visible_tree(summary)   # names from the scenario: control characters shown as escapes, never obeyed
    t = summary["tickets"]
    console.print(f"[bold]{escape(summary['scenario'])}[/bold] — seed {summary['seed']}, {summary['replications']} replication(s), "
                  f"{format_duration(summary['horizon_seconds'])} after a {format_duration(summary['warmup_seconds'])} warm-up")
    _print_flags(summary, console)
    print_verdict(summary, console)
    per = t["per_replication"]
    tickets = Table(title="Tickets (total; per replication: mean [95 % CI])", title_justify="left")
    for col in ("", "total", "per replication"):
        tickets.add_column(col, justify="right" if col else "left")
    rows = [(key, t[key], per[key]) for key in ("arrived", "resolved", "abandoned", "open", "blocked") if key in t]
    rows += [(f"  {kind} contacts", n, t["by_contact_per_replication"][kind])
             for kind, n in t.get("by_contact", {}).items()]
    for key, total, b in rows:
        lo, hi = b["ci95"]
        span = f" [{lo:,.0f}–{hi:,.0f}]" if lo is not None else ""
        tickets.add_row(key, f"{total:,}", f"{b['mean']:,.1f}{span}")
    console.print(tickets)

    groups = Table(title="Groups", title_justify="left")
    for col in ("group", "role", "utilisation [95 % CI]", "visits", "mean wait", "p90 wait", "on floor h/wk",
                "paid h/wk", "cost/wk"):
        groups.add_column(col, justify="left" if col in ("group", "role") else "right")
    for g in summary["groups"]:
        util = _ci_pct({"mean": g["utilization"], "ci95": g["utilization_ci95"]})
        floor, paid, cost = (g.get("on_floor_agent_hours_per_week"), g.get("paid_agent_hours_per_week"),
                             g.get("cost_per_week"))
        groups.add_row(Text(g["name"]), g["role"], util, f"{g['visits']:,}", _secs(g["mean_wait_seconds"]),
                       _secs(g["p90_wait_seconds"]), "–" if floor is None else f"{floor:,.0f}",
                       "–" if paid is None else f"{paid:,.0f}" + (f" ({100 * g['shrinkage']:.0f} % shrinkage)"
                                                                  if g.get("shrinkage") else ""),
                       "–" if cost is None else f"{cost:,.0f}")
    console.print(groups)
    _print_agent_groups(summary, console)

    for c in summary["channels"]:
        table = Table(title=f"Channel: {c['channel']} ({c['contacts']:,} contacts)", title_justify="left")
        label = "answered within" if c["channel"] == "phone" else "picked up within"
        table.add_column("measure")
        table.add_column("mean [95 % CI]", justify="right")
        for threshold, block in c["answered_within"].items():
            table.add_row(f"{label} {format_duration(float(threshold[:-1]))}", _ci_pct(block))
        if c["channel"] == "phone":
            table.add_row("abandoned", _ci_pct(c["abandonment"]))
        for name, label in (("blocked", "blocked (lines busy)"), ("redials", "redials (of the contacts)"),
                            ("callbacks", "took a callback")):
            if name in c:
                table.add_row(label, _ci_pct(c[name]))
        table.add_row("mean wait", _secs(c["mean_wait_seconds"]))
        console.print(table)
    if summary.get("targets"):
        targets = Table(title="Targets (attainment pooled [95 % CI]; breach probability per period [95 % CI])", title_justify="left")
        for col in ("agreement", "target", "promise", "attainment", "P(breach) per period", "periods", "verdict", "note"):
            targets.add_column(col, justify="right" if col in ("attainment", "P(breach) per period", "periods") else "left")
        for t in summary["targets"]:
            promise = f"{100 * t['fraction']:g} %"
            if t["threshold_seconds"] is not None:
                promise += f" within {format_duration(t['threshold_seconds'])}"
            promise += f" / {t['period']}"
            p = t["breach_probability"]
            lo, hi = t["breach_probability_ci95"]
            light = t.get("light", "none")
            risk = Text("–" if p is None else f"{100 * p:.0f} % [{100 * (lo or 0):.0f}–{100 * (hi or 0):.0f}]",
                        style=TERMINAL_COLOURS.get(light))
            verdict = Text(f"{SYMBOLS.get(light, '')} {t.get('status', '')}", style=TERMINAL_COLOURS.get(light))
            targets.add_row(Text(f"{t['agreement']} ({t['kind']})"), Text(t["target"]), promise,
                            _ci_pct({"mean": t["attainment"], "ci95": t["attainment_ci95"]}), risk,
                            str(t["periods_evaluated"]), verdict, Text(", ".join(t.get("notes", []))))
        console.print(targets)
    blame = summary.get("attribution") or []
    parties = {g["name"] for g in summary["groups"] if g["role"] != "desk"} | set(summary.get("suppliers", []))
    shown = set()
    for row in sorted(blame, key=lambda r: -(r["mean_share_of_time"] or 0)):
        key = (row["agreement"], row["target"])
        if key in shown:
            continue
        shown.add(key)
        own = row["share_over_own_agreement"]
        if own is not None:
            over = f"; over its own agreement in {100 * own:.0f} % of them"
        elif row["party"] in parties:
            over = "; no OLA/UC binds it for these tickets"
        else:
            over = ""
        console.print(f"missed {escape(row['agreement'])} / {escape(row['target'])} ({row['breaches']} tickets): "
                      f"[bold]{escape(row['party'])}[/bold] used {100 * row['mean_share_of_time']:.0f} % of the time on average{over}")
    for message in summary.get("unstable", []):
        console.print(f"[bold red]unstable:[/bold red] {escape(message)}")


def team_utilisation(row: dict[str, Any]) -> tuple[str, str]:
    """An agent group's utilisation as (value, 95 % interval) text: a share, or sessions per agent with concurrency."""
    u, (lo, hi) = row["utilization"], row["utilization_ci95"]
    if row.get("concurrency", 1) > 1:  # busy time counts sessions: the mean number in hand per agent on duty
        value = "–" if u is None else f"{u:.2f} sessions/agent"
        span = "" if lo is None or hi is None else f"{lo:.2f}–{hi:.2f}"
    else:
        value = _pct(u)
        span = "" if lo is None or hi is None else f"{100 * lo:.1f}–{100 * hi:.1f}"
    return value, span


def _print_agent_groups(summary: dict[str, Any], console: Console) -> None:
    """Per agent group (skills): utilisation, busy, on-floor and paid hours, cost (``summary.agent_team_rows``)."""
    rows = [r for g in summary["groups"] for r in g.get("agent_groups", ())]
    if not rows:
        return
    table = Table(title="Agent groups (utilisation: busy / staffed agent-hours [95 % CI]; with concurrency, "
                        "sessions per agent)", title_justify="left")
    for col in ("group", "agent group", "skills:level", "utilisation [95 % CI]", "visits", "busy h/wk", "on floor h/wk",
                "paid h/wk", "cost/wk"):
        table.add_column(col, justify="left" if col in ("group", "agent group", "skills:level") else "right")
    for r in rows:
        value, span = team_utilisation(r)
        skills = ", ".join(f"{k}:{v}" for k, v in r["skills"].items())
        cost = r.get("cost_per_week")
        table.add_row(Text(r["group"]), Text(r["name"]), Text(skills), value + (f" [{span}]" if span else ""),
                      f"{r['visits']:,}", f"{r['busy_agent_hours_per_week']:,.0f}",
                      f"{r['on_floor_agent_hours_per_week']:,.0f}",
                      f"{r['paid_agent_hours_per_week']:,.0f}" + (f" ({100 * r['shrinkage']:.0f} % shrinkage)"
                                                                   if r.get("shrinkage") else ""),
                      "–" if cost is None else f"{cost:,.0f}")
    console.print(table)


def _print_flags(summary: dict[str, Any], console: Console) -> None:
    """Before any number: an unstable run and a run where most callers hung up say so first."""
    unstable = summary.get("unstable", [])
    if unstable:
        console.print(f"[bold red]unstable run:[/bold red] {len(unstable)} of {summary['replications']} replication(s) "
                      "had a queue that kept growing or passed its bound (details at the end); the numbers below "
                      "describe a desk that cannot keep up")
    for message in summary.get("warnings", []):
        console.print(f"[bold yellow]warning:[/bold yellow] {escape(message)}")


def _finite(x: float | None) -> float | None:
    return None if x is None or x != x else x


def _signed(x: float) -> str:
    return "–" if x is None or x != x else f"{100 * x:+.1f}"


def print_volume_risk(frame: Any, console: Console,
                      title: str = "Breach probability per period: with busy days / without (same seed)") -> None:
    """The table of ``simsla.analysis.volume.volume_effect``: each target with and without busy days, and the
    paired difference with its 95 % interval."""
    table = Table(title=title)
    for col in ("agreement", "target", "period", "with busy days", "without", "from volume [95 % CI]", "share"):
        table.add_column(col, justify="left" if col in ("agreement", "target", "period") else "right")
    for row in frame.itertuples():
        ci = ("" if row.from_volume_low != row.from_volume_low
              else f" [{_signed(row.from_volume_low)}, {_signed(row.from_volume_high)}]")
        share = "–" if row.share_from_volume != row.share_from_volume else f"{row.share_from_volume:.0%}"
        table.add_row(Text(str(row.agreement)), Text(str(row.target)), Text(str(row.period)),
                      _pct(_finite(row.with_busy_days)), _pct(_finite(row.without)), f"{_signed(row.from_volume)} pts{ci}", share)
    console.print(table)
    console.print("from volume: with minus without, paired by replication (same seed, busy-day factors removed), "
                  "in percentage points, with a Student-t 95 % interval; share: of the breach probability with busy days",
                  highlight=False)
