"""Square-root staffing and Erlang calculators."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simsla.analytic import (
    erlang_a,
    erlang_c_result,
    interval_requirement,
    service_level_for_staff,
    sqrt_staffing,
    staff_for_service_level,
)


def _brute_force_c(lam: float, s: float, t: float, target: float) -> int:
    c = 1
    while lam * s >= c or erlang_c_result(c, lam, s).service_level(t) < target:
        c += 1
    return c


def test_sqrt_staffing() -> None:
    assert sqrt_staffing(100.0, 1.0) == 110
    assert sqrt_staffing(100.0, 0.5) == 105
    assert sqrt_staffing(10.0, 0.0) == 10
    assert sqrt_staffing(0.0, 2.0) == 0


def test_standard_calculator_example_100_calls_per_hour() -> None:
    # 100 calls/h, AHT 180 s -> 5 Erlang; 80 % within 20 s needs 8 agents
    # (SL 88.0 %, P(wait) 16.7 %); 7 agents give only 74.0 %.
    lam = 100 / 3600
    c = staff_for_service_level(lam, 180.0, 20.0, 0.8)
    assert c == 8
    assert round(service_level_for_staff(8, lam, 180.0, 20.0), 3) == 0.880
    assert round(service_level_for_staff(7, lam, 180.0, 20.0), 3) == 0.740
    assert c == _brute_force_c(lam, 180.0, 20.0, 0.8)


def test_published_examples_reproduced_by_staffing() -> None:
    # 14 agents at 10 Erlang give 88.84 % in 20 s.
    assert staff_for_service_level(10 / 180, 180.0, 20.0, 0.85) <= 14
    assert service_level_for_staff(14, 10 / 180, 180.0, 20.0) == pytest.approx(0.8884, abs=5e-5)
    # 55 agents give 84.59 % in 15 s (0.84588, so a 0.8459 target needs 56).
    assert staff_for_service_level(0.2, 240.0, 15.0, 0.845) == 55
    assert staff_for_service_level(0.2, 240.0, 15.0, 0.8459) == 56


def test_staffing_matches_brute_force_large_loads() -> None:
    for lam in (0.5, 1.3, 2.7):
        assert staff_for_service_level(lam, 240.0, 20.0, 0.9) == _brute_force_c(
            lam, 240.0, 20.0, 0.9
        )


def test_service_level_for_staff_unstable_and_empty() -> None:
    assert service_level_for_staff(5, 1.0, 6.0, 20.0) == 0.0
    assert service_level_for_staff(0, 0.0, 6.0, 20.0) == 1.0
    assert staff_for_service_level(0.0, 180.0, 20.0, 0.8) == 0


def test_erlang_a_staffing_is_minimal_and_needs_fewer_agents() -> None:
    lam, s, patience = 200 / 3600, 180.0, 120.0
    c = staff_for_service_level(lam, s, 20.0, 0.8, mean_patience=patience)
    assert service_level_for_staff(c, lam, s, 20.0, mean_patience=patience) >= 0.8
    assert service_level_for_staff(c - 1, lam, s, 20.0, mean_patience=patience) < 0.8
    assert c <= staff_for_service_level(lam, s, 20.0, 0.8)
    # An abandonment cap can only raise the requirement.
    c_ab = staff_for_service_level(
        lam, s, 20.0, 0.8, mean_patience=patience, max_abandon=0.005
    )
    assert c_ab >= c
    assert erlang_a(c_ab, lam, s, patience).p_abandon <= 0.005
    assert erlang_a(c_ab - 1, lam, s, patience).p_abandon > 0.005 or (
        erlang_a(c_ab - 1, lam, s, patience).service_level(20.0) < 0.8
    )


def test_erlang_a_staffing_overloaded_large() -> None:
    c = staff_for_service_level(3.0, 180.0, 20.0, 0.8, mean_patience=300.0, basis="offered")
    assert erlang_a(c, 3.0, 180.0, 300.0).service_level(20.0, "offered") >= 0.8
    assert erlang_a(c - 1, 3.0, 180.0, 300.0).service_level(20.0, "offered") < 0.8


def test_interval_requirement_matches_per_interval_staffing() -> None:
    # A weekly profile in quarter hours: day-shaped rates, nights empty.
    t = np.arange(7 * 96)
    hour = (t % 96) / 4
    rates = np.where((hour >= 8) & (hour < 18), 0.02 + 0.03 * np.sin(np.pi * (hour - 8) / 10), 0.0)
    rates = np.round(rates, 4)
    req = interval_requirement(rates, 240.0, 20.0, 0.8)
    assert req.shape == rates.shape and req.dtype.kind == "i"
    for r, n in zip(rates[:96], req[:96]):
        assert n == staff_for_service_level(float(r), 240.0, 20.0, 0.8)
    assert np.all(req[rates == 0] == 0)
    assert np.array_equal(req[:96], req[96:192])  # same day profile, same answer

    req_a = interval_requirement(rates[30:40], 240.0, 20.0, 0.8, patience=180.0)
    for r, n in zip(rates[30:40], req_a):
        assert n == staff_for_service_level(float(r), 240.0, 20.0, 0.8, mean_patience=180.0)


def test_staffing_errors() -> None:
    with pytest.raises(ValueError):
        staff_for_service_level(1.0, 180.0, 20.0, 1.0)
    with pytest.raises(ValueError, match="patience"):
        staff_for_service_level(1.0, 180.0, 20.0, 0.8, max_abandon=0.05)
    with pytest.raises(ValueError):
        interval_requirement([1.0, -1.0], 180.0, 20.0, 0.8)
    assert math.isfinite(sqrt_staffing(1e6, 2.0))
