"""Shared helpers for the statistical validation of the engine against queueing theory.

Every statistical check follows one recipe:

* simulate R independent replications with a fixed seed;
* reduce each replication to ONE number (a steady-state mean, a probability);
* form the 99 % Student-t confidence interval across the R numbers;
* require the analytic value inside the interval AND the interval's
  half-width below a stated fraction of the analytic value, so that a pass
  means something (a very wide interval would contain anything).

With fixed seeds the tests are deterministic; the 1 % risk of a false alarm
per check is taken once, when the seed is chosen, not at every run (the seeds
here are the first ones tried, not searched for a pass).  Analytic values
near a bound of their interval are expected now and then; a real engine bias
shows as a value outside it that persists under other seeds.

``tests/validation`` is a package so that test modules import these helpers
with ``from .conftest import ...``.

``check_ci`` also records each check; a terminal summary lists them (analytic
value, simulated mean, 99 % CI) after the run.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

import simsla

#: tolerance for "the caller waited": engine times are sums of floats, so a
#: caller answered on arrival may show a wait of +-1 ulp instead of exactly 0.
EPS = 1e-6
#: workers for ``simulate`` (the machine running the suite has two cores).
WORKERS = 2


# --------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class CI:
    """A confidence interval across replications."""

    mean: float
    low: float
    high: float
    half: float
    n: int

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.mean:.6g} [{self.low:.6g}, {self.high:.6g}] (n={self.n})"


def ci99(values: Any, level: float = 0.99) -> CI:
    """Student-t interval of the mean of per-replication values (default 99 %)."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) < 2:
        raise ValueError("need at least two replications, one value each")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"non-finite per-replication values: {x}")
    m = float(x.mean())
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return CI(m, m - half, m + half, half, len(x))


RECORDS: list[dict[str, Any]] = []


def check_ci(name: str, values: Any, analytic: float, max_rel_half: float | None = None,
             max_abs_half: float | None = None) -> CI:
    """Assert ``analytic`` lies in the 99 % CI of ``values`` and that the CI is narrow.

    ``max_rel_half`` bounds the half-width relative to ``analytic``;
    ``max_abs_half`` bounds it absolutely (for probabilities near 0 or 1).
    """
    ci = ci99(values)
    RECORDS.append({"check": name, "analytic": analytic, "mean": ci.mean, "low": ci.low, "high": ci.high,
                    "rel_half": ci.half / abs(analytic) if analytic else math.inf})
    assert analytic in ci, f"{name}: analytic {analytic:.6g} outside the 99% CI {ci}"
    if max_rel_half is not None:
        assert ci.half <= max_rel_half * abs(analytic), (
            f"{name}: CI too wide to mean anything: half-width {ci.half:.4g} > {max_rel_half:.0%} of {analytic:.6g}")
    if max_abs_half is not None:
        assert ci.half <= max_abs_half, f"{name}: CI half-width {ci.half:.4g} > {max_abs_half:.4g}"
    return ci


def per_replication(df: pd.DataFrame, replications: int, stat: Callable[[pd.DataFrame], float]) -> np.ndarray:
    """One statistic per replication (every replication must contribute)."""
    out = np.array([stat(part) for _, part in df.groupby("replication", observed=True)], dtype=float)
    assert len(out) == replications, f"only {len(out)} of {replications} replications have data"
    return out


# ---------------------------------------------------------------------- scenarios
BASE: dict[str, Any] = {
    "name": "validation",
    "start": "2026-01-05",  # a Monday
    "timezone": "UTC",
    "services": [{"name": "helpdesk"}],
}


def scenario(*, rate: Any, groups: list[dict[str, Any]], channel: str = "phone", horizon: Any = "28d",
             warmup: Any = "1d", **extra: Any) -> simsla.Scenario:
    """A one-stream scenario in the style of scenarios/erlang-c.yaml.

    ``rate`` is the stream's volume ("200/h" or per second); ``extra`` may hold
    top-level fields (``patience``, ``routing``, ``profiles``...) or ``stream``,
    a dict merged into the demand stream (``impact``, ``profile``...).
    """
    if not isinstance(rate, str):
        rate = f"{float(rate)!r}/s"  # rates are written with a unit
    stream = {"name": "calls", "channel": channel, "type": "incident", "volume": rate}
    stream.update(extra.pop("stream", {}))
    data = copy.deepcopy(BASE)
    data.update({"horizon": horizon, "warmup": warmup, "demand": [stream], "groups": groups})
    data.update(extra)
    return simsla.Scenario.model_validate(data)


def desk(staff: int | None, handling: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A desk group: FIFO, every contact resolved at first contact unless overridden."""
    g = {"name": "desk", "role": "desk", "handling": handling, "first_contact_resolution": 1.0,
         "discipline": "fifo"}
    if staff is not None:
        g["staff"] = staff
    g.update(extra)
    return g


def exponential(mean: Any) -> dict[str, Any]:
    return {"dist": "exponential", "mean": mean}


def run(sc: simsla.Scenario, replications: int, seed: int, workers: int = WORKERS) -> simsla.Results:
    """``simulate`` and check that no replication overflowed."""
    res = simsla.simulate(sc, replications=replications, seed=seed, workers=workers)
    assert not res.unstable, res.unstable
    return res


def settled(tickets: pd.DataFrame, sc: simsla.Scenario, tail: float) -> pd.DataFrame:
    """Tickets that arrived at least ``tail`` seconds before the end of the run.

    Dropping the last arrivals avoids the bias of tickets still open at the end
    (they have no wait or resolution yet, and they are the ones that waited
    longest); ``tail`` must be many times the longest plausible time in system.
    """
    kept = tickets[tickets["arrival"] < sc.end - tail]
    open_ = kept["outcome"] == "open"
    assert open_.mean() < 1e-4, f"{open_.sum()} settled tickets are still open: raise the tail"
    return kept


def record_p(name: str, p: float, requirement: str) -> None:
    """Record a goodness-of-fit p-value for the summary (the test asserts on it itself)."""
    RECORDS.append({"check": name, "p": p, "requirement": requirement})


# ---------------------------------------------------------------------- reporting
def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    if not RECORDS:
        return
    tr = terminalreporter
    tr.section("simsla validation: analytic vs simulated (99 % CI across replications)")
    tr.write_line(f"{'check':62s} {'analytic':>10s} {'sim mean':>10s} {'99% CI':>22s} {'half/ana':>8s}")
    for r in RECORDS:
        if "p" in r:
            tr.write_line(f"{r['check'][:62]:62s} {'p-value':>10s} {r['p']:10.3g} {'(' + r['requirement'] + ')':>22s}")
            continue
        ci = f"[{r['low']:.5g}, {r['high']:.5g}]"
        tr.write_line(f"{r['check'][:62]:62s} {r['analytic']:10.5g} {r['mean']:10.5g} {ci:>22s} {r['rel_half']:8.2%}")
