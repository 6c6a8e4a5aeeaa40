"""Erlang B / C / A against published values and independent code paths."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import linalg, special

from simsla.analytic import (
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_result,
    mean_wait,
    occupancy,
    service_level,
)


# ---------------------------------------------------------------- Erlang B


@pytest.mark.parametrize(
    ("servers", "load", "expected"),
    [
        (10, 10.0, 0.2146),  # classic table value
        (1, 1.0, 0.5),
        (2, 1.0, 0.2),  # (1/2) / (1 + 1 + 1/2)
        (5, 2.0, 0.0367),  # Erlang B table
    ],
)
def test_erlang_b_known_values(servers: int, load: float, expected: float) -> None:
    assert erlang_b(servers, load) == pytest.approx(expected, abs=5e-5)


def test_erlang_b_matches_direct_poisson_ratio() -> None:
    # B = pmf(c) / cdf(c) of a Poisson(a): an independent formula.
    for c, a in [(3, 2.5), (20, 15.0), (50, 60.0)]:
        pmf = math.exp(c * math.log(a) - a - special.gammaln(c + 1))
        direct = pmf / special.pdtr(c, a)
        assert erlang_b(c, a) == pytest.approx(direct, rel=1e-12)


def test_erlang_b_large_c_is_finite_and_tiny() -> None:
    b = erlang_b(1000, 10.0)
    assert 0.0 <= b < 1e-300  # underflows quietly, no overflow or exception
    assert 0.0 < erlang_b(800, 750.0) < 1.0
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(5, 0.0) == 0.0


def test_erlang_b_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        erlang_b(-1, 1.0)
    with pytest.raises(ValueError):
        erlang_b(2.5, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        erlang_b(3, -1.0)


# ---------------------------------------------------------------- Erlang C


def test_erlang_c_published_example_10_erlang_14_agents() -> None:
    assert round(erlang_c(14, 10.0), 4) == 0.1741
    assert round(service_level(14, 10.0 / 180.0, 180.0, 20.0), 4) == 0.8884


def test_erlang_c_published_example_55_agents() -> None:
    res = erlang_c_result(55, 0.2, 240.0)
    assert round(res.p_wait, 4) == 0.2387
    assert round(res.mean_wait, 2) == 8.18
    assert round(res.service_level(15.0), 4) == 0.8459
    assert round(mean_wait(55, 0.2, 240.0), 2) == 8.18
    assert occupancy(55, 0.2, 240.0) == pytest.approx(48 / 55)


def test_erlang_c_single_server_is_rho() -> None:
    assert erlang_c(1, 0.7) == pytest.approx(0.7)


def test_erlang_c_hundreds_of_agents() -> None:
    # Square-root staffing with beta = 1 keeps P(wait) near the Halfin-Whitt
    # value (~0.22 at beta = 1) for large c; mostly checks numerical robustness.
    for c, a in [(300, 283.0), (1000, 968.0), (5000, 4929.0)]:
        p = erlang_c(c, a)
        assert 0.1 < p < 0.4


def test_erlang_c_wait_quantile_inverts_service_level() -> None:
    res = erlang_c_result(14, 10.0 / 180.0, 180.0)
    t = res.wait_quantile(0.95)
    assert res.service_level(t) == pytest.approx(0.95)
    assert res.wait_quantile(0.5) == 0.0


def test_erlang_c_unstable_raises() -> None:
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(10, 10.0)
    with pytest.raises(ValueError, match="unstable"):
        erlang_c_result(5, 1.0, 6.0)


# ---------------------------------------------------------------- Erlang A
# Independent oracle: build the truncated birth-death generator, solve
# pi Q = 0 by linear algebra, and get waiting-time laws from the
# Garnett-Mandelbaum-Reiman incomplete-gamma closed forms.


def _bd_oracle(c: int, lam: float, s: float, patience: float, n_max: int):
    mu, theta = 1.0 / s, 1.0 / patience
    n = np.arange(n_max + 1)
    death = np.minimum(n, c) * mu + np.maximum(n - c, 0) * theta
    q = np.zeros((n_max + 1, n_max + 1))
    q[n[:-1], n[:-1] + 1] = lam
    q[n[1:], n[1:] - 1] = death[1:]
    q -= np.diag(q.sum(axis=1))
    # Solve pi Q = 0 with sum(pi) = 1 by replacing one equation.
    a = q.T.copy()
    a[-1, :] = 1.0
    rhs = np.zeros(n_max + 1)
    rhs[-1] = 1.0
    pi = np.linalg.solve(a, rhs)
    queue = np.maximum(n - c, 0)
    p_wait = pi[c:].sum()
    p_ab = theta * np.dot(pi, queue) / lam  # abandonment flow / arrival flow
    return pi, p_wait, p_ab


def _gmr_tails(c: int, lam: float, s: float, patience: float, t: float):
    theta = 1.0 / patience
    x, y = c / s / theta, lam / theta
    u = y * math.exp(-theta * t)
    p_v_gt = special.gammainc(x, u) / special.gammainc(x, y)  # P(V > t | wait)
    served_late = (x / y) * special.gammainc(x + 1, u) / special.gammainc(x, y)
    return p_v_gt, served_late


@pytest.mark.parametrize(
    ("c", "lam", "s", "patience"),
    [
        (14, 10 / 180, 180.0, 180.0),
        (10, 12 / 180, 180.0, 60.0),  # overloaded: only abandonment keeps it stable
        (3, 1.0, 2.0, 5.0),
        (50, 48 / 240, 240.0, 600.0),
    ],
)
def test_erlang_a_matches_birth_death_oracle(c: int, lam: float, s: float, patience: float) -> None:
    res = erlang_a(c, lam, s, patience)
    pi, p_wait, p_ab = _bd_oracle(c, lam, s, patience, n_max=c + 400)
    assert res.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert res.p_abandon == pytest.approx(p_ab, rel=1e-9)
    assert res.mean_wait == pytest.approx(p_ab * patience, rel=1e-9)
    for t in (0.0, 5.0, 20.0, 60.0):
        p_v_gt, served_late = _gmr_tails(c, lam, s, patience, t)
        all_sl = 1.0 - p_wait * p_v_gt * math.exp(-t / patience)
        offered_sl = (1.0 - p_ab) - p_wait * served_late
        assert res.service_level(t, "all") == pytest.approx(all_sl, rel=1e-9)
        assert res.service_level(t, "offered") == pytest.approx(offered_sl, rel=1e-9)
        assert res.service_level(t, "served") == pytest.approx(
            offered_sl / (1.0 - p_ab), rel=1e-9
        )


def test_erlang_a_served_wait_by_matrix_exponential() -> None:
    # A tagged customer meeting j waiting: absorbing CTMC over "k ahead",
    # killed by its own patience.  Integrate P(still waiting and alive) over
    # time via expm to get E[W 1{served}], independent of the digamma formula.
    c, lam, s, patience = 4, 1.5, 2.0, 3.0
    mu, theta = 1.0 / s, 1.0 / patience
    res = erlang_a(c, lam, s, patience)
    pi, _, _ = _bd_oracle(c, lam, s, patience, n_max=c + 200)
    total = 0.0
    for j in range(0, 60):
        m = j + 1  # phases: j ahead, ..., 0 ahead
        g = np.zeros((m, m))
        for k in range(m):  # phase k has (j - k) customers ahead
            ahead = j - k
            g[k, k] = -(c * mu + ahead * theta + theta)
            if k + 1 < m:
                g[k, k + 1] = c * mu + ahead * theta
        exit_served = np.zeros(m)
        exit_served[-1] = c * mu
        start = np.zeros(m)
        start[0] = 1.0
        # E[W 1{served}] = start (-G)^-2 exit_served for a phase-type killing.
        inv = linalg.inv(-g)
        total += pi[c + j] * start @ inv @ inv @ exit_served
    assert res.mean_wait_served * (1 - res.p_abandon) == pytest.approx(total, rel=1e-8)
    # Abandoned + served waits recombine to the overall mean wait.
    recombined = (
        res.mean_wait_served * (1 - res.p_abandon)
        + res.mean_wait_abandoned * res.p_abandon
    )
    assert recombined == pytest.approx(res.mean_wait, rel=1e-12)


def test_erlang_a_tends_to_erlang_c_for_long_patience() -> None:
    c, lam, s = 14, 10 / 180, 180.0
    ec = erlang_c_result(c, lam, s)
    res = erlang_a(c, lam, s, 1e9)
    assert res.p_wait == pytest.approx(ec.p_wait, rel=1e-6)
    assert res.mean_wait_served == pytest.approx(ec.mean_wait, rel=1e-6)
    assert res.service_level(20.0) == pytest.approx(ec.service_level(20.0), rel=1e-6)
    assert res.p_abandon < 1e-8
    inf = erlang_a(c, lam, s, math.inf)
    assert inf.p_wait == ec.p_wait and inf.p_abandon == 0.0
    assert inf.service_level(20.0, "offered") == ec.service_level(20.0)
    # Monotone approach: more patience -> more waiting, fewer abandonments.
    p_waits = [erlang_a(c, lam, s, p).p_wait for p in (30, 300, 3000, 30000)]
    assert p_waits == sorted(p_waits)


def test_erlang_a_tends_to_erlang_b_for_zero_patience() -> None:
    c, lam, s = 14, 12 / 180, 180.0
    res = erlang_a(c, lam, s, 1e-7)
    b = erlang_b(c, lam * s)
    assert res.p_wait == pytest.approx(b, rel=1e-6)
    assert res.p_abandon == pytest.approx(b, rel=1e-6)
    assert res.occupancy == pytest.approx(lam * s * (1 - b) / c, rel=1e-6)


def test_erlang_a_large_and_overloaded_is_robust() -> None:
    # 500 agents, 20 % overload, long patience: flow balance must hold:
    # served rate = c mu when nearly always full.
    res = erlang_a(500, 1.2 * 500 / 180, 180.0, 1800.0)
    assert res.p_wait == pytest.approx(1.0, abs=1e-9)
    assert res.occupancy == pytest.approx(1.0, abs=1e-6)
    assert res.p_abandon == pytest.approx(1 - 1 / 1.2, rel=1e-6)
    # Light load on many agents: nobody waits, no NaN.
    light = erlang_a(800, 0.5, 180.0, 120.0)
    assert light.p_wait < 1e-100 and light.service_level(20.0) == 1.0


def test_erlang_a_bad_input() -> None:
    with pytest.raises(ValueError):
        erlang_a(5, 1.0, 1.0, 0.0)
    with pytest.raises(ValueError):
        erlang_a(0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="unstable"):
        erlang_a(5, 6.0, 1.0, math.inf)
    with pytest.raises(ValueError, match="basis"):
        erlang_a(5, 1.0, 1.0, 1.0).service_level(1.0, "bogus")  # type: ignore[arg-type]


# ------------------------------------------------- abandoned-call bases
def _abandon_within_oracle(c: int, lam: float, s: float, patience: float, grace: float) -> float:
    """P(hang up within ``grace``) from a tagged caller's phase-type chain, integrated by expm.

    A caller meeting j waiting passes through "k ahead" phases (k = j..0) at
    rate c mu + k theta and hangs up from any phase at rate theta; the
    probability of hanging up by ``grace`` is the absorbed mass in an extra
    "hung up" state of the augmented generator, independent of the incomplete
    beta formula in ``simsla.analytic.abandonment``.
    """
    mu, theta = 1.0 / s, 1.0 / patience
    pi, _, _ = _bd_oracle(c, lam, s, patience, n_max=c + 200)
    total = 0.0
    for j in range(0, 60):  # queues beyond 60 carry < 1e-20 of the mass in these cases
        m = j + 1
        g = np.zeros((m + 2, m + 2))  # phases, served, hung up
        for k in range(m):
            ahead = j - k
            g[k, k + 1 if k + 1 < m else m] = c * mu + ahead * theta
            g[k, m + 1] = theta
            g[k, k] = -(c * mu + ahead * theta + theta)
        start = np.zeros(m + 2)
        start[0] = 1.0
        total += pi[c + j] * (start @ linalg.expm(g * grace))[m + 1]
    return total


@pytest.mark.parametrize(("c", "lam", "s", "patience"), [(3, 200 / 3600, 180.0, 120.0), (10, 12 / 180, 180.0, 60.0)])
def test_abandoned_bases_against_a_phase_type_oracle(c: int, lam: float, s: float, patience: float) -> None:
    res = erlang_a(c, lam, s, patience)
    for grace in (0.0, 5.0, 30.0, 120.0):
        within = _abandon_within_oracle(c, lam, s, patience, grace)
        assert res.p_abandon_within(grace) == pytest.approx(within, rel=1e-7, abs=1e-12)
        hit = res.service_level(20.0, "miss")
        assert res.service_level(20.0, "grace", grace) == pytest.approx(hit / (1.0 - within), rel=1e-7)
    assert res.p_abandon_within(1e7) == pytest.approx(res.p_abandon, rel=1e-9)
    # old names are aliases of the SLA rules
    assert res.service_level(20.0, "offered") == res.service_level(20.0, "miss")
    assert res.service_level(20.0, "served") == res.service_level(20.0, "exclude")
    # ordered: abandoned calls as misses <= some left out <= all left out
    m, g, e = (res.service_level(20.0, "miss"), res.service_level(20.0, "grace", 10.0),
               res.service_level(20.0, "exclude"))
    assert m < g < e


def test_abandoned_bases_agree_when_nobody_hangs_up_and_refuse_nonsense() -> None:
    ec = erlang_c_result(14, 10 / 180, 180.0)
    inf = erlang_a(14, 10 / 180, 180.0, math.inf)
    for basis, grace in (("miss", None), ("exclude", None), ("grace", 10.0)):
        assert inf.service_level(20.0, basis, grace) == ec.service_level(20.0)
    assert inf.p_abandon_within(10.0) == 0.0
    res = erlang_a(5, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="grace"):
        res.service_level(1.0, "grace")
    with pytest.raises(ValueError, match="grace"):
        res.service_level(1.0, "miss", 5.0)
