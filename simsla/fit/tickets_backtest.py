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
    """In-sample: the scenario (given, or fitted on the whole log) over the log's whole span."""
    from simsla.fit.tickets_scenario import read_ticket_log, tickets_result

    tickets, _ = read_ticket_log(log_path, format, mapping, Quality())
    require_enough(len(tickets), MIN_TICKETS, "usable tickets", "to compare a simulation with")
    sc = _scenario(scenario, lambda: tickets_result(log_path, format, mapping))
    return _compare(tickets, sc, replications, seed, workers, "in-sample")


def ticket_holdout(log_path, format, mapping=None, fraction: float = 0.3, replications: int = 2, seed: int = 1,
                   workers: int | None = 1, holdout: float | None = None) -> BacktestResult:
    """Out of sample: fit on the tickets opened in the first ``1 - fraction`` of the span (or all but the last
    ``holdout`` seconds), simulate the rest and compare with the tickets opened there (which the fit never saw).

    The fit still sees the resolution of its own tickets when that came after the cut (the log says so);
    nothing of the held-out tickets is used.
    """
    from simsla.fit.arrivals import span_of
    from simsla.fit.tickets_scenario import fit_tickets, read_ticket_log, ticket_scenario
    from simsla.model import Scenario
    import yaml

    q = Quality()
    tickets, visits = read_ticket_log(log_path, format, mapping, q)
    start, end = span_of(tickets["opened"])
    cut = (end - pd.Timedelta(seconds=holdout) if holdout else start + (end - start) * (1 - fraction)).normalize()
    early = tickets[tickets["opened"] < cut].copy()
    early.attrs.update(tickets.attrs)
    late = tickets[tickets["opened"] >= cut].copy()
    require_enough(len(late), MIN_TICKETS, "held-out tickets", "to compare a simulation with")
    fit = fit_tickets(early, visits[visits["ticket"].isin(early["ticket"])], q)
    sc = Scenario.model_validate(yaml.safe_load(ticket_scenario(fit).text()))
    return _compare(late, sc, replications, seed, workers, f"hold-out (fitted before {cut.date()})")


def _compare(tickets, sc, replications, seed, workers, what: str) -> BacktestResult:
    import simsla
    from simsla.fit.arrivals import fit_arrivals, span_of

    start, end = span_of(tickets["opened"])
    weeks = (end - start) / pd.Timedelta(weeks=1)
    sc = _over_span(sc, start, end, TAIL)
    prios = [p for p in sc.priority_matrix.priorities if p in set(tickets["priority"])]
    known = ~tickets["closed_unresolved"]        # resolution time unknown: left out of the observed times
    # An export of closed tickets only (none still open) has selected them on being resolved by its end: the
    # simulated tickets are selected the same way (resolved by the last resolution in the log), so both sides
    # measure the same quantity near the end of the window (right truncation).
    selected = bool((tickets["resolution_h"].notna() | tickets["closed_unresolved"]).mean() > 0.99)
    last = tickets["resolved"].max()
    stop_s = (last - start).total_seconds() if selected and pd.notna(last) else np.inf
    if stop_s >= (end - start).total_seconds() + TAIL:
        # the log's resolutions run past the simulated tail: no selection to mirror; open simulated tickets are +inf
        stop_s, selected = np.inf, False
    obs = _measures(tickets["opened"], tickets["priority"],
                    tickets["resolution_h"].where(known), weeks, prios)
    obs_res = _measures(tickets["opened"][known], tickets["priority"][known], tickets["resolution_h"][known], weeks, prios)
    obs.update({k: v for k, v in obs_res.items() if "resolution" in k})
    res = simsla.simulate(sc, replications=replications, seed=seed, workers=workers)
    span_s = (end - start).total_seconds()
    per = []
    for r in range(replications):
        t = res.tickets[(res.tickets["replication"] == r) & (res.tickets["arrival"] < span_s)]
        m = _measures(t["arrival"], t["priority"].astype(str), (t["resolved"] - t["arrival"]) / 3600, weeks, prios)
        if np.isfinite(stop_s):
            done = t[t["resolved"] <= stop_s]
            m.update({k: v for k, v in _measures(done["arrival"], done["priority"].astype(str),
                                                 (done["resolved"] - done["arrival"]) / 3600, weeks, prios).items()
                      if "resolution" in k})
        per.append(m)
    rows = [_row(k, obs[k], [p[k] for p in per]) for k in obs]
    prof = _profile(fit_arrivals(tickets["opened"], "tickets", (start, end)).hourly, res, sc, start, end)
    hourly = prof["observed"].to_numpy(), prof["simulated"].to_numpy()
    notes = [f"{what}: {len(tickets)} tickets opened {start.date()} .. {(end - pd.Timedelta(days=1)).date()}",
             f"hour-of-week profile: mean absolute error {np.abs(hourly[1] - hourly[0]).mean():.2f} tickets/hour "
             f"(mean {hourly[0].mean():.2f}), correlation {np.corrcoef(hourly)[0, 1]:.3f}",
             "observed resolution quantiles leave out tickets closed without a resolution time; "
             + ("the export holds only resolved tickets, so simulated ones resolved after its last resolution are "
                "left out too (the same selection)" if selected else
                "simulated tickets still open at the end count as not resolved (+inf)")]
    return BacktestResult("tickets", rows, replications, seed, prof, notes)
