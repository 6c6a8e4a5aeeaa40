"""Forecast uncertainty in the answer: how much breach risk comes from busy days, and staffing at a volume quantile.

* ``volume_risk``: the same scenario simulated twice with one seed — as it
  is, and with every busy-day factor removed (Poisson demand on the same
  profile, volume and calendar).  Common random numbers make the difference
  in each target's breach probability the part of the risk that comes from
  day-to-day volume uncertainty.
* ``at_volume_quantile``: the scenario with each busy-day stream's volume
  set to the ``q`` quantile of its day factor (and the factor removed), so
  that ``erlang --scenario --volume-quantile 0.9`` staffs for a day busier
  than nine in ten.  Streams sharing a factor move together, so their
  quantiles add exactly; independent factors' quantiles added are cautious
  (a sum of independent busy days is rarely at its quantile everywhere).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from simsla.model import Scenario
from simsla.model.volume import BusyDays


def factor_quantile(busy: BusyDays | None, q: float) -> float:
    """The ``q`` quantile of a mean-1 day factor (1 without one)."""
    if not 0 < q < 1:
        raise ValueError(f"a volume quantile lies strictly between 0 and 1 (e.g. 0.9), got {q!r}")
    if busy is None or not busy.active:
        return 1.0
    if busy.distribution == "lognormal":
        s2 = np.log1p(busy.cv**2)
        return float(np.exp(np.sqrt(s2) * stats.norm.ppf(q) - s2 / 2))
    shape = 1.0 / busy.cv**2
    return float(stats.gamma.ppf(q, shape, scale=1.0 / shape))


def without_busy_days(scenario: Scenario) -> Scenario:
    """The scenario with every busy-day factor removed (Poisson streams, otherwise unchanged)."""
    demand = tuple(d.model_copy(update={"busy_days": None}) for d in scenario.demand)
    return scenario.model_copy(update={"demand": demand, "busy_days": {}})


def at_volume_quantile(scenario: Scenario, q: float) -> tuple[Scenario, list[str]]:
    """The scenario at the ``q`` quantile of each stream's day factor, and one line per stream saying so."""
    demand, lines = [], []
    for d in scenario.demand:
        busy = scenario.busy_days_of(d)
        f = factor_quantile(busy, q)
        demand.append(d.model_copy(update={"volume": d.volume * f, "busy_days": None}))
        if busy is not None and busy.active:
            lines.append(f"{d.name}: volume x {f:.3f} (the {q:.0%} quantile of its busy-day factor, cv {busy.cv:g})")
    return scenario.model_copy(update={"demand": tuple(demand), "busy_days": {}}), lines


def has_busy_days(scenario: Scenario) -> bool:
    """Whether some demand stream has active busy days (a day factor with cv > 0): volume uncertainty to measure."""
    return any((b := scenario.busy_days_of(d)) is not None and b.active for d in scenario.demand)


def volume_risk_of(results: Any, workers: int | None = None, **simulate: Any) -> pd.DataFrame:
    """``volume_risk`` for a scenario already simulated: ``results`` is the run with busy days.

    Simulates ``without_busy_days(results.scenario)`` with the same seed and
    replications (``workers`` and ``simulate``: as for ``simsla.simulate``)
    and returns ``simsla.analysis.volume.volume_effect`` of the two.
    """
    from simsla.analysis.volume import volume_effect
    from simsla.experiment import simulate as run

    without = run(without_busy_days(results.scenario), replications=int(results.replications),
                  seed=int(results.seed), workers=workers, **simulate)
    return volume_effect(results, without)


def volume_risk(scenario: Scenario, replications: int = 20, seed: int = 1, workers: int | None = None,
                **simulate: Any) -> pd.DataFrame:
    """Breach probability per target with and without the busy-day factors (same seed), and the share they add.

    Columns: agreement, target, period, with_busy_days, without, ci95 of each
    (Wilson, as lists; also as ``_low``/``_high`` columns), from_volume (the
    paired mean difference with - without over replications, common random
    numbers) with its Student-t 95 % interval from_volume_low/high,
    share_from_volume (from_volume / with_busy_days) and replications; see
    ``simsla.analysis.volume.volume_effect``.
    """
    from simsla.experiment import simulate as run

    results = run(scenario, replications=replications, seed=seed, workers=workers, **simulate)
    frame = volume_risk_of(results, workers=workers, **simulate)
    if frame.empty:
        return frame
    for label in ("with_busy_days", "without"):
        frame.insert(frame.columns.get_loc(f"{label}_high") + 1, f"{label}_ci95",
                     [[lo, hi] for lo, hi in zip(frame[f"{label}_low"], frame[f"{label}_high"])])
    return frame
