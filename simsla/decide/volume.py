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


def volume_risk(scenario: Scenario, replications: int = 20, seed: int = 1, workers: int | None = None,
                **simulate: Any) -> pd.DataFrame:
    """Breach probability per target with and without the busy-day factors (same seed), and the share they add.

    Columns: agreement, target, period, with_busy_days, without, ci95 of each,
    from_volume (with - without) and share_from_volume ((with - without) / with).
    """
    from simsla.analysis.attainment import target_summary
    from simsla.experiment import simulate as run

    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for label, model in (("with_busy_days", scenario), ("without", without_busy_days(scenario))):
        results = run(model, replications=replications, seed=seed, workers=workers, **simulate)
        for t in target_summary(results):
            row = rows.setdefault((t["agreement"], t["target"]),
                                  {"agreement": t["agreement"], "target": t["target"], "period": t["period"]})
            row[label] = t["breach_probability"]
            row[f"{label}_ci95"] = t["breach_probability_ci95"]
    frame = pd.DataFrame(list(rows.values()))
    if frame.empty:
        return frame
    frame["from_volume"] = frame["with_busy_days"] - frame["without"]
    frame["share_from_volume"] = np.where(frame["with_busy_days"] > 0, frame["from_volume"] / frame["with_busy_days"],
                                          np.nan)
    return frame
