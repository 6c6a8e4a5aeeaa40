"""A commented scenario from a ticket log: streams per channel x impact x urgency, groups with ample
staff whose work time is the fitted time a ticket spends with them, routing from the reassignments."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simsla.fit.arrivals import ArrivalFit, fit_arrivals, span_of
from simsla.fit.distributions import DurationFit, fit_durations
from simsla.fit.emit import ScenarioText, add_time_frame, rate_text
from simsla.fit.hierarchy import (ALPHA, MIN_N, SHRINK, Node, distinct_routes, distinct_times, priority_classes, rule_order,
                                  shrunk_probabilities, shrunk_samples, tree, weighted_quantiles)
from simsla.fit.quality import Quality
from simsla.fit.reading import MIN_TICKETS, require_enough
from simsla.fit.gatecheck import ample_staff, settle_staff
from simsla.fit.ranks import _levels, priority_order, rank_key  # noqa: F401 (re-exported)
from simsla.fit.routing import collapse, lumped, ping_pong_share, probabilities, transitions

DESK = "registration"
START = "start"
MIN_TICKETS_OWN_PROFILE = 1000
MIN_SHARE_IN_RULE = 0.005      # destinations below this share are left out of the by-priority rules (readability)


@dataclass
class ByPriority:
    """One estimate per node of the priority tree (``simsla.fit.hierarchy``); node 0 is the pooled one."""

    nodes: list[Node]
    estimates: list[Any]            # probabilities (pd.Series) or weighted samples ((values, weights))
    distinct: set[int] | None = None   # nodes that differ from the rest of their parent (the others get no rule)
    resolves: bool | None = None    # times: only the visits that resolve (True) or pass the ticket on (False)

    @property
    def rules(self) -> list[int]:
        return rule_order(self.nodes, self.distinct)


@dataclass
class CustomerWait:
    """The time a group's visits wait for the customer: the share of visits that wait, and how long (in all)."""

    visits: int
    waiting: int
    seconds: np.ndarray
    fit: DurationFit

    @property
    def probability(self) -> float:
        return self.waiting / self.visits if self.visits else 0.0


def fit_waits(v: pd.DataFrame) -> dict[str, CustomerWait]:
    """Per group with >= 2 waiting visits: the share of its timed visits that waited for the customer, and the
    customer wait of such a visit.

    The engine draws one wait per fresh visit, independent of the work.  So that a waiting visit lasts as
    long as in the log (work and waits together, ``visit_secs``), the wait is that whole time scaled to the
    mean of (whole waiting visit - the work of a visit that did not wait): exact in the mean, and the plain
    wait when work and waiting are independent (the round trip checks it).
    """
    out = {}
    g = v[(v["kind"] == "group") & v["visit_secs"].notna()]
    for party, grp in g.groupby("party"):
        whole = grp.loc[grp["waiting"], "visit_secs"].to_numpy(float)
        work = grp.loc[~grp["waiting"], "secs"].dropna().to_numpy(float)
        if len(whole) < 2:
            continue
        mean_work = float(work.mean()) if len(work) else 0.0
        scale = max(1.0 - mean_work / whole.mean(), 0.05)       # never below 5 % of the visit
        waits = whole * scale
        out[party] = CustomerWait(len(grp), len(whole), waits, fit_durations(waits, f"customer wait at {party}"))
    return out


@dataclass
class TicketFit:
    tickets: pd.DataFrame
    visits: pd.DataFrame             # collapsed
    arrivals: ArrivalFit
    stream_arrivals: dict[str, ArrivalFit]
    streams: list[dict[str, Any]]
    matrix: dict[str, Any]
    times: dict[str, DurationFit]               # party -> pooled fit
    times_by_priority: dict[tuple[str, str], DurationFit]
    routes: pd.DataFrame
    span: tuple[pd.Timestamp, pd.Timestamp]
    quality: Quality = field(default_factory=Quality)
    time_tree: dict[str, ByPriority] = field(default_factory=dict)     # group -> time at it, by priority
    route_tree: dict[str, ByPriority] = field(default_factory=dict)    # party (or START) -> next party, by priority
    outcome_tree: dict[str, dict[bool, ByPriority]] = field(default_factory=dict)   # group -> resolves -> time, by priority
    outcome_p: dict[str, float] = field(default_factory=dict)   # group -> KS p-value, resolving vs passing-on visits
    waits: dict[str, "CustomerWait"] = field(default_factory=dict)   # group -> its customer waits (status logs)
    gate: Any = None                # GateCheck: what `simsla run`'s gate says of the scenario written
    window: Any = None              # WindowCheck: business hours, bursts, right-truncated cohorts
    business: bool = False          # times at groups are office time, groups work Mon-Fri 08-18
    fit_window: Any = None          # FitWindow: which tickets were fitted (simsla.fit.stationary)
    hours: dict[str, Any] = field(default_factory=dict)   # party -> WorkingHours (simsla.fit.workhours)

    def routes_by_priority(self) -> pd.DataFrame:
        """The routing probabilities of every node (``when`` = all for the pooled one), with the node's count."""
        rows = []
        for party, bp in self.route_tree.items():
            for nd, probs in zip(bp.nodes, bp.estimates):
                rows += [{"from": party, "when": nd.label, "n": nd.n, "to": to, "probability": float(p)}
                         for to, p in probs.items()]
        return pd.DataFrame(rows, columns=["from", "when", "n", "to", "probability"])

    def to_dict(self) -> dict[str, Any]:
        return {"arrivals": self.arrivals.to_dict(), "matrix": self.matrix,
                "times": {k: v.to_dict() for k, v in self.times.items()},
                "times_by_priority": {f"{k[0]} / {k[1]}": v.to_dict() for k, v in self.times_by_priority.items()},
                "routes": self.routes.to_dict(orient="records"),
                "routes_by_priority": self.routes_by_priority().to_dict(orient="records")}


def fit_tickets(tickets: pd.DataFrame, visits: pd.DataFrame, quality: Quality) -> TicketFit:
    require_enough(len(tickets), MIN_TICKETS, "usable tickets")
    t = tickets
    span = span_of(t["opened"])
    arrivals = fit_arrivals(t["opened"], "tickets", span)
    # priority matrix: the modal priority of each impact x urgency cell
    impacts, urgencies = _levels(t["impact"]), _levels(t["urgency"])
    prios = priority_order(t["priority"], t.attrs.get("priority_order"))
    modal = t.groupby(["impact", "urgency"])["priority"].agg(lambda s: s.value_counts().index[0])
    matrix = {i: [modal.get((i, u), prios[min(a + b, len(prios) - 1)]) for b, u in enumerate(urgencies)]
              for a, i in enumerate(impacts)}
    consistent = float((t.apply(lambda r: matrix[r["impact"]][urgencies.index(r["urgency"])], axis=1) == t["priority"]).mean())
    quality.add("tickets whose priority differs from the matrix of impact x urgency",
                int(round((1 - consistent) * len(t))), "the scenario uses the modal priority of each cell")
    # streams: channel x impact x urgency (the engine draws impact and urgency independently within a stream)
    streams, stream_arrivals = [], {}
    services = t["service"].value_counts()
    top = list(services.index[:10])
    t = t.assign(svc=t["service"].where(t["service"].isin(top), "other services"))
    for (ch, imp, urg), grp in t.groupby(["channel", "impact", "urgency"], sort=True):
        name = f"{ch} {imp}-impact {urg}-urgency"
        fa = fit_arrivals(grp["opened"], name, span)
        stream_arrivals[name] = fa
        streams.append({"name": name, "channel": ch, "impact": imp, "urgency": urg, "count": len(grp),
                        "per_week": fa.per_week, "services": grp["svc"].value_counts().to_dict(),
                        "priority": matrix[imp][urgencies.index(urg)]})
    # routing and times on collapsed parties
    raw = visits[visits["ticket"].isin(t["ticket"])]
    v = collapse(raw)
    others = lumped(raw, v)
    quality.add("rare groups lumped into `other groups` (rule: outside the 10 busiest, or under 1 % of visits)",
                len(others), f"{raw['party'].isin(others).mean():.1%} of visits; ping-pong (A -> B -> A) in "
                f"{ping_pong_share(raw):.1%} of tickets before, {ping_pong_share(v):.1%} after", ", ".join(others[:8]))
    if t.attrs.get("first_visits") == "separate":
        from simsla.fit.routing import split_returning

        v = split_returning(v)
        quality.add("group visits after a ticket's first (first_visits: separate)", int(v["party"].str.endswith(
            " again").sum()), "fitted as visits to `<group> again`: times and routing apart from first visits")
    v = v.merge(t[["ticket", "priority"]], on="ticket", how="left")
    if "timed" in t:     # followed too briefly (simsla.fit.stationary): neither timed nor routed
        v = v[v["ticket"].isin(t.loc[t["timed"], "ticket"])]
    routes = transitions(v)
    times, by_prio = {}, {}
    from simsla.fit.window import check_window

    window = check_window(t, quality)
    from simsla.fit.workhours import party_hours

    hours = party_hours(raw, v, t.attrs.get("working_hours") or {})
    business = any(not wh.round_the_clock for wh in hours.values())
    if business:      # business time at groups that work set hours; they are staffed in them (ticket_scenario)
        office = v["party"].map(lambda p: p in hours and not hours[p].round_the_clock).astype(bool)
        v = v.assign(hours=v["office_hours"].where(office, v["hours"]))
    secs = (v["hours"] * 3600).where(v["hours"] > 0, 30.0).where(v["hours"].notna())
    # A visit that waited for the customer is timed as a whole (its work + its waits) in the customer wait,
    # and left out of the group's work: in real logs the visits that wait are also the ones with long work
    # (ServiceNow: median resolution 4 h without a wait, 187 h with one), which independent draws of work
    # and wait would lose; ``fit_waits`` gives the wait the mean of (whole visit - work of a visit without one).
    waiting = v["wait_hours"].fillna(0) > 0
    v = v.assign(secs=secs.where(~waiting), waiting=waiting,
                 visit_secs=((v["hours"].fillna(0) + v["wait_hours"].fillna(0)) * 3600).where(v["hours"].notna()))
    v = v.sort_values(["ticket", "step"])
    v = v.assign(resolves=v.groupby("ticket")["party"].shift(-1).isna())    # the visit ends the ticket (else passes it on)
    classes = priority_classes(prios)
    time_tree, outcome_tree, outcome_p = {}, {}, {}
    for party, grp in v.groupby("party"):
        x = grp["secs"].dropna().to_numpy()
        if len(x) < 2:
            x = v["secs"].dropna().to_numpy()
        times[party] = fit_durations(x, f"time at {party}")
        if grp["kind"].iloc[0] == "group":
            timed = grp[grp["secs"].notna()]
            nodes = tree(timed["priority"], classes)
            x = timed["secs"].to_numpy()
            time_tree[party] = ByPriority(nodes, shrunk_samples(nodes, x), distinct_times(nodes, x))
            for nd in nodes[1:]:
                by_prio[(party, nd.label)] = fit_durations(x[nd.mask], f"time at {party}, {nd.label}")
            split = outcome_split(timed, classes)
            if split is not None:
                outcome_tree[party], outcome_p[party] = split
                for res, bp in outcome_tree[party].items():
                    what = "resolving" if res else "passing on"
                    xo = timed.loc[timed["resolves"] == res, "secs"].to_numpy()
                    for i in [0] + bp.rules:
                        nd = bp.nodes[i]
                        by_prio[(party, f"{nd.label}, {what}")] = fit_durations(
                            xo[nd.mask], f"time at {party}, {nd.label}, {what}")
    # routing: where tickets go first, and after each party, by priority where the data supports it
    dep = pd.DataFrame({"from": v.groupby("ticket")["party"].shift(1).fillna(START), "to": v["party"],
                        "priority": v["priority"]})
    dep = dep[dep["from"] == START]
    dep = pd.concat([dep, pd.DataFrame({"from": v["party"], "to": v.groupby("ticket")["party"].shift(-1).fillna("resolved"),
                                        "priority": v["priority"]})], ignore_index=True)
    route_tree = {}
    for party, d in dep.groupby("from", sort=False):
        nodes = tree(d["priority"], classes)
        to = d["to"].reset_index(drop=True)
        route_tree[party] = ByPriority(nodes, shrunk_probabilities(nodes, to), distinct_routes(nodes, to))
    v = v.reset_index(drop=True)
    waits = fit_waits(v)
    return TicketFit(t, v, arrivals, stream_arrivals, streams,
                     {"impacts": impacts, "urgencies": urgencies, "priorities": prios, "matrix": matrix,
                      "consistent_share": consistent}, times, by_prio, routes, span, quality, time_tree, route_tree,
                     outcome_tree, outcome_p, waits, window=window, business=business, hours=hours)


def outcome_split(timed: pd.DataFrame, classes: list[tuple[str, ...]], min_n: int = MIN_N,
                  alpha: float = ALPHA) -> tuple[dict[bool, ByPriority], float] | None:
    """The time at a group separately for the visits that resolve the ticket and those that pass it on,
    each on its own priority tree (shrunk within it, rules where a node differs from the rest of its
    parent with the same outcome), if both have ``>= min_n`` timed visits and their times differ
    (two-sample Kolmogorov-Smirnov, p < ``alpha``).  Else None: one time for both."""
    from scipy.stats import ks_2samp

    res = timed["resolves"].to_numpy(bool)
    x = timed["secs"].to_numpy(float)
    if min(res.sum(), (~res).sum()) < min_n:
        return None
    p = float(ks_2samp(x[res], x[~res]).pvalue)
    if p >= alpha:
        return None
    out = {}
    for outcome in (True, False):
        sub = timed[res == outcome]
        nodes = tree(sub["priority"], classes)
        xo = sub["secs"].to_numpy(float)
        out[outcome] = ByPriority(nodes, shrunk_samples(nodes, xo), distinct_times(nodes, xo), resolves=outcome)
    return out, p


def _quantile_spec(x: np.ndarray, n: int = 100, weights: np.ndarray | None = None) -> dict[str, Any]:
    """An empirical distribution of ``n`` evenly spaced quantiles of the (weighted) sample (compact, exact marginal)."""
    from simsla.fit.distributions import duration_text

    p = (np.arange(n) + 0.5) / n
    x = np.asarray(x, dtype=float)
    q = np.quantile(x, p) if weights is None else weighted_quantiles(x, np.asarray(weights, dtype=float), p)
    return {"dist": "empirical", "samples": [duration_text(v) for v in q]}


def ticket_scenario(fit: TicketFit, name: str = "Service desk fitted from a ticket log", source: str = "",
                    times: str = "quantiles") -> ScenarioText:
    """``times``: ``fitted`` (the AIC-chosen family) or ``quantiles`` (100 observed quantiles, resampled)."""
    t, a = fit.tickets, fit.arrivals
    start, end = fit.span
    days = int(round((end - start).total_seconds() / 86400))
    span_s = (end - start).total_seconds()
    sc = ScenarioText(name)
    resolved = t["resolution_h"].dropna()
    sla = t.groupby("priority")["made_sla"].mean().dropna()
    has = {"made_sla": True, "reopen": True, "vendor": True, **t.attrs.get("fields", {})}
    seen = [f"{t['visits'].gt(1).mean():.0%} passed through more than one group"]
    if has["reopen"]:
        seen.append(f"{t['reopened'].mean():.1%} were reopened")
    if has["vendor"]:
        seen.append(f"{t['vendor'].mean():.1%} involved a vendor")
    order = {p: i for i, p in enumerate(fit.matrix["priorities"])}
    sla = sla.sort_index(key=lambda ix: ix.map(lambda p: order.get(p, len(order))))
    what = ("opened to the first resolved status" if has.get("from_statuses") else "opened to resolved")
    sc.header = [
        f"Fitted by `simsla fit` from {source or 'a ticket log'}: {len(t)} tickets opened {start.date()} to",
        f"{(end - pd.Timedelta(days=1)).date()}; " + ", ".join(seen) + ".",
        f"Resolution time ({what}): median {resolved.median():.1f} h, 90 % within {resolved.quantile(0.9):.0f} h.",
        *(["Share of tickets that met their SLA in the log (`made_sla`): "
           + ", ".join(f"{p} {s:.0%}" for p, s in sla.items()) + f"; overall {t['made_sla'].mean():.0%}."]
          if has["made_sla"] and len(sla) else []),
        *(fit.fit_window.lines() if fit.fit_window is not None else []),
        *(fit.window.lines() if fit.window is not None else []),
        *(["Times at groups with set hours are BUSINESS TIME in those hours (the log's holidays are unknown):",
           "each such group works them (`shifts`, the calendars below) and hands unfinished work over at the",
           "end of the day (`at_shift_end: handover`).  Working hours (inferred from each group's activity by",
           "hour of the week, or from the mapping):"] + _wrap("; ".join(
               f"{p}: {wh.text} ({wh.source}" + (f", {wh.inside:.0%} of its activity inside)" if wh.source == "inferred"
                                                 and not wh.round_the_clock else ")")
               for p, wh in fit.hours.items())) if fit.business else []),
        *([] if t.attrs.get("sla", {}).get("sla_targets") else
          ["(The SLA thresholds are not in the export, so no `agreements:` are written; add yours, or give",
           "sla_targets in the mapping.)"]),
        "",
        "STAFFING IS NOT IN THE DATA.  Each group below is given AMPLE staff (no queueing), and its",
        "`handling` is the fitted calendar time a ticket spends with the group (from assignment to the",
        "next reassignment or the resolution): nights and weekends included, and waiting for the customer",
        "too unless the log's statuses show it (then it is the group's `customer_wait`).  So the scenario",
        "reproduces the log's times at today's (unknown) staffing.  To study staffing, replace `staff`",
        "with the real rosters and `handling` with the work time per ticket.",
        f"`{DESK}` is a stand-in for the moment a ticket is logged (1 s, never resolves tickets):",
        "it hands every ticket to the first group it was assigned to.",
        "Times are the log's local clock times, written as UTC (no DST shift).",
    ]
    add_time_frame(sc, name, f"Fitted from {source or 'a ticket log'}: arrivals, priority mix, routing, times at groups.", start, days)
    _warm_up(sc, resolved)
    m = fit.matrix
    sc.add("priority_matrix", {"impacts": m["impacts"], "urgencies": m["urgencies"], "priorities": m["priorities"],
                               "matrix": m["matrix"]},
           "Priority matrix: the most frequent priority of each impact x urgency cell in the log",
           f"({m['consistent_share']:.1%} of tickets agree with it).")
    svcs = sorted({s for st in fit.streams for s in st["services"]})
    sc.add("services", [{"name": s} for s in svcs],
           "Services: the 10 most frequent categories of the log; the rest are `other services`.")
    profiles = {"all": {"hour_of_week": a.weights()}}
    for st in fit.streams:
        if st["count"] >= MIN_TICKETS_OWN_PROFILE:
            profiles[st["name"]] = {"hour_of_week": fit.stream_arrivals[st["name"]].weights()}
    sc.add("profiles", profiles,
           "Arrival profiles: mean tickets opened per hour of the week (Monday 00:00 first), relative weights.",
           f"`all` is every ticket; streams with at least {MIN_TICKETS_OWN_PROFILE} tickets have their own.",
           f"All tickets: {a.verdict()}.")
    demand = []
    for st in fit.streams:
        demand.append({"name": st["name"], "channel": st["channel"], "type": "incident",
                       "volume": rate_text(st["per_week"]), "profile": st["name"] if st["name"] in profiles else "all",
                       "services": {k: int(v) for k, v in st["services"].items()},
                       "impact": {st["impact"]: 1}, "urgency": {st["urgency"]: 1}})
    shares = t["priority"].value_counts(normalize=True)
    mix = ", ".join(f"{p} {shares[p]:.2%}" for p in fit.matrix["priorities"] if p in shares)
    sc.add("demand", demand,
           "One stream per channel x impact x urgency: a stream draws impact and urgency independently,",
           "so separate streams keep their joint mix (and with it the priority mix: " + mix + ").",
           f"{len(t)} tickets over {a.weeks:.2f} weeks = {a.per_week:.1f} per week.")
    # groups and suppliers
    v = fit.visits
    parties = v.groupby("party").agg(kind=("kind", "first"), n=("ticket", "size")).sort_values("n", ascending=False)
    groups = [{"name": DESK, "role": "desk", "staff": 50, "handling": {"dist": "deterministic", "value": "1s"},
               "first_contact_resolution": 0.0, "discipline": "fifo"}]
    suppliers = []
    def spec(party, f):
        if times != "quantiles":
            return f.spec()
        return _quantile_spec(v.loc[v["party"] == party, "secs"].dropna().to_numpy())

    def node_spec(party, i, bp=None):
        values, weights = (bp or fit.time_tree[party]).estimates[i]
        if times == "quantiles":
            return _quantile_spec(values, weights=weights)
        pseudo = weighted_quantiles(values, weights, (np.arange(400) + 0.5) / 400)
        return fit_durations(pseudo, f"time at {party}").spec()

    n_time_rules = n_outcome_groups = 0
    for party, row in parties.iterrows():
        fitd = fit.times[party]
        if row["kind"] == "supplier":
            suppliers.append({"name": party, "response": {"dist": "deterministic", "value": "1s"},
                              "resolution": spec(party, fitd)})
            continue
        mean = min(fitd.best.mean, 365 * 86400.0)
        staff = ample_staff(row["n"] / span_s * mean)     # a first guess; settle_staff checks it with the gate
        bp = fit.time_tree.get(party)
        rules = [{"when": bp.nodes[i].when, "time": node_spec(party, i)} for i in bp.rules] if bp else []
        if party in fit.outcome_tree:       # resolving visits and hand-offs differ: rules per outcome instead
            split = fit.outcome_tree[party]
            rules = [{"when": b.nodes[i].when, "resolves": b.resolves, "time": node_spec(party, i, b)}
                     for b in split.values() for i in b.rules]
            rules += [{"resolves": b.resolves, "time": node_spec(party, 0, b)} for b in split.values()]
            n_outcome_groups += 1
        n_time_rules += len(rules)
        handling = {"default": spec(party, fitd), "by": rules} if rules else spec(party, fitd)
        group = {"name": party, "staff": staff, "handling": handling, "discipline": "priority"}
        wh = fit.hours.get(party)
        if wh is not None and not wh.round_the_clock:   # set hours: ample headcount while open, handover at close
            group = {"name": party, "shifts": [{"name": wh.calendar_name, "days": wh.days, "hours": wh.hours,
                                                "staff": int(min(10_000, math.ceil(staff / wh.share_of_week)))}],
                     "handling": handling, "discipline": "priority", "at_shift_end": "handover"}
        cw = fit.waits.get(party)
        if cw is not None and cw.probability > 0:
            group["customer_wait"] = {"probability": round(min(1.0, cw.probability), 4),
                                      "duration": _quantile_spec(cw.seconds) if times == "quantiles" else cw.fit.spec()}
        groups.append(group)
    table = "; ".join(f"{p}: {f.best.family} median {f.best.frozen.median() / 3600:.1f} h (n={f.n})"
                      for p, f in fit.times.items())
    sc.add("groups", groups,
           "Groups: the 10 busiest assignment groups (each >= 1 % of visits); the rest are `other groups`.",
           "`staff` is AMPLE (offered load + 4 x its square root + 3), so nobody queues: see the header.  The offered",
           "load is the one `simsla run`'s gate computes for this file (traffic equations over the routing below,",
           "loops included, times the mean work per visit), so `run` accepts it without --force; each group's",
           "utilisation is in the fit report (gate section).",
           "`customer_wait` (logs with waiting statuses): the share of the group's visits that waited for the",
           "customer and the total wait of such a visit; that time pauses SLA clocks and is not in `handling`.",
           "`handling` = time at the group per visit.  A visit that resolves the ticket often lasts much longer",
           "than one that passes it on (for urgent tickets about 70 h against under 1 h in the ServiceNow log), so",
           f"where the two differ (both >= {MIN_N} timed visits, Kolmogorov-Smirnov p < {ALPHA:g}; "
           f"{n_outcome_groups} of {len(fit.time_tree)} groups) the",
           "rules say `resolves: true` (visits that resolve) or `resolves: false` (visits that pass the ticket on),",
           "each with its own priority rules over the visits with that outcome.  Urgent tickets stay longer with the",
           "group that resolves them, so",
           *_by_priority_note("timed visits"),
           f"({n_time_rules} time rules in all.)",
           *(["100 observed quantiles, resampled (`empirical`): the times are bimodal (minutes, or days), which",
              "no single family fits; the MLE fits (lognormal, gamma, Weibull, exponential; lowest AIC) are in the",
              "fit report with Q-Q plots, and with them the back-test misses median resolution by about 30 %.",
              "AIC-chosen fits:"] if times == "quantiles" else
             ["MLE among lognormal, gamma, Weibull, exponential, lowest AIC:"]),
           *[line for line in _wrap(table)])
    if suppliers:
        sc.add("suppliers", suppliers,
               "Suppliers: the time tickets spent in the vendor state (`Awaiting Vendor`), fitted like the groups",
               "(response 1 s, then that time as `resolution`); rare vendors are one `vendor`.")
    routing = []

    def rules_from(source, name, fix_resolved):
        bp = fit.route_tree.get(source)
        if bp is None:
            return []
        out = []
        for i in bp.rules + [0]:
            probs = {str(k): float(p) for k, p in bp.estimates[i].items() if p > (MIN_SHARE_IN_RULE if i else 0)}
            if fix_resolved and probs.get("resolved", 0) == 0:
                probs["resolved"] = max(1.0 / (bp.nodes[i].n + 1), 1e-4)     # keeps every party able to end a ticket
            rule = {"from": name, "to": probabilities(probs)}
            if i:
                rule = {"from": name, "when": bp.nodes[i].when, "to": rule["to"]}
            out.append(rule)
        return out

    routing += rules_from(START, DESK, False)
    for party in parties.index:
        routing += rules_from(party, party, True) or [{"from": party, "to": {"resolved": 1.0}}]
    sc.add("routing", routing,
           f"Routing: from `{DESK}` to the first group the ticket was assigned to; from each group, the shares of",
           "reassignments to each other party and of resolutions, counted over consecutive visits in the log.",
           "Urgent tickets go to other first groups and are passed on differently, so",
           *_by_priority_note("tickets leaving"),
           f"Destinations under {MIN_SHARE_IN_RULE:.1%} are left out of the by-priority rules.")
    from simsla.fit.workhours import add_calendars

    add_calendars(sc, fit.hours, t.attrs.get("sla", {}), fit.matrix["priorities"])
    fit.gate = settle_staff(sc, fit.quality)
    return sc


def _warm_up(sc: ScenarioText, resolution_h: pd.Series) -> None:
    """A warm-up as long as 99 % of the log's resolutions (whole days, at most a year).

    The groups' times are calendar times with long tails (weeks); a run that starts with an empty desk
    fills up for as long as they last, and ``simsla run`` rightly reports a backlog that is still
    growing.  Starting the measurement after the time 99 % of tickets take, the desk is as full of open
    work as in the log.  (``simsla backtest`` replaces it with none: it compares the span itself.)
    """
    if resolution_h.empty:
        return
    days = int(min(365, max(1, math.ceil(float(resolution_h.quantile(0.99)) / 24))))
    for i, (_, key, _) in enumerate(sc.parts):
        if key == "warmup":
            sc.parts[i] = (["Warm-up: the time 99 % of the log's tickets were resolved within, so that measuring",
                            "starts with the desk as full of open work as in the log (times at groups are weeks",
                            "long); `simsla backtest` runs the log's span without one."], "warmup", f"{days}d")


def _by_priority_note(what: str) -> list[str]:
    return [f"rules `when: {{priority: ...}}` come first (first match wins): a single priority with >= {MIN_N} {what},",
            f"else its class (the two most urgent priorities, or the rest) with >= {MIN_N}; each shrunk towards the class",
            f"(or the pooled estimate) by {SHRINK:g} pseudo-observations; only where they differ from the rest of the class",
            f"(or of all tickets) at p < {ALPHA:g}.  Other tickets fall through to the class or the pooled catch-all."]


def _wrap(text: str, width: int = 100) -> list[str]:
    words, lines, cur = text.split(" "), [], ""
    for w in words:
        if len(cur) + len(w) + 1 > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    return lines + ([cur] if cur else [])


def read_ticket_log(path, format: str, mapping: Any, quality: Quality):
    """(tickets, visits) of a ticket log (``simsla.fit.tickets_result.read_ticket_log``)."""
    from simsla.fit.tickets_result import read_ticket_log as read

    return read(path, format, mapping, quality)


def tickets_result(path, format: str, mapping: Any = None, source: str = "", times: str = "quantiles",
                   window: str | None = None):
    """The ticket fit as a ``FitResult`` (``simsla.fit.tickets_result.tickets_result``)."""
    from simsla.fit.tickets_result import tickets_result as result

    return result(path, format, mapping, source=source, times=times, window=window)
