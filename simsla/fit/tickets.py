"""Rebuilding tickets and their visits to groups and suppliers from a ticket log's updates.

Each ticket's attributes come from its last update (its final state); its
opening time is the earliest ``opened_at`` (without that column: its first
update).  Its resolution is the last ``resolved_at`` where the log has that
column (ServiceNow: the final resolution); a log of status changes without it
(``simsla.fit.statuses``) is resolved at the **first entry into a resolved
status** (a ticket closed without one: at its closure), and work after that is
a reopening, counted and left out of the times.

Visits: the sequence of parties holding the ticket, from the updates in time
order up to the resolution.  Each update holds from its time to the next
update's: a change of assignment group starts a visit to the new group; an
update in a supplier-wait status (``Awaiting Vendor``, ``Wait - Vendor``, ...)
starts a visit to the supplier named in ``vendor`` (else the status); time in a
customer-wait status (``Awaiting User Info``, ``Wait - User``, ...) stays in
the group's visit but is booked as ``wait_hours`` (a customer wait that pauses
the SLA clock), not as time at the group.  The first visit starts at the
opening, the last ends at the resolution.  Timestamps are kept as naive local
times.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsla.fit import servicenow, statuses
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
    for col in ("state", "sub_state", "priority", "impact", "urgency", "contact_type", "group", "vendor", "service",
                "made_sla", "reopen_count", "level"):
        if col in u:
            u[col] = _clean_text(u[col], missing)
    order = ["ticket", "updated_at", "_row"] if "updated_at" in u else ["ticket", "_row"]
    u = u.sort_values(order, kind="stable")
    if "state" in u:
        u["_class"] = statuses.classify(u["state"], u.get("sub_state"), mapping)
    g = u.groupby("ticket", sort=False)
    t = pd.DataFrame({"opened": g["opened_at"].min() if "opened_at" in u else g["updated_at"].min()})
    from_statuses = "resolved_at" not in u and "_class" in u and "updated_at" in u
    if from_statuses:
        t = t.join(_resolution_from_statuses(u, quality))
    else:
        t["resolved"] = g["resolved_at"].last() if "resolved_at" in u else pd.NaT   # last non-missing
        t["closed"] = g["closed_at"].last() if "closed_at" in u else pd.NaT
    for col in ("state", "priority", "impact", "urgency", "contact_type", "service", "made_sla", "level"):
        t[col] = g[col].last() if col in u else pd.NA
    if not from_statuses:
        t["reopen_count"] = g["reopen_count"].last() if "reopen_count" in u else pd.NA
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
    t.attrs["priority_order"] = _priority_order(u, mapping)
    t.attrs["business_hours"] = str(mapping.get("business_hours", "no"))
    t.attrs["first_visits"] = str(mapping.get("first_visits", "pooled"))
    t.attrs["sla"] = {k: mapping[k] for k in ("sla_hours", "sla_targets", "sla_fraction") if k in mapping}
    # the last time the log knows anything: tickets still open are followed until then (simsla.fit.stationary)
    t.attrs["extract_end"] = u["updated_at"].max() if "updated_at" in u else pd.NaT
    t["priority"] = t["priority"].map(servicenow.priority_label, na_action="ignore").fillna("unknown")
    t["impact"] = t["impact"].map(servicenow.level_label, na_action="ignore").fillna("unknown")
    t["urgency"] = t["urgency"].map(servicenow.level_label, na_action="ignore").fillna("unknown")
    default_channel = str(mapping.get("default_channel", "portal"))
    no_channel = t["contact_type"].isna()
    quality.add(f"tickets without a channel ({'no contact_type column' if 'contact_type' not in u else 'contact_type missing'})",
                int(no_channel.sum()), f"taken as {default_channel!r} (mapping option default_channel)")
    t["channel"] = t["contact_type"].map(servicenow.channel, na_action="ignore").fillna(default_channel)
    t["service"] = t["service"].fillna("unknown")
    t["made_sla"] = t["made_sla"].str.lower().map({"true": True, "false": False, "1": True, "0": False})
    t["reopened"] = pd.to_numeric(t["reopen_count"], errors="coerce").fillna(0) > 0
    # which optional fields the log has: the scenario's header and the report print only those
    t.attrs["fields"] = {"made_sla": "made_sla" in u, "reopen": from_statuses or "reopen_count" in u,
                         "vendor": "vendor" in u or "_class" in u, "channel": "contact_type" in u,
                         "from_statuses": from_statuses}
    t["resolution_h"] = (t["resolved"] - t["opened"]).dt.total_seconds() / 3600
    # --- visits -----------------------------------------------------------------------
    visits = _visits(u[u["ticket"].isin(t.index)], t, mapping, quality)
    t["vendor"] = t.index.isin(visits.loc[visits["kind"] == "supplier", "ticket"])
    if "vendor" in u:
        t["vendor"] |= t.index.isin(u.loc[u["vendor"].notna(), "ticket"])
    n_hops = visits.groupby("ticket").size()
    t["visits"] = n_hops.reindex(t.index).fillna(0).astype(int)
    t["wait_h"] = visits.groupby("ticket")["wait_hours"].sum().reindex(t.index).fillna(0.0)
    attrs = dict(t.attrs)
    out = t.reset_index(names="ticket")
    out.attrs.update(attrs)
    return out, visits


def _resolution_from_statuses(u: pd.DataFrame, quality: Quality) -> pd.DataFrame:
    """Resolution = first entry into a resolved status (else the first closure); closure; reopenings."""
    cls = u["_class"]
    when = u["updated_at"]
    res = when.where(cls.eq("resolved")).groupby(u["ticket"], sort=False).min()
    clo = when.where(cls.eq("closed")).groupby(u["ticket"], sort=False).min()
    only_closed = res.isna() & clo.notna()
    quality.add("tickets closed (or cancelled) without a resolved status", int(only_closed.sum()),
                "resolved at the closure")
    res = res.fillna(clo)
    first = u["ticket"].map(res)
    # work after the first resolution: a reopening (each return from resolved/closed to another status counts once)
    active = ~cls.isin(["resolved", "closed"])
    after = first.notna() & (when > first)
    back = after & active & ~active.groupby(u["ticket"]).shift(fill_value=True).astype(bool)
    reopens = back.groupby(u["ticket"], sort=False).sum()
    quality.add("tickets reopened after their first resolution", int((reopens > 0).sum()),
                "resolution = the first resolved status; the work after it is counted, not timed")
    return pd.DataFrame({"resolved": res, "closed": clo.where(clo >= res), "reopen_count": reopens.astype(str)})


def _priority_order(u: pd.DataFrame, mapping: dict) -> list[str] | None:
    """The priorities from most to least urgent: the mapping's ``priority_order``, else None (the matrix decides)."""
    order = mapping.get("priority_order")
    if order:
        return [servicenow.priority_label(p) for p in order]
    return None


def _visits(u: pd.DataFrame, t: pd.DataFrame, mapping: dict, quality: Quality) -> pd.DataFrame:
    """One row per visit: ticket, step, party, kind (group/supplier), start, end, hours (time at the party,
    customer waits left out), wait_hours (customer waits within a group visit), last."""
    party = u["group"] if "group" in u else pd.Series(pd.NA, index=u.index, dtype="string")
    no_group = party.isna()
    quality.add("updates without an assignment group", int(no_group.sum()),
                "the group of the update before (or after, for the first) is assumed")
    party = party.groupby(u["ticket"]).ffill()
    party = party.groupby(u["ticket"]).bfill().fillna(UNKNOWN_GROUP)
    cls = u["_class"] if "_class" in u else pd.Series("work", index=u.index)
    if mapping.get("customer_waits", "pause") == "work" and "updated_at" in u:
        held = (u["updated_at"].groupby(u["ticket"]).shift(-1) - u["updated_at"]).dt.total_seconds()
        waiting = cls.eq("customer")
        share = float(held[waiting].sum() / held.sum()) if held.sum() > 0 else 0.0
        quality.add("updates in a customer-wait status", int(waiting.sum()),
                    f"customer_waits: work -- their time ({share:.0%} of the time between updates) stays in the "
                    "group's time")
        cls = cls.where(~waiting, "work")
    at_vendor = cls.eq("supplier").to_numpy(bool)
    if "vendor" in u:
        vend = u["vendor"].fillna(statuses.label(u["state"], u.get("sub_state")) if "state" in u else "vendor")
    else:
        vend = statuses.label(u["state"], u.get("sub_state")) if "state" in u else pd.Series("vendor", index=u.index)
    group = party.astype(str)
    party = group.where(~at_vendor, "vendor: " + vend.astype(str))
    kind = pd.Series("group", index=u.index).where(~at_vendor, "supplier")
    when = u["updated_at"] if "updated_at" in u else pd.Series(pd.NaT, index=u.index)
    opened = u["ticket"].map(t["opened"])
    resolved = u["ticket"].map(t["resolved"])
    # updates from the (first) resolution on (closing, reopen bookkeeping) do not hold the ticket; the
    # first update always does (a ticket opened and resolved in the same minute)
    first_row = ~u["ticket"].duplicated()
    late = resolved.notna() & when.notna() & (when >= resolved) & ~first_row
    from simsla.fit.workhours import group_hours

    hours_of = group_hours(u, group, ~cls.isin(["customer", "supplier", "closed", "queue"]), mapping)
    t.attrs["working_hours"] = hours_of
    df = pd.DataFrame({"ticket": u["ticket"], "party": party.astype(str), "kind": kind, "when": when,
                       "opened": opened, "resolved": resolved, "group": group,
                       "waiting": cls.eq("customer").to_numpy(bool)})[~late.to_numpy()]
    # each update holds from its time (the opening, for the first) to the next update's (the resolution, for the last)
    df["start"] = df["when"].where(~(~df["ticket"].duplicated()), df["opened"]).fillna(df["opened"])
    df["start"] = np.maximum(df["start"], df["opened"])
    df["end"] = df.groupby("ticket")["start"].shift(-1)
    tail = df["end"].isna()
    df.loc[tail, "end"] = df.loc[tail, "resolved"]
    held = (df["end"] - df["start"]).dt.total_seconds() / 3600
    df["work_h"] = held.where(~df["waiting"], 0.0)
    df["wait_h"] = held.where(df["waiting"], 0.0)
    # business time in the hours of the group holding the ticket (calendar time for suppliers and 24/7 groups)
    office = held.copy()
    for g, wh in hours_of.items():
        m = (df["group"] == g) & (df["kind"] == "group")
        if m.any() and not wh.round_the_clock:
            office[m] = (wh.seconds(df.loc[m, "end"]) - wh.seconds(df.loc[m, "start"])) / 3600
    df["office_h"] = office.where(~df["waiting"], 0.0)
    change = df["party"].ne(df.groupby("ticket")["party"].shift())
    run = change.cumsum()
    v = df.groupby(run, sort=False).agg(ticket=("ticket", "first"), party=("party", "first"), kind=("kind", "first"),
                                        start=("start", "first"), hours=("work_h", "sum"), wait_hours=("wait_h", "sum"),
                                        office_hours=("office_h", "sum"))
    # a visit of a ticket never resolved (or closed without a resolution time) has no end: not timed
    v["end"] = df.loc[run.ne(run.shift(-1)).to_numpy(), "end"].to_numpy()
    v.loc[v["end"].isna(), ["hours", "wait_hours", "office_hours"]] = np.nan
    v["step"] = v.groupby("ticket").cumcount()
    v["last"] = ~v["ticket"].duplicated(keep="last")
    n_wait = int((v["wait_hours"] > 0).sum())
    quality.add("group visits with time waiting for the customer", n_wait,
                "that time is a customer wait (pauses the SLA clock), not work at the group")
    quality.add("visits of 0 minutes (timestamps to the minute)", int((v["hours"] == 0).sum()),
                "taken as 30 s in the duration fits")
    return v[["ticket", "step", "party", "kind", "start", "end", "hours", "wait_hours", "office_hours",
              "last"]].reset_index(drop=True)
