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
``week_requirement(scenario)`` is what ``simsla erlang --scenario`` shows:
``desk_requirement`` for the phone streams and every answer-time target of
the scenario (``answer_targets``), beside the shifts' coverage.

How abandoned calls count
-------------------------
Every service level here is stated on an abandoned-call basis, the rule of an
answer-time target (``abandoned`` / ``abandoned_grace`` in
``simsla.model.agreements``, measured the same way by ``simsla.analysis``):
``miss`` (default: an abandoned call is a miss), ``exclude`` (left out) or
``grace`` (callers who hang up within the grace period are left out, later
ones are misses).  Under Erlang C nobody hangs up and the three agree.

Limits (the calculator's conventions, not the simulation's)
------------------------------------------------------------
* **Stationary intervals.** Each interval is assumed to reach steady state at
  its own rate; queues do not carry over from one interval to the next, and a
  peak that lasts less than the time the queue needs to build is over-staffed.
  Profiles are hourly: a 15- or 30-minute interval gets its hour's rate.
* **Exponential times.** Handling times are taken as exponential with the
  desk's mean (the weighted mean over the handling rules); patience, when
  used, as exponential with the callers' mean patience.  Real talk times
  with a cv below 1 wait less than Erlang C says, above 1 more.
* **One pool, one queue.** The contacts counted (``channels``; the phone
  streams in ``week_requirement``) are pooled; ``phone_first``, priorities and
  preemption are ignored, and so are escalations, the resolver groups,
  holidays, daylight saving and shift-end effects.  Written contacts (e-mail,
  portal) do not need an answer within seconds: they wait for a free agent
  and are left out of the phone requirement.  The simulation (``simsla run``)
  has none of these limits.
* **Skills.** A desk with agent groups is still sized as one pool: an
  optimistic bound, printed with its caveats, and "on shift" counts only the
  agent groups that can take the counted contacts (``simsla.decide.erlang_skills``
  says why this rather than a refusal).
"""

from __future__ import annotations


import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from simsla.analytic import (
    erlang_a,
    erlang_c_result,
    interval_requirement,
    service_level_for_staff,
    staff_for_service_level,
)
from simsla.analytic.abandonment import abandoned_basis
from simsla.engine.arrivals import hour_of_week_weights
from simsla.model import Scenario
from simsla.model.calendar import parse_days, parse_hours
from simsla.model.units import format_duration, parse_duration, parse_rate

WEEK = 7 * 86400.0
HOUR = 3600.0
DAY_LABELS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _rate(value: float | str) -> float:
    return parse_rate(value) if isinstance(value, str) else float(value)


def _duration(value: float | str | None) -> float | None:
    if value is None:
        return None
    return parse_duration(value) if isinstance(value, str) else float(value)


#: the abandoned-call rules an answer-time target can have (``simsla.model.agreements``)
ABANDONED_RULES = ("miss", "exclude", "grace")


def abandoned_rule(abandoned: str = "miss", grace: float | str | None = None) -> tuple[str, float | None]:
    """The abandoned-call basis ``(rule, grace seconds)`` from a rule name and an optional grace period.

    ``offered`` and ``served`` (older names) are read as ``miss`` and
    ``exclude``.  A grace period without a rule name means ``grace``.

    Raises
    ------
    ValueError
        For an unknown rule, ``grace`` without a period, or a period with
        ``miss``/``exclude``.
    """
    g = _duration(grace)
    if abandoned == "miss" and g is not None:
        abandoned = "grace"
    name, g = abandoned_basis(abandoned, g)
    if name not in ABANDONED_RULES:
        raise ValueError(f"abandoned must be one of {', '.join(ABANDONED_RULES)}, got {abandoned!r}")
    return name, g


def abandoned_text(rule: str, grace: float | None = None) -> str:
    """How abandoned calls count, in words (printed with every service level)."""
    if rule == "exclude":
        return "abandoned calls left out"
    if rule == "grace":
        return f"calls abandoned within {format_duration(float(grace or 0.0))} left out, later ones count as misses"
    return "abandoned calls count as misses"


def target_rule(target) -> tuple[str, float | None]:
    """The abandoned-call basis of an answer-time target, as ``simsla.analysis`` measures it.

    ``abandoned: exclude`` wins over a grace period (the measurement leaves
    every abandoned call out then); otherwise a grace period gives ``grace``.
    """
    if target.abandoned == "exclude":
        return "exclude", None
    if target.abandoned_grace is not None:
        return "grace", float(target.abandoned_grace)
    return "miss", None


@dataclass(frozen=True)
class ErlangReport:
    """What the Erlang calculator found.

    Attributes
    ----------
    inputs : dict
        rate (per second), aht (s), threshold (s), target, patience (s),
        model ("Erlang C" or "Erlang A"), abandoned (the basis: "miss",
        "exclude" or "grace"), grace_seconds and abandoned_text (in words).
    required_agents : int or None
        the least agents meeting ``target`` at ``threshold`` (None if no target).
    rows : list of dict
        one per agent count: agents, offered_load, p_wait, service_level (on
        the abandoned-call basis of ``inputs``), mean_wait (all arrivals),
        mean_wait_served (ASA), p_abandon, p_abandon_within_grace (grace basis
        only), occupancy, stable (False when Erlang C has load >= agents).
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
            patience: float | None = None, basis: str = "miss", grace: float | None = None) -> dict[str, Any]:
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
    basis : {"miss", "exclude", "grace"}
        How abandoned calls count in the service level (see the module
        docstring; the older ``"served"``/``"offered"`` are accepted).
    grace : float, optional
        Grace period in seconds for ``basis="grace"``.

    Returns
    -------
    dict
        agents, offered_load, p_wait, service_level, mean_wait, mean_wait_served,
        p_abandon, occupancy, stable (and p_abandon_within_grace on the grace
        basis).  Under Erlang C an unstable system (load >= agents) gives
        p_wait 1, service level 0 and infinite waits.
    """
    load = rate * aht
    row: dict[str, Any] = {"agents": int(agents), "offered_load": load}
    if patience is None or math.isinf(patience):
        if load >= agents:
            row.update(p_wait=1.0, service_level=0.0 if threshold is not None else None, mean_wait=math.inf,
                       mean_wait_served=math.inf, p_abandon=0.0, occupancy=1.0, stable=False)
        else:
            res = erlang_c_result(agents, rate, aht)
            row.update(p_wait=res.p_wait, service_level=res.service_level(threshold) if threshold is not None else None,
                       mean_wait=res.mean_wait, mean_wait_served=res.mean_wait, p_abandon=0.0,
                       occupancy=res.occupancy, stable=True)
        if basis == "grace":
            row["p_abandon_within_grace"] = 0.0
        return row
    res = erlang_a(agents, rate, aht, patience)
    row.update(p_wait=res.p_wait,
               service_level=res.service_level(threshold, basis, grace) if threshold is not None else None,  # type: ignore[arg-type]
               mean_wait=res.mean_wait, mean_wait_served=res.mean_wait_served, p_abandon=res.p_abandon,
               occupancy=res.occupancy, stable=True)
    if basis == "grace":
        row["p_abandon_within_grace"] = res.p_abandon_within(float(grace))  # type: ignore[arg-type]
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
    abandoned: str = "miss",
    grace: float | str | None = None,
    basis: str | None = None,
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
    abandoned : {"miss", "exclude", "grace"}
        How abandoned calls count in the service level, as in an answer-time
        target: misses (default, conservative), left out, or left out when
        they hang up within ``grace``.
    grace : float or str, optional
        Grace period for ``abandoned="grace"`` (seconds or ``"5s"``).
    basis : str, optional
        Older name of ``abandoned`` (``"served"`` = exclude, ``"offered"`` =
        miss); when given it wins.

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
    rule, grace_s = abandoned_rule(basis if basis is not None else abandoned, grace)
    required = None
    if target is not None:
        required = staff_for_service_level(lam, mean_service, thr, target, mean_patience=pat,  # type: ignore[arg-type]
                                           max_abandon=max_abandon, basis=rule, grace=grace_s)  # type: ignore[arg-type]
    if agents is None:
        counts = [c for c in (required - 1, required, required + 1) if c is not None and c >= 1]  # type: ignore[operator]
    elif isinstance(agents, (int, np.integer)):
        counts = [int(agents)]
    else:
        counts = sorted({int(a) for a in agents})
    if any(c < 1 for c in counts):
        raise ValueError("agents must be at least 1")
    rows = [figures(c, lam, mean_service, thr, pat, rule, grace_s) for c in counts]
    if target is not None:
        for r in rows:
            r["meets_target"] = bool(r["service_level"] is not None and r["service_level"] >= target
                                     and (max_abandon is None or r["p_abandon"] <= max_abandon))
    inputs = {"rate_per_second": lam, "rate_per_hour": lam * HOUR, "aht_seconds": mean_service,
              "threshold_seconds": thr, "target": target, "patience_seconds": pat,
              "max_abandon": max_abandon, "abandoned": rule, "grace_seconds": grace_s,
              "abandoned_text": abandoned_text(rule, grace_s),
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


def phone_patience(scenario: Scenario, channels: Sequence[str] | None = ("phone",)) -> float | None:
    """Callers' mean patience for Erlang A: the phone streams' means, weighted by their volume.

    A stream's own ``patience`` wins over the scenario's.  ``None`` when no
    counted phone stream has a patience (callers never hang up: Erlang C).
    Streams without a patience are left out of the average.
    """
    total = weight = 0.0
    for stream in scenario.demand:
        if stream.channel != "phone" or (channels is not None and stream.channel not in channels):
            continue
        dist = stream.patience if stream.patience is not None else scenario.patience
        if dist is not None:
            total += stream.volume * dist.expected
            weight += stream.volume
    return total / weight if weight > 0 else None


def _check_interval(interval: float) -> float:
    interval = float(interval)
    if interval <= 0 or (HOUR % interval > 1e-9 and (interval % HOUR > 1e-9 or 86400 % interval > 1e-9)):
        raise ValueError("interval must divide an hour (e.g. 900, 1800, 3600) or be whole hours dividing a day")
    return interval


def _hourly_demand(scenario: Scenario, channels: Sequence[str] | None) -> tuple[np.ndarray, np.ndarray]:
    """Arrivals per second and work (arrivals x mean handling) per hour of the week, summed over streams."""
    hours_rate = np.zeros(168)
    hours_work = np.zeros(168)
    for stream in scenario.demand:
        if channels is not None and stream.channel not in channels:
            continue
        r = stream.volume * hour_of_week_weights(scenario.profile(stream))
        hours_rate += r
        hours_work += r * stream_handling_mean(scenario, stream)
    return hours_rate, hours_work


def _to_intervals(hourly: np.ndarray, interval: float) -> np.ndarray:
    """An hourly rate per interval: split evenly below an hour (profiles are hourly), averaged above."""
    n = int(round(WEEK / interval))
    if interval <= HOUR:
        return np.repeat(hourly, int(round(HOUR / interval)))
    return hourly.reshape(n, int(round(interval / HOUR))).mean(axis=1)


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


def _clock(seconds: float) -> str:
    return f"{int(seconds % 86400 // 3600):02d}:{int(seconds % 3600 // 60):02d}"


# ----------------------------------------------------------------- the scenario's answer targets
@dataclass(frozen=True)
class AnswerTarget:
    """An answer-time promise: ``fraction`` of calls within ``threshold``, abandoned calls counted by ``abandoned``.

    Attributes
    ----------
    names : tuple of str
        ``"AGREEMENT / TARGET"`` of every scenario target with this promise
        (the same target in several SLAs is one promise), or a description
        such as ``"given on the command line"``.
    threshold : float
        Seconds.
    fraction : float
    abandoned : {"miss", "exclude", "grace"}
    grace : float or None
        Seconds, for ``grace``.
    """

    names: tuple[str, ...]
    threshold: float
    fraction: float
    abandoned: str = "miss"
    grace: float | None = None

    @property
    def label(self) -> str:
        """``80 % within 20s`` (the promise, without the abandoned-call rule)."""
        return f"{100 * self.fraction:g} % within {format_duration(self.threshold)}"

    @property
    def abandoned_text(self) -> str:
        """How abandoned calls count, in words."""
        return abandoned_text(self.abandoned, self.grace)

    def describe(self) -> str:
        """Names, promise and abandoned-call rule in one line."""
        names = ", ".join(self.names)
        return f"{self.label} ({self.abandoned_text}): {names}"


#: the classic call-centre target, used when the scenario has no answer-time target
CLASSIC = AnswerTarget(("the classic call-centre target",), 20.0, 0.8)


def answer_targets(scenario: Scenario) -> list[AnswerTarget]:
    """The scenario's answer-time targets, one per distinct promise, in the order they appear.

    Targets with the same threshold, fraction and abandoned-call rule (the
    same SLA for several customers) are one promise: the calculator pools every
    caller in one queue, so a customer scope does not change the requirement.
    """
    found: dict[tuple[float, float, str, float | None], list[str]] = {}
    for a in scenario.agreements:
        for t in a.targets:
            if t.metric != "answer_time" or t.threshold is None:
                continue
            rule, grace = target_rule(t)
            found.setdefault((float(t.threshold), float(t.fraction), rule, grace), []).append(f"{a.name} / {t.name}")
    return [AnswerTarget(tuple(names), thr, frac, rule, grace) for (thr, frac, rule, grace), names in found.items()]


def choose_targets(
    scenario: Scenario,
    name: str | None = None,
    *,
    threshold: float | str | None = None,
    fraction: float | None = None,
    abandoned: str | None = None,
    grace: float | str | None = None,
) -> tuple[list[AnswerTarget], str]:
    """The answer-time target(s) a scenario's requirement is computed for, and a sentence saying which.

    Parameters
    ----------
    scenario : Scenario
    name : str, optional
        ``"AGREEMENT/TARGET"`` (or just ``TARGET`` when unique): only that
        target.  Default: every answer-time target; the requirement meets
        each of them (the strictest counts in every interval).
    threshold, fraction : optional
        Given on the command line: one promise replacing the scenario's
        (each missing part taken from the scenario's first target, else 80 %
        in 20 s).
    abandoned, grace : optional
        An abandoned-call rule replacing the targets' own.

    Returns
    -------
    (list of AnswerTarget, str)

    Raises
    ------
    KeyError
        For a ``name`` that names no answer-time target.
    """
    found = answer_targets(scenario)
    how = "the scenario's answer-time target" + ("s" if len(found) > 1 else "")
    if name is not None:
        wanted = " / ".join(part.strip() for part in name.split("/", 1))
        chosen = [t for t in found if wanted in t.names or any(n.split(" / ", 1)[1] == wanted for n in t.names)]
        known = [n for t in found for n in t.names]
        if not chosen:
            raise KeyError(f"no answer-time target {name!r} in the scenario (known: {known or 'none'})")
        if len(chosen) > 1:
            raise KeyError(f"{name!r} names answer-time targets with different promises: write AGREEMENT/TARGET "
                           f"(known: {known})")
        keep = [n for n in chosen[0].names if n == wanted or n.split(" / ", 1)[1] == wanted]
        found, how = [replace(chosen[0], names=tuple(keep))], "the target chosen with --target"
    elif not found:
        found, how = [CLASSIC], "the classic 80 % in 20 s (the scenario has no answer-time target)"
    elif len(found) > 1:
        how += f": the requirement meets all {len(found)} (the strictest counts in each interval; [1] needs the most)"
    if threshold is not None or fraction is not None:
        base = found[0]
        thr = _duration(threshold) if threshold is not None else base.threshold
        found = [AnswerTarget(("given on the command line",), float(thr), float(fraction if fraction is not None else base.fraction),  # type: ignore[arg-type]
                              base.abandoned, base.grace)]
        how = "the threshold/fraction given on the command line"
    if abandoned is not None or grace is not None:
        rule, g = abandoned_rule(abandoned or "miss", grace)
        found = [replace(t, abandoned=rule, grace=g) for t in found]
        how += f"; abandoned calls as given on the command line ({abandoned_text(rule, g)})"
    return found, how


@dataclass(frozen=True)
class WeekRequirement:
    """The desk's phone line over the week: the Erlang requirement against the shifts (``simsla erlang --scenario``).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per interval of the week (Monday 00:00 first): ``interval``,
        ``day``, ``start``, ``end`` (``"HH:MM"``), ``rate_per_hour`` (phone
        calls), ``aht_seconds``, ``offered_load`` (Erlangs), ``required``
        (the least agents meeting every target), ``binding`` (the target that
        needs them, by position in ``targets``; -1 without calls),
        ``scheduled`` (agents on shift, averaged over the interval), ``gap``
        (scheduled - required), ``service_level`` (with the scheduled agents,
        rounded down, under the first target; NaN without calls),
        ``p_abandon`` (likewise), ``calls`` (calls arrive), ``open`` (someone
        is on shift), ``uncovered`` (calls arrive, nobody on shift) and
        ``shown`` (calls or shift: the intervals worth reporting).
    targets : list of AnswerTarget
        The promises the requirement meets, the one needing the most agents first.
    how : str
        Which targets and why (``choose_targets``).
    model : str
        ``"Erlang C"`` or ``"Erlang A"``.
    patience_seconds : float or None
        The callers' mean patience (Erlang A).
    interval_seconds : float
    group : str
        The desk's name.
    written : list of dict
        The streams left out because they are not calls: name, channel,
        contacts_per_week, desk_agent_hours_per_week.
    shrinkage : float
        The desk's share of paid time off the floor: ``required`` and
        ``scheduled`` count agents on the floor, paid hours are those over
        ``1 - shrinkage``.
    caveats : list of str
        For a desk with agent groups: why the pooled requirement is an
        optimistic bound and what "on shift" counts (``simsla.decide.erlang_skills``).
    """

    frame: pd.DataFrame
    targets: list[AnswerTarget]
    how: str
    model: str
    patience_seconds: float | None
    interval_seconds: float
    group: str
    written: list[dict[str, Any]]
    shrinkage: float = 0.0
    caveats: list[str] = field(default_factory=list)

    def shown(self) -> pd.DataFrame:
        """The intervals in which calls arrive or someone is on shift."""
        return self.frame[self.frame["shown"]]

    def totals(self) -> dict[str, float]:
        """Agent-hours per week on the floor: required vs scheduled, short (required above scheduled); paid hours."""
        f = self.frame
        hours = self.interval_seconds / HOUR
        short = np.clip(f["required"] - f["scheduled"], 0, None)
        return {
            "required_agent_hours": float(f["required"].sum() * hours),
            "scheduled_agent_hours": float(f["scheduled"].sum() * hours),
            "short_agent_hours": float(short.sum() * hours),
            "intervals_short": int((short > 1e-9).sum()),
            "intervals_uncovered": int(f["uncovered"].sum()),
            "calls_per_week": float((f["rate_per_hour"] * hours).sum()),
            "calls_uncovered_per_week": float((f["rate_per_hour"] * hours)[f["uncovered"]].sum()),
            "written_agent_hours": float(sum(w["desk_agent_hours_per_week"] for w in self.written)),
            "paid_required_hours": float(f["required"].sum() * hours / (1.0 - self.shrinkage)),
            "paid_scheduled_hours": float(f["scheduled"].sum() * hours / (1.0 - self.shrinkage)),
        }

    def worst_gaps(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` intervals with the largest shortfall (scheduled below required), worst first."""
        f = self.frame[self.frame["gap"] < -1e-9]
        return f.sort_values(["gap", "interval"], kind="stable").head(n)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: targets, model, totals and the intervals shown."""
        from simsla.decide._common import jsonable

        return jsonable({"targets": [t.__dict__ for t in self.targets], "how": self.how, "model": self.model,
                         "patience_seconds": self.patience_seconds, "interval_seconds": self.interval_seconds,
                         "group": self.group, "written": self.written, "shrinkage": self.shrinkage,
                         "caveats": self.caveats,
                         "totals": self.totals(),
                         "intervals": self.shown().to_dict(orient="records")})


def written_work(scenario: Scenario, channels: Sequence[str] = ("phone",)) -> list[dict[str, Any]]:
    """The desk's work from streams outside ``channels``: contacts and agent-hours per week."""
    out = []
    for stream in scenario.demand:
        if stream.channel in channels:
            continue
        per_week = stream.volume * WEEK
        out.append({"name": stream.name, "channel": stream.channel, "contacts_per_week": per_week,
                    "desk_agent_hours_per_week": per_week * stream_handling_mean(scenario, stream) / HOUR})
    return out


def week_requirement(
    scenario: Scenario,
    targets: Sequence[AnswerTarget] | None = None,
    interval: float = HOUR,
    *,
    how: str | None = None,
    patience: float | str | None = "scenario",
) -> WeekRequirement:
    """The desk's phone requirement per interval of the week for answer-time targets, against its shifts.

    Parameters
    ----------
    scenario : Scenario
    targets : sequence of AnswerTarget, optional
        Default: ``choose_targets(scenario)`` (every answer-time target of
        the scenario, or the classic 80 % in 20 s without one).
    interval : float
        Seconds: 900, 1800 or 3600 (or whole hours dividing a day).
    how : str, optional
        The sentence saying which targets (default from ``choose_targets``).
    patience : "scenario", float, str or None
        As in ``desk_requirement``.

    Returns
    -------
    WeekRequirement
        Only phone streams are counted: e-mail and portal tickets wait for a
        free agent and do not need an answer within seconds; their desk work
        is listed in ``written``.  The requirement in each interval is the
        largest over the targets (each computed by ``desk_requirement``).
    """
    if targets is None:
        targets, chosen = choose_targets(scenario)
        how = how or chosen
    targets = list(targets)
    if not targets:
        raise ValueError("no answer-time target to compute a requirement for")
    frames = [desk_requirement(scenario, t.threshold, min(t.fraction, 0.999999), interval, patience=patience,
                               basis=t.abandoned, grace=t.grace, channels=("phone",)) for t in targets]
    # strictest first (most agent-intervals required; ties keep the scenario's order), so that [1] is the
    # target whose service level the table shows
    order = sorted(range(len(targets)), key=lambda k: -int(frames[k]["required"].sum()))
    targets, frames = [targets[k] for k in order], [frames[k] for k in order]
    base = frames[0].copy()
    needs = np.column_stack([f["required"].to_numpy() for f in frames])
    base["required"] = needs.max(axis=1)
    calls = base["rate_per_hour"].to_numpy() > 0
    base["binding"] = np.where(calls, needs.argmax(axis=1), -1)
    base["gap"] = base["scheduled"] - base["required"]
    ends = (base["interval"].to_numpy() + 1) * base.attrs["interval_seconds"]
    base.insert(3, "end", ["24:00" if e % 86400 == 0 else _clock(e) for e in ends])
    pat = base.attrs["patience_seconds"]
    first = targets[0]
    level = np.full(len(base), np.nan)
    aband = np.full(len(base), np.nan)
    for i in np.flatnonzero(calls):
        staff = int(math.floor(base["scheduled"].iat[i] + 1e-9))
        lam, aht = base["rate_per_hour"].iat[i] / HOUR, base["aht_seconds"].iat[i]
        level[i] = service_level_for_staff(staff, lam, aht, first.threshold, mean_patience=pat,
                                           basis=first.abandoned, grace=first.grace)  # type: ignore[arg-type]
        aband[i] = (1.0 if staff == 0 else erlang_a(staff, lam, aht, pat).p_abandon) if pat is not None else 0.0
    base["service_level"] = level
    base["p_abandon"] = aband
    base["calls"] = calls
    base["open"] = base["scheduled"].to_numpy() > 1e-9
    base["uncovered"] = calls & ~base["open"].to_numpy()
    base["shown"] = calls | base["open"].to_numpy()
    return WeekRequirement(frame=base, targets=targets, how=how or "the targets given", model=base.attrs["model"],
                           patience_seconds=pat, interval_seconds=float(base.attrs["interval_seconds"]),
                           group=scenario.desk.name, written=written_work(scenario),
                           shrinkage=float(getattr(scenario.desk, "shrinkage", 0.0) or 0.0),
                           caveats=_skills_caveats(scenario))


def _skills_caveats(scenario: Scenario) -> list[str]:
    from simsla.decide.erlang_skills import skills_caveats

    return skills_caveats(scenario, ("phone",))
