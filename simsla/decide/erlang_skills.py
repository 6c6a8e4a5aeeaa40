"""The Erlang requirement of a desk with agent groups (skills): a pooled, optimistic bound, said so.

``simsla erlang --scenario`` sizes the desk's phone line as **one pool**: every
caller in one queue, every agent able to take every call.  A desk with agent
groups (``agents`` and ``skills``, ``simsla.model.skills``) is not one pool.
Two answers were possible: refuse, or size the pool and say what it means.
This module does the second, because the pooled number is still the first
thing a planner needs to know:

* With agents equally fast, restricting who may take which call can only
  lengthen waits, so the pooled requirement is a **lower bound** on the agents
  on the phone: an interval where even the pool is short is short whatever the
  skills (a hard "no" that needs no simulation), and one where the pool is
  just met is at risk.
* Refusing would take that bound away and leave the planner with nothing
  until the simulation runs.

What is bent to keep it a bound, and said in ``caveats``:

* **On shift** counts only the agent groups that can take some call (they
  hold a skill the ``skills`` rules give to a phone contact); an agent group
  of e-mail specialists is not phone capacity, and counting it would hide a
  gap.
* ``handling_factor`` is not applied: the requirement uses the group's
  handling time.  Faster specialists can make the pool need fewer agents
  than shown (then it is no bound); the caveat names such agent groups.
* ``concurrency`` above 1 (chat sessions) on an agent group that takes calls
  breaks the "one agent, one call" of Erlang: named too.

The answer per agent group is ``simsla staff`` (simulation with the skills,
per agent-group block), which every caveat points to.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simsla.decide.erlang_demand import _matches, _stream_mix
from simsla.decide.erlang_intervals import WEEK, shift_cover
from simsla.model import Scenario


def contact_teams(scenario: Scenario, channels: Sequence[str] | None = ("phone",)) -> list[int]:
    """Indices of the desk's agent groups that can take some contact of ``channels`` (default: calls).

    A contact of a counted stream needs the skill of the first ``skills`` rule
    it matches (any skill of a mix with a positive share); an agent group
    that holds one of those skills can take it.  Without agent groups: [].
    """

    desk = scenario.desk
    if desk.agents is None:
        return []
    rules = desk.skill_rules
    needed: set[str] = set()
    for stream in scenario.demand:
        if channels is not None and stream.channel not in channels:
            continue
        for p, attrs in _stream_mix(scenario, stream):
            if p <= 0:
                continue
            rule = next((r for r in rules if _matches(r.when, attrs)), None)
            if rule is not None:
                needed |= {s for s, share in rule.shares().items() if share > 0}
    return [j for j, t in enumerate(desk.agents) if needed & set(t.skills)]


def team_scheduled(scenario: Scenario, teams: Sequence[int], interval: float) -> np.ndarray:
    """Agents the desk's blocks of the agent groups ``teams`` put on shift in each interval of the week."""

    desk = scenario.desk
    out = np.zeros(int(round(WEEK / interval)))
    chosen = set(teams)
    for i, shift in enumerate(desk.shifts or ()):
        if desk.team_of_block(i) in chosen:
            out += shift.staff * shift_cover(shift, interval)
    return out


def skills_caveats(scenario: Scenario, channels: Sequence[str] | None = ("phone",)) -> list[str]:
    """What the pooled requirement of a desk with agent groups means (empty without agent groups)."""
    desk = scenario.desk
    if desk.agents is None:
        return []
    teams = contact_teams(scenario, channels)
    names = [desk.agents[j].name for j in teams]
    left_out = [t.name for j, t in enumerate(desk.agents) if j not in teams]
    what = "calls" if channels is not None and tuple(channels) == ("phone",) else "the contacts counted"
    out = [f"{desk.name} has agent groups with skills; this requirement pools every caller into one queue that "
           f"every agent taking {what} serves, so it is an OPTIMISTIC BOUND: skills split the pool, and the agents "
           "really needed are at least this many, usually more. Where even the pool is short, the desk is short "
           "whatever the skills. `simsla staff` sizes each agent group by simulation."]
    out.append(f"on shift counts the agent groups that can take {what}: {', '.join(names) or 'none'}"
               + (f" (not {', '.join(left_out)}: no skill {what} need)" if left_out else "") + ".")
    faster = [f"{desk.agents[j].name} x{desk.agents[j].handling_factor:g}" for j in teams
              if desk.agents[j].handling_factor != 1]
    if faster:
        out.append(f"handling factors not applied (the group's handling time is used): {', '.join(faster)}; "
                   "with agent groups faster than that, the pool can need fewer agents than shown, so it is no bound there.")
    sessions = [f"{desk.agents[j].name} ({desk.agents[j].concurrency} sessions)" for j in teams
                if desk.agents[j].concurrency > 1]
    if sessions:
        out.append(f"agents with several sessions at once take {what} here as one at a time: {', '.join(sessions)}.")
    return out
