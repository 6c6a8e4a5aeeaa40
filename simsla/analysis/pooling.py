"""Figures pooled over replications, one replication at a time.

Every metric of the summary and the evaluation is computed as a
*per-replication reduction* (counts, sums, small tables) and a *combine*
step over the replications' reductions, so that the same code serves
results held in memory (``TicketLog.by_replication`` slices them) and results
streamed to disk one replication at a time (``simsla.experiment.streaming``):
the numbers are the same whichever way the replications arrive.

One figure is not a sum: a quantile of values pooled over all replications
(a group's 90th-percentile wait over every visit of every replication).
``PooledQuantile`` finds it exactly, the value ``numpy.quantile`` (linear
method) would give on the pooled values, without ever holding them: values
are ranked by their float64 bit pattern, 16 bits at a time (a radix
selection), each pass over the replications narrowing the range the wanted
ranks lie in, until the few values left there are gathered and sorted.  The
first pass is a histogram that each replication's reduction carries; a
second pass (rarely a third) re-reads the values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

#: bits of the float64 key ranked per pass
_BITS = 16
#: values gathered and sorted at once at most (8 MB of float64)
_GATHER = 1 << 20
_SIGN = np.uint64(1 << 63)


# ------------------------------------------------------------------ exact pooled quantiles
def _keys(values: np.ndarray) -> np.ndarray:
    """Unsigned keys that sort like the float64 values (negative values reversed, above them the rest)."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    return np.where(bits & _SIGN, ~bits, bits | _SIGN)


def _value(key: int) -> float:
    """The float64 of a key (the inverse of ``_keys``)."""
    k = np.uint64(key)
    bits = k & ~_SIGN if k & _SIGN else ~k
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])


def key_histogram(values: np.ndarray) -> dict[int, int]:
    """The first pass of ``PooledQuantile`` over one replication: counts per top 16 bits of the key (sparse)."""
    if len(values) == 0:
        return {}
    top, counts = np.unique(_keys(values) >> np.uint64(64 - _BITS), return_counts=True)
    return dict(zip(top.tolist(), counts.tolist()))


def add_histograms(histograms: Iterable[dict[int, int]]) -> dict[int, int]:
    """The histograms of several replications as one."""
    total: dict[int, int] = {}
    for h in histograms:
        for k, c in h.items():
            total[k] = total.get(k, 0) + c
    return total


class _Rank:
    """The search for the value of one rank (0-based) in the pooled values: a key prefix narrowed pass by pass."""

    def __init__(self, rank: int, histogram: dict[int, int]):
        self.rank = rank
        self.level = 1  # bits known: 16 * level
        self.prefix, self.below, self.count = self._pick(histogram, 0)
        self.value: float | None = None
        self._settle()

    def _pick(self, histogram: dict[int, int], below: int) -> tuple[int, int, int]:
        for k in sorted(histogram):
            c = histogram[k]
            if below + c > self.rank:
                return k, below, c
            below += c
        raise ValueError("rank beyond the pooled values")

    def _settle(self) -> None:
        if self.level * _BITS >= 64:  # every bit known: all values in the range are this one
            self.value = _value(self.prefix)

    @property
    def gathers(self) -> bool:
        """The next pass collects the values in range (few enough) rather than counting them."""
        return self.count <= _GATHER

    def feed(self, keys: np.ndarray, found: list) -> None:
        shift = np.uint64(64 - _BITS * self.level)
        mine = keys[(keys >> shift) == np.uint64(self.prefix)]
        if self.gathers:
            found.append(mine)
        else:  # too many to gather yet: count them by their next 16 bits
            low = (mine >> np.uint64(64 - _BITS * (self.level + 1))) & np.uint64((1 << _BITS) - 1)
            found.append(np.unique(low, return_counts=True))

    def finish(self, found: list) -> None:
        if self.gathers:
            keys = np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.uint64)
            self.value = _value(int(keys[self.rank - self.below]))
            return
        histogram: dict[int, int] = {}
        for low, counts in found:
            for k, c in zip(low.tolist(), counts.tolist()):
                histogram[k] = histogram.get(k, 0) + c
        low, self.below, self.count = self._pick(histogram, self.below)
        self.prefix = (self.prefix << _BITS) | low
        self.level += 1
        self._settle()


def pooled_quantile(histogram: dict[int, int], q: float,
                    passes: Callable[[], Iterable[np.ndarray]]) -> float | None:
    """``numpy.quantile(pooled, q)`` (linear method), exactly, of values seen one replication at a time.

    Parameters
    ----------
    histogram
        ``add_histograms`` of every replication's ``key_histogram`` (the first pass).
    q
        the quantile, in [0, 1].
    passes
        called once per further pass; iterates the values again, one array
        per replication (any order, the same values each time).

    Returns
    -------
    float or None
        None when there are no values.
    """
    n = sum(histogram.values())
    if n == 0:
        return None
    h = (n - 1) * np.float64(q)  # as numpy's linear method computes the virtual index
    k = int(math.floor(h))
    ranks = [_Rank(k, histogram), _Rank(min(k + 1, n - 1), histogram)]
    while any(r.value is None for r in ranks):
        open_ = [r for r in ranks if r.value is None]
        found: list[list] = [[] for _ in open_]
        for values in passes():
            keys = _keys(np.asarray(values, dtype=np.float64))
            for r, f in zip(open_, found):
                r.feed(keys, f)
        for r, f in zip(open_, found):
            r.finish(f)
    a, b = np.float64(ranks[0].value), np.float64(ranks[1].value)
    gamma = h - k
    # numpy's _lerp, so that the result is numpy's to the last bit
    return float(b - (b - a) * (1 - gamma)) if gamma >= 0.5 else float(a + (b - a) * gamma)

