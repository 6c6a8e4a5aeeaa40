"""Terminal output of ``simsla erlang``: the calculator's table and the desk's week against its shifts.

The numbers come from ``simsla.decide.erlang`` (``ErlangReport``,
``WeekRequirement``); this module only lays them out.  Every service level
printed names its abandoned-call basis.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from simsla.decide._common import readable_duration

DAY_NAMES = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}
ORDER = list(DAY_NAMES)


def day_span(days: list[str]) -> str:
    """``Mon–Fri`` for neighbouring days, ``Mon`` for one, ``Mon, Wed`` otherwise."""
    idx = [ORDER.index(d) for d in days]
    if len(idx) > 1 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{DAY_NAMES[days[0]]}–{DAY_NAMES[days[-1]]}"
    return ", ".join(DAY_NAMES[d] for d in days)


def _pct(x: Any, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{100 * float(x):.{digits}f} %"


def _seconds(x: Any) -> str:
    if x is None or not math.isfinite(float(x)):
        return "∞"
    return f"{float(x):.1f} s"


def _agents(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


# ------------------------------------------------------------------ the calculator
def print_calculator(report, console: Console) -> None:
    """The calculator's answer: model and basis, the requirement, one row per agent count."""
    inp = report.inputs
    thr = inp.get("threshold_seconds")
    erlang_a = inp.get("model") == "Erlang A"
    basis = inp["abandoned_text"] if erlang_a else f"{inp['abandoned_text']} (nobody hangs up without --patience)"
    head = (f"{inp.get('model', 'Erlang C')}: {inp['rate_per_hour']:g} contacts/h, AHT {readable_duration(inp['aht_seconds'])}"
            + (f", mean patience {readable_duration(inp['patience_seconds'])}" if erlang_a else ""))
    console.print(head, highlight=False)
    console.print(f"abandoned-call basis: {inp['abandoned']} — {basis}", highlight=False)
    if report.required_agents is not None:
        console.print(f"agents needed for {100 * inp['target']:g} % within {readable_duration(thr)} "
                      f"({inp['abandoned']}): [bold]{report.required_agents}[/bold]", highlight=False)
    table = Table(title_justify="left")
    within = f"answered in {readable_duration(thr)} ({inp['abandoned']})" if thr is not None else None
    grace = inp.get("abandoned") == "grace"
    columns = ["agents", "load (Erl)", "P(wait)"] + ([within] if within else []) + ["ASA", "mean wait, all"]
    columns += ["abandoned"] + ([f"hang up within {readable_duration(inp['grace_seconds'])}"] if grace else [])
    columns += ["occupancy"] + (["meets"] if "meets_target" in (report.rows[0] if report.rows else {}) else [])
    for c in columns:
        table.add_column(c, justify="right")
    for r in report.rows:
        cells = [str(r["agents"]), f"{r['offered_load']:.2f}", _pct(r["p_wait"], 2)]
        if within:
            cells.append(_pct(r["service_level"], 2))
        cells += [_seconds(r["mean_wait_served"]), _seconds(r["mean_wait"]), _pct(r["p_abandon"], 2)]
        if grace:
            cells.append(_pct(r.get("p_abandon_within_grace"), 2))
        cells.append(_pct(r["occupancy"], 1) + ("" if r["stable"] else " (unstable)"))
        if "meets_target" in r:
            cells.append("yes" if r["meets_target"] else "no")
        table.add_row(*cells)
    console.print(table)


# ------------------------------------------------------------------ the desk's week
def _row_values(row: pd.Series, hours: float) -> tuple:
    """What a table row shows (equal tuples of neighbouring intervals are merged into one row)."""
    if not row["calls"]:
        return ("–", "–", "–", "0", _agents(row["scheduled"]), "", "–", "–", "no calls", "–")
    note = "NOBODY ON SHIFT" if row["uncovered"] else ("short" if row["gap"] < -1e-9 else "")
    gap = row["gap"]
    return (f"{row['rate_per_hour']:.1f}", readable_duration(float(row["aht_seconds"])), f"{row['offered_load']:.2f}",
            str(int(row["required"])), _agents(row["scheduled"]), ("+" if gap > 1e-9 else "") + _agents(gap),
            _pct(row["service_level"]), _pct(row["p_abandon"]), note, f"[{int(row['binding']) + 1}]")


def compress(frame: pd.DataFrame, hours: float) -> list[dict[str, Any]]:
    """Runs of neighbouring intervals on one day that would print alike, as one row each (start of first, end of last)."""
    runs: list[dict[str, Any]] = []
    for _, row in frame.iterrows():
        values = _row_values(row, hours)
        last = runs[-1] if runs else None
        if (last and last["day"] == row["day"] and last["next"] == row["interval"] and last["values"] == values[:-1]
                and last["binding"] == values[-1]):
            last["end"], last["next"], last["count"] = row["end"], row["interval"] + 1, last["count"] + 1
        else:
            runs.append({"day": row["day"], "start": row["start"], "end": row["end"], "next": row["interval"] + 1,
                         "values": values[:-1], "binding": values[-1], "count": 1, "uncovered": bool(row["uncovered"]),
                         "short": bool(row["gap"] < -1e-9)})
    return runs


def day_blocks(runs: list[dict[str, Any]]) -> list[tuple[list[str], list[dict[str, Any]]]]:
    """Neighbouring days whose rows are all alike merged into one block (``Mon–Fri``)."""
    by_day: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_day.setdefault(run["day"], []).append(run)
    blocks: list[tuple[list[str], list[dict[str, Any]]]] = []

    def key(rs: list[dict[str, Any]]) -> list[tuple]:
        return [(r["start"], r["end"], r["values"], r["binding"]) for r in rs]

    for day in ORDER:
        if day not in by_day:
            continue
        last = blocks[-1] if blocks else None
        if last and ORDER.index(last[0][-1]) == ORDER.index(day) - 1 and key(last[1]) == key(by_day[day]):
            last[0].append(day)
        else:
            blocks.append(([day], by_day[day]))
    return blocks


def same_gaps(week, hours: float) -> list[tuple[list[str], dict[str, Any], pd.Series]]:
    """The shortfalls as readable items, worst first: neighbouring equal intervals joined, the same time on several days once.

    Each item is ``(days, run, row)``: the days, the run (``start``, ``end``)
    and the first interval's row (gap, staff, service level).
    """
    f = week.frame
    short = f[f["gap"] < -1e-9]
    groups: dict[tuple, tuple[list[str], dict[str, Any], pd.Series]] = {}
    for run in compress(short, hours):
        key = (run["start"], run["end"], run["values"])
        if key in groups:
            groups[key][0].append(run["day"])
        else:
            groups[key] = ([run["day"]], run, f.loc[f["day"].eq(run["day"]) & f["start"].eq(run["start"])].iloc[0])
    items = sorted(groups.values(), key=lambda g: (float(g[2]["gap"]), int(g[2]["interval"])))
    return [(sorted(days, key=ORDER.index), run, row) for days, run, row in items]


def print_week_requirement(week, console: Console) -> None:
    """``simsla erlang --scenario``: targets and basis, what is counted, the table by day, totals and worst gaps."""
    minutes = week.interval_seconds / 60
    hours = week.interval_seconds / 3600
    first = week.targets[0]
    model = week.model + (f", callers' mean patience {readable_duration(week.patience_seconds)} taken as exponential"
                          if week.patience_seconds is not None else ", callers never hang up")
    console.print(f"[bold]{escape(week.group)}[/bold]: phone line against the shifts, {minutes:g}-minute intervals, "
                  f"{model}", highlight=False)
    several = len(week.targets) > 1
    console.print(f"target{'s' if several else ''} — {escape(week.how)}:", highlight=False)
    for k, t in enumerate(week.targets, start=1):
        console.print(f"  [{k}] {escape(t.describe())}" if several else f"  {escape(t.describe())}", highlight=False)
    f = week.frame
    tot = week.totals()
    console.print(f"counted as calls: the phone streams ({tot['calls_per_week']:,.0f} calls a week)."
                  if tot["calls_per_week"] > 0 else "the scenario has no phone calls: nothing needs an answer within "
                  "seconds, so the requirement is 0 throughout.", highlight=False)
    if week.written:
        names = ", ".join(f"{w['name']} ({w['channel']})" for w in week.written)
        contacts = sum(w["contacts_per_week"] for w in week.written)
        console.print(f"not calls: {escape(names)} — {contacts:,.0f} contacts, {tot['written_agent_hours']:,.0f} "
                      "agent-hours a week at the desk. They wait for a free agent rather than an answer within "
                      "seconds, so they are left out of the Erlang requirement and come on top of it.",
                      highlight=False)
    table = Table(title=f"Phone requirement for {first.label if not several else 'every target'} vs agents on shift "
                        f"(abandoned calls: {first.abandoned}{' in [1]' if several else ''}); equal neighbouring "
                        "intervals merged", title_justify="left")
    columns = [("day", "left"), ("time", "left"), ("calls/h", "right"), ("AHT", "right"), ("load (Erl)", "right"),
               ("required", "right")] + ([("strictest", "right")] if several else []) + [
               ("on shift", "right"), ("gap", "right"), (f"answered in {readable_duration(first.threshold)}*", "right"),
               ("abandoned*", "right"), ("", "left")]
    for col, just in columns:
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    first_day = True
    for days, runs in day_blocks(compress(week.shown(), hours)):
        if not first_day:
            table.add_section()
        for k, run in enumerate(runs):
            style = "bold red" if run["uncovered"] else ("yellow" if run["short"] else None)
            cells = list(run["values"])
            if several:
                cells.insert(4, run["binding"])
            table.add_row(day_span(days) if k == 0 else "", f"{run['start']}–{run['end']}", *cells[:-1], Text(cells[-1]),
                          style=style)
        first_day = False
    console.print(table)
    console.print(f"* with the agents on shift (rounded down){' for target [1]' if several else ''}; "
                  f"abandoned-call basis: {first.abandoned} — {first.abandoned_text}.", highlight=False)
    hidden = int((~f["shown"]).sum())
    if hidden:
        closed = [DAY_NAMES[d] for d in DAY_NAMES if not f.loc[f["day"] == d, "shown"].any()]
        console.print(f"not shown: {hidden} intervals with no calls and nobody on shift"
                      + (f" (all of {', '.join(closed)})" if closed else "") + ".", highlight=False)
    surplus = tot["scheduled_agent_hours"] - tot["required_agent_hours"] + tot["short_agent_hours"]
    console.print(f"agent-hours a week on the floor for calls: required {tot['required_agent_hours']:,.1f}, on shift "
                  f"{tot['scheduled_agent_hours']:,.1f}; short {tot['short_agent_hours']:,.1f} in "
                  f"{tot['intervals_short']} intervals; {surplus:,.1f} on shift beyond the calls' need"
                  + (f", against {tot['written_agent_hours']:,.1f} of written work" if week.written else "") + ".",
                  highlight=False)
    if week.shrinkage > 0:
        console.print(f"paid hours at the desk's {100 * week.shrinkage:g} % shrinkage: required "
                      f"{tot['paid_required_hours']:,.1f}, on shift {tot['paid_scheduled_hours']:,.1f} "
                      f"(hours on the floor / {1 - week.shrinkage:g}).", highlight=False)
    else:
        console.print("no shrinkage stated for the desk: paid hours = hours on the floor.", highlight=False)
    worst = same_gaps(week, hours)[:4]
    if worst:
        items = [f"{day_span(days)} {run['start']}–{run['end']}: {_agents(r['scheduled'])} on shift, {int(r['required'])} "
                 f"required ({_pct(r['service_level'])} answered in {readable_duration(first.threshold)})"
                 for days, run, r in worst]
        console.print("worst gaps: " + "; ".join(items), highlight=False)
    if tot["intervals_uncovered"]:
        console.print(f"[bold red]calls arrive with nobody on shift[/bold red] in {tot['intervals_uncovered']} "
                      f"intervals ({tot['calls_uncovered_per_week']:,.1f} calls a week go unanswered).", highlight=False)
    console.print("assumptions: steady state in each interval, exponential talk"
                  + (" and patience" if week.patience_seconds is not None else "")
                  + " times, one queue for every caller (customer and priority scopes pooled), holidays and "
                  "daylight saving ignored; profiles are hourly, so a 15- or 30-minute interval carries its hour's "
                  "rate. `simsla run` simulates without these limits.", highlight=False)
