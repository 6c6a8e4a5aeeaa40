"""How much of a target's breach risk is volume uncertainty: the paired difference with and without busy days.

``volume_effect(with_results, without_results)`` compares two simulations of
one scenario run with the same seed and replications — as it is, and with its
busy-day factors removed (``simsla.decide.volume.without_busy_days``).  With
common random numbers the two runs of replication ``r`` share every draw but
the day factors, so the difference of their breach shares is a paired sample:
per replication, the share of its (complete) periods breached with busy days
minus the share breached without; its mean, with a Student-t 95 % interval
(``mean_ci``), is the part of the breach probability that comes from
day-to-day volume uncertainty.  Pairing removes the noise both runs share, so
this interval is much narrower than the two Wilson intervals side by side.

The mean of the per-replication differences equals the difference of the two
pooled breach probabilities (every replication of a run has the same number
of measured periods).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simsla.analysis.attainment import evaluate, per_replication, target_summary
from simsla.analysis.stats import mean_ci

if TYPE_CHECKING:
    from simsla.ticketlog import TicketLog

#: the columns of ``volume_effect``
COLUMNS = ["agreement", "target", "period",
           "with_busy_days", "with_busy_days_low", "with_busy_days_high",
           "without", "without_low", "without_high",
           "from_volume", "from_volume_low", "from_volume_high", "share_from_volume", "replications"]


def _table(results: "TicketLog") -> pd.DataFrame:
    cached = getattr(results, "evaluation", None)  # Results computes it once
    return cached() if callable(cached) else evaluate(results)


def volume_effect(with_results: "TicketLog", without_results: "TicketLog") -> pd.DataFrame:
    """Per target: breach probability with and without busy days, and their paired difference with its interval.

    ``with_results`` and ``without_results`` are the scenario simulated with
    and without its busy-day factors, same seed and replications.  Columns
    (see ``COLUMNS``): agreement, target, period; with_busy_days and without
    (pooled breach probability per period) with their Wilson 95 % bounds
    (``_low``/``_high``, as ``target_summary`` gives them); from_volume, the
    mean over replications of the paired difference of breach shares, with
    its Student-t 95 % interval (from_volume_low/high; NaN with one
    replication); share_from_volume (from_volume / with_busy_days, NaN when
    nothing is breached with busy days) and replications (the pairs used).
    """
    with_table, without_table = _table(with_results), _table(without_results)
    summaries = {label: {(t["agreement"], t["target"]): t for t in target_summary(res, table)}
                 for label, res, table in (("with", with_results, with_table),
                                           ("without", without_results, without_table))}
    keep = ["agreement", "target", "replication", "breach_share"]
    paired = (per_replication(with_table)[keep]
              .merge(per_replication(without_table)[keep], on=["agreement", "target", "replication"],
                     suffixes=("_with", "_without")))
    rows = []
    for key, w in summaries["with"].items():
        wo = summaries["without"].get(key)
        if wo is None:
            continue
        mine = paired[(paired["agreement"] == key[0]) & (paired["target"] == key[1])]
        diff = (mine["breach_share_with"] - mine["breach_share_without"]).to_numpy(dtype=float)
        m, lo, hi = mean_ci(diff)
        p_with = _num(w["breach_probability"])
        rows.append({
            "agreement": key[0], "target": key[1], "period": w["period"],
            "with_busy_days": p_with,
            "with_busy_days_low": _num(w["breach_probability_ci95"][0]),
            "with_busy_days_high": _num(w["breach_probability_ci95"][1]),
            "without": _num(wo["breach_probability"]),
            "without_low": _num(wo["breach_probability_ci95"][0]),
            "without_high": _num(wo["breach_probability_ci95"][1]),
            "from_volume": m, "from_volume_low": lo, "from_volume_high": hi,
            "share_from_volume": m / p_with if np.isfinite(p_with) and p_with > 0 and np.isfinite(m) else np.nan,
            "replications": int(np.isfinite(diff).sum()),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def _num(x: float | None) -> float:
    return np.nan if x is None else float(x)
