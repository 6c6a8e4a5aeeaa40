"""Back-test of a ticket scenario: arrivals, priority mix and resolution-time quantiles per priority."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsla.fit.backtesting import BacktestResult, _over_span, _profile, _row, _scenario
from simsla.fit.quality import Quality
from simsla.fit.reading import MIN_TICKETS, require_enough

TAIL = 8 * 7 * 86400.0   # simulate this long past the span so late tickets can be resolved


def _measures(arrival_h: pd.Series, priority: pd.Series, resolution_h: pd.Series, weeks: float,
              priorities: list[str]) -> dict[str, float]:
    out = {"tickets per week": len(arrival_h) / weeks}
    shares = priority.value_counts(normalize=True)
    for p in priorities:
        out[f"share {p}"] = float(shares.get(p, 0.0))
    r = resolution_h.replace([np.nan], np.inf)
    for p in priorities + ["all"]:
        x = r if p == "all" else r[priority == p]
        for q, label in ((0.5, "median"), (0.9, "p90")):
            out[f"{label} resolution {p}, h"] = float(np.quantile(x, q)) if len(x) else np.nan
    return out


def ticket_backtest(log_path, format, scenario, replications, seed, workers, mapping) -> BacktestResult:
    import simsla
    from simsla.fit.arrivals import fit_arrivals, span_of
    from simsla.fit.tickets_scenario import read_ticket_log, tickets_result

    tickets, _ = read_ticket_log(log_path, format, mapping, Quality())
    require_enough(len(tickets), MIN_TICKETS, "usable tickets", "to compare a simulation with")
    start, end = span_of(tickets["opened"])
    weeks = (end - start) / pd.Timedelta(weeks=1)
    sc = _over_span(_scenario(scenario, lambda: tickets_result(log_path, format, mapping)), start, end, TAIL)
    prios = [p for p in sc.priority_matrix.priorities if p in set(tickets["priority"])]
    known = ~tickets["closed_unresolved"]        # resolution time unknown: left out of the observed times
    obs = _measures(tickets["opened"], tickets["priority"],
                    tickets["resolution_h"].where(known), weeks, prios)
    obs_res = _measures(tickets["opened"][known], tickets["priority"][known], tickets["resolution_h"][known], weeks, prios)
    obs.update({k: v for k, v in obs_res.items() if "resolution" in k})
    res = simsla.simulate(sc, replications=replications, seed=seed, workers=workers)
    span_s = (end - start).total_seconds()
    per = []
    for r in range(replications):
        t = res.tickets[(res.tickets["replication"] == r) & (res.tickets["arrival"] < span_s)]
        per.append(_measures(t["arrival"], t["priority"].astype(str), (t["resolved"] - t["arrival"]) / 3600, weeks, prios))
    rows = [_row(k, obs[k], [p[k] for p in per]) for k in obs]
    prof = _profile(fit_arrivals(tickets["opened"], "tickets", (start, end)).hourly, res, sc, start, end)
    hourly = prof["observed"].to_numpy(), prof["simulated"].to_numpy()
    notes = [f"hour-of-week profile: mean absolute error {np.abs(hourly[1] - hourly[0]).mean():.2f} tickets/hour "
             f"(mean {hourly[0].mean():.2f}), correlation {np.corrcoef(hourly)[0, 1]:.3f}",
             "observed resolution quantiles leave out tickets closed without a resolution time; "
             "simulated tickets still open at the end count as not resolved (+inf)"]
    return BacktestResult("tickets", rows, replications, seed, prof, notes)
