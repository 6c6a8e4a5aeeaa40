"""Will the queues settle?  The offered load of every party against its capacity, before simulating.

Traffic equations per ticket kind: tickets of each attribute combination (a
*key*) enter at the desk and move between parties with the routing
probabilities that apply to that key, so the expected visits per ticket are
``e_desk (I - P)^-1``.  Keys that every party routes alike (the same rule at
every party and the same first-contact resolution) share one transition
matrix, a *routing signature*; the equations are solved once per signature,
as a sparse system over the parties its tickets can reach, so the work and
memory grow with the routes, not with keys x parties x parties.

Before solving, each signature's reachable parties are checked for a *trap*:
parties its tickets can reach but never leave (every rule that applies to them
leads back among them; a rule that would resolve them matches none of these
tickets).  Such tickets circulate until they pass the engine's hop limit, so a
trap is reported instead of solved (the system would be singular).

Offered work (agent-seconds per second, i.e. Erlang) is visits x arrival rate
x mean work per visit; the capacity is the group's average headcount over the
run.  A group whose offered load reaches its capacity cannot keep up on
average: its queue grows without bound.  Phone callers who hang up shed load,
so the desk's impatient callers are left out of its refusal (their share is
reported as expected abandonment instead).

Contacts raised by outages (major incidents and users' surge calls) are
included at their long-run average rate.

The public entry point for commands is :func:`simsla.experiment.gate.preflight`,
which runs these checks together with the resource estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from simsla.engine import seasons
from simsla.engine.shifts import staff_steps
from simsla.engine.tables import KeySpace
from simsla.model import Scenario
from simsla.model.chain import ATTRIBUTES, RESOLVED

if TYPE_CHECKING:
    import pandas as pd

#: reachable parties up to which a signature's equations are solved densely (larger: scipy's sparse solver)
DENSE_PARTIES = 200


def key_rates(scenario: Scenario, space: KeySpace, *, patient_only: bool = False,
              outages: bool = True) -> np.ndarray:
    """Expected arrivals per second of each key, averaged over the run.

    ``patient_only`` counts only contacts that never hang up (written ones
    and phone streams without patience); ``outages`` adds the average rate of
    the contacts that outages raise.
    """
    pm = scenario.priority_matrix
    rates = np.zeros(space.shape)
    services = scenario.levels("service")
    customers = scenario.levels("customer")
    for d in scenario.demand:
        if patient_only and (d.patience or (scenario.patience if d.channel == "phone" else None)) is not None:
            continue
        volume = d.volume * seasons.mean_factor(scenario, d)  # the run's average: months, trend, special days
        ps = _weights(services, d.services)
        joint = d.cells(pm)
        t = scenario.levels("type").index(d.type)
        ch = scenario.levels("channel").index(d.channel)
        for si, s in enumerate(scenario.services):
            if ps[si] <= 0:
                continue
            pc = _weights(customers, d.customers)
            if s.customers is not None:
                pc = pc * np.isin(np.asarray(customers), np.asarray(s.customers))
            if pc.sum() <= 0:
                continue
            pc = pc / pc.sum()
            for ii, impact in enumerate(pm.impacts):
                for ui, urgency in enumerate(pm.urgencies):
                    p = pm.priorities.index(pm.priority(impact, urgency))
                    rates[si, :, t, ch, p] += volume * ps[si] * pc * joint[ii, ui]
    if outages:
        _outage_rates(scenario, rates, patient_only)
    return rates.ravel()


def outage_cycle(failures) -> float:
    """Mean seconds from one outage's start to the next (up + down)."""
    return float(failures.time_between.expected + failures.time_to_restore.expected)


def _outage_rates(scenario: Scenario, rates: np.ndarray, patient_only: bool) -> None:
    """Add the long-run rate of major incidents (high/high) and surge calls (low impact, high urgency)."""
    pm = scenario.priority_matrix
    customers = scenario.levels("customer")
    t = scenario.levels("type").index("incident")
    ch = scenario.levels("channel").index("phone")
    top = pm.priorities.index(pm.priority(pm.impacts[0], pm.urgencies[0]))
    surge_p = pm.priorities.index(pm.priority(pm.impacts[-1], pm.urgencies[0]))
    for si, sv in enumerate(scenario.services):
        f = sv.failures
        cycle = outage_cycle(f) if f is not None else 0.0
        if f is None or not cycle > 0:
            continue
        allowed = np.ones(len(customers)) if sv.customers is None else np.isin(np.asarray(customers), np.asarray(sv.customers)).astype(float)
        share = allowed / allowed.sum()
        if f.major_incident:
            rates[si, :, t, ch, top] += share / cycle
        if f.surge and not (patient_only and scenario.patience is not None):
            rates[si, :, t, ch, surge_p] += share * f.surge * f.time_to_restore.expected / cycle


def _weights(levels: tuple[str, ...], weights: dict[str, float] | None) -> np.ndarray:
    if weights is None:
        return np.full(len(levels), 1.0 / len(levels))
    w = np.array([weights.get(level, 0.0) for level in levels], dtype=float)
    return w / w.sum()


@dataclass(frozen=True)
class Trap:
    """Tickets of some keys that reach parties they can never leave."""

    parties: tuple[str, ...]
    keys: np.ndarray
    rate: float

    def describe(self, scenario: Scenario, space: KeySpace) -> str:
        """A one-line explanation naming the tickets and the parties."""
        return (f"tickets of {describe_keys(scenario, space, self.keys)} ({self.rate * 3600:.3g}/h) can never leave "
                f"{', '.join(repr(p) for p in self.parties)}: every routing rule that applies to them there leads back "
                "among these parties (a rule that would resolve them or send them on matches none of these tickets); "
                "add a catch-all rule with `resolved`, or widen the `when` of the rule that should let them out")


@dataclass(frozen=True)
class Flow:
    """The traffic equations of a scenario, per routing signature.

    ``keys`` are the keys with a positive arrival rate ``rate``; ``signature``
    maps each to a row of ``visits`` (signatures x parties; zero rows for the
    trapped signatures, which ``traps`` lists).
    """

    space: KeySpace
    keys: np.ndarray
    rate: np.ndarray
    signature: np.ndarray
    visits: np.ndarray
    traps: tuple[Trap, ...]

    def visits_per_key(self, party: int) -> np.ndarray:
        """Expected visits to one party of a ticket of each key (aligned with ``keys``)."""
        return self.visits[self.signature, party]

    @property
    def visits_per_ticket(self) -> float:
        """Mean visits per ticket over all parties (segments a ticket leaves in the log)."""
        total = self.rate.sum()
        return float((self.rate * self.visits[self.signature].sum(axis=1)).sum() / total) if total > 0 else 1.0


def flow(scenario: Scenario, space: KeySpace | None = None) -> Flow:
    """Solve the traffic equations: expected visits of each party per ticket, per routing signature."""
    space = space or KeySpace(scenario)
    parties = list(scenario.parties)
    n = len(parties)
    index = {p: i for i, p in enumerate(parties)}
    desk = next(i for i, g in enumerate(scenario.groups) if g.role == "desk")
    lam = key_rates(scenario, space)
    keys = np.flatnonzero(lam > 0)
    by_source: dict[str, list] = {p: [] for p in parties}
    for r in scenario.routing:
        by_source[r.source].append(r)
    rules_of = [by_source[p] for p in parties]
    # which rule each party applies to each key (-1: none, the party resolves it)
    rule = np.full((len(keys), n), -1, dtype=np.int32)
    for pi, rules in enumerate(rules_of):
        if rules:
            rule[:, pi] = space.first_match([r.when for r in rules])[keys]
    fcr = scenario.desk.resolution_probability
    fcr_p = np.array([r.probability for r in fcr.by] + [fcr.default])[
        space.first_match([r.when for r in fcr.by], default=len(fcr.by))][keys]
    fcr_code = np.unique(fcr_p, return_inverse=True)[1].reshape(-1, 1).astype(np.int32)
    table = np.ascontiguousarray(np.hstack([rule, fcr_code]))
    # unique rows through a bytes view of each row: much faster than np.unique(axis=0) on wide tables
    rows_as_bytes = table.view(np.dtype((np.void, table.dtype.itemsize * table.shape[1]))).ravel()
    _, first, signature = np.unique(rows_as_bytes, return_index=True, return_inverse=True)
    signatures, signature = table[first], signature.ravel()
    visits = np.zeros((len(signatures), n))
    traps = []
    for s, row in enumerate(signatures):
        mine = signature == s
        p_desk_escalates = 1.0 - float(fcr_p[mine][0])
        edges: dict[int, dict[int, float]] = {}  # party -> destination -> probability
        for pi in range(n):
            if row[pi] < 0:
                continue
            scale = p_desk_escalates if pi == desk else 1.0
            for dest, prob in rules_of[pi][row[pi]].to.items():
                if dest != RESOLVED and prob * scale > 0:
                    out = edges.setdefault(pi, {})
                    out[index[dest]] = out.get(index[dest], 0.0) + prob * scale
        reach = _reachable(edges, desk)
        trapped = _trapped(edges, reach)
        if trapped:
            traps.append(Trap(tuple(parties[i] for i in sorted(trapped)), keys[mine], float(lam[keys][mine].sum())))
            continue
        sub = sorted(reach)
        visits[s, sub] = _solve(edges, sub, desk)
    return Flow(space, keys, lam[keys], signature, visits, _merged(traps))


def _merged(traps: list[Trap]) -> tuple[Trap, ...]:
    """One trap per set of parties (signatures that differ elsewhere can be caught by the same loop)."""
    by_parties: dict[tuple[str, ...], list[Trap]] = {}
    for trap in traps:
        by_parties.setdefault(trap.parties, []).append(trap)
    return tuple(Trap(parties, np.sort(np.concatenate([t.keys for t in group])), sum(t.rate for t in group))
                 for parties, group in by_parties.items())


def _solve(edges: dict[int, dict[int, float]], sub: list[int], desk: int) -> np.ndarray:
    """Expected visits to the parties ``sub`` (a trap-free reachable set) of a ticket that enters at the desk.

    ``v (I - P) = e_desk`` restricted to ``sub``: dense for small chains,
    scipy's sparse solver (imported only then) for large ones.
    """
    pos = {p: k for k, p in enumerate(sub)}
    rows = [pos[i] for i in sub for j in edges.get(i, {})]
    cols = [pos[j] for i in sub for j in edges.get(i, {})]
    probs = [q for i in sub for q in edges.get(i, {}).values()]
    start = np.zeros(len(sub))
    start[pos[desk]] = 1.0
    if len(sub) <= DENSE_PARTIES:
        p = np.zeros((len(sub), len(sub)))
        np.add.at(p, (rows, cols), probs)
        return np.linalg.solve((np.eye(len(sub)) - p).T, start)
    import scipy.sparse as sparse
    import scipy.sparse.linalg as splinalg

    p = sparse.csr_matrix((probs, (rows, cols)), shape=(len(sub), len(sub)))
    return np.atleast_1d(splinalg.spsolve((sparse.identity(len(sub), format="csr") - p).T.tocsc(), start))


def _reachable(edges: dict[int, dict[int, float]], start: int) -> set[int]:
    seen, todo = {start}, [start]
    while todo:
        for j in edges.get(todo.pop(), {}):
            if j not in seen:
                seen.add(j)
                todo.append(j)
    return seen


def _trapped(edges: dict[int, dict[int, float]], reach: set[int]) -> set[int]:
    """Reachable parties from which no path leads out of the chain (to resolution)."""
    leaks = {i for i in reach if sum(edges.get(i, {}).values()) < 1 - 1e-9}  # some probability of resolving there
    back: dict[int, list[int]] = {}
    for i in reach:
        for j in edges.get(i, {}):
            back.setdefault(j, []).append(i)
    free, todo = set(leaks), list(leaks)
    while todo:
        for i in back.get(todo.pop(), ()):
            if i not in free:
                free.add(i)
                todo.append(i)
    return reach - free


def describe_keys(scenario: Scenario, space: KeySpace, keys: np.ndarray, limit: int = 4) -> str:
    """Attribute values shared by some keys, e.g. "service 'payroll', priority P1/P2" (all values: left out)."""
    codes = np.unravel_index(np.asarray(keys, dtype=np.int64), space.shape)
    parts = []
    for axis, attribute in enumerate(ATTRIBUTES):
        levels = space.levels[attribute]
        used = sorted(set(codes[axis].tolist()))
        if len(used) == len(levels):
            continue
        names = [levels[i] for i in used]
        shown = "/".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")
        parts.append(f"{attribute} {shown}")
    return ", ".join(parts) or "every kind"


def offered_load(scenario: Scenario, traffic: Flow | None = None) -> "pd.DataFrame":
    """Per party: visits per hour, mean work per visit, offered load, capacity and utilisation.

    Columns: party, kind, visits_per_hour, mean_work_seconds, offered_erlangs,
    capacity, utilization, stable, note, and ``patient_erlangs`` (the part of
    the offered load from contacts that never hang up: at the desk only that
    part has to fit its capacity).
    """
    import pandas as pd

    return pd.DataFrame(load_rows(scenario, traffic))


def load_rows(scenario: Scenario, traffic: Flow | None = None) -> list[dict[str, Any]]:
    """:func:`offered_load` as one dict per party (no pandas: the gate of ``simsla validate`` uses this)."""
    traffic = traffic or flow(scenario)
    space, keys, lam = traffic.space, traffic.keys, traffic.rate
    desk = next(i for i, g in enumerate(scenario.groups) if g.role == "desk")
    patient = key_rates(scenario, space, patient_only=True)[keys]
    rows = []
    for pi, p in enumerate(scenario.parties):
        v = traffic.visits_per_key(pi)
        rate = float((lam * v).sum())
        if pi < len(scenario.groups):
            g = scenario.groups[pi]
            h = g.handling_times
            specs = [r.time for r in h.by] + [h.default]
            means = np.array([spec.expected for spec in specs])
            work = means[space.first_match([r.when for r in h.by], default=len(h.by))[keys]]
            times, levels = staff_steps(scenario, pi)
            ends = np.append(times[1:], scenario.end)
            capacity = float(((ends - times) * levels).sum() / scenario.end)
            kind = "group"
            tightest = ""
            if g.agents:
                # agent groups: the load each set of skills brings must fit the agents who hold one of them;
                # the group is as loaded as its tightest set (its capacity scaled to say so)
                worst = skill_bottleneck(scenario, pi, space, keys, lam * v * work)
                if worst is not None:
                    util_skills, tightest = worst
                    total = float((lam * v * work).sum())
                    capacity = total / util_skills if util_skills > 0 else np.inf
        else:
            s = scenario.suppliers[pi - len(scenario.groups)]
            work = np.full(len(keys), s.response.expected + s.resolution.expected)
            capacity = float(s.capacity) if s.capacity else np.inf
            kind = "supplier"
        offered = float((lam * v * work).sum())
        # only the desk's first visit can end in a hang-up; later visits and other parties keep every ticket
        patient_offered = offered if pi != desk else float(((patient * v + (lam - patient) * np.maximum(v - 1, 0)) * work).sum())
        mean_work = offered / rate if rate > 0 else 0.0
        util = offered / capacity if capacity > 0 else (np.inf if offered > 0 else 0.0)
        patient_util = patient_offered / capacity if capacity > 0 else (np.inf if patient_offered > 0 else 0.0)
        impatient = pi == desk and patient_offered < offered
        stable = util < 1 or (impatient and patient_util < 1)
        rows.append({"party": p, "kind": kind, "visits_per_hour": rate * 3600, "mean_work_seconds": mean_work,
                     "offered_erlangs": offered, "patient_erlangs": patient_offered, "capacity": capacity,
                     "utilization": util, "stable": bool(stable),
                     "note": ("callers hang up, so the queue is bounded by abandonment" if impatient and util >= 1
                              else tightest)})
    return rows


def team_capacity(scenario: Scenario, gi: int, team: int) -> float:
    """An agent group's mean capacity over the run in the group's work units per second.

    Headcount (mean over the run) x sessions / their stretch at full concurrency / handling factor: an agent
    holding n sessions that each take ``stretch[n-1]`` times as long, at ``handling_factor`` of the group's
    handling time, works through n / (stretch[n-1] x factor) visits' worth of the group's work at once.
    """
    t = scenario.groups[gi].agents[team]
    times, levels = staff_steps(scenario, gi, team=team)
    ends = np.append(times[1:], scenario.end)
    heads = float(((ends - times) * levels).sum() / scenario.end)
    stretch = t.stretch_factors()[-1]
    return heads * t.concurrency / (stretch * float(t.handling_factor))


def skill_bottleneck(scenario: Scenario, gi: int, space: KeySpace, keys: np.ndarray,
                     offered_per_key: np.ndarray) -> tuple[float, str] | None:
    """A group with agent groups: the utilisation of its tightest set of skills, and a note naming it.

    For every set of skills, the work needing one of them must fit the agent groups holding one of them
    (Hall's condition: without it no policy keeps the queues settled).  The row reports the set with the
    highest utilisation; with one skill that is the whole group.  Work content is in the group's handling
    time (agent groups' factors and sessions are in their capacity, ``team_capacity``).
    """
    import itertools

    g = scenario.groups[gi]
    skills = list(g.skill_names)
    rules = g.skill_rules
    rule_of_key = space.first_match([r.when for r in rules])[keys]
    load = np.zeros(len(skills))
    for i, r in enumerate(rules):
        mine = float(offered_per_key[rule_of_key == i].sum())
        for s, share in r.shares().items():
            load[skills.index(s)] += mine * share
    caps = [team_capacity(scenario, gi, j) for j in range(len(g.agents))]
    holds = [[s in t.skills for s in skills] for t in g.agents]
    worst = None
    small = len(skills) <= 12  # 4,096 sets at most; beyond, the single skills and the whole group
    sets = (c for k in range(1, len(skills) + 1) for c in itertools.combinations(range(len(skills)), k)) if small \
        else [(s,) for s in range(len(skills))] + [tuple(range(len(skills)))]
    for chosen in sets:
        offered = float(load[list(chosen)].sum())
        if offered <= 0:
            continue
        capacity = sum(c for c, h in zip(caps, holds) if any(h[s] for s in chosen))
        util = offered / capacity if capacity > 0 else np.inf
        if worst is None or util > worst[0]:
            worst = (util, chosen, offered, capacity)
    if worst is None:
        return None
    util, chosen, offered, capacity = worst
    if len(chosen) == len(skills):
        return util, ""
    names = ", ".join(skills[s] for s in chosen)
    return util, (f"its tightest skills: {names} — {offered:.1f} Erlang of work on {capacity:.1f} agents' worth "
                  "of the agent groups holding them")


def overloaded(scenario: Scenario) -> list[str]:
    """Messages of everything that stops a run before it starts (empty: it may run).

    Kept for callers of the earlier API: the gate (:func:`simsla.experiment.gate.preflight`)
    makes these checks and more.
    """
    from simsla.experiment.gate import preflight

    return [r.message for r in preflight(scenario).refusals]
