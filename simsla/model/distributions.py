"""Distributions as plain data.

A service level manager thinks "about 6 minutes, quite variable", so every
family can be written by ``mean`` and ``cv`` (coefficient of variation) as well
as by its textbook parameters.  The model only validates and normalises; the
engine turns a spec into a sampler (``simsla.engine.sampling``).

Ranges (``docs/scenarios.md``, "Ranges"): every family's mean, given or
implied by its textbook parameters, lies between ``MIN_MEAN`` (1 ms) and
``MAX_MEAN`` (10 years); lognormal, gamma and weibull have a cv between
``MIN_CV`` and ``MAX_CV``; every duration written in a spec is at most
``MAX_MEAN``.  Inside these bounds sampling gives finite, non-negative values
with a finite mean; outside them it overflows (weibull shape 0.001 has a mean
of about 10^2568 times its scale) or degenerates (gamma shape 1e-300 draws
only zeros).  The checks work in log space so that the extreme values they
refuse cannot overflow while being checked.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simsla.model.units import Duration, Number, format_duration

#: the largest mean (and any duration written in a spec), seconds: 10 years; a longer one means "never"
MAX_MEAN = 10 * 365 * 86400.0
#: the smallest mean of a random (non-deterministic) duration, seconds: 1 ms
MIN_MEAN = 1e-3
#: the cv range of lognormal, gamma and weibull: gamma shape 1/cv^2 stays within [1/400, 10^4],
#: lognormal sigma within [0.01, 2.45], weibull shape within [0.19, 128]
MIN_CV, MAX_CV = 0.01, 20.0
MEAN_RANGE_TEXT = "between 1ms and 3650d (10 years)"
CV_RANGE_TEXT = f"between {MIN_CV:g} and {MAX_CV:g}"

Family = Literal["exponential", "lognormal", "gamma", "weibull", "deterministic", "empirical", "uniform"]


def _square(x: float) -> float:
    """x * x, infinite where it would overflow (Python floats raise instead)."""
    return x * x if abs(x) < 1e150 else math.inf


def _seconds_text(log_seconds: float) -> str:
    """e^log_seconds seconds as text, also where the number itself would overflow."""
    if log_seconds < 700:
        return f"{math.exp(log_seconds):.3g} s"
    return f"about 10^{log_seconds / math.log(10):.0f} s" if math.isfinite(log_seconds) else "infinite"


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
        self._check_ranges()
        return self

    def _check_ranges(self) -> None:
        """Refuse specs whose draws or moments would overflow or degenerate (see the module docstring)."""
        for field in ("mean", "sd", "scale", "value", "low", "high"):
            value = getattr(self, field)
            if value is not None and value > MAX_MEAN:
                raise ValueError(f"{field} {format_duration(value)} is longer than 3650d (10 years), the longest duration a "
                                 "distribution may have (it would mean 'never' within any horizon)")
        if self.samples is not None and max(self.samples) > MAX_MEAN:
            raise ValueError(f"a sample of {format_duration(max(self.samples))} is longer than 3650d (10 years), the longest "
                             "duration a distribution may have")
        if self.dist in ("deterministic", "uniform", "empirical"):
            return  # bounded by their values, checked above
        log_mean, log1p_cv2 = self._log_moments()
        name = f"{_article(self.dist)} {self.dist} distribution"
        how = "" if self.mean is not None else f" (implied by {self._form()})"
        if not log_mean >= math.log(MIN_MEAN):  # `not >=` also catches NaN
            raise ValueError(f"the mean of {name}{how} must be positive and at least 1ms; "
                             f"means lie {MEAN_RANGE_TEXT}")
        if not log_mean <= math.log(MAX_MEAN):
            raise ValueError(f"the mean of {name}{how} is {_seconds_text(log_mean)}, longer than 3650d (10 years); "
                             f"means lie {MEAN_RANGE_TEXT} (beyond, sampled times overflow or mean 'never')")
        if self.dist == "exponential":
            return
        if not math.log1p(MIN_CV**2) <= log1p_cv2 <= math.log1p(MAX_CV**2):
            cv = self.cv if self.cv is not None else math.sqrt(math.expm1(log1p_cv2)) if log1p_cv2 < 700 else math.inf
            raise ValueError(f"the cv of {name}{how} is {cv:.3g}; it must lie {CV_RANGE_TEXT} (a larger cv makes "
                             "sampled times overflow or nearly all zero, a smaller one needs dist: deterministic)")

    def _form(self) -> str:
        given = [k for k in ("mean", "cv", "sd", "shape", "scale", "mu", "sigma") if getattr(self, k) is not None]
        return ", ".join(f"{k} {getattr(self, k):g}" for k in given)

    def _log_moments(self) -> tuple[float, float]:
        """(log of the mean in seconds, log(1 + cv^2)) without overflow, for the range checks."""
        d = self.dist
        if self.mean is not None:
            m = float(self.mean)
            log_mean = math.log(m) if m > 0 else -math.inf
            cv = float(self.cv) if self.cv is not None else float(self.sd) / m if self.sd is not None and m > 0 else None
            if cv is not None:
                return log_mean, math.log1p(_square(cv))
            if self.sd is not None:
                return log_mean, math.inf
            return log_mean, math.log(2.0)  # exponential: cv 1
        if d == "lognormal":
            s2 = _square(float(self.sigma))  # type: ignore[arg-type]
            return float(self.mu) + s2 / 2, s2  # type: ignore[arg-type]
        k = float(self.shape)  # type: ignore[arg-type]
        scale = float(self.scale)  # type: ignore[arg-type]
        log_scale = math.log(scale) if scale > 0 else -math.inf
        if d == "gamma":
            return math.log(k) + log_scale, math.log1p(1 / k) if k > 1e-300 else math.inf
        # weibull: mean scale * G(1 + 1/k), 1 + cv^2 = G(1 + 2/k) / G(1 + 1/k)^2
        if 1 / k > 1e300:
            return math.inf, math.inf
        g1, g2 = math.lgamma(1 + 1 / k), math.lgamma(1 + 2 / k)
        return log_scale + g1, g2 - 2 * g1

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

        cv = self.cv  # validated in [MIN_CV, MAX_CV]: k lies in [0.19, 128], inside the bracket

        def gap(k: float) -> float:
            g1, g2 = special.gamma(1 + 1 / k), special.gamma(1 + 2 / k)
            return math.sqrt(g2 / g1**2 - 1) - cv  # type: ignore[operator]

        k = optimize.brentq(gap, 0.05, 200.0)
        return k, self.expected / special.gamma(1 + 1 / k)
