"""Single-server formulas: M/G/1 (Pollaczek-Khinchine) and M/M/1 helpers.

Times and rates share one unit chosen by the caller.  All functions raise
``ValueError`` for an unstable queue (utilisation >= 1), because the steady
state they describe does not exist there.
"""

from __future__ import annotations

import math

__all__ = [
    "service_second_moment",
    "mg1_mean_wait",
    "mg1_mean_sojourn",
    "mm1_utilisation",
    "mm1_mean_wait",
    "mm1_mean_sojourn",
    "mm1_mean_number",
    "mm1_service_level",
]


def _rho(arrival_rate: float, mean_service: float) -> float:
    if not (math.isfinite(arrival_rate) and arrival_rate >= 0):
        raise ValueError(f"arrival_rate must be finite and >= 0, got {arrival_rate!r}")
    if not (math.isfinite(mean_service) and mean_service > 0):
        raise ValueError(f"mean_service must be finite and > 0, got {mean_service!r}")
    rho = arrival_rate * mean_service
    if rho >= 1.0:
        raise ValueError(f"unstable single-server queue: utilisation {rho:.6g} >= 1")
    return rho


def service_second_moment(mean_service: float, cv: float) -> float:
    """Second moment ``E[S^2] = (1 + cv^2) E[S]^2`` of a service time.

    Parameters
    ----------
    mean_service : float
        Mean service time ``E[S]`` (> 0).
    cv : float
        Coefficient of variation ``sd(S) / E[S]`` (>= 0); 1 for exponential,
        0 for deterministic.

    Returns
    -------
    float
    """
    if not (math.isfinite(cv) and cv >= 0):
        raise ValueError(f"cv must be finite and >= 0, got {cv!r}")
    if not (math.isfinite(mean_service) and mean_service > 0):
        raise ValueError(f"mean_service must be finite and > 0, got {mean_service!r}")
    return (1.0 + cv * cv) * mean_service * mean_service


def _second_moment(mean_service: float, cv: float | None, second_moment: float | None) -> float:
    if (cv is None) == (second_moment is None):
        raise ValueError("give exactly one of cv and second_moment")
    if second_moment is None:
        return service_second_moment(mean_service, float(cv))  # type: ignore[arg-type]
    # Jensen: E[S^2] >= E[S]^2; a smaller value is a data error.
    if not second_moment >= mean_service * mean_service * (1 - 1e-12):
        raise ValueError(
            f"second_moment {second_moment!r} is below mean_service**2 = {mean_service**2!r}"
        )
    return float(second_moment)


def mg1_mean_wait(
    arrival_rate: float,
    mean_service: float,
    cv: float | None = None,
    second_moment: float | None = None,
) -> float:
    """Pollaczek-Khinchine mean wait in queue of an M/G/1 FCFS queue.

    ``E[W] = lambda E[S^2] / (2 (1 - rho))``.

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate ``lambda``.
    mean_service : float
        Mean service time ``E[S]``.
    cv : float, optional
        Coefficient of variation of the service time.
    second_moment : float, optional
        ``E[S^2]``; give exactly one of ``cv`` and ``second_moment``.

    Returns
    -------
    float
        Mean waiting time before service.
    """
    rho = _rho(arrival_rate, mean_service)
    m2 = _second_moment(mean_service, cv, second_moment)
    return arrival_rate * m2 / (2.0 * (1.0 - rho))


def mg1_mean_sojourn(
    arrival_rate: float,
    mean_service: float,
    cv: float | None = None,
    second_moment: float | None = None,
) -> float:
    """M/G/1 mean time in system ``E[W] + E[S]`` (see :func:`mg1_mean_wait`).

    Parameters
    ----------
    arrival_rate, mean_service, cv, second_moment
        As for :func:`mg1_mean_wait`.

    Returns
    -------
    float
    """
    return mg1_mean_wait(arrival_rate, mean_service, cv, second_moment) + mean_service


def mm1_utilisation(arrival_rate: float, mean_service: float) -> float:
    """M/M/1 utilisation ``rho = lambda / mu`` (raises if ``rho >= 1``).

    Parameters
    ----------
    arrival_rate, mean_service : float
        Arrival rate and mean service time.

    Returns
    -------
    float
    """
    return _rho(arrival_rate, mean_service)


def mm1_mean_wait(arrival_rate: float, mean_service: float) -> float:
    """M/M/1 mean wait in queue ``rho / (mu - lambda)``.

    Parameters
    ----------
    arrival_rate, mean_service : float
        Arrival rate and mean service time.

    Returns
    -------
    float
    """
    rho = _rho(arrival_rate, mean_service)
    return rho * mean_service / (1.0 - rho)


def mm1_mean_sojourn(arrival_rate: float, mean_service: float) -> float:
    """M/M/1 mean time in system ``1 / (mu - lambda)``.

    Parameters
    ----------
    arrival_rate, mean_service : float
        Arrival rate and mean service time.

    Returns
    -------
    float
    """
    rho = _rho(arrival_rate, mean_service)
    return mean_service / (1.0 - rho)


def mm1_mean_number(arrival_rate: float, mean_service: float) -> float:
    """M/M/1 mean number in system ``rho / (1 - rho)``.

    Parameters
    ----------
    arrival_rate, mean_service : float
        Arrival rate and mean service time.

    Returns
    -------
    float
    """
    rho = _rho(arrival_rate, mean_service)
    return rho / (1.0 - rho)


def mm1_service_level(arrival_rate: float, mean_service: float, threshold: float) -> float:
    """M/M/1 ``P(W <= t) = 1 - rho exp(-(mu - lambda) t)``.

    Parameters
    ----------
    arrival_rate, mean_service : float
        Arrival rate and mean service time.
    threshold : float
        Waiting-time threshold ``t`` (>= 0).

    Returns
    -------
    float
    """
    rho = _rho(arrival_rate, mean_service)
    if not threshold >= 0:
        raise ValueError(f"threshold must be >= 0, got {threshold!r}")
    return 1.0 - rho * math.exp(-(1.0 - rho) / mean_service * threshold)
