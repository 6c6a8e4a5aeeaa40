"""Fitting duration distributions by maximum likelihood, choosing the family by AIC.

Candidates: lognormal, gamma, weibull, exponential (all with location 0),
fitted with ``scipy.stats`` MLE (``dist.fit(data, floc=0)``; censored data via
``scipy.stats.CensoredData``).  The criterion is the AIC (2k - 2 log L): the
family with the lowest AIC *whose spec the scenario model accepts* is chosen
(docs/scenarios.md, "Ranges": weibull shape 0.19 .. 128, cv 0.01 .. 20, means
1 ms .. 10 years); if none is, the best is written as a lognormal with its
mean and cv clamped into those ranges, so a fitted scenario always loads.  The
chosen fit's goodness of fit is tested (Kolmogorov-Smirnov against the fitted
distribution; ``gof_p``): a p-value under ``GOF_ALPHA`` is flagged.  The result
is written as a simsla distribution spec (``{dist: lognormal, mean: .., cv: ..}``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

FAMILIES = ("lognormal", "gamma", "weibull", "exponential")
GOF_ALPHA = 0.01      # a chosen fit with a KS p-value under this is flagged as a poor fit
_SCIPY = {"lognormal": stats.lognorm, "gamma": stats.gamma, "weibull": stats.weibull_min, "exponential": stats.expon}
_K = {"lognormal": 2, "gamma": 2, "weibull": 2, "exponential": 1}


@dataclass
class Candidate:
    """One fitted family."""

    family: str
    params: tuple[float, ...]          # scipy (shape..., loc, scale)
    loglik: float
    aic: float

    @property
    def frozen(self):
        return _SCIPY[self.family](*self.params)

    @property
    def mean(self) -> float:
        return float(self.frozen.mean())

    @property
    def cv(self) -> float:
        m, s = self.frozen.mean(), self.frozen.std()
        return float(s / m) if m > 0 else float("nan")

    def spec(self) -> dict[str, Any]:
        """A simsla distribution spec (durations as readable text) that the scenario model accepts:
        the family's own where it lies in the model's ranges, else a clamped lognormal."""
        spec = self.raw_spec()
        if loadable(spec):
            return spec
        return clamped(self.mean, self.cv)

    @property
    def loadable(self) -> bool:
        return loadable(self.raw_spec())

    def raw_spec(self) -> dict[str, Any]:
        fam = self.family
        if fam == "exponential":
            return {"dist": "exponential", "mean": duration_text(self.params[-1])}
        if fam in ("lognormal", "gamma"):
            return {"dist": fam, "mean": duration_text(self.mean), "cv": float(f"{self.cv:.4g}")}
        shape, _, scale = self.params
        return {"dist": fam, "shape": round(float(shape), 4), "scale": duration_text(scale)}


@dataclass
class DurationFit:
    """All candidates for one sample, the chosen one and the sample's summary."""

    what: str
    n: int
    n_censored: int
    candidates: list[Candidate]
    observed: dict[str, float] = field(default_factory=dict)

    gof_p: float = float("nan")      # Kolmogorov-Smirnov p-value of the chosen fit

    @property
    def best(self) -> Candidate:
        """The lowest AIC among the candidates the model accepts (else the lowest AIC: its spec is clamped)."""
        ok = [c for c in self.candidates if c.loadable]
        return min(ok or self.candidates, key=lambda c: c.aic)

    @property
    def poor(self) -> bool:
        """The chosen family fails its goodness-of-fit test (KS p < ``GOF_ALPHA``)."""
        return bool(self.gof_p < GOF_ALPHA)

    def verdict(self) -> str:
        """The goodness of fit in words, for the report and the command line."""
        test = f"KS p = {self.gof_p:.3g}"
        return f"POOR FIT ({test}): {self.best.family} does not describe this sample" if self.poor else test

    def spec(self) -> dict[str, Any]:
        return self.best.spec()

    def table(self) -> list[dict[str, Any]]:
        rows = []
        best = self.best.family
        for c in sorted(self.candidates, key=lambda c: c.aic):
            rows.append({"sample": self.what, "family": c.family, "n": self.n, "censored": self.n_censored,
                         "aic": round(c.aic, 1), "delta_aic": round(c.aic - self.best.aic, 1),
                         "fitted_mean_s": round(c.mean, 1), "fitted_cv": round(c.cv, 3),
                         "fitted_median_s": round(float(c.frozen.median()), 1), "chosen": c.family == best,
                         "in_model_range": c.loadable, "ks_p": round(self.gof_p, 4) if c.family == best else None})
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what, "n": self.n, "censored": self.n_censored, "chosen": self.best.family,
                "spec": self.spec(), "observed": self.observed, "candidates": self.table(), "ks_p": self.gof_p,
                "poor_fit": self.poor}


def loadable(spec: dict[str, Any]) -> bool:
    """Whether the scenario model accepts this distribution spec (its ranges)."""
    from simsla.model.distributions import Distribution

    try:
        Distribution.model_validate(spec)
    except ValueError:
        return False
    return True


def clamped(mean: float, cv: float) -> dict[str, Any]:
    """A lognormal with ``mean`` and ``cv`` clamped into the model's ranges."""
    from simsla.model.distributions import MAX_CV, MAX_MEAN, MIN_CV

    m = float(mean) if math.isfinite(mean) else MAX_MEAN
    c = float(cv) if math.isfinite(cv) else MAX_CV
    return {"dist": "lognormal", "mean": duration_text(min(max(m, 1.0), MAX_MEAN)),
            "cv": float(f"{min(max(c, MIN_CV), MAX_CV):.4g}")}


def duration_text(seconds: float) -> str:
    """Seconds as a readable simsla duration, rounded to whole seconds (at least 1 s)."""
    s = max(1, int(round(float(seconds))))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            parts.append(f"{s // size}{unit}")
            s %= size
    if s or not parts:
        parts.append(f"{s}s")
    return "".join(parts)


def _loglik(family: str, params: tuple, x: np.ndarray, censored: np.ndarray | None) -> float:
    d = _SCIPY[family](*params)
    ll = float(np.sum(d.logpdf(x)))
    if censored is not None and len(censored):
        ll += float(np.sum(d.logsf(censored)))
    return ll


def fit_durations(x: Any, what: str = "", censored: Any = None, families: tuple[str, ...] = FAMILIES,
                  max_n: int = 20_000, seed: int = 0) -> DurationFit:
    """Fit positive durations (seconds); ``censored``: right-censored observations (known to exceed).

    Non-positive and non-finite values are left out (callers count and report them).
    Large samples are subsampled to ``max_n`` for speed (the fit is then still
    very precise).
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    c = None if censored is None else np.asarray(censored, dtype=float)
    if c is not None:
        c = c[np.isfinite(c) & (c >= 0)]
    if len(x) < 2:
        raise ValueError(f"{what or 'sample'}: need at least 2 positive observations to fit a distribution, got {len(x)}")
    observed = {"n": int(len(x)), "mean_s": float(np.mean(x)), "median_s": float(np.median(x)),
                "cv": float(np.std(x) / np.mean(x)), "p90_s": float(np.quantile(x, 0.9))}
    rng = np.random.default_rng(seed)
    xs = x if len(x) <= max_n else rng.choice(x, max_n, replace=False)
    cs = c
    if c is not None and len(c) > max_n:
        cs = rng.choice(c, max_n, replace=False)
    weight = len(x) / len(xs)  # AIC on the full-sample scale
    cands: list[Candidate] = []
    for fam in families:
        dist = _SCIPY[fam]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if cs is not None and len(cs):
                    data = stats.CensoredData(uncensored=xs, right=cs)
                    params = _censored_fit(fam, dist, data, xs, cs)
                else:
                    params = _plain_fit(fam, dist, xs)
            ll = _loglik(fam, params, xs, cs) * weight
        except Exception:  # a family that cannot be fitted is left out
            continue
        if not math.isfinite(ll):
            continue
        cands.append(Candidate(fam, tuple(float(p) for p in params), ll, 2 * _K[fam] - 2 * ll))
    if not cands:
        raise ValueError(f"{what or 'sample'}: no family could be fitted")
    out = DurationFit(what, int(len(x)), 0 if c is None else int(len(c)), cands, observed)
    if c is None or not len(c):
        # on at most 2000 points: with 20 000 any real sample "fails"; the test asks whether the shape is wrong
        sub = xs if len(xs) <= 2000 else rng.choice(xs, 2000, replace=False)
        out.gof_p = float(stats.kstest(sub, out.best.frozen.cdf).pvalue)
    return out


def _plain_fit(fam: str, dist, x: np.ndarray) -> tuple:
    if fam == "exponential":
        return (0.0, float(np.mean(x)))
    if fam == "lognormal":
        lx = np.log(x)
        return (float(np.std(lx)), 0.0, float(np.exp(np.mean(lx))))
    return dist.fit(x, floc=0)


def _censored_fit(fam: str, dist, data, x: np.ndarray, c: np.ndarray) -> tuple:
    if fam == "exponential":  # closed form: events / total exposure
        return (0.0, float((x.sum() + c.sum()) / len(x)))
    if fam == "lognormal":
        lx = np.log(x)
        return dist.fit(data, float(np.std(lx)), floc=0, scale=float(np.exp(np.mean(lx))))
    return dist.fit(data, floc=0)


def kaplan_meier(times: Any, events: Any) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier survival: (distinct event times, S(t) just after each)."""
    t = np.asarray(times, dtype=float)
    e = np.asarray(events, dtype=bool)
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    uniq, first = np.unique(t, return_index=True)
    n = len(t)
    at_risk = n - first
    deaths = np.add.reduceat(e.astype(int), first) if n else np.zeros(0)
    keep = deaths > 0
    surv = np.cumprod(1 - deaths[keep] / at_risk[keep])
    return uniq[keep], surv


def km_quantile(times: np.ndarray, surv: np.ndarray, q: float) -> float:
    """Smallest t with S(t) <= 1 - q (NaN if the curve never gets there)."""
    hit = np.flatnonzero(surv <= 1 - q)
    return float(times[hit[0]]) if len(hit) else float("nan")
