"""The contacts of a replication: per-ticket facts the parts look up, and redials added as they happen.

The arrivals of a replication are drawn up front (``arrivals.generate``); a
ticket is its index there.  A caller who rings again (``Redials``) is a new
contact, created when it arrives: ``Contacts.spawn`` appends its row — the
attributes of the contact it repeats, a channel (the same, or another by the
redials' shares), its own patience — and every part that keeps per-ticket
data (ledger, router, the desk's handling times, skill needs) appends its
own entry through the ``growers`` registered here, drawing from the
``REDIALS`` streams so that fresh contacts' numbers do not change.

Per-ticket lookups are ``array`` objects (they can grow, and indexing gives
plain Python numbers); nothing keeps a numpy view on them while the
replication runs, so appending never fails.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

import numpy as np

from simsla.engine import streams
from simsla.engine.sampling import Buffer, sampler
from simsla.engine.tables import KeySpace
from simsla.model import Scenario

#: contact kinds, as written to the tickets table (codes into this tuple)
CONTACTS = ("fresh", "redial", "callback", "backlog")
FRESH, REDIAL = 0, 1
#: sub-streams of ``streams.REDIALS``
_DECIDE, _DELAY, _PATIENCE, _CHANNEL, _ROUTING, _HANDLING, _SKILLS = range(7)


def growable(values: np.ndarray, code: str) -> array:
    """A copy of a numpy column as an ``array`` that can grow."""
    out = array(code)
    out.frombytes(np.ascontiguousarray(values, dtype=np.dtype(code if code != "q" else "int64")).tobytes())
    return out


class Contacts:
    """Per-contact columns of one replication: the drawn arrivals, then the redials.

    Parameters
    ----------
    scenario, space
        the scenario and its key space.
    arrivals
        the replication's arrivals (``arrivals.generate``).
    seed, replication
        which random numbers (redials draw from their own streams).
    """

    def __init__(self, scenario: Scenario, space: KeySpace, arrivals: dict[str, np.ndarray], seed: int,
                 replication: int):
        self.scenario, self.space, self.arrivals = scenario, space, arrivals
        self.fresh = len(arrivals["time"])
        self.key = growable(space.key(arrivals), "q")
        self.abandon_at = growable(arrivals["time"] + arrivals["patience"], "d")
        self.rows: dict[str, list] = {name: [] for name in arrivals}
        self.parent: list[int] = []  # per redial, the original contact (fresh ticket id) it repeats
        self.attempt: dict[int, int] = {}  # per ticket that is a redial, its attempt number (1: first redial)
        self.growers: list[Callable[[int], None]] = []
        self.redials = scenario.redials
        if self.redials is not None:
            self._draws(seed, replication)

    def _draws(self, seed: int, replication: int) -> None:
        r = self.redials
        rng = lambda sub: streams.stream(seed, replication, streams.REDIALS, sub)  # noqa: E731
        self.u_decide = Buffer(lambda g, k: g.uniform(size=k), rng(_DECIDE))
        self.delay = Buffer(sampler(r.delay), rng(_DELAY))
        self.u_channel = Buffer(lambda g, k: g.uniform(size=k), rng(_CHANNEL))
        shares = r.switch_shares()
        channels = self.scenario.levels("channel")
        self.switch = [(channels.index(c), p) for c, p in shares.items()]
        self.patience = self._patience_draws(rng(_PATIENCE))
        self.rng_routing, self.rng_handling, self.rng_skills = rng(_ROUTING), rng(_HANDLING), rng(_SKILLS)

    def _patience_draws(self, rng: np.random.Generator) -> list[Buffer | None]:
        """Per demand stream (and the outage streams after them), the patience of its redialling callers."""
        sc = self.scenario
        out: list[Buffer | None] = []
        for d in sc.demand:
            spec = d.patience or sc.patience
            out.append(None if spec is None else Buffer(sampler(spec), rng))
        spec = sc.patience
        out += [None if spec is None else Buffer(sampler(spec), rng)] * 2  # surges, major incidents
        return out

    # ------------------------------------------------------------ redials
    def redial_after(self, tid: int, now: float) -> float:
        """Whether a failed caller rings again: the delay until the next attempt, or -1."""
        r = self.redials
        if r is None or self.attempt.get(tid, 0) >= r.attempts:
            return -1.0
        if self.u_decide() >= r.probability:
            return -1.0
        return float(self.delay())

    def spawn(self, tid: int, now: float) -> int:
        """The redial of ``tid`` arrives now: its new ticket id (every part has grown a row for it)."""
        new = len(self.key)
        u, channel = self.u_channel(), None
        for code, share in self.switch:
            if u < share:
                channel = code
                break
            u -= share
        if channel is None:
            channel = self.switch[-1][0]
        row = self._row(tid)
        row["time"], row["channel"] = now, channel
        phone = self.scenario.levels("channel")[channel] == "phone"
        patience = self.patience[int(row["stream"])] if phone else None
        row["patience"] = float(patience()) if patience is not None else np.inf
        for name, value in row.items():
            self.rows[name].append(value)
        codes = {a: row[a] for a in self.space.levels}
        self.key.append(int(np.ravel_multi_index(tuple(codes[a] for a in self.space.levels), self.space.shape)))
        self.abandon_at.append(now + row["patience"])
        self.parent.append(self.origin(tid))
        self.attempt[new] = self.attempt.get(tid, 0) + 1
        for grow in self.growers:
            grow(new)
        return new

    def origin(self, tid: int) -> int:
        """The fresh contact a ticket repeats (itself when fresh)."""
        return tid if tid < self.fresh else self.parent[tid - self.fresh]

    def _row(self, tid: int) -> dict:
        if tid < self.fresh:
            return {name: col[tid].item() for name, col in self.arrivals.items()}
        k = tid - self.fresh
        return {name: col[k] for name, col in self.rows.items()}

    # ------------------------------------------------------------ the log
    def columns(self, arrived: int) -> dict[str, np.ndarray]:
        """Ticket columns of the contacts that arrived: the first ``arrived`` fresh ones, then the redials."""
        if not self.parent:
            return {name: col[:arrived] for name, col in self.arrivals.items()}
        out = {}
        for name, col in self.arrivals.items():
            out[name] = np.concatenate([col[:arrived], np.asarray(self.rows[name], dtype=col.dtype)])
        kind = np.zeros(arrived + len(self.parent), dtype=np.int8)
        if "contact" in self.arrivals:  # a backlog start marks its rows (``simsla.engine.backlog``)
            kind[:arrived] = self.arrivals["contact"][:arrived]
        kind[arrived:] = REDIAL
        out["contact"] = kind
        # the original contact, as a row number of this table (fresh rows keep their number)
        out["repeats"] = np.concatenate([np.arange(arrived), np.asarray(self.parent, dtype=np.int64)])
        return out

    def renumber(self, arrived: int) -> Callable[[np.ndarray], np.ndarray]:
        """Ticket id -> row of ``columns(arrived)`` (redials follow the arrived fresh contacts)."""
        gap = self.fresh - arrived
        if gap == 0 or not self.parent:
            return lambda ids: ids
        return lambda ids: np.where(ids >= self.fresh, ids - gap, ids)
