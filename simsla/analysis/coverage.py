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
    minor_paths: int = 0  # paths below the share shown, whatever their state
    minor_with_gaps: int = 0


def _overlaps(a: When, b: When, customer: str | None = None) -> bool:
    for attribute in ATTRIBUTES:
        va, vb = a.values(attribute), b.values(attribute)
        if attribute == "customer" and customer is not None:
            va = (customer,) if va is None else tuple(v for v in va if v == customer)
        if va is not None and vb is not None and not set(va) & set(vb):
            return False
    return True


def _first(rules: list, scope: When, customer: str | None):
    """The first rule that can apply to tickets in scope (first match wins, as in the engine)."""
    return next((r for r in rules if _overlaps(r.when, scope, customer)), None)


def paths(scenario: Scenario, scope: When, customer: str | None = None,
          smallest: float = 1e-4) -> list[tuple[list[str], float]]:
    """Escalation paths (desk first) of tickets in ``scope`` with the share of those tickets taking each.

    The share is the product of the routing probabilities along the path (the
    first rule that can match the scope applies, as in the engine).  Paths
    revisit no party and stop below ``smallest``.
    """
    desk = scenario.desk
    fcr = desk.resolution_probability
    rule = _first(list(fcr.by), scope, customer)
    p_fcr = rule.probability if rule is not None else fcr.default
    out: list[tuple[list[str], float]] = []
    if p_fcr > 0:
        out.append(([desk.name], p_fcr))

    def walk(path: list[str], share: float) -> None:
        here = path[-1]
        rule = _first([r for r in scenario.routing if r.source == here], scope, customer)
        if rule is None:  # no rule: resolved here (the desk always has a catch-all by validation)
            out.append((list(path), share))
            return
        for dest, p in rule.to.items():
            if p <= 0 or share * p < smallest:
                continue
            if dest == RESOLVED:
                out.append((list(path), share * p))
            elif dest not in path:
                walk(path + [dest], share * p)

    walk([desk.name], 1.0 - p_fcr)
    return out


def _scoped_paths(scenario: Scenario, target: Target, customer: str | None) -> dict[tuple[str, ...], float]:
    """Paths per service in scope, each with its largest share over those services."""
    services = target.when.values("service") or tuple(s.name for s in scenario.services)
    found: dict[tuple[str, ...], float] = {}
    for service in services:
        scope = target.when.model_copy(update={"service": service})
        for path, share in paths(scenario, scope, customer):
            found[tuple(path)] = max(found.get(tuple(path), 0.0), share)
    return found


def _binding(scenario: Scenario, party: str, target: Target, customer: str | None) -> list[tuple[Agreement, Target]]:
    return [(a, t) for a in scenario.agreements if a.kind != "SLA" and a.party == party
            for t in a.targets if t.metric == "resolution" and _overlaps(t.when, target.when, customer)]


def bound_parties(scenario: Scenario, agreement: Agreement, target: Target) -> set[str]:
    """Parties bound by an OLA/UC resolution target whose scope overlaps an SLA target's."""
    return {p for p in scenario.parties if _binding(scenario, p, target, agreement.customer)}


def _path_problems(scenario: Scenario, a: Agreement, t: Target, route: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(problems, notes) of one path."""
    problems, notes = [], []
    budget = 0.0
    calendar = t.calendar or a.calendar
    where = " → ".join(route)
    for party in route[1:]:
        bound = _binding(scenario, party, t, a.customer)
        if not bound:
            problems.append(f"missing agreement: {party} has no OLA/UC resolution target for this scope")
            continue
        ba, bt = max(bound, key=lambda x: x[1].threshold or 0)
        budget += float(bt.threshold or 0)
        if bt.fraction < t.fraction:
            problems.append(f"weak fraction: {ba.name} / {bt.name} promises {bt.fraction:.0%}, the SLA needs {t.fraction:.0%}")
        if (bt.calendar or ba.calendar) != calendar:
            notes.append(f"note: {ba.name} / {bt.name} runs in calendar {bt.calendar or ba.calendar or '24/7'}, "
                         f"the SLA target in {calendar or '24/7'}; thresholds are compared as written")
    if budget > float(t.threshold or 0):
        problems.append(f"over budget: the OLA/UC thresholds add up to {format_duration(budget)}, "
                        f"more than the SLA's {format_duration(float(t.threshold or 0))}")
    return [f"{p} (path {where})" for p in problems], notes


def check(scenario: Scenario, min_share: float = 0.01) -> list[Verdict]:
    """A verdict per SLA resolution target.

    Paths taken by at least ``min_share`` of the target's tickets decide the
    verdict and are listed (most frequent first); rarer paths are counted, and
    how many of them have gaps is reported, but they do not decide.
    """
    verdicts = []
    for a in scenario.agreements:
        if a.kind != "SLA":
            continue
        for t in a.targets:
            if t.metric != "resolution":
                continue
            v = Verdict(a.name, t.name, "covered")
            found = _scoped_paths(scenario, t, a.customer)
            v.paths = len(found)
            notes: list[str] = []
            for route, share in sorted(found.items(), key=lambda kv: -kv[1]):
                problems, path_notes = _path_problems(scenario, a, t, route)
                if share < min_share:
                    v.minor_paths += 1
                    v.minor_with_gaps += bool(problems)
                    continue
                notes.extend(path_notes)
                v.problems.extend(f"{p}, up to {share:.1%} of the tickets" for p in problems)
            kinds = [p.split(":")[0] for p in v.problems]
            for k in ("missing agreement", "over budget", "weak fraction"):
                if k in kinds:
                    v.verdict = k
                    break
            v.problems = list(dict.fromkeys(v.problems + notes))
            verdicts.append(v)
    return verdicts
