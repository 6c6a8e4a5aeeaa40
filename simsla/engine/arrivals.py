"""Arrivals: non-homogeneous Poisson streams from hour-of-week profiles.

The rate of a stream is piecewise constant over the local hours of the week.
All arrivals of a replication are generated up front, vectorised: given the
cumulative intensity Lambda(t), a Poisson process is N ~ Poisson(Lambda(T))
points whose Lambda-values are sorted uniforms on [0, Lambda(T)], mapped back
through Lambda^-1 (time rescaling).  Then the attributes of each ticket are
drawn, also as whole columns.
"""

from __future__ import annotations

import numpy as np

from simsla.engine import streams
from simsla.engine.sampling import sampler
from simsla.model import DemandStream, Profile, Scenario
from simsla.model.calendar import parse_days, parse_hours
from simsla.timebase import weekly_intervals

HOUR = 3600.0


def hour_of_week_weights(profile: Profile | None) -> np.ndarray:
    """168 relative weights, Monday 00:00 first, normalised to mean 1."""
    if profile is None:
        w = np.ones(168)
    elif profile.hour_of_week is not None:
        w = np.asarray(profile.hour_of_week, dtype=float)
    elif profile.intervals is not None:
        w = np.zeros(168)
        for block in profile.intervals:
            for day in parse_days(block.days):
                for start, end in parse_hours(block.hours):
                    # spread the weight over the hours the block covers (fractions at the edges)
                    for h in range(int(start // HOUR), int(np.ceil(end / HOUR))):
                        cover = min(end, (h + 1) * HOUR) - max(start, h * HOUR)
                        w[(day * 24 + h) % 168] += block.weight * cover / HOUR
    else:
        day_w = np.ones(7) if profile.days is None else np.zeros(7)
        for days, weight in (profile.days or {}).items():
            for day in parse_days(days):
                day_w[day] = weight
        hour_w = np.ones(24) if profile.hours is None else np.asarray(profile.hours, dtype=float)
        w = (day_w[:, None] * hour_w[None, :]).ravel()
    if w.sum() <= 0:
        raise ValueError("an arrival profile has no positive weight")
    return w / w.mean()


def rate_intervals(scenario: Scenario, stream: DemandStream) -> np.ndarray:
    """(start, end, rate per second) on the engine axis for one demand stream."""
    weights = hour_of_week_weights(scenario.profile(stream))
    weekly = {d: [(h * HOUR, (h + 1) * HOUR) for h in range(24)] for d in range(7)}
    values = {d: [stream.volume * weights[d * 24 + h] for h in range(24)] for d in range(7)}
    iv = weekly_intervals(weekly, scenario.origin, scenario.end, values=values)
    return iv[iv[:, 2] > 0]


def poisson_times(intervals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sorted arrival times of a Poisson process with piecewise-constant rate."""
    if len(intervals) == 0:
        return np.zeros(0)
    mass = (intervals[:, 1] - intervals[:, 0]) * intervals[:, 2]
    cum = np.concatenate([[0.0], np.cumsum(mass)])
    n = rng.poisson(cum[-1])
    u = np.sort(rng.uniform(0.0, cum[-1], n))
    k = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(intervals) - 1)
    return intervals[k, 0] + (u - cum[k]) / intervals[k, 2]


def _choice(rng: np.random.Generator, levels: tuple[str, ...], weights: dict[str, float] | None, n: int) -> np.ndarray:
    if weights is None:
        return rng.integers(0, len(levels), n)
    p = np.array([weights.get(level, 0.0) for level in levels], dtype=float)
    return rng.choice(len(levels), size=n, p=p / p.sum())


def generate(scenario: Scenario, seed: int, replication: int) -> dict[str, np.ndarray]:
    """All arrivals of one replication, sorted by time, as columns.

    Columns: ``time``, ``stream`` (index into ``scenario.demand``), ``service``,
    ``customer``, ``type``, ``channel``, ``impact``, ``urgency``, ``priority``
    (codes into ``scenario.levels``) and ``patience`` (seconds; ``inf`` where
    the contact never abandons).
    """
    pm = scenario.priority_matrix
    prio_of = np.array([[pm.priorities.index(pm.priority(i, u)) for u in pm.urgencies] for i in pm.impacts])
    services = scenario.levels("service")
    customers = scenario.levels("customer")
    parts: list[dict[str, np.ndarray]] = []
    for k, d in enumerate(scenario.demand):
        times = poisson_times(rate_intervals(scenario, d), streams.stream(seed, replication, streams.ARRIVALS, k))
        n = len(times)
        rng = streams.stream(seed, replication, streams.ATTRIBUTES, k)
        service = _choice(rng, services, d.services, n)
        customer = _customers(scenario, d, service, rng)
        impact = _choice(rng, pm.impacts, d.impact, n)
        urgency = _choice(rng, pm.urgencies, d.urgency, n)
        patience_spec = d.patience or (scenario.patience if d.channel == "phone" else None)
        if patience_spec is None:
            patience = np.full(n, np.inf)
        else:
            patience = sampler(patience_spec)(streams.stream(seed, replication, streams.PATIENCE, k), n)
        parts.append({
            "time": times,
            "stream": np.full(n, k, dtype=np.int16),
            "service": service.astype(np.int32),
            "customer": customer.astype(np.int32),
            "type": np.full(n, scenario.levels("type").index(d.type), dtype=np.int8),
            "channel": np.full(n, scenario.levels("channel").index(d.channel), dtype=np.int8),
            "impact": impact.astype(np.int8),
            "urgency": urgency.astype(np.int8),
            "priority": prio_of[impact, urgency].astype(np.int8),
            "patience": patience,
        })
    columns = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    order = np.argsort(columns["time"], kind="stable")
    return {name: col[order] for name, col in columns.items()}


def _customers(scenario: Scenario, d: DemandStream, service: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Customer codes; a service restricted to some customers only draws among them."""
    customers = scenario.levels("customer")
    weights = np.array([1.0 if d.customers is None else d.customers.get(c, 0.0) for c in customers])
    out = np.zeros(len(service), dtype=np.int64)
    u = rng.uniform(size=len(service))
    for s_idx, s in enumerate(scenario.services):
        mask = service == s_idx
        if not mask.any():
            continue
        allowed = weights.copy()
        if s.customers is not None:
            allowed *= np.isin(np.asarray(customers), np.asarray(s.customers))
        if allowed.sum() <= 0:
            raise ValueError(f"demand {d.name!r}: service {s.name!r} has no customer that this stream's weights allow")
        cdf = np.cumsum(allowed / allowed.sum())
        out[mask] = np.minimum(np.searchsorted(cdf, u[mask], side="right"), len(customers) - 1)
    return out
