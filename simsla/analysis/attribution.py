"""Attribution: when an SLA target is missed, which link of the chain used up the time?

For every ticket that misses an SLA ticket target, the business time (in the
target's calendar) each party used is summed from the segments: the desk's
queue and the desk's work apart, every other group and supplier from
hand-over to done, and the customer's waits.  A party counts as *over its own
agreement* when one of its visits to that ticket missed an OLA/UC
``resolution`` target binding it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simsla.analysis.attainment import items, target_calendar
from simsla.analysis.coverage import bound_parties
from simsla.analysis.measures import stop_times, visit_items
from simsla.timebase import calendar_clock

if TYPE_CHECKING:
    from simsla.ticketlog import TicketLog

COLUMNS = ["agreement", "target", "party", "breaches", "share_over_own_agreement", "mean_share_of_time", "mean_hours"]


def party_time(results: "TicketLog", tickets: pd.MultiIndex, calendar: str | None) -> pd.DataFrame:
    """Business seconds per (replication, ticket) x party; the desk split into queue and work."""
    sc = results.scenario
    clock = calendar_clock(sc, calendar)
    seg = results.segments
    # the breached tickets' segments, by an integer key per (replication, ticket) (not a MultiIndex: fast)
    reps, ids = seg["replication"].to_numpy(dtype=np.int64), seg["ticket"].to_numpy(dtype=np.int64)
    want_rep = tickets.get_level_values(0).to_numpy(dtype=np.int64)
    want_id = tickets.get_level_values(1).to_numpy(dtype=np.int64)
    width = int(max(ids.max(initial=0), want_id.max(initial=0))) + 1
    seg_key = reps * width + ids
    seg = seg[np.isin(seg_key, want_rep * width + want_id)]
    seg_key = seg["replication"].to_numpy(dtype=np.int64) * width + seg["ticket"].to_numpy(dtype=np.int64)
    stop = stop_times(results, seg["replication"])
    enter = seg["enter"].to_numpy(dtype=float)
    start = seg["start"].to_numpy(dtype=float)
    end = seg["end"].to_numpy(dtype=float)
    end = np.where(np.isnan(end), stop, end)
    desk = (seg["party"] == sc.desk.name).to_numpy()
    work_from = np.where(np.isnan(start), end, start)
    party = seg["party"].astype(str).to_numpy()
    # one column per party that has time (as a pivot table would: sorted names, rows sorted by key, zeros)
    keys, row = np.unique(seg_key, return_inverse=True)
    parts = [(np.full(int(desk.sum()), f"{sc.desk.name} (queue)"), row[desk], clock.elapsed(enter[desk], work_from[desk])),
             (np.full(int(desk.sum()), f"{sc.desk.name} (work)"), row[desk], clock.elapsed(work_from[desk], end[desk])),
             (party[~desk], row[~desk], clock.elapsed(enter[~desk], end[~desk]))]
    names = sorted({str(x) for label, _, _ in parts for x in np.unique(label)})
    columns = {}
    for name in names:
        cells = np.zeros(len(keys))
        for label, at, seconds in parts:
            hit = label == name
            cells += np.bincount(at[hit], weights=seconds[hit], minlength=len(keys))
        columns[name] = cells
    index = pd.MultiIndex.from_arrays([keys // width, keys % width], names=["replication", "ticket"])
    frame = pd.DataFrame(columns, index=index)
    frame.columns.name = "party"
    return frame


def attribute(results: "TicketLog") -> pd.DataFrame:
    """Per SLA ticket target and party: share of breaches in which the party was over its own
    agreement, and the mean share of the breached tickets' time it used."""
    sc = results.scenario
    over: dict[str, set] = {}
    for a in sc.agreements:
        if a.kind == "SLA":
            continue
        for t in a.targets:
            if t.metric != "resolution":
                continue
            v = visit_items(results, calendar_clock(sc, target_calendar(a, t)), a, t)
            missed = v[~v["met"].astype(bool)]
            over.setdefault(a.party, set()).update(zip(missed["replication"], missed["ticket"]))  # type: ignore[arg-type]
    out = []
    for a in sc.agreements:
        if a.kind != "SLA":
            continue
        for t in a.targets:
            if t.metric not in ("resolution", "first_response"):
                continue
            found = items(results, a, t)
            missed = found[~found["met"].astype(bool)]
            if missed.empty:
                continue
            idx = pd.MultiIndex.from_arrays([missed["replication"], missed["ticket"]])
            times = party_time(results, idx, target_calendar(a, t))
            total = times.sum(axis=1).replace(0, np.nan)
            share = times.div(total, axis=0)
            bound = bound_parties(sc, a, t)
            for party in times.columns:
                own = party.split(" (")[0]
                flagged = over.get(own, set())
                hit = np.fromiter(((r, k) in flagged for r, k in times.index), dtype=bool, count=len(times))
                out.append({
                    "agreement": a.name, "target": t.name, "party": party, "breaches": len(times),
                    # NaN: no OLA/UC binds this party for these tickets (the desk, the customer, a gap)
                    "share_over_own_agreement": float(hit.mean()) if own in bound else np.nan,
                    "mean_share_of_time": float(share[party].mean()),
                    "mean_hours": float(times[party].mean() / 3600),
                })
    return pd.DataFrame(out, columns=COLUMNS)


def top_contributors(table: pd.DataFrame) -> pd.DataFrame:
    """Per breached target, the party that used the largest mean share of the time."""
    if table.empty:
        return table
    best = table.sort_values("mean_share_of_time", ascending=False).groupby(["agreement", "target"], sort=False).head(1)
    return best.reset_index(drop=True)
