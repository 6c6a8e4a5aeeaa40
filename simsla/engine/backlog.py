"""The backlog's tickets: open work at engine time 0, drawn as extra arrival rows.

``rows(scenario, seed, replication)`` turns ``scenario.backlog``
(``simsla.model.backlog``) into the same columns as the fresh arrivals
(``simsla.engine.arrivals.generate``), plus ``party`` (where each ticket is
at the start) and ``contact`` (``BACKLOG``).  Its arrival ``time`` is minus
its age — its SLA clock started before the run — and its patience is
infinite (it is no caller on hold).  Everything random (ages of a counts
entry, attributes left out) comes from the ``BACKLOG`` stream, so the fresh
arrivals' streams are untouched.

The rows come first in ticket order, oldest first, and are entered in the
ledger at their party at time 0 (``Replication._arrivals``).  Their
remaining work is a fresh work time at that party, drawn like any visit's:
exact for exponential work times (memoryless: the work left on a ticket
already started is again exponential with the same mean), and otherwise the
conservative assumption that no work was done yet.  The desk's first-visit
rules (first-contact resolution, ``resolves`` handling rules) apply to a
backlog ticket that is at the desk, as to every ticket on its first visit
there; one that starts elsewhere never has a first desk visit.
"""

from __future__ import annotations

import numpy as np

from simsla.engine import streams
from simsla.engine.contacts import CONTACTS, FRESH  # noqa: F401  (FRESH: part of this module's interface)
from simsla.engine.sampling import sampler
from simsla.model import Scenario
from simsla.model.backlog import BacklogEntry, BacklogTicket, ticket_age

#: the ``contact`` code of a backlog's ticket (``contacts.CONTACTS``: fresh, redial, callback, backlog)
BACKLOG = CONTACTS.index("backlog")


def rows(scenario: Scenario, seed: int, replication: int) -> dict[str, np.ndarray] | None:
    """The backlog's tickets as arrival columns (oldest first), or None without a backlog."""
    entries = [e for e in scenario.backlog if e.size]
    if not entries:
        return None
    rng = streams.stream(seed, replication, streams.BACKLOG)
    parts = [_entry(scenario, e, rng) for e in entries]
    columns = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    order = np.argsort(columns["time"], kind="stable")
    return {name: col[order] for name, col in columns.items()}


def _entry(scenario: Scenario, e: BacklogEntry, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One entry's tickets: ages, then each attribute (given, or drawn like demand)."""
    parties = scenario.parties
    if e.file is not None or e.tickets:
        items: list[BacklogEntry | BacklogTicket] = list(e.tickets)
        age = np.array([ticket_age(t, scenario.origin) for t in e.tickets], dtype=float)
    else:
        items = [e] * int(e.count or 0)
        age = np.minimum(sampler(e.age)(rng, len(items)), float(e.max_age))  # type: ignore[arg-type]
    n = len(items)
    given = {a: [getattr(t, a) for t in items] for a in ("service", "customer", "type", "channel", "priority",
                                                         "impact", "urgency")}
    codes = _attributes(scenario, given, rng)
    return {
        "time": -age,
        "stream": np.full(n, len(scenario.demand) + 2, dtype=np.int16),
        **codes,
        "patience": np.full(n, np.inf),
        "contact": np.full(n, BACKLOG, dtype=np.int8),
        "party": np.array([parties.index(t.party) for t in items], dtype=np.int16),
    }


def _attributes(scenario: Scenario, given: dict[str, list], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Attribute codes: the given ones, the rest drawn from a demand stream chosen by its share of the volume.

    Vectorised over the tickets that give the same attributes (a counts
    entry is one such group; a file has a few hundred at most).
    """
    pm = scenario.priority_matrix
    n = len(given["service"])
    names = ("service", "customer", "type", "channel", "priority", "impact", "urgency")
    levels = {a: scenario.levels(a) for a in ("service", "customer", "type", "channel")}
    customers, services, demand = levels["customer"], scenario.services, scenario.demand
    volume = np.array([d.volume for d in demand], dtype=float)
    u_stream, u_service, u_customer, u_cell = rng.uniform(size=(4, n))
    out = {a: np.empty(n, dtype=np.int64) for a in ("service", "customer", "type", "channel", "impact", "urgency")}
    groups: dict[tuple, list[int]] = {}
    for i, key in enumerate(zip(*(given[a] for a in names))):
        groups.setdefault(key, []).append(i)
    for (service, customer, kind, channel, priority, impact, urgency), members in groups.items():
        idx = np.asarray(members)
        # which demand stream each ticket resembles (restricted to its channel and type where those are given)
        w = volume * np.array([channel in (None, d.channel) and kind in (None, d.type) for d in demand])
        w = w if w.sum() > 0 else (volume if volume.sum() > 0 else np.ones(len(demand)))
        stream = _picks(w, u_stream[idx])
        for k in np.unique(stream):
            d, sub = demand[k], idx[stream == k]
            out["type"][sub] = levels["type"].index(kind or d.type)
            out["channel"][sub] = levels["channel"].index(channel or d.channel)
            if service is not None:
                out["service"][sub] = levels["service"].index(service)
            else:
                uses = np.array([customer is None or s.customers is None or customer in s.customers for s in services])
                ws = np.array([1.0 if d.services is None else d.services.get(s.name, 0.0) for s in services]) * uses
                out["service"][sub] = _picks(ws if ws.sum() > 0 else uses.astype(float), u_service[sub])
            if customer is not None:
                out["customer"][sub] = customers.index(customer)
            else:  # among the customers of each ticket's service, by the stream's weights
                for si in np.unique(out["service"][sub]):
                    these = sub[out["service"][sub] == si]
                    allowed = np.array([services[si].customers is None or c in services[si].customers for c in customers])
                    wc = np.array([1.0 if d.customers is None else d.customers.get(c, 0.0) for c in customers]) * allowed
                    out["customer"][these] = _picks(wc if wc.sum() > 0 else allowed.astype(float), u_customer[these])
            if impact is not None:
                cell = np.full(len(sub), pm.impacts.index(impact) * len(pm.urgencies) + pm.urgencies.index(urgency))
            elif priority is not None:  # one of the matrix cells of this priority, uniformly
                cells = np.array([ii * len(pm.urgencies) + uu for ii, im in enumerate(pm.impacts)
                                  for uu, ur in enumerate(pm.urgencies) if pm.priority(im, ur) == priority])
                cell = cells[np.minimum((u_cell[sub] * len(cells)).astype(np.int64), len(cells) - 1)]
            else:  # the stream's impact x urgency mix
                cell = _picks(d.cells(pm).ravel(), u_cell[sub])
            out["impact"][sub], out["urgency"][sub] = np.divmod(cell, len(pm.urgencies))
    prio_of = np.array([[pm.priorities.index(pm.priority(i, u)) for u in pm.urgencies] for i in pm.impacts])
    return {
        "service": out["service"].astype(np.int32),
        "customer": out["customer"].astype(np.int32),
        "type": out["type"].astype(np.int8),
        "channel": out["channel"].astype(np.int8),
        "impact": out["impact"].astype(np.int8),
        "urgency": out["urgency"].astype(np.int8),
        "priority": prio_of[out["impact"], out["urgency"]].astype(np.int8),
    }


def _picks(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The indices uniforms ``u`` pick from unnormalised ``weights``."""
    cdf = np.cumsum(weights / weights.sum())
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(weights) - 1)
