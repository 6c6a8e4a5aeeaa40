"""A commented scenario from a call-log fit: one phone line, one desk, staffing per hour of the week."""

from __future__ import annotations

import numpy as np

from simsla.fit.calls import CallFit
from simsla.fit.emit import ScenarioText, add_time_frame, rate_text, shift_blocks


def call_scenario(fit: CallFit, name: str = "Call centre fitted from a call log", source: str = "",
                  staff_column: str = "present", busy=None) -> ScenarioText:
    """The commented scenario; ``busy`` (a ``simsla.fit.daily.DailyFit`` of the daily totals) adds busy days."""
    a, h, p = fit.arrivals, fit.handling, fit.patience
    start, end = fit.span
    days = int(round((end - start).total_seconds() / 86400))
    staff = np.rint(fit.staff[staff_column].to_numpy()).astype(int)
    # an hour with calls but no estimated staff would only lose callers: give it one agent
    staff = np.where((a.hourly > 0) & (staff == 0), 1, staff)
    sc = ScenarioText(name)
    obs = fit.observed
    sc.header = [
        f"Fitted by `simsla fit` from {source or 'a call log'} ({a.count} calls offered to agents,",
        f"{start.date()} to {(end - np.timedelta64(1, 'D')).date()}).  Every number below comes from the log; the comments",
        "say how.  Observed in the log: "
        f"{obs['abandonment share']:.1%} of offered calls abandoned, {obs['P(wait <= 20 s | served)']:.1%} of served calls",
        f"answered within 20 s, mean wait of served calls {obs['mean wait (served), s']:.0f} s, mean handling {obs['mean handling time, s']:.0f} s.",
        "",
        "STAFFING IS NOT IN THE LOG.  The shifts below are an estimate: per hour of the week, the",
        "mean number of agents on duty, an agent counting as present from the start of a call to the end",
        "of the last call that follows it with gaps of at most 5 minutes (a longer gap is taken as a break:",
        "in a busy centre an agent on the line does not stay idle for 5 minutes while callers queue).",
        "The 5-minute gap is a calibration choice: on the Anonymous Bank log 2, 5, 10 and 15 minutes gave",
        "21 %, 17 %, 12 % and 10 % simulated abandonment against 18.8 % observed.  Replace the shifts with",
        "the real roster if you have it.  Times are local clock times of the log, written as UTC (no DST).",
        "",
        "Not modelled: the bank's priority customers (served first in reality; here all calls are served",
        "in order of arrival), retrials of callers who hung up, and day-to-day changes in staffing.",
    ]
    add_time_frame(sc, name, f"Fitted from {source or 'a call log'}: arrivals, handling, patience (censored MLE), staffing estimate.", start, days)
    types = fit.types or {"calls": 1}
    sc.add("services", [{"name": str(t)} for t in types],
           "Call types in the log (field `type`), used as services; the stream below mixes them by their counts.")
    sc.add("profiles", {"calls": {"hour_of_week": a.weights()}},
           "Arrival profile: mean calls offered per hour of the week (Monday 00:00 first), as relative weights.",
           f"Arrivals are {a.verdict()}.")
    from simsla.fit.counts_scenario import busy_days_comment, busy_days_spec

    stream = {"name": "calls", "channel": "phone", "type": "incident", "volume": rate_text(a.per_week),
              "profile": "calls", "services": {str(t): int(n) for t, n in types.items()},
              "impact": {"low": 1}, "urgency": {"low": 1}}
    spec = busy_days_spec(busy) if busy is not None else None
    if spec:
        stream["busy_days"] = spec
    sc.add("demand", [stream],
           f"{a.count} calls offered over {a.weeks:.2f} weeks = {a.per_week:.1f} per week on average.",
           *(busy_days_comment(busy) if busy is not None else ()))
    cands = ", ".join(f"{r['family']} mean {r['fitted_mean_s']:.0f} s (dAIC {r['delta_aic']:.0f})" for r in p.censored.table())
    sc.add("patience", p.censored.spec(),
           "Patience, estimated WITH CENSORING (a served caller's wait is a lower bound on their patience):",
           f"{p.n_abandoned} of {p.n_queued} queued callers hung up.  Censored MLE by AIC: {cands}.",
           f"Exponential MLE (abandoned / total waiting time) gives a mean of {p.exp_mle_mean:.0f} s; Kaplan-Meier median "
           f"{p.km_median:.0f} s.",
           f"The naive mean of the abandoners' waits, {p.naive_mean:.0f} s, is biased low and NOT used.")
    hc = ", ".join(f"{r['family']} (dAIC {r['delta_aic']:.0f})" for r in h.table())
    sc.add("groups", [{
        "name": "agents", "role": "desk", "shifts": shift_blocks(staff),
        "handling": h.spec(), "first_contact_resolution": 1.0, "discipline": "fifo", "at_shift_end": "finish"}],
        f"One pool of agents.  Handling: service time of served calls, {h.observed['n']} calls with a positive",
        f"service time, observed mean {h.observed['mean_s']:.0f} s, median {h.observed['median_s']:.0f} s, cv {h.observed['cv']:.2f};",
        f"MLE fits by AIC: {hc}.  Every call is finished at the desk (first_contact_resolution 1).",
        "Shifts: estimated agents on duty per hour of the week, rounded (see the header).")
    return sc


def _busy_days(calls, fit: CallFit):
    """The daily model of the calls offered per day (weekday volumes and the busy-day cv), or ``None``.

    Days with no call at all inside the span (a closed day, or a gap in the log) count as zeros only
    when that weekday usually has calls; fewer than 14 days fit nothing.
    """
    import pandas as pd

    from simsla.fit.daily import fit_daily

    off = calls[calls["outcome"].isin(["served", "abandoned"])]
    start, end = fit.span
    days = pd.date_range(start, end, freq="D", inclusive="left")
    totals = off["arrival"].dt.normalize().value_counts().reindex(days, fill_value=0).astype(float)
    typical = totals.groupby(totals.index.day_of_week).transform("median")
    totals = totals[typical > 0]
    if len(totals) < 14:
        return None
    return fit_daily(totals)


def calls_result(path, source: str = ""):
    """Read, fit and write up a call log: a ``FitResult``."""
    import pandas as pd

    from simsla.fit import report
    from simsla.fit.calls import fit_calls, read_calls
    from simsla.fit.quality import Quality
    from simsla.fit.result import FitResult

    q = Quality()
    calls = read_calls(path, q)
    fit = fit_calls(calls, q)
    busy = _busy_days(calls, fit)
    text = call_scenario(fit, source=source, busy=busy)
    p, h, o = fit.patience, fit.handling, fit.observed
    rows = [
        {"section": "arrivals", "measure": "calls offered per week", "observed": fit.arrivals.per_week,
         "fitted": fit.arrivals.per_week, "note": fit.arrivals.verdict()},
        {"section": "handling", "measure": "mean handling time, s", "observed": h.observed["mean_s"],
         "fitted": h.best.mean, "note": f"{h.best.family} chosen by AIC"},
        {"section": "handling", "measure": "median handling time, s", "observed": h.observed["median_s"],
         "fitted": float(h.best.frozen.median()), "note": ""},
        {"section": "handling", "measure": "cv of handling time", "observed": h.observed["cv"],
         "fitted": h.best.cv, "note": ""},
        {"section": "patience", "measure": "naive mean of abandoners' waits, s (biased, not used)",
         "observed": p.naive_mean, "fitted": None, "note": "only the impatient abandon: biased low"},
        {"section": "patience", "measure": "exponential MLE mean, s (censored)", "observed": None,
         "fitted": p.exp_mle_mean, "note": "abandoned / total waiting time of all queued callers"},
        {"section": "patience", "measure": "median patience, s", "observed": p.km_median,
         "fitted": float(p.censored.best.frozen.median()),
         "note": f"observed = Kaplan-Meier; fitted = {p.censored.best.family} censored MLE (chosen by AIC)"},
        {"section": "patience", "measure": "abandonment share of queued calls", "observed": p.n_abandoned / p.n_queued,
         "fitted": None, "note": ""},
        {"section": "staffing", "measure": "peak agents on duty (estimate)", "observed": float(fit.staff["present"].max()),
         "fitted": float(np.rint(fit.staff["present"]).max()), "note": "not in the log: estimated from agents' calls"},
    ] + [{"section": "observed", "measure": k, "observed": v, "fitted": None, "note": ""} for k, v in o.items()]
    if busy is not None:
        rows.append({"section": "arrivals", "measure": "busy-day cv (daily totals vs weekday expectation)",
                     "observed": busy.dispersion, "fitted": busy.cv,
                     "note": "method of moments, var = m + cv^2 m^2; observed = dispersion index; 95 % "
                             f"{busy.cv_interval[0]:.3f}-{busy.cv_interval[1]:.3f}"})
    staff = fit.staff.assign(arrivals=fit.arrivals.hourly)
    tables = {"distributions": pd.DataFrame(h.table() + p.censored.table()), "hour_of_week": staff.round(4)}

    def figures(folder):
        from pathlib import Path

        folder = Path(folder)
        served = calls[calls["outcome"] == "served"]
        return [report.profile_figure(folder / "arrivals.png", fit.arrivals.hourly, "Calls offered per hour of the week"),
                report.duration_figure(folder / "handling.png", served["service"].to_numpy(), h, "Handling time of served calls"),
                report.survival_figure(folder / "patience.png", p),
                report.staffing_figure(folder / "staffing.png", fit.staff)]

    return FitResult("calls", source, fit, text, q, rows, tables, figures)
