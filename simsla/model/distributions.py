"""Distributions as plain data.

A service level manager thinks "about 6 minutes, quite variable", so every
family can be written by ``mean`` and ``cv`` (coefficient of variation) as well
as by its textbook parameters.  The model only validates and normalises; the
engine turns a spec into a sampler (``simsla.engine.sampling``).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simsla.model.units import Duration, Number

Family = Literal["exponential", "lognormal", "gamma", "weibull", "deterministic", "empirical", "uniform"]


def _article(word: str) -> str:
    """'a' or 'an' for a family name, for error messages."""
    return "an" if word[0] in "aeio" else "a"


class Distribution(BaseModel):
    """A non-negative random duration.

    Examples (YAML)::

        {dist: exponential, mean: 3m}
        {dist: lognormal, mean: 6m, cv: 0.8}
        {dist: gamma, shape: 2, scale: 1h}
        {dist: weibull, mean: 4h, cv: 1.3}
        {dist: deterministic, value: 5m}
        {dist: uniform, low: 1m, high: 5m}
        {dist: empirical, samples: [30s, 2m, 4m, 11m]}
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dist: Family = Field(description="the family")
    mean: Duration | None = Field(None, description="mean duration")
    cv: Number | None = Field(None, ge=0, description="coefficient of variation (sd / mean)")
    sd: Duration | None = Field(None, description="standard deviation")
    shape: Number | None = Field(None, gt=0, description="shape (gamma, weibull)")
    scale: Duration | None = Field(None, description="scale (gamma, weibull)")
    mu: Number | None = Field(None, description="lognormal: mean of log(seconds)")
    sigma: Number | None = Field(None, gt=0, description="lognormal: sd of log(seconds)")
    value: Duration | None = Field(None, description="deterministic value")
    low: Duration | None = Field(None, description="uniform lower bound")
    high: Duration | None = Field(None, description="uniform upper bound")
    samples: tuple[Duration, ...] | None = Field(None, description="empirical: observed durations, resampled")

    @model_validator(mode="after")
    def _check(self) -> "Distribution":
        given = {k for k in ("mean", "cv", "sd", "shape", "scale", "mu", "sigma", "value", "low", "high", "samples")
                 if getattr(self, k) is not None}
        allowed = {
            "exponential": [{"mean"}],
            "lognormal": [{"mean", "cv"}, {"mean", "sd"}, {"mu", "sigma"}],
            "gamma": [{"mean", "cv"}, {"mean", "sd"}, {"shape", "scale"}],
            "weibull": [{"mean", "cv"}, {"shape", "scale"}],
            "deterministic": [{"value"}, {"mean"}],
            "uniform": [{"low", "high"}],
            "empirical": [{"samples"}],
        }[self.dist]
        if given not in allowed:
            forms = " or ".join("{" + ", ".join(sorted(a)) + "}" for a in allowed)
            article = _article(self.dist)
            raise ValueError(f"{article} {self.dist} distribution is written with {forms}; got {{{', '.join(sorted(given))}}}")
        if self.mean is not None and self.mean <= 0 and self.dist != "deterministic":
            raise ValueError(f"the mean of {_article(self.dist)} {self.dist} distribution must be positive")
        if self.cv is not None and self.cv <= 0:
            raise ValueError(f"cv must be positive for a {self.dist} distribution (use deterministic for cv = 0)")
        if self.dist == "uniform" and not (self.high > self.low):  # type: ignore[operator]
            raise ValueError("uniform needs high > low")
        if self.dist == "empirical" and len(self.samples or ()) == 0:
            raise ValueError("empirical needs at least one sample")
        if self.dist == "weibull" and self.cv is not None and not (0.05 <= self.cv <= 20):
            raise ValueError("weibull cv must lie between 0.05 and 20")
        return self

    # --- derived parameters (pure functions of the spec) -------------------------
    @property
    def coefficient_of_variation(self) -> float:
        """cv implied by the spec."""
        return math.sqrt(self.variance) / self.expected if self.expected > 0 else 0.0

    @property
    def expected(self) -> float:
        """The mean in seconds."""
        d = self.dist
        if self.mean is not None:
            return float(self.mean)
        if d == "lognormal":
            return math.exp(self.mu + self.sigma**2 / 2)  # type: ignore[operator]
        if d == "gamma":
            return self.shape * self.scale  # type: ignore[operator]
        if d == "weibull":
            return self.scale * math.gamma(1 + 1 / self.shape)  # type: ignore[operator]
        if d == "deterministic":
            return float(self.value)  # type: ignore[arg-type]
        if d == "uniform":
            return (self.low + self.high) / 2  # type: ignore[operator]
        return float(np.mean(self.samples))

    @property
    def variance(self) -> float:
        """The variance in seconds squared."""
        d, m = self.dist, self.expected
        if d == "exponential":
            return m * m
        if d == "deterministic":
            return 0.0
        if d == "uniform":
            return (self.high - self.low) ** 2 / 12  # type: ignore[operator]
        if d == "empirical":
            return float(np.var(self.samples))
        if self.sd is not None:
            return float(self.sd) ** 2
        if self.cv is not None:
            return (self.cv * m) ** 2
        if d == "lognormal":
            return (math.exp(self.sigma**2) - 1) * m * m  # type: ignore[operator]
        if d == "gamma":
            return self.shape * self.scale**2  # type: ignore[operator]
        k, lam = self.shape, self.scale  # weibull
        return lam**2 * (math.gamma(1 + 2 / k) - math.gamma(1 + 1 / k) ** 2)  # type: ignore[operator]

    def lognormal_params(self) -> tuple[float, float]:
        """(mu, sigma) of log(seconds)."""
        if self.mu is not None:
            return float(self.mu), float(self.sigma)  # type: ignore[arg-type]
        m, cv2 = self.expected, self.variance / self.expected**2
        sigma2 = math.log1p(cv2)
        return math.log(m) - sigma2 / 2, math.sqrt(sigma2)

    def gamma_params(self) -> tuple[float, float]:
        """(shape, scale)."""
        if self.shape is not None:
            return float(self.shape), float(self.scale)  # type: ignore[arg-type]
        m, v = self.expected, self.variance
        return m * m / v, v / m

    def weibull_params(self) -> tuple[float, float]:
        """(shape k, scale lambda); from mean and cv by solving for k."""
        if self.shape is not None:
            return float(self.shape), float(self.scale)  # type: ignore[arg-type]
        from scipy import optimize, special  # only weibull-by-mean-and-cv needs it; scipy is a heavy import

        cv = self.cv  # validated in (0.05, 20)

        def gap(k: float) -> float:
            g1, g2 = special.gamma(1 + 1 / k), special.gamma(1 + 2 / k)
            return math.sqrt(g2 / g1**2 - 1) - cv  # type: ignore[operator]

        k = optimize.brentq(gap, 0.05, 100.0)
        return k, self.expected / special.gamma(1 + 1 / k)
