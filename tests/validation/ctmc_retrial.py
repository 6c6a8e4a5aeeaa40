"""Exact (numerical) theory for a retrial queue with impatience and phone lines: the oracle of ``test_redials``.

The model
---------
Fresh calls arrive as a Poisson stream of rate ``lam``.  The desk has ``c``
agents, exponential service of rate ``mu``, FIFO.  A caller who waits (every
agent busy) hangs up at rate ``theta`` (exponential patience; in service a
caller never hangs up).  With ``lines = K`` the desk holds at most ``K`` calls
at once, waiting or in service; a call that finds ``K`` there is blocked and
never enters.  Every failed attempt (hung up, or blocked) joins the *orbit*
with probability ``p`` (else the caller gives up for good), and each caller in
the orbit rings again after an exponential delay of rate ``gamma``; a redial
is an attempt like any other (it may be answered, hang up, or be blocked, and
then redial again with probability ``p``).

The state is ``(n, m)``: ``n`` calls at the desk (waiting + in service), ``m``
callers in the orbit.  Transitions:

* ``lam``:                 ``n < K`` -> ``(n+1, m)``; ``n = K``: blocked, ``(K, m+1)`` w.p. ``p``;
* ``min(n, c) mu``:        ``(n-1, m)``;
* ``(n-c)+ theta``:        ``(n-1, m+1)`` w.p. ``p``, ``(n-1, m)`` w.p. ``1-p``;
* ``m gamma``:             ``n < K`` -> ``(n+1, m-1)``; ``n = K``: blocked again,
  stays in orbit w.p. ``p``, ``(K, m-1)`` w.p. ``1-p``.

The number of attempts of one caller is unbounded here (the engine caps it
at ``Redials.attempts``; the tests choose a cap the callers practically never
reach, and check it).

Truncation: ``n <= N`` (or ``K``) and ``m <= M``; transitions that would leave
the box are dropped.  The box is grown until the stationary mass of its outer
``band`` layers is below ``tol`` (1e-9), and that is asserted.

Measures
--------
Attempts arrive in state ``(n, m)`` at rate ``lam + m gamma`` (fresh by PASTA,
redials at the orbit's rate).  Rates of outcomes (per second, stationary):

* blocked attempts: ``sum_{n=K} pi (lam + m gamma)``;
* abandoned attempts: ``theta E[(n-c)+]``;
* answered attempts: ``mu E[min(n, c)]`` -- each fresh caller is answered at
  most once (an answered caller never redials), so the share of fresh callers
  eventually answered is this rate over ``lam``;
* by kind of attempt: a fresh call finds state ``(n, m)`` w.p. ``pi``, a
  redial w.p. ``pi m gamma / (gamma E[m])`` (redials come when the orbit is
  full, i.e. after congestion), so redials hang up and are blocked more often;
* redials: ``gamma E[m]``, so the redial share of all contacts is
  ``gamma E[m] / (lam + gamma E[m])``.

Waiting times of admitted callers (a tagged attempt that finds ``n`` at the
desk): it is answered at once when ``n < c``.  Otherwise it has ``j = n - c``
callers ahead of it in the queue; callers behind it never matter (FIFO, and
they do not change when an agent frees).  With ``k`` ahead, the next event is
a service completion (rate ``c mu``) or one of those ahead hanging up
(``k theta``) -- either moves it to ``k - 1`` ahead (at ``k = 0``, a
completion answers it) -- or its own hang-up (``theta``).  So phase ``k`` lasts
an exponential time of rate ``r_k + theta`` (``r_k = c mu + k theta``), it
survives the phase with probability ``r_k / (r_k + theta)``, and

* ``P(answered | j) = prod_{k=0..j} r_k / (r_k + theta)``,
* ``E[W 1{answered} | j] = P(answered | j) sum_{k=0..j} 1 / (r_k + theta)``,
* ``E[time in queue | j] = sum_{k=0..j} P(reach phase k) / (r_k + theta)``.

The last one, averaged over admitted attempts, equals Little's law
``E[(n-c)+] / (admitted rate)``, and ``1 - P(answered)`` equals
``theta E[(n-c)+] / (admitted rate)``; both are asserted as a check of the
chain (to 1e-8 relative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


@dataclass(frozen=True)
class RetrialMeasures:
    """Stationary measures of the retrial queue (rates per second, shares of attempts or of calls)."""

    attempt_rate: float  # fresh + redials
    redial_rate: float  # gamma E[m]
    p_blocked: float  # share of all attempts that are blocked
    p_abandoned: float  # share of all attempts that hang up while waiting
    p_answered: float  # share of all attempts that are answered
    p_abandoned_fresh: float  # share of fresh calls that hang up (they see pi: PASTA)
    p_abandoned_redial: float  # share of redials that hang up (they see pi weighted by m gamma)
    p_blocked_fresh: float
    p_blocked_redial: float
    redial_share: float  # redials / (fresh + redials)
    fresh_answered: float  # share of fresh callers answered at one of their attempts
    mean_wait_answered: float  # E[wait | answered]
    p_wait_answered: float  # P(wait > 0 | answered)
    mean_queue_time_admitted: float  # E[time in queue] over admitted attempts (answered: wait; hung up: to hang-up)
    mean_orbit: float  # E[m]
    mean_at_desk: float  # E[n]
    truncation_mass: float  # stationary mass of the outer layers of the box
    box: tuple[int, int]  # (N, M)


def _stationary(lam: float, mu: float, c: int, theta: float, p: float, gamma: float, K: int | None,
                N: int, M: int) -> np.ndarray:
    """pi over the box (n = 0..N, m = 0..M), as an (N+1, M+1) array."""
    nn, mm = N + 1, M + 1
    idx = lambda n, m: n * mm + m  # noqa: E731
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []

    def add(n0: int, m0: int, n1: int, m1: int, rate: float) -> None:
        if rate <= 0 or not (0 <= n1 <= N and 0 <= m1 <= M):
            return  # leaving the box: dropped (its mass is checked to be negligible)
        if (n0, m0) == (n1, m1):
            return
        rows.append(idx(n0, m0))
        cols.append(idx(n1, m1))
        vals.append(rate)

    full = K if K is not None else None
    for n in range(nn):
        for m in range(mm):
            if full is not None and n == full:
                add(n, m, n, m + 1, lam * p)  # fresh call blocked, joins the orbit
                add(n, m, n, m - 1, m * gamma * (1 - p))  # redial blocked, gives up
            else:
                add(n, m, n + 1, m, lam)
                add(n, m, n + 1, m - 1, m * gamma)
            add(n, m, n - 1, m, min(n, c) * mu)
            q = max(n - c, 0)
            add(n, m, n - 1, m + 1, q * theta * p)
            add(n, m, n - 1, m, q * theta * (1 - p))
    size = nn * mm
    Q = sp.csr_matrix((vals, (rows, cols)), shape=(size, size))
    Q = Q - sp.diags(np.asarray(Q.sum(axis=1)).ravel())
    # pi Q = 0, sum pi = 1: replace one balance equation by the normalisation
    A = Q.T.tolil()
    A[0, :] = np.ones(size)
    b = np.zeros(size)
    b[0] = 1.0
    pi = spla.spsolve(A.tocsc(), b)
    assert np.all(pi > -1e-12), pi.min()
    pi = np.clip(pi, 0.0, None)
    pi /= pi.sum()
    # the balance equations hold (the solve is accurate)
    assert np.abs(Q.T @ pi).max() < 1e-12 * max(lam, mu * c, 1.0) + 1e-15
    return pi.reshape(nn, mm)


def retrial_queue(lam: float, mu: float, c: int, theta: float, p: float, gamma: float, lines: int | None = None,
                  *, tol: float = 1e-9, band: int = 3) -> RetrialMeasures:
    """Solve the truncated chain (growing the box until its outer ``band`` layers hold < ``tol``)."""
    if lines is not None and lines < c:
        raise ValueError("lines below the number of agents: some agents could never work")
    if lines is None and theta <= 0:
        raise ValueError("without lines the queue needs patience to be finite here")
    N = lines if lines is not None else c + 40
    M = 60
    while True:
        pi = _stationary(lam, mu, c, theta, p, gamma, lines, N, M)
        outer_m = pi[:, M - band + 1:].sum()
        outer_n = 0.0 if lines is not None else pi[N - band + 1:, :].sum()
        mass = float(outer_m + outer_n)
        if mass < tol:
            break
        if outer_m >= tol / 2:
            M = int(M * 1.5)
        if outer_n >= tol / 2:
            N = c + int((N - c) * 1.5)
        if N * M > 2_000_000:
            raise RuntimeError(f"box too large ({N}, {M}) without reaching a truncation mass below {tol}")
    nn, mm = pi.shape
    n = np.arange(nn)[:, None]
    m = np.arange(mm)[None, :]
    arrive = pi * (lam + m * gamma)  # attempt rate, by the state it finds
    attempt_rate = float(arrive.sum())
    redial_rate = float((pi * m * gamma).sum())
    full = np.zeros(nn, dtype=bool)
    if lines is not None:
        full[lines] = True
    blocked_rate = float(arrive[full, :].sum())
    queue = np.maximum(n - c, 0)
    abandon_rate = float(theta * (pi * queue).sum())
    answer_rate = float(mu * (pi * np.minimum(n, c)).sum())
    # every attempt is blocked, hangs up or is answered
    assert math.isclose(blocked_rate + abandon_rate + answer_rate, attempt_rate, rel_tol=1e-8), (
        blocked_rate, abandon_rate, answer_rate, attempt_rate)

    # tagged admitted attempt, by the number at the desk it finds
    seen = arrive[~full, :].sum(axis=1)  # rate of admitted attempts finding n (n < K)
    ns = np.flatnonzero(~full)
    p_ans = np.ones(len(ns))
    w_ans = np.zeros(len(ns))  # E[W 1{answered} | n]
    t_all = np.zeros(len(ns))  # E[time in queue | n]
    for i, k_n in enumerate(ns):
        j = k_n - c
        if j < 0:
            continue
        reach, tq, time_sum = 1.0, 0.0, 0.0
        for k in range(j, -1, -1):  # k ahead of the tagged caller
            r = c * mu + k * theta
            tq += reach / (r + theta)
            time_sum += 1.0 / (r + theta)
            reach *= r / (r + theta)
        p_ans[i], w_ans[i], t_all[i] = reach, reach * time_sum, tq
    admitted = float(seen.sum())
    answered_w = float((seen * p_ans).sum())
    assert math.isclose(answered_w, answer_rate, rel_tol=1e-8), (answered_w, answer_rate)
    mean_queue_time = float((seen * t_all).sum() / admitted)
    little = float((pi * queue).sum()) / admitted
    assert math.isclose(mean_queue_time, little, rel_tol=1e-8), (mean_queue_time, little)
    waited = ns >= c
    # by kind of attempt: fresh ones find the state with weight lam, redials with weight m gamma
    fresh_w, redial_w = pi.sum(axis=1) * lam, (pi * m * gamma).sum(axis=1)
    by_kind = {}
    for kind, w in (("fresh", fresh_w), ("redial", redial_w)):
        total = w.sum()  # (no redials when p = 0: their shares are undefined, nan)
        by_kind[f"p_blocked_{kind}"] = float(w[full].sum() / total) if total > 0 else math.nan
        by_kind[f"p_abandoned_{kind}"] = float((w[~full] * (1.0 - p_ans)).sum() / total) if total > 0 else math.nan
    from_redials = by_kind["p_abandoned_redial"] * redial_rate if redial_rate > 0 else 0.0
    assert math.isclose(by_kind["p_abandoned_fresh"] * lam + from_redials, abandon_rate, rel_tol=1e-8)
    return RetrialMeasures(
        attempt_rate=attempt_rate, redial_rate=redial_rate,
        p_blocked=blocked_rate / attempt_rate, p_abandoned=abandon_rate / attempt_rate,
        p_answered=answer_rate / attempt_rate, **by_kind,
        redial_share=redial_rate / (lam + redial_rate),
        fresh_answered=answer_rate / lam,
        mean_wait_answered=float((seen * w_ans).sum() / answered_w),
        p_wait_answered=float((seen * p_ans)[waited].sum() / answered_w),
        mean_queue_time_admitted=mean_queue_time,
        mean_orbit=float((pi * m).sum()), mean_at_desk=float((pi * n).sum()),
        truncation_mass=mass, box=(nn - 1, mm - 1))


def mmck(c: int, K: int, a: float) -> np.ndarray:
    """Stationary distribution of the M/M/c/K birth-death chain (offered load ``a`` Erlang): pi_0..pi_K."""
    w = np.empty(K + 1)
    w[0] = 1.0
    for n in range(1, K + 1):
        w[n] = w[n - 1] * a / min(n, c)
    return w / w.sum()
