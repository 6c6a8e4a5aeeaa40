"""Exact mean waits for priority queues (Cobham's formulas).

Classes are indexed 0..K-1 with class 0 the *highest* priority.  Within a
class service is FCFS.  Only exact results are provided:

* non-preemptive M/M/c with one exponential service rate shared by all
  classes (Cobham 1954; the M/M/c residual-work argument only holds when every
  class has the same service rate);
* non-preemptive M/G/1 with per-class service moments;
* preemptive-resume M/G/1 (hence M/M/1) with per-class service moments.

Preemptive M/M/c with several classes has no closed form and is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .erlang import erlang_c

__all__ = [
    "PriorityResult",
    "priority_mmc_nonpreemptive",
    "priority_mg1_nonpreemptive",
    "priority_mg1_preemptive_resume",
]


@dataclass(frozen=True)
class PriorityResult:
    """Per-class means of a priority queue (class 0 = highest priority).

    Attributes
    ----------
    mean_wait : numpy.ndarray
        Mean time not in service, per class.  For preemptive-resume this
        includes time spent interrupted (``mean_sojourn - mean_service``).
    mean_sojourn : numpy.ndarray
        Mean time in system per class.
    load : numpy.ndarray
        Per-class offered load (per server for M/M/c).
    """

    mean_wait: np.ndarray
    mean_sojourn: np.ndarray
    load: np.ndarray

    def overall_mean_wait(self) -> float:
        """Arrival-rate-weighted mean wait over all classes.

        Returns
        -------
        float
        """
        # load / mean service is proportional to each class's arrival rate.
        rates = self.load / (self.mean_sojourn - self.mean_wait)
        return float(np.dot(rates, self.mean_wait) / rates.sum())


def _as_rates(arrival_rates: Sequence[float] | np.ndarray) -> np.ndarray:
    rates = np.asarray(arrival_rates, dtype=float)
    if rates.ndim != 1 or rates.size == 0:
        raise ValueError("arrival_rates must be a non-empty 1-d sequence")
    if not np.all(np.isfinite(rates)) or np.any(rates < 0):
        raise ValueError("arrival_rates must be finite and >= 0")
    return rates


def _per_class(values: float | Sequence[float] | np.ndarray, k: int, name: str) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(values, dtype=float), (k,)).copy()
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be finite and > 0 for every class")
    return arr


def _cumulative_loads(load: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``sigma_{k-1}`` and ``sigma_k`` (load of classes 0..k-1 and 0..k)."""
    sigma = np.cumsum(load)
    return np.concatenate(([0.0], sigma[:-1])), sigma


def priority_mmc_nonpreemptive(
    servers: int, arrival_rates: Sequence[float] | np.ndarray, mean_service: float
) -> PriorityResult:
    """Cobham's non-preemptive priority M/M/c mean waits.

    ``W_k = C(c, a) / (c mu) / ((1 - sigma_{k-1}) (1 - sigma_k))`` with
    ``sigma_k = sum_{i<=k} lambda_i / (c mu)`` and ``C`` the Erlang C
    probability at the total load ``a``.

    Parameters
    ----------
    servers : int
        Number of agents ``c``.
    arrival_rates : sequence of float
        Poisson arrival rate per class, highest priority first.
    mean_service : float
        Mean exponential service time, common to all classes.

    Returns
    -------
    PriorityResult

    Raises
    ------
    ValueError
        If the total load is at least ``servers``.
    """
    rates = _as_rates(arrival_rates)
    mean_service = float(_per_class(mean_service, 1, "mean_service")[0])
    total = float(rates.sum()) * mean_service
    p_wait = erlang_c(servers, total)  # also checks stability and servers
    rho = rates * mean_service / servers
    before, upto = _cumulative_loads(rho)
    # While all servers are busy they free up at rate c mu, so the residual
    # work seen by an arrival that must wait is one Exp(c mu) period.
    wait = p_wait * mean_service / servers / ((1.0 - before) * (1.0 - upto))
    return PriorityResult(mean_wait=wait, mean_sojourn=wait + mean_service, load=rho)


def _mg1_inputs(
    arrival_rates: Sequence[float] | np.ndarray,
    mean_services: float | Sequence[float] | np.ndarray,
    second_moments: float | Sequence[float] | np.ndarray | None,
    cvs: float | Sequence[float] | np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rates = _as_rates(arrival_rates)
    k = rates.size
    means = _per_class(mean_services, k, "mean_services")
    if (second_moments is None) == (cvs is None):
        raise ValueError("give exactly one of second_moments and cvs")
    if cvs is not None:
        cv = np.broadcast_to(np.asarray(cvs, dtype=float), (k,))
        if not np.all(np.isfinite(cv)) or np.any(cv < 0):
            raise ValueError("cvs must be finite and >= 0")
        m2 = (1.0 + cv**2) * means**2
    else:
        m2 = _per_class(second_moments, k, "second_moments")  # type: ignore[arg-type]
        if np.any(m2 < means**2 * (1 - 1e-12)):
            raise ValueError("second_moments must be >= mean_services**2")
    load = rates * means
    if load.sum() >= 1.0:
        raise ValueError(f"unstable M/G/1: total utilisation {load.sum():.6g} >= 1")
    return rates, means, m2, load


def priority_mg1_nonpreemptive(
    arrival_rates: Sequence[float] | np.ndarray,
    mean_services: float | Sequence[float] | np.ndarray,
    second_moments: float | Sequence[float] | np.ndarray | None = None,
    cvs: float | Sequence[float] | np.ndarray | None = None,
) -> PriorityResult:
    """Cobham's non-preemptive priority M/G/1 mean waits.

    ``W_k = R / ((1 - sigma_{k-1}) (1 - sigma_k))`` with the mean residual
    work ``R = sum_i lambda_i E[S_i^2] / 2`` and ``sigma_k = sum_{i<=k} rho_i``.

    Parameters
    ----------
    arrival_rates : sequence of float
        Poisson arrival rate per class, highest priority first.
    mean_services : float or sequence of float
        Mean service time per class (a scalar applies to all classes).
    second_moments : float or sequence of float, optional
        ``E[S_k^2]`` per class.
    cvs : float or sequence of float, optional
        Service-time coefficient of variation per class; give exactly one of
        ``second_moments`` and ``cvs``.

    Returns
    -------
    PriorityResult

    Raises
    ------
    ValueError
        If the total utilisation is at least 1.
    """
    rates, means, m2, load = _mg1_inputs(arrival_rates, mean_services, second_moments, cvs)
    residual = float(np.dot(rates, m2)) / 2.0
    before, upto = _cumulative_loads(load)
    wait = residual / ((1.0 - before) * (1.0 - upto))
    return PriorityResult(mean_wait=wait, mean_sojourn=wait + means, load=load)


def priority_mg1_preemptive_resume(
    arrival_rates: Sequence[float] | np.ndarray,
    mean_services: float | Sequence[float] | np.ndarray,
    second_moments: float | Sequence[float] | np.ndarray | None = None,
    cvs: float | Sequence[float] | np.ndarray | None = None,
) -> PriorityResult:
    """Preemptive-resume priority M/G/1 mean sojourn times (exact).

    ``T_k = E[S_k] / (1 - sigma_{k-1}) + R_k / ((1 - sigma_{k-1})(1 - sigma_k))``
    with ``R_k = sum_{i<=k} lambda_i E[S_i^2] / 2``: lower classes are
    invisible to class ``k``.  With exponential service this is the exact
    M/M/1 preemptive-resume result.

    Parameters
    ----------
    arrival_rates : sequence of float
        Poisson arrival rate per class, highest priority first.
    mean_services : float or sequence of float
        Mean service time per class.
    second_moments : float or sequence of float, optional
        ``E[S_k^2]`` per class.
    cvs : float or sequence of float, optional
        Coefficient of variation per class (1 = exponential); give exactly one
        of ``second_moments`` and ``cvs``.

    Returns
    -------
    PriorityResult
        ``mean_wait`` is ``mean_sojourn - mean_service`` (queueing plus
        interruptions).

    Raises
    ------
    ValueError
        If the total utilisation is at least 1.
    """
    rates, means, m2, load = _mg1_inputs(arrival_rates, mean_services, second_moments, cvs)
    residual = np.cumsum(rates * m2) / 2.0
    before, upto = _cumulative_loads(load)
    sojourn = means / (1.0 - before) + residual / ((1.0 - before) * (1.0 - upto))
    return PriorityResult(mean_wait=sojourn - means, mean_sojourn=sojourn, load=load)
