"""The desk's demand as the Erlang formulas see it: arrivals, mean handling time and patience per hour of the week.

A stream's mean handling time is the first matching handling rule for each
combination of service, customer and priority it can produce, weighted by
its probability; the callers' patience is the phone streams' mean, weighted
by volume.  Times are taken as exponential with these means (the limits are
listed in ``simsla.decide.erlang``).
"""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np

from simsla.engine.arrivals import hour_of_week_weights
from simsla.model import Scenario

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
