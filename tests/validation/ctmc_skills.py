"""Exact (numerical) theory for small multi-skill queues: the CTMC oracle of ``test_skills``.

A multi-skill system has K customer classes (skills) and J agent teams.  Class
``k`` arrives as a Poisson stream of rate ``lam[k]``; team ``j`` has ``n[j]``
agents and may serve class ``k`` iff ``level[j][k]`` is not None (1 = primary,
2 = secondary, ...), in exponential time of rate ``mu[j][k]``.  There is no
abandonment, service is never interrupted, every class has its own FIFO queue,
and assignment is work-conserving:

* **agent: preferred** -- an arriving class-``k`` item goes to a free agent of
  the eligible team with the lowest ``level[j][k]``; it waits only when every
  eligible agent is busy;
* **item: preferred** -- an agent of team ``j`` who becomes free takes the head
  of the waiting class with the lowest ``level[j][k]``; ties between classes of
  equal level are broken by the explicit class order ``priority`` (a list of
  class indices, first = served first), which must then be given;
* **item: priority** -- a freed agent takes the head of the waiting eligible
  class with the lowest static ``rank[k]``, whatever its level.

Ties that the engine breaks by history (longest-idle agent, longest-waiting
item) make the process non-Markov in these counts, so the builder refuses
them: the levels of the teams eligible for a class must be distinct, and a
team's eligible classes must have distinct levels (``item: preferred``, unless
``priority`` orders them) or distinct ranks (``item: priority``).

State and truncation
--------------------
The state is ``(busy[j][k] for eligible pairs, q[k])``.  Because assignment is
work-conserving, class ``k`` can be waiting only when every team eligible for
``k`` is fully busy; only such consistent states are enumerated, and every
transition is checked to land in the enumerated set.  Queue ``k`` is truncated
at ``cap[k]`` (an arrival finding a full queue is lost); the caps are grown
until the probability of the states where an arrival would be lost, and the
geometric estimate of the mass beyond the caps, are both below ``tol``
(default 1e-9), and that is asserted.

Waiting time of a tagged arrival
--------------------------------
By PASTA a class-``k`` arrival sees the stationary state.  It waits iff every
eligible agent is busy; it then joins behind the ``q[k]`` class-``k`` items
present.  Items of class ``k`` arriving after it never overtake it (FIFO within
the class) and do not change any decision while it waits (class ``k`` is
non-empty anyway), so they are left out.  The tagged chain therefore lives on
the stationary states in which class ``k`` may wait, with the ``q[k]`` field
read as "items ahead of the tagged one"; it is absorbed when a freed agent
takes class ``k`` with nobody ahead.  With ``alpha`` the stationary
probabilities of those states and ``T`` the transient sub-generator,
``P(W > t) = alpha . expm(T t) . 1`` and ``E[W] = alpha . (-T)^-1 . 1`` (the
latter is checked against Little's law ``E[q_k] / lam_k``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


@dataclass(frozen=True)
class MultiSkill:
    """A multi-skill queue design.

    Parameters
    ----------
    lam : sequence of float
        Poisson arrival rate of each class (per second), length K.
    n : sequence of int
        Agents per team, length J.
    level : J x K nested sequence of int or None
        ``level[j][k]``: skill level of team ``j`` for class ``k`` (1 = primary),
        None when team ``j`` cannot serve class ``k``.
    mu : J x K nested sequence of float or None
        Service rate of team ``j`` on class ``k`` (1 / mean work time); ignored
        where ``level`` is None.
    item : {"preferred", "priority"}
        Which waiting class a freed agent takes.
    agent : {"preferred"}
        Which free agent an arriving item takes (the only Markov choice).
    priority : sequence of int, optional
        Class indices in serving order, used by ``item: preferred`` to break
        ties between classes of equal level at a team.
    rank : sequence of int, optional
        Static class rank for ``item: priority`` (lower is served first).
    classes, teams : sequence of str, optional
        Names used as keys of the result (default "0", "1", ...).
    """

    lam: Sequence[float]
    n: Sequence[int]
    level: Sequence[Sequence[int | None]]
    mu: Sequence[Sequence[float | None]]
    item: str = "preferred"
    agent: str = "preferred"
    priority: Sequence[int] | None = None
    rank: Sequence[int] | None = None
    classes: Sequence[str] | None = None
    teams: Sequence[str] | None = None

    @property
    def K(self) -> int:  # noqa: N802 (the usual symbol)
        return len(self.lam)

    @property
    def J(self) -> int:  # noqa: N802
        return len(self.n)

    def class_names(self) -> list[str]:
        return list(self.classes) if self.classes is not None else [str(k) for k in range(self.K)]

    def team_names(self) -> list[str]:
        return list(self.teams) if self.teams is not None else [str(j) for j in range(self.J)]

    def eligible(self, j: int, k: int) -> bool:
        return self.level[j][k] is not None

    def validate(self) -> None:
        """Refuse designs whose policy is not a function of the state (ties) or is ill-formed."""
        K, J = self.K, self.J
        if self.agent != "preferred":
            raise ValueError(f"agent policy {self.agent!r} is not Markov in the counts; only 'preferred'")
        if self.item not in ("preferred", "priority"):
            raise ValueError(f"item policy {self.item!r} is not supported ('preferred' or 'priority')")
        if len(self.level) != J or len(self.mu) != J or any(len(r) != K for r in self.level):
            raise ValueError("level and mu must be J x K")
        if any(lam_k <= 0 for lam_k in self.lam) or any(nj < 1 for nj in self.n):
            raise ValueError("arrival rates must be > 0 and teams must have >= 1 agent")
        for k in range(K):
            teams = [j for j in range(J) if self.eligible(j, k)]
            if not teams:
                raise ValueError(f"class {k} has no eligible team")
            levels = [self.level[j][k] for j in teams]
            # agent: preferred -- the engine breaks equal levels by the longest-idle agent (not Markov)
            if len(set(levels)) != len(levels):
                raise ValueError(f"class {k}: eligible teams share a level {levels}; make them distinct")
            for j in teams:
                if not (self.mu[j][k] is not None and self.mu[j][k] > 0):
                    raise ValueError(f"mu[{j}][{k}] must be > 0 where team {j} serves class {k}")
        if self.priority is not None and sorted(self.priority) != list(range(K)):
            raise ValueError("priority must be a permutation of the class indices")
        if self.item == "priority":
            if self.rank is None or len(self.rank) != K:
                raise ValueError("item: priority needs rank, one per class")
        for j in range(J):
            ks = [k for k in range(K) if self.eligible(j, k)]
            if self.item == "priority":
                keys = [self.rank[k] for k in ks]
                what = "ranks"
            else:
                keys = [self.level[j][k] for k in ks]
                what = "levels"
                if self.priority is not None:
                    continue  # ties (if any) are broken by the explicit class order
            if len(set(keys)) != len(keys):
                raise ValueError(f"team {j}: eligible classes share {what} {keys}; "
                                 "make them distinct or give priority=[...]")

    def item_order(self, j: int) -> list[int]:
        """The classes team ``j`` serves, in the order a freed agent looks at their queues."""
        ks = [k for k in range(self.K) if self.eligible(j, k)]
        if self.item == "priority":
            return sorted(ks, key=lambda k: self.rank[k])
        pos = {k: i for i, k in enumerate(self.priority)} if self.priority is not None else {k: k for k in ks}
        return sorted(ks, key=lambda k: (self.level[j][k], pos[k]))

    def agent_order(self, k: int) -> list[int]:
        """The teams eligible for class ``k``, in the order an arrival looks for a free agent."""
        return sorted((j for j in range(self.J) if self.eligible(j, k)), key=lambda j: self.level[j][k])

    def offered_load(self) -> float:
        """Total offered load in agent units when every class is served at its primary team's rate (a guide)."""
        return float(sum(self.lam[k] / self.mu[self.agent_order(k)[0]][k] for k in range(self.K)))


# ------------------------------------------------------------------------- state space
@dataclass
class _Space:
    """The enumerated consistent states of a truncated design, with fast lookup."""

    d: MultiSkill
    caps: np.ndarray
    pairs: list[tuple[int, int]] = field(default_factory=list)
    X: np.ndarray = field(default=None)  # (N, P + K): busy per pair, then q per class
    keys: np.ndarray = field(default=None)

    def __post_init__(self) -> None:
        d = self.d
        K, J = d.K, d.J
        self.pairs = [(j, k) for j in range(J) for k in range(K) if d.eligible(j, k)]
        self.P = len(self.pairs)
        self.pair = {jk: p for p, jk in enumerate(self.pairs)}
        self.team_pairs = [[p for p, (jj, _) in enumerate(self.pairs) if jj == j] for j in range(J)]
        # every team's possible busy vectors over its eligible classes (sum <= n_j), with a lookup
        # table from the mixed-radix code of the vector to its index (-1: impossible)
        self.team_cfg, self.team_lut = [], []
        for j in range(J):
            m, nj = len(self.team_pairs[j]), d.n[j]
            cfg = np.array([v for v in itertools.product(range(nj + 1), repeat=m) if sum(v) <= nj], dtype=np.int64)
            lut = -np.ones((nj + 1) ** m, dtype=np.int64)
            lut[self._team_code(cfg, nj)] = np.arange(len(cfg))
            self.team_cfg.append(cfg)
            self.team_lut.append(lut)
        self.qradix = self.caps + 1
        blocks = []
        for combo in itertools.product(*(range(len(c)) for c in self.team_cfg)):
            busy = np.zeros(self.P, dtype=np.int64)
            full = np.zeros(J, dtype=bool)
            for j, i in enumerate(combo):
                busy[self.team_pairs[j]] = self.team_cfg[j][i]
                full[j] = self.team_cfg[j][i].sum() == d.n[j]
            # work conservation: class k may wait only if every team that could serve it is full
            may_wait = [all(full[j] for j in range(J) if d.eligible(j, k)) for k in range(K)]
            ranges = [np.arange(self.caps[k] + 1) if may_wait[k] else np.zeros(1, dtype=np.int64) for k in range(K)]
            q = np.stack(np.meshgrid(*ranges, indexing="ij"), axis=-1).reshape(-1, K)
            blocks.append(np.hstack([np.broadcast_to(busy, (len(q), self.P)), q]))
        X = np.vstack(blocks).astype(np.int64)
        keys = self.key(X)
        order = np.argsort(keys)
        self.X, self.keys = X[order], keys[order]
        assert np.all(np.diff(self.keys) > 0), "duplicate states"

    @staticmethod
    def _team_code(v: np.ndarray, nj: int) -> np.ndarray:
        code = np.zeros(len(v), dtype=np.int64)
        for c in range(v.shape[1]):
            code = code * (nj + 1) + v[:, c]
        return code

    @property
    def N(self) -> int:  # noqa: N802
        return len(self.X)

    def busy(self, X: np.ndarray) -> np.ndarray:
        return X[:, : self.P]

    def q(self, X: np.ndarray) -> np.ndarray:
        return X[:, self.P:]

    def free(self, X: np.ndarray) -> np.ndarray:
        """Free agents per team, (N, J)."""
        return np.stack([self.d.n[j] - X[:, self.team_pairs[j]].sum(axis=1) for j in range(self.d.J)], axis=1)

    def key(self, X: np.ndarray) -> np.ndarray:
        """A unique integer per state (mixed radix over team configurations and queue lengths)."""
        cfg = np.zeros(len(X), dtype=np.int64)
        for j in range(self.d.J):
            idx = self.team_lut[j][self._team_code(X[:, self.team_pairs[j]], self.d.n[j])]
            assert np.all(idx >= 0), "a team has more busy agents than agents"
            cfg = cfg * len(self.team_cfg[j]) + idx
        qcode = np.zeros(len(X), dtype=np.int64)
        for k in range(self.d.K):
            qcode = qcode * self.qradix[k] + X[:, self.P + k]
        return cfg * int(np.prod(self.qradix)) + qcode

    def index(self, X: np.ndarray) -> np.ndarray:
        """Indices of states ``X``; asserts they are enumerated (i.e. consistent and within the caps)."""
        assert np.all(self.q(X) >= 0) and np.all(self.q(X) <= self.caps), "queue length outside [0, cap]"
        k = self.key(X)
        i = np.searchsorted(self.keys, k)
        ok = (i < self.N) & (self.keys[np.minimum(i, self.N - 1)] == k)
        assert ok.all(), f"transition to a state that is not enumerated (inconsistent): {X[~ok][:3]}"
        return i

    # ---------------------------------------------------------------- transitions
    def arrival(self, X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """States after a class-``k`` arrival and a mask of the rows where it is not lost."""
        d = self.d
        free = self.free(X)
        Y = X.copy()
        placed = np.zeros(len(X), dtype=bool)
        for j in d.agent_order(k):  # agent: preferred -- lowest level first
            take = ~placed & (free[:, j] > 0)
            Y[take, self.pair[(j, k)]] += 1
            placed |= take
        queue = ~placed & (X[:, self.P + k] < self.caps[k])
        Y[queue, self.P + k] += 1
        return Y, placed | queue

    def completion(self, X: np.ndarray, j: int, k: int, tagged: int | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
        """States after an agent of team ``j`` ends a class-``k`` service, and the class it takes next (-1: none).

        ``tagged`` is a class with a tagged item waiting: it counts as waiting
        even where its ``q`` field (the items *ahead* of the tagged one) is 0.
        """
        Y = X.copy()
        Y[:, self.pair[(j, k)]] -= 1
        taken = -np.ones(len(X), dtype=np.int64)
        for kk in self.d.item_order(j):  # the freed agent looks at the queues in policy order
            waiting = Y[:, self.P + kk] > 0
            if kk == tagged:
                waiting[:] = True
            take = (taken < 0) & waiting
            taken[take] = kk
        for kk in self.d.item_order(j):
            rows = taken == kk
            if kk == tagged:
                # rows with nobody ahead: the tagged item itself is taken (absorption, handled by the caller)
                rows &= Y[:, self.P + kk] > 0
            Y[rows, self.pair[(j, kk)]] += 1
            Y[rows, self.P + kk] -= 1
        return Y, taken


def _generator(s: _Space, rows: np.ndarray, tagged: int | None = None
               ) -> tuple[sp.csr_matrix, np.ndarray]:
    """Generator on the states ``rows`` (global indices, sorted).

    For the stationary chain ``rows`` is every state.  For the tagged chain of
    class ``tagged`` it is the set where that class may wait; class-``tagged``
    arrivals are left out (they queue behind the tagged item) and the rate of
    taking the tagged item into service is returned as the exit vector.
    """
    d = s.d
    X = s.X[rows]
    local = -np.ones(s.N, dtype=np.int64)
    local[rows] = np.arange(len(rows))
    src, dst, rate = [], [], []
    out = np.zeros(len(rows))  # total rate leaving each state (for the diagonal)
    exit_ = np.zeros(len(rows))

    def add(mask: np.ndarray, Y: np.ndarray, r: np.ndarray) -> None:
        i = local[s.index(Y[mask])]
        assert np.all(i >= 0), "the tagged chain left the set where the tagged class waits"
        src.append(np.nonzero(mask)[0])
        dst.append(i)
        rate.append(r[mask])

    for k in range(d.K):
        if k == tagged:
            continue
        Y, ok = s.arrival(X, k)
        r = np.full(len(X), float(d.lam[k]))
        add(ok, Y, r)
        out[ok] += d.lam[k]
    for p, (j, k) in enumerate(s.pairs):
        r = s.busy(X)[:, p] * float(d.mu[j][k])
        busy = r > 0
        Y, taken = s.completion(X, j, k, tagged)
        out[busy] += r[busy]
        if tagged is not None:
            absorbed = busy & (taken == tagged) & (s.q(X)[:, tagged] == 0)
            exit_[absorbed] += r[absorbed]
            busy &= ~absorbed
        add(busy, Y, r)
    src, dst, rate = (np.concatenate(a) for a in (src, dst, rate))
    n = len(rows)
    Q = sp.coo_matrix((rate, (src, dst)), shape=(n, n)).tocsr()
    Q = Q - sp.diags(out)
    return Q.tocsr(), exit_


#: chains with one or two queues, or up to this many states, are solved by sparse LU; larger
#: ones with three or more queues by GMRES, because the LU of a 3-D lattice fills in far too much
DIRECT_MAX = 5_000


def _linsolve(M: sp.spmatrix, b: np.ndarray, blocks: np.ndarray, direct: bool) -> np.ndarray:
    """Solve ``M x = b`` for a (transposed) generator-like matrix ``M``.

    Small systems: sparse LU.  Large ones: GMRES preconditioned by the exact
    inverse of ``M``'s diagonal blocks, a block being the states that share
    every queue length except the longest queue's (``blocks``): the slow,
    nearly critical direction is solved exactly inside a block and GMRES
    only has to handle the fast-mixing coupling between blocks.
    """
    M = M.tocsc()
    if direct or M.shape[0] <= DIRECT_MAX:
        return spla.spsolve(M, b)
    C = M.tocoo()
    inside = blocks[C.row] == blocks[C.col]
    D = sp.csc_matrix((C.data[inside], (C.row[inside], C.col[inside])), shape=M.shape)
    lu = spla.splu(D, permc_spec="MMD_AT_PLUS_A")
    pre = spla.LinearOperator(M.shape, lu.solve)
    x, info = spla.gmres(M, b, x0=lu.solve(b), M=pre, rtol=1e-14, atol=0.0, restart=100, maxiter=50)
    assert info == 0, f"GMRES did not converge (info={info})"
    return x


def _stationary(Q: sp.csr_matrix, blocks: np.ndarray, direct: bool) -> np.ndarray:
    """Solve ``pi Q = 0, sum pi = 1``.

    State 0 (the empty system) is pinned to 1 and the other balance equations
    are solved for the rest, then everything is normalised: replacing an
    equation by a dense row of ones instead would ruin the sparsity of the LU.
    """
    n = Q.shape[0]
    A = Q.T.tocsc()
    pi = np.ones(n)
    if n > 1:
        pi[1:] = _linsolve(A[1:, 1:], -A[1:, 0].toarray().ravel(), blocks[1:], direct)
    pi /= pi.sum()
    residual = np.abs(pi @ Q).max()
    assert residual < 1e-14 * max(1.0, np.abs(Q.diagonal()).max()), f"balance residual {residual}"
    assert pi.min() > -1e-14, f"negative probability {pi.min()}"
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def _blocks(s: "_Space") -> np.ndarray:
    """Block id of every state: its queue lengths other than the longest-capped class's."""
    slow = int(np.argmax(s.caps))
    others = [k for k in range(s.d.K) if k != slow]
    code = np.zeros(s.N, dtype=np.int64)
    for k in others:
        code = code * (s.caps[k] + 1) + s.q(s.X)[:, k]
    return code


def _tail(s: _Space, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per class: mass at the cap, the estimated mass beyond it, and the tail's decay ratio.

    The decay ratio ``r = P(q = m + 1) / P(q = m)`` is read well inside the
    cap (the blocked arrivals pile mass up in the last few levels) and the
    mass beyond the cap is extrapolated geometrically: ``P(q = cap) r / (1 - r)``.
    """
    K = s.d.K
    at_cap, beyond, ratio = np.zeros(K), np.zeros(K), np.zeros(K)
    for k in range(K):
        c = int(s.caps[k])
        marg = np.bincount(s.q(s.X)[:, k], weights=pi, minlength=c + 1)
        lo, hi = c // 2, max(c // 2 + 1, c - 4)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = marg[lo + 1: hi + 1] / marg[lo:hi]
        r = r[np.isfinite(r)]
        ratio[k] = float(r.max()) if len(r) else 0.0
        at_cap[k] = marg[-1]
        beyond[k] = marg[-1] * ratio[k] / (1 - ratio[k]) if ratio[k] < 1 else math.inf
    return at_cap, beyond, ratio


def solve(design: MultiSkill, thresholds: Sequence[float] = (), tol: float = 1e-9, cap: int = 10,
          max_states: int = 3_000_000) -> dict:
    """Solve the design's truncated CTMC exactly.

    Parameters
    ----------
    design : MultiSkill
    thresholds : sequence of float
        Waiting-time thresholds ``t`` (seconds) for ``P(W <= t)``.
    tol : float
        Bound asserted on the truncation mass (the probability of the states
        where an arrival is lost, and the estimated mass beyond the caps).
    cap : int
        Initial queue cap per class; caps grow until ``tol`` is met.
    max_states : int
        Guard against a design too large for a direct sparse solve.

    Returns
    -------
    dict
        ``p_wait``, ``mean_wait``, ``mean_wait_phase``, ``mean_queue``:
        dicts class name -> float (``mean_wait`` is Little's ``E[q]/lam``,
        ``mean_wait_phase`` the tagged chain's ``alpha (-T)^-1 1``, NaN for
        three or more classes when that chain has more than ``DIRECT_MAX`` states);
        ``service_level``: dict threshold -> dict class name -> ``P(W <= t)``;
        ``utilisation``: dict team name -> ``E[busy_j] / n_j``;
        ``share``: dict class name -> dict team name -> fraction of the class's
        items served by that team; ``caps`` (per class), ``states`` (size of
        the stationary chain), ``truncation`` (lost-arrival state mass),
        ``truncation_beyond`` (estimated mass beyond the caps), ``pi_sum``.
    """
    design.validate()
    d = design
    caps = np.full(d.K, int(cap), dtype=np.int64)
    while True:
        s = _Space(d, caps)
        assert s.N <= max_states, f"{s.N} states: design too large for this solver"
        Q, _ = _generator(s, np.arange(s.N))
        blocks = _blocks(s)
        pi = _stationary(Q, blocks, direct=d.K <= 2)
        at_cap, beyond, ratio = _tail(s, pi)
        worst = np.maximum(at_cap, beyond)
        if np.all(worst < tol):
            break
        # grow each offending cap by enough geometric steps to get well under tol
        for k in np.nonzero(worst >= tol)[0]:
            r = min(max(ratio[k], 0.05), 0.995)
            steps = math.log(tol / 10 / worst[k]) / math.log(r) if np.isfinite(worst[k]) else caps[k]
            caps[k] += int(min(max(math.ceil(steps), 5), 3 * caps[k]))
    truncation = float(pi[(s.q(s.X) == caps).any(axis=1)].sum())
    assert truncation < tol and beyond.sum() < tol, (truncation, beyond)

    names, teams = d.class_names(), d.team_names()
    busy_mean = pi @ s.busy(s.X)
    q_mean = pi @ s.q(s.X)
    out: dict = {"p_wait": {}, "mean_wait": {}, "mean_wait_phase": {}, "mean_queue": {},
                 "service_level": {float(t): {} for t in thresholds}, "utilisation": {}, "share": {},
                 "caps": {names[k]: int(caps[k]) for k in range(d.K)}, "states": s.N,
                 "truncation": truncation, "truncation_beyond": float(beyond.sum()), "pi_sum": float(pi.sum())}
    for j in range(d.J):
        out["utilisation"][teams[j]] = float(busy_mean[s.team_pairs[j]].sum() / d.n[j])
    full = s.free(s.X) == 0
    for k in range(d.K):
        # served-rate of each (team, class) pair: E[busy] mu
        thr = {j: busy_mean[s.pair[(j, k)]] * d.mu[j][k] for j in d.agent_order(k)}
        tot = sum(thr.values())
        out["share"][names[k]] = {teams[j]: float(thr.get(j, 0.0) / tot) for j in range(d.J)}
        out["mean_queue"][names[k]] = float(q_mean[k])
        out["mean_wait"][names[k]] = float(q_mean[k] / d.lam[k])  # Little on the queue
        # tagged class-k arrival: PASTA, it waits iff every eligible team is full
        rows = np.nonzero(full[:, d.agent_order(k)].all(axis=1))[0]
        alpha = pi[rows]
        out["p_wait"][names[k]] = float(alpha.sum())
        T, exit_ = _generator(s, rows, tagged=k)
        # a proper sub-generator: rows sum to minus the absorption rate
        assert np.allclose(np.asarray(T.sum(axis=1)).ravel(), -exit_, atol=1e-12)
        # the tagged chain's own mean wait, a cross-check of Little's law (skipped where only an
        # iterative solve would do: it would cost as much as the stationary solve again)
        ew = float(alpha @ spla.spsolve((-T).tocsc(), np.ones(len(rows)))) if 0 < len(rows) and (d.K <= 2 or len(rows) <= DIRECT_MAX) else (
            0.0 if not len(rows) else math.nan)
        out["mean_wait_phase"][names[k]] = ew
        v, t_prev = np.ones(len(rows)), 0.0
        for t in sorted(float(t) for t in thresholds):
            # P(W > t) = alpha expm(T t) 1, stepping from one threshold to the next
            if t > t_prev and len(rows):
                v = spla.expm_multiply(T * (t - t_prev), v)
            t_prev = t
            out["service_level"][t][names[k]] = float(1.0 - alpha @ v)
    return out
