"""Least-cost staffing that keeps the SLA/OLA targets: ``find_staffing``.

Decision variables are **headcounts per shift block**: each shift of each
group is one block (a group with a constant ``staff`` is one block, 24/7).
A block costs ``staff x hours per week x cost_per_hour`` (the group's
``cost_per_hour``, default 1.0, so without costs the cost is in agent-hours
per week).  A staffing *meets* a target when the target's breach probability
per period -- the share of complete simulated periods whose attainment falls
below the agreed fraction -- is at most ``1 - confidence``.

The search
----------
1. **Analytic start.** The desk's blocks cover the Erlang requirement of the
   answer-time targets (``desk_requirement``: per hour of the week, pooled
   desk work, Erlang A with the scenario's patience) at least cost, by a
   small integer program (``scipy.optimize.milp``); every other block keeps
   its current headcount.
2. **What staffing can fix.** The targets are simulated once with generous
   staffing (every block at twice its start or current headcount, plus one).
   A target breached even then depends on something staff cannot change (a
   supplier's times, handling times longer than the threshold) and is
   reported as *not attainable by staffing* and left out of the search.
3. **Add** (greedy, small simulations): while a target fails, take the worst
   one (lowest margin: its allowed-quantile period attainment minus its
   fraction), find the group whose queues held its missed tickets longest,
   try one more agent in each of that group's blocks, and keep the one that
   most improves that target per unit of cost.  A target that no such
   agent improves is given up as not attainable by staffing.
4. **Remove** (small simulations): per block, most expensive agent first,
   remove agents (one, then doubling, then bisection) while every target
   still holds.  Breach counts only grow as staff is removed, so a candidate
   is dropped as soon as its breaches exceed what the full run would allow.
5. **Confirm** at full size (``replications``, same seed); if a target
   fails, add again at full size.
6. **Check (b)**, minimality at full size: remove one agent from each block
   in turn; report which target breaks -- or, if none does, keep the
   removal and check again.
7. **Check (a)**, independence: re-simulate the final staffing with an
   independent seed and report each target's breach probability with its
   95 % Wilson interval; the staffing holds when ``1 - confidence`` lies at
   or above the lower end (it is not significantly breached).

Every candidate is simulated with the same seed (common random numbers: the
same callers, talk times and routing draws), so differences between
candidates are differences of staffing, not of luck.  Replications run in
the workers and come back as a few numbers per target and period.

Resuming
--------
With ``out_dir``, each evaluated candidate's per-replication results are
written (atomically) to ``out_dir/search/<hash>.json``, the hash covering the
scenario, the targets, the staffing, the seed and the horizon; a rerun reads
them instead of simulating, follows the same path and ends with the same
answer.  The final answer is written to ``out_dir/staffing.csv`` and
``staffing.json``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simsla.analysis.stats import wilson_ci
from simsla.decide._common import digest, jsonable, read_json, scenario_digest, write_csv_atomic, write_json_atomic
from simsla.decide._replicate import run_tasks, target_key, target_replication
from simsla.decide.erlang import desk_requirement, shift_cover
from simsla.model import Scenario
from simsla.model.calendar import parse_days, parse_hours

YEAR = 365.25 * 86400.0
Progress = Callable[[str], None]


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
        The group's cost of an agent-hour (1.0 when the scenario gives none).
    current : int
        The headcount in the scenario.
    """

    group: str
    shift: int | None
    label: str
    days: str
    hours: str
    hours_per_week: float
    cost_per_hour: float
    current: int

    @property
    def cost_per_agent(self) -> float:
        """Weekly cost of one agent in this block."""
        return self.hours_per_week * self.cost_per_hour

    @property
    def name(self) -> str:
        return f"{self.group}:{self.label}"


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
            out.append(Block(g.name, None, "24/7", "all", "24h", 168.0, cost, g.staff))
            continue
        for i, s in enumerate(g.shifts or ()):
            hours = sum(b - a for a, b in parse_hours(s.hours)) / 3600.0 * len(parse_days(s.days))
            out.append(Block(g.name, i, s.label, s.days, s.hours, hours, cost, s.staff))
    return out


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
    """Start headcounts: the desk's blocks from Erlang, every other block as it is."""
    start = [b.current for b in blocks]
    info: dict[str, Any] = {"method": "current staffing"}
    desk = scenario.desk
    desk_idx = [i for i, b in enumerate(blocks) if b.group == desk.name]
    answer = [(a, t) for a in scenario.agreements for t in a.targets
              if target_key(a, t) in keys and t.metric == "answer_time"]
    if not desk_idx or not answer:
        return start, info
    req = None
    for a, t in answer:
        r = desk_requirement(scenario, float(t.threshold), min(t.fraction, 0.999))["required"].to_numpy()  # type: ignore[arg-type]
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


# --------------------------------------------------------------------------- evaluation
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
        return int((self.attainments < self.fraction - 1e-12).sum())

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


class _Evaluator:
    """Simulates candidates (cached in memory and, with a folder, on disk) and judges targets."""

    def __init__(self, scenario: Scenario, blocks: Sequence[Block], keys: Sequence[str], confidence: float,
                 executor: Executor | None, workers: int, log_dir: Path | None, progress: Progress | None,
                 batch: int, max_queue: int):
        self.scenario, self.blocks, self.keys = scenario, list(blocks), list(keys)
        self.alpha = 1.0 - confidence
        self.executor, self.workers = executor, workers
        self.log_dir, self.progress = log_dir, progress
        self.batch, self.max_queue = max(1, batch), max_queue
        self.base = scenario_digest(scenario)
        self.fractions = {target_key(a, t): t.fraction for a in scenario.agreements for t in a.targets}
        self.cache: dict[str, dict[int, dict[str, Any]]] = {}
        self.evaluations = 0
        self.simulated = 0
        self.from_log = 0
        self.simulated_seconds = 0.0
        self.active: list[str] | None = None

    def _hash(self, staff: Sequence[int], seed: int, horizon: float) -> str:
        return digest({"scenario": self.base, "targets": self.keys, "staffing": [int(x) for x in staff],
                       "blocks": [b.name for b in self.blocks], "seed": int(seed), "horizon": float(horizon),
                       "max_queue": self.max_queue})

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
        sc = apply_staffing(self.scenario, self.blocks, staff)
        if horizon != sc.horizon:
            sc = sc.model_copy(update={"horizon": horizon})
        h = self._hash(staff, seed, horizon)
        reps = self._stored(h)
        step = self.batch if stop_when_fails else replications
        done = 0
        while done < replications:
            upto = min(replications, done + step)
            missing = [r for r in range(done, upto) if r not in reps]
            if missing:
                t0 = time.perf_counter()
                results = run_tasks(target_replication, [(sc, seed, r, self.keys, self.max_queue) for r in missing],
                                    self.executor, self.workers)
                for r, res in zip(missing, results):
                    reps[r] = res
                self.simulated += len(missing)
                self.simulated_seconds += len(missing) * (sc.warmup + sc.horizon)
                self._save(h, staff, seed, horizon)
                _ = t0
            done = upto
            if stop_when_fails and done < replications:
                per_rep = {k: len(reps[0]["targets"][k]["att"]) for k in self.keys}
                st = self.statuses(reps, done)
                judged = self.active if self.active is not None else self.keys
                if any(st[k].breaches > math.floor(self.alpha * per_rep[k] * replications + 1e-9) for k in judged):
                    break
        if stop_when_fails and done < replications:
            per_rep = {k: len(reps[0]["targets"][k]["att"]) for k in self.keys}
            st = self.statuses(reps, done)
            for k in self.keys:  # judge against what the full run would allow
                st[k].allowed = int(math.floor(self.alpha * per_rep[k] * replications + 1e-9))
        else:
            st = self.statuses(reps, done)
        if self.progress:
            failing = [k for k in (self.active if self.active is not None else self.keys) if not st[k].met]
            self.progress(f"{label or 'candidate'} {self.describe(staff)}: {done} replication(s), "
                          f"{'all targets met' if not failing else f'{len(failing)} failing, worst {min(failing, key=lambda k: st[k].margin)}'}")
        return st, done

    def describe(self, staff: Sequence[int]) -> str:
        return ", ".join(f"{b.name}={x}" for b, x in zip(self.blocks, staff))


# ---------------------------------------------------------------------------- result
@dataclass
class StaffingResult:
    """What ``find_staffing`` found.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per block: group, block, days, hours, hours_per_week, current,
        staff, cost_per_hour, cost_per_week.
    total_cost, current_cost : float
        Weekly cost of the found and of the scenario's staffing.
    targets : pandas.DataFrame
        Per target: status (``met``, ``failed`` or ``not attainable by
        staffing``), periods, breaches, breach probability with its Wilson
        95 % interval at full size (for unattainable targets: at the generous
        staffing of the search).
    check_independent : dict
        Check (a): seed, replications and per target the breach probability
        with its interval under an independent seed, and whether each holds.
    check_minimal : pandas.DataFrame
        Check (b): per block, the staffing with one agent fewer and the
        targets that then break ("none" would have been removed).
    search : dict
        Candidates evaluated, replications simulated (and read from the log),
        replication-years, seconds, seeds, sizes, the analytic start.
    history : list of dict
        The steps of the search.
    """

    table: pd.DataFrame
    total_cost: float
    current_cost: float
    targets: pd.DataFrame
    check_independent: dict[str, Any]
    check_minimal: pd.DataFrame
    search: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def staff(self) -> dict[str, int]:
        """Headcount per block, keyed ``group:block``."""
        return {f"{r.group}:{r.block}": int(r.staff) for r in self.table.itertuples()}

    @property
    def meets_all(self) -> bool:
        """Every attainable target met at full size."""
        t = self.targets
        return bool((t.loc[t["status"] != "not attainable by staffing", "status"] == "met").all())

    def to_frame(self) -> pd.DataFrame:
        """The staffing table."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready."""
        return jsonable({
            "staffing": self.table.to_dict(orient="records"), "total_cost_per_week": self.total_cost,
            "current_cost_per_week": self.current_cost, "meets_all": self.meets_all,
            "targets": self.targets.to_dict(orient="records"),
            "check_independent_seed": self.check_independent,
            "check_one_fewer": self.check_minimal.to_dict(orient="records"),
            "search": self.search, "history": self.history,
        })

    def save(self, folder: str | Path) -> Path:
        """Write staffing.csv and staffing.json into ``folder`` (each atomically)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_csv_atomic(folder / "staffing.csv", self.table)
        write_json_atomic(folder / "staffing.json", self.to_dict())
        return folder


# ---------------------------------------------------------------------------- the search
def find_staffing(
    scenario: Scenario,
    targets: Iterable[str | tuple[str, str]] | None = None,
    confidence: float = 0.9,
    replications: int = 6,
    seed: int = 1,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    max_simulations: int = 120,
    *,
    search_replications: int = 2,
    search_horizon: float | None = None,
    groups: Iterable[str] | None = None,
    start: str = "analytic",
    out_dir: str | Path | None = None,
    batch: int = 2,
    max_queue: int = 20_000,
) -> StaffingResult:
    """Least-cost headcount per shift block that meets every selected target with the given confidence.

    Parameters
    ----------
    scenario : Scenario
        The scenario; its shift blocks are the decision variables.
    targets : iterable, optional
        Targets to keep (``"agreement / target"``, agreement names or pairs);
        default every SLA and OLA target of a ticket metric.
    confidence : float
        Required probability of meeting a target in a period; a target is met
        when its breach share over the simulated periods is <= 1 - confidence.
    replications : int
        Replications of the confirmation and of both checks (full size).
    seed : int
        Root seed of the search and confirmation (common random numbers for
        every candidate).  Check (a) uses a seed derived from it.
    workers : int, optional
        Worker processes when no executor is given (None: all cores).
    executor : concurrent.futures.Executor, optional
        Where replications run (see ``simsla.decide.make_executor``).
    progress : callable, optional
        Called with one line of text after each evaluated candidate.
    max_simulations : int
        Most candidate evaluations (of any size) before the search stops with
        what it has (reported in ``search``).
    search_replications : int
        Replications per candidate during the search (small).
    search_horizon : float, optional
        Horizon (seconds) during the search; default the scenario's.  It must
        hold complete periods of every target.
    groups : iterable of str, optional
        Groups whose blocks may change (default: all).
    start : {"analytic", "current"}
        Start from the desk's Erlang requirement or from the scenario's staffing.
    out_dir : str or Path, optional
        Folder for the resumable search log (``search/``) and the answer
        (``staffing.csv``, ``staffing.json``).
    batch : int
        Replications per batch when a candidate may be dropped early.
    max_queue : int
        A queue longer than this ends a replication as unstable (every period breached).

    Returns
    -------
    StaffingResult
    """
    t_start = time.perf_counter()
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    if replications < 1 or search_replications < 1:
        raise ValueError("replications must be at least 1")
    keys = select_targets(scenario, targets)
    if not keys:
        raise ValueError("no targets to keep: the scenario has no SLA/OLA ticket targets")
    blocks = staffing_blocks(scenario, groups)
    if not blocks:
        raise ValueError("no shift blocks to vary")
    out = Path(out_dir) if out_dir is not None else None
    log_dir = out / "search" if out is not None else None
    workers = workers if workers is not None else __import__("os").cpu_count() or 1
    own_pool = None
    if executor is None and workers > 1:
        own_pool = executor = ProcessPoolExecutor(max_workers=workers)
    try:
        ev = _Evaluator(scenario, blocks, keys, confidence, executor, workers, log_dir, progress, batch, max_queue)
        result = _search(ev, scenario, blocks, keys, confidence, replications, seed, search_replications,
                         search_horizon, start, max_simulations)
    finally:
        if own_pool is not None:
            own_pool.shutdown(cancel_futures=True)
    result.search["seconds"] = time.perf_counter() - t_start
    if out is not None:
        result.save(out)
    return result


def _cost(blocks: Sequence[Block], staff: Sequence[int]) -> float:
    return float(sum(b.cost_per_agent * x for b, x in zip(blocks, staff)))


def _independent_seed(seed: int) -> int:
    return int(np.random.SeedSequence([int(seed), 0x5EED]).generate_state(1, dtype=np.uint64)[0] % (2**63))


def _search(ev: _Evaluator, scenario: Scenario, blocks: list[Block], keys: list[str], confidence: float,
            replications: int, seed: int, search_reps: int, search_horizon: float | None, start: str,
            budget: int) -> StaffingResult:
    history: list[dict[str, Any]] = []
    group_of = [b.group for b in blocks]

    def note(phase: str, staff: Sequence[int], st: dict[str, TargetStatus] | None = None, **extra: Any) -> None:
        row = {"phase": phase, "staffing": {b.name: int(x) for b, x in zip(blocks, staff)}, "cost": _cost(blocks, staff)}
        if st is not None:
            row["failing"] = [k for k, s in st.items() if k in active and not s.met]
        row.update(extra)
        history.append(row)

    def failing(st: dict[str, TargetStatus]) -> list[str]:
        return [k for k in active if not st[k].met]

    def feasible(st: dict[str, TargetStatus]) -> bool:
        return not failing(st)

    # 1. start
    if start == "analytic":
        x, start_info = analytic_start(scenario, blocks, keys)
    elif start == "current":
        x, start_info = [b.current for b in blocks], {"method": "current staffing"}
    else:
        raise ValueError("start must be 'analytic' or 'current'")
    active = list(keys)
    dropped: dict[str, str] = {}
    note("start", x, None, method=start_info["method"])

    # 2. what staffing can fix
    generous = [2 * max(a, b.current) + 1 for a, b in zip(x, blocks)]
    st_gen, _ = ev.evaluate(generous, seed, replications, None, label="generous")
    unattainable = [k for k in keys if not st_gen[k].met]
    active = [k for k in keys if k not in unattainable]
    ev.active = active
    note("generous", generous, st_gen, unattainable=unattainable)

    def add_phase(x: list[int], reps: int, horizon: float | None, phase: str) -> tuple[list[int], dict[str, TargetStatus]]:
        st, _ = ev.evaluate(x, seed, reps, horizon, label=phase)
        while failing(st) and ev.evaluations < budget:
            worst = min(failing(st), key=lambda k: st[k].margin)
            blame = st[worst].blame
            order = sorted((g for g in blame if g in group_of), key=lambda g: -blame[g])
            grp = order[0] if order else None
            cands = [i for i, b in enumerate(blocks) if b.group == grp] or list(range(len(blocks)))
            best, best_score, best_st, best_gain = None, -math.inf, None, -math.inf
            for i in cands:
                if ev.evaluations >= budget:
                    break
                y = list(x)
                y[i] += 1
                sy, _ = ev.evaluate(y, seed, reps, horizon, label=f"{phase} +1")
                gain = min(sy[worst].margin, 1.0) - min(st[worst].margin, 1.0)
                # tie-break: the total shortfall over all failing targets
                gain2 = sum(min(sy[k].margin, 0.0) - min(st[k].margin, 0.0) for k in failing(st))
                score = (gain + 1e-3 * gain2) / blocks[i].cost_per_agent
                if score > best_score:
                    best, best_score, best_st, best_gain = i, score, sy, gain
            if best is None:
                break
            if best_gain <= 0:
                # one more agent anywhere it could help does not move this target: staff is not its problem
                active.remove(worst)
                dropped[worst] = f"adding one agent to {grp or 'any group'} did not improve it ({phase})"
                note(phase, x, st, gave_up=worst)
                continue
            x = list(x)
            x[best] += 1
            st = best_st  # type: ignore[assignment]
            note(phase, x, st, added=blocks[best].name, worst=worst)
        return x, st

    def remove_phase(x: list[int], reps: int, horizon: float | None, phase: str) -> list[int]:
        order = sorted(range(len(blocks)), key=lambda i: -blocks[i].cost_per_agent)
        for i in order:
            if x[i] == 0 or ev.evaluations >= budget:
                continue

            def ok(v: int) -> bool:
                y = list(x)
                y[i] = v
                st, _ = ev.evaluate(y, seed, reps, horizon, stop_when_fails=True, label=phase)
                return feasible(st)

            hi, lo, step = x[i], None, 1  # hi feasible; find the least feasible value
            while lo is None and ev.evaluations < budget:
                v = max(0, hi - step)
                if ok(v):
                    hi = v
                    if v == 0:
                        lo = -1
                    step *= 2
                else:
                    lo = v
            lo = -1 if lo is None else lo
            while hi - lo > 1 and ev.evaluations < budget:
                mid = (hi + lo) // 2
                if ok(mid):
                    hi = mid
                else:
                    lo = mid
            if hi != x[i]:
                x = list(x)
                x[i] = hi
                note(phase, x, None, reduced=blocks[i].name)
        return x

    # 3.-4. search at small size
    x, _ = add_phase(list(x), search_reps, search_horizon, "add")
    x = remove_phase(x, search_reps, search_horizon, "remove")

    # 5. confirm at full size
    x, st_full = add_phase(x, replications, None, "confirm")

    # 6. check (b): one fewer in each block, at full size
    minimal_rows: list[dict[str, Any]] = []
    changed = True
    while changed:
        changed = False
        minimal_rows = []
        for i, b in enumerate(blocks):
            if x[i] == 0:
                minimal_rows.append({"group": b.group, "block": b.label, "staff": 0, "one_fewer": None,
                                     "breaks": "(already 0)", "replications": 0})
                continue
            y = list(x)
            y[i] -= 1
            sy, used = ev.evaluate(y, seed, replications, None, stop_when_fails=True, label="check one fewer")
            broken = [k for k in active if not sy[k].met]
            if not broken and ev.evaluations < budget:
                x = y
                st_full, _ = ev.evaluate(x, seed, replications, None, label="confirm")
                note("check-b removal", x, st_full, reduced=b.name)
                changed = True
                break
            minimal_rows.append({
                "group": b.group, "block": b.label, "staff": int(x[i]), "one_fewer": int(y[i]),
                "breaks": "; ".join(f"{k} ({sy[k].breaches}/{sy[k].periods} periods)" for k in broken) or "none",
                "replications": int(used)})

    # 7. check (a): an independent seed
    seed_a = _independent_seed(seed)
    st_a, used_a = ev.evaluate(x, seed_a, replications, None, label="check independent seed")
    alpha = 1.0 - confidence
    check_a_targets = []
    for k in active:
        s = st_a[k].summary()
        s["holds"] = bool(s["breach_ci_low"] <= alpha + 1e-12) if s["periods"] else True
        check_a_targets.append(s)
    check_a = {"seed": seed_a, "replications": used_a, "allowed_breach_probability": alpha,
               "holds": all(t["holds"] for t in check_a_targets), "targets": check_a_targets}

    rows = []
    for k in keys:
        if k in unattainable:
            s = st_gen[k].summary()
            s["status"] = "not attainable by staffing"
            s["evaluated_at"] = "generous staffing, full size"
        elif k in dropped:
            s = st_full[k].summary()
            s["status"] = "not attainable by staffing"
            s["evaluated_at"] = dropped[k]
        else:
            s = st_full[k].summary()
            s["status"] = "met" if s["met"] else "failed"
            s["evaluated_at"] = "found staffing, full size"
        agreement, _, target = k.partition(" / ")
        s.update(agreement=agreement, target=target)
        rows.append(s)
    targets_frame = pd.DataFrame(rows)[["agreement", "target", "status", "fraction", "periods", "breaches",
                                        "breach_probability", "breach_ci_low", "breach_ci_high", "min_attainment",
                                        "evaluated_at"]]
    table = pd.DataFrame([{
        "group": b.group, "block": b.label, "days": b.days, "hours": b.hours, "hours_per_week": b.hours_per_week,
        "current": b.current, "staff": int(v), "cost_per_hour": b.cost_per_hour,
        "cost_per_week": b.cost_per_agent * int(v)} for b, v in zip(blocks, x)])
    sc_len = scenario.warmup + scenario.horizon
    search = {
        "seed": seed, "confidence": confidence, "replications": replications,
        "search_replications": search_reps,
        "search_horizon_seconds": float(search_horizon if search_horizon is not None else scenario.horizon),
        "candidates_evaluated": ev.evaluations, "budget": budget, "budget_exhausted": ev.evaluations >= budget,
        "replications_simulated": ev.simulated, "replications_read_from_log": ev.from_log,
        "replication_years": ev.simulated_seconds / YEAR, "start": start_info,
        "targets_searched": active, "targets_not_attainable": unattainable + list(dropped),
        "scenario_years_per_replication": sc_len / YEAR,
    }
    return StaffingResult(table=table, total_cost=_cost(blocks, x), current_cost=_cost(blocks, [b.current for b in blocks]),
                          targets=targets_frame, check_independent=check_a, check_minimal=pd.DataFrame(minimal_rows),
                          search=search, history=history)
