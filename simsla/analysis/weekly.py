"""The log by hour of the week: arrivals, queues, waits, utilisation and staff, averaged over weeks and replications.

The week is the local wall-clock week of the scenario's time zone, Monday
00:00 first (168 hours), so a profile peak at 08:00 stays at 08:00 across a
daylight-saving change.  Pure functions over a ``TicketLog``; the report's
load figures draw what ``weekly_profile`` computes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simsla.model import Scenario

if TYPE_CHECKING:
    from simsla.ticketlog import TicketLog

HOURS = np.arange(168)


def hour_of_week(seconds: Any, scenario: Scenario) -> np.ndarray:
    """Local hour of the week (0 = Monday 00-01) of engine times."""
    origin = pd.Timestamp(scenario.origin)
    local = origin + pd.to_timedelta(np.asarray(seconds, dtype=float), unit="s")
    local = pd.DatetimeIndex(local)
    return np.asarray(local.day_of_week * 24 + local.hour, dtype=int)


def _occurrences(results: "TicketLog") -> np.ndarray:
    """How often each hour of the week occurs in the measured window (per replication)."""
    util = results.utilization
    hours = np.unique(util["hour"].to_numpy(dtype=float)) if len(util) else np.zeros(0)
    if len(hours) == 0:
        sc = results.scenario
        hours = np.arange(sc.warmup, sc.end, 3600.0)
    return np.bincount(hour_of_week(hours, results.scenario), minlength=168).astype(float)


def weekly_profile(results: "TicketLog") -> dict[str, pd.DataFrame]:
    """Means per hour of the week over replications and weeks (index 0..167).

    ``arrivals`` (per channel: contacts arriving in the hour), ``queue`` (per
    group: tickets waiting, the mean over the hour), ``wait`` (per channel:
    mean wait in seconds from arrival to the desk's answer, by the hour of
    arrival; abandoned calls left out), ``utilisation`` (per group: busy /
    staffed agent-time) and ``staffed`` (per group: agents on duty).
    """
    sc = results.scenario
    reps = max(int(results.replications), 1)
    occ = _occurrences(results) * reps
    safe = np.where(occ > 0, occ, np.nan)
    tk = results.tickets
    how = hour_of_week(tk["arrival"].to_numpy(dtype=float), sc) if len(tk) else np.zeros(0, dtype=int)
    channels = [c for c in sc.levels("channel") if (tk["channel"] == c).any()]
    arrivals = pd.DataFrame({c: np.bincount(how[(tk["channel"] == c).to_numpy()], minlength=168) / safe for c in channels},
                            index=HOURS)
    wait = {}
    for c in channels:
        mine = (tk["channel"] == c).to_numpy() & tk["wait"].notna().to_numpy()
        total = np.bincount(how[mine], weights=tk["wait"].to_numpy(dtype=float)[mine], minlength=168)
        count = np.bincount(how[mine], minlength=168)
        wait[c] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    util = results.utilization
    uhow = hour_of_week(util["hour"].to_numpy(dtype=float), sc) if len(util) else np.zeros(0, dtype=int)
    queue, utilisation, staffed = {}, {}, {}
    for g in sc.groups:
        mine = (util["group"] == g.name).to_numpy()
        busy = np.bincount(uhow[mine], weights=util["busy"].to_numpy(dtype=float)[mine], minlength=168)
        on = np.bincount(uhow[mine], weights=util["staffed"].to_numpy(dtype=float)[mine], minlength=168)
        waiting = np.bincount(uhow[mine], weights=util["queue"].to_numpy(dtype=float)[mine], minlength=168)
        queue[g.name] = waiting / 3600.0 / safe
        staffed[g.name] = on / 3600.0 / safe
        utilisation[g.name] = np.where(on > 0, busy / np.where(on > 0, on, 1), np.nan)
    frame = lambda d: pd.DataFrame(d, index=HOURS)  # noqa: E731
    return {"arrivals": arrivals, "queue": frame(queue), "wait": frame(wait), "utilisation": frame(utilisation),
            "staffed": frame(staffed)}
