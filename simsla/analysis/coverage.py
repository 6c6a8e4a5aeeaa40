"""``check``: is every SLA target covered backwards by OLAs and UCs?  No simulation.

For each SLA ``resolution`` target, every escalation path its tickets can
take (from the routing, parties visited at most once per path) is walked; each
group or supplier on it must be bound by an OLA/UC ``resolution`` target
whose scope overlaps the SLA target's, the thresholds along the path must fit
inside the SLA's threshold, and each party's fraction must be at least the
SLA's.  Thresholds are compared as written (business time in each target's
own calendar); a note says when the calendars differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simsla.model import Agreement, Scenario, Target, When
from simsla.model.chain import ATTRIBUTES, RESOLVED
from simsla.model.units import format_duration


@dataclass
class Verdict:
    """The verdict on one SLA target."""

    agreement: str
    target: str
    verdict: str  # covered | missing agreement | over budget | weak fraction
    problems: list[str] = field(default_factory=list)
    paths: int = 0


def _overlaps(a: When, b: When, customer: str | None = None) -> bool:
    for attribute in ATTRIBUTES:
        va, vb = a.values(attribute), b.values(attribute)
        if attribute == "customer" and customer is not None:
            va = (customer,) if va is None else tuple(v for v in va if v == customer)
        if va is not None and vb is not None and not set(va) & set(vb):
            return False
    return True


def paths(scenario: Scenario, scope: When, customer: str | None = None, limit: int = 200) -> list[list[str]]:
    """Escalation paths (party names, desk first) that tickets in ``scope`` can take to resolution."""
    desk = scenario.desk
    out: list[list[str]] = []
    fcr = desk.resolution_probability
    if fcr.default > 0 or any(r.probability > 0 and _overlaps(r.when, scope, customer) for r in fcr.by):
        out.append([desk.name])

    def walk(path: list[str]) -> None:
        if len(out) >= limit:
            return
        here = path[-1]
        dests: set[str] = set()
        rules = [r for r in scenario.routing if r.source == here and _overlaps(r.when, scope, customer)]
        for r in rules:
            dests |= {d for d, p in r.to.items() if p > 0}
        if here != desk.name and (not rules or not any(r.when == When() for r in rules)):
            dests.add(RESOLVED)  # tickets no rule matches are resolved here
        for d in sorted(dests):
            if d == RESOLVED:
                if len(path) > 1:
                    out.append(list(path))
            elif d not in path:
                walk(path + [d])

    walk([desk.name])
    return out


def _binding(scenario: Scenario, party: str, target: Target, customer: str | None) -> list[tuple[Agreement, Target]]:
    return [(a, t) for a in scenario.agreements if a.kind != "SLA" and a.party == party
            for t in a.targets if t.metric == "resolution" and _overlaps(t.when, target.when, customer)]


def check(scenario: Scenario) -> list[Verdict]:
    """A verdict per SLA resolution target."""
    verdicts = []
    for a in scenario.agreements:
        if a.kind != "SLA":
            continue
        for t in a.targets:
            if t.metric != "resolution":
                continue
            v = Verdict(a.name, t.name, "covered")
            routes = paths(scenario, t.when, a.customer)
            v.paths = len(routes)
            calendar = t.calendar or a.calendar
            for route in routes:
                budget = 0.0
                for party in route[1:]:
                    bound = _binding(scenario, party, t, a.customer)
                    where = " → ".join(route)
                    if not bound:
                        v.problems.append(f"missing agreement: {party} on path {where} has no OLA/UC resolution target for this scope")
                        continue
                    ba, bt = max(bound, key=lambda x: x[1].threshold or 0)
                    budget += float(bt.threshold or 0)
                    if bt.fraction < t.fraction:
                        v.problems.append(f"weak fraction: {ba.name} / {bt.name} promises {bt.fraction:.0%} but the SLA needs {t.fraction:.0%} ({party})")
                    if (bt.calendar or ba.calendar) != calendar:
                        v.problems.append(f"note: {ba.name} / {bt.name} runs in calendar {bt.calendar or ba.calendar or '24/7'}, "
                                          f"the SLA target in {calendar or '24/7'}; thresholds are compared as written")
                if budget > float(t.threshold or 0):
                    v.problems.append(f"over budget: on path {' → '.join(route)} the OLA/UC thresholds add up to "
                                      f"{format_duration(budget)}, more than the SLA's {format_duration(float(t.threshold or 0))}")
            v.problems = list(dict.fromkeys(v.problems))
            kinds = [p.split(":")[0] for p in v.problems if not p.startswith("note")]
            for k in ("missing agreement", "over budget", "weak fraction"):
                if k in kinds:
                    v.verdict = k
                    break
            verdicts.append(v)
    return verdicts
