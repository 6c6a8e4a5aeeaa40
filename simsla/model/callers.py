"""Callers who ring again, and lines that are busy.

``Redials`` (the scenario's ``redials``): a caller who hung up before being
answered (``abandoned``) or got a busy signal (``blocked``, the desk's
``lines`` were all taken) contacts the desk again with ``probability``,
after ``delay``, at most ``attempts`` times in all for one original
contact.  A share of them (``channel``) switches channel — the call becomes
an e-mail or a portal ticket — and the rest ring again.  Each redial is a
contact of its own in the log (``contact: redial``, with the contact it
repeats), so fresh and repeat volume can be told apart.

A desk's ``lines`` (on the desk group) is the number of phone calls it holds
at once, waiting or being answered; a call that finds every line busy is
blocked (a busy signal): it is logged with outcome ``blocked``, counts as a
call not answered in answer-time targets, and may redial.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simsla.model.demand import CHANNELS
from simsla.model.distributions import Distribution
from simsla.model.units import Duration, Number, Probability

_STRICT = ConfigDict(extra="forbid", frozen=True)
#: the most attempts one contact makes (its redials)
MAX_ATTEMPTS = 20


class Redials(BaseModel):
    """Callers who hung up or got a busy signal and contact the desk again (see the module docstring)."""

    model_config = _STRICT

    probability: Probability = Field(description="share of callers who try again after each failed attempt")
    delay: Distribution = Field(description="time from hanging up (or the busy signal) to the next attempt")
    attempts: int = Field(3, ge=1, le=MAX_ATTEMPTS, strict=True,
                          description="most redials after one original contact")
    after: tuple[Literal["abandoned", "blocked"], ...] = Field(
        ("abandoned", "blocked"), min_length=1, description="which failed attempts lead to a redial")
    channel: dict[str, Number] | None = Field(
        None, description="share of redials through another channel, e.g. {email: 0.2}; the rest ring again")

    @field_validator("channel")
    @classmethod
    def _channels(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        for name, share in value.items():
            if name not in CHANNELS:
                raise ValueError(f"unknown channel {name!r}; a redial may switch to one of {list(CHANNELS)}")
            if not 0 <= share <= 1:
                raise ValueError(f"the share of redials through {name!r} lies between 0 and 1, got {share!r}")
        if sum(value.values()) > 1 + 1e-9:
            raise ValueError(f"the shares of redials through other channels sum to {sum(value.values()):g}, "
                             "more than 1; the rest (1 - their sum) ring again")
        return value

    def switch_shares(self) -> dict[str, float]:
        """Channel -> share of redials through it (phone: the rest)."""
        out = {k: float(v) for k, v in (self.channel or {}).items() if k != "phone" and v > 0}
        out["phone"] = max(0.0, 1.0 - sum(out.values()))
        return out


class Callback(BaseModel):
    """Virtual hold at the desk: a caller facing a long wait may leave the queue and be called back.

    A call that has to wait is offered a callback when its *predicted* wait
    exceeds ``offer_over``; the prediction is the one an ACD announces: (calls
    ahead of it in its queue + 1) x the desk's mean handling time for the
    call / agents on duty (callers ahead who have already hung up but whose
    place has not been reached are still counted, as a switch would).  A
    share ``accept`` takes it: they leave the queue (their line is free) and
    a callback waits at the desk as the lowest class — an agent makes it when
    no call and no written ticket waits, or, with ``within``, as soon as an
    agent is free once that window has passed since acceptance.  The customer
    picks up with probability ``answer``; an attempt nobody answers costs the
    agent ``dial_time`` and is retried after ``retry_after``, up to
    ``attempts`` attempts, after which the ticket ends unanswered (outcome
    abandoned).  A connected callback is worked like the call it replaces.
    How an answer-time target counts a callback is the target's ``callbacks``
    rule.
    """

    model_config = _STRICT

    offer_over: Duration = Field(description="offer a callback when the predicted wait exceeds this")
    accept: Probability = Field(description="share of callers offered a callback who take it")
    within: Duration | None = Field(None, description="promised window: a callback not made by then goes first")
    answer: Probability = Field(1.0, description="share of callback attempts the customer picks up")
    attempts: int = Field(3, ge=1, le=MAX_ATTEMPTS, strict=True, description="callback attempts before giving up")
    retry_after: Duration = Field(900.0, description="between attempts nobody answered")
    dial_time: Duration = Field(30.0, description="agent time of an attempt nobody answers")
