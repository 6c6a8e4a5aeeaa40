"""Exact Erlang A (M/M/c+M): Erlang C with exponential customer patience.

Numerical approach
------------------
The birth-death chain of the number in system (birth rate ``lambda``, death
rate ``min(n, c) mu + max(n - c, 0) theta``) is summed exactly.  Queue-state
weights ``pi_{c+j} / pi_c = y**j Gamma(x+1) / Gamma(x+j+1)`` (``x = c mu /
theta``, ``y = lambda / theta``) are taken in closed form through
``lgamma``; only the window of queue lengths carrying relative mass above
``e**-40`` is summed, with geometric bounds on the discarded tails (the
weights are log-concave, so the window is found by bisection).  States
below ``c`` enter through the log-space Erlang B recursion.

Conditional on the queue length ``j`` met on arrival (PASTA), an FCFS
customer's *offered* wait ``V`` (time until it would reach a server) is a sum
of exponentials with rates ``c mu + i theta``, ``i = 0..j``; such a sum is
exactly ``-log(U)/theta`` with ``U ~ Beta(x, j + 1)``, so its tail is a
regularized incomplete beta function (``scipy.special.betainc``).  The
customer is served iff ``V`` beats its own ``Exp(theta)`` patience, with
probability ``x / (x + j + 1)``, and given that, its wait is the same kind of
sum with rates shifted by ``theta`` (another incomplete beta; its mean is a
digamma difference).  Summing over the chain reproduces the Garnett-
Mandelbaum-Reiman (2002) incomplete-gamma closed forms, but stays finite
where their ratios of incomplete gammas underflow (many agents, light load,
long patience).

Abandoned-call bases
--------------------
An SLA says how abandoned calls count in an answer-time target (``abandoned``
and ``abandoned_grace`` in ``simsla.model.agreements``); the service level
under each rule is, with ``S`` = served and ``W`` its wait:

* ``miss``: ``P(S, W <= t)`` -- every abandoned call is a miss;
* ``exclude``: ``P(S, W <= t) / P(S)`` -- abandoned calls are left out;
* ``grace`` (``g``): ``P(S, W <= t) / (1 - P(abandon within g))`` -- callers
  who hang up within ``g`` are left out, later ones are misses.

A caller meeting ``j`` waiting hangs up at its patience ``T ~ Exp(theta)`` if
``T < V``, so ``P(T <= g, T < V | j) = int_0^g theta e^{-theta s} P(V > s) ds
= int_w^1 I_u(x, j + 1) du`` (``u = e^{-theta s}``, ``w = e^{-theta g}``), and
``int_0^z I_u(a, b) du = z I_z(a, b) - a / (a + b) I_z(a + 1, b)`` (integration
by parts: ``u`` times the Beta(a, b) density is ``a / (a + b)`` times the
Beta(a + 1, b) density) gives it in closed form.  So ``miss <= grace <=
exclude`` for the same queue, with equality when nobody abandons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import special

from .erlang import (
    ErlangCResult,
    _check_positive,
    _check_servers,
    _log_inv_erlang_b,
    erlang_c_result,
)

__all__ = ["ErlangAResult", "erlang_a", "ServiceLevelBasis", "ABANDONED_BASES", "abandoned_basis"]

# Relative size (in log units) below which probability mass is dropped from
# the window; e**-40 ~ 4e-18, below double precision of the sums.
_LOG_TAIL = 40.0
# A window this large means patience is astronomically long near critical
# load; refuse rather than allocate gigabytes (Erlang C is the answer there).
_MAX_WINDOW = 5_000_000

#: ``miss``/``exclude``/``grace`` are the SLA's abandoned-call rules (see the
#: module docstring); ``offered`` and ``served`` are older names of ``miss``
#: and ``exclude``; ``all`` counts an abandonment before ``t`` as a hit (the
#: "time in queue" view, which no SLA rule uses).
ServiceLevelBasis = Literal["miss", "exclude", "grace", "served", "offered", "all"]
#: the SLA's abandoned-call rules, in the order of their service levels (lowest first)
ABANDONED_BASES = ("miss", "grace", "exclude")
_ALIASES = {"offered": "miss", "served": "exclude"}


def abandoned_basis(basis: str, grace: float | None = None) -> tuple[str, float | None]:
    """Normalise a service-level basis: ``(name, grace)`` with the old names mapped to the SLA rules.

    Parameters
    ----------
    basis : str
        ``miss``, ``exclude``, ``grace``, ``all`` or the older ``offered`` /
        ``served``.
    grace : float, optional
        Grace period in seconds; required by (and only allowed with) ``grace``.

    Returns
    -------
    tuple of (str, float or None)

    Raises
    ------
    ValueError
        For an unknown basis, a ``grace`` basis without a non-negative grace
        period, or a grace period with another basis.
    """
    name = _ALIASES.get(basis, basis)
    if name not in ("miss", "exclude", "grace", "all"):
        raise ValueError(f"basis must be 'miss', 'exclude' or 'grace' (or 'served', 'offered', 'all'), got {basis!r}")
    if name == "grace":
        if grace is None or not math.isfinite(float(grace)) or float(grace) < 0:
            raise ValueError(f"the grace basis needs a grace period >= 0 (seconds), got {grace!r}")
        return name, float(grace)
    if grace is not None:
        raise ValueError(f"a grace period applies to the 'grace' basis only, not {basis!r}")
    return name, None


def _queue_log_weight(j: float, x: float, log_y: float) -> float:
    # log(pi_{c+j} / pi_c) = j log y - log Gamma(x+j+1) + log Gamma(x+1),
    # with x = c mu / theta and y = lambda / theta.
    return j * log_y - math.lgamma(x + j + 1.0) + math.lgamma(x + 1.0)


def _first_index(pred, start: int, step_sign: int, limit: int) -> int:
    """First index from ``start`` in direction ``step_sign`` where monotone ``pred`` holds."""
    if pred(start):
        return start
    step = 1
    prev = start
    while True:
        cand = start + step_sign * step
        if step_sign < 0 and cand < limit:
            cand = limit  # pred(limit) is true by construction
        if pred(cand):
            break
        prev = cand
        step *= 2
    lo, hi = prev, cand  # pred(lo) false, pred(hi) true
    while abs(hi - lo) > 1:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _queue_window(x: float, y: float) -> tuple[int, int]:
    """Queue-length window ``[j_lo, j_hi]`` holding all but ~e**-40 of the mass."""
    log_y = math.log(y)
    # Weights are log-concave; they rise while x + j <= y.
    j_mode = max(0, math.floor(y - x))
    peak = _queue_log_weight(j_mode, x, log_y)

    def upper_ok(j: int) -> bool:
        # Tail beyond j is below w_j * r / (1 - r) with r = y / (x + j + 1) < 1.
        r = y / (x + j + 1.0)
        bound = _queue_log_weight(j, x, log_y) + math.log(r) - math.log1p(-r)
        return bound < peak - _LOG_TAIL

    def lower_ok(j: int) -> bool:
        if j <= 0:
            return True
        q = (x + j) / y  # ratio w_{j-1} / w_j, < 1 below the mode
        if q >= 1.0:
            return False
        bound = _queue_log_weight(j, x, log_y) + math.log(q) - math.log1p(-q)
        return bound < peak - _LOG_TAIL

    j_hi = _first_index(upper_ok, j_mode, +1, 0)
    j_lo = _first_index(lower_ok, j_mode, -1, 0)
    if j_hi - j_lo + 1 > _MAX_WINDOW:
        raise ValueError(
            "Erlang A chain too long to sum: mean patience is extremely long "
            f"relative to the service time near critical load (x={x:.3g}, y={y:.3g}); "
            "use Erlang C (patience=None) instead"
        )
    return j_lo, j_hi


@dataclass(frozen=True)
class ErlangAResult:
    """Steady-state figures of an M/M/c+M (Erlang A) queue.

    Customers arrive at rate ``arrival_rate``, need ``Exp(1/mean_service)``
    service and abandon the queue after an ``Exp(1/mean_patience)`` patience
    if not yet served.  ``mean_patience = inf`` gives the Erlang C model.

    Attributes
    ----------
    servers, arrival_rate, mean_service, mean_patience : int, float, float, float
        The inputs.
    p_wait : float
        ``P(V > 0)``: probability an arrival finds all agents busy.
    p_abandon : float
        Probability an arrival abandons before service.
    mean_wait : float
        Mean time in queue over all arrivals (abandoners count with their
        time until abandoning); equals ``p_abandon * mean_patience``.
    mean_wait_served : float
        Mean time in queue of served customers (ASA).
    mean_wait_abandoned : float
        Mean time in queue of abandoning customers (``nan`` if none abandon).
    occupancy : float
        Agent utilisation ``lambda (1 - P_ab) E[S] / c``.
    """

    servers: int
    arrival_rate: float
    mean_service: float
    mean_patience: float
    p_wait: float
    p_abandon: float
    mean_wait: float
    mean_wait_served: float
    mean_wait_abandoned: float
    occupancy: float
    # Probabilities of the queue lengths j_lo..j_hi met on arrival (PASTA),
    # kept for the service-level method.
    _j: np.ndarray = field(repr=False, compare=False, default_factory=lambda: np.zeros(0))
    _pj: np.ndarray = field(repr=False, compare=False, default_factory=lambda: np.zeros(0))
    _erlang_c: ErlangCResult | None = field(repr=False, compare=False, default=None)

    def service_level(self, threshold: float, basis: ServiceLevelBasis = "miss",
                      grace: float | None = None) -> float:
        """Fraction of customers meeting an answer-time threshold.

        Parameters
        ----------
        threshold : float
            Answer-time threshold ``t`` (>= 0).
        basis : {"miss", "exclude", "grace", "served", "offered", "all"}
            How abandoned calls count (the SLA's ``abandoned`` rule):

            * ``"miss"`` (alias ``"offered"``): ``P(served and W <= t)``,
              answered within ``t`` over all arrivals; every abandonment is a
              miss.
            * ``"exclude"`` (alias ``"served"``): ``P(W <= t | served)``, the
              answered calls answered within ``t`` (the usual ACD figure;
              abandonments left out of numerator and denominator).
            * ``"grace"``: answered within ``t`` over the arrivals that did
              not hang up within ``grace``; later abandonments are misses.
            * ``"all"``: ``P(W <= t)`` for the actual time every arrival
              spends queueing; an abandonment before ``t`` counts as a hit.

            The default is ``"miss"``, the default rule of an answer-time
            target (and the conservative one).
        grace : float, optional
            Grace period (same unit as ``threshold``) for ``basis="grace"``.

        Returns
        -------
        float
        """
        threshold = _check_positive("threshold", threshold, allow_zero=True)
        name, grace = abandoned_basis(basis, grace)
        if self._erlang_c is not None:  # infinite patience: nobody abandons
            return self._erlang_c.service_level(threshold)
        if self.p_wait == 0.0:
            return 1.0
        theta = 1.0 / self.mean_patience
        x = self.servers * self.mean_patience / self.mean_service  # c mu / theta
        u = math.exp(-theta * threshold)
        j, pj = self._j, self._pj
        if name == "all":
            # P(W > t) = P(V > t) P(T > t); V | j has tail I_u(x, j + 1).
            p_v_gt = float(np.dot(pj, special.betainc(x, j + 1.0, u)))
            return 1.0 - p_v_gt * u
        # Served within t given j: x/(x+j+1) * (1 - I_u(x + 1, j + 1)).
        p_served_j = x / (x + j + 1.0)
        served_late = float(np.dot(pj, p_served_j * special.betainc(x + 1.0, j + 1.0, u)))
        served_total = 1.0 - self.p_abandon
        served_within = served_total - served_late
        if name == "miss":
            return served_within
        if name == "exclude":
            return served_within / served_total
        counted = 1.0 - self.p_abandon_within(grace)  # type: ignore[arg-type]
        return served_within / counted if counted > 0 else 1.0

    def p_abandon_within(self, grace: float) -> float:
        """Probability that an arrival hangs up within ``grace`` of arriving (unanswered).

        Parameters
        ----------
        grace : float
            Time since arrival (>= 0, same unit as the mean service time).

        Returns
        -------
        float
            ``P(T <= grace and T < V)`` for patience ``T`` and offered wait
            ``V``; 0 at ``grace = 0``, ``p_abandon`` as ``grace`` grows.
        """
        grace = _check_positive("grace", grace, allow_zero=True)
        if self._erlang_c is not None or self.p_wait == 0.0 or grace == 0.0:
            return 0.0
        if math.isinf(grace):
            return self.p_abandon
        theta = 1.0 / self.mean_patience
        x = self.servers * self.mean_patience / self.mean_service
        w = math.exp(-theta * grace)
        j, pj = self._j, self._pj
        b = j + 1.0
        # int_w^1 I_u(x, b) du = b/(x+b) - [w I_w(x, b) - x/(x+b) I_w(x+1, b)]  (module docstring)
        per_j = b / (x + b) - w * special.betainc(x, b, w) + x / (x + b) * special.betainc(x + 1.0, b, w)
        return float(min(self.p_abandon, max(0.0, np.dot(pj, per_j))))


def erlang_a(
    servers: int, arrival_rate: float, mean_service: float, mean_patience: float
) -> ErlangAResult:
    """Exact steady state of the Erlang A (M/M/c+M) queue.

    Parameters
    ----------
    servers : int
        Number of agents ``c`` (>= 1).
    arrival_rate : float
        Poisson arrival rate ``lambda`` (>= 0).
    mean_service : float
        Mean exponential handling time ``1/mu`` (> 0).
    mean_patience : float
        Mean exponential patience ``1/theta`` (> 0).  ``math.inf`` means no
        abandonment and gives Erlang C (then the load must be below ``c``).

    Returns
    -------
    ErlangAResult

    Raises
    ------
    ValueError
        For invalid inputs, for an unstable system with infinite patience, or
        when the chain would need more than five million queue states (patience
        astronomically longer than service near critical load).

    Notes
    -----
    Exact up to floating point: the birth-death chain is summed over the
    window of queue lengths with relative mass above ``e**-40``, and the
    per-state waiting-time laws are incomplete beta functions (see module
    docstring).  Any load is allowed when patience is finite, because
    abandonment keeps the chain stable.
    """
    servers = _check_servers(servers, 1)
    arrival_rate = _check_positive("arrival_rate", arrival_rate, allow_zero=True)
    mean_service = _check_positive("mean_service", mean_service)
    mean_patience = float(mean_patience)
    if math.isnan(mean_patience) or mean_patience <= 0:
        raise ValueError(f"mean_patience must be > 0 (or inf), got {mean_patience!r}")

    if math.isinf(mean_patience):
        ec = erlang_c_result(servers, arrival_rate, mean_service)
        return ErlangAResult(
            servers, arrival_rate, mean_service, mean_patience,
            p_wait=ec.p_wait, p_abandon=0.0, mean_wait=ec.mean_wait,
            mean_wait_served=ec.mean_wait, mean_wait_abandoned=math.nan,
            occupancy=ec.occupancy, _erlang_c=ec,
        )
    if arrival_rate == 0.0:
        return ErlangAResult(
            servers, arrival_rate, mean_service, mean_patience,
            p_wait=0.0, p_abandon=0.0, mean_wait=0.0, mean_wait_served=0.0,
            mean_wait_abandoned=math.nan, occupancy=0.0,
        )

    theta = 1.0 / mean_patience
    mu = 1.0 / mean_service
    x = servers * mu / theta  # c mu / theta
    y = arrival_rate / theta  # lambda / theta
    load = arrival_rate * mean_service

    j_lo, j_hi = _queue_window(x, y)
    j = np.arange(j_lo, j_hi + 1, dtype=float)
    log_w = j * math.log(y) - special.gammaln(x + j + 1.0) + math.lgamma(x + 1.0)
    shift = float(log_w.max())
    w = np.exp(log_w - shift)
    log_queue = shift + math.log(float(w.sum()))  # log sum_j pi_{c+j} / pi_c
    # States n < c relative to pi_c: 1/B(c, a) - 1, from the log recursion.
    log_inv_b = _log_inv_erlang_b(servers, load)
    log_low = log_inv_b + math.log1p(-math.exp(-log_inv_b)) if log_inv_b > 0 else -math.inf
    # P(wait) = queue mass / total mass, formed as a logistic to avoid overflow.
    p_wait = float(special.expit(log_queue - log_low))
    pj = w / w.sum() * p_wait  # unconditional P(arrival meets j waiting)

    p_served_j = x / (x + j + 1.0)  # telescoping product of competing rates
    p_abandon = float(np.dot(pj, 1.0 - p_served_j))
    # Compensator identity: abandonment rate theta E[Q] = lambda P_ab, and
    # Little's law E[Q] = lambda E[W], so E[W] = P_ab / theta.
    mean_w = p_abandon / theta
    # Served wait given j is a sum of Exp(c mu + (i+1) theta), i = 0..j.
    mean_served_j = (special.digamma(x + j + 2.0) - special.digamma(x + 1.0)) / theta
    served_wait_mass = float(np.dot(pj, p_served_j * mean_served_j))
    p_served = 1.0 - p_abandon
    mean_w_served = served_wait_mass / p_served if p_served > 0 else math.nan
    mean_w_ab = (mean_w - served_wait_mass) / p_abandon if p_abandon > 0 else math.nan
    return ErlangAResult(
        servers, arrival_rate, mean_service, mean_patience,
        p_wait=p_wait, p_abandon=p_abandon, mean_wait=mean_w,
        mean_wait_served=mean_w_served, mean_wait_abandoned=mean_w_ab,
        occupancy=load * p_served / servers, _j=j, _pj=pj,
    )
