"""The headline numbers of a run: tickets, groups, channels — with CIs over replications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

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
    counts = counts.reindex(index=range(reps), columns=["resolved", "abandoned", "open"], fill_value=0)
    tickets = {
        "arrived": int(len(tk)),
        "resolved": int(counts["resolved"].sum()),
        "abandoned": int(counts["abandoned"].sum()),
        "open": int(counts["open"].sum()),
        "per_replication": {
            "arrived": _ci(counts.sum(axis=1).to_numpy()),
            "resolved": _ci(counts["resolved"].to_numpy()),
            "abandoned": _ci(counts["abandoned"].to_numpy()),
            "open": _ci(counts["open"].to_numpy()),
        },
    }
    groups = []
    for g in sc.groups:
        u = util[util["group"] == g.name].groupby("replication")[["busy", "staffed"]].sum()
        per_rep = (u["busy"] / u["staffed"].replace(0, np.nan)).to_numpy()
        s = seg[(seg["party"] == g.name) & seg["start"].notna()]
        waits = (s["start"] - s["enter"]).to_numpy()
        # agent-hours on the floor per week, and the paid hours (shrinkage) and cost behind them
        measured_weeks = max(float(sc.horizon), 1.0) / (7 * 86400.0) * max(int(reps), 1)
        floor_hours = float(u["staffed"].sum()) / 3600.0 / measured_weeks
        paid_hours = paid_fte(floor_hours, float(g.shrinkage))
        groups.append({
            "name": g.name,
            "role": g.role,
            "on_floor_agent_hours_per_week": floor_hours,
            "shrinkage": float(g.shrinkage),
            "paid_agent_hours_per_week": paid_hours,
            "cost_per_week": None if g.cost_per_hour is None else paid_hours * float(g.cost_per_hour),
            "utilization": _num(float(u["busy"].sum() / u["staffed"].sum())) if u["staffed"].sum() > 0 else None,
            "utilization_ci95": _share_ci(per_rep)["ci95"],
            "visits": int(len(s)),
            "mean_wait_seconds": _num(float(waits.mean())) if len(waits) else None,
            "p90_wait_seconds": _num(float(np.quantile(waits, 0.9))) if len(waits) else None,
        })
    channels = []
    for channel in sc.levels("channel"):
        c = tk[tk["channel"] == channel]
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
        channels.append({
            "channel": channel,
            "contacts": int(len(c)),
            "answered_within": within,
            "abandonment": _share_ci(aband),
            "mean_wait_seconds": _num(float(waits.mean())) if len(waits) else None,
        })
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


#: share of phone contacts abandoned above which a run is flagged: most callers hung up
MOSTLY_ABANDONED = 0.5


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
