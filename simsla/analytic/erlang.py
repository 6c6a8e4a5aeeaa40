"""Erlang B and Erlang C (M/M/c) formulas; Erlang A lives in :mod:`.abandonment`.

All rates and times are in one consistent unit chosen by the caller (simsla
uses seconds).  ``offered_load`` is in Erlangs: arrival rate times mean
service time.

Numerical approach
------------------
* Erlang B is evaluated with the classical recursion written for the
  *inverse* blocking probability in log space,
  ``log(1/B_k) = log(1 + (k/a) / B_{k-1})``.  It never forms ``a**c`` or
  ``c!``, cannot overflow, and does not underflow to zero for hundreds or
  thousands of servers at light load.
* Erlang C follows from Erlang B exactly: ``C = B / (1 - rho (1 - B))``.

``erlang_a`` and ``ErlangAResult`` are re-exported here so that all Erlang
formulas can be imported from one module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


__all__ = [
    "erlang_b",
    "erlang_c",
    "service_level",
    "mean_wait",
    "occupancy",
    "ErlangCResult",
    "erlang_c_result",
    "ErlangAResult",
    "erlang_a",
]


def _check_servers(servers: int, minimum: int) -> int:
    if isinstance(servers, bool) or int(servers) != servers:
        raise ValueError(f"servers must be an integer, got {servers!r}")
    servers = int(servers)
    if servers < minimum:
        raise ValueError(f"servers must be >= {minimum}, got {servers}")
    return servers


def _check_positive(name: str, value: float, allow_zero: bool = False) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value!r}")
    return value


def _log_inv_erlang_b(servers: int, offered_load: float) -> float:
    """Return ``log(1 / B(servers, offered_load))`` by the stable recursion."""
    if offered_load == 0.0:
        return 0.0 if servers == 0 else math.inf
    log_a = math.log(offered_load)
    acc = 0.0  # log(1/B_0) = log 1
    for k in range(1, servers + 1):
        # 1/B_k = 1 + (k/a) * (1/B_{k-1}), i.e. log(1/B_k) = logaddexp(0, z).
        acc = _log1p_exp(math.log(k) - log_a + acc)
    return acc


def _log1p_exp(z: float) -> float:
    """``log(1 + exp(z))`` without overflow (scalar, faster than numpy here)."""
    return z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B blocking probability of an M/M/c/c loss system.

    Parameters
    ----------
    servers : int
        Number of servers ``c`` (>= 0).
    offered_load : float
        Offered load ``a = lambda * E[S]`` in Erlangs (>= 0).

    Returns
    -------
    float
        Probability that an arrival finds all servers busy and is lost.

    Examples
    --------
    >>> round(erlang_b(10, 10.0), 4)
    0.2146
    """
    servers = _check_servers(servers, 0)
    offered_load = _check_positive("offered_load", offered_load, allow_zero=True)
    return math.exp(-_log_inv_erlang_b(servers, offered_load))


def _erlang_c_from_b(servers: int, offered_load: float, b: float) -> float:
    rho = offered_load / servers
    return b / (1.0 - rho * (1.0 - b))


def _check_stable(servers: int, offered_load: float) -> None:
    if offered_load >= servers:
        raise ValueError(
            f"unstable M/M/c system: offered load {offered_load:.6g} Erlang >= "
            f"{servers} servers; Erlang C needs load < servers "
            "(use erlang_a with finite patience for overloaded systems)"
        )


def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang C probability of waiting, ``P(W > 0)``, in an M/M/c queue.

    Parameters
    ----------
    servers : int
        Number of agents ``c`` (>= 1).
    offered_load : float
        Offered load ``a`` in Erlangs; must satisfy ``0 <= a < c``.

    Returns
    -------
    float
        Probability that an arriving customer has to queue.

    Raises
    ------
    ValueError
        If ``offered_load >= servers`` (the queue grows without bound).
    """
    servers = _check_servers(servers, 1)
    offered_load = _check_positive("offered_load", offered_load, allow_zero=True)
    _check_stable(servers, offered_load)
    if offered_load == 0.0:
        return 0.0
    return _erlang_c_from_b(servers, offered_load, erlang_b(servers, offered_load))


@dataclass(frozen=True)
class ErlangCResult:
    """Steady-state figures of an M/M/c (Erlang C) queue.

    Attributes
    ----------
    servers, arrival_rate, mean_service : int, float, float
        The inputs.
    offered_load : float
        ``arrival_rate * mean_service`` in Erlangs.
    p_wait : float
        ``P(W > 0)``, the Erlang C probability.
    mean_wait : float
        ``E[W]`` in queue (all customers, including those not waiting).
    occupancy : float
        Agent utilisation ``offered_load / servers``.
    """

    servers: int
    arrival_rate: float
    mean_service: float
    offered_load: float
    p_wait: float
    mean_wait: float
    occupancy: float

    @property
    def _drain_rate(self) -> float:
        # Conditional on waiting, W ~ Exp(c mu - lambda).
        return self.servers / self.mean_service - self.arrival_rate

    def service_level(self, threshold: float) -> float:
        """``P(W <= threshold)`` for an arriving customer."""
        threshold = _check_positive("threshold", threshold, allow_zero=True)
        return 1.0 - self.p_wait * math.exp(-self._drain_rate * threshold)

    def wait_quantile(self, q: float) -> float:
        """Smallest ``t`` with ``P(W <= t) >= q`` (0 when enough never wait)."""
        if not 0.0 <= q < 1.0:
            raise ValueError(f"quantile must be in [0, 1), got {q!r}")
        if 1.0 - q >= self.p_wait:
            return 0.0
        return math.log(self.p_wait / (1.0 - q)) / self._drain_rate


def erlang_c_result(servers: int, arrival_rate: float, mean_service: float) -> ErlangCResult:
    """All Erlang C figures of an M/M/c queue in one object.

    Parameters
    ----------
    servers : int
        Number of agents (>= 1).
    arrival_rate : float
        Poisson arrival rate ``lambda`` (per time unit, >= 0).
    mean_service : float
        Mean (exponential) service time ``1/mu`` (> 0).

    Returns
    -------
    ErlangCResult

    Raises
    ------
    ValueError
        If the system is unstable (``lambda * E[S] >= servers``).
    """
    servers = _check_servers(servers, 1)
    arrival_rate = _check_positive("arrival_rate", arrival_rate, allow_zero=True)
    mean_service = _check_positive("mean_service", mean_service)
    load = arrival_rate * mean_service
    p_wait = erlang_c(servers, load)
    drain = servers / mean_service - arrival_rate
    return ErlangCResult(
        servers=servers,
        arrival_rate=arrival_rate,
        mean_service=mean_service,
        offered_load=load,
        p_wait=p_wait,
        mean_wait=p_wait / drain,
        occupancy=load / servers,
    )


def service_level(servers: int, arrival_rate: float, mean_service: float, threshold: float) -> float:
    """M/M/c service level ``P(W <= threshold) = 1 - C exp(-(c mu - lambda) t)``.

    Parameters
    ----------
    servers : int
        Number of agents.
    arrival_rate : float
        Arrival rate ``lambda``.
    mean_service : float
        Mean handling time ``1/mu`` (same time unit as ``threshold``).
    threshold : float
        Answer-time threshold ``t`` (>= 0).

    Returns
    -------
    float
        Fraction of customers who wait at most ``threshold``.
    """
    return erlang_c_result(servers, arrival_rate, mean_service).service_level(threshold)


def mean_wait(servers: int, arrival_rate: float, mean_service: float) -> float:
    """M/M/c mean wait in queue ``E[W] = C / (c mu - lambda)`` (average speed of answer).

    Parameters
    ----------
    servers : int
        Number of agents.
    arrival_rate : float
        Arrival rate ``lambda``.
    mean_service : float
        Mean handling time ``1/mu``.

    Returns
    -------
    float
        Mean waiting time over all customers.
    """
    return erlang_c_result(servers, arrival_rate, mean_service).mean_wait


def occupancy(servers: int, arrival_rate: float, mean_service: float) -> float:
    """Agent occupancy (utilisation) ``lambda E[S] / c`` of a stable M/M/c queue.

    Parameters
    ----------
    servers : int
        Number of agents.
    arrival_rate : float
        Arrival rate ``lambda``.
    mean_service : float
        Mean handling time.

    Returns
    -------
    float
        Fraction of agent time spent serving; the system must be stable.
    """
    return erlang_c_result(servers, arrival_rate, mean_service).occupancy


# Re-export Erlang A here; imported last because abandonment.py builds on the
# helpers above (the partially initialised module already defines them).
from .abandonment import ErlangAResult, erlang_a  # noqa: E402
