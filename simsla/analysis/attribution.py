"""Attribution: when an SLA target is missed, which link of the chain used up the time?

For every ticket that misses an SLA ticket target, the business time (in the
target's calendar) each party used is summed from the segments: the desk's
queue and the desk's work apart, every other group and supplier from
hand-over to done, and the customer's waits.  A party counts as *over its own
agreement* when one of its visits to that ticket missed an OLA/UC
``resolution`` target binding it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simsla.analysis.attainment import items, missed_items, target_calendar
from simsla.analysis.coverage import bound_parties
from simsla.analysis.measures import scenario_parties, stop_times
from simsla.model import Scenario
from simsla.timebase import calendar_clock

if TYPE_CHECKING:
    from simsla.ticketlog import TicketLog

COLUMNS = ["agreement", "target", "party", "breaches", "share_over_own_agreement", "mean_share_of_time", "mean_hours"]


def party_time(results: "TicketLog", tickets: pd.MultiIndex, calendar: str | None) -> pd.DataFrame:
    """Business seconds per (replication, ticket) x party; the desk split into queue and work."""
    frame = _party_rows(results, tickets, calendar)
    present = sorted(frame["party"].unique())  # the parties that took part, as a pivot lists them
    return seconds_by_party(frame, present)


def _party_rows(results: "TicketLog", tickets: pd.MultiIndex, calendar: str | None) -> pd.DataFrame:
    """``party_time`` before the pivot: one row per segment piece (replication, ticket, party, seconds)."""
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
    rows = [
        pd.DataFrame({"replication": seg["replication"].to_numpy()[desk], "ticket": seg["ticket"].to_numpy()[desk],
                      "party": f"{sc.desk.name} (queue)", "seconds": clock.elapsed(enter[desk], work_from[desk])}),
        pd.DataFrame({"replication": seg["replication"].to_numpy()[desk], "ticket": seg["ticket"].to_numpy()[desk],
                      "party": f"{sc.desk.name} (work)", "seconds": clock.elapsed(work_from[desk], end[desk])}),
        pd.DataFrame({"replication": seg["replication"].to_numpy()[~desk], "ticket": seg["ticket"].to_numpy()[~desk],
                      "party": party[~desk], "seconds": clock.elapsed(enter[~desk], end[~desk])}),
    ]
    return pd.concat(rows, ignore_index=True)


def seconds_by_party(rows: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """``_party_rows`` summed per (replication, ticket) and party: rows sorted by both, one column per label.

    What ``pivot_table(..., aggfunc="sum", fill_value=0)`` reindexed to ``labels`` gives, by integer keys
    and ``bincount`` (the pivot's grouping is most of attribution's cost on a large desk).
    """
    reps = rows["replication"].to_numpy(dtype=np.int64)
    ids = rows["ticket"].to_numpy(dtype=np.int64)
    width = int(ids.max(initial=0)) + 1
    keys, at = np.unique(reps * width + ids, return_inverse=True)
    code = pd.Categorical(rows["party"], categories=labels).codes.astype(np.int64)
    known = code >= 0
    cells = np.bincount(at[known] * len(labels) + code[known], weights=rows["seconds"].to_numpy(dtype=float)[known],
                        minlength=len(keys) * len(labels)).reshape(len(keys), len(labels))
    index = pd.MultiIndex.from_arrays([keys // width, keys % width], names=["replication", "ticket"])
    frame = pd.DataFrame(cells, index=index, columns=pd.Index(labels, name="party"))
    return frame


def party_labels(scenario: Scenario) -> list[str]:
    """Every column ``party_time`` can have, sorted as its pivot sorts them."""
    desk = scenario.desk.name
    return sorted([f"{desk} (queue)", f"{desk} (work)", *(p for p in scenario_parties(scenario) if p != desk)])


def attribute(results: "TicketLog") -> pd.DataFrame:
    """Per SLA ticket target and party: share of breaches in which the party was over its own
    agreement, and the mean share of the breached tickets' time it used.

    Pooled over the replications from their ``replication_blame``
    (``attribution_from``), as a streamed run computes it one replication at a time.
    """
    return attribution_from(results.scenario, [replication_blame(results)])


def replication_blame(log: "TicketLog", missed: dict[tuple[str, str], pd.DataFrame] | None = None
                      ) -> list[dict[str, Any]]:
    """The reduction ``attribution_from`` combines: one record per SLA ticket target and replication of ``log``.

    Each record (with breached tickets) holds ``breaches`` (the tickets
    missed, with segments), ``valid`` (those with any time at all) and, per
    party that took part in them, the sums ``over`` (tickets whose visit of
    that party missed its own OLA/UC), ``share`` (of the ticket's time) and
    ``seconds``.  Every figure is summed per replication in the same way
    whether ``log`` holds one replication or all of them (the same rows, in
    the same order, over the same columns), so a streamed run's records are
    those of the run held in memory, to the last bit.  ``missed``: each
    target's missed items as ``replication_counts`` left them, or None to
    find them here.
    """

    def missed_of(a: Any, t: Any) -> pd.DataFrame:
        if missed is not None and (a.name, t.name) in missed:
            return missed[(a.name, t.name)]
        return missed_items(items(log, a, t))

    sc = log.scenario
    over: dict[str, set] = {}
    for a in sc.agreements:
        if a.kind == "SLA":
            continue
        for t in a.targets:
            if t.metric != "resolution":
                continue
            late = missed_of(a, t)
            over.setdefault(a.party, set()).update(zip(late["replication"], late["ticket"]))  # type: ignore[arg-type]
    labels = party_labels(sc)
    out = []
    for a in sc.agreements:
        if a.kind != "SLA":
            continue
        for t in a.targets:
            if t.metric not in ("resolution", "first_response"):
                continue
            late = missed_of(a, t)
            if late.empty:
                continue
            idx = pd.MultiIndex.from_arrays([late["replication"], late["ticket"]])
            rows = _party_rows(log, idx, target_calendar(a, t))
            if rows.empty:
                continue
            times = seconds_by_party(rows, labels)  # one layout for all
            total = times.sum(axis=1).replace(0, np.nan)
            share = times.div(total, axis=0)
            hit = pd.DataFrame({party: np.fromiter(((r, k) in over.get(party.split(" (")[0], set())
                                                    for r, k in times.index), dtype=bool, count=len(times))
                                for party in labels}, index=times.index)
            per = {name: frame.groupby(level=0, sort=True).sum()
                   for name, frame in (("share", share), ("seconds", times), ("over", hit))}
            breaches = times.groupby(level=0, sort=True).size()
            valid = total.notna().groupby(level=0, sort=True).sum()
            took_part = rows.groupby("replication", sort=True)["party"].unique()
            for r in breaches.index:
                out.append({"agreement": a.name, "target": t.name, "replication": int(r),
                            "breaches": int(breaches[r]), "valid": int(valid[r]),
                            "parties": {p: {"over": int(per["over"].at[r, p]), "share": float(per["share"].at[r, p]),
                                            "seconds": float(per["seconds"].at[r, p])}
                                        for p in sorted(set(took_part[r]))}})
    return out


def attribution_from(scenario: Scenario, blame: Sequence[list[dict[str, Any]]]) -> pd.DataFrame:
    """``attribute``'s table from each replication's ``replication_blame``.

    A party that took no time on a replication's breached tickets counts
    there with 0 seconds and a share of 0 (of the tickets with any time).
    Parties are listed in sorted order, per target in the scenario's order.
    """
    out = []
    for a in scenario.agreements:
        if a.kind != "SLA":
            continue
        for t in a.targets:
            mine = [row for rep in blame for row in rep if row["agreement"] == a.name and row["target"] == t.name]
            breaches = sum(row["breaches"] for row in mine)
            valid = sum(row["valid"] for row in mine)
            bound = bound_parties(scenario, a, t)
            for party in sorted({p for row in mine for p in row["parties"]}):
                own = party.split(" (")[0]
                got = [row["parties"].get(party, {"over": 0, "share": 0.0, "seconds": 0.0}) for row in mine]
                over = sum(g["over"] for g in got)
                out.append({
                    "agreement": a.name, "target": t.name, "party": party, "breaches": breaches,
                    # NaN: no OLA/UC binds this party for these tickets (the desk, the customer, a gap)
                    "share_over_own_agreement": over / breaches if own in bound else np.nan,
                    "mean_share_of_time": math.fsum(g["share"] for g in got) / valid if valid else np.nan,
                    "mean_hours": math.fsum(g["seconds"] for g in got) / breaches / 3600,
                })
    return pd.DataFrame(out, columns=COLUMNS)


def top_contributors(table: pd.DataFrame) -> pd.DataFrame:
    """Per breached target, the party that used the largest mean share of the time."""
    if table.empty:
        return table
    best = table.sort_values("mean_share_of_time", ascending=False).groupby(["agreement", "target"], sort=False).head(1)
    return best.reset_index(drop=True)
