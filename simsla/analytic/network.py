"""Open Jackson networks of M/M/c nodes.

Each node ``i`` has ``servers[i]`` agents with exponential service of mean
``mean_service[i]``; jobs arrive from outside at Poisson rate
``external_rates[i]`` and after service at ``i`` go to node ``j`` with
probability ``routing[i, j]`` or leave with ``1 - sum_j routing[i, j]``.
Jackson's theorem makes the stationary distribution a product of M/M/c
marginals at the throughputs solved from the traffic equations, so the
per-node means below are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .erlang import erlang_c_result

__all__ = ["JacksonResult", "jackson_network", "tandem"]

ArrayLike1 = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class JacksonResult:
    """Per-node and network-wide means of an open Jackson network.

    Attributes
    ----------
    throughput : numpy.ndarray
        Total arrival rate ``lambda_i`` at each node (traffic equations).
    visits : numpy.ndarray
        Mean number of visits to each node per external arrival.
    utilisation : numpy.ndarray
        ``lambda_i E[S_i] / c_i`` per node.
    mean_wait : numpy.ndarray
        Mean wait in queue per visit, per node.
    mean_sojourn : numpy.ndarray
        Mean time at the node per visit (wait plus service).
    mean_number : numpy.ndarray
        Mean number of jobs at each node (Little: ``lambda_i * sojourn_i``).
    mean_time_in_system : float
        Mean total time from external arrival to departure, averaged over
        all external arrivals (Little: ``sum(mean_number) / sum(external)``).
    """

    throughput: np.ndarray
    visits: np.ndarray
    utilisation: np.ndarray
    mean_wait: np.ndarray
    mean_sojourn: np.ndarray
    mean_number: np.ndarray
    mean_time_in_system: float


def jackson_network(
    external_rates: ArrayLike1,
    routing: Sequence[Sequence[float]] | np.ndarray,
    servers: Sequence[int] | np.ndarray,
    mean_service: ArrayLike1,
) -> JacksonResult:
    """Solve an open Jackson network of M/M/c nodes.

    Parameters
    ----------
    external_rates : sequence of float
        Poisson arrival rate from outside to each node (>= 0, not all zero).
    routing : (n, n) array_like
        ``routing[i, j]`` = probability a job finishing at ``i`` goes to
        ``j``; rows may sum to less than 1 (the rest leaves).
    servers : sequence of int
        Agents per node (>= 1).
    mean_service : sequence of float
        Mean exponential service time per node.

    Returns
    -------
    JacksonResult

    Raises
    ------
    ValueError
        For inconsistent shapes, invalid routing (negative entries, rows
        summing above 1, or a closed loop that jobs never leave), or an
        unstable node (load >= servers).
    """
    gamma = np.asarray(external_rates, dtype=float)
    if gamma.ndim != 1 or gamma.size == 0:
        raise ValueError("external_rates must be a non-empty 1-d sequence")
    n = gamma.size
    p = np.asarray(routing, dtype=float)
    if p.shape != (n, n):
        raise ValueError(f"routing must have shape ({n}, {n}), got {p.shape}")
    c = np.asarray(servers)
    s = np.asarray(mean_service, dtype=float)
    if c.shape != (n,) or s.shape != (n,):
        raise ValueError("servers and mean_service need one entry per node")
    if np.any(gamma < 0) or not np.all(np.isfinite(gamma)) or gamma.sum() <= 0:
        raise ValueError("external_rates must be finite, >= 0 and not all zero")
    if np.any(p < 0) or np.any(p.sum(axis=1) > 1.0 + 1e-12):
        raise ValueError("routing entries must be >= 0 with row sums <= 1")
    # Every job must eventually leave, i.e. the substochastic matrix must be
    # transient (spectral radius < 1); otherwise I - P^T is singular or the
    # solution is meaningless.
    if np.max(np.abs(np.linalg.eigvals(p))) >= 1.0 - 1e-12:
        raise ValueError("routing traps jobs in a closed loop (spectral radius >= 1)")

    # Traffic equations: lambda = gamma + P^T lambda.
    lam = np.linalg.solve(np.eye(n) - p.T, gamma)
    lam = np.clip(lam, 0.0, None)  # remove -1e-17 round-off

    wait = np.empty(n)
    util = np.empty(n)
    for i in range(n):
        if lam[i] == 0.0:
            wait[i], util[i] = 0.0, 0.0
            continue
        try:
            node = erlang_c_result(int(c[i]), float(lam[i]), float(s[i]))
        except ValueError as err:
            raise ValueError(f"node {i}: {err}") from None
        wait[i], util[i] = node.mean_wait, node.occupancy
    sojourn = wait + s
    number = lam * sojourn
    return JacksonResult(
        throughput=lam,
        visits=lam / gamma.sum(),
        utilisation=util,
        mean_wait=wait,
        mean_sojourn=sojourn,
        mean_number=number,
        mean_time_in_system=float(number.sum() / gamma.sum()),
    )


def tandem(
    arrival_rate: float, servers: Sequence[int] | np.ndarray, mean_service: ArrayLike1
) -> JacksonResult:
    """Series of M/M/c stations visited once each in order.

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate into the first station.
    servers : sequence of int
        Agents per station.
    mean_service : sequence of float
        Mean exponential service time per station.

    Returns
    -------
    JacksonResult
        ``mean_time_in_system`` is the sum of the stations' sojourn times.
    """
    n = len(servers)
    gamma = np.zeros(n)
    gamma[0] = arrival_rate
    routing = np.eye(n, k=1)  # station i always feeds i + 1; the last exits
    return jackson_network(gamma, routing, servers, mean_service)
