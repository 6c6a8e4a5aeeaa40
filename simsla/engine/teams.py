"""The parts of a group with agent groups: seat layout, skill needs, per-seat work times.

``skilled_group`` builds, for one group of the scenario that lists
``agents``, what ``AgentGroup`` and ``SkillQueues`` need: the seats of each
agent group (its peak headcount times its concurrency), the skill each
ticket needs there (drawn up front from the group's ``skills`` rules, shares
from the group's own stream), and per seat the work-time function — the
group's handling time times the agent group's ``handling_factor`` and, with
sessions, the ``stretch`` at the number of sessions its agent has in hand.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simsla.engine import streams
from simsla.engine.selection import Seats
from simsla.engine.shifts import staff_steps
from simsla.engine.skills import Teams
from simsla.engine.tables import KeySpace
from simsla.model import Scenario

if TYPE_CHECKING:
    from simsla.engine.contacts import Contacts


@dataclass
class SkilledGroup:
    """What a group with agent groups is built from (see the module docstring)."""

    teams: Teams
    ranges: list[range]
    steps: list[tuple[np.ndarray, np.ndarray]]
    need: array
    is_phone: list[bool]
    codes: list[int]


def team_labels(scenario: Scenario) -> list[str]:
    """Names of the agent groups over the scenario, in log-code order (group by group)."""
    return [t.name for g in scenario.groups for t in g.agents or ()]


def skill_labels(scenario: Scenario) -> list[str]:
    """Every skill of the scenario's groups with agent groups, once, in order of appearance."""
    out: list[str] = []
    for g in scenario.groups:
        if g.agents:
            out += [s for s in g.skill_names if s not in out]
    return out


def skilled_group(scenario: Scenario, space: KeySpace, gi: int, keys: np.ndarray, seed: int,
                  replication: int, contacts: "Contacts | None" = None) -> SkilledGroup:
    """Seat layout, skill needs and log codes of group ``gi`` (which has ``agents``); redials grow the needs."""
    g = scenario.groups[gi]
    skills = list(g.skill_names)
    teams_in = g.agents or ()
    steps = [staff_steps(scenario, gi, team=j) for j in range(len(teams_in))]
    ranges, team, agent, first = [], [], [], []
    seat = agents = 0
    for j, t in enumerate(teams_in):
        peak = int(steps[j][1].max(initial=0))
        ranges.append(range(seat, seat + peak * t.concurrency))
        first.append(seat)
        for a in range(peak):
            team += [j] * t.concurrency
            agent += [agents + a] * t.concurrency
        seat += peak * t.concurrency
        agents += peak
    level = [[t.skills.get(s, 0) for s in skills] for t in teams_in]
    rules = g.skill_rules
    rule_of_key = space.first_match([r.when for r in rules])
    phone_keys = _phone_keys(scenario, space)
    phone_skills = {s for i, r in enumerate(rules) if (phone_keys & (rule_of_key == i)).any()
                    for s, p in r.shares().items() if p > 0}
    phone = [any(s in t.skills for s in phone_skills) for t in teams_in]
    offset = sum(len(h.agents or ()) for h in scenario.groups[:gi])
    need = _needs(rules, skills, rule_of_key, keys, streams.stream(seed, replication, streams.SKILLS, gi))
    if contacts is not None and contacts.redials is not None:
        contacts.growers.append(_redial_needs(rules, skills, rule_of_key.tolist(), contacts, need))
    return SkilledGroup(
        teams=Teams(team=team, agent=agent, first=first, concurrency=[t.concurrency for t in teams_in],
                    level=level, phone=phone),
        ranges=ranges, steps=steps, need=need, is_phone=phone_keys.tolist(), codes=[offset + j for j in team])


def _phone_keys(scenario: Scenario, space: KeySpace) -> np.ndarray:
    """Per key, whether the ticket is a phone call."""
    channels = scenario.levels("channel")
    if "phone" not in channels:
        return np.zeros(space.size, dtype=bool)
    codes = np.unravel_index(np.arange(space.size), space.shape)
    return codes[3] == channels.index("phone")


def _needs(rules, skills: list[str], rule_of_key: np.ndarray, keys: np.ndarray, rng: np.random.Generator) -> array:
    """Per ticket, the index of the skill it needs: its rule's skill, or one drawn from the rule's shares."""
    rule = rule_of_key[keys] if len(keys) else np.zeros(0, dtype=np.int64)
    need = np.zeros(len(keys), dtype=np.int64)
    for i, r in enumerate(rules):
        mask = rule == i
        shares = r.shares()
        names = [s for s in shares if shares[s] > 0]
        idx = np.array([skills.index(s) for s in names], dtype=np.int64)
        if len(names) == 1:
            need[mask] = idx[0]
        else:  # a mix (languages): drawn per ticket, rule by rule, from the group's own stream
            p = np.array([shares[s] for s in names])
            need[mask] = idx[rng.choice(len(names), size=int(mask.sum()), p=p / p.sum())]
    return array("q", need.astype(np.int64).tobytes())


def _redial_needs(rules, skills: list[str], rule_of_key: list[int], contacts: "Contacts",
                  need: array) -> Callable[[int], None]:
    """The grower that gives a redial the skill it needs here (a mix drawn from the redials' stream)."""
    rng = contacts.rng_skills
    choices = []
    for r in rules:
        shares = {s: p for s, p in r.shares().items() if p > 0}
        p = np.array(list(shares.values()))
        choices.append(([skills.index(s) for s in shares], np.cumsum(p / p.sum()).tolist()))

    def grow(tid: int) -> None:
        idx, cdf = choices[rule_of_key[contacts.key[tid]]]
        u = float(rng.uniform()) if len(idx) > 1 else 0.0
        need.append(next((i for i, c in zip(idx, cdf) if u < c), idx[-1]))

    return grow


def seat_work(base: Callable[[int], float], skilled: SkilledGroup, scenario: Scenario, gi: int,
              seats: Seats) -> list[Callable[[int], float]]:
    """Per seat, ``ticket -> seconds``: the group's work time with the agent group's factor and stretch."""
    teams_in = scenario.groups[gi].agents or ()
    out: list[Callable[[int], float]] = []
    serving = seats.serving
    for seat, j in enumerate(skilled.teams.team):
        t = teams_in[j]
        factor = float(t.handling_factor)
        if t.concurrency == 1:
            out.append(base if factor == 1.0 else (lambda tid, f=factor: base(tid) * f))
            continue
        a = skilled.teams.agent[seat]
        siblings = [s for s in skilled.ranges[j] if skilled.teams.agent[s] == a and s != seat]
        stretch = t.stretch_factors()

        def session(tid: int, f=factor, sib=siblings, st=stretch) -> float:
            in_hand = 1 + sum(1 for s in sib if serving[s] >= 0)  # sessions with this one
            return base(tid) * f * st[in_hand - 1]

        out.append(session)
    return out
