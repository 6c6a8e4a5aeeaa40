"""``write_report``: one self-contained ``report.html`` for a simulation's results.

The page needs no network and runs no script: figures are embedded as base64
PNG, the style sheet is inline, and a Content-Security-Policy forbids
everything else.  Every string that comes from a scenario (names of
services, groups, agreements, targets, verdict messages, the description)
is escaped with ``html.escape``.

The traffic-light grids are HTML tables (``<table class="lights"
data-grid="...">``) whose cells carry ``class="cell green|amber|red|none"``
and ``data-light`` / ``data-value`` attributes, so they can be read, printed
and counted by a browser test, not only looked at.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simsla.analysis.coverage import check
from simsla.model.units import format_duration
from simsla.report import figures as F
from simsla.report.figures_style import LIGHTS, MEANINGS, SYMBOLS

if TYPE_CHECKING:
    from simsla.experiment.results import Results

#: the policy of the page: nothing but inline style and embedded images
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.4rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
.meta { color: #444; } .meta span { margin-right: 1.4rem; white-space: nowrap; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .9rem; }
th, td { padding: .25rem .55rem; border-bottom: 1px solid #e3e3e3; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.lights td.cell { text-align: center; min-width: 4.2rem; border: 2px solid #fff; color: #000; white-space: nowrap; }
table.lights th.row { font-weight: normal; white-space: nowrap; background: none; }
.cell.green, .badge.green { background: %(green)s; } .cell.amber, .badge.amber { background: %(amber)s; }
.cell.red, .badge.red { background: %(red)s; } .cell.none, .badge.none { background: %(none)s; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: .3rem; color: #000; white-space: nowrap; }
.legend span { margin-right: 1rem; white-space: nowrap; }
figure { margin: 1rem 0 2rem; } figure img { max-width: 100%%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: .9rem; }
.warning { background: #fff3cd; border-left: 4px solid %(amber)s; padding: .5rem .8rem; }
ul.problems { margin: 0; padding-left: 1.1rem; } .small { font-size: .85rem; color: #555; }
""" % LIGHTS


def write_report(results: "Results", folder: str | Path) -> Path:
    """Write ``folder/report.html`` (creating the folder) and return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.html"
    tmp = path.with_name(".report.html.tmp")
    tmp.write_text(render(results), encoding="utf-8")
    tmp.replace(path)
    return path


# ------------------------------------------------------------------ helpers
def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f} %"


def _ci(lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None:
        return ""
    return f' <span class="small">[{100 * lo:.1f}–{100 * hi:.1f}]</span>'


def _secs(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    if x < 120:
        return f"{x:.0f} s"
    return f"{x / 60:.0f} min" if x < 2 * 3600 else f"{x / 3600:.1f} h"


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[int] = (), cls: str = "") -> str:
    """An HTML table; ``head`` is escaped here, cells must already be HTML (escape them with ``_e``)."""
    num = set(numeric)
    out = [f'<table class="{_e(cls)}"><thead><tr>']
    out += [f'<th class="num">{_e(h)}</th>' if i in num else f"<th>{_e(h)}</th>" for i, h in enumerate(head)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="num">{c}</td>' if i in num else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _figure(fig: Figure, alt: str, caption: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{caption}</figcaption></figure>")


def _legend(kind: str) -> str:
    return '<p class="legend small">' + "".join(
        f'<span><span class="badge {k}">{SYMBOLS[k]}</span> {_e(v)}</span>' for k, v in MEANINGS[kind].items()) + "</p>"


def lights_table(cells: pd.DataFrame, value: str, grid: str, row_title: str) -> str:
    """A grid of traffic lights as an HTML table: rows x periods, one ``td.cell`` per (row, period).

    ``cells`` has columns row, period, light and ``value`` (a share), as
    returned by ``figures.grid_lights`` (value ``attainment``) or
    ``figures.risk_table`` (value ``breach_probability``).
    """
    rows = list(dict.fromkeys(cells["row"].tolist()))
    periods = list(dict.fromkeys(cells["period"].tolist()))
    index = {(r, p): c for r, p, c in zip(cells["row"], cells["period"], cells.to_dict("records"))}
    out = [f'<table class="lights" data-grid="{_e(grid)}"><thead><tr><th>{_e(row_title)}</th>']
    out += [f"<th>{_e(p)}</th>" for p in periods]
    out.append("</tr></thead><tbody>")
    for r in rows:
        out.append(f'<tr><th class="row" scope="row">{_e(r)}</th>')
        for p in periods:
            c = index.get((r, p))
            if c is None:
                out.append("<td></td>")
                continue
            v = c[value]
            shown = F.pct(v) if v is not None and np.isfinite(v) else "no data"
            extra = f" of {c['counted']}" if "counted" in c and value == "attainment" and c["counted"] else ""
            out.append(f'<td class="cell {c["light"]}" data-light="{c["light"]}" '
                       f'data-value="{"" if v is None or not np.isfinite(v) else f"{v:.6g}"}" '
                       f'title="{_e(r)}, {_e(p)}: {_e(shown)}{_e(extra)}">{SYMBOLS[c["light"]]} {_e(shown)}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


# ------------------------------------------------------------------ sections
def _header(results: "Results", summary: dict[str, Any]) -> str:
    sc = results.scenario
    desc = f"<p>{_e(sc.description)}</p>" if sc.description else ""
    meta = [("start", sc.start.isoformat()), ("time zone", sc.timezone), ("warm-up", format_duration(sc.warmup)),
            ("measured", format_duration(sc.horizon)), ("replications", results.replications), ("seed", results.seed)]
    spans = "".join(f"<span><b>{_e(k)}</b> {_e(v)}</span>" for k, v in meta)
    warn = "".join(f'<p class="warning"><b>Unstable run:</b> {_e(m)}</p>' for m in summary.get("unstable", []))
    warn += "".join(f'<p class="warning"><b>Warning:</b> {_e(m)}</p>' for m in summary.get("warnings", []))
    return f"<h1>{_e(sc.name)}</h1>{desc}<p class=\"meta\">{spans}</p>{warn}"


def _verdict_section(summary: dict[str, Any]) -> str:
    """The answer first: the same verdict ``simsla run`` opens with."""
    verdict = summary.get("verdict")
    if not verdict or not verdict.get("targets"):
        return ""
    rows = []
    order = {"not defensible": 0, "at risk": 1, "cannot be judged": 2, "defensible": 3}
    for t in sorted(verdict["targets"], key=lambda t: order.get(t["status"], 4)):
        p, (lo, hi) = t["breach_probability"], t["breach_probability_ci95"]
        rows.append([f'<span class="badge {t["light"]}">{SYMBOLS[t["light"]]} {_e(t["status"])}</span>',
                     _e(t["agreement"]), _e(t["target"]), ("nothing counted" if p is None else _pct(p, 0) + _ci(lo, hi)),
                     _e("; ".join(t["note_reasons"]))])
    return (f'<h2>Verdict</h2><p class="verdict"><b>{_e(verdict["headline"])}</b></p>'
            + _table(["verdict", "agreement", "target", "breach probability per period [95 % CI]", "too little data"],
                     rows, numeric=(3,), cls="verdict"))


def _summary_section(summary: dict[str, Any]) -> str:
    t = summary["tickets"]
    per = t["per_replication"]
    rows = []
    lines = [(key, t[key], per[key]) for key in ("arrived", "resolved", "abandoned", "open", "blocked") if key in t]
    lines += [(f"{kind} contacts", n, t["by_contact_per_replication"][kind]) for kind, n in t.get("by_contact", {}).items()]
    for key, total, b in lines:
        lo, hi = b["ci95"]
        span = f' <span class="small">[{lo:,.0f}–{hi:,.0f}]</span>' if lo is not None and hi is not None else ""
        rows.append([_e(key), f"{total:,}", f"{b['mean']:,.1f}{span}" if b["mean"] is not None else "–"])
    out = ["<h2>Summary</h2>", "<h3>Tickets</h3>",
           _table(["", "total", "per replication (mean [95 % CI])"], rows, numeric=(1, 2))]
    rows = []
    for c in summary["channels"]:
        within = ", ".join(f"{_e(format_duration(float(k[:-1])))}: {_pct(v['mean'])}" for k, v in c["answered_within"].items())
        abandon = _pct(c["abandonment"]["mean"]) if c["channel"] == "phone" else "–"
        rows.append([_e(c["channel"]), f"{c['contacts']:,}", within, abandon, _secs(c["mean_wait_seconds"])])
    out += ["<h3>Channels</h3>", _table(["channel", "contacts", "answered within (share of all contacts)",
                                          "abandoned", "mean wait"], rows, numeric=(1, 3, 4))]
    def hours(x: float | None) -> str:
        return "–" if x is None else f"{x:,.0f}"

    rows = [[_e(g["name"]), _e(g["role"]), _pct(g["utilization"]) + _ci(*g["utilization_ci95"]), f"{g['visits']:,}",
             _secs(g["mean_wait_seconds"]), _secs(g["p90_wait_seconds"]), hours(g.get("on_floor_agent_hours_per_week")),
             hours(g.get("paid_agent_hours_per_week")) + (f" ({100 * g['shrinkage']:.0f} % shrinkage)"
                                                          if g.get("shrinkage") else ""),
             hours(g.get("cost_per_week"))] for g in summary["groups"]]
    out += ["<h3>Groups</h3>", _table(["group", "role", "utilisation [95 % CI]", "visits", "mean wait", "90th percentile wait",
                                       "agent-hours on the floor per week", "paid agent-hours per week", "cost per week"],
                                      rows, numeric=(2, 3, 4, 5, 6, 7, 8))]
    out.append(_agent_groups_table(summary, hours))
    return "".join(out)


def _agent_groups_table(summary: dict[str, Any], hours: Any) -> str:
    """Per agent group (skills): utilisation, busy, on-floor and paid hours, cost; empty without agent groups."""
    from simsla.report.tables import team_utilisation

    teams = [r for g in summary["groups"] for r in g.get("agent_groups", ())]
    if not teams:
        return ""
    rows = []
    for r in teams:
        value, span = team_utilisation(r)
        rows.append([_e(r["group"]), _e(r["name"]), _e(", ".join(f"{k}:{v}" for k, v in r["skills"].items())),
                     _e(value) + (f' <span class="small">[{_e(span)}]</span>' if span else ""), f"{r['visits']:,}",
                     hours(r["busy_agent_hours_per_week"]), hours(r["on_floor_agent_hours_per_week"]),
                     hours(r["paid_agent_hours_per_week"]) + (f" ({100 * r['shrinkage']:.0f} % shrinkage)"
                                                              if r.get("shrinkage") else ""),
                     hours(r.get("cost_per_week"))])
    return ("<h3>Agent groups</h3>"
            '<p class="small">Utilisation: busy time of the visits an agent group worked over its staffed '
            "agent-hours; for chat agents with several sessions at once, the mean number of sessions per agent.</p>"
            + _table(["group", "agent group", "skills:level", "utilisation [95 % CI]", "visits",
                      "busy agent-hours per week", "agent-hours on the floor per week", "paid agent-hours per week",
                      "cost per week"], rows, numeric=(3, 4, 5, 6, 7, 8)))


def _coverage_section(results: "Results") -> str:
    verdicts = check(results.scenario)
    out = ["<h2>Coverage of the SLAs by OLAs and UCs</h2>",
           '<p class="small">Without simulating: is every SLA resolution target covered backwards along every '
           "escalation path by an OLA or UC that is fast and strict enough?</p>"]
    if not verdicts:
        return "".join(out + ["<p>No SLA resolution targets to check.</p>"])
    rows = []
    for v in verdicts:
        light = "green" if v.verdict == "covered" else "red"
        problems = "".join(f"<li>{_e(p)}</li>" for p in v.problems)
        minor = (f'<p class="small">{v.minor_paths} rarer path(s), {v.minor_with_gaps} with gaps</p>'
                 if v.minor_paths else "")
        rows.append([_e(v.agreement), _e(v.target), f'<span class="badge {light}">{SYMBOLS[light]} {_e(v.verdict)}</span>',
                     str(v.paths), (f'<ul class="problems">{problems}</ul>' if problems else "") + minor])
    out.append(_table(["agreement", "target", "verdict", "paths", "problems and notes"], rows, numeric=(3,), cls="verdicts"))
    return "".join(out)


def _targets_section(summary: dict[str, Any]) -> str:
    rows = []
    for t in summary.get("targets", []):
        promise = f"{100 * t['fraction']:g} %"
        if t["threshold_seconds"] is not None:
            promise += f" within {format_duration(t['threshold_seconds'])}"
        p = t["breach_probability"]
        light = t.get("light", "none")
        rows.append([_e(t["agreement"]), _e(t["kind"]), _e(t["target"]), _e(t["metric"]), _e(promise), _e(t["period"]),
                     _pct(t["attainment"]) + _ci(*t["attainment_ci95"]),
                     f'<span class="badge {light}">{SYMBOLS[light]} {_pct(p, 0)}</span>' + _ci(*t["breach_probability_ci95"]),
                     str(t["periods_evaluated"]) + ("" if t.get("complete_periods_only", True) else " (partial)")])
    head = ["agreement", "kind", "target", "metric", "promise", "period", "attainment (pooled) [95 % CI]",
            "breach probability per period [95 % CI]", "replication-periods"]
    return ("<h2>Targets</h2><p class=\"small\">Attainment pooled over all replications; the breach probability is the "
            "share of (replication, period) pairs whose attainment fell below the agreed fraction.</p>"
            + _legend("risk") + _table(head, rows, numeric=(6, 7, 8), cls="targets"))


def _num(x: Any) -> float | None:
    return None if x is None or not np.isfinite(float(x)) else float(x)


def _points(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:+.1f}"


def _volume_section(results: "Results") -> str:
    """The run's ``volume_risk`` table (``simsla run --volume-risk``, ``simsla.analysis.volume``), drawn."""
    frame: pd.DataFrame = results.extra["volume_risk"]
    rows = []
    for r in frame.itertuples():
        lo, hi = _num(r.from_volume_low), _num(r.from_volume_high)
        interval = "" if lo is None or hi is None else f' <span class="small">[{_points(lo)} to {_points(hi)}]</span>'
        rows.append([_e(r.agreement), _e(r.target), _e(r.period),
                     _pct(_num(r.with_busy_days)) + _ci(_num(r.with_busy_days_low), _num(r.with_busy_days_high)),
                     _pct(_num(r.without)) + _ci(_num(r.without_low), _num(r.without_high)),
                     f"{_points(_num(r.from_volume))} pts" + interval, _pct(_num(r.share_from_volume), 0)])
    head = ["agreement", "target", "period", "with busy days [95 % CI]", "without [95 % CI]",
            "from volume [95 % CI]", "share of the risk"]
    return ("<h2>How much of the risk is volume uncertainty</h2>"
            '<p class="small">The scenario was simulated a second time with the same seed and replications but with '
            "every busy-day factor removed (Poisson demand on the same profile and volume); the difference in breach "
            "probability is paired by replication, which share all other random draws, and given with a Student-t "
            "95 % interval in percentage points. Breach probabilities carry Wilson 95 % intervals; the share is the "
            "difference over the breach probability with busy days.</p>"
            + _table(head, rows, numeric=(3, 4, 5, 6), cls="volume-risk"))


def _service_target(results: "Results", summary: dict[str, Any]):
    """For the grid by service: the SLA ticket target most at risk among those with tickets enough to fill
    a week per service (else the one with the most tickets)."""
    weeks = max(results.scenario.horizon / (7 * 86400.0), 1.0)
    candidates = []
    for t in summary.get("targets", []):
        if t["kind"] != "SLA" or t["metric"] == "availability" or not t["counted"]:
            continue
        agreement = next(a for a in results.scenario.agreements if a.name == t["agreement"])
        target = next(x for x in agreement.targets if x.name == t["target"])
        services = len(target.when.values("service") or results.scenario.services)
        dense = t["counted"] / (results.replications * weeks) >= 5 * services
        candidates.append(((dense, t["breach_probability"] or 0.0, t["counted"]), agreement, target))
    if not candidates:
        return None
    _, agreement, target = max(candidates, key=lambda c: c[0])
    return agreement, target


def _grids_section(results: "Results", table: pd.DataFrame, summary: dict[str, Any]) -> str:
    out = ["<h2>Traffic lights</h2>"]
    if table.empty:
        return "".join(out + ["<p>The scenario has no agreements, so there are no targets to light.</p>"])
    complete = "complete periods only" if table["complete"].any() else "no period is complete: partial periods shown"
    out += ["<h3>What a period could look like (replication 0)</h3>",
            f'<p class="small">One simulated run, per target and reporting period ({complete}): attainment against '
            "the agreed fraction; amber when within the target's warning margin above it.</p>", _legend("attainment"),
            lights_table(F.grid_lights(table, 0), "attainment", "attainment", "agreement · target"),
            f"<h3>How risky each period is ({results.replications} replications)</h3>",
            '<p class="small">The share of replications in which the period was breached.</p>', _legend("risk"),
            lights_table(F.risk_table(table), "breach_probability", "risk", "agreement · target")]
    chosen = _service_target(results, summary)
    if chosen is not None:
        agreement, target = chosen
        by_service = F.service_attainment(results, agreement, target, period="week")
        by_service = by_service[by_service.groupby("service")["counted"].transform("sum") > 0]
        if len(by_service):
            what = f"{agreement.name} / {target.name}"
            out += [f"<h3>By service and week: {_e(what)}</h3>",
                    f'<p class="small">The SLA ticket target most at risk among those with tickets in most weeks, per service and ISO week (an operational '
                    f"view; the contract measures per {_e(agreement.period)}). Services without tickets in scope are "
                    "left out.</p>", _legend("attainment"),
                    lights_table(F.grid_lights(by_service, 0, rows=("service",)), "attainment", "service-attainment", "service"),
                    '<p class="small">Breach probability per service and week over all replications:</p>', _legend("risk"),
                    lights_table(F.risk_table(by_service, rows=("service",)), "breach_probability", "service-risk", "service")]
    return "".join(out)


def _figures_section(results: "Results", table: pd.DataFrame, summary: dict[str, Any]) -> str:
    out = ["<h2>Figures</h2>"]
    if not table.empty:
        out.append(_figure(F.attainment_distribution_figure(table), "attainment per period and target",
                           "Each dot is one period of one replication; the black bar is the agreed fraction."))
        out.append(_figure(F.breach_probability_figure(summary["targets"]), "breach probability per target",
                           "Probability that a period's attainment falls below the agreed fraction, with Wilson 95 % intervals."))
    blame = pd.DataFrame(summary.get("attribution") or [])
    if len(blame):
        out.append(_figure(F.attribution_figure(blame), "attribution of missed targets",
                           "Left: which party used the time of the tickets that missed an SLA target. Right: in how many "
                           "of those misses the party also broke its own OLA/UC."))
    profile = F.weekly_profile(results)
    out.append(_figure(F.load_figure(results, profile), "load by hour of week",
                       "Means over replications and weeks, by local hour of the week."))
    out.append(_figure(F.utilisation_figure(results, profile), "utilisation by hour of week",
                       "Busy agent-time over staffed agent-time; blank where nobody is on duty."))
    out.append(_figure(F.staffing_figure(results.scenario), "desk staff against the requirement",
                       "Desk headcount from the shifts against the Erlang C requirement of the phone line alone "
                       "(steady state per hour, the workforce-management convention)."))
    return "".join(out)


def render(results: "Results") -> str:
    """The report as one HTML string."""
    summary = results.summary()
    table = F.with_margins(results.evaluation(), results.scenario) if results.scenario.agreements else pd.DataFrame()
    body = [_header(results, summary), _verdict_section(summary), _summary_section(summary), _coverage_section(results)]
    if summary.get("targets"):
        body.append(_targets_section(summary))
    if isinstance(results.extra.get("volume_risk"), pd.DataFrame) and len(results.extra["volume_risk"]):
        body.append(_volume_section(results))
    body += [_grids_section(results, table, summary), _figures_section(results, table, summary)]
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    from simsla import __version__

    body.append(f'<p class="small">simsla {_e(__version__)}, written {_e(stamp)}.</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(results.scenario.name)} — simsla report</title><style>{_CSS}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")
