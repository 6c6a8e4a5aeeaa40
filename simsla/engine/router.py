"""The router: where a ticket goes when a party is done with it.

From the scenario's rules only: the desk's first-contact resolution (the
desk's *first* visit resolves with the probability of the first matching
``resolution_probability`` rule), then the routing rules of the party (first
matching rule, destinations drawn by their shares; no rule: resolved), and
the hop limit that turns a routing loop into an error instead of a hang.

The uniforms come from the ``ROUTING`` streams: per ticket, drawn up front,
for the desk's first visit (one for the resolution, one for the
destination), and per party, buffered, for every later visit — so the
desk's decisions belong to the caller (common random numbers across
scenarios).

A handling time that depends on whether the visit resolves needs the
destination when the work *starts*; ``plan`` draws it then and ``next``
returns it when the work ends, so the draw happens once, in the same order.
"""

from __future__ import annotations

from array import array

import numpy as np

from simsla.engine import streams
from simsla.engine.sampling import Buffer
from simsla.engine.tables import KeySpace
from simsla.model import Scenario
from simsla.model.chain import RESOLVED as RESOLVED_NAME

#: a ticket passing through more parties than this is taken as a routing loop
MAX_HOPS = 1000
#: ``Router.first_dest`` of a ticket whose desk decision is worked out when it is needed
UNKNOWN = -2


def _uniform(rng: np.random.Generator, k: int) -> np.ndarray:
    return rng.uniform(size=k)


class Router:
    """Next destinations of the tickets of one replication.

    Parameters
    ----------
    scenario, space
        the scenario and its key space.
    key
        per ticket, its attribute key.
    seed, replication
        the random streams' root seed and the replication index.
    """

    def __init__(self, scenario: Scenario, space: KeySpace, key: array, seed: int, replication: int):
        n = len(key)
        parties = scenario.parties
        index = {p: i for i, p in enumerate(parties)}
        self.key = key
        self.desk = next(i for i, g in enumerate(scenario.groups) if g.role == "desk")
        # per party: key -> rule, and per rule the destinations (-1: resolved) and their cdf
        self.rule: list[list[int]] = []
        self.dest: list[list[list[int]]] = []
        self.cdf: list[list[list[float]]] = []
        for p in parties:
            rules = [r for r in scenario.routing if r.source == p]
            self.rule.append(space.first_match([r.when for r in rules]).tolist())
            self.dest.append([[-1 if d == RESOLVED_NAME else index[d] for d in r.to] for r in rules])
            self.cdf.append([np.cumsum(list(r.to.values())).tolist() for r in rules])
        self.u = [Buffer(_uniform, streams.stream(seed, replication, streams.ROUTING, 1 + i)) for i in range(len(parties))]
        rng = streams.stream(seed, replication, streams.ROUTING, 0)
        self.fcr_u = array("d", rng.uniform(size=n).tobytes())  # drawn first: resolution, then destination
        self.first_u = array("d", rng.uniform(size=n).tobytes())
        fcr = scenario.desk.resolution_probability
        table = np.array([r.probability for r in fcr.by] + [fcr.default])
        self.fcr = table[space.first_match([r.when for r in fcr.by], default=len(fcr.by))].tolist()
        self.hops = array("i", [0]) * n
        self.planned: dict[int, int] = {}
        #: per ticket, where the desk's first visit sends it (-1: resolved), from the draws above; a redial's
        #: is not known up front (``UNKNOWN``: ``next`` works it out)
        self.first_dest = array("h", self._first_destinations(np.asarray(key, dtype=np.int64)).tobytes())

    def _first_destinations(self, keys: np.ndarray) -> np.ndarray:
        """Per ticket, the desk's first-visit decision (vectorised; the same comparisons as ``next``)."""
        n, desk = len(keys), self.desk
        u_fcr, u = np.frombuffer(self.fcr_u)[:n], np.frombuffer(self.first_u)[:n]
        out = np.full(n, -1, dtype=np.int16)
        escalated = u_fcr >= np.asarray(self.fcr, dtype=np.float64)[keys]  # ``u < p``: resolved
        rule = np.asarray(self.rule[desk], dtype=np.int64)[keys]
        for r, (cdf, dests) in enumerate(zip(self.cdf[desk], self.dest[desk])):
            take = escalated & (rule == r)
            # the first share whose cumulative sum exceeds u, else the last destination
            k = np.minimum(np.searchsorted(np.asarray(cdf), u[take], side="right"), len(dests) - 1)
            out[take] = np.asarray(dests, dtype=np.int16)[k]
        return out

    def grow(self, rng: np.random.Generator) -> None:
        """A new contact (a redial): its desk decisions drawn from ``rng``, no hops yet."""
        self.fcr_u.append(float(rng.uniform()))
        self.first_u.append(float(rng.uniform()))
        self.hops.append(0)
        self.first_dest.append(UNKNOWN)

    def first_contact_resolved(self, keys: np.ndarray) -> np.ndarray:
        """Per ticket: does the desk's first visit resolve it (vectorised, the same draws as ``next``)?"""
        return np.frombuffer(self.fcr_u)[: len(keys)] < np.asarray(self.fcr)[keys]

    def next(self, tid: int, party: int) -> int:
        """Where a ticket goes as ``party`` is done with it: a party index, or -1 for resolved."""
        if self.planned:
            dest = self.planned.pop(tid, None)
            if dest is not None:
                return dest
        if party == self.desk and self.hops[tid] == 0:
            dest = self.first_dest[tid]
            if dest != UNKNOWN:
                return dest
        key = self.key[tid]
        if party == self.desk and self.hops[tid] == 0:
            if self.fcr_u[tid] < self.fcr[key]:
                return -1
            u = self.first_u[tid]
        else:
            u = self.u[party]()
        rule = self.rule[party][key]
        if rule < 0:
            return -1
        cdf = self.cdf[party][rule]
        dests = self.dest[party][rule]
        for k, c in enumerate(cdf):
            if u < c:
                return dests[k]
        return dests[-1]

    def plan(self, tid: int, party: int) -> int:
        """Draw the destination now (work starts) for ``next`` to return when the work ends."""
        dest = self.next(tid, party)
        self.planned[tid] = dest
        return dest

    def hop(self, tid: int) -> None:
        """Count a hand-off; a ticket past ``MAX_HOPS`` parties means the routing loops."""
        self.hops[tid] += 1
        if self.hops[tid] > MAX_HOPS:
            raise RuntimeError(f"ticket {tid} passed {MAX_HOPS} parties: the routing loops")
