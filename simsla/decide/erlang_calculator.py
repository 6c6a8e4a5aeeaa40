"""The Erlang calculator behind ``simsla erlang``: one stationary interval, by Erlang C or Erlang A.

``erlang(rate, aht, ...)`` answers the questions of a workforce planner for
one stationary interval: with ``agents`` agents, what are P(wait), the service
level at a threshold, the mean wait, abandonment (Erlang A when a mean
patience is given) and occupancy?  And the reverse: how many agents does a
service level need (``target``), and which service level does each agent
count give (``agents`` as a list or range)?  Service levels are on an
abandoned-call basis (``simsla.decide.erlang_abandoned``); the calculator's
limits are listed in ``simsla.decide.erlang``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd

from simsla.analytic import erlang_a, erlang_c_result, staff_for_service_level
from simsla.decide.erlang_abandoned import abandoned_rule, abandoned_text
from simsla.decide.erlang_intervals import HOUR, _duration, _rate

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
