"""Reading a ticket log and fitting it into a ``FitResult``: the scenario, the report rows, tables, figures."""

from __future__ import annotations

from typing import Any

import pandas as pd

from simsla.fit.quality import Quality


def read_ticket_log(path, format: str, mapping: Any, quality: Quality):
    """(tickets, visits) from a ``servicenow`` event log or a ``csv`` export with a column mapping."""
    from simsla.fit import csvlog, servicenow
    from simsla.fit.tickets import rebuild

    if format == "servicenow":
        m = dict(servicenow.MAPPING)
        if mapping:
            m.update(csvlog.load_mapping({**servicenow.MAPPING, **(mapping if isinstance(mapping, dict) else csvlog.load_mapping(mapping))}))
        updates = csvlog.read_mapped(path, m, quality, expects=servicenow.EXPECTS, hint=servicenow.HINT)
    else:
        m = csvlog.load_mapping(mapping)
        updates = csvlog.read_mapped(path, m, quality)
    return rebuild(updates, m, quality)


def tickets_result(path, format: str, mapping: Any = None, source: str = "", times: str = "quantiles",
                   window: str | None = None):
    """Read, fit and write: the ``FitResult`` of a ticket log (``times``: quantiles or fitted; ``window``:
    ``START..END``, ``all`` or None = the detected stationary window, ``simsla.fit.stationary``)."""
    from simsla.fit import report
    from simsla.fit.result import FitResult
    from simsla.fit.tickets_scenario import fit_tickets, ticket_scenario

    q = Quality()
    from simsla.fit.stationary import choose

    tickets, visits = read_ticket_log(path, format, mapping, q)
    tickets, visits, win = choose(tickets, visits, window, q)
    fit = fit_tickets(tickets, visits, q)
    fit.fit_window = win
    text = ticket_scenario(fit, source=source, times=times)
    t = fit.tickets
    rows = [{"section": "arrivals", "measure": "tickets per week", "observed": fit.arrivals.per_week,
             "fitted": fit.arrivals.per_week, "note": fit.arrivals.verdict()}]
    has = {"made_sla": True, "reopen": True, "vendor": True, **t.attrs.get("fields", {})}
    shares = t["priority"].value_counts(normalize=True)
    for pr, share in ((p, shares[p]) for p in fit.matrix["priorities"] if p in shares):
        rows.append({"section": "mix", "measure": f"share {pr}", "observed": share, "fitted": share, "note": ""})
    for ch, share in t["channel"].value_counts(normalize=True).items():
        rows.append({"section": "mix", "measure": f"share channel {ch}", "observed": share, "fitted": share, "note": ""})
    prios = [p for p in fit.matrix["priorities"] if p in shares]
    by_prio = dict(list(t.groupby("priority")))
    if has["made_sla"]:        # only fields the log has: no "nan %" for a column that is not there
        for pr in prios:
            rows.append({"section": "sla", "measure": f"made_sla share {pr}", "observed": by_prio[pr]["made_sla"].mean(),
                         "fitted": None, "note": "from the log's made_sla flag"})
    rows.append({"section": "routing", "measure": "share reassigned at least once", "observed": (t["visits"] > 1).mean(),
                 "fitted": None, "note": ""})
    if has["reopen"]:
        rows.append({"section": "routing", "measure": "share reopened", "observed": t["reopened"].mean(), "fitted": None,
                     "note": "work after the first resolved status" if has.get("from_statuses") else ""})
    if has["vendor"]:
        rows.append({"section": "routing", "measure": "share with vendor involvement", "observed": t["vendor"].mean(),
                     "fitted": None, "note": ""})
    poor = []
    for party, f in fit.times.items():
        rows.append({"section": "time at party", "measure": f"median time at {party}, h", "observed": f.observed["median_s"] / 3600,
                     "fitted": float(f.best.frozen.median()) / 3600,
                     "note": f"{f.best.family} by AIC, n={f.n}; {f.verdict()}"})
        rows.append({"section": "time at party", "measure": f"mean time at {party}, h", "observed": f.observed["mean_s"] / 3600,
                     "fitted": f.best.mean / 3600, "note": ""})
        if f.poor:
            poor.append(f"{party} ({f.best.family}, KS p = {f.gof_p:.2g})")
    q.add("times whose AIC-chosen family fails its goodness-of-fit test (KS p < 0.01)", len(poor),
          ("the scenario uses 100 observed quantiles, not the family" if times == "quantiles" else
           "the family is written anyway: check the Q-Q plots") + "; " + ", ".join(poor)[:150] if poor else "")
    for party, w in fit.waits.items():
        rows.append({"section": "customer wait", "measure": f"share of visits waiting at {party}", "observed": w.probability,
                     "fitted": w.probability, "note": f"{w.waiting} of {w.visits} visits"})
        rows.append({"section": "customer wait", "measure": f"mean customer wait at {party}, h",
                     "observed": float(w.seconds.mean()) / 3600, "fitted": w.fit.best.mean / 3600, "note": w.fit.verdict()})
    if fit.gate is not None:
        for party, u in fit.gate.utilisation.items():
            rows.append({"section": "gate", "measure": f"utilisation {party}", "observed": None, "fitted": u,
                         "note": f"offered {fit.gate.offered[party]:.1f} Erlang (simsla run's gate)"})
    w = fit.window
    if w is not None:
        rows.append({"section": "window", "measure": "share opened Mon-Fri 08-18", "observed": w.office_share,
                     "fitted": None, "note": "office hours" if w.business_hours else "round the clock"})
        rows.append({"section": "window", "measure": "share of tickets in the busiest week", "observed": w.busiest_share,
                     "fitted": None, "note": ("BURST, " if w.burst else "") + f"median week {w.median_week:.1%}"})
    for party, wh in fit.hours.items():
        rows.append({"section": "working hours", "measure": f"hours of {party}", "observed": wh.inside, "fitted": None,
                     "note": f"{wh.text} ({wh.source}); observed = share of its activity inside; "
                     + ("times in business time" if not wh.round_the_clock else "times in calendar time")})
    rows.append({"section": "window", "measure": "fit window", "observed": None, "fitted": None,
                 "note": " ".join(win.lines())})
    for pr in prios:
        g = by_prio[pr]
        rows.append({"section": "resolution", "measure": f"median resolution {pr}, h", "observed": g["resolution_h"].median(),
                     "fitted": None, "note": "see the back-test"})
    dist = pd.DataFrame([r for f in list(fit.times.values()) + list(fit.times_by_priority.values()) for r in f.table()])
    streams = pd.DataFrame([{k: v for k, v in s.items() if k != "services"} for s in fit.streams])
    tables = {"distributions": dist, "routes": fit.routes, "routes_by_priority": fit.routes_by_priority(), "streams": streams,
              "hour_of_week": pd.DataFrame({"hour_of_week": range(168), "arrivals": fit.arrivals.hourly})}
    if fit.window is not None and len(fit.window.cohorts):
        tables["cohorts"] = fit.window.cohorts
    if len(win.weeks):
        tables["weekly_cohorts"] = win.weeks

    def figures(folder):
        from pathlib import Path

        folder = Path(folder)
        files = [report.profile_figure(folder / "arrivals.png", fit.arrivals.hourly, "Tickets opened per hour of the week")]
        for i, (party, f) in enumerate(fit.times.items()):
            x = fit.visits.loc[fit.visits["party"] == party, "secs"].dropna().to_numpy()
            if len(x) >= 20:
                files.append(report.duration_figure(folder / f"time_at_{i:02d}.png", x, f, f"Time at {party}",
                                                    unit=3600.0, unit_name="h"))
        return files

    return FitResult("tickets", source, fit, text, q, rows, tables, figures)
