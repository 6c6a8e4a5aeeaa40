"""The headline numbers of a run: tickets, groups, agent groups, channels — with CIs over replications.

Staffing numbers are per week of the measured window (after the warm-up):
agent-hours on the floor (what the shifts put on duty), the paid hours
behind them (``/ (1 - shrinkage)``) and their cost (paid hours x cost per
hour).  A group with agent groups (skills, ``simsla.model.skills``) also gets
them per agent group (``agent_groups`` of its row, ``agent_team_rows``), at
the agent group's cost and shrinkage (``agent_team_rates``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simsla.analysis.occupancy import box_integral, step_integral
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
    """
    sc = results.scenario
    tk, seg, util = results.tickets, results.segments, results.utilization
    reps = results.replications
    counts = tk.groupby("replication", observed=True)["outcome"].value_counts().unstack(fill_value=0)
    outcomes = ["resolved", "abandoned", "open"] + (["blocked"] if (tk["outcome"] == "blocked").any() else [])
    counts = counts.reindex(index=range(reps), columns=outcomes, fill_value=0)
    tickets = {
        "arrived": int(len(tk)),
        **{o: int(counts[o].sum()) for o in outcomes},
        "per_replication": {
            "arrived": _ci(counts.sum(axis=1).to_numpy()),
            **{o: _ci(counts[o].to_numpy()) for o in outcomes},
        },
    }
    tickets.update(_contact_kinds(tk, reps))
    fresh = tk
    if "contact" in tk:  # a backlog start: its tickets were answered before the run (by_contact counts them)
        fresh = tk[tk["contact"] != "backlog"]
    groups = []
    for gi, g in enumerate(sc.groups):
        u = util[util["group"] == g.name].groupby("replication")[["busy", "staffed"]].sum()
        per_rep = (u["busy"] / u["staffed"].replace(0, np.nan)).to_numpy()
        s = seg[(seg["party"] == g.name) & seg["start"].notna()]
        waits = (s["start"] - s["enter"]).to_numpy()
        sessions = max((t.concurrency for t in g.agents or ()), default=1)  # chat: busy counts sessions
        groups.append({
            "name": g.name,
            "role": g.role,
            **_staffing_hours(float(u["staffed"].sum()), float(u["busy"].sum()), _measured_weeks(results),
                              float(g.shrinkage), g.cost_per_hour),
            "utilization_ci95": _ci(per_rep, 0.0, float(sessions))["ci95"],
            "visits": int(len(s)),
            "mean_wait_seconds": _num(float(waits.mean())) if len(waits) else None,
            "p90_wait_seconds": _num(float(np.quantile(waits, 0.9))) if len(waits) else None,
            **({"agent_groups": agent_team_rows(results, gi)} if g.agents is not None else {}),
        })
    channels = []
    for channel in sc.levels("channel"):
        c = fresh[fresh["channel"] == channel]
        if len(c) == 0:
            continue
        thresholds = PHONE_THRESHOLDS if channel == "phone" else WRITTEN_THRESHOLDS
        # offered basis: every contact counts; one not answered in time (or abandoned) misses
        within = {}
        for t in thresholds:
            hit = (c["wait"] <= t).groupby(c["replication"], observed=True).mean().to_numpy()
            within[f"{t:g}s"] = _share_ci(hit)
        aband = (c["outcome"] == "abandoned").groupby(c["replication"], observed=True).mean().to_numpy()
        waits = c["wait"].dropna()
        row = {
            "channel": channel,
            "contacts": int(len(c)),
            "answered_within": within,
            "abandonment": _share_ci(aband),
            "mean_wait_seconds": _num(float(waits.mean())) if len(waits) else None,
        }
        for name, hit in (("blocked", c["outcome"] == "blocked"),
                          ("redials", c["contact"] == "redial" if "contact" in c else None),
                          ("callbacks", c["callback"].notna() if "callback" in c else None)):
            if hit is not None and hit.any():  # shares of this channel's contacts, only where they occur
                row[name] = _share_ci(hit.groupby(c["replication"], observed=True).mean().to_numpy())
        channels.append(row)
    from simsla.analysis.attainment import target_summary

    from simsla.analysis.attribution import attribute

    targets = target_summary(results, table) if sc.agreements else []
    blame = attribute(results) if sc.agreements else None
    attribution = [] if blame is None else [
        {k: (_num(v) if isinstance(v, float) else v) for k, v in row.items()} for row in blame.to_dict("records")
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
    from simsla.engine.shifts import staff_steps

    sc, seg = results.scenario, results.segments
    g = sc.groups[g_index]
    warm = float(sc.warmup)
    stops = results.runs.set_index("replication")["stopped_at"].astype(float)
    mine = seg[(seg["party"] == g.name) & seg["start"].notna()] if "agents" in seg else seg.iloc[:0]
    weeks = _measured_weeks(results)
    rows = []
    for j, team in enumerate(g.agents or ()):
        steps = staff_steps(sc, g_index, team=j)
        worked = mine[mine["agents"] == team.name] if len(mine) else mine
        by_rep = dict(tuple(worked.groupby("replication", observed=True))) if len(worked) else {}
        busy, staffed = [], []
        for r, stop in stops.items():
            edges = np.array([warm, max(float(stop), warm)])
            w = by_rep.get(r)
            if w is None or not len(w):
                busy.append(0.0)
            else:
                ends = w["end"].to_numpy(dtype=float)
                busy.append(float(box_integral(w["start"].to_numpy(dtype=float),
                                               np.where(np.isnan(ends), edges[1], ends), edges)[0]))
            staffed.append(float(step_integral(*steps, edges)[0]))
        b, st = np.array(busy), np.array(staffed)
        cost, shrinkage = agent_team_rates(g, team)
        per_rep = b / np.where(st > 0, st, np.nan)
        rows.append({
            "name": team.name, "group": g.name, "skills": dict(team.skills), "concurrency": int(team.concurrency),
            **_staffing_hours(float(st.sum()), float(b.sum()), weeks, shrinkage, cost),
            "utilization_ci95": _ci(per_rep, 0.0, float(team.concurrency))["ci95"],
            "utilization_is": "sessions per agent" if team.concurrency > 1 else "share of staffed time",
            "visits": int(len(worked)),
        })
    return rows


#: share of phone contacts abandoned above which a run is flagged: most callers hung up
MOSTLY_ABANDONED = 0.5


def _contact_kinds(tk: pd.DataFrame, reps: int) -> dict[str, Any]:
    """Contacts by kind (fresh, redial, callback, backlog), where any is not fresh: every volume tells them apart."""
    if "contact" not in tk or (tk["contact"] == "fresh").all():
        return {}
    kinds = tk.groupby("replication", observed=True)["contact"].value_counts().unstack(fill_value=0)
    kinds = kinds.reindex(index=range(reps), fill_value=0)
    kinds = kinds.loc[:, kinds.sum(axis=0) > 0]
    return {"by_contact": {k: int(kinds[k].sum()) for k in kinds.columns},
            "by_contact_per_replication": {k: _ci(kinds[k].to_numpy()) for k in kinds.columns}}


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
