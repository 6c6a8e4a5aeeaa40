"""Attainment on a hand-written ticket log: period assignment, spanning tickets, open tickets, pauses.

The log is built directly (no simulation) so every number below is computed
by hand.  Engine time 0 is Monday 2026-01-05 00:00 UTC (ISO week 2); the run
stops after 14 days (end of week 3).
"""

from __future__ import annotations

import numpy as np
import pytest

import simsla
from simsla.analysis.attainment import evaluate, target_summary
from simsla.experiment.runner import assemble

H, D = 3600.0, 86400.0


@pytest.fixture(scope="module")
def results():
    sc = simsla.Scenario.model_validate({
        "name": "hand log", "start": "2026-01-05", "horizon": "14d",
        "calendars": {"office": {"hours": {"mon-fri": "08:00-17:00"}}},
        "services": [{"name": "mail"}],
        "demand": [{"name": "t", "channel": "portal", "volume": "1/day"}],
        "groups": [{"name": "desk", "role": "desk", "staff": 1, "handling": {"dist": "exponential", "mean": "5m"},
                    "first_contact_resolution": 1.0, "customer_wait": {"probability": 0.5,
                                                                        "duration": {"dist": "exponential", "mean": "1h"}}}],
        "agreements": [{"name": "SLA", "kind": "SLA", "period": "week", "targets": [
            {"name": "24/7", "metric": "resolution", "threshold": "2h", "fraction": 0.5},
            {"name": "office", "metric": "resolution", "threshold": "2h", "fraction": 0.5, "calendar": "office"},
        ]}],
    })
    nan = np.nan
    #          t0         t1            t2            t3 (open)      t4 (open)      t5 (paused)
    arrival = [10 * H, 6 * D + 23 * H, 8 * D + 10 * H, 13 * D + 20 * H, 13 * D + 23 * H, 1 * D + 9 * H]
    resolved = [11 * H, 7 * D + 2 * H, 8 * D + 10.5 * H, nan, nan, 1 * D + 13 * H]
    n = len(arrival)
    zeros = np.zeros(n, dtype=np.int64)
    tickets = {
        "ticket": np.arange(n), "time": np.array(arrival), "stream": zeros, "service": zeros, "customer": zeros,
        "type": zeros, "channel": np.full(n, 2), "impact": np.full(n, 2), "urgency": np.full(n, 2),
        "priority": np.full(n, 4), "answered": np.array(arrival), "abandoned": np.full(n, nan),
        "resolved": np.array(resolved), "resolved_by": np.where(np.isnan(resolved), -1, 0),
        "outcome": np.where(np.isnan(resolved), 2, 0),
    }
    # segments: each ticket one desk visit; t5 waits on the customer 10:00-12:00 between two desk segments
    seg = [(0, 0, arrival[0], arrival[0], resolved[0], 0), (1, 0, arrival[1], arrival[1], resolved[1], 0),
           (2, 0, arrival[2], arrival[2], resolved[2], 0), (3, 0, arrival[3], arrival[3], nan, 5),
           (4, 0, arrival[4], arrival[4], nan, 5),
           (5, 0, arrival[5], arrival[5], 1 * D + 10 * H, 6), (5, 1, 1 * D + 10 * H, 1 * D + 10 * H, 1 * D + 12 * H, 1),
           (5, 0, 1 * D + 12 * H, 1 * D + 12 * H, resolved[5], 0)]
    cols = np.array(seg, dtype=float)
    segments = {"ticket": cols[:, 0].astype(np.int64), "party": cols[:, 1].astype(np.int16), "enter": cols[:, 2],
                "start": cols[:, 3], "end": cols[:, 4], "outcome": cols[:, 5].astype(np.int8)}
    part = {"replication": 0, "tickets": tickets, "segments": segments, "utilization": {}, "outages": {},
            "stopped_at": 14 * D, "unstable": None, "arrived_in_warmup": 0}
    return assemble(sc, 1, [part])


def _rows(results, target):
    t = evaluate(results)
    return t[t["target"] == target].set_index("period")


def test_tickets_count_in_the_period_of_resolution_and_open_overdue_ones_count_as_breaches(results):
    rows = _rows(results, "24/7")
    assert list(rows.index) == ["2026-W02", "2026-W03"]
    # W02: t0 (1h) and t5 (4h elapsed minus 2h waiting on the customer = 2h, on the threshold) are met
    assert (rows.loc["2026-W02", "counted"], rows.loc["2026-W02", "met"]) == (2, 2)
    # W03: t1 spans the weekend into W03 (3h: missed), t2 met, t3 open and 4h old at the stop (missed);
    # t4 is open and only 1h old: its outcome is unknown, it is not counted
    assert (rows.loc["2026-W03", "counted"], rows.loc["2026-W03", "met"]) == (3, 1)
    assert not rows.loc["2026-W02", "breached"] and rows.loc["2026-W03", "breached"]
    summary = {s["target"]: s for s in target_summary(results)}["24/7"]
    assert summary["breach_probability"] == 0.5 and summary["periods_evaluated"] == 2
    assert summary["attainment"] == pytest.approx(3 / 5)


def test_business_hours_clock(results):
    rows = _rows(results, "office")
    # in office hours t1 (Sun 23:00 -> Mon 02:00) took no business time; t3 and t4 are not overdue
    # (Sunday evening); t5 waited 2h on the customer out of 09:00-13:00
    assert (rows.loc["2026-W02", "counted"], rows.loc["2026-W02", "met"]) == (2, 2)
    assert (rows.loc["2026-W03", "counted"], rows.loc["2026-W03", "met"]) == (2, 2)
    assert not rows["breached"].any()
