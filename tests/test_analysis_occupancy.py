"""Time-weighted integrals by bin, against a brute-force sum."""

from __future__ import annotations

import numpy as np

from simsla.analysis.occupancy import box_integral, step_integral


def _brute_step(times, levels, edges):
    fine = np.linspace(edges[0], edges[-1], 200_001)
    mid = (fine[:-1] + fine[1:]) / 2
    k = np.searchsorted(times, mid, side="right") - 1
    value = np.where(k >= 0, levels[np.clip(k, 0, None)], 0.0) * np.diff(fine)
    return np.array([value[(mid >= a) & (mid < b)].sum() for a, b in zip(edges[:-1], edges[1:])])


def test_step_integral_matches_brute_force():
    times = np.array([0.0, 3.5, 7.25, 12.0])
    levels = np.array([2.0, 5.0, 0.0, 1.0])
    edges = np.arange(0.0, 20.0, 1.0)
    assert np.allclose(step_integral(times, levels, edges), _brute_step(times, levels, edges), atol=1e-3)


def test_step_integral_before_the_first_step_is_zero():
    assert np.allclose(step_integral(np.array([5.0]), np.array([3.0]), np.array([0.0, 5.0, 10.0])), [0.0, 15.0])


def test_box_integral_counts_overlaps():
    start, end = np.array([0.0, 0.5, 2.0]), np.array([1.0, 3.0, 2.5])
    # bins [0,1): 1 + 0.5; [1,2): 1; [2,3): 1 + 0.5
    assert np.allclose(box_integral(start, end, np.array([0.0, 1.0, 2.0, 3.0])), [1.5, 1.0, 1.5])
