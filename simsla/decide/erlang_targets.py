"""The scenario's answer-time targets: the promises a phone-line requirement is computed for.

Targets with the same threshold, fraction and abandoned-call rule are one
promise (``AnswerTarget``); ``choose_targets`` picks the ones a requirement
meets (every one, one named, or one given on the command line), with the
classic 80 % in 20 s (``CLASSIC``) for a scenario without any.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from simsla.decide.erlang_abandoned import abandoned_rule, abandoned_text, target_rule
from simsla.decide.erlang_intervals import _duration
from simsla.model import Scenario
from simsla.model.units import format_duration

@dataclass(frozen=True)
class AnswerTarget:
    """An answer-time promise: ``fraction`` of calls within ``threshold``, abandoned calls counted by ``abandoned``.

    Attributes
    ----------
    names : tuple of str
        ``"AGREEMENT / TARGET"`` of every scenario target with this promise
        (the same target in several SLAs is one promise), or a description
        such as ``"given on the command line"``.
    threshold : float
        Seconds.
    fraction : float
    abandoned : {"miss", "exclude", "grace"}
    grace : float or None
        Seconds, for ``grace``.
    """

    names: tuple[str, ...]
    threshold: float
    fraction: float
    abandoned: str = "miss"
    grace: float | None = None

    @property
    def label(self) -> str:
        """``80 % within 20s`` (the promise, without the abandoned-call rule)."""
        return f"{100 * self.fraction:g} % within {format_duration(self.threshold)}"

    @property
    def abandoned_text(self) -> str:
        """How abandoned calls count, in words."""
        return abandoned_text(self.abandoned, self.grace)

    def describe(self) -> str:
        """Names, promise and abandoned-call rule in one line."""
        names = ", ".join(self.names)
        return f"{self.label} ({self.abandoned_text}): {names}"


#: the classic call-centre target, used when the scenario has no answer-time target
CLASSIC = AnswerTarget(("the classic call-centre target",), 20.0, 0.8)


def answer_targets(scenario: Scenario) -> list[AnswerTarget]:
    """The scenario's answer-time targets, one per distinct promise, in the order they appear.

    Targets with the same threshold, fraction and abandoned-call rule (the
    same SLA for several customers) are one promise: the calculator pools every
    caller in one queue, so a customer scope does not change the requirement.
    """
    found: dict[tuple[float, float, str, float | None], list[str]] = {}
    for a in scenario.agreements:
        for t in a.targets:
            if t.metric != "answer_time" or t.threshold is None:
                continue
            rule, grace = target_rule(t)
            found.setdefault((float(t.threshold), float(t.fraction), rule, grace), []).append(f"{a.name} / {t.name}")
    return [AnswerTarget(tuple(names), thr, frac, rule, grace) for (thr, frac, rule, grace), names in found.items()]


def choose_targets(
    scenario: Scenario,
    name: str | None = None,
    *,
    threshold: float | str | None = None,
    fraction: float | None = None,
    abandoned: str | None = None,
    grace: float | str | None = None,
) -> tuple[list[AnswerTarget], str]:
    """The answer-time target(s) a scenario's requirement is computed for, and a sentence saying which.

    Parameters
    ----------
    scenario : Scenario
    name : str, optional
        ``"AGREEMENT/TARGET"`` (or just ``TARGET`` when unique): only that
        target.  Default: every answer-time target; the requirement meets
        each of them (the strictest counts in every interval).
    threshold, fraction : optional
        Given on the command line: one promise replacing the scenario's
        (each missing part taken from the scenario's first target, else 80 %
        in 20 s).
    abandoned, grace : optional
        An abandoned-call rule replacing the targets' own.

    Returns
    -------
    (list of AnswerTarget, str)

    Raises
    ------
    KeyError
        For a ``name`` that names no answer-time target.
    """
    found = answer_targets(scenario)
    how = "the scenario's answer-time target" + ("s" if len(found) > 1 else "")
    if name is not None:
        wanted = " / ".join(part.strip() for part in name.split("/", 1))
        chosen = [t for t in found if wanted in t.names or any(n.split(" / ", 1)[1] == wanted for n in t.names)]
        known = [n for t in found for n in t.names]
        if not chosen:
            raise KeyError(f"no answer-time target {name!r} in the scenario (known: {known or 'none'})")
        if len(chosen) > 1:
            raise KeyError(f"{name!r} names answer-time targets with different promises: write AGREEMENT/TARGET "
                           f"(known: {known})")
        keep = [n for n in chosen[0].names if n == wanted or n.split(" / ", 1)[1] == wanted]
        found, how = [replace(chosen[0], names=tuple(keep))], "the target chosen with --target"
    elif not found:
        found, how = [CLASSIC], "the classic 80 % in 20 s (the scenario has no answer-time target)"
    elif len(found) > 1:
        how += f": the requirement meets all {len(found)} (the strictest counts in each interval; [1] needs the most)"
    if threshold is not None or fraction is not None:
        base = found[0]
        thr = _duration(threshold) if threshold is not None else base.threshold
        found = [AnswerTarget(("given on the command line",), float(thr), float(fraction if fraction is not None else base.fraction),  # type: ignore[arg-type]
                              base.abandoned, base.grace)]
        how = "the threshold/fraction given on the command line"
    if abandoned is not None or grace is not None:
        rule, g = abandoned_rule(abandoned or "miss", grace)
        found = [replace(t, abandoned=rule, grace=g) for t in found]
        how += f"; abandoned calls as given on the command line ({abandoned_text(rule, g)})"
    return found, how
