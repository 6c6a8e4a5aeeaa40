"""Judging one candidate staffing: occupancy cap first (analytic), then targets and ticket classes (simulated).

Every candidate is simulated with the same seed (common random numbers: the
same callers, talk times and routing draws), so differences between
candidates are differences of staffing, not of luck.  Replications run in
the workers and come back as a few numbers per target, period and ticket
class.  With a log folder, each evaluated candidate's per-replication
results are written (atomically) to ``<hash>.json``, the hash covering the
scenario, the targets, the staffing, the seed and the horizon; a rerun reads
them instead of simulating.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simsla.analysis.attainment import breached
from simsla.analysis.stats import wilson_ci
from simsla.decide._common import digest, read_json, scenario_digest, write_json_atomic
from simsla.decide._replicate import run_tasks, target_key, target_replication
from simsla.decide.staffing_blocks import Block, apply_staffing
from simsla.decide.staffing_occupancy import OccupancyCheck, occupancy_check
from simsla.decide.staffing_protection import Protection, compare_classes, worse_classes
from simsla.experiment.stability import Flow, flow
from simsla.model import Scenario

Progress = Callable[[str], None]
#: bump when what a worker returns changes, so old search logs are not read as new ones
LOG_VERSION = 2


@dataclass
class TargetStatus:
    """One target under one staffing: periods, breaches and what they mean."""

    key: str
    fraction: float
    attainments: np.ndarray
    allowed: int
    blame: dict[str, float]

    @property
    def periods(self) -> int:
        return len(self.attainments)

    @property
    def breaches(self) -> int:
        return int(breached(self.attainments, self.fraction).sum())  # analysis' one breach rule

    @property
    def met(self) -> bool:
        return self.breaches <= self.allowed

    @property
    def margin(self) -> float:
        """The (allowed+1)-th lowest period attainment minus the fraction: >= 0 iff met."""
        if self.periods == 0 or self.allowed >= self.periods:
            return math.inf
        return float(np.sort(self.attainments)[self.allowed] - self.fraction)

    def summary(self) -> dict[str, Any]:
        p, lo, hi = wilson_ci(self.breaches, self.periods)
        return {"target": self.key, "periods": self.periods, "breaches": self.breaches,
                "breach_probability": p, "breach_ci_low": lo, "breach_ci_high": hi, "met": self.met,
                "min_attainment": float(self.attainments.min()) if self.periods else None,
                "fraction": self.fraction}


@dataclass
class Judgement:
    """A candidate judged: the occupancy check, and (when simulated) its targets and ticket classes.

    ``targets`` and ``classes`` are None when the occupancy check refused
    the candidate before simulating it.
    """

    occupancy: OccupancyCheck
    targets: dict[str, TargetStatus] | None
    classes: pd.DataFrame | None
    replications: int
    failing: list[str]
    worse: list[str]

    @property
    def simulated(self) -> bool:
        return self.targets is not None

    @property
    def feasible(self) -> bool:
        """Within the cap, every searched target met, no protected class worse."""
        return self.occupancy.ok and self.simulated and not self.failing and not self.worse

    def problems(self) -> list[str]:
        """What makes it infeasible, one phrase each."""
        out = [f"occupancy cap: {self.occupancy.describe()}"] if not self.occupancy.ok else []
        if self.targets is not None:
            out += [f"{k} ({self.targets[k].breaches}/{self.targets[k].periods} periods)" for k in self.failing]
        if self.classes is not None and self.worse:
            bad = self.classes[self.classes["status"] == "worse"]
            out += [f"{r['class']} {r['statistic']} x{r['ratio']:.2f} [{r['ratio_ci_low']:.2f}-{r['ratio_ci_high']:.2f}]"
                    for _, r in bad.iterrows()]
        return out


class Evaluator:
    """Simulates candidates (cached in memory and, with a folder, on disk) and judges them."""

    def __init__(self, scenario: Scenario, blocks: Sequence[Block], keys: Sequence[str], confidence: float,
                 executor: Executor | None, workers: int, log_dir: Path | None, progress: Progress | None,
                 batch: int, max_queue: int, cap: float, protection: Protection, precision: float | None = None,
                 max_replications: int | None = None):
        self.scenario, self.blocks, self.keys = scenario, list(blocks), list(keys)
        self.alpha = 1.0 - confidence
        self.executor, self.workers = executor, workers
        self.log_dir, self.progress = log_dir, progress
        self.batch, self.max_queue = max(1, batch), max_queue
        self.cap, self.protection = cap, protection
        #: with a precision, each candidate's replications stop by the sequential rule (simsla.experiment.sequential)
        self.precision = precision
        if precision is not None and max_replications is None:
            from simsla.experiment.sequential import DEFAULT_MAX_REPLICATIONS

            max_replications = DEFAULT_MAX_REPLICATIONS
        self.max_replications = max_replications
        #: per sequentially judged candidate: label, replications used, why it stopped
        self.stops: list[dict[str, Any]] = []
        self.base = scenario_digest(scenario)
        self.current = [b.current for b in self.blocks]
        self.fractions = {target_key(a, t): t.fraction for a in scenario.agreements for t in a.targets}
        self.cache: dict[str, dict[int, dict[str, Any]]] = {}
        self.evaluations = 0
        self.pruned = 0
        self.simulated = 0
        self.from_log = 0
        self.simulated_seconds = 0.0
        self.active: list[str] | None = None
        #: classes found worse even where no block is below today's staffing: not a staffing cut's doing
        self.excused: set[str] = set()
        self._traffic: Flow | None = None
        self._occupancy: dict[tuple[int, ...], OccupancyCheck] = {}

    # ------------------------------------------------------------ storage
    def _hash(self, staff: Sequence[int], seed: int, horizon: float) -> str:
        return digest({"scenario": self.base, "targets": self.keys, "staffing": [int(x) for x in staff],
                       "blocks": [b.name for b in self.blocks], "seed": int(seed), "horizon": float(horizon),
                       "max_queue": self.max_queue, "v": LOG_VERSION})

    def _stored(self, h: str) -> dict[int, dict[str, Any]]:
        if h not in self.cache:
            reps: dict[int, dict[str, Any]] = {}
            if self.log_dir is not None:
                data = read_json(self.log_dir / f"{h}.json")
                if data:
                    reps = {int(r): v for r, v in data.get("replications", {}).items()}
                    self.from_log += len(reps)
            self.cache[h] = reps
        return self.cache[h]

    def _save(self, h: str, staff: Sequence[int], seed: int, horizon: float) -> None:
        if self.log_dir is None:
            return
        write_json_atomic(self.log_dir / f"{h}.json", {
            "staffing": {b.name: int(x) for b, x in zip(self.blocks, staff)}, "seed": seed, "horizon": horizon,
            "targets": self.keys, "replications": {str(r): v for r, v in sorted(self.cache[h].items())}})

    def _ensure(self, staff: Sequence[int], seed: int, horizon: float, upto: int, start: int = 0) -> dict[int, dict[str, Any]]:
        """Replications ``start..upto-1`` of a staffing, simulating those not stored yet."""
        h = self._hash(staff, seed, horizon)
        reps = self._stored(h)
        missing = [r for r in range(start, upto) if r not in reps]
        if missing:
            sc = apply_staffing(self.scenario, self.blocks, staff)
            if horizon != sc.horizon:
                sc = sc.model_copy(update={"horizon": horizon})
            results = run_tasks(target_replication, [(sc, seed, r, self.keys, self.max_queue) for r in missing],
                                self.executor, self.workers)
            for r, res in zip(missing, results):
                reps[r] = res
            self.simulated += len(missing)
            self.simulated_seconds += len(missing) * (sc.warmup + sc.horizon)
            self._save(h, staff, seed, horizon)
        return reps

    # ------------------------------------------------------------ targets
    def statuses(self, reps: dict[int, dict[str, Any]], upto: int, total: int | None = None) -> dict[str, TargetStatus]:
        out = {}
        for key in self.keys:
            att: list[float] = []
            blame: dict[str, float] = {}
            for r in range(upto):
                t = reps[r]["targets"][key]
                att.extend(1.0 if a is None else float(a) for a in t["att"])
                for g, s in t["blame"].items():
                    blame[g] = blame.get(g, 0.0) + s
            n_total = len(att) if total is None else total
            allowed = int(math.floor(self.alpha * n_total + 1e-9))
            out[key] = TargetStatus(key, self.fractions[key], np.asarray(att), allowed, blame)
        return out

    def evaluate(self, staff: Sequence[int], seed: int, replications: int, horizon: float | None = None,
                 stop_when_fails: bool = False, label: str = "") -> tuple[dict[str, TargetStatus], int]:
        """Statuses of every target for a staffing; returns (statuses, replications used).

        With ``stop_when_fails``, replications run in batches and stop as soon
        as some target has more breaches than ``replications`` could allow.
        """
        self.evaluations += 1
        horizon = float(self.scenario.horizon if horizon is None else horizon)
        if self.precision is not None:
            return self._sequential(staff, seed, replications, horizon, stop_when_fails, label)
        step = self.batch if stop_when_fails else replications
        done = 0
        judged = self.active if self.active is not None else self.keys
        while done < replications:
            upto = min(replications, done + step)
            reps = self._ensure(staff, seed, horizon, upto, done)
            done = upto
            if stop_when_fails and done < replications:
                per_rep = {k: len(reps[0]["targets"][k]["att"]) for k in self.keys}
                st = self.statuses(reps, done)
                if any(st[k].breaches > math.floor(self.alpha * per_rep[k] * replications + 1e-9) for k in judged):
                    break
        reps = self._ensure(staff, seed, horizon, done)
        st = self.statuses(reps, done)
        if stop_when_fails and done < replications:
            per_rep = {k: len(reps[0]["targets"][k]["att"]) for k in self.keys}
            for k in self.keys:  # judge against what the full run would allow
                st[k].allowed = int(math.floor(self.alpha * per_rep[k] * replications + 1e-9))
        return st, done

    def _sequential(self, staff: Sequence[int], seed: int, first: int, horizon: float, stop_when_fails: bool,
                    label: str) -> tuple[dict[str, TargetStatus], int]:
        """Replications in looks from ``first`` up to the cap, until every judged target is decided or precise.

        A target decided above the risk line ends the candidate at once (it
        cannot be accepted, whatever the others show; ``stop_when_fails`` is
        implied).  The acceptance rule does not change (breach share at most
        ``1 - confidence``); only how many replications it rests on.
        """
        from simsla.experiment.sequential import DEFAULT_MAX_REPLICATIONS, Plan, run_looks

        cap = max(first, self.max_replications or DEFAULT_MAX_REPLICATIONS)
        plan = Plan(float(self.precision), first, cap, self.alpha)  # type: ignore[arg-type]
        judged = self.active if self.active is not None else self.keys
        held: dict[int, dict[str, Any]] = {}

        def extend(done: int, upto: int) -> None:
            held.update(self._ensure(staff, seed, horizon, upto, done))

        def counts(upto: int) -> dict[str, tuple[int, int]]:
            st = self.statuses(held, upto)
            return {k: (st[k].breaches, st[k].periods) for k in judged}

        record = run_looks(plan, extend, counts, stop_on_failure=True)
        done = record.replications
        self.stops.append({"candidate": label, "staffing": [int(x) for x in staff], "replications": done,
                           "stopped": record.reason, "undecided": record.final.undecided})
        return self.statuses(held, done), done

    # ------------------------------------------------------------ the whole judgement
    @property
    def traffic(self) -> Flow:
        """The traffic equations, solved once: routing and demand do not change with staffing."""
        if self._traffic is None:
            self._traffic = flow(self.scenario)
        return self._traffic

    def occupancy(self, staff: Sequence[int]) -> OccupancyCheck:
        """The occupancy check of a staffing (remembered: the search asks again and again)."""
        key = tuple(int(v) for v in staff)
        if key not in self._occupancy:
            sc = apply_staffing(self.scenario, self.blocks, key)
            self._occupancy[key] = occupancy_check(sc, self.cap, self.traffic)
        return self._occupancy[key]

    def classes(self, staff: Sequence[int], seed: int, horizon: float, replications: int) -> pd.DataFrame:
        """Ticket classes of a staffing against today's, paired over its first ``replications``."""
        cand = self._ensure(staff, seed, horizon, replications)
        base = self._ensure(self.current, seed, horizon, replications)
        return compare_classes([cand[r] for r in range(replications)], [base[r] for r in range(replications)],
                               self.protection)

    def judge(self, staff: Sequence[int], seed: int, replications: int, horizon: float | None = None,
              stop_when_fails: bool = False, label: str = "") -> Judgement:
        """Occupancy cap (no simulation; a candidate over it is not simulated), then targets and ticket classes."""
        occupancy = self.occupancy(staff)
        if not occupancy.ok:
            self.pruned += 1
            self._report(label, staff, f"not simulated: over the occupancy cap ({occupancy.describe()})")
            return Judgement(occupancy, None, None, 0, [], [])
        horizon_s = float(self.scenario.horizon if horizon is None else horizon)
        st, done = self.evaluate(staff, seed, replications, horizon_s, stop_when_fails, label)
        judged = self.active if self.active is not None else self.keys
        failing = [k for k in judged if not st[k].met]
        table = self.classes(staff, seed, horizon_s, done) if self.protection.enabled else None
        worse = [c for c in worse_classes(table) if c not in self.excused] if table is not None else []
        verdict = Judgement(occupancy, st, table, done, failing, worse)
        stopped = f" ({self.stops[-1]['stopped']})" if self.precision is not None and self.stops else ""
        self._report(label, staff, f"{done} replication(s){stopped}, " + (
            "all targets met, no protected class worse" if verdict.feasible else "; ".join(verdict.problems()[:2])))
        return verdict

    def _report(self, label: str, staff: Sequence[int], text: str) -> None:
        if self.progress:
            self.progress(f"{label or 'candidate'} {self.describe(staff)}: {text}")

    def describe(self, staff: Sequence[int]) -> str:
        return ", ".join(f"{b.name}={x}" for b, x in zip(self.blocks, staff))
