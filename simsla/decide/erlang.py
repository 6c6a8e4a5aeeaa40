"""Erlang calculators: the numbers ``simsla erlang`` prints, and the desk's requirement per interval.

``erlang(rate, aht, ...)`` answers the questions of a workforce planner for
one stationary interval: with ``agents`` agents, what are P(wait), the service
level at a threshold, the mean wait, abandonment (Erlang A when a mean
patience is given) and occupancy?  And the reverse: how many agents does a
service level need (``target``), and which service level does each agent
count give (``agents`` as a list or range)?

``desk_requirement(scenario, threshold, fraction)`` turns a scenario's demand
into an Erlang calculator's week: per interval of the week (local
hour-of-week), the desk's offered rate, its mean handling time, the agents the
Erlang C/A formula requires, and the agents the desk's shifts schedule.

Limits (the calculator's conventions, not the simulation's)
------------------------------------------------------------
* **Stationary intervals.** Each interval is assumed to reach steady state at
  its own rate; queues do not carry over from one interval to the next, and a
  peak that lasts less than the time the queue needs to build is over-staffed.
* **Exponential times.** Handling times are taken as exponential with the
  desk's mean (the weighted mean over the handling rules); patience, when
  used, as exponential with the scenario's mean patience.  Real talk times
  with a cv below 1 wait less than Erlang C says, above 1 more.
* **One pool, one queue.** All contacts through the desk (phone and written)
  are pooled; ``phone_first``, priorities and preemption are ignored, and so
  are escalations, the resolver groups, holidays, daylight saving and
  shift-end effects.  The simulation (``simsla run``) has none of these limits.
"""

from __future__ import annotations


import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from simsla.analytic import erlang_a, erlang_c_result, interval_requirement, staff_for_service_level
from simsla.engine.arrivals import hour_of_week_weights
from simsla.model import Scenario
from simsla.model.calendar import parse_days, parse_hours
from simsla.model.units import parse_duration, parse_rate

WEEK = 7 * 86400.0
HOUR = 3600.0
DAY_LABELS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _rate(value: float | str) -> float:
    return parse_rate(value) if isinstance(value, str) else float(value)


def _duration(value: float | str | None) -> float | None:
    if value is None:
        return None
    return parse_duration(value) if isinstance(value, str) else float(value)


@dataclass(frozen=True)
class ErlangReport:
    """What the Erlang calculator found.

    Attributes
    ----------
    inputs : dict
        rate (per second), aht (s), threshold (s), target, patience (s),
        model ("Erlang C" or "Erlang A").
    required_agents : int or None
        the least agents meeting ``target`` at ``threshold`` (None if no target).
    rows : list of dict
        one per agent count: agents, offered_load, p_wait, service_level,
        mean_wait (all arrivals), mean_wait_served (ASA), p_abandon,
        occupancy, stable (False when Erlang C has load >= agents).
    """

    inputs: dict[str, Any]
    required_agents: int | None
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per agent count."""
        return pd.DataFrame(self.rows)

    def to_dict(self) -> dict[str, Any]:
        """Inputs, the requirement and the rows, JSON-ready."""
        from simsla.decide._common import jsonable

        return jsonable({"inputs": self.inputs, "required_agents": self.required_agents, "rows": self.rows})


def figures(agents: int, rate: float, aht: float, threshold: float | None = None,
            patience: float | None = None, basis: str = "served") -> dict[str, Any]:
    """Steady-state figures for one agent count (Erlang C, or Erlang A with a finite patience).

    Parameters
    ----------
    agents : int
        Agents on duty (>= 1).
    rate : float
        Arrivals per second.
    aht : float
        Mean handling time in seconds.
    threshold : float, optional
        Answer-time threshold in seconds for the service level.
    patience : float, optional
        Mean (exponential) patience in seconds; ``None`` = callers never hang up.
    basis : {"served", "offered", "all"}
        Erlang A service-level basis (see ``ErlangAResult.service_level``).

    Returns
    -------
    dict
        agents, offered_load, p_wait, service_level, mean_wait, mean_wait_served,
        p_abandon, occupancy, stable.  Under Erlang C an unstable system (load
        >= agents) gives p_wait 1, service level 0 and infinite waits.
    """
    load = rate * aht
    row: dict[str, Any] = {"agents": int(agents), "offered_load": load}
    if patience is None or math.isinf(patience):
        if load >= agents:
            row.update(p_wait=1.0, service_level=0.0 if threshold is not None else None, mean_wait=math.inf,
                       mean_wait_served=math.inf, p_abandon=0.0, occupancy=1.0, stable=False)
            return row
        res = erlang_c_result(agents, rate, aht)
        row.update(p_wait=res.p_wait, service_level=res.service_level(threshold) if threshold is not None else None,
                   mean_wait=res.mean_wait, mean_wait_served=res.mean_wait, p_abandon=0.0,
                   occupancy=res.occupancy, stable=True)
        return row
    res = erlang_a(agents, rate, aht, patience)
    row.update(p_wait=res.p_wait,
               service_level=res.service_level(threshold, basis) if threshold is not None else None,  # type: ignore[arg-type]
               mean_wait=res.mean_wait, mean_wait_served=res.mean_wait_served, p_abandon=res.p_abandon,
               occupancy=res.occupancy, stable=True)
    return row


def erlang(
    rate: float | str,
    aht: float | str,
    *,
    agents: int | Iterable[int] | None = None,
    threshold: float | str | None = None,
    target: float | None = None,
    patience: float | str | None = None,
    max_abandon: float | None = None,
    basis: str = "served",
) -> ErlangReport:
    """The Erlang calculator behind ``simsla erlang``.

    Parameters
    ----------
    rate : float or str
        Arrival rate per second, or written like ``"200/h"``.
    aht : float or str
        Mean handling time in seconds, or written like ``"3m"``.
    agents : int or iterable of int, optional
        Agent count(s) to report on ("service level for agents").  Without
        it, the report covers the required agents and the two counts around it.
    threshold : float or str, optional
        Answer-time threshold (seconds or ``"20s"``) for service levels.
    target : float, optional
        Required share within ``threshold`` (e.g. 0.8): the report gives the
        least agents meeting it ("agents for a service level").
    patience : float or str, optional
        Mean patience of callers; given, Erlang A (exponential patience) is
        used and abandonment reported, otherwise Erlang C.
    max_abandon : float, optional
        With ``patience`` and ``target``: also require P(abandon) <= this.
    basis : {"served", "offered", "all"}
        Erlang A service-level basis.

    Returns
    -------
    ErlangReport
        ``.required_agents`` and ``.rows`` (one per agent count).

    Raises
    ------
    ValueError
        If ``target`` is given without ``threshold``, or nothing is asked
        (neither ``agents`` nor ``target``).
    """
    lam, mean_service = _rate(rate), _duration(aht)
    thr, pat = _duration(threshold), _duration(patience)
    if mean_service is None or mean_service <= 0:
        raise ValueError("aht must be positive")
    if target is not None and thr is None:
        raise ValueError("a target service level needs a threshold (e.g. threshold='20s', target=0.8)")
    if target is None and agents is None:
        raise ValueError("give agents (figures for a headcount) and/or threshold + target (agents needed)")
    required = None
    if target is not None:
        required = staff_for_service_level(lam, mean_service, thr, target, mean_patience=pat,  # type: ignore[arg-type]
                                           max_abandon=max_abandon, basis=basis)  # type: ignore[arg-type]
    if agents is None:
        counts = [c for c in (required - 1, required, required + 1) if c is not None and c >= 1]  # type: ignore[operator]
    elif isinstance(agents, (int, np.integer)):
        counts = [int(agents)]
    else:
        counts = sorted({int(a) for a in agents})
    if any(c < 1 for c in counts):
        raise ValueError("agents must be at least 1")
    rows = [figures(c, lam, mean_service, thr, pat, basis) for c in counts]
    if target is not None:
        for r in rows:
            r["meets_target"] = bool(r["service_level"] is not None and r["service_level"] >= target
                                     and (max_abandon is None or r["p_abandon"] <= max_abandon))
    inputs = {"rate_per_second": lam, "rate_per_hour": lam * HOUR, "aht_seconds": mean_service,
              "threshold_seconds": thr, "target": target, "patience_seconds": pat,
              "max_abandon": max_abandon, "basis": basis,
              "model": "Erlang A" if pat is not None and math.isfinite(pat) else "Erlang C"}
    return ErlangReport(inputs=inputs, required_agents=required, rows=rows)


# ------------------------------------------------------------------------ the desk's week
def _stream_mix(scenario: Scenario, stream) -> list[tuple[float, dict[str, str]]]:
    """(probability, attributes) for every combination of a stream's service, customer and priority."""
    pm = scenario.priority_matrix

    def weights(levels: Sequence[str], w: dict[str, float] | None) -> dict[str, float]:
        if w is None:
            return {v: 1.0 / len(levels) for v in levels}
        total = sum(w.get(v, 0.0) for v in levels)
        return {v: w.get(v, 0.0) / total for v in levels if w.get(v, 0.0) > 0}

    services = weights(scenario.levels("service"), stream.services)
    customers = weights(scenario.levels("customer"), stream.customers)
    joint = stream.cells(pm)
    prio: dict[str, float] = {}
    for (ii, i), (ui, u) in itertools.product(enumerate(pm.impacts), enumerate(pm.urgencies)):
        if joint[ii, ui] > 0:
            p = pm.priority(i, u)
            prio[p] = prio.get(p, 0.0) + float(joint[ii, ui])
    out = []
    for (s, ps), (c, pc), (p, pp) in itertools.product(services.items(), customers.items(), prio.items()):
        out.append((ps * pc * pp, {"service": s, "customer": c, "priority": p,
                                   "type": stream.type, "channel": stream.channel}))
    return out


def _matches(when, attrs: dict[str, str]) -> bool:
    from simsla.model.chain import ATTRIBUTES

    for a in ATTRIBUTES:
        values = when.values(a)
        if values is not None and attrs[a] not in values:
            return False
    return True


def stream_handling_mean(scenario: Scenario, stream, group=None) -> float:
    """Mean work time of one stream's contacts at a group (default: the desk), over its attribute mix.

    The first matching handling rule applies to each combination of service,
    customer and priority the stream can produce, weighted by its probability.
    """
    group = scenario.desk if group is None else group
    spec = group.handling_times
    total = 0.0
    for p, attrs in _stream_mix(scenario, stream):
        dist = next((r.time for r in spec.by if _matches(r.when, attrs)), spec.default)
        total += p * dist.expected
    return total


def scheduled_staff(group, interval: float = HOUR) -> np.ndarray:
    """Agents a group's shifts schedule in each interval of the week (average over the interval).

    Local wall-clock hours, Monday 00:00 first; holidays and daylight-saving
    days are ignored.  A group with constant ``staff`` has it everywhere.
    """
    n = int(round(WEEK / interval))
    if group.staff is not None:
        return np.full(n, float(group.staff))
    out = np.zeros(n)
    for shift in group.shifts or ():
        out += shift.staff * shift_cover(shift, interval)
    return out


def shift_cover(shift, interval: float = HOUR) -> np.ndarray:
    """Share of each interval of the week covered by one shift block (0..1)."""
    n = int(round(WEEK / interval))
    cover = np.zeros(n)
    for day in parse_days(shift.days):
        for start, end in parse_hours(shift.hours):
            a, b = day * 86400.0 + start, day * 86400.0 + end
            for k in range(int(a // interval), int(math.ceil(b / interval))):
                lo, hi = max(a, k * interval), min(b, (k + 1) * interval)
                if hi > lo:
                    cover[k % n] += (hi - lo) / interval
    return cover


def desk_requirement(
    scenario: Scenario,
    threshold: float | str,
    fraction: float,
    interval: float = 3600,
    *,
    patience: float | str | None = "scenario",
    max_abandon: float | None = None,
    basis: str = "served",
    channels: Sequence[str] | None = None,
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
        a whole number of hours dividing a day.
    patience : float, str, "scenario" or None
        Mean patience for Erlang A: ``"scenario"`` (default) takes the mean of
        the scenario's ``patience`` when it has one (Erlang C otherwise);
        ``None`` forces Erlang C.
    max_abandon : float, optional
        Erlang A only: also keep P(abandon) at or below this.
    basis : {"served", "offered", "all"}
        Erlang A service-level basis.
    channels : sequence of str, optional
        Only the demand streams of these channels (``("phone",)`` for the
        classic phone-line calculation); default every stream.

    Returns
    -------
    pandas.DataFrame
        One row per interval (local hour-of-week, Monday 00:00 first):
        ``interval`` (index), ``day``, ``start`` (``"HH:MM"``),
        ``rate_per_hour`` (all demand streams through the desk),
        ``aht_seconds`` (the desk's mean handling time, weighted by the
        streams' rates in that interval), ``offered_load`` (Erlangs),
        ``required`` (the least agents meeting the target in steady state),
        ``scheduled`` (agents the desk's shifts put on, averaged over the
        interval) and ``gap`` (scheduled - required).

    Notes
    -----
    See the module docstring for the limits: stationary intervals,
    exponential times, one pooled queue, no escalations.
    """
    thr = _duration(threshold)
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie strictly between 0 and 1, got {fraction!r}")
    interval = float(interval)
    if interval <= 0 or (HOUR % interval > 1e-9 and (interval % HOUR > 1e-9 or 86400 % interval > 1e-9)):
        raise ValueError("interval must divide an hour (e.g. 900, 1800, 3600) or be whole hours dividing a day")
    if patience == "scenario":
        pat = scenario.patience.expected if scenario.patience is not None else None
    else:
        pat = _duration(patience)  # type: ignore[arg-type]
    hours_rate = np.zeros(168)
    hours_work = np.zeros(168)
    for stream in scenario.demand:
        if channels is not None and stream.channel not in channels:
            continue
        r = stream.volume * hour_of_week_weights(scenario.profile(stream))
        hours_rate += r
        hours_work += r * stream_handling_mean(scenario, stream)
    n = int(round(WEEK / interval))
    if interval <= HOUR:
        per = int(round(HOUR / interval))
        rate = np.repeat(hours_rate, per)
        work = np.repeat(hours_work, per)
    else:
        per = int(round(interval / HOUR))
        rate = hours_rate.reshape(n, per).mean(axis=1)
        work = hours_work.reshape(n, per).mean(axis=1)
    aht = np.divide(work, rate, out=np.full(n, np.nan), where=rate > 0)
    required = np.zeros(n, dtype=np.int64)
    positive = rate > 0
    # interval_requirement takes one mean service; group intervals by their AHT
    for value in np.unique(np.round(aht[positive], 9)):
        rows = positive & (np.round(aht, 9) == value)
        required[rows] = interval_requirement(rate[rows], float(value), thr, fraction, pat,  # type: ignore[arg-type]
                                              max_abandon=max_abandon, basis=basis)  # type: ignore[arg-type]
    starts = np.arange(n) * interval
    scheduled = scheduled_staff(scenario.desk, interval)
    frame = pd.DataFrame({
        "interval": np.arange(n),
        "day": [DAY_LABELS[int(s // 86400) % 7] for s in starts],
        "start": [f"{int(s % 86400 // 3600):02d}:{int(s % 3600 // 60):02d}" for s in starts],
        "rate_per_hour": rate * HOUR,
        "aht_seconds": aht,
        "offered_load": np.where(positive, rate * np.nan_to_num(aht), 0.0),
        "required": required,
        "scheduled": scheduled,
    })
    frame["gap"] = frame["scheduled"] - frame["required"]
    frame.attrs.update({"threshold_seconds": thr, "fraction": fraction, "interval_seconds": interval,
                        "patience_seconds": pat, "model": "Erlang A" if pat is not None else "Erlang C"})
    return frame
