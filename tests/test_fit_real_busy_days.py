"""Busy days fitted from the Anonymous Bank call log (../shared/data/; skipped where the data is absent).

The issue's measurement: the spread of weekday daily totals is about 7x what a
Poisson model with the fitted weekly profile gives.  The fitted busy-day
factor must reproduce the observed spread within +-20 %: the pooled
within-weekday standard deviation of weekday totals, observed over August
1999, against its mean over 40 simulated Augusts of the fitted scenario.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simsla.engine import arrivals
from simsla.engine.daily import day_starts
from simsla.fit import fit_log
from simsla.fit.calls import read_calls
from simsla.fit.quality import Quality

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "anonymous_bank_calls_1999_08.csv.gz"
pytestmark = pytest.mark.skipif(not DATA.is_file(), reason=f"real data not present at {DATA}")


def pooled_sd(totals: pd.Series) -> float:
    """Standard deviation of daily totals within each weekday, pooled (the weekday means removed)."""
    g = totals.groupby(totals.index.day_of_week)
    dof = g.size() - 1
    return float(np.sqrt((g.var(ddof=1) * dof).sum() / dof.sum()))


def test_fitted_busy_days_reproduce_the_spread_of_weekday_totals():
    fit = fit_log(DATA, "calls")
    sc = fit.scenario()
    busy = sc.busy_days_of(sc.demand[0])
    assert busy is not None and busy.cv > 0.1
    calls = read_calls(DATA, Quality())
    offered = calls[calls["outcome"].isin(["served", "abandoned"])]
    days = pd.date_range(str(sc.start), periods=int(sc.horizon // 86400), freq="D")
    observed = offered["arrival"].dt.normalize().value_counts().reindex(days, fill_value=0)
    weekday = (observed.index.day_of_week < 5) & (observed > 0)
    target = pooled_sd(observed[weekday])
    edges = day_starts(sc)[1:len(days) + 2]
    simulated, poisson = [], []
    plain = sc.model_copy(update={"demand": (sc.demand[0].model_copy(update={"busy_days": None}),)})
    for r in range(40):
        for model, out in ((sc, simulated), (plain, poisson)):
            counts = pd.Series(np.histogram(arrivals.generate(model, 7, r)["time"], bins=edges)[0], index=days)
            out.append(pooled_sd(counts[weekday]))
    ratio = np.mean(simulated) / target
    print(f"weekday spread: observed {target:.0f}, simulated {np.mean(simulated):.0f} (ratio {ratio:.2f}), "
          f"Poisson {np.mean(poisson):.0f}")
    assert 0.8 <= ratio <= 1.2
    assert np.mean(poisson) < 0.3 * target  # without the factor the spread is far too small (the 7x)
