"""Open Jackson networks."""

from __future__ import annotations

import numpy as np
import pytest

from simsla.analytic import erlang_c_result, jackson_network, mm1_mean_sojourn, tandem


def test_tandem_of_two_mm1() -> None:
    lam, s1, s2 = 0.5, 1.0, 1.5
    res = tandem(lam, [1, 1], [s1, s2])
    expected = 1 / (1 / s1 - lam) + 1 / (1 / s2 - lam)
    assert res.mean_time_in_system == pytest.approx(expected, rel=1e-12)
    assert res.throughput == pytest.approx([lam, lam])


def test_tandem_mmc_is_sum_of_sojourns() -> None:
    res = tandem(0.2, [55, 3], [240.0, 10.0])
    expected = erlang_c_result(55, 0.2, 240.0).mean_wait + 240.0
    expected += erlang_c_result(3, 0.2, 10.0).mean_wait + 10.0
    assert res.mean_time_in_system == pytest.approx(expected, rel=1e-12)


def test_feedback_queue() -> None:
    # M/M/1 with Bernoulli feedback p: throughput lam/(1-p); visits 1/(1-p);
    # total time = visits * 1/(mu - lam_total).
    lam, p, s = 0.2, 0.5, 1.0
    res = jackson_network([lam], [[p]], [1], [s])
    total = lam / (1 - p)
    assert res.throughput[0] == pytest.approx(total)
    assert res.mean_time_in_system == pytest.approx(
        (1 / (1 - p)) * mm1_mean_sojourn(total, s)
    )


def test_escalation_network_traffic_and_little() -> None:
    # Desk -> 2nd line (30 %) -> supplier (20 % of 2nd line); 10 % of the
    # 2nd line's work comes back to the desk.
    gamma = [1.0, 0.0, 0.0]
    routing = np.array([[0.0, 0.3, 0.0], [0.1, 0.0, 0.2], [0.0, 0.0, 0.0]])
    res = jackson_network(gamma, routing, [5, 3, 1], [4.0, 6.0, 2.0])
    lam = res.throughput
    assert lam == pytest.approx(gamma + routing.T @ lam)
    assert res.mean_time_in_system == pytest.approx(np.dot(res.visits, res.mean_sojourn))


def test_jackson_errors() -> None:
    with pytest.raises(ValueError, match="node 0"):
        tandem(1.0, [1, 1], [1.0, 0.5])
    with pytest.raises(ValueError, match="closed loop"):
        jackson_network([1.0, 0.0], [[0.0, 1.0], [1.0, 0.0]], [1, 1], [0.1, 0.1])
    with pytest.raises(ValueError, match="row sums"):
        jackson_network([1.0], [[1.2]], [1], [0.1])
