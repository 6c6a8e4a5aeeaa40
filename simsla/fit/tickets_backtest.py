"""Back-test of a ticket scenario: arrivals, priority mix, resolution quantiles and the share of tickets
reaching each group, per priority, in-sample and on a hold-out window.

**The same quantity on both sides.**  Resolution is the log's (the first resolved status for status
logs) and the engine's first resolution, in the same clock (calendar hours).  Both sides are censored
by one rule: a ticket is followed until ``C`` = the extract's end, or the end of the simulated tail
(``TAIL`` after the compared window) if that comes first; a ticket not resolved by ``C`` is censored
there, and the quantiles are Kaplan-Meier quantiles (NaN where fewer than that share are resolved by
``C``).  An export of closed tickets only (none open at its end) is selected on closure: when its last
resolution falls inside the simulated tail, simulated tickets resolved after it are left out (the same
selection) instead.  Tickets closed without a resolution time are left out of the observed times (their
time is unknown; the simulation cannot single them out: the notes say how many).

**Hold-out.**  ``--holdout SPAN``: the fit window (``simsla.fit.stationary``: detected, or
``--window``) is split at ``end - SPAN``; the scenario is fitted on the tickets opened before the
cut and compared on those opened after it (which the fit never saw), and in-sample on its own tickets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsla.fit.backtesting import BacktestResult, _over_span, _profile, _row, _scenario
from simsla.fit.distributions import kaplan_meier, km_quantile
from simsla.fit.quality import Quality
from simsla.fit.reading import MIN_TICKETS, require_enough

TAIL = 8 * 7 * 86400.0   # simulate this long past the span so late tickets can be resolved


def _quantiles(out: dict, hours: np.ndarray, done: np.ndarray, priority: np.ndarray, priorities: list[str]) -> None:
    for p in priorities + ["all"]:
        m = np.ones(len(hours), bool) if p == "all" else priority == p
        km = kaplan_meier(hours[m], done[m]) if m.any() else (np.zeros(0), np.zeros(0))
        for q, label in ((0.5, "median"), (0.9, "p90")):
            out[f"{label} resolution {p}, h"] = km_quantile(*km, q) if m.any() else np.nan


def _measures(opened_h, priority, hours, done, weeks, priorities, reach=None) -> dict[str, float]:
    """Tickets per week, priority shares, KM median and p90 per priority, share reaching each party."""
    priority = np.asarray(priority, dtype=object)
    out = {"tickets per week": len(opened_h) / weeks}
    for p in priorities:
        out[f"share {p}"] = float((priority == p).mean()) if len(priority) else np.nan
    _quantiles(out, np.asarray(hours, float), np.asarray(done, bool), priority, priorities)
    for party, share in (reach or {}).items():
        out[f"share reaching {party}"] = share
    return out


def _observed_reach(tickets: pd.DataFrame, visits: pd.DataFrame, parties: list[str]) -> dict[str, float]:
    """Share of the tickets with at least one visit to each scenario party (the log's parties named as the
    fit collapsed them: rare groups are ``other groups``, rare suppliers ``vendor``)."""
    from simsla.fit.routing import AGAIN, OTHER

    v = visits[visits["ticket"].isin(tickets["ticket"])]
    name = v["party"].astype(str).str.replace(":", "", regex=False)
    known = set(parties)
    name = name.where(name.isin(known) | name.add(AGAIN).isin(known), np.where(v["kind"] == "group", OTHER, "vendor"))
    if any(p.endswith(AGAIN) for p in parties):     # first_visits: separate -- later group visits are `<group> again`
        run = name.ne(name.groupby(v["ticket"].to_numpy()).shift()).groupby(v["ticket"].to_numpy()).cumsum()
        later = ((run > 1) & (v["kind"] == "group")).to_numpy()     # after the ticket's first (merged) visit
        name = name.where(~later | ~name.add(AGAIN).isin(known), name + AGAIN)
    n = max(len(tickets), 1)
    return {p: float(v.loc[name.eq(p).to_numpy(), "ticket"].nunique() / n) for p in parties}


def ticket_backtest(log_path, format, scenario, replications, seed, workers, mapping, window=None) -> BacktestResult:
    """In-sample: the scenario (given, or fitted on the fit window) over the fit window's tickets."""
    from simsla.fit.stationary import choose
    from simsla.fit.tickets_scenario import read_ticket_log, tickets_result

    q = Quality()
    tickets, visits = read_ticket_log(log_path, format, mapping, q)
    tickets, visits, win = choose(tickets, visits, window, q)
    require_enough(len(tickets), MIN_TICKETS, "usable tickets", "to compare a simulation with")
    sc = _scenario(scenario, lambda: tickets_result(log_path, format, mapping, window=window))
    res = _compare(tickets, visits, sc, replications, seed, workers, "in-sample", win.extract_end)
    res.notes.insert(1, win.lines()[0])
    return res


def ticket_holdout(log_path, format, mapping=None, fraction: float = 0.3, replications: int = 2, seed: int = 1,
                   workers: int | None = 1, holdout: float | None = None, window=None) -> BacktestResult:
    """Out of sample: fit on the tickets of the fit window opened before ``end - holdout`` (or its first
    ``1 - fraction``), simulate the rest and compare with the tickets opened there, which the fit never
    saw.  The in-sample comparison of the same fitted scenario is ``result.insample``.

    The fit still sees the resolution of its own tickets when that came after the cut (the log says so);
    nothing of the held-out tickets is used.
    """
    import yaml

    from simsla.fit.arrivals import span_of
    from simsla.fit.stationary import choose
    from simsla.fit.tickets_scenario import fit_tickets, read_ticket_log, ticket_scenario
    from simsla.model import Scenario

    q = Quality()
    tickets, visits = read_ticket_log(log_path, format, mapping, q)
    tickets, visits, win = choose(tickets, visits, window, q)
    start, end = span_of(tickets["opened"])
    cut = (end - pd.Timedelta(seconds=holdout) if holdout else start + (end - start) * (1 - fraction)).normalize()
    early = tickets[tickets["opened"] < cut].copy()
    early.attrs.update(tickets.attrs)
    late = tickets[tickets["opened"] >= cut].copy()
    require_enough(len(late), MIN_TICKETS, "held-out tickets", "to compare a simulation with")
    require_enough(len(early), MIN_TICKETS, f"tickets in the fit window before the hold-out ({win.start.date()} .. "
                   f"{cut.date()})", "to fit; give a shorter --holdout or a wider --window")
    fit = fit_tickets(early, visits[visits["ticket"].isin(early["ticket"])], q)
    fit.fit_window = win
    sc = Scenario.model_validate(yaml.safe_load(ticket_scenario(fit).text()))
    out = _compare(late, visits, sc, replications, seed, workers, f"hold-out (fitted before {cut.date()})",
                   win.extract_end)
    out.insample = _compare(early, visits, sc, replications, seed, workers, f"in-sample ({win.start.date()} .. "
                            f"{(cut - pd.Timedelta(days=1)).date()})", win.extract_end)
    out.notes.insert(1, win.lines()[0])
    out.utilisation = dict(fit.gate.utilisation) if fit.gate is not None else {}
    return out


def _compare(tickets, visits, sc, replications, seed, workers, what: str, extract_end=None) -> BacktestResult:
    import simsla
    from simsla.fit.arrivals import fit_arrivals, span_of

    start, end = span_of(tickets["opened"])
    sc = _over_span(sc, start, end, TAIL)
    # an extract that stops mid-day (ServiceNow: Friday 11:49) compares arrivals up to its last opening hour
    end = min(end, tickets["opened"].max().floor("h") + pd.Timedelta(hours=1))
    weeks = (end - start) / pd.Timedelta(weeks=1)
    prios = [p for p in sc.priority_matrix.priorities if p in set(tickets["priority"])]
    parties = [g.name for g in sc.groups if g.role != "desk"] + [s.name for s in sc.suppliers]
    span_s = (end - start).total_seconds()
    last_event = pd.Timestamp(extract_end) if extract_end is not None else tickets[["resolved", "opened"]].max().max()
    known = ~tickets["closed_unresolved"].astype(bool).to_numpy()
    # An export of closed tickets only (none still open) has selected them on being resolved by its end.
    selected = bool((tickets["resolution_h"].notna() | tickets["closed_unresolved"]).mean() > 0.99)
    follow_end = min(last_event, end + pd.Timedelta(seconds=TAIL))
    mirror = selected and last_event < end + pd.Timedelta(seconds=TAIL)
    stop_s = (follow_end - start).total_seconds()
    follow = (follow_end - tickets["opened"]).dt.total_seconds().to_numpy() / 3600
    hours = tickets["resolution_h"].to_numpy(float)
    done = np.isfinite(hours) & (hours <= follow)
    obs = _measures(tickets["opened"], tickets["priority"].to_numpy(object)[known], np.where(done, hours, follow)[known],
                    done[known], weeks, prios, _observed_reach(tickets, visits, parties))
    obs["tickets per week"] = len(tickets) / weeks
    for p in prios:
        obs[f"share {p}"] = float((tickets["priority"] == p).mean())
    res = simsla.simulate(sc, replications=replications, seed=seed, workers=workers)
    per = []
    for r in range(replications):
        t = res.tickets[(res.tickets["replication"] == r) & (res.tickets["arrival"] < span_s)]
        seg = res.segments[(res.segments["replication"] == r) & res.segments["ticket"].isin(t["ticket"])]
        n = max(len(t), 1)
        reach = {p: float(seg.loc[seg["party"] == p, "ticket"].nunique() / n) for p in parties}
        h = ((t["resolved"] - t["arrival"]) / 3600).to_numpy(float)
        fu = (stop_s - t["arrival"].to_numpy(float)) / 3600
        ok = np.isfinite(h) & (h <= fu)
        pr = t["priority"].astype(str).to_numpy(object)
        m = _measures(t["arrival"], pr, np.where(ok, h, fu), ok, weeks, prios, reach)
        if mirror:      # the same selection as the export: only tickets resolved by its end are timed
            resolved = {k: v for k, v in _measures(t["arrival"][ok], pr[ok], h[ok], np.ones(ok.sum(), bool), weeks,
                                                   prios).items() if "resolution" in k}
            m.update(resolved)
        per.append(m)
    rows = [_row(k, obs[k], [p[k] for p in per]) for k in obs]
    prof = _profile(fit_arrivals(tickets["opened"], "tickets", (start, end)).hourly, res, sc, start, end)
    hourly = prof["observed"].to_numpy(), prof["simulated"].to_numpy()
    notes = [f"{what}: {len(tickets)} tickets opened {start.date()} .. {tickets['opened'].max().date()}",
             f"hour-of-week profile: mean absolute error {np.abs(hourly[1] - hourly[0]).mean():.2f} tickets/hour "
             f"(mean {hourly[0].mean():.2f}), correlation {np.corrcoef(hourly)[0, 1]:.3f}",
             f"resolution quantiles are Kaplan-Meier, both sides followed until {follow_end:%Y-%m-%d %H:%M} "
             f"({'the extract ends then' if follow_end == last_event else 'the end of the simulated tail'}); "
             f"{int((~known).sum())} tickets closed without a resolution time are left out of the observed times"
             + ("; the export holds only resolved tickets, so simulated ones resolved after its last resolution are "
                "left out too (the same selection)" if mirror else "")]
    return BacktestResult("tickets", rows, replications, seed, prof, notes)
