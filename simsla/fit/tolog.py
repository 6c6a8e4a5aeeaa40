"""Simulated results written as logs in the formats ``fit_log`` reads (for round-trip tests and demos).

* ``write_call_log``: phone tickets as an Anonymous Bank call log (agents get
  synthetic names: each served call goes to the agent free longest, so the
  number of distinct names is the peak number of calls in service at once);
* ``write_ticket_log``: tickets and their visits as a ServiceNow-style event
  log (one row per update: opening, each reassignment, resolution).
"""

from __future__ import annotations

import heapq
from pathlib import Path

import numpy as np
import pandas as pd


def _clock(ts: pd.Series) -> pd.Series:
    return ts.dt.hour.astype(str) + ":" + ts.dt.strftime("%M:%S")


def write_call_log(results, path: str | Path, replication: int = 0) -> Path:
    """Phone calls of one replication as an Anonymous Bank CSV."""
    sc = results.scenario
    t = results.tickets[(results.tickets["replication"] == replication) & (results.tickets["channel"] == "phone")]
    t = t.sort_values("arrival")
    seg = results.segments[(results.segments["replication"] == replication) & (results.segments["party"] == sc.desk.name)
                           & results.segments["start"].notna()]
    first = seg.sort_values("start").groupby("ticket").agg(start=("start", "first"), end=("end", "last"))
    t = t.join(first, on="ticket")
    origin = pd.Timestamp(sc.origin).tz_localize(None)
    ts = lambda s: origin + pd.to_timedelta(s.to_numpy(), unit="s")  # noqa: E731
    arrival = pd.Series(ts(t["arrival"]), index=t.index)
    served = t["answered"].notna() & t["start"].notna()
    abandoned = t["outcome"] == "abandoned"
    wait = np.where(served, t["answered"] - t["arrival"], np.where(abandoned, t["abandoned"] - t["arrival"], 0.0))
    wait = np.round(wait).astype(int)
    ser_time = np.where(served, np.round(t["end"].fillna(t["start"]) - t["start"]), 0).astype(int)
    # synthetic agent names: interval partitioning in order of service start
    servers = np.array(["NO_SERVER"] * len(t), dtype=object)
    free: list[tuple[float, int]] = []
    n_agents = 0
    idx = np.flatnonzero(served.to_numpy())
    starts, ends = t["start"].to_numpy(), t["end"].fillna(t["start"]).to_numpy()
    for i in idx[np.argsort(starts[idx], kind="stable")]:
        if free and free[0][0] <= starts[i]:
            _, k = heapq.heappop(free)
        else:
            k, n_agents = n_agents, n_agents + 1
        servers[i] = f"AGENT{k:02d}"
        heapq.heappush(free, (ends[i], k))
    zero = "0:00:00"
    q_start = _clock(arrival).where(wait > 0, zero)
    q_exit = _clock(arrival + pd.to_timedelta(wait, unit="s")).where(wait > 0, zero)
    s_start = pd.Series(ts(t["start"].fillna(0)), index=t.index)
    s_end = s_start + pd.to_timedelta(ser_time, unit="s")
    out = pd.DataFrame({
        "vru+line": "AA0101", "call_id": np.arange(len(t)), "customer_id": 0, "priority": 0,
        "type": t["service"].astype(str).to_numpy(), "date": arrival.dt.strftime("%y%m%d").to_numpy(),
        "vru_entry": _clock(arrival - pd.Timedelta(seconds=5)).to_numpy(), "vru_exit": _clock(arrival).to_numpy(),
        "vru_time": 5, "q_start": q_start.to_numpy(), "q_exit": q_exit.to_numpy(), "q_time": wait,
        "outcome": np.where(served, "AGENT", "HANG"),
        "ser_start": np.where(served, _clock(s_start), zero), "ser_exit": np.where(served, _clock(s_end), zero),
        "ser_time": ser_time, "server": servers,
    })
    path = Path(path)
    out.to_csv(path, index=False)
    return path


def write_ticket_log(results, path: str | Path, replication: int = 0) -> Path:
    """Tickets of one replication as a ServiceNow-style event log (``fit_log(path, "servicenow")`` reads it).

    One row when the ticket is opened (at the first party), one per later visit (a reassignment, at the
    visit's ``enter``), one when it is resolved.  Times are written to the minute, as ServiceNow does.
    """
    sc = results.scenario
    t = results.tickets[results.tickets["replication"] == replication].set_index("ticket")
    seg = results.segments[(results.segments["replication"] == replication) & (results.segments["kind"] != "customer")]
    seg = seg.sort_values(["ticket", "enter"])
    seg = seg[seg["party"].astype(str) != seg.groupby("ticket")["party"].shift().astype(str)]   # resumed work is one visit
    origin = pd.Timestamp(sc.origin).tz_localize(None)
    fmt = lambda s: (origin + pd.to_timedelta(np.asarray(s, dtype=float), unit="s")).strftime("%d/%m/%Y %H:%M")  # noqa: E731
    level = {"P1": "1 - Critical", "P2": "2 - High", "P3": "3 - Moderate", "P4": "4 - Low", "P5": "5 - Planning"}
    lv = {"high": "1 - High", "medium": "2 - Medium", "low": "3 - Low"}
    tk = t.loc[seg["ticket"]]
    resolved = tk["resolved"].to_numpy()
    rows = pd.DataFrame({
        "number": [f"INC{i:07d}" for i in seg["ticket"]], "incident_state": "Active",
        "opened_at": fmt(tk["arrival"]), "sys_updated_at": fmt(seg["enter"]),
        "contact_type": tk["channel"].astype(str).str.capitalize().to_numpy(),
        "impact": tk["impact"].astype(str).map(lv).to_numpy(), "urgency": tk["urgency"].astype(str).map(lv).to_numpy(),
        "priority": tk["priority"].astype(str).map(level).to_numpy(),
        "assignment_group": seg["party"].astype(str).to_numpy(), "category": tk["service"].astype(str).to_numpy(),
        "resolved_at": np.where(np.isnan(resolved), "?", fmt(np.nan_to_num(resolved))),
        "_t": seg["enter"].to_numpy()})
    last = rows.groupby("number").tail(1).copy()
    last = last[last["resolved_at"] != "?"]
    last["incident_state"] = "Resolved"
    last["sys_updated_at"] = last["resolved_at"]
    last["_t"] = t.loc[[int(n[3:]) for n in last["number"]], "resolved"].to_numpy()
    out = pd.concat([rows, last]).sort_values(["number", "_t"], kind="stable").drop(columns="_t")
    for col in ("closed_at", "vendor", "made_sla", "reopen_count"):
        out[col] = {"closed_at": out["resolved_at"], "vendor": "?", "made_sla": "true", "reopen_count": "0"}[col]
    path = Path(path)
    out.to_csv(path, index=False)
    return path
