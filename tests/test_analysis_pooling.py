"""simsla.analysis.pooling: exact pooled quantiles; figures that come out the same one replication at a time."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from simsla.analysis import pooling
from simsla.analysis.pooling import add_histograms, key_histogram, pooled_quantile


def _samples(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    if kind == "waits":  # most callers answered at once: a heap of exact zeros, then a long tail
        return np.where(rng.random(n) < 0.6, 0.0, rng.exponential(30.0, n))
    if kind == "signed":
        return rng.normal(0.0, 5.0, n)
    if kind == "ties":  # whole seconds: many equal values around every rank
        return np.round(rng.exponential(3.0, n))
    return rng.exponential(30.0, n)


def _pooled(chunks: list[np.ndarray], q: float) -> float | None:
    return pooled_quantile(add_histograms(key_histogram(c) for c in chunks), q, lambda: iter(chunks))


@pytest.mark.parametrize("kind", ["waits", "signed", "ties", "smooth"])
@pytest.mark.parametrize("q", [0.0, 0.37, 0.5, 0.9, 1.0])
def test_the_pooled_quantile_is_numpys_to_the_last_bit(kind, q):
    rng = np.random.default_rng(zlib.crc32(f"{kind} {q}".encode()))  # the same draws on every run
    for _ in range(20):
        chunks = [_samples(rng, kind, int(rng.integers(0, 400))) for _ in range(int(rng.integers(1, 6)))]
        pooled = np.concatenate(chunks)
        if len(pooled) == 0:
            assert _pooled(chunks, q) is None
            continue
        assert _pooled(chunks, q) == float(np.quantile(pooled, q))


@pytest.mark.parametrize("kind", ["waits", "ties", "smooth"])
def test_narrowing_pass_by_pass_gives_the_same_value(kind, monkeypatch):
    # with room for only a handful of values per gather, the search narrows 16 bits at a time down to
    # the last bit (ties included) before it gathers: the answer must not change
    monkeypatch.setattr(pooling, "_GATHER", 3)
    rng = np.random.default_rng(7)
    chunks = [_samples(rng, kind, 3000) for _ in range(4)]
    for q in (0.1, 0.5, 0.9, 0.99):
        assert _pooled(chunks, q) == float(np.quantile(np.concatenate(chunks), q))


def test_the_passes_see_the_values_again_and_never_all_at_once():
    rng = np.random.default_rng(3)
    chunks = [rng.exponential(30.0, 5000) for _ in range(6)]
    calls = []

    def passes():
        calls.append(1)
        return iter(chunks)

    value = pooled_quantile(add_histograms(key_histogram(c) for c in chunks), 0.9, passes)
    assert value == float(np.quantile(np.concatenate(chunks), 0.9))
    assert 1 <= len(calls) <= 3  # a histogram pass (in the reductions) and one or two more
