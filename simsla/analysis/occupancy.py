"""Time-weighted quantities from intervals: busy agents, queue lengths, staff.

All functions take whole columns and bin edges and return per-bin integrals
in O((n + bins) log n): the integral of a sum of boxes up to x is
sum(min(x, end_i)) - sum(min(x, start_i)), and sum(min(x, a_i)) is a prefix
sum over the sorted a_i.
"""

from __future__ import annotations

import numpy as np


def _sum_min(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sum_i min(x, values_i) for every x."""
    v = np.sort(values)
    prefix = np.concatenate([[0.0], np.cumsum(v)])
    k = np.searchsorted(v, x, side="left")
    return prefix[k] + x * (len(v) - k)


def box_integral(start: np.ndarray, end: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Integral over each bin [edges[i], edges[i+1]) of the number of open boxes [start, end).

    Used for busy agent-seconds per hour (boxes = work segments) and waiting
    ticket-seconds per hour (boxes = queue waits).
    """
    start = np.asarray(start, dtype=float)
    end = np.asarray(end, dtype=float)
    cum = _sum_min(end, edges) - _sum_min(start, edges)
    return np.diff(cum)


def step_integral(times: np.ndarray, levels: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Integral over each bin of a step function (``levels[i]`` from ``times[i]`` on; 0 before ``times[0]``)."""
    times = np.asarray(times, dtype=float)
    levels = np.asarray(levels, dtype=float)
    edges = np.asarray(edges, dtype=float)
    # integral from times[0] up to each step start, then the current level's part up to x
    at_steps = np.concatenate([[0.0], np.cumsum(np.diff(times) * levels[:-1])])
    k = np.searchsorted(times, edges, side="right") - 1
    inside = k >= 0
    kk = np.clip(k, 0, len(times) - 1)
    cum = np.where(inside, at_steps[kk] + levels[kk] * (edges - times[kk]), 0.0)
    return np.diff(cum)
