"""Replications until the breach probabilities are certain enough: sequential stopping with valid intervals.

A fixed number of replications spends as much on a target far from its risk
line as on one that sits on it.  Here replications run in **looks**, and
stop once every judged breach probability is *decided* or *precise*.

The rule
--------
* **Looks.** Replications run in batches with fixed boundaries
  ``n_1 < n_2 < ... < n_K``: ``n_1`` is the first batch (``-r``), each
  boundary doubles the one before, and the last is the cap
  (``--max-replications``): 10, 20, 40, 64 for ``-r 10`` and a cap of 64.
  The schedule depends on the first batch and the cap only.
* **Intervals.** At each look every breach probability (breached periods /
  complete periods, pooled over the replications so far, as
  ``simsla.analysis.attainment.target_summary`` counts them) gets a Wilson
  interval at level ``1 - 0.05 / K`` instead of 95 %: the 5 % error is split
  evenly over the ``K`` planned looks (Bonferroni).  By the union bound, the
  chance that the interval misses the true probability at *any* look is at
  most 5 %, so the interval reported at the look where the run stopped --
  whatever made it stop -- is a valid 95 % interval.  Simple and
  conservative: with ``K = 4`` looks the intervals are about 27 % wider than a
  fixed-size run's of the same size.
* **Decided.** A breach probability whose interval lies wholly below or
  wholly above the risk line (``1 - confidence``; 10 % by default): further
  replications cannot change its verdict at that confidence.
* **Precise.** A breach probability whose interval's half-width (half of
  ``high - low``; Wilson intervals are not symmetric) is at most
  ``precision``.
* **Stop** at the first look where every judged quantity is decided or
  precise (reason ``all decided`` when all are decided, ``precision
  reached`` otherwise), or at the cap (``cap reached``, which names the
  quantities still neither).  A quantity without any complete period (a
  horizon shorter than its period) cannot be judged by more replications
  and is left out of the rule; with none left, the first look ends the run
  (``nothing to judge``).

The decision after look ``k`` depends on replications ``0 .. n_k - 1`` only,
and replication ``r``'s numbers depend only on the scenario, the seed and
``r`` (``simsla.experiment.runner``), so the same seed gives the same looks,
the same stop and the same numbers whatever the number of workers.

Like the fixed-size run's intervals, the Wilson interval treats the periods
as independent; periods of one replication share its backlog, so for targets
with long carry-over the nominal level is approximate in both cases.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simsla.analysis.stats import wilson_ci

if TYPE_CHECKING:
    from simsla.experiment.results import Results
    from simsla.experiment.streaming import SavedResults
    from simsla.model import Scenario

#: the cap on replications when none is given
DEFAULT_MAX_REPLICATIONS = 64
#: the overall level of the intervals, across all looks
LEVEL = 0.95
#: why a sequential run stopped
ALL_DECIDED, PRECISION_REACHED, CAP_REACHED, FAILED = "all decided", "precision reached", "cap reached", "decided failing"
NOTHING = "nothing to judge"  # no quantity has a complete period: more replications cannot help


def schedule(first: int, cap: int) -> tuple[int, ...]:
    """The look boundaries: ``first``, doubling, ending at ``cap``.

    >>> schedule(10, 64)
    (10, 20, 40, 64)
    >>> schedule(4, 64)
    (4, 8, 16, 32, 64)
    """
    if first < 1:
        raise ValueError("the first batch must hold at least 1 replication")
    if cap < first:
        raise ValueError(f"the cap on replications ({cap}) is below the first batch ({first})")
    looks = [first]
    while looks[-1] < cap:
        looks.append(min(2 * looks[-1], cap))
    return tuple(looks)


@dataclass(frozen=True)
class Assessment:
    """One breach probability at one look: its interval at the look's level and what it means.

    Attributes
    ----------
    key : str
        ``"agreement / target"``.
    breaches, periods : int
        Breached and complete periods over the replications so far.
    probability, low, high : float
        The share and its Wilson interval at the look's level (NaN without periods).
    side : str
        ``"below"`` or ``"above"`` the risk line when decided, ``""`` otherwise.
    precise : bool
        Half-width at most the precision.
    """

    key: str
    breaches: int
    periods: int
    probability: float
    low: float
    high: float
    side: str
    precise: bool

    @property
    def half_width(self) -> float:
        """Half of the interval's width (inf without periods)."""
        return (self.high - self.low) / 2 if self.periods else math.inf

    @property
    def judged(self) -> bool:
        """Whether the quantity takes part in the rule (it has complete periods)."""
        return self.periods > 0

    @property
    def settled(self) -> bool:
        """Decided or precise: more replications are not needed for it."""
        return bool(self.side) or self.precise

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"target": self.key, "breaches": self.breaches, "periods": self.periods,
                "breach_probability": _num(self.probability), "interval": [_num(self.low), _num(self.high)],
                "half_width": _num(self.half_width), "decided": self.side or None, "precise": self.precise}


@dataclass(frozen=True)
class Look:
    """The state after one look: replications so far, each quantity's assessment, and whether to stop."""

    index: int
    replications: int
    assessments: tuple[Assessment, ...]
    stop: str | None

    @property
    def undecided(self) -> list[str]:
        """Judged quantities neither decided nor precise."""
        return [a.key for a in self.assessments if a.judged and not a.settled]

    @property
    def widest(self) -> float:
        """The widest half-width among the judged quantities (NaN when none is judged)."""
        widths = [a.half_width for a in self.assessments if a.judged]
        return max(widths) if widths else math.nan

    def line(self, looks: int) -> str:
        """One progress line: ``look 2/4: 20 replications, 3 undecided, widest half-width 0.061``."""
        widest = "–" if self.widest != self.widest else f"{self.widest:.3f}"
        text = (f"look {self.index + 1}/{looks}: {self.replications} replications, {len(self.undecided)} undecided, "
                f"widest half-width {widest}")
        return text + (f" -> stop ({self.stop})" if self.stop else "")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"look": self.index + 1, "replications": self.replications, "undecided": self.undecided,
                "widest_half_width": _num(self.widest), "stop": self.stop,
                "quantities": [a.as_dict() for a in self.assessments]}


@dataclass(frozen=True)
class Plan:
    """A sequential plan: the looks, the precision, the risk line and the per-look level.

    Parameters
    ----------
    precision : float
        Largest accepted half-width of each breach probability's interval.
    first : int
        Replications in the first look.
    cap : int
        Most replications (the last look).
    line : float
        The risk line, ``1 - confidence``.
    level : float
        Overall level of the intervals across all looks (0.95).
    """

    precision: float
    first: int = 10
    cap: int = DEFAULT_MAX_REPLICATIONS
    line: float = 0.1
    level: float = LEVEL

    def __post_init__(self) -> None:
        if not 0 < self.precision < 0.5:
            raise ValueError(f"the precision is a half-width of a probability's interval, in (0, 0.5); "
                             f"got {self.precision!r}")
        if not 0 < self.line < 1:
            raise ValueError(f"the risk line must lie in (0, 1), got {self.line!r}")
        schedule(self.first, self.cap)  # raises for a cap below the first batch

    @property
    def looks(self) -> tuple[int, ...]:
        """The look boundaries (replications after each look)."""
        return schedule(self.first, self.cap)

    @property
    def look_level(self) -> float:
        """The level of each look's interval: ``1 - (1 - level) / K`` (Bonferroni over the ``K`` looks)."""
        return 1.0 - (1.0 - self.level) / len(self.looks)

    def assess(self, key: str, breaches: int, periods: int) -> Assessment:
        """One quantity's interval at the look level, decided and precise."""
        p, lo, hi = wilson_ci(int(breaches), int(periods), self.look_level)
        side = ""
        if periods:
            side = "below" if hi < self.line else "above" if lo > self.line else ""
        precise = bool(periods) and (hi - lo) / 2 <= self.precision + 1e-12
        return Assessment(key, int(breaches), int(periods), p, lo, hi, side, precise)

    def look(self, index: int, counts: Mapping[str, tuple[int, int]], stop_on_failure: bool = False) -> Look:
        """The look ``index`` (from 0) over ``{key: (breaches, periods)}``; ``stop`` says why to stop, if so.

        With ``stop_on_failure`` a quantity decided *above* the line stops at
        once (``decided failing``): a staffing candidate with one target
        surely breached is refused whatever the others show.
        """
        found = tuple(self.assess(k, b, n) for k, (b, n) in counts.items())
        judged = [a for a in found if a.judged]
        stop = None
        if not judged:
            stop = NOTHING
        elif stop_on_failure and any(a.side == "above" for a in judged):
            stop = FAILED
        elif all(a.side for a in judged):
            stop = ALL_DECIDED
        elif all(a.settled for a in judged):
            stop = PRECISION_REACHED
        elif index >= len(self.looks) - 1:
            stop = CAP_REACHED
        return Look(index, self.looks[index], found, stop)

    def describe(self) -> str:
        """The rule in one sentence."""
        looks = ", ".join(map(str, self.looks))
        return (f"replications in looks of {looks}; stop once every breach probability's interval lies on one side "
                f"of the {self.line:.0%} risk line or is at most ±{self.precision:g} wide; each look's Wilson "
                f"interval at {self.look_level:.2%} ({1 - self.level:.0%} split over {len(self.looks)} looks), so "
                f"the reported intervals are valid {self.level:.0%} intervals under the stopping")


@dataclass
class Stopping:
    """What a sequential run did: the plan, every look, and why it stopped."""

    plan: Plan
    looks: list[Look] = field(default_factory=list)

    @property
    def replications(self) -> int:
        return self.looks[-1].replications if self.looks else 0

    @property
    def reason(self) -> str | None:
        return self.looks[-1].stop if self.looks else None

    @property
    def final(self) -> Look:
        return self.looks[-1]

    def headline(self) -> str:
        """One sentence for the summary; says out loud when the cap was reached without the precision."""
        n, why = self.replications, self.reason
        if why == CAP_REACHED:
            left = self.final.undecided
            return (f"{n} replications: the cap was reached and the precision ±{self.plan.precision:g} was NOT "
                    f"reached for {len(left)} target(s) ({', '.join(left)}); their intervals are wider than asked")
        return f"{n} replications: stopped at look {len(self.looks)} of {len(self.plan.looks)} ({why})"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (``summary.json``'s ``sequential``)."""
        p = self.plan
        return {"precision": p.precision, "first": p.first, "max_replications": p.cap, "risk_line": p.line,
                "planned_looks": list(p.looks), "look_level": p.look_level, "level": p.level,
                "rule": p.describe(), "replications": self.replications, "stopped": self.reason,
                "precision_reached": self.reason != CAP_REACHED, "headline": self.headline(),
                "looks": [lk.as_dict() for lk in self.looks]}


def run_looks(plan: Plan, extend: Callable[[int, int], None], counts: Callable[[int], Mapping[str, tuple[int, int]]],
              on_look: Callable[[Look], None] | None = None, stop_on_failure: bool = False,
              start: int = 0) -> Stopping:
    """The sequential loop, whatever is being replicated.

    Parameters
    ----------
    plan : Plan
    extend : callable
        ``extend(done, upto)`` makes replications ``done .. upto - 1`` available.
    counts : callable
        ``counts(upto)`` -> ``{key: (breaches, periods)}`` over replications ``0 .. upto - 1``.
    on_look : callable, optional
        Called with each look (progress).
    stop_on_failure : bool
        See ``Plan.look``.
    start : int
        Replications already available (none need simulating up to there).
    """
    record = Stopping(plan)
    done = start
    for i, upto in enumerate(plan.looks):
        if upto > done:
            extend(done, upto)
            done = upto
        look = plan.look(i, counts(upto), stop_on_failure)
        record.looks.append(look)
        if on_look:
            on_look(look)
        if look.stop:
            break
    return record


# ------------------------------------------------------------------ simulating a scenario
def breach_counts(table: Any, keys: Sequence[str] | None = None) -> dict[str, tuple[int, int]]:
    """``{"agreement / target": (breached periods, periods)}`` from ``evaluate``'s table, as ``target_summary`` counts."""
    from simsla.analysis.attainment import per_replication

    reps = per_replication(table)
    out: dict[str, tuple[int, int]] = {}
    for (ag, tg), part in reps.groupby(["agreement", "target"], sort=False):
        key = f"{ag} / {tg}"
        if keys is None or key in keys:
            out[key] = (int(part["breached"].sum()), int(part["periods"].sum()))
    return out


def simulate_sequential(
    scenario: "Scenario",
    precision: float,
    first: int = 10,
    cap: int = DEFAULT_MAX_REPLICATIONS,
    seed: int | None = None,
    workers: int | None = None,
    *,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_look: Callable[[Look], None] | None = None,
    confidence: float = 0.9,
    targets: Sequence[str] | None = None,
    max_queue: int = 200_000,
    out: str | Path | None = None,
) -> "Results | SavedResults":
    """``simulate`` with sequential stopping: replications in looks until every breach probability is settled.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario with agreements.
    precision : float
        Largest accepted half-width of each target's breach probability interval.
    first, cap : int
        Replications of the first look and at most (the module docstring has the rule).
    seed, workers, executor, max_queue
        As for ``simsla.experiment.runner.simulate``.
    progress : callable, optional
        ``progress(done, cap)`` after each replication.
    on_look : callable, optional
        Called with each ``Look``.
    confidence : float
        Sets the risk line ``1 - confidence``.
    targets : sequence of str, optional
        The ``"agreement / target"`` keys the rule judges (default: all).
    out : path, optional
        Stream the replications to this results folder as they complete
        (``simsla.experiment.streaming``); each look is judged on the
        per-replication counts kept, not on tables held in memory.

    Returns
    -------
    Results or SavedResults
        ``extra["sequential"]`` holds ``Stopping.as_dict()``; its summary's
        breach intervals are the valid ones of the stopping look (the
        look level), and its verdict is judged on them.  With ``out``, a
        ``SavedResults`` with the same summary.
    """
    from simsla.experiment.runner import assemble, default_seed, replicate_many
    from simsla.experiment.workers import closing, worker_pool

    if not scenario.agreements:
        raise ValueError("--precision judges the breach probabilities of targets, and this scenario has no agreements")
    plan = Plan(precision, first, cap, 1.0 - confidence)
    seed = default_seed() if seed is None else int(seed)
    workers = (os.cpu_count() or 1) if workers is None else workers
    if out is not None:
        return _sequential_to(out, scenario, plan, seed, workers, executor, progress, on_look, confidence, targets,
                              max_queue)
    parts: list[dict[str, Any]] = []
    held: dict[str, Any] = {}

    def results_upto(upto: int) -> "Results":
        if held.get("n") != upto:
            held["n"], held["results"] = upto, assemble(scenario, seed, parts[:upto])
        return held["results"]

    serial = executor is None and workers <= 1
    with nullcontext(None) if serial else (closing(worker_pool(min(workers, cap))) if executor is None
                                           else nullcontext(executor)) as pool:
        def extend(done: int, upto: int) -> None:
            parts.extend(replicate_many(scenario, seed, range(done, upto), pool, max_queue, progress, cap, done))

        record = run_looks(plan, extend, lambda upto: breach_counts(results_upto(upto).evaluation(), targets),
                           on_look)
    results = results_upto(record.replications)
    results.extra["sequential"] = record.as_dict()
    results.extra["summary"] = sequential_summary(results, record, confidence)
    return results


def _sequential_to(out: str | Path, scenario: "Scenario", plan: Plan, seed: int, workers: int,
                   executor: Executor | None, progress: Callable[[int, int], None] | None,
                   on_look: Callable[[Look], None] | None, confidence: float, targets: Sequence[str] | None,
                   max_queue: int) -> "SavedResults":
    """``simulate_sequential`` streamed to the folder ``out``."""
    from simsla.experiment.runner import stream_window
    from simsla.experiment.streaming import ResultsStream, stream_replications
    from simsla.experiment.workers import closing, worker_pool

    cap = plan.cap
    with ResultsStream(scenario, seed, out) as stream:
        serial = executor is None and workers <= 1
        with nullcontext(None) if serial else (closing(worker_pool(min(workers, cap))) if executor is None
                                               else nullcontext(executor)) as pool:
            def extend(done: int, upto: int) -> None:
                stream_replications(scenario, seed, range(done, upto), pool, stream, max_queue, progress, cap, done,
                                    window=stream_window(workers))

            record = run_looks(plan, extend, lambda upto: breach_counts(stream.evaluation(upto), targets), on_look)
        return stream.finish(confidence, lambda summary, table: adjusted_summary(summary, table, record, confidence,
                                                                                 record.replications))


def sequential_summary(results: "Results", record: Stopping, confidence: float = 0.9) -> dict[str, Any]:
    """``summarize``'s dict with each target's breach interval at the look level and the verdict judged on them."""
    from simsla.analysis.summary import summarize

    summary = summarize(results, confidence, table=results.evaluation())
    return adjusted_summary(summary, results.evaluation(), record, confidence, int(results.replications))


def adjusted_summary(summary: dict[str, Any], table: Any, record: Stopping, confidence: float,
                     replications: int) -> dict[str, Any]:
    """A summary (``summarize``'s dict over ``table``) with the sequential intervals and verdict (``sequential_summary``)."""
    from simsla.analysis.verdict import judge

    level = record.plan.look_level
    counts = breach_counts(table)
    for t in summary["targets"]:
        _, lo, hi = wilson_ci(*counts.get(f"{t['agreement']} / {t['target']}", (0, 0)), level)
        t["breach_probability_ci95"] = [_num(lo), _num(hi)]
        t["breach_interval_level_per_look"] = level
    verdict = judge(summary["targets"], confidence, int(replications))
    for t, v in zip(summary["targets"], verdict.targets):
        t.update(light=v.light, status=v.status, notes=[str(n) for n in v.notes])
    summary["verdict"] = verdict.as_dict()
    summary["sequential"] = record.as_dict()
    return summary


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)
