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
