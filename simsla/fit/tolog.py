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


#: the mapping that reads ``write_status_log``'s files (``fit_log(path, "csv", STATUS_MAPPING)``)
STATUS_MAPPING = {"ticket": "case", "updated_at": "timestamp", "state": "status", "sub_state": "sub_status",
                  "group": "team", "level": "support_level", "impact": "impact", "urgency": "urgency", "priority": "priority",
                  "vendor": "vendor", "time_format": "%Y-%m-%d %H:%M:%S"}


def write_status_log(results, path: str | Path, replication: int = 0, close_after: float = 7 * 86400.0,
                     reopen: float = 0.0, seed: int = 0) -> Path:
    """Tickets of one replication as a log of status changes (no resolution-time column), as Volvo IT's is.

    Rows: ``Queued/Awaiting Assignment`` when a ticket reaches a group (at the desk: its opening),
    ``Accepted/In Progress`` when work starts, ``Accepted/Wait - User`` for a customer wait,
    ``Accepted/Wait - Vendor`` while a supplier holds it (the team stays the group that sent it),
    ``Completed/Resolved`` at the resolution and ``Completed/Closed`` a uniform 0 .. 2 x ``close_after``
    later (so the last event is not the resolution).  With probability ``reopen`` a resolved ticket is
    reopened an hour later for an hour of work and resolved again (the truth stays the first resolution).
    Times to the second.
    """
    sc = results.scenario
    rng = np.random.default_rng(seed)
    t = results.tickets[(results.tickets["replication"] == replication)].set_index("ticket")
    seg = results.segments[results.segments["replication"] == replication].sort_values(["ticket", "enter"], kind="stable")
    desk = sc.desk.name
    team = seg["party"].astype(str).where(seg["kind"].astype(str) == "group")
    team = team.groupby(seg["ticket"]).ffill().fillna(desk)
    kind = seg["kind"].astype(str).to_numpy()
    rows = []
    for tk, party, k, grp, enter, start in zip(seg["ticket"], seg["party"].astype(str), kind, team, seg["enter"],
                                               seg["start"]):
        if k == "group":
            rows.append((tk, enter, "Queued", "Awaiting Assignment", party, ""))
            if np.isfinite(start):
                rows.append((tk, start, "Accepted", "In Progress", party, ""))
        elif k == "customer":
            rows.append((tk, enter, "Accepted", "Wait - User", grp, ""))
        else:
            rows.append((tk, enter, "Accepted", "Wait - Vendor", grp, party))
    df = pd.DataFrame(rows, columns=["ticket", "_t", "status", "sub_status", "team", "vendor"])
    # a ticket coming back from a supplier or a customer wait to the same group: work goes on (no new queue row)
    prev = df.groupby("ticket")["sub_status"].shift()
    df = df[~((df["sub_status"] == "Awaiting Assignment") & prev.isin(["Wait - User", "Wait - Vendor"])
              & (df["team"] == df.groupby("ticket")["team"].shift()))]
    done = t[np.isfinite(t["resolved"].to_numpy(float))]
    last_team = df.groupby("ticket")["team"].last()
    res = pd.DataFrame({"ticket": done.index, "_t": done["resolved"].to_numpy(), "status": "Completed",
                        "sub_status": "Resolved", "team": last_team.reindex(done.index).to_numpy(), "vendor": ""})
    close = res.assign(_t=res["_t"] + rng.uniform(0, 2 * close_after, len(res)), sub_status="Closed")
    back = rng.random(len(res)) < reopen
    again = [res[back].assign(_t=res.loc[back, "_t"] + 3600.0, status="Accepted", sub_status="In Progress"),
             res[back].assign(_t=res.loc[back, "_t"] + 7200.0)]
    close.loc[back, "_t"] += 7200.0
    df = pd.concat([df, res, *again, close], ignore_index=True).sort_values(["ticket", "_t"], kind="stable")
    origin = pd.Timestamp(sc.origin).tz_localize(None)
    tk = t.loc[df["ticket"]]
    level = np.where(df["team"].to_numpy() == desk, "1st line", "2nd line")
    out = pd.DataFrame({"case": [f"C{i:06d}" for i in df["ticket"]],
                        "timestamp": (origin + pd.to_timedelta(np.round(df["_t"].to_numpy(float)), unit="s"))
                        .strftime("%Y-%m-%d %H:%M:%S"),
                        "status": df["status"].to_numpy(), "sub_status": df["sub_status"].to_numpy(),
                        "team": df["team"].to_numpy(), "support_level": level,
                        "impact": tk["impact"].astype(str).str.capitalize().to_numpy(),
                        "urgency": tk["urgency"].astype(str).str.capitalize().to_numpy(),
                        "priority": tk["priority"].astype(str).to_numpy(), "vendor": df["vendor"].to_numpy()})
    path = Path(path)
    out.to_csv(path, index=False)
    return path
