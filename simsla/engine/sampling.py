"""Turn distribution specs into fast samplers.

Drawing one number at a time from numpy costs about a microsecond of call
overhead; a ``Buffer`` draws blocks and hands them out one by one, so the
per-ticket cost in the engine is a list index.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simsla.model.distributions import Distribution

Sampler = Callable[[np.random.Generator, int], np.ndarray]


def sampler(spec: Distribution) -> Sampler:
    """A function ``(rng, n) -> n draws`` (seconds) for a distribution spec."""
    d = spec.dist
    if d == "exponential":
        mean = spec.expected
        return lambda rng, n: rng.exponential(mean, n)
    if d == "lognormal":
        mu, sigma = spec.lognormal_params()
        return lambda rng, n: rng.lognormal(mu, sigma, n)
    if d == "gamma":
        shape, scale = spec.gamma_params()
        return lambda rng, n: rng.gamma(shape, scale, n)
    if d == "weibull":
        k, lam = spec.weibull_params()
        return lambda rng, n: lam * rng.weibull(k, n)
    if d == "deterministic":
        value = spec.expected
        return lambda rng, n: np.full(n, value)
    if d == "uniform":
        low, high = float(spec.low), float(spec.high)  # type: ignore[arg-type]
        return lambda rng, n: rng.uniform(low, high, n)
    samples = np.asarray(spec.samples, dtype=float)
    return lambda rng, n: rng.choice(samples, n)


class Buffer:
    """Hands out draws one at a time from blocks drawn in advance."""

    __slots__ = ("_draw", "_rng", "_block", "_values", "_next")

    def __init__(self, draw: Sampler, rng: np.random.Generator, block: int = 1024):
        self._draw, self._rng, self._block = draw, rng, block
        self._values: list[float] = []
        self._next = 0

    def __call__(self) -> float:
        if self._next >= len(self._values):
            self._values = self._draw(self._rng, self._block).tolist()
            self._next = 0
        value = self._values[self._next]
        self._next += 1
        return value
