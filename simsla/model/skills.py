"""Skills: agent groups inside a group, what a ticket needs, and who takes what.

A group (the desk, a resolver group) may hold several *agent groups* — the
bilingual agents, the generalists, the network specialists — each with a set
of skills and a level per skill (1 = primary, 2 = secondary, …).  A ticket
reaching the group needs one skill, chosen by the group's ``skills`` rules
from its service, customer, type, channel or priority, or drawn from shares
(a language mix: ``need: {swedish: 0.3, english: 0.7}``).  Only agents with
that skill may take it.

``selection`` says who takes what:

``agent``
    when a ticket arrives and several eligible agents are free:
    ``longest-idle`` (the agent free the longest, whatever their level) or
    ``preferred`` (the best level for the skill first, then longest idle).
``item``
    when an agent frees up and several eligible tickets wait:
    ``longest-waiting`` (the one waiting longest), ``priority`` (the group's
    queue order — priority and phone first as the group states — then
    longest waiting) or ``preferred`` (the agent's best-level skill first,
    then priority, then longest waiting).
``overflow_after``
    a ticket is offered only to agents with level 1 for its skill until it
    has waited this long, then to every agent with the skill.
``reserve``
    keep this many agents free for phone calls: an agent starts work that is
    not a phone call only while at least ``reserve`` other agents of the group
    who can take calls stay free (channel blending).

Each agent group has its own shift blocks (``shifts[].agents`` names it),
cost and shrinkage, a ``handling_factor`` (a specialist at 0.8 works in 80 %
of the group's handling time) and, for chat, a ``concurrency`` (sessions
in hand at once) with the ``stretch`` of handling time at each number of
sessions.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simsla.model.calendar import MAX_STAFF
from simsla.model.filters import When
from simsla.model.units import Duration, Number

_STRICT = ConfigDict(extra="forbid", frozen=True)
#: the most sessions one agent holds at once (chat)
MAX_CONCURRENCY = 20
#: skill levels run from 1 (primary) to this
MAX_LEVEL = 9


class SkillRule(BaseModel):
    """The skill a ticket needs at this group: a name, or shares of names (a mix, such as languages)."""

    model_config = _STRICT

    when: When = When()
    need: str | dict[str, Number] = Field(description="a skill, or skill -> share (shares sum to 1)")

    @field_validator("need")
    @classmethod
    def _shares(cls, value: str | dict[str, float]) -> str | dict[str, float]:
        if isinstance(value, str):
            if not value:
                raise ValueError("name the skill the tickets need")
            return value
        if not value:
            raise ValueError("give at least one skill with its share")
        if any(not (0 <= p <= 1) or not math.isfinite(p) for p in value.values()):
            raise ValueError("shares lie between 0 and 1")
        total = sum(value.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the shares of the skills must sum to 1, they sum to {total:g}")
        return value

    def shares(self) -> dict[str, float]:
        """Skill -> share (a single skill has share 1)."""
        return {self.need: 1.0} if isinstance(self.need, str) else dict(self.need)


class AgentTeam(BaseModel):
    """An agent group inside a group: the agents who share a skill set, shifts and a cost."""

    model_config = _STRICT

    name: str = Field(min_length=1)
    skills: dict[str, int] = Field(description="skill -> level (1 = primary, 2 = secondary, …)")
    staff: int | None = Field(None, ge=0, le=MAX_STAFF, strict=True,
                              description="constant headcount, 24/7 (instead of shift blocks naming this group)")
    handling_factor: Number = Field(1.0, ge=0.05, le=20,
                                    description="work time = the group's handling time x this factor")
    concurrency: int = Field(1, ge=1, le=MAX_CONCURRENCY, strict=True, description="sessions in hand at once (chat)")
    stretch: tuple[Number, ...] | None = Field(
        None, description="per number of sessions in hand (1, 2, …, concurrency) the factor on a session's work time")
    cost_per_hour: Number | None = Field(None, ge=0, le=1e6, description="cost of one paid agent-hour")
    shrinkage: Number = Field(0.0, ge=0, lt=1, description="share of paid time not on the floor")

    @field_validator("skills")
    @classmethod
    def _levels(cls, value: dict[str, int]) -> dict[str, int]:
        if not value:
            raise ValueError("an agent group needs at least one skill (skill -> level, 1 = primary)")
        for skill, level in value.items():
            if not skill:
                raise ValueError("a skill needs a name")
            if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= MAX_LEVEL:
                raise ValueError(f"skill {skill!r}: a level is a whole number from 1 (primary) to {MAX_LEVEL}, "
                                 f"got {level!r}")
        return value

    @model_validator(mode="after")
    def _stretch(self) -> "AgentTeam":
        if self.stretch is not None:
            if len(self.stretch) != self.concurrency:
                raise ValueError(f"agent group {self.name!r}: `stretch` gives one factor per number of sessions in "
                                 f"hand, 1 to {self.concurrency} (its concurrency): {self.concurrency} factors, "
                                 f"got {len(self.stretch)}")
            if any(not (0.05 <= f <= 20) for f in self.stretch):
                raise ValueError(f"agent group {self.name!r}: stretch factors lie between 0.05 and 20")
        return self

    def stretch_factors(self) -> tuple[float, ...]:
        """The work-time factor per number of sessions in hand (1 … concurrency)."""
        return tuple(self.stretch) if self.stretch is not None else (1.0,) * self.concurrency


class SkillPolicy(BaseModel):
    """Who takes what in a group with agent groups (see the module docstring)."""

    model_config = _STRICT

    agent: str = Field("longest-idle", description="longest-idle | preferred")
    item: str = Field("priority", description="longest-waiting | priority | preferred")
    overflow_after: Duration = Field(0.0, description="wait before agents without level 1 may take a ticket")
    reserve: int = Field(0, ge=0, le=MAX_STAFF, strict=True, description="agents kept free for phone calls")

    @field_validator("agent")
    @classmethod
    def _agent(cls, value: str) -> str:
        if value not in AGENT_POLICIES:
            raise ValueError(f"`agent` is one of {', '.join(AGENT_POLICIES)}, got {value!r}")
        return value

    @field_validator("item")
    @classmethod
    def _item(cls, value: str) -> str:
        if value not in ITEM_POLICIES:
            raise ValueError(f"`item` is one of {', '.join(ITEM_POLICIES)}, got {value!r}")
        return value


AGENT_POLICIES = ("longest-idle", "preferred")
ITEM_POLICIES = ("longest-waiting", "priority", "preferred")
