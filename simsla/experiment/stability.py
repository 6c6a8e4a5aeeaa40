"""Will the queues settle?  The offered load of every party against its capacity, before simulating.

Traffic equations per ticket kind: tickets of each attribute combination (a
*key*) enter at the desk and move between parties with the routing
probabilities that apply to that key, so the expected visits per ticket are
``e_desk (I - P)^-1``.  Offered work (agent-seconds per second, i.e. Erlang)
is visits x arrival rate x mean work per visit; the capacity is the group's
average headcount over the run.  A group whose offered load reaches its
capacity cannot keep up on average: its queue grows without bound, and a
simulation of it says nothing but "more staff".  Phone callers who hang up
shed load, so the desk with impatient callers is only warned about.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsla.engine.shifts import staff_steps
from simsla.engine.tables import KeySpace
from simsla.model import Scenario
from simsla.model.chain import RESOLVED


def key_rates(scenario: Scenario, space: KeySpace) -> np.ndarray:
    """Expected arrivals per second of each key, averaged over the week."""
    pm = scenario.priority_matrix
    rates = np.zeros(space.shape)
    services = scenario.levels("service")
    customers = scenario.levels("customer")
    for d in scenario.demand:
        ps = _weights(services, d.services)
        joint = d.cells(pm)
        t = scenario.levels("type").index(d.type)
        ch = scenario.levels("channel").index(d.channel)
        for si, s in enumerate(scenario.services):
            pc = _weights(customers, d.customers)
            if s.customers is not None:
                pc = pc * np.isin(np.asarray(customers), np.asarray(s.customers))
            if pc.sum() <= 0:
                continue
            pc = pc / pc.sum()
            for ii, impact in enumerate(pm.impacts):
                for ui, urgency in enumerate(pm.urgencies):
                    p = pm.priorities.index(pm.priority(impact, urgency))
                    rates[si, :, t, ch, p] += d.volume * ps[si] * pc * joint[ii, ui]
    return rates.ravel()


def _weights(levels: tuple[str, ...], weights: dict[str, float] | None) -> np.ndarray:
    if weights is None:
        return np.full(len(levels), 1.0 / len(levels))
    w = np.array([weights.get(level, 0.0) for level in levels], dtype=float)
    return w / w.sum()


def offered_load(scenario: Scenario) -> pd.DataFrame:
    """Per party: visits per hour, mean work per visit, offered load, capacity and utilisation.

    Outage surges are not included (they are rare bursts, not a steady load).
    """
    space = KeySpace(scenario)
    parties = list(scenario.parties)
    n = len(parties)
    index = {p: i for i, p in enumerate(parties)}
    desk = next(i for i, g in enumerate(scenario.groups) if g.role == "desk")
    lam = key_rates(scenario, space)
    keys = np.flatnonzero(lam > 0)
    # per party: key -> rule, rule -> (destination vector)
    trans = np.zeros((len(keys), n, n))
    for pi, p in enumerate(parties):
        rules = [r for r in scenario.routing if r.source == p]
        rule_of = space.first_match([r.when for r in rules])[keys]
        for k, rule in enumerate(rule_of):
            if rule < 0:
                continue
            for dest, prob in rules[rule].to.items():
                if dest != RESOLVED:
                    trans[k, pi, index[dest]] += prob
    fcr = scenario.desk.resolution_probability
    fcr_p = np.array([r.probability for r in fcr.by] + [fcr.default])[
        space.first_match([r.when for r in fcr.by], default=len(fcr.by))][keys]
    trans[:, desk, :] *= (1 - fcr_p)[:, None]
    start = np.zeros(n)
    start[desk] = 1.0
    visits = np.stack([np.linalg.solve((np.eye(n) - trans[k]).T, start) for k in range(len(keys))])  # keys x parties
    rows = []
    for pi, p in enumerate(parties):
        rate = float((lam[keys] * visits[:, pi]).sum())
        if pi < len(scenario.groups):
            g = scenario.groups[pi]
            h = g.handling_times
            specs = [r.time for r in h.by] + [h.default]
            rule = space.first_match([r.when for r in h.by], default=len(h.by))[keys]
            work = np.array([specs[r].expected for r in rule])
            times, levels = staff_steps(scenario, pi)
            ends = np.append(times[1:], scenario.end)
            capacity = float(((ends - times) * levels).sum() / scenario.end)
            kind = "group"
        else:
            s = scenario.suppliers[pi - len(scenario.groups)]
            work = np.full(len(keys), s.response.expected + s.resolution.expected)
            capacity = float(s.capacity) if s.capacity else np.inf
            kind = "supplier"
        offered = float((lam[keys] * visits[:, pi] * work).sum())
        mean_work = offered / rate if rate > 0 else 0.0
        util = offered / capacity if capacity > 0 else (np.inf if offered > 0 else 0.0)
        impatient = pi == desk and (scenario.patience is not None or any(d.patience for d in scenario.demand))
        stable = util < 1 or (impatient and rate > 0)
        rows.append({"party": p, "kind": kind, "visits_per_hour": rate * 3600, "mean_work_seconds": mean_work,
                     "offered_erlangs": offered, "capacity": capacity, "utilization": util, "stable": bool(stable),
                     "note": ("callers hang up, so the queue is bounded by abandonment" if impatient and util >= 1 else "")})
    return pd.DataFrame(rows)


def overloaded(scenario: Scenario) -> list[str]:
    """Messages for the parties whose offered load reaches their capacity (empty: all can keep up)."""
    from simsla.engine.arrivals import MAX_ARRIVALS

    expected = sum(d.volume for d in scenario.demand) * scenario.end
    if expected > MAX_ARRIVALS:
        return [f"about {expected:,.0f} contacts per replication: more than the {MAX_ARRIVALS:,} simsla holds in "
                "memory; shorten the horizon or lower the volume"]
    table = offered_load(scenario)
    return [f"{r.party}: offered load {r.offered_erlangs:.2f} Erlang ({r.visits_per_hour:.1f} visits/h x "
            f"{r.mean_work_seconds / 60:.1f} min of work) against a capacity of {r.capacity:.2f} "
            f"(average headcount over the run): utilisation {r.utilization:.0%}"
            for r in table.itertuples() if not r.stable]
