"""Shifts: the number of agents at work follows the roster.

Work intervals come from ``results.segments`` (``start`` to ``end`` of each
visit's work; an open visit works until the end of the run) and the roster from
``staff_steps`` (a step function).  Agents are seats 0..max-1 and seat ``i``
takes new work only while ``i < staff``, so:

* ``handover``: at every instant the agents at work are at most the staff;
* ``finish``: agents beyond the staff (overtime) only finish work they started
  before the last reduction of the staff; i.e. the work started at or after the
  last reduction never exceeds the staff;
* nobody starts work while the roster says 0, so what comes in at night waits
  for the morning.

Engine times are sums of floats, so instants are compared with a tolerance of
a microsecond.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simsla.engine.replication import staff_steps

from .conftest import desk, exponential, run, scenario

TOL = 1e-6
DESK_SHIFTS = [
    {"days": "all", "hours": "07:00-19:00", "staff": 3},
    {"days": "mon-fri", "hours": "09:00-17:00", "staff": 2},
    {"days": "all", "hours": "19:00-07:00", "staff": 1},  # across midnight
]
G2_SHIFTS = [  # nobody at night or at the weekend
    {"days": "mon-fri", "hours": "08:00-17:00", "staff": 2},
    {"days": "mon-fri", "hours": "10:00-16:00", "staff": 1},
]


@pytest.fixture(scope="module")
def shifted():
    sc = scenario(
        rate="8/h", channel="portal", horizon="4w", warmup=0,  # no warm-up: every segment is in the log
        routing=[{"from": "desk", "to": {"group2": 1.0}}],
        groups=[desk(None, exponential("6m"), shifts=DESK_SHIFTS, first_contact_resolution=0.6),
                {"name": "group2", "shifts": G2_SHIFTS, "handling": exponential("10m"), "discipline": "fifo",
                 "at_shift_end": "handover"}],
    )
    return sc, run(sc, replications=4, seed=71)


def _level(times: np.ndarray, levels: np.ndarray, t: np.ndarray) -> np.ndarray:
    return levels[np.searchsorted(times, t, side="right") - 1]


def _busy(starts: np.ndarray, ends: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Work intervals [start, end) in progress at each instant t."""
    return (np.searchsorted(np.sort(starts), t, side="right")
            - np.searchsorted(np.sort(ends), t, side="right"))


def _work(res, sc, party: str, rep: int) -> pd.DataFrame:
    s = res.segments
    s = s[(s["replication"] == rep) & (s["party"] == party) & s["start"].notna()].copy()
    s["end"] = s["end"].fillna(sc.end)
    return s


def test_roster_has_the_expected_shape(shifted) -> None:
    sc, _ = shifted
    times, levels = staff_steps(sc, 0)
    monday = times < 86400
    assert times[monday].tolist() == [0.0, 7 * 3600.0, 9 * 3600.0, 17 * 3600.0, 19 * 3600.0]
    assert levels[monday].tolist() == [1, 3, 5, 3, 1]
    times, levels = staff_steps(sc, 1)
    assert levels.max() == 3 and levels[0] == 0
    assert _level(times, levels, np.array([5 * 86400 + 12 * 3600.0]))[0] == 0  # Saturday noon


@pytest.mark.parametrize("rep", range(4))
def test_handover_group_never_exceeds_roster(shifted, rep: int) -> None:
    sc, res = shifted
    times, levels = staff_steps(sc, 1)
    w = _work(res, sc, "group2", rep)
    # the instants where the busy count can peak: work starts, and just after every roster change
    t = np.concatenate([w["start"].to_numpy(), times + TOL])
    busy = _busy(w["start"].to_numpy(), w["end"].to_numpy(), t)
    staff = np.maximum(_level(times, levels, t - TOL), _level(times, levels, t + TOL))
    over = busy > staff
    assert not over.any(), f"{over.sum()} instants with more agents at work than rostered, e.g. t={t[over][:3]}"
    # the check is not vacuous: work was handed over at shift ends, exactly when the staff fell
    handed = w[w["outcome"] == "handover"]
    assert len(handed) > 20
    drops = times[1:][np.diff(levels) < 0]
    gap = np.abs(handed["end"].to_numpy()[:, None] - drops[None, :]).min(axis=1)
    assert gap.max() < TOL, "a handover happened when the staff did not fall"
    # every handed-over ticket was resumed at group2 later
    tk = set(handed["ticket"])
    later = res.segments[(res.segments["replication"] == rep) & (res.segments["party"] == "group2")
                         & res.segments["ticket"].isin(tk)]
    assert later.groupby("ticket")["enter"].count().min() >= 2


@pytest.mark.parametrize("rep", range(4))
def test_finish_group_overtime_only_for_work_started_before_shift_end(shifted, rep: int) -> None:
    sc, res = shifted
    times, levels = staff_steps(sc, 0)
    w = _work(res, sc, "desk", rep)
    start, end = w["start"].to_numpy(), w["end"].to_numpy()
    t = np.sort(start)
    staff = np.maximum(_level(times, levels, t - TOL), _level(times, levels, t + TOL))
    # the last reduction of the staff at or before each instant
    drops = np.concatenate([[-np.inf], times[1:][np.diff(levels) < 0]])
    last_drop = drops[np.searchsorted(drops, t + TOL, side="right") - 1]
    # work in progress at t that started at or after the last reduction
    fresh = np.array([np.count_nonzero((start <= ti) & (end > ti) & (start > ld + TOL)) for ti, ld in zip(t, last_drop)])
    assert (fresh <= staff).all(), f"work started beyond the roster at t={t[fresh > staff][:3]}"
    # overtime does happen (the check is not vacuous) and only as the tail of earlier work
    busy = _busy(start, end, t)
    assert (busy > staff).any(), "no overtime at all: the scenario does not exercise at_shift_end: finish"
    assert (w["outcome"] != "handover").all()
    # nobody ever started work when the roster said 0 (the desk is never unstaffed here) and starts
    # never exceed the roster at their instant
    assert (staff >= 1).all()


@pytest.mark.parametrize("rep", range(4))
def test_unstaffed_nights_leave_tickets_waiting_until_morning(shifted, rep: int) -> None:
    sc, res = shifted
    times, levels = staff_steps(sc, 1)
    s = res.segments
    s = s[(s["replication"] == rep) & (s["party"] == "group2")]
    started = s[s["start"].notna()]
    # no work starts while nobody is rostered
    lv = np.maximum(_level(times, levels, started["start"].to_numpy() - TOL),
                    _level(times, levels, started["start"].to_numpy() + TOL))
    assert (lv >= 1).all()
    # what arrives while the group is closed starts no earlier than its next opening
    enter = s["enter"].to_numpy()
    closed = _level(times, levels, enter) == 0
    opens = times[levels > 0]
    k = np.searchsorted(opens, enter[closed], side="right")
    next_open = np.append(opens, np.inf)[k]  # inf: closed until the end of the run (the last weekend)
    st = s["start"].to_numpy()[closed]
    assert closed.sum() > 50
    assert (np.isnan(st) | (st >= next_open - TOL)).all()
    assert np.isnan(st[np.isinf(next_open)]).all()
    st, enter, next_open = st[np.isfinite(next_open)], enter[closed][np.isfinite(next_open)], next_open[np.isfinite(next_open)]
    # and Friday-evening arrivals wait over the weekend: the longest waits exceed 2.5 days
    assert np.nanmax(st - enter) > 2.5 * 86400
    # the morning shift picks the overnight queue up at once: work starts at the opening instant
    mornings = np.unique(next_open)
    first = np.array([np.nanmin(st[next_open == m]) for m in mornings])
    assert len(mornings) >= 15 and np.abs(first - mornings).max() < TOL


def test_utilisation_table_respects_roster(shifted) -> None:
    sc, res = shifted
    u = res.utilization
    g2 = u[u["group"] == "group2"]
    assert (g2["busy"] <= g2["staffed"] + 1e-3).all()  # handover: never more work than staffed time
    assert (g2.loc[g2["staffed"] == 0, "busy"].abs() < 1e-3).all()  # (sums of floats: round-off only)
    d = u[u["group"] == "desk"]
    assert (d["busy"] > d["staffed"] + 1).any()  # finish: the hour after a shift end has overtime
