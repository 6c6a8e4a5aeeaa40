"""Rebuilding tickets and their visits to groups and suppliers from a ticket log's updates.

Each ticket's attributes come from its last update (its final state); its
opening time is the earliest ``opened_at`` and its resolution the last
``resolved_at`` (so a reopened ticket counts until its final resolution).
Visits: the sequence of parties holding the ticket, from the updates in time
order up to the resolution: a change of assignment group starts a visit to
the new group; an update in the vendor state (``Awaiting Vendor``) starts a
visit to the supplier named in ``vendor`` (or ``vendor``).  The first visit
starts at the opening, each visit ends when the next starts, the last at the
resolution.  Timestamps are kept as naive local times.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsla.fit import servicenow
from simsla.fit.quality import Quality, parse_times
from simsla.fit.reading import no_usable_rows

UNKNOWN_GROUP = "unassigned"


def _clean_text(s: pd.Series, missing: tuple[str, ...]) -> pd.Series:
    t = s.astype("string").str.strip()
    return t.mask(t.isin(missing))


def rebuild(updates: pd.DataFrame, mapping: dict, quality: Quality) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(tickets, visits) from canonical update rows (``csvlog.read_mapped``)."""
    missing = tuple(mapping.get("missing", ("?", "", "NULL", "null", "NA", "N/A")))
    fmt = mapping.get("time_format")
    u = updates.copy()
    u["ticket"] = _clean_text(u["ticket"], missing)
    no_id = u["ticket"].isna()
    quality.add("rows without a ticket id", int(no_id.sum()), "dropped")
    u = u[~no_id]
    for col in ("opened_at", "resolved_at", "closed_at", "updated_at"):
        if col in u:
            u[col] = parse_times(u[col], fmt, quality, col, missing)
    for col in ("state", "priority", "impact", "urgency", "contact_type", "group", "vendor", "service", "made_sla",
                "reopen_count"):
        if col in u:
            u[col] = _clean_text(u[col], missing)
    order = ["ticket", "updated_at", "_row"] if "updated_at" in u else ["ticket", "_row"]
    u = u.sort_values(order, kind="stable")
    g = u.groupby("ticket", sort=False)
    t = pd.DataFrame({"opened": g["opened_at"].min()})
    t["resolved"] = g["resolved_at"].last() if "resolved_at" in u else pd.NaT   # last non-missing
    t["closed"] = g["closed_at"].last() if "closed_at" in u else pd.NaT
    for col in ("state", "priority", "impact", "urgency", "contact_type", "service", "made_sla", "reopen_count"):
        t[col] = g[col].last() if col in u else pd.NA
    t["n_updates"] = g.size()
    # --- repairs and drops --------------------------------------------------------------
    no_open = t["opened"].isna()
    quality.add("tickets without a usable opening time", int(no_open.sum()), "dropped")
    t = t[~no_open]
    if t.empty:
        fmt_hint = f"time_format {fmt!r}" if fmt else "no time_format (guessed)"
        raise no_usable_rows(updates.attrs.get("rows_read", len(updates)), "tickets (an id and a readable opening time)", quality,
                             f"Check the ticket and opened_at columns and the time format ({fmt_hint}).")
    fix = t["resolved"].isna() & t["closed"].notna()
    quality.add("closed but resolved_at missing", int(fix.sum()),
                "resolution time unknown: kept for arrivals, mixes and routing, left out of times")
    t["closed_unresolved"] = fix
    before = t["resolved"].notna() & (t["resolved"] < t["opened"])
    quality.add("tickets resolved before they were opened", int(before.sum()), "dropped",
                t.index[before][0] if before.any() else "")
    t = t[~before]
    quality.add("tickets never resolved (still open in the export)", int((t["resolved"].isna() & ~t["closed_unresolved"]).sum()),
                "kept for arrivals and mixes; left out of resolution times")
    for col in ("priority", "impact", "urgency"):
        miss = t[col].isna()
        quality.add(f"tickets without {col}", int(miss.sum()), "kept; counted as 'unknown' in the mix")
    t["priority"] = t["priority"].map(servicenow.priority_label, na_action="ignore").fillna("unknown")
    t["impact"] = t["impact"].map(servicenow.level_label, na_action="ignore").fillna("unknown")
    t["urgency"] = t["urgency"].map(servicenow.level_label, na_action="ignore").fillna("unknown")
    t["channel"] = t["contact_type"].map(servicenow.channel, na_action="ignore").fillna("phone")
    t["service"] = t["service"].fillna("unknown")
    t["made_sla"] = t["made_sla"].str.lower().map({"true": True, "false": False, "1": True, "0": False})
    t["reopened"] = pd.to_numeric(t["reopen_count"], errors="coerce").fillna(0) > 0
    t["resolution_h"] = (t["resolved"] - t["opened"]).dt.total_seconds() / 3600
    # --- visits -----------------------------------------------------------------------
    visits = _visits(u[u["ticket"].isin(t.index)], t, mapping, quality)
    t["vendor"] = t.index.isin(visits.loc[visits["kind"] == "supplier", "ticket"])
    if "vendor" in u:
        t["vendor"] |= t.index.isin(u.loc[u["vendor"].notna(), "ticket"])
    n_hops = visits.groupby("ticket").size()
    t["visits"] = n_hops.reindex(t.index).fillna(0).astype(int)
    return t.reset_index(names="ticket"), visits


def _visits(u: pd.DataFrame, t: pd.DataFrame, mapping: dict, quality: Quality) -> pd.DataFrame:
    vendor_state = str(mapping.get("vendor_state", "Awaiting Vendor")).lower()
    party = u["group"] if "group" in u else pd.Series(pd.NA, index=u.index, dtype="string")
    no_group = party.isna()
    quality.add("updates without an assignment group", int(no_group.sum()),
                "the group of the update before (or after, for the first) is assumed")
    party = party.groupby(u["ticket"]).ffill()
    party = party.groupby(u["ticket"]).bfill().fillna(UNKNOWN_GROUP)
    kind = pd.Series("group", index=u.index)
    if "state" in u:
        at_vendor = u["state"].str.lower().eq(vendor_state).fillna(False)
        vend = u["vendor"].fillna("vendor") if "vendor" in u else pd.Series("vendor", index=u.index)
        party = party.where(~at_vendor, "vendor: " + vend.astype(str))
        kind = kind.where(~at_vendor, "supplier")
    when = u["updated_at"] if "updated_at" in u else pd.Series(pd.NaT, index=u.index)
    opened = u["ticket"].map(t["opened"])
    resolved = u["ticket"].map(t["resolved"])
    # updates after the final resolution (closing, reopen bookkeeping) do not start visits
    late = resolved.notna() & when.notna() & (when > resolved)
    df = pd.DataFrame({"ticket": u["ticket"], "party": party.astype(str), "kind": kind, "when": when,
                       "opened": opened, "resolved": resolved})[~late.to_numpy()]
    change = df["party"].ne(df.groupby("ticket")["party"].shift())
    v = df[change.to_numpy()].copy()
    first = ~v["ticket"].duplicated()
    v["start"] = v["when"].where(~first, v["opened"])
    v["start"] = v["start"].fillna(v["opened"])
    v["start"] = np.maximum(v["start"], v["opened"])
    v["end"] = v.groupby("ticket")["start"].shift(-1)
    last = v["end"].isna()
    v.loc[last, "end"] = v.loc[last, "resolved"]
    v["hours"] = (v["end"] - v["start"]).dt.total_seconds() / 3600
    v["step"] = v.groupby("ticket").cumcount()
    v["last"] = last.to_numpy()
    quality.add("visits of 0 minutes (timestamps to the minute)", int((v["hours"] == 0).sum()),
                "taken as 30 s in the duration fits")
    return v[["ticket", "step", "party", "kind", "start", "end", "hours", "last"]].reset_index(drop=True)
