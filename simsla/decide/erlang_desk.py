"""The desk's requirement per interval of the week: the agents the Erlang C/A formula requires, beside the shifts.

``desk_requirement(scenario, threshold, fraction)`` turns a scenario's demand
into an Erlang calculator's week: per interval of the week (local
hour-of-week), the desk's offered rate, its mean handling time, the agents the
Erlang C/A formula requires, and the agents the desk's shifts schedule.  The
limits (stationary intervals, exponential times, one pooled queue, no
escalations) are listed in ``simsla.decide.erlang``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from simsla.analytic import interval_requirement
from simsla.decide.erlang_abandoned import abandoned_rule
from simsla.decide.erlang_demand import _hourly_demand, phone_patience
from simsla.decide.erlang_intervals import (
    DAY_LABELS,
    HOUR,
    _check_interval,
    _clock,
    _duration,
    _to_intervals,
    scheduled_staff,
)
from simsla.model import Scenario

def desk_requirement(
    scenario: Scenario,
    threshold: float | str,
    fraction: float,
    interval: float = 3600,
    *,
    patience: float | str | None = "scenario",
    max_abandon: float | None = None,
    basis: str = "miss",
    channels: Sequence[str] | None = None,
    grace: float | str | None = None,
) -> pd.DataFrame:
    """Agents the desk needs per interval of the week, by Erlang C (or Erlang A).

    Parameters
    ----------
    scenario : Scenario
        The scenario; every demand stream goes through its desk.
    threshold : float or str
        Answer-time threshold (seconds or ``"20s"``).
    fraction : float
        Required share answered within the threshold, e.g. 0.8.
    interval : float
        Interval length in seconds: a divisor of an hour (900, 1800, 3600) or
        a whole number of hours dividing a day.  Profiles are hourly, so a
        shorter interval carries its hour's rate.
    patience : float, str, "scenario" or None
        Mean patience for Erlang A: ``"scenario"`` (default) takes the phone
        streams' mean patience (``phone_patience``; Erlang C when they have
        none); ``None`` forces Erlang C.
    max_abandon : float, optional
        Erlang A only: also keep P(abandon) at or below this.
    basis : {"miss", "exclude", "grace"}
        How abandoned calls count (Erlang A; the target's ``abandoned``
        rule): default ``"miss"``, as a target without a rule.  The older
        ``"served"``/``"offered"`` mean exclude/miss.
    channels : sequence of str, optional
        Only the demand streams of these channels (``("phone",)`` for the
        phone-line requirement of an answer-time target); default every stream.
    grace : float or str, optional
        Grace period for ``basis="grace"``.

    Returns
    -------
    pandas.DataFrame
        One row per interval (local hour-of-week, Monday 00:00 first):
        ``interval`` (index), ``day``, ``start`` (``"HH:MM"``),
        ``rate_per_hour`` (the counted demand streams through the desk),
        ``aht_seconds`` (the desk's mean handling time, weighted by the
        streams' rates in that interval), ``offered_load`` (Erlangs),
        ``required`` (the least agents meeting the target in steady state),
        ``scheduled`` (agents the desk's shifts put on, averaged over the
        interval) and ``gap`` (scheduled - required).  ``attrs`` holds the
        threshold, fraction, interval, patience, model and abandoned basis.

    Notes
    -----
    See the module docstring for the limits: stationary intervals,
    exponential times, one pooled queue, no escalations.
    """
    thr = _duration(threshold)
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie strictly between 0 and 1, got {fraction!r}")
    interval = _check_interval(interval)
    rule, grace_s = abandoned_rule(basis, grace)
    pat = phone_patience(scenario, channels) if patience == "scenario" else _duration(patience)  # type: ignore[arg-type]
    hours_rate, hours_work = _hourly_demand(scenario, channels)
    rate, work = _to_intervals(hours_rate, interval), _to_intervals(hours_work, interval)
    n = len(rate)
    aht = np.divide(work, rate, out=np.full(n, np.nan), where=rate > 0)
    required = np.zeros(n, dtype=np.int64)
    positive = rate > 0
    # interval_requirement takes one mean service; group intervals by their AHT
    for value in np.unique(np.round(aht[positive], 9)):
        rows = positive & (np.round(aht, 9) == value)
        required[rows] = interval_requirement(rate[rows], float(value), thr, fraction, pat,  # type: ignore[arg-type]
                                              max_abandon=max_abandon, basis=rule, grace=grace_s)  # type: ignore[arg-type]
    starts = np.arange(n) * interval
    if scenario.desk.agents is not None:  # skills: only the agent groups that can take these contacts
        from simsla.decide.erlang_skills import contact_teams, team_scheduled

        scheduled = team_scheduled(scenario, contact_teams(scenario, channels), interval)
    else:
        scheduled = scheduled_staff(scenario.desk, interval)
    frame = pd.DataFrame({
        "interval": np.arange(n),
        "day": [DAY_LABELS[int(s // 86400) % 7] for s in starts],
        "start": [_clock(s) for s in starts],
        "rate_per_hour": rate * HOUR,
        "aht_seconds": aht,
        "offered_load": np.where(positive, rate * np.nan_to_num(aht), 0.0),
        "required": required,
        "scheduled": scheduled,
    })
    frame["gap"] = frame["scheduled"] - frame["required"]
    frame.attrs.update({"threshold_seconds": thr, "fraction": fraction, "interval_seconds": interval,
                        "patience_seconds": pat, "model": "Erlang A" if pat is not None else "Erlang C",
                        "abandoned": rule, "grace_seconds": grace_s, "channels": None if channels is None else tuple(channels)})
    return frame
