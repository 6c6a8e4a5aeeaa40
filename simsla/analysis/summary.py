"""The headline numbers of a run: tickets, groups, agent groups, channels — with CIs over replications.

Staffing numbers are per week of the measured window (after the warm-up):
agent-hours on the floor (what the shifts put on duty), the paid hours
behind them (``/ (1 - shrinkage)``) and their cost (paid hours x cost per
hour).  A group with agent groups (skills, ``simsla.model.skills``) also gets
them per agent group (``agent_groups`` of its row, ``agent_team_rows``), at
the agent group's cost and shrinkage (``agent_team_rates``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simsla.analysis.occupancy import box_integral, step_integral
from simsla.analysis.pooling import add_histograms, key_histogram, pooled_quantile
from simsla.analysis.stats import mean_ci
from simsla.analysis.verdict import DEFAULT_CONFIDENCE, judge
from simsla.model.chain import paid_fte

if TYPE_CHECKING:
    from simsla.ticketlog import TicketLog

#: thresholds at which the share of calls answered is reported
PHONE_THRESHOLDS = (20.0, 30.0, 60.0)
#: thresholds at which the share of written tickets picked up is reported
WRITTEN_THRESHOLDS = (3600.0, 4 * 3600.0, 8 * 3600.0)


def _ci(values: np.ndarray, low: float = 0.0, high: float = np.inf) -> dict[str, Any]:
    """Mean and t-interval, clipped to the range the quantity can take (shares [0, 1], counts >= 0)."""
    m, lo, hi = mean_ci(values)
    return {"mean": _num(m), "ci95": [_num(np.clip(lo, low, high)), _num(np.clip(hi, low, high))]}


def _share_ci(values: np.ndarray) -> dict[str, Any]:
    return _ci(values, 0.0, 1.0)


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def summarize(results: "TicketLog", confidence: float = DEFAULT_CONFIDENCE,
              table: pd.DataFrame | None = None) -> dict[str, Any]:
    """A JSON-ready summary of ``results``.

    ``confidence`` sets the risk line of the verdict (``simsla.analysis.verdict``):
    a target is defensible when its breach probability's 95 % interval lies
    below ``1 - confidence``.  ``table`` is ``evaluate(results)`` when the
    caller has it already.

    Computed as ``summary_from`` over each replication's ``replication_figures``
    (``simsla.analysis.pooling``): what a streamed run computes as the
    replications complete, so both give the same summary.
    """
    if table is None and results.scenario.agreements:
        from simsla.analysis.attainment import evaluate

        table = evaluate(results)
    figures = [replication_figures(r) for r in results.by_replication()]
    blame = None
    if results.scenario.agreements:
        from simsla.analysis.attribution import replication_blame

        blame = [replication_blame(results)]  # per replication, in one pass (see replication_blame)

    def waits(group: str) -> Iterator[np.ndarray]:
        return (group_waits(r.segments, group) for r in results.by_replication())

    return summary_from(results, figures, waits, confidence, table, blame)


def group_waits(segments: pd.DataFrame, group: str) -> np.ndarray:
    """Waits (enter to start of work, s) of the visits to ``group`` that started: a group's wait figures."""
    s = segments[(segments["party"] == group) & segments["start"].notna()]
    return (s["start"] - s["enter"]).to_numpy(dtype=float)


def replication_figures(log: "TicketLog") -> dict[str, Any]:
    """One replication's reduction for ``summary_from`` (``log`` holds that replication only).

    Counts and sums per outcome, contact kind, group, agent group and
    channel, the histogram that starts each group's pooled wait quantile, and
    the attribution's sums (``simsla.analysis.attribution.replication_blame``).
    """
    sc = log.scenario
    tk, seg, util = log.tickets, log.segments, log.utilization
    stop = float(log.runs["stopped_at"].iloc[0])
    figures: dict[str, Any] = {
        "arrived": int(len(tk)),
        "outcomes": {o: int(c) for o, c in tk["outcome"].value_counts(sort=False).items()},
        "contacts": ({k: int(c) for k, c in tk["contact"].value_counts(sort=False).items()}
                     if "contact" in tk else {}),
    }
    groups = []
    for gi, g in enumerate(sc.groups):
        u = util[util["group"] == g.name]
        waits = group_waits(seg, g.name)
        groups.append({"busy": float(u["busy"].sum()), "staffed": float(u["staffed"].sum()), "hours": int(len(u)),
                       "visits": int(len(waits)), "wait_sum": float(waits.sum()), "waits": key_histogram(waits),
                       "teams": _team_figures(log, gi, stop) if g.agents is not None else []})
    figures["groups"] = groups
    fresh = tk[tk["contact"] != "backlog"] if "contact" in tk else tk  # a backlog's tickets were answered before
    channels = {}
    for channel in sc.levels("channel"):
        c = fresh[fresh["channel"] == channel]
        thresholds = PHONE_THRESHOLDS if channel == "phone" else WRITTEN_THRESHOLDS
        waits = c["wait"].dropna()
        channels[channel] = {
            "contacts": int(len(c)),
            "within": [int((c["wait"] <= t).sum()) for t in thresholds],
            "abandoned": int((c["outcome"] == "abandoned").sum()),
            "wait_sum": float(waits.sum()), "waits": int(len(waits)),
            "blocked": int((c["outcome"] == "blocked").sum()),
            "redials": int((c["contact"] == "redial").sum()) if "contact" in c else None,
            "callbacks": int(c["callback"].notna().sum()) if "callback" in c else None,
        }
    figures["channels"] = channels
    return figures


def summary_from(results: "TicketLog", figures: Sequence[dict[str, Any]],
                 waits: Callable[[str], Iterable[np.ndarray]], confidence: float = DEFAULT_CONFIDENCE,
                 table: pd.DataFrame | None = None, blame: Sequence[list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """``summarize``'s dict from each replication's ``replication_figures`` (in the order of ``results.runs``).

    Parameters
    ----------
    results
        the scenario, seed, replications, ``runs`` and ``outages`` of the
        run; its tickets and segments are not read.
    figures
        ``replication_figures`` of every replication.
    waits
        ``waits(group)`` iterates the group's waits again, one array per
        replication (for the exact pooled 90th percentile; see
        ``simsla.analysis.pooling.pooled_quantile``).
    confidence, table
        as for ``summarize`` (``table``: ``evaluate``'s, needed with agreements).
    blame
        ``simsla.analysis.attribution.replication_blame`` of the replications
        (of one or several at a time), needed with agreements.
    """
    sc = results.scenario
    reps = results.replications
    outcomes = ["resolved", "abandoned", "open"] + (
        ["blocked"] if any(f["outcomes"].get("blocked", 0) for f in figures) else [])
    per = {o: np.array([f["outcomes"].get(o, 0) for f in figures], dtype=float) for o in outcomes}
    tickets = {
        "arrived": int(sum(f["arrived"] for f in figures)),
        **{o: int(per[o].sum()) for o in outcomes},
        "per_replication": {
            "arrived": _ci(np.array([f["arrived"] for f in figures], dtype=float)),
            **{o: _ci(per[o]) for o in outcomes},
        },
    }
    tickets.update(_contact_kinds(figures))
    weeks = _measured_weeks(results)
    groups = []
    for gi, g in enumerate(sc.groups):
        mine = [f["groups"][gi] for f in figures]
        busy = np.array([m["busy"] for m in mine if m["hours"]])
        staffed = np.array([m["staffed"] for m in mine if m["hours"]])
        per_rep = busy / np.where(staffed == 0, np.nan, staffed)
        visits = sum(m["visits"] for m in mine)
        sessions = max((t.concurrency for t in g.agents or ()), default=1)  # chat: busy counts sessions
        p90 = pooled_quantile(add_histograms(m["waits"] for m in mine), 0.9, lambda: waits(g.name))
        groups.append({
            "name": g.name,
            "role": g.role,
            **_staffing_hours(math.fsum(staffed), math.fsum(busy), weeks, float(g.shrinkage), g.cost_per_hour),
            "utilization_ci95": _ci(per_rep, 0.0, float(sessions))["ci95"],
            "visits": int(visits),
            "mean_wait_seconds": _num(math.fsum(m["wait_sum"] for m in mine) / visits) if visits else None,
            "p90_wait_seconds": _num(p90) if visits else None,
            **({"agent_groups": _team_rows(g, [m["teams"] for m in mine], weeks)} if g.agents is not None else {}),
        })
    channels = []
    for channel in sc.levels("channel"):
        mine = [f["channels"][channel] for f in figures if f["channels"][channel]["contacts"]]
        contacts = sum(m["contacts"] for m in mine)
        if contacts == 0:
            continue
        thresholds = PHONE_THRESHOLDS if channel == "phone" else WRITTEN_THRESHOLDS
        n = np.array([m["contacts"] for m in mine], dtype=float)
        # offered basis: every contact counts; one not answered in time (or abandoned) misses
        within = {f"{t:g}s": _share_ci(np.array([m["within"][i] for m in mine]) / n) for i, t in enumerate(thresholds)}
        waited = sum(m["waits"] for m in mine)
        row = {
            "channel": channel,
            "contacts": int(contacts),
            "answered_within": within,
            "abandonment": _share_ci(np.array([m["abandoned"] for m in mine]) / n),
            "mean_wait_seconds": _num(math.fsum(m["wait_sum"] for m in mine) / waited) if waited else None,
        }
        for name in ("blocked", "redials", "callbacks"):
            if any(m[name] for m in mine):  # shares of this channel's contacts, only where they occur
                row[name] = _share_ci(np.array([m[name] for m in mine]) / n)
        channels.append(row)
    from simsla.analysis.attainment import target_summary
    from simsla.analysis.attribution import attribution_from

    targets = target_summary(results, table) if sc.agreements else []
    blamed = attribution_from(sc, blame or []) if sc.agreements else None
    attribution = [] if blamed is None else [
        {k: (_num(v) if isinstance(v, float) else v) for k, v in row.items()} for row in blamed.to_dict("records")
    ]
    for t in targets:
        t["attainment_ci95"] = [None if x is None else min(1.0, max(0.0, x)) for x in t["attainment_ci95"]]
    verdict = judge(targets, confidence, int(reps))
    for t, v in zip(targets, verdict.targets):
        t.update(light=v.light, status=v.status, notes=[str(n) for n in v.notes])
    return {
        "scenario": sc.name,
        "seed": int(results.seed),
        "replications": int(reps),
        "warmup_seconds": float(sc.warmup),
        "horizon_seconds": float(sc.horizon),
        "start": sc.origin.isoformat(),
        "tickets": tickets,
        "groups": groups,
        "suppliers": [s.name for s in sc.suppliers],
        "channels": channels,
        "verdict": verdict.as_dict(),
        "targets": targets,
        "attribution": attribution,
        "unstable": results.unstable,
        **_abandonment(channels),
    }


def _measured_weeks(results: "TicketLog") -> float:
    """Weeks measured over all replications (the horizon after the warm-up, times the replications)."""
    return max(float(results.scenario.horizon), 1.0) / (7 * 86400.0) * max(int(results.replications), 1)


def _staffing_hours(staffed: float, busy: float, weeks: float, shrinkage: float,
                    cost_per_hour: float | None) -> dict[str, Any]:
    """Agent-hours on the floor, busy, paid (at ``shrinkage``) per week, their cost, and utilisation (busy / staffed).

    ``staffed`` and ``busy`` are agent-seconds over ``weeks`` measured weeks.
    """
    floor_hours = staffed / 3600.0 / weeks
    paid_hours = paid_fte(floor_hours, shrinkage)
    return {
        "on_floor_agent_hours_per_week": floor_hours,
        "busy_agent_hours_per_week": busy / 3600.0 / weeks,
        "shrinkage": float(shrinkage),
        "paid_agent_hours_per_week": paid_hours,
        "cost_per_week": None if cost_per_hour is None else paid_hours * float(cost_per_hour),
        "utilization": _num(busy / staffed) if staffed > 0 else None,
    }


def agent_team_rates(group: Any, team: Any) -> tuple[float | None, float]:
    """Cost of one paid agent-hour and shrinkage of an agent group: its own, else its group's.

    An agent group's ``shrinkage`` counts when it is above 0 (0 is the
    default, so a stated 0 also falls back to the group's: the rule survives
    a scenario written out without its defaults); its ``cost_per_hour`` when
    given.  The cost is per agent: a chat agent holding several sessions is
    paid once.
    """
    cost = team.cost_per_hour if team.cost_per_hour is not None else group.cost_per_hour
    shrinkage = team.shrinkage if team.shrinkage > 0 else group.shrinkage
    return (None if cost is None else float(cost)), float(shrinkage)


def agent_team_rows(results: "TicketLog", g_index: int) -> list[dict[str, Any]]:
    """Per agent group of group ``g_index``: staffing hours, cost, busy hours and utilisation, with 95 % intervals.

    *Staffed* is the agent group's shift blocks (``simsla.engine.shifts.staff_steps``
    with ``team``) over the measured window of each replication (after the
    warm-up, up to where it stopped); *busy* is the time from start to end of
    the visits it worked (the segments' ``agents`` column; a visit still open
    runs to the stop), inside that window.  Utilisation is busy / staffed:
    with ``concurrency`` above 1 busy time counts sessions, so it is the mean
    number of sessions per agent on duty (up to the concurrency), not a share.

    The segments hold the tickets that arrived after the warm-up, while the
    group's utilisation counts all work inside the window, so the agent
    groups' busy hours add up to the group's less the work left over from
    warm-up tickets (one handling time's worth at the start of the window).
    """
    g = results.scenario.groups[g_index]
    teams = [_team_figures(r, g_index, float(r.runs["stopped_at"].iloc[0])) for r in results.by_replication()]
    return _team_rows(g, teams, _measured_weeks(results))


def _team_figures(log: "TicketLog", g_index: int, stop: float) -> list[dict[str, float]]:
    """One replication's busy and staffed seconds and visits per agent group of group ``g_index``."""
    from simsla.engine.shifts import staff_steps

    sc, seg = log.scenario, log.segments
    g = sc.groups[g_index]
    warm = float(sc.warmup)
    mine = seg[(seg["party"] == g.name) & seg["start"].notna()] if "agents" in seg else seg.iloc[:0]
    edges = np.array([warm, max(stop, warm)])
    out = []
    for j, team in enumerate(g.agents or ()):
        w = mine[mine["agents"] == team.name] if len(mine) else mine
        busy = 0.0
        if len(w):
            ends = w["end"].to_numpy(dtype=float)
            busy = float(box_integral(w["start"].to_numpy(dtype=float), np.where(np.isnan(ends), edges[1], ends),
                                      edges)[0])
        out.append({"busy": busy, "staffed": float(step_integral(*staff_steps(sc, g_index, team=j), edges)[0]),
                    "visits": int(len(w))})
    return out


def _team_rows(g: Any, teams: list[list[dict[str, float]]], weeks: float) -> list[dict[str, Any]]:
    """``agent_team_rows`` from each replication's ``_team_figures``."""
    rows = []
    for j, team in enumerate(g.agents or ()):
        b = np.array([t[j]["busy"] for t in teams])
        st = np.array([t[j]["staffed"] for t in teams])
        cost, shrinkage = agent_team_rates(g, team)
        per_rep = b / np.where(st > 0, st, np.nan)
        rows.append({
            "name": team.name, "group": g.name, "skills": dict(team.skills), "concurrency": int(team.concurrency),
            **_staffing_hours(float(st.sum()), float(b.sum()), weeks, shrinkage, cost),
            "utilization_ci95": _ci(per_rep, 0.0, float(team.concurrency))["ci95"],
            "utilization_is": "sessions per agent" if team.concurrency > 1 else "share of staffed time",
            "visits": int(sum(t[j]["visits"] for t in teams)),
        })
    return rows


#: share of phone contacts abandoned above which a run is flagged: most callers hung up
MOSTLY_ABANDONED = 0.5


def _contact_kinds(figures: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Contacts by kind (fresh, redial, callback, backlog), where any is not fresh: every volume tells them apart."""
    from simsla.engine.contacts import CONTACTS

    kinds = {k: np.array([f["contacts"].get(k, 0) for f in figures], dtype=float) for k in CONTACTS}
    if not any(kinds[k].sum() for k in CONTACTS if k != "fresh"):
        return {}
    kinds = {k: v for k, v in kinds.items() if v.sum() > 0}
    return {"by_contact": {k: int(v.sum()) for k, v in kinds.items()},
            "by_contact_per_replication": {k: _ci(v) for k, v in kinds.items()}}


def _abandonment(channels: list[dict[str, Any]]) -> dict[str, Any]:
    """``mostly_abandoned`` and its warning: the desk's numbers then describe the few callers who stayed."""
    phone = next((c for c in channels if c["channel"] == "phone"), None)
    share = phone["abandonment"]["mean"] if phone else None
    if share is None or share <= MOSTLY_ABANDONED:
        return {"mostly_abandoned": False, "warnings": []}
    return {"mostly_abandoned": True,
            "warnings": [f"most callers hung up: {100 * share:.1f} % of the {phone['contacts']:,} phone contacts were "
                         "abandoned; the desk is far short of its demand, and its answer times describe only the "
                         "few callers who waited"]}
