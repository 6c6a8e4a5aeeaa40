"""Arrivals: non-homogeneous Poisson streams from hour-of-week profiles.

The rate of a stream is piecewise constant over the local hours of the week.
All arrivals of a replication are generated up front, vectorised: given the
cumulative intensity Lambda(t), a Poisson process is N ~ Poisson(Lambda(T))
points whose Lambda-values are sorted uniforms on [0, Lambda(T)], mapped back
through Lambda^-1 (time rescaling).  A stream with busy days has its rate
scaled by a random factor per local day first (``simsla.engine.daily``).  Then
the attributes of each ticket are drawn, also as whole columns.
"""

from __future__ import annotations

import numpy as np

from simsla.engine import backlog, daily, seasons, streams
from simsla.engine.sampling import sampler
from simsla.engine.shifts import staffed_intervals
from simsla.model import DemandStream, Profile, Scenario
from simsla.model.calendar import parse_days
from simsla.timebase import closed_dates, local_days, weekly_intervals

HOUR = 3600.0
#: most arrivals one replication may generate (memory: ~100 bytes a ticket in the engine)
MAX_ARRIVALS = 20_000_000
#: most outages of one service in one replication (each is a Python-level step and a major incident)
MAX_OUTAGES = 1_000_000


class ResourceLimit(ValueError):
    """A replication would need more arrivals or outages than simsla holds; nothing further is generated.

    The pre-simulation gate refuses such scenarios from their expected
    counts; this is the backstop for a draw far above its expectation.
    """


def hour_of_week_weights(profile: Profile | None) -> np.ndarray:
    """168 relative weights, Monday 00:00 first, normalised to mean 1.

    A profile finer than an hour is summed to hours (what the load check,
    the Erlang requirement per hour and the figures need).
    """
    w = week_weights(profile)
    return w.reshape(168, -1).mean(axis=1)


def week_weights(profile: Profile | None) -> np.ndarray:
    """168·k relative weights at the profile's own resolution (k slots per hour), normalised to mean 1."""
    if profile is None:
        w = np.ones(168)
    elif profile.hour_of_week is not None:
        w = np.asarray(profile.hour_of_week, dtype=float)
    elif profile.intervals is not None:
        w = np.zeros(168)
        for block in profile.intervals:
            for day, start, end in block.windows():
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
        w = (day_w[:, None] * hour_w[None, :]).ravel()  # 24·k slots a day when the hours are finer
    if w.sum() <= 0:
        raise ValueError("an arrival profile has no positive weight")
    return w / w.mean()


def rate_intervals(scenario: Scenario, stream: DemandStream) -> np.ndarray:
    """(start, end, rate per second) on the engine axis for one demand stream.

    One interval per slot of the profile: an hour, or 60/k minutes for a finer profile.
    """
    weights = week_weights(scenario.profile(stream))
    per_day = len(weights) // 7
    slot = 24 * HOUR / per_day
    weekly = {d: [(h * slot, (h + 1) * slot) for h in range(per_day)] for d in range(7)}
    values = {d: [stream.volume * weights[d * per_day + h] for h in range(per_day)] for d in range(7)}
    if stream.holidays is None:
        iv = weekly_intervals(weekly, scenario.origin, scenario.end, values=values)
    else:
        # holidays take Sunday's hours: ordinary days skip them, a Sunday-valued pass covers only them
        cal = scenario.calendar(stream.holidays)
        holidays = set(closed_dates(cal.holidays, cal.holiday_country, cal.holiday_subdivision,
                                    scenario.origin, scenario.end))
        others = set(local_days(scenario.origin, scenario.end)) - holidays
        sunday = {d: values[6] for d in range(7)}
        iv = np.vstack([weekly_intervals(weekly, scenario.origin, scenario.end, closed=holidays, values=values),
                        weekly_intervals(weekly, scenario.origin, scenario.end, closed=others, values=sunday)])
        iv = iv[np.argsort(iv[:, 0], kind="stable")]
    iv = seasons.apply_volume_calendar(scenario, stream, iv, weights)  # months, trend, special days (if any)
    return iv[iv[:, 2] > 0]


def poisson_times(intervals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sorted arrival times of a Poisson process with piecewise-constant rate."""
    if len(intervals) == 0:
        return np.zeros(0)
    mass = (intervals[:, 1] - intervals[:, 0]) * intervals[:, 2]
    cum = np.concatenate([[0.0], np.cumsum(mass)])
    if cum[-1] > MAX_ARRIVALS:
        raise ResourceLimit(f"about {cum[-1]:,.0f} arrivals in one replication: more than the {MAX_ARRIVALS:,} simsla "
                         "holds in memory; shorten the horizon or lower the volume")
    n = rng.poisson(cum[-1])
    u = np.sort(rng.uniform(0.0, cum[-1], n))
    k = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(intervals) - 1)
    return intervals[k, 0] + (u - cum[k]) / intervals[k, 2]


def _choice(rng: np.random.Generator, levels: tuple[str, ...], weights: dict[str, float] | None, n: int) -> np.ndarray:
    if weights is None:
        return rng.integers(0, len(levels), n)
    p = np.array([weights.get(level, 0.0) for level in levels], dtype=float)
    return rng.choice(len(levels), size=n, p=p / p.sum())


def outages(scenario: Scenario, seed: int, replication: int) -> dict[str, np.ndarray]:
    """Unplanned outages of each service with ``failures``: (service, start, end) columns.

    An alternating renewal process from the start: up ~ ``time_between``,
    down ~ ``time_to_restore``; independent of the desk, so drawn up front.
    """
    service, start, end = [], [], []
    for si, sv in enumerate(scenario.services):
        if sv.failures is None:
            continue
        rng = streams.stream(seed, replication, streams.OUTAGES, si)
        up, down = sampler(sv.failures.time_between), sampler(sv.failures.time_to_restore)
        t, first = 0.0, len(start)
        while t < scenario.end:
            ups, downs = up(rng, 64), down(rng, 64)
            if not (ups.sum() + downs.sum() > 0):
                # zero up-time and zero restore time: time would never move on
                raise ResourceLimit(f"service {sv.name!r}: outages with zero up-time and zero restore time never end; "
                                    "give failures.time_between a positive mean")
            if len(start) - first > MAX_OUTAGES:
                raise ResourceLimit(f"service {sv.name!r}: more than {MAX_OUTAGES:,} outages in one replication; "
                                    "lengthen failures.time_between")
            for u, d in zip(ups.tolist(), downs.tolist()):
                t += u
                if t >= scenario.end:
                    break
                service.append(si)
                start.append(t)
                end.append(t + d)
                t += d
    return {"service": np.asarray(service, dtype=np.int32), "start": np.asarray(start, dtype=float),
            "end": np.asarray(end, dtype=float)}


def generate(scenario: Scenario, seed: int, replication: int,
             outage_table: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """All arrivals of one replication, sorted by time, as columns.

    Columns: ``time``, ``stream`` (index into ``scenario.demand``; then
    ``len(demand)`` for outage surges and ``len(demand) + 1`` for major
    incidents), ``service``,
    ``customer``, ``type``, ``channel``, ``impact``, ``urgency``, ``priority``
    (codes into ``scenario.levels``) and ``patience`` (seconds; ``inf`` where
    the contact never abandons).  With a backlog (``scenario.backlog``) its
    tickets come first, oldest first, at ``time`` = minus their age
    (``simsla.engine.backlog``), and two more columns tell them apart:
    ``contact`` (codes into ``backlog.CONTACTS``) and ``party`` (where each
    ticket is at time 0: the desk for fresh arrivals).
    """
    pm = scenario.priority_matrix
    prio_of = np.array([[pm.priorities.index(pm.priority(i, u)) for u in pm.urgencies] for i in pm.impacts])
    services = scenario.levels("service")
    parts: list[dict[str, np.ndarray]] = []
    # busy days: one factor per local day and stream, from their own streams (a Poisson stream draws none)
    factors = daily.busy_day_factors(scenario, seed, replication)
    starts = daily.day_starts(scenario) if factors else None
    for k, d in enumerate(scenario.demand):
        intervals = rate_intervals(scenario, d)
        if k in factors:
            intervals = daily.scale_by_day(intervals, starts, factors[k])
        times = poisson_times(intervals, streams.stream(seed, replication, streams.ARRIVALS, k))
        n = len(times)
        rng = streams.stream(seed, replication, streams.ATTRIBUTES, k)
        service = _choice(rng, services, d.services, n)
        customer = _customers(scenario, d, service, rng)
        if d.priority is None:
            impact = _choice(rng, pm.impacts, d.impact, n)
            urgency = _choice(rng, pm.urgencies, d.urgency, n)
        else:  # a priority mix: draw the (impact, urgency) cell jointly
            cells = d.cells(pm).ravel()
            cell = rng.choice(len(cells), size=n, p=cells)
            impact, urgency = np.divmod(cell, len(pm.urgencies))
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
    if outage_table is not None and len(outage_table["start"]):
        parts.extend(_outage_contacts(scenario, seed, replication, outage_table, prio_of))
    times = parts[0]["time"]
    if len(parts) == 1 and bool(np.all(times[1:] >= times[:-1])):  # one stream, in order: no copy, no sort
        fresh = parts[0]
    else:
        columns = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
        order = np.argsort(columns["time"], kind="stable")
        fresh = {name: col[order] for name, col in columns.items()}
    open_work = backlog.rows(scenario, seed, replication)
    if open_work is None:
        return fresh
    # a backlog start: its tickets first (they are open at time 0), then the fresh arrivals, unchanged
    fresh["contact"] = np.full(len(fresh["time"]), backlog.FRESH, dtype=np.int8)
    fresh["party"] = np.full(len(fresh["time"]), scenario.parties.index(scenario.desk.name), dtype=np.int16)
    return {name: np.concatenate([open_work[name], col]) for name, col in fresh.items()}


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


def _outage_contacts(scenario: Scenario, seed: int, replication: int, table: dict[str, np.ndarray],
                     prio_of: np.ndarray) -> list[dict[str, np.ndarray]]:
    """Major incidents at each outage's start and users' calls while it lasts."""
    pm = scenario.priority_matrix
    k = len(scenario.demand)
    rng = streams.stream(seed, replication, streams.OUTAGES, len(scenario.services))
    parts = []
    phone = scenario.levels("channel").index("phone")
    incident = scenario.levels("type").index("incident")
    customer_names = scenario.levels("customer")
    desk = next(i for i, g in enumerate(scenario.groups) if g.role == "desk")
    open_desk = staffed_intervals(scenario, desk)
    for si, sv in enumerate(scenario.services):
        f = sv.failures
        mine = table["service"] == si
        if f is None or not mine.any():
            continue
        starts, ends = table["start"][mine], np.minimum(table["end"][mine], scenario.end)
        blocks = []
        if f.major_incident:
            blocks.append((starts, k + 1, 0, 0))
        if f.surge:
            # users call while the service is down AND the phone line is staffed
            a = np.maximum(starts[:, None], open_desk[None, :, 0]).ravel()
            b = np.minimum(ends[:, None], open_desk[None, :, 1]).ravel()
            iv = np.column_stack([a, b, np.full(len(a), f.surge)])[b > a]
            blocks.append((poisson_times(iv[np.argsort(iv[:, 0])], rng), k, len(pm.impacts) - 1, 0))
        for times, stream_id, impact, urgency in blocks:
            n = len(times)
            patience = (sampler(scenario.patience)(rng, n) if scenario.patience is not None else np.full(n, np.inf))
            if stream_id == k + 1:
                patience = np.full(n, np.inf)  # a major incident is raised by monitoring or the desk: it does not hang up
            parts.append({
                "time": np.asarray(times, dtype=float),
                "stream": np.full(n, stream_id, dtype=np.int16),
                "service": np.full(n, si, dtype=np.int32),
                "customer": _service_customers(sv.customers, customer_names, rng, n),
                "type": np.full(n, incident, dtype=np.int8),
                "channel": np.full(n, phone, dtype=np.int8),
                "impact": np.full(n, impact, dtype=np.int8),
                "urgency": np.full(n, urgency, dtype=np.int8),
                "priority": np.full(n, prio_of[impact, urgency], dtype=np.int8),
                "patience": patience,
            })
    return parts


def _service_customers(allowed: tuple[str, ...] | None, names: tuple[str, ...], rng: np.random.Generator,
                       n: int) -> np.ndarray:
    """Customers of contacts about one service: uniform among those that use it."""
    pool = np.arange(len(names)) if allowed is None else np.array([names.index(c) for c in allowed])
    return pool[rng.integers(0, len(pool), n)].astype(np.int32)
