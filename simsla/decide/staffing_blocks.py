"""The decision variables of the staffing search: shift blocks, their cost, and the analytic start.

A block is one shift of one group (a group with a constant ``staff`` is one
block, 24/7).  Its headcount counts agents **on the floor**, as the
simulation serves with them; with the group's ``shrinkage`` each of them
stands for ``1 / (1 - shrinkage)`` paid full-time equivalents, and cost is
per *paid* hour: ``staff x hours per week x cost_per_hour / (1 - shrinkage)``
(without shrinkage, paid and on-floor hours are the same).

**Agent groups.**  In a group with agent groups (``agents``: skills,
``simsla.model.skills``) every shift block staffs one agent group, so each
block is a staffing block *of that agent group*: its cost per hour and
shrinkage are the agent group's, falling back to the group's
(``agent_team_rates``), and it is labelled ``desk / bilingual / early``.  An
agent group's constant ``staff`` is its 24/7 block.  Headcounts count
*agents*: a chat agent with ``concurrency: 3`` is one agent, paid once,
holding three sessions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simsla.analysis.summary import agent_team_rates
from simsla.decide._common import constant_team_block
from simsla.decide._replicate import target_key
from simsla.decide.erlang import desk_requirement, shift_cover, target_rule
from simsla.model import Scenario
from simsla.model.calendar import parse_days, parse_hours
from simsla.model.chain import paid_fte

# ---------------------------------------------------------------------------- blocks
@dataclass(frozen=True)
class Block:
    """One decision variable: the headcount of a shift block (or of a constant-staff group).

    Attributes
    ----------
    group : str
        The group's name.
    shift : int or None
        Index in the group's ``shifts``; None for a group with constant ``staff``.
    label, days, hours : str
        How the block is written in the scenario ("24/7" for constant staff).
    hours_per_week : float
        Hours the block is on duty in a week.
    cost_per_hour : float
        The group's cost of a paid agent-hour (1.0 when the scenario gives none).
    current : int
        The headcount on the floor in the scenario.
    shrinkage : float
        The group's share of paid time off the floor (0: none).
    agents : str or None
        The agent group the block staffs (None in a group without agent
        groups); its cost and shrinkage are then the agent group's.
    """

    group: str
    shift: int | None
    label: str
    days: str
    hours: str
    hours_per_week: float
    cost_per_hour: float
    current: int
    shrinkage: float = 0.0
    agents: str | None = None

    @property
    def paid_hours_per_agent(self) -> float:
        """Paid hours per week behind one agent on the floor in this block."""
        return paid_fte(self.hours_per_week, self.shrinkage)

    @property
    def cost_per_agent(self) -> float:
        """Weekly cost of one agent on the floor in this block (paid hours x cost per hour)."""
        return self.paid_hours_per_agent * self.cost_per_hour

    def paid_fte(self, on_floor: int) -> float:
        """Paid full-time equivalents behind ``on_floor`` agents in this block."""
        return paid_fte(float(on_floor), self.shrinkage)

    @property
    def name(self) -> str:
        """Key of the block: ``group:label``, or ``group:agent group/label`` for a block of an agent group."""
        return f"{self.group}:{self.agents}/{self.label}" if self.agents else f"{self.group}:{self.label}"

    @property
    def title(self) -> str:
        """How the block is printed: ``desk / early``, or ``desk / bilingual / early`` with agent groups."""
        return " / ".join(p for p in (self.group, self.agents, self.label) if p)


def staffing_blocks(scenario: Scenario, groups: Iterable[str] | None = None) -> list[Block]:
    """The shift blocks of the chosen groups (default: all), in scenario order."""
    chosen = None if groups is None else set(groups)
    if chosen is not None:
        unknown = chosen - {g.name for g in scenario.groups}
        if unknown:
            raise ValueError(f"unknown group(s) {sorted(unknown)}; known: {[g.name for g in scenario.groups]}")
    out = []
    for g in scenario.groups:
        if chosen is not None and g.name not in chosen:
            continue
        cost = 1.0 if g.cost_per_hour is None else float(g.cost_per_hour)
        if g.staff is not None:
            out.append(Block(g.name, None, "24/7", "all", "24h", 168.0, cost, g.staff, g.shrinkage))
            continue
        for i, s in enumerate(g.shifts or ()):
            hours = sum(b - a for a, b in parse_hours(s.hours)) / 3600.0 * len(parse_days(s.days))
            if g.agents is None:
                out.append(Block(g.name, i, s.label, s.days, s.hours, hours, cost, s.staff, g.shrinkage))
                continue
            team = g.agents[g.team_of_block(i)]
            team_cost, shrinkage = agent_team_rates(g, team)
            label = "24/7" if constant_team_block(s, team.name) else s.label
            out.append(Block(g.name, i, label, s.days, s.hours, hours, 1.0 if team_cost is None else team_cost,
                             s.staff, shrinkage, agents=team.name))
    return out


def block_place(blocks: Sequence[Block], b: Block) -> dict[str, Any]:
    """A block's place in the tables: group, agent group (when the scenario has agent groups) and block."""
    if any(c.agents is not None for c in blocks):
        return {"group": b.group, "agents": b.agents, "block": b.label}
    return {"group": b.group, "block": b.label}


def apply_staffing(scenario: Scenario, blocks: Sequence[Block], staff: Sequence[int]) -> Scenario:
    """The scenario with the blocks' headcounts replaced by ``staff`` (same order as ``blocks``)."""
    by_group: dict[str, dict[int | None, int]] = {}
    for b, x in zip(blocks, staff):
        if x < 0:
            raise ValueError(f"negative headcount for {b.name}")
        by_group.setdefault(b.group, {})[b.shift] = int(x)
    groups = []
    for g in scenario.groups:
        change = by_group.get(g.name)
        if not change:
            groups.append(g)
        elif g.staff is not None:
            groups.append(g.model_copy(update={"staff": change[None]}))
        else:
            shifts = tuple(s.model_copy(update={"staff": change.get(i, s.staff)}) for i, s in enumerate(g.shifts or ()))
            groups.append(g.model_copy(update={"shifts": shifts}))
    return scenario.model_copy(update={"groups": tuple(groups)})


def select_targets(scenario: Scenario, targets: Iterable[str | tuple[str, str]] | None = None) -> list[str]:
    """Target keys ``"agreement / target"``.

    ``None``: every SLA and OLA target of a ticket metric (not availability,
    which staff does not change).  Otherwise each entry is an agreement name
    (all its ticket targets), ``"agreement / target"`` or a pair.
    """
    known = {target_key(a, t): (a, t) for a in scenario.agreements for t in a.targets}
    if targets is None:
        return [k for k, (a, t) in known.items() if a.kind in ("SLA", "OLA") and t.metric != "availability"]
    out: list[str] = []
    for entry in targets:
        if isinstance(entry, tuple):
            key = target_key(*entry)
        else:
            key = entry.strip()
            if key in {a.name for a in scenario.agreements}:
                out.extend(k for k, (a, t) in known.items() if a.name == key and t.metric != "availability")
                continue
            if "/" in key:
                a, _, t = key.partition("/")
                key = target_key(a.strip(), t.strip())
        if key not in known:
            raise ValueError(f"unknown target {entry!r}; write 'agreement / target', e.g. {next(iter(known), '?')!r}")
        if known[key][1].metric == "availability":
            raise ValueError(f"{key}: availability does not depend on staffing")
        out.append(key)
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------- the analytic start
def cover_requirement(requirement: np.ndarray, covers: np.ndarray, costs: np.ndarray,
                      upper: int | None = None) -> np.ndarray:
    """Least-cost integer headcounts whose coverage meets the requirement wherever a block can cover it.

    Parameters
    ----------
    requirement : array (intervals,)
        Agents needed per interval.
    covers : array (blocks, intervals)
        Share of each interval each block covers.
    costs : array (blocks,)
        Cost of one agent in each block.
    upper : int, optional
        Bound on any block's headcount.

    Returns
    -------
    numpy.ndarray of int
        Headcount per block.  Intervals no block covers are ignored.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    need = np.asarray(requirement, dtype=float)
    a = np.asarray(covers, dtype=float)
    rows = (a.sum(axis=0) > 0) & (need > 0)
    if not rows.any():
        return np.zeros(len(costs), dtype=int)
    top = int(upper if upper is not None else math.ceil(need.max() / max(a[:, rows].max(), 1e-9)) + 1)
    res = milp(c=np.asarray(costs, dtype=float) + 1e-9,
               constraints=LinearConstraint(a[:, rows].T, lb=need[rows], ub=np.inf),
               integrality=np.ones(len(costs)), bounds=Bounds(0, top))
    if res.x is None:  # cannot happen with a finite upper bound big enough; be safe
        return np.full(len(costs), top, dtype=int)
    return np.round(res.x).astype(int)


def analytic_start(scenario: Scenario, blocks: Sequence[Block], keys: Sequence[str]) -> tuple[list[int], dict[str, Any]]:
    """Start headcounts: the desk's blocks from Erlang, every other block as it is.

    A desk with agent groups starts as it is too: the Erlang requirement is
    that of one pooled queue, and nothing in it says which agent group's
    skills the calls need.
    """
    start = [b.current for b in blocks]
    info: dict[str, Any] = {"method": "current staffing"}
    desk = scenario.desk
    desk_idx = [i for i, b in enumerate(blocks) if b.group == desk.name]
    answer = [(a, t) for a in scenario.agreements for t in a.targets
              if target_key(a, t) in keys and t.metric == "answer_time"]
    if not desk_idx or not answer:
        return start, info
    if desk.agents is not None:
        # covering a pooled Erlang requirement at least cost would put every agent in the cheapest agent group,
        # whatever skills the calls need: the search starts from today's agent groups instead
        return start, {"method": "current staffing: the desk has agent groups (skills), which a pooled Erlang "
                                 "requirement cannot split between them"}
    req = None
    for a, t in answer:
        # the target's own abandoned-call rule, and calls only: written work is judged by simulation
        rule, grace = target_rule(t)
        r = desk_requirement(scenario, float(t.threshold), min(t.fraction, 0.999), basis=rule, grace=grace,  # type: ignore[arg-type]
                             channels=("phone",))["required"].to_numpy()
        req = r if req is None else np.maximum(req, r)
    assert req is not None
    if desk.staff is not None:
        start[desk_idx[0]] = int(req.max())
    else:
        covers = np.array([shift_cover((desk.shifts or ())[blocks[i].shift]) for i in desk_idx])  # type: ignore[index]
        x = cover_requirement(req, covers, np.array([blocks[i].cost_per_agent for i in desk_idx]))
        for i, v in zip(desk_idx, x):
            start[i] = int(v)
    uncovered = int(((req > 0) & (np.array([shift_cover(s) for s in desk.shifts]).sum(axis=0) == 0)).sum()) if desk.shifts else 0
    info = {"method": "Erlang requirement of the desk covered by its shifts (milp); other groups as they are",
            "desk_required_agent_hours_per_week": int(req.sum()), "desk_peak_requirement": int(req.max()),
            "hours_with_demand_but_no_desk_shift": uncovered}
    return start, info
