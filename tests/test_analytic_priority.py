"""Cobham priority formulas, P-K and M/M/1 helpers."""

from __future__ import annotations

import numpy as np
import pytest

from simsla.analytic import (
    erlang_c_result,
    mg1_mean_sojourn,
    mg1_mean_wait,
    mm1_mean_number,
    mm1_mean_sojourn,
    mm1_mean_wait,
    mm1_service_level,
    priority_mg1_nonpreemptive,
    priority_mg1_preemptive_resume,
    priority_mmc_nonpreemptive,
    service_second_moment,
)


def test_mmc_priority_single_class_is_erlang_c() -> None:
    res = priority_mmc_nonpreemptive(55, [0.2], 240.0)
    assert res.mean_wait[0] == pytest.approx(erlang_c_result(55, 0.2, 240.0).mean_wait)


def test_mmc_priority_conservation_law() -> None:
    # Equal service rates: the arrival-weighted mean wait over classes equals
    # the FCFS M/M/c mean wait (work conservation).
    rates = np.array([0.02, 0.05, 0.08, 0.04])
    res = priority_mmc_nonpreemptive(40, rates, 200.0)
    fcfs = erlang_c_result(40, rates.sum(), 200.0).mean_wait
    assert np.dot(rates, res.mean_wait) / rates.sum() == pytest.approx(fcfs, rel=1e-12)
    assert res.overall_mean_wait() == pytest.approx(fcfs, rel=1e-12)
    assert np.all(np.diff(res.mean_wait) > 0)  # lower priority waits longer
    assert res.mean_sojourn == pytest.approx(res.mean_wait + 200.0)


def test_mmc_priority_hand_computed_two_classes() -> None:
    # c = 2, mu = 1, lambda = (0.5, 0.5): a = 1, C(2, 1) = 1/3.
    res = priority_mmc_nonpreemptive(2, [0.5, 0.5], 1.0)
    r = (1 / 3) / 2.0
    assert res.mean_wait == pytest.approx([r / (1 * 0.75), r / (0.75 * 0.5)])


def test_mmc_priority_unstable_raises() -> None:
    with pytest.raises(ValueError, match="unstable"):
        priority_mmc_nonpreemptive(2, [1.0, 1.0], 1.0)


def test_mg1_nonpreemptive_single_class_is_pk() -> None:
    res = priority_mg1_nonpreemptive([0.6], 1.0, cvs=0.5)
    assert res.mean_wait[0] == pytest.approx(mg1_mean_wait(0.6, 1.0, cv=0.5))


def test_mg1_nonpreemptive_conservation_with_equal_service() -> None:
    rates = np.array([0.1, 0.2, 0.3])
    res = priority_mg1_nonpreemptive(rates, 1.2, second_moments=3.0)
    fcfs = mg1_mean_wait(rates.sum(), 1.2, second_moment=3.0)
    assert res.overall_mean_wait() == pytest.approx(fcfs, rel=1e-12)


def test_mg1_nonpreemptive_kleinrock_conservation_unequal_service() -> None:
    # Kleinrock: sum rho_k W_k = rho R / (1 - rho) for any work-conserving
    # non-preemptive discipline.
    rates = np.array([0.2, 0.1, 0.15])
    means = np.array([1.0, 2.0, 0.5])
    m2 = np.array([2.0, 10.0, 0.4])
    res = priority_mg1_nonpreemptive(rates, means, second_moments=m2)
    rho = rates * means
    residual = np.dot(rates, m2) / 2
    assert np.dot(rho, res.mean_wait) == pytest.approx(
        rho.sum() * residual / (1 - rho.sum()), rel=1e-12
    )


def test_mm1_preemptive_resume() -> None:
    # Class 0 sees an M/M/1 of its own; single class = FCFS M/M/1.
    rates = np.array([0.3, 0.4])
    res = priority_mg1_preemptive_resume(rates, 1.0, cvs=1.0)
    assert res.mean_sojourn[0] == pytest.approx(mm1_mean_sojourn(0.3, 1.0))
    # Exponential, equal rates: number in system as in FCFS, so the
    # arrival-weighted sojourn equals 1 / (mu - lambda).
    assert np.dot(rates, res.mean_sojourn) / rates.sum() == pytest.approx(
        mm1_mean_sojourn(0.7, 1.0), rel=1e-12
    )
    # Textbook form for class 1: (1/mu)/(1-s0) + R1/((1-s0)(1-s1)).
    expected = 1.0 / 0.7 + (0.7 * 2.0 / 2) / (0.7 * 0.3)
    assert res.mean_sojourn[1] == pytest.approx(expected)
    single = priority_mg1_preemptive_resume([0.5], 2.0 / 3, cvs=0.0)
    assert single.mean_sojourn[0] == pytest.approx(mg1_mean_sojourn(0.5, 2.0 / 3, cv=0.0))


def test_pk_and_mm1_helpers() -> None:
    assert service_second_moment(2.0, 1.0) == 8.0
    assert mg1_mean_wait(0.5, 1.0, cv=1.0) == pytest.approx(mm1_mean_wait(0.5, 1.0))
    assert mg1_mean_wait(0.5, 1.0, cv=0.0) == pytest.approx(0.5)  # M/D/1 is half M/M/1
    assert mm1_mean_wait(0.5, 1.0) == pytest.approx(1.0)
    assert mm1_mean_number(0.75, 1.0) == pytest.approx(3.0)
    # M/M/1 = M/M/c with one server.
    assert mm1_service_level(0.5, 1.0, 2.0) == pytest.approx(
        erlang_c_result(1, 0.5, 1.0).service_level(2.0)
    )
    with pytest.raises(ValueError):
        mg1_mean_wait(1.0, 1.0, cv=1.0)
    with pytest.raises(ValueError):
        mg1_mean_wait(0.5, 1.0)  # neither cv nor second moment
    with pytest.raises(ValueError):
        mg1_mean_wait(0.5, 1.0, second_moment=0.5)  # below E[S]^2
    with pytest.raises(ValueError):
        priority_mg1_nonpreemptive([0.5, 0.6], 1.0, cvs=1.0)
