"""How abandoned calls count in a service level: the rule of an answer-time target.

``miss`` (default: an abandoned call is a miss), ``exclude`` (left out) or
``grace`` (callers who hang up within the grace period are left out, later
ones are misses), as ``abandoned`` / ``abandoned_grace`` in
``simsla.model.agreements`` and as ``simsla.analysis`` measures them.  Under
Erlang C nobody hangs up and the three agree.
"""

from __future__ import annotations

from simsla.analytic.abandonment import abandoned_basis
from simsla.decide.erlang_intervals import _duration
from simsla.model.units import format_duration

#: the abandoned-call rules an answer-time target can have (``simsla.model.agreements``)
ABANDONED_RULES = ("miss", "exclude", "grace")


def abandoned_rule(abandoned: str = "miss", grace: float | str | None = None) -> tuple[str, float | None]:
    """The abandoned-call basis ``(rule, grace seconds)`` from a rule name and an optional grace period.

    ``offered`` and ``served`` (older names) are read as ``miss`` and
    ``exclude``.  A grace period without a rule name means ``grace``.

    Raises
    ------
    ValueError
        For an unknown rule, ``grace`` without a period, or a period with
        ``miss``/``exclude``.
    """
    g = _duration(grace)
    if abandoned == "miss" and g is not None:
        abandoned = "grace"
    name, g = abandoned_basis(abandoned, g)
    if name not in ABANDONED_RULES:
        raise ValueError(f"abandoned must be one of {', '.join(ABANDONED_RULES)}, got {abandoned!r}")
    return name, g


def abandoned_text(rule: str, grace: float | None = None) -> str:
    """How abandoned calls count, in words (printed with every service level)."""
    if rule == "exclude":
        return "abandoned calls left out"
    if rule == "grace":
        return f"calls abandoned within {format_duration(float(grace or 0.0))} left out, later ones count as misses"
    return "abandoned calls count as misses"


def target_rule(target) -> tuple[str, float | None]:
    """The abandoned-call basis of an answer-time target, as ``simsla.analysis`` measures it.

    ``abandoned: exclude`` wins over a grace period (the measurement leaves
    every abandoned call out then); otherwise a grace period gives ``grace``.
    """
    if target.abandoned == "exclude":
        return "exclude", None
    if target.abandoned_grace is not None:
        return "grace", float(target.abandoned_grace)
    return "miss", None
