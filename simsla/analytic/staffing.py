"""Staffing rules: square-root staffing and Erlang C / Erlang A calculators.

These give what a workforce-management "Erlang calculator" gives: the
smallest number of agents whose steady-state service level meets a target
such as 80 % answered within 20 s, per interval of a demand profile.  They
assume each interval reaches steady state, which is the calculator's
convention (and its known weakness for short intervals).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .erlang import _log1p_exp, erlang_c_result
from .abandonment import ServiceLevelBasis, erlang_a

__all__ = [
    "sqrt_staffing",
    "service_level_for_staff",
    "staff_for_service_level",
    "interval_requirement",
]

_DEFAULT_MAX_SERVERS = 1_000_000


def sqrt_staffing(offered_load: float, beta: float) -> int:
    """Square-root (Halfin-Whitt) staffing ``ceil(a + beta * sqrt(a))``.

    Parameters
    ----------
    offered_load : float
        Offered load ``a`` in Erlangs (>= 0).
    beta : float
        Quality-of-service parameter; larger means better service.  In the
        QED regime ``P(wait)`` tends to the Halfin-Whitt function of ``beta``.

    Returns
    -------
    int
        Number of agents (at least 0).
    """
    if not (math.isfinite(offered_load) and offered_load >= 0):
        raise ValueError(f"offered_load must be finite and >= 0, got {offered_load!r}")
    if not math.isfinite(beta):
        raise ValueError(f"beta must be finite, got {beta!r}")
    # A tiny tolerance stops a + beta sqrt(a) = 7.000000000001 becoming 8.
    return max(0, math.ceil(offered_load + beta * math.sqrt(offered_load) - 1e-9))


def _check_common(arrival_rate: float, mean_service: float, threshold: float) -> None:
    if not (math.isfinite(arrival_rate) and arrival_rate >= 0):
        raise ValueError(f"arrival_rate must be finite and >= 0, got {arrival_rate!r}")
    if not (math.isfinite(mean_service) and mean_service > 0):
        raise ValueError(f"mean_service must be finite and > 0, got {mean_service!r}")
    if not (math.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"threshold must be finite and >= 0, got {threshold!r}")


def service_level_for_staff(
    servers: int,
    arrival_rate: float,
    mean_service: float,
    threshold: float,
    *,
    mean_patience: float | None = None,
    basis: ServiceLevelBasis = "miss",
    grace: float | None = None,
) -> float:
    """Service level reached with a given number of agents.

    Parameters
    ----------
    servers : int
        Number of agents (>= 0).
    arrival_rate : float
        Arrival rate ``lambda``.
    mean_service : float
        Mean handling time.
    threshold : float
        Answer-time threshold (same unit as ``mean_service``).
    mean_patience : float, optional
        Mean exponential patience; ``None`` (or ``inf``) uses Erlang C.
    basis : {"miss", "exclude", "grace", "served", "offered", "all"}
        Erlang A service-level basis (how abandoned calls count; default
        ``"miss"``), see :meth:`ErlangAResult.service_level`.
    grace : float, optional
        Grace period for ``basis="grace"``.

    Returns
    -------
    float
        ``P(W <= threshold)``.  Under Erlang C an unstable system (load >=
        servers) returns 0.0, the limit of an ever-growing queue, so that
        search loops need not special-case it.  With no arrivals it is 1.0.
    """
    _check_common(arrival_rate, mean_service, threshold)
    if arrival_rate == 0.0:
        return 1.0
    if servers == 0:
        return 0.0
    if mean_patience is None or math.isinf(mean_patience):
        if arrival_rate * mean_service >= servers:
            return 0.0
        return erlang_c_result(servers, arrival_rate, mean_service).service_level(threshold)
    return erlang_a(servers, arrival_rate, mean_service, mean_patience).service_level(
        threshold, basis, grace
    )


def _erlang_c_staff(
    arrival_rate: float, mean_service: float, threshold: float, target: float, max_servers: int
) -> int:
    """Smallest stable ``c`` meeting the Erlang C target, in one O(c) pass."""
    load = arrival_rate * mean_service
    log_a = math.log(load)
    log_inv_b = 0.0  # log(1/B(0, a))
    for c in range(1, max_servers + 1):
        # Same log-space Erlang B recursion as erlang.erlang_b, kept
        # incremental here so the search costs one pass, not one per c.
        log_inv_b = _log1p_exp(math.log(c) - log_a + log_inv_b)
        if load >= c:
            continue
        b = math.exp(-log_inv_b)
        p_wait = b / (1.0 - load / c * (1.0 - b))
        sl = 1.0 - p_wait * math.exp(-(c / mean_service - arrival_rate) * threshold)
        if sl >= target:
            return c
    raise ValueError(f"target not reached with {max_servers} servers")


def staff_for_service_level(
    arrival_rate: float,
    mean_service: float,
    threshold: float,
    target_fraction: float,
    *,
    mean_patience: float | None = None,
    max_abandon: float | None = None,
    basis: ServiceLevelBasis = "miss",
    grace: float | None = None,
    max_servers: int = _DEFAULT_MAX_SERVERS,
) -> int:
    """Smallest number of agents meeting a service-level target.

    Parameters
    ----------
    arrival_rate : float
        Arrival rate ``lambda``.
    mean_service : float
        Mean handling time (AHT).
    threshold : float
        Answer-time threshold, e.g. 20 s.
    target_fraction : float
        Required ``P(W <= threshold)`` in (0, 1), e.g. 0.8.
    mean_patience : float, optional
        Mean exponential patience: use Erlang A instead of Erlang C.
    max_abandon : float, optional
        With ``mean_patience``: also require ``P(abandon) <= max_abandon``.
    basis : {"miss", "exclude", "grace", "served", "offered", "all"}
        Erlang A service-level basis: how abandoned calls count (ignored by
        Erlang C, where nobody abandons and all agree).
    grace : float, optional
        Grace period for ``basis="grace"``.
    max_servers : int
        Give up (``ValueError``) beyond this many agents.

    Returns
    -------
    int
        The minimal agent count; 0 when there are no arrivals.

    Notes
    -----
    Erlang C is scanned upwards from one agent with an incremental Erlang B
    recursion, so the cost is linear in the answer.  Erlang A is found by
    doubling and bisection, relying on the service level and abandonment
    being monotone in the number of agents.
    """
    _check_common(arrival_rate, mean_service, threshold)
    if not 0.0 < target_fraction < 1.0:
        raise ValueError(f"target_fraction must be in (0, 1), got {target_fraction!r}")
    erlang_c_model = mean_patience is None or math.isinf(mean_patience)
    if max_abandon is not None:
        if erlang_c_model:
            raise ValueError("max_abandon needs a finite mean_patience (Erlang A)")
        if not 0.0 <= max_abandon <= 1.0:
            raise ValueError(f"max_abandon must be in [0, 1], got {max_abandon!r}")
    if arrival_rate == 0.0:
        return 0
    if erlang_c_model:
        return _erlang_c_staff(arrival_rate, mean_service, threshold, target_fraction, max_servers)

    def ok(c: int) -> bool:
        res = erlang_a(c, arrival_rate, mean_service, mean_patience)  # type: ignore[arg-type]
        if max_abandon is not None and res.p_abandon > max_abandon:
            return False
        return res.service_level(threshold, basis, grace) >= target_fraction

    load = arrival_rate * mean_service
    guess = max(1, min(max_servers, sqrt_staffing(load, 0.0)))
    if ok(guess):
        lo, hi = 0, guess  # ok(0) is false: nobody can be served
    else:
        lo, hi = guess, guess
        while not ok(hi):
            if hi >= max_servers:
                raise ValueError(f"target not reached with {max_servers} servers")
            lo, hi = hi, min(max_servers, 2 * hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def interval_requirement(
    rates_per_interval: Sequence[float] | np.ndarray,
    mean_service: float,
    threshold: float,
    target_fraction: float,
    patience: float | None = None,
    *,
    max_abandon: float | None = None,
    basis: ServiceLevelBasis = "miss",
    grace: float | None = None,
) -> np.ndarray:
    """Minimum agents per interval of a demand profile (an Erlang calculator).

    Parameters
    ----------
    rates_per_interval : sequence of float
        Arrival rate in each interval (e.g. 672 quarter-hours of a week), in
        arrivals per the time unit of ``mean_service`` (not per interval).
    mean_service : float
        Mean handling time.
    threshold : float
        Answer-time threshold.
    target_fraction : float
        Required fraction answered within ``threshold``.
    patience : float, optional
        Mean exponential patience (Erlang A); ``None`` uses Erlang C.
    max_abandon : float, optional
        Erlang A only: cap on the abandonment probability.
    basis : {"miss", "exclude", "grace", "served", "offered", "all"}
        Erlang A service-level basis (how abandoned calls count).
    grace : float, optional
        Grace period for ``basis="grace"``.

    Returns
    -------
    numpy.ndarray
        Integer array, same shape as ``rates_per_interval``, each entry the
        result of :func:`staff_for_service_level` for that interval.
    """
    rates = np.asarray(rates_per_interval, dtype=float)
    if not np.all(np.isfinite(rates)) or np.any(rates < 0):
        raise ValueError("rates_per_interval must be finite and >= 0")
    # Weekly profiles repeat the same rates often; solve each distinct one once.
    unique, inverse = np.unique(rates, return_inverse=True)
    solved = np.array(
        [
            staff_for_service_level(
                float(r), mean_service, threshold, target_fraction,
                mean_patience=patience, max_abandon=max_abandon, basis=basis, grace=grace,
            )
            for r in unique
        ],
        dtype=np.int64,
    )
    return solved[inverse].reshape(rates.shape)
