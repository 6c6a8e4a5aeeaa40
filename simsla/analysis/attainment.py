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

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from simsla.analysis.measures import ticket_items, visit_items
from simsla.analysis.periods import period_index, period_table
from simsla.analysis.stats import mean_ci, wilson_ci
from simsla.model import Agreement, Scenario, Target
from simsla.timebase import calendar_clock, weekly_intervals

if TYPE_CHECKING:
    from simsla.ticketlog import TicketLog

COLUMNS = ["agreement", "kind", "target", "metric", "replication", "period", "period_start", "period_end",
           "complete", "counted", "met", "attainment", "fraction", "breached"]


def target_calendar(agreement: Agreement, target: Target) -> str | None:
    """The calendar a target's clock runs in."""
    return target.calendar if target.calendar is not None else agreement.calendar


def items(results: "TicketLog", agreement: Agreement, target: Target) -> pd.DataFrame:
    """The counted items of a ticket-based target (see ``simsla.analysis.measures``)."""
    clock = calendar_clock(results.scenario, target_calendar(agreement, target))
    if agreement.kind == "SLA":
        return ticket_items(results, clock, agreement, target)
    return visit_items(results, clock, agreement, target)


def measured_periods(scenario: Scenario, stopped_at: float, period: str) -> pd.DataFrame:
    """The reporting periods of the measured window, each flagged ``complete`` or not.

    The one definition of a complete period, used by every metric: wholly
    after the warm-up and before the run stopped (``stopped_at``: the earliest
    stop over the replications, so every replication has the period whole).
    Columns: code, label, start, end (engine seconds), complete.
    """
    sc = scenario
    table = period_table(origin=sc.origin, tz=sc.timezone, period=period,
                         span=(sc.warmup, max(stopped_at, sc.warmup + 1)))
    table["complete"] = (table["start"] >= sc.warmup - 1e-6) & (table["end"] <= stopped_at + 1e-6)
    return table


def _periods(results: "TicketLog", period: str) -> pd.DataFrame:
    return measured_periods(results.scenario, float(results.runs["stopped_at"].min()), period)


def period_counts(found: pd.DataFrame, scenario: Scenario, period: str, by: Sequence[str] = ()) -> pd.DataFrame:
    """Counted and met items per (``by`` ..., replication, period code): the one per-period aggregation.

    ``found`` has one row per counted item with ``when`` (the engine second
    that puts it in a period), ``met`` and ``replication`` (and the ``by``
    columns).
    """
    keys = [*by, "replication", "code"]
    if len(found) == 0:
        return pd.DataFrame({k: [] for k in keys} | {"counted": [], "met": []})
    codes = np.asarray(period_index(found["when"].to_numpy(dtype=float), scenario.origin, scenario.timezone, period))
    if by:
        return (found.assign(code=codes).groupby(keys, observed=True)
                .agg(counted=("met", "size"), met=("met", "sum")).reset_index())
    return _counts_by_replication(found["replication"].to_numpy(), codes.astype(np.int64),
                                  found["met"].to_numpy(dtype=bool))


def _counts_by_replication(replication: np.ndarray, code: np.ndarray, met: np.ndarray) -> pd.DataFrame:
    """``period_counts`` without ``by``: the groupby's table (sorted by replication, code) by integer keys.

    A streamed national run calls this per target and replication; the
    groupby's fixed cost was a third of the run's analysis.
    """
    low = int(code.min())
    span = int(code.max()) - low + 1
    key = replication.astype(np.int64) * span + (code - low)
    keys, at = np.unique(key, return_inverse=True)
    return pd.DataFrame({
        "replication": (keys // span).astype(replication.dtype),
        "code": keys % span + low,
        "counted": np.bincount(at, minlength=len(keys)).astype(np.int64),
        "met": np.bincount(at, weights=met, minlength=len(keys)).astype(np.int64),
    })


def fill_attainment(grid: pd.DataFrame, counts: pd.DataFrame, on: Sequence[str], fraction: float) -> pd.DataFrame:
    """``grid`` (one row per cell that must appear) with counted, met, attainment and breached filled in.

    A cell with nothing counted has attainment NaN and is *met* (no P1 that
    month breaches no P1 target); the breach rule is ``attainment < fraction``.
    """
    grid = grid.merge(counts, on=list(on), how="left") if len(counts) else grid.assign(counted=0, met=0)
    grid["counted"] = grid["counted"].fillna(0).astype(int)
    grid["met"] = grid["met"].fillna(0).astype(int)
    grid["attainment"] = np.where(grid["counted"] > 0, grid["met"] / grid["counted"].clip(lower=1), np.nan)
    grid["fraction"] = fraction
    grid["breached"] = breached(grid["attainment"].to_numpy(dtype=float), fraction)
    return grid


def breached(attainment: np.ndarray, fraction: float) -> np.ndarray:
    """The breach rule: a period whose attainment is below the agreed fraction (NaN, nothing counted: met)."""
    a = np.asarray(attainment, dtype=float)
    return ~np.isnan(a) & (np.nan_to_num(a, nan=1.0) < fraction - 1e-12)


def per_replication(table: pd.DataFrame) -> pd.DataFrame:
    """Per target and replication, over complete periods (all periods when a target has none complete).

    ``table`` is ``evaluate``'s (or rows of it).  Columns: agreement, target,
    metric, fraction, replication, met, counted, breached, periods,
    attainment (met / counted) and breach_share (breached / periods).
    """
    out = []
    for (ag, tg), part in table.groupby(["agreement", "target"], sort=False):
        complete = part["complete"].astype(bool)
        use = part[complete] if complete.any() else part
        g = use.groupby("replication")
        frame = pd.DataFrame({"met": g["met"].sum(), "counted": g["counted"].sum(),
                              "breached": g["breached"].sum(), "periods": g["breached"].size()}).reset_index()
        frame["attainment"] = frame["met"] / frame["counted"].where(frame["counted"] > 0)
        frame["breach_share"] = frame["breached"] / frame["periods"]
        frame.insert(0, "target", tg)
        frame.insert(0, "agreement", ag)
        frame["metric"] = part["metric"].iloc[0]
        frame["fraction"] = part["fraction"].iloc[0]
        frame["complete_periods_only"] = bool(complete.any())
        out.append(frame)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(
        columns=["agreement", "target", "replication", "met", "counted", "breached", "periods", "attainment",
                 "breach_share", "metric", "fraction", "complete_periods_only"])


def service_attainment(results: "TicketLog", agreement: Agreement, target: Target,
                       period: str | None = None) -> pd.DataFrame:
    """Attainment of one ticket target per service, replication and period (tidy).

    The target's counted items joined with their ticket's service and counted
    per period (the agreement's period unless ``period`` is given: e.g.
    ``week`` for an operational view of a monthly target).  Columns: service,
    replication, period, period_start, period_end, complete, counted, met,
    attainment, fraction, warning_margin, breached.  Every service in the
    target's scope appears in every period, with ``counted`` 0 where it had
    no tickets.
    """
    if target.metric == "availability":
        raise ValueError("service_attainment needs a ticket target; availability has no tickets")
    sc = results.scenario
    period = period or agreement.period
    found = items(results, agreement, target).merge(results.tickets[["replication", "ticket", "service"]],
                                                    on=["replication", "ticket"], how="left")
    found["service"] = found["service"].astype(str)
    services = list(target.when.values("service") or sc.levels("service"))
    grid = (pd.DataFrame({"service": services}).merge(_grid(results, _periods(results, period)), how="cross"))
    grid = fill_attainment(grid, period_counts(found, sc, period, by=("service",)),
                           ("service", "replication", "code"), target.fraction)
    grid["warning_margin"] = target.warning_margin
    grid = grid.rename(columns={"label": "period", "start": "period_start", "end": "period_end"})
    return grid[["service", "replication", "period", "period_start", "period_end", "complete", "counted", "met",
                 "attainment", "fraction", "warning_margin", "breached"]]


def evaluate(results: "TicketLog") -> pd.DataFrame:
    """Attainment of every target, per replication and reporting period (tidy).

    Computed as ``evaluation_from(results, [replication_counts(results)])``: a
    streamed run passes each replication's ``replication_counts`` instead,
    and since the counts are integers per replication and period, the
    replications' counts together are exactly those of all of them at once
    (one reduction over all is quicker: a target costs the same pandas
    overhead whatever its size).
    """
    counts = [replication_counts(results)] if results.scenario.agreements else []
    return evaluation_from(results, counts)


def replication_counts(log: "TicketLog", missed: dict[tuple[str, str], pd.DataFrame] | None = None
                       ) -> dict[tuple[str, str], pd.DataFrame]:
    """Counted and met items per period of every ticket target, in one replication (``log`` holds one or more).

    The reduction ``evaluation_from`` combines: per ``(agreement, target)``
    the ``period_counts`` table (replication, code, counted, met).
    Availability targets need no counts (``evaluation_from`` computes them
    from the outages, which are few).  ``missed``, when given, receives per
    ``(agreement, target)`` the items that missed (what
    ``simsla.analysis.attribution.replication_blame`` reads), so that a
    streamed run finds each target's items once.
    """
    out = {}
    for agreement in log.scenario.agreements:
        for target in agreement.targets:
            if target.metric != "availability":
                found = items(log, agreement, target)
                out[(agreement.name, target.name)] = period_counts(found, log.scenario, agreement.period)
                if missed is not None:
                    missed[(agreement.name, target.name)] = missed_items(found)
    return out


def missed_items(found: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``items`` that missed their target."""
    return found[~found["met"].astype(bool)]


def evaluation_from(results: "TicketLog", counts: Sequence[dict[tuple[str, str], pd.DataFrame]]) -> pd.DataFrame:
    """``evaluate``'s table from each replication's ``replication_counts``.

    ``results`` needs its scenario, ``runs`` (the replications and where
    they stopped: the periods are those of the earliest stop) and
    ``outages``; its tickets and segments are not read.
    """
    frames = []
    for agreement in results.scenario.agreements:
        periods = _periods(results, agreement.period)
        for target in agreement.targets:
            if target.metric == "availability":
                frame = _availability(results, agreement, target, periods)
            else:
                found = [c[(agreement.name, target.name)] for c in counts]
                found = [f for f in found if len(f)]
                joined = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
                grid = fill_attainment(_grid(results, periods), joined, ("replication", "code"), target.fraction)
                frame = _finish(grid, agreement, target)
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def _grid(results: "TicketLog", periods: pd.DataFrame) -> pd.DataFrame:
    reps = pd.DataFrame({"replication": results.runs["replication"].to_numpy()})  # the labels, not 0..n-1
    return reps.merge(periods, how="cross")


def _finish(grid: pd.DataFrame, agreement: Agreement, target: Target) -> pd.DataFrame:
    grid = grid.rename(columns={"label": "period", "start": "period_start", "end": "period_end"})
    grid["agreement"], grid["kind"], grid["target"], grid["metric"] = agreement.name, agreement.kind, target.name, target.metric
    grid["fraction"] = target.fraction
    grid["breached"] = breached(grid["attainment"].to_numpy(dtype=float), target.fraction)
    return grid


def downtime(results: "TicketLog", agreement: Agreement, target: Target) -> tuple[np.ndarray, pd.DataFrame]:
    """Support-time bookkeeping for availability: (open intervals minus maintenance, outages in scope)."""
    sc: Scenario = results.scenario
    services = target.when.values("service") or tuple(s.name for s in sc.services)
    out = results.outages[results.outages["service"].isin(services)]
    return services, out


def _availability(results: "TicketLog", agreement: Agreement, target: Target, periods: pd.DataFrame) -> pd.DataFrame:
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


def target_summary(results: "TicketLog", table: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Per target: pooled attainment with a CI across replications, and the breach probability per period."""
    table = evaluate(results) if table is None else table
    out = []
    for agreement in results.scenario.agreements:
        for target in agreement.targets:
            rows = table[(table["agreement"] == agreement.name) & (table["target"] == target.name)]
            reps = per_replication(rows)
            m, lo, hi = mean_ci(reps["attainment"].to_numpy(dtype=float))
            pooled = float(reps["met"].sum() / reps["counted"].sum()) if reps["counted"].sum() > 0 else None
            n_periods = int(reps["periods"].sum())
            p, plo, phi = wilson_ci(int(reps["breached"].sum()), n_periods)
            complete_only = bool(reps["complete_periods_only"].all()) if len(reps) else False
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
                "periods_evaluated": n_periods,
                "complete_periods_only": complete_only,
                "counted": int(reps["counted"].sum()) if target.metric != "availability" else None,
                "breach_probability": _num(p),
                "breach_probability_ci95": [_num(plo), _num(phi)],
            })
    return out


def _num(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)
