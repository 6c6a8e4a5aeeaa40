"""The occupancy cap: every party's offered load stays below a share of its capacity, checked analytically.

**What capacity means with shifts.**  A group's capacity is its *average
headcount on the floor over the run*: agent-hours on duty divided by hours
simulated (a shift pattern of 3 agents 45 hours a week is a capacity of
0.80).  Its offered load is the work that reaches it on average (visits per
hour x mean work per visit, from the routing's traffic equations:
``simsla.experiment.stability.offered_load``), in Erlang.  Their ratio is the
occupancy the group needs *over its staffed time*: work that arrives at night
waits for the morning shift, so what must fit is a week's work into a week's
staffed hours.  A group whose ratio reaches 1 cannot keep up at all; one near
1 keeps up only with queues that take weeks to clear, which is why the
search keeps every party under a cap (default 0.85) whether or not a target
measures its work.  The cap concerns the average: a pattern within it can
still be short at its peak hours -- the simulated targets and the protection
of ticket classes judge that.  Staff counts agents on the floor, so shrinkage
does not enter: it changes what they cost, not what they can serve.

With agent groups the check stays per group, as the gate's load check that
``simsla run`` applies (``simsla.experiment.stability.offered_load``):
capacity is the group's headcount over all its agent groups (a chat agent
counts once, not per session) and the load is at the group's handling time
(no agent group's ``handling_factor``), so a desk of chat agents or fast
specialists is judged busier than it is.  Which agent group serves which
work is the simulation's to say.

The load does not depend on staffing (routing and work times do not), so a
candidate is checked without simulating it, and one that fails is never
simulated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from simsla.decide.staffing_blocks import Block, apply_staffing
from simsla.experiment.stability import Flow, offered_load
from simsla.model import Scenario

#: the default cap on offered load / capacity for every party
DEFAULT_MAX_OCCUPANCY = 0.85


@dataclass(frozen=True)
class OccupancyCheck:
    """Offered load against capacity per party, and which parties exceed the cap.

    Attributes
    ----------
    table : pandas.DataFrame
        Per party: ``party``, ``kind``, ``offered_erlangs``, ``capacity``
        (average headcount on the floor over the run; suppliers: their
        ``capacity``, inf when unlimited), ``utilization`` (offered /
        capacity) and ``within_cap``.
    cap : float
        The cap applied.
    """

    table: pd.DataFrame
    cap: float

    @property
    def over(self) -> list[str]:
        """Parties whose offered load exceeds the cap."""
        return [str(p) for p in self.table.loc[~self.table["within_cap"], "party"]]

    @property
    def ok(self) -> bool:
        return not self.over

    def utilization(self) -> dict[str, float]:
        """Offered load / capacity per party."""
        return {str(r.party): float(r.utilization) for r in self.table.itertuples()}

    def describe(self) -> str:
        """The parties over the cap, one phrase each (empty when none is)."""
        rows = self.table[~self.table["within_cap"]]
        return "; ".join(f"{r.party} {r.utilization:.0%} of its capacity {r.capacity:.2f}" for r in rows.itertuples())


def occupancy_check(scenario: Scenario, cap: float = DEFAULT_MAX_OCCUPANCY, traffic: Flow | None = None) -> OccupancyCheck:
    """Check every party's offered load against ``cap`` x its capacity (no simulation).

    Parameters
    ----------
    scenario : Scenario
    cap : float
        Largest accepted offered load / capacity, 0 < cap <= 1.
    traffic : Flow, optional
        The scenario's traffic equations (``simsla.experiment.stability.flow``),
        when already solved: they depend on demand and routing, not on
        staffing, so one solution serves every candidate of a search.

    Returns
    -------
    OccupancyCheck
    """
    if not 0 < cap <= 1:
        raise ValueError(f"the occupancy cap must lie in (0, 1], got {cap!r}")
    table = offered_load(scenario, traffic)[["party", "kind", "offered_erlangs", "capacity", "utilization"]].copy()
    table["within_cap"] = table["utilization"].to_numpy(dtype=float) <= cap + 1e-12
    return OccupancyCheck(table, cap)


def raise_to_cap(scenario: Scenario, blocks: Sequence[Block], staff: Sequence[int],
                 cap: float = DEFAULT_MAX_OCCUPANCY, traffic: Flow | None = None) -> tuple[list[int], OccupancyCheck]:
    """Add agents, analytically, until every varied group's offered load is within the cap.

    Each step adds agents (half the remaining gap at once, at least one) to
    the block of an over-cap group that gives the most capacity per unit of
    cost (hours on duty per unit of paid cost; ties: the longest block).
    Parties the blocks do not cover (suppliers, groups left out of the
    search) are not changed; they stay in the returned check's ``over``.
    """
    x = [int(v) for v in staff]
    check = occupancy_check(apply_staffing(scenario, blocks, x), cap, traffic)
    # bounded: each step adds an agent, and enough agents always fit the cap
    for _ in range(10_000):
        fixable = [g for g in check.over if any(b.group == g for b in blocks)]
        if not fixable:
            break
        row = check.table.set_index("party").loc[fixable[0]]
        need = float(row["offered_erlangs"]) / cap - float(row["capacity"])
        mine = [i for i, b in enumerate(blocks) if b.group == fixable[0] and b.hours_per_week > 0]
        if not mine:
            break
        best = max(mine, key=lambda i: (blocks[i].hours_per_week / blocks[i].cost_per_agent
                                        if blocks[i].cost_per_agent > 0 else math.inf, blocks[i].hours_per_week))
        # several agents at once when the gap is large (capacity of one agent: its share of the week)
        step = max(1, int(need / (blocks[best].hours_per_week / 168.0) * 0.5))
        x[best] += step
        check = occupancy_check(apply_staffing(scenario, blocks, x), cap, traffic)
    return x, check
