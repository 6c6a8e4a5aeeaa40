"""Least-cost staffing that keeps the SLA/OLA targets and every party sound: ``find_staffing``.

Decision variables are **headcounts on the floor per shift block**
(:mod:`.staffing_blocks`): each shift of each group is one block (a group
with a constant ``staff`` is one block, 24/7).  A block costs ``staff x hours
per week x cost_per_hour / (1 - shrinkage)``: cost is per *paid* hour, and
with the group's ``shrinkage`` each agent on the floor stands for
``1 / (1 - shrinkage)`` paid FTE (without costs, the cost is in paid
agent-hours per week).  A staffing is **accepted** when

* every party's offered load is at most ``max_occupancy`` (0.85) of its
  capacity -- checked analytically before simulating, so a candidate over
  the cap is never simulated (:mod:`.staffing_occupancy` says what capacity
  means with shifts);
* every selected target's breach probability per period -- the share of
  complete simulated periods whose attainment falls below the agreed
  fraction -- is at most ``1 - confidence``;
* no protected ticket class (priority x channel) gets a median or p90 time
  to resolution more than ``tolerance`` (10 %) worse than with today's
  staffing, judged by the lower end of a paired 95 % interval of the ratio
  (:mod:`.staffing_protection`): work no target measures cannot be starved.

Agent groups
------------
A shift block of a group with agent groups staffs one agent group, at its
cost and shrinkage (:mod:`.staffing_blocks`); adding agents block by block
says which agent groups need people.  A skilled desk starts as it is, and
the occupancy cap stays group-level (:mod:`.staffing_occupancy`).

The search
----------
1. **Analytic start.** The desk's blocks cover the Erlang requirement of the
   answer-time targets at least cost (``staffing_blocks.analytic_start``);
   every other block keeps its current headcount; then agents are added,
   analytically, to any group over the occupancy cap.
2. **What staffing can fix.** The targets are simulated once with generous
   staffing (every block at twice its start or current headcount, plus one).
   A target breached even then is reported as *not attainable by staffing*.
3. **Add** (greedy, small simulations): while a target fails, take the worst
   one (lowest margin), find the group whose queues held its missed tickets
   longest, try one more agent in each of that group's blocks, and keep the
   one that most improves that target per unit of cost.  Then, while a
   protected class is worse, try one more agent in each block below today's
   headcount and keep the one that most lowers that class's ratio per cost.
4. **Remove** (small simulations): per block, most expensive agent first,
   remove agents (one, then doubling, then bisection) while the staffing is
   still accepted (the occupancy cap prunes without simulating).
5. **Confirm** at full size (``replications``, same seed); add again if needed.
   If today's staffing costs less than the search's answer and is accepted
   at full size, it is the answer instead (a search at small size can wander
   on noisy targets).
6. **Check (b)**, minimality at full size: remove one agent from each block
   in turn; report what breaks -- or, if nothing does, keep the removal.
7. **Check (a)**, independence: re-simulate the final staffing (and today's,
   for the ticket classes) with an independent seed; the staffing holds when
   no target is significantly breached (``1 - confidence`` at or above the
   lower end of its 95 % Wilson interval) and no protected class is worse.

Resuming
--------
With ``out_dir``, each evaluated candidate's per-replication results are
written to ``out_dir/search/<hash>.json``; a rerun reads them instead of
simulating, follows the same path and ends with the same answer.  The
answer is written to ``out_dir/staffing.csv``, ``staffing.json`` and
``recommended.yaml`` (the scenario with the recommended staffing, which
``simsla run`` accepts as it is).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simsla.decide.staffing_blocks import (  # noqa: F401  (re-exported: the search's public names)
    Block,
    analytic_start,
    apply_staffing,
    block_place,
    cover_requirement,
    select_targets,
    staffing_blocks,
)
from simsla.decide.staffing_evaluate import Evaluator, Judgement, Progress, TargetStatus
from simsla.decide.staffing_occupancy import DEFAULT_MAX_OCCUPANCY, raise_to_cap
from simsla.decide.staffing_protection import Protection
from simsla.experiment.workers import worker_pool
from simsla.decide.staffing_result import StaffingResult
from simsla.experiment.gate import preflight
from simsla.model import Scenario

YEAR = 365.25 * 86400.0


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
    max_occupancy: float = DEFAULT_MAX_OCCUPANCY,
    protection: Protection | None = None,
    precision: float | None = None,
    max_replications: int | None = None,
) -> StaffingResult:
    """Least-cost headcount per shift block that meets every selected target and keeps every party sound.

    Parameters
    ----------
    scenario : Scenario
        The scenario; its shift blocks are the decision variables and its
        staffing is the baseline the ticket classes are protected against.
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
        every candidate and the baseline).  Check (a) uses a seed derived from it.
    workers : int, optional
        Worker processes when no executor is given (None: all cores).
    executor : concurrent.futures.Executor, optional
        Where replications run (see ``simsla.decide.make_executor``).
    progress : callable, optional
        Called with one line of text after each judged candidate.
    max_simulations : int
        Most simulated candidate evaluations before the search stops with
        what it has (reported in ``search``); candidates refused by the
        occupancy cap are not simulated and not counted.
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
        (``staffing.csv``, ``staffing.json``, ``recommended.yaml``).
    batch : int
        Replications per batch when a candidate may be dropped early.
    max_queue : int
        A queue longer than this ends a replication as unstable (every period breached).
    max_occupancy : float
        Cap on every party's offered load / capacity (0 < cap <= 1).
    protection : Protection, optional
        Which ticket classes may not get slower than today, by how much
        (default: every class, 10 %); ``Protection(tolerance=None)`` switches it off.
    precision : float, optional
        Sequential stopping per candidate (``simsla.experiment.sequential``):
        ``search_replications`` (during the search) or ``replications`` (at
        full size) is the first look, and replications are added in looks
        until every searched target's breach probability is decided or known
        to this half-width, or ``max_replications`` (default 64) is reached.

    Returns
    -------
    StaffingResult
    """
    t_start = time.perf_counter()
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    if replications < 1 or search_replications < 1:
        raise ValueError("replications must be at least 1")
    if not 0 < max_occupancy <= 1:
        raise ValueError(f"the occupancy cap must lie in (0, 1], got {max_occupancy!r}")
    keys = select_targets(scenario, targets)
    if not keys:
        raise ValueError("no targets to keep: the scenario has no SLA/OLA ticket targets")
    blocks = staffing_blocks(scenario, groups)
    if not blocks:
        raise ValueError("no shift blocks to vary")
    protection = protection if protection is not None else Protection()
    out = Path(out_dir) if out_dir is not None else None
    log_dir = out / "search" if out is not None else None
    workers = workers if workers is not None else os.cpu_count() or 1
    own_pool = None
    if executor is None and workers > 1:
        own_pool = executor = worker_pool(workers)  # workers die with this process, however it ends
    try:
        ev = Evaluator(scenario, blocks, keys, confidence, executor, workers, log_dir, progress, batch, max_queue,
                       max_occupancy, protection, precision, max_replications)
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


def _first(problems: list[str], shown: int = 3) -> str:
    """The first few problems, and how many more there are (a table cell, not an essay)."""
    if not problems:
        return "none"
    more = len(problems) - shown
    return "; ".join(problems[:shown]) + (f"; and {more} more (staffing.json)" if more > 0 else "")


def _class_ratio(j: Judgement, cls: str) -> float:
    """The worst (largest) ratio of a class's protected statistics; inf when not simulated."""
    if j.classes is None:
        return math.inf
    rows = j.classes[j.classes["class"] == cls]
    return float(rows["ratio"].max()) if len(rows) else 1.0


def _search(ev: Evaluator, scenario: Scenario, blocks: list[Block], keys: list[str], confidence: float,
            replications: int, seed: int, search_reps: int, search_horizon: float | None, start: str,
            budget: int) -> StaffingResult:
    history: list[dict[str, Any]] = []
    group_of = [b.group for b in blocks]
    current = [b.current for b in blocks]

    def note(phase: str, staff: Sequence[int], j: Judgement | None = None, **extra: Any) -> None:
        row = {"phase": phase, "staffing": {b.name: int(x) for b, x in zip(blocks, staff)}, "cost": _cost(blocks, staff)}
        if j is not None:
            row["problems"] = j.problems()
        row.update(extra)
        history.append(row)

    # 1. start, raised to the occupancy cap
    if start == "analytic":
        x, start_info = analytic_start(scenario, blocks, keys)
    elif start == "current":
        x, start_info = list(current), {"method": "current staffing"}
    else:
        raise ValueError("start must be 'analytic' or 'current'")
    raised, _ = raise_to_cap(scenario, blocks, x, ev.cap, ev.traffic)
    if raised != x:
        start_info = {**start_info, "raised_to_occupancy_cap": {b.name: int(v - u) for b, u, v in zip(blocks, x, raised) if v != u}}
    x = raised
    active = list(keys)
    dropped: dict[str, str] = {}
    note("start", x, None, method=start_info["method"])

    # 2. what staffing can fix
    generous, _ = raise_to_cap(scenario, blocks, [2 * max(a, b.current) + 1 for a, b in zip(x, blocks)], ev.cap,
                               ev.traffic)
    st_gen, _ = ev.evaluate(generous, seed, replications, None, label="generous")
    unattainable = [k for k in keys if not st_gen[k].met]
    active = [k for k in keys if k not in unattainable]
    ev.active = active
    note("generous", generous, None, unattainable=unattainable)

    def best_addition(x: list[int], cands: list[int], reps: int, horizon: float | None, label: str,
                      score: Any, floor: float) -> tuple[int | None, Judgement | None, float]:
        """The block among ``cands`` where one more agent scores best (above ``floor``), its judgement and gain.

        ``score(i, judgement) -> (score, gain)``; stops early when the simulation budget is spent.
        """
        best, best_score, best_j, best_gain = None, floor, None, -math.inf
        for i in cands:
            if ev.evaluations >= budget:
                break
            y = list(x)
            y[i] += 1
            jy = ev.judge(y, seed, reps, horizon, label=label)
            sc, gain = score(i, jy)
            if sc > best_score:
                best, best_score, best_j, best_gain = i, sc, jy, gain
        return best, best_j, best_gain

    def improve_target(x: list[int], j: Judgement, reps: int, horizon: float | None, phase: str) -> tuple[list[int], Judgement] | None:
        """One more agent where it most helps the worst failing target; None when none helps (it is given up)."""
        st = j.targets
        assert st is not None
        worst = min(j.failing, key=lambda k: st[k].margin)
        blame = st[worst].blame
        order = sorted((g for g in blame if g in group_of), key=lambda g: -blame[g])
        grp = order[0] if order else None
        cands = [i for i, b in enumerate(blocks) if b.group == grp] or list(range(len(blocks)))

        def score(i: int, jy: Judgement) -> tuple[float, float]:
            sy = jy.targets
            assert sy is not None  # one more agent never breaks the cap
            gain = min(sy[worst].margin, 1.0) - min(st[worst].margin, 1.0)
            # tie-break: the total shortfall over all failing targets
            gain2 = sum(min(sy[k].margin, 0.0) - min(st[k].margin, 0.0) for k in j.failing)
            return (gain + 1e-3 * gain2) / max(blocks[i].cost_per_agent, 1e-9), gain

        best, best_j, best_gain = best_addition(x, cands, reps, horizon, f"{phase} +1", score, -math.inf)
        if best is None:
            return None
        if best_gain <= 0:
            # one more agent anywhere it could help does not move this target: staff is not its problem
            active.remove(worst)
            dropped[worst] = f"adding one agent to {grp or 'any group'} did not improve it ({phase})"
            note(phase, x, j, gave_up=worst)
            return x, ev.judge(x, seed, reps, horizon, label=phase)
        y = list(x)
        y[best] += 1
        note(phase, y, best_j, added=blocks[best].name, worst=worst)
        return y, best_j  # type: ignore[return-value]

    def improve_class(x: list[int], j: Judgement, reps: int, horizon: float | None, phase: str) -> tuple[list[int], Judgement]:
        """One more agent, in a block below today's headcount, where it most speeds up the worst class."""
        worst = j.worse[0]
        cands = [i for i in range(len(blocks)) if x[i] < current[i]]
        before = _class_ratio(j, worst)

        def score(i: int, jy: Judgement) -> tuple[float, float]:
            gain = math.log(max(before, 1e-300)) - math.log(max(_class_ratio(jy, worst), 1e-300))
            return gain / max(blocks[i].cost_per_agent, 1e-9), gain

        best, best_j, _ = best_addition(x, cands, reps, horizon, f"{phase} +1 for {worst}", score, 0.0)
        if best is None:
            # no block below today's staffing helps: the class is not worse because of a cut
            ev.excused.add(worst)
            note(phase, x, j, excused=worst)
            return x, ev.judge(x, seed, reps, horizon, label=phase)
        y = list(x)
        y[best] += 1
        note(phase, y, best_j, added=blocks[best].name, worse_class=worst)
        return y, best_j  # type: ignore[return-value]

    def add_phase(x: list[int], reps: int, horizon: float | None, phase: str) -> tuple[list[int], Judgement]:
        j = ev.judge(x, seed, reps, horizon, label=phase)
        while not j.feasible and ev.evaluations < budget:
            if not j.occupancy.ok:  # only parties staffing cannot change are left over the cap
                break
            if j.failing:
                step = improve_target(x, j, reps, horizon, phase)
                if step is None:
                    break
                x, j = step
            else:
                x, j = improve_class(x, j, reps, horizon, phase)
        return x, j

    def remove_phase(x: list[int], reps: int, horizon: float | None, phase: str) -> list[int]:
        order = sorted(range(len(blocks)), key=lambda i: -blocks[i].cost_per_agent)
        for i in order:
            if x[i] == 0 or ev.evaluations >= budget:
                continue

            def ok(v: int) -> bool:
                y = list(x)
                y[i] = v
                return ev.judge(y, seed, reps, horizon, stop_when_fails=True, label=phase).feasible

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

    # 5. confirm at full size -- but never recommend paying more than today for what today's
    # staffing already achieves: it is simulated anyway (the baseline of the ticket classes)
    def today_if_cheaper(x: list[int]) -> Judgement | None:
        if _cost(blocks, current) >= _cost(blocks, x) or current == x:
            return None
        j_now = ev.judge(current, seed, replications, None, label="today's staffing")
        if not j_now.feasible:
            return None
        note("today's staffing", current, j_now, reason="accepted at full size and cheaper than the search's answer")
        return j_now

    j_now = today_if_cheaper(x)
    if j_now is not None:
        x, j_full = list(current), j_now
    else:
        x, j_full = add_phase(x, replications, None, "confirm")
        j_now = today_if_cheaper(x)
        if j_now is not None:
            x, j_full = list(current), j_now

    # 6. check (b): one fewer in each block, at full size
    minimal_rows: list[dict[str, Any]] = []
    changed = True
    while changed:
        changed = False
        minimal_rows = []
        for i, b in enumerate(blocks):
            if x[i] == 0:
                minimal_rows.append({**block_place(blocks, b), "staff": 0, "one_fewer": None,
                                     "breaks": "(already 0)", "replications": 0})
                continue
            y = list(x)
            y[i] -= 1
            jy = ev.judge(y, seed, replications, None, stop_when_fails=True, label="check one fewer")
            if jy.feasible and ev.evaluations < budget:
                x = y
                j_full = ev.judge(x, seed, replications, None, label="confirm")
                note("check-b removal", x, j_full, reduced=b.name)
                changed = True
                break
            minimal_rows.append({
                **block_place(blocks, b), "staff": int(x[i]), "one_fewer": int(y[i]),
                "breaks": _first(jy.problems()), "replications": int(jy.replications)})

    # 7. check (a): an independent seed
    seed_a = _independent_seed(seed)
    j_a = ev.judge(x, seed_a, replications, None, label="check independent seed")
    alpha = 1.0 - confidence
    check_a_targets = []
    for k in active:
        s = j_a.targets[k].summary() if j_a.targets is not None else {"target": k, "periods": 0}
        s["holds"] = bool(s["breach_ci_low"] <= alpha + 1e-12) if s["periods"] else True
        check_a_targets.append(s)
    check_a = {"seed": seed_a, "replications": j_a.replications, "allowed_breach_probability": alpha,
               "worse_classes": list(j_a.worse),
               "holds": all(t["holds"] for t in check_a_targets) and not j_a.worse and j_a.occupancy.ok,
               "targets": check_a_targets}

    return _result(ev, scenario, blocks, keys, x, j_full, st_gen, unattainable, dropped, check_a,
                   pd.DataFrame(minimal_rows), start_info, seed, confidence, replications, search_reps,
                   search_horizon, budget, history)


def _result(ev: Evaluator, scenario: Scenario, blocks: list[Block], keys: list[str], x: list[int], j_full: Judgement,
            st_gen: dict[str, TargetStatus], unattainable: list[str], dropped: dict[str, str], check_a: dict[str, Any],
            minimal: pd.DataFrame, start_info: dict[str, Any], seed: int, confidence: float, replications: int,
            search_reps: int, search_horizon: float | None, budget: int, history: list[dict[str, Any]]) -> StaffingResult:
    """Assemble the tables of the answer."""
    if j_full.targets is None:  # the recommendation itself is over the cap (a party staffing cannot change)
        st_full, _ = ev.evaluate(x, seed, replications, None, label="final")
        classes = ev.classes(x, seed, float(scenario.horizon), replications) if ev.protection.enabled else None
    else:
        st_full, classes = j_full.targets, j_full.classes
    if classes is not None and ev.excused:  # worse even with no block below today: not what a cut did
        classes = classes.assign(status=classes["status"].where(
            ~(classes["class"].isin(sorted(ev.excused)) & (classes["status"] == "worse")), "worse, not from a cut"))
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
        **block_place(blocks, b), "days": b.days, "hours": b.hours, "hours_per_week": b.hours_per_week,
        "current": b.current, "staff": int(v), "shrinkage": b.shrinkage, "paid_fte": b.paid_fte(int(v)),
        "paid_hours_per_week": b.paid_hours_per_agent * int(v), "cost_per_hour": b.cost_per_hour,
        "cost_per_week": b.cost_per_agent * int(v)} for b, v in zip(blocks, x)])
    recommended = apply_staffing(scenario, blocks, x)
    occupancy = ev.occupancy(x)
    # the same gate `simsla run` applies: what it would refuse or warn about, the answer says
    gate = preflight(recommended)
    search = {
        "seed": seed, "confidence": confidence, "replications": replications,
        "search_replications": search_reps, "max_occupancy": ev.cap, "protection": ev.protection.to_dict(),
        "search_horizon_seconds": float(search_horizon if search_horizon is not None else scenario.horizon),
        "candidates_evaluated": ev.evaluations, "candidates_pruned_by_occupancy_cap": ev.pruned,
        "budget": budget, "budget_exhausted": ev.evaluations >= budget,
        "replications_simulated": ev.simulated, "replications_read_from_log": ev.from_log,
        "replication_years": ev.simulated_seconds / YEAR, "start": start_info,
        "targets_searched": [k for k in keys if k not in unattainable and k not in dropped],
        "targets_not_attainable": unattainable + list(dropped),
        "classes_worse_without_a_cut": sorted(ev.excused),
        "scenario_years_per_replication": (scenario.warmup + scenario.horizon) / YEAR,
        **({"precision": ev.precision, "max_replications": ev.max_replications, "sequential": ev.stops}
           if ev.precision is not None else {}),
        "run_would_refuse": [str(r) for r in gate.refusals], "run_warnings": [str(w) for w in gate.warnings],
    }
    return StaffingResult(table=table, total_cost=_cost(blocks, x), current_cost=_cost(blocks, [b.current for b in blocks]),
                          targets=targets_frame, check_independent=check_a, check_minimal=minimal, search=search,
                          occupancy=occupancy.table, classes=classes if classes is not None else pd.DataFrame(),
                          protection=ev.protection.to_dict(), recommended=recommended, history=history)
