"""Attainment per target, replication and period; breach probability with CIs.

``evaluate(results)`` is the tidy table a contract would produce, one row per
target x replication x period.  ``target_summary`` reduces it to what a
negotiator asks: how often does a period's attainment fall below the agreed
fraction?

Only *complete* periods (wholly inside the measured window, after the warm-up
and before the run stopped) enter breach probabilities: a half month is not a
month.  A period with nothing to count (no P1 that month) is met.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simsla.analysis.measures import ticket_items, visit_items
from simsla.analysis.periods import period_index, period_table
from simsla.analysis.stats import mean_ci, wilson_ci
from simsla.model import Agreement, Scenario, Target
from simsla.timebase import calendar_clock, weekly_intervals

if TYPE_CHECKING:
    from simsla.experiment.results import Results

COLUMNS = ["agreement", "kind", "target", "metric", "replication", "period", "period_start", "period_end",
           "complete", "counted", "met", "attainment", "fraction", "breached"]


def target_calendar(agreement: Agreement, target: Target) -> str | None:
    """The calendar a target's clock runs in."""
    return target.calendar if target.calendar is not None else agreement.calendar


def items(results: "Results", agreement: Agreement, target: Target) -> pd.DataFrame:
    """The counted items of a ticket-based target (see ``simsla.analysis.measures``)."""
    clock = calendar_clock(results.scenario, target_calendar(agreement, target))
    if agreement.kind == "SLA":
        return ticket_items(results, clock, agreement, target)
    return visit_items(results, clock, agreement, target)


def _periods(results: "Results", period: str) -> pd.DataFrame:
    sc = results.scenario
    stop = float(results.runs["stopped_at"].min())
    table = period_table(origin=sc.origin, tz=sc.timezone, period=period, span=(sc.warmup, max(stop, sc.warmup + 1)))
    table["complete"] = (table["start"] >= sc.warmup - 1e-6) & (table["end"] <= stop + 1e-6)
    return table


def evaluate(results: "Results") -> pd.DataFrame:
    """Attainment of every target, per replication and reporting period (tidy)."""
    frames = []
    for agreement in results.scenario.agreements:
        periods = _periods(results, agreement.period)
        for target in agreement.targets:
            if target.metric == "availability":
                frame = _availability(results, agreement, target, periods)
            else:
                frame = _ticket_attainment(results, agreement, target, periods)
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def _grid(results: "Results", periods: pd.DataFrame) -> pd.DataFrame:
    reps = pd.DataFrame({"replication": results.runs["replication"].to_numpy()})  # the labels, not 0..n-1
    return reps.merge(periods, how="cross")


def _finish(grid: pd.DataFrame, agreement: Agreement, target: Target) -> pd.DataFrame:
    grid = grid.rename(columns={"label": "period", "start": "period_start", "end": "period_end"})
    grid["agreement"], grid["kind"], grid["target"], grid["metric"] = agreement.name, agreement.kind, target.name, target.metric
    grid["fraction"] = target.fraction
    grid["breached"] = grid["attainment"].notna() & (grid["attainment"] < target.fraction - 1e-12)
    return grid


def _ticket_attainment(results: "Results", agreement: Agreement, target: Target, periods: pd.DataFrame) -> pd.DataFrame:
    found = items(results, agreement, target)
    sc = results.scenario
    grid = _grid(results, periods)
    if len(found):
        found = found.assign(code=np.asarray(period_index(found["when"].to_numpy(dtype=float), sc.origin, sc.timezone, agreement.period)))
        agg = found.groupby(["replication", "code"]).agg(counted=("met", "size"), met=("met", "sum")).reset_index()
        grid = grid.merge(agg, on=["replication", "code"], how="left")
    else:
        grid["counted"], grid["met"] = 0, 0
    grid["counted"] = grid["counted"].fillna(0).astype(int)
    grid["met"] = grid["met"].fillna(0).astype(int)
    grid["attainment"] = np.where(grid["counted"] > 0, grid["met"] / grid["counted"].where(grid["counted"] > 0, 1), np.nan)
    return _finish(grid, agreement, target)


def downtime(results: "Results", agreement: Agreement, target: Target) -> tuple[np.ndarray, pd.DataFrame]:
    """Support-time bookkeeping for availability: (open intervals minus maintenance, outages in scope)."""
    sc: Scenario = results.scenario
    services = target.when.values("service") or tuple(s.name for s in sc.services)
    out = results.outages[results.outages["service"].isin(services)]
    return services, out


def _availability(results: "Results", agreement: Agreement, target: Target, periods: pd.DataFrame) -> pd.DataFrame:
    """Uptime share of the support hours, per period: all services in scope up, maintenance excluded."""
    sc = results.scenario
    clock = calendar_clock(sc, target_calendar(agreement, target))
    services, out = downtime(results, agreement, target)
    maintenance = np.zeros((0, 2))
    for s in sc.services:
        if s.name in services and s.maintenance:
            weekly: dict[int, list] = {}
            for w in s.maintenance:
                for d, start, end in w.windows():
                    weekly.setdefault(d, []).append((start, end))
            maintenance = np.vstack([maintenance, weekly_intervals(weekly, sc.origin, sc.end)])
    maint = _union(maintenance)
    grid = _grid(results, periods)
    # a month that began before the run's start is only measured from time 0 (and is never complete)
    starts = np.clip(grid["start"].to_numpy(dtype=float), 0.0, sc.end)
    ends = np.clip(grid["end"].to_numpy(dtype=float), 0.0, sc.end)
    support = clock.elapsed(starts, ends) - _overlap_business(clock, maint, starts, ends)
    down = np.zeros(len(grid))
    for r in results.runs["replication"].to_numpy():
        mine = out[out["replication"] == r]
        iv = _union(np.column_stack([mine["start"].to_numpy(dtype=float), mine["end"].to_numpy(dtype=float)]))
        iv = _subtract(iv, maint)
        rows = (grid["replication"] == r).to_numpy()
        down[rows] = _overlap_business(clock, iv, starts[rows], ends[rows])
    grid["counted"] = np.round(support).astype(int)  # support seconds in the period
    grid["met"] = np.round(support - down).astype(int)  # seconds up
    grid["attainment"] = np.where(support > 0, 1 - down / np.where(support > 0, support, 1), np.nan)
    return _finish(grid, agreement, target)


def _union(iv: np.ndarray) -> np.ndarray:
    if len(iv) == 0:
        return np.zeros((0, 2))
    iv = iv[np.argsort(iv[:, 0])]
    merged = [list(iv[0])]
    for a, b in iv[1:]:
        if a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return np.asarray(merged)


def _subtract(iv: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """Intervals ``iv`` minus the union ``cut`` (both sorted, merged)."""
    out = []
    for a, b in iv:
        pieces = [(a, b)]
        for c, d in cut:
            if d <= a or c >= b:
                continue
            pieces = [(x, min(y, c)) for x, y in pieces if min(y, c) > x] + [(max(x, d), y) for x, y in pieces if y > max(x, d)]
        out.extend(pieces)
    return np.asarray(out).reshape(-1, 2)


def _overlap_business(clock, iv: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Business seconds of the intervals ``iv`` inside each [start, end)."""
    if len(iv) == 0:
        return np.zeros(len(starts))
    a = np.clip(iv[:, 0][None, :], starts[:, None], ends[:, None])
    b = np.clip(iv[:, 1][None, :], starts[:, None], ends[:, None])
    return (clock.elapsed(a, b)).sum(axis=1)


def target_summary(results: "Results", table: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Per target: pooled attainment with a CI across replications, and the breach probability per period."""
    table = evaluate(results) if table is None else table
    out = []
    for agreement in results.scenario.agreements:
        for target in agreement.targets:
            rows = table[(table["agreement"] == agreement.name) & (table["target"] == target.name)]
            complete = rows[rows["complete"]]
            used = complete if len(complete) else rows
            per_rep = used.groupby("replication")[["met", "counted"]].sum()
            rep_att = (per_rep["met"] / per_rep["counted"].where(per_rep["counted"] > 0)).to_numpy()
            m, lo, hi = mean_ci(rep_att)
            pooled = float(used["met"].sum() / used["counted"].sum()) if used["counted"].sum() > 0 else None
            p, plo, phi = wilson_ci(int(used["breached"].sum()), len(used))
            out.append({
                "agreement": agreement.name,
                "kind": agreement.kind,
                "target": target.name,
                "metric": target.metric,
                "threshold_seconds": None if target.threshold is None else float(target.threshold),
                "fraction": target.fraction,
                "period": agreement.period,
                "attainment": pooled,
                "attainment_ci95": [_num(lo), _num(hi)],
                "periods_evaluated": int(len(used)),
                "complete_periods_only": bool(len(complete) > 0),
                "counted": int(used["counted"].sum()) if target.metric != "availability" else None,
                "breach_probability": _num(p),
                "breach_probability_ci95": [_num(plo), _num(phi)],
            })
    return out


def _num(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)
