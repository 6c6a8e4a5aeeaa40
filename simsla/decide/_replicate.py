"""One replication reduced, in the worker, to what decisions need: per-period attainment of targets.

Sending whole ticket logs back from the workers and evaluating them in the
parent is the slow part of a search; here a worker simulates one replication
and returns only a few numbers per target and period.  Each replication is
evaluated on its own (relabelled as replication 0, then labelled back), so
the numbers depend only on (scenario, seed, replication): identical whatever
the executor.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, as_completed
from contextlib import nullcontext
from typing import Any

import numpy as np
import pandas as pd

from simsla.analysis.attainment import evaluate, items, measured_periods, period_counts
from simsla.decide.staffing_protection import class_times
from simsla.experiment.runner import assemble, replicate
from simsla.experiment.workers import closing, worker_pool
from simsla.model import Agreement, Scenario, Target


def target_key(agreement: Agreement | str, target: Target | str) -> str:
    """``"agreement / target"``: how targets are named in tables and logs."""
    a = agreement if isinstance(agreement, str) else agreement.name
    t = target if isinstance(target, str) else target.name
    return f"{a} / {t}"


def pruned(scenario: Scenario, keys: Sequence[str] | None) -> Scenario:
    """The scenario with only the chosen targets in its agreements (no validation: data only)."""
    if keys is None:
        return scenario
    wanted = set(keys)
    ags = []
    for ag in scenario.agreements:
        tg = tuple(t for t in ag.targets if target_key(ag, t) in wanted)
        if tg:
            ags.append(ag.model_copy(update={"targets": tg}))
    return scenario.model_copy(update={"agreements": tuple(ags)})


def single_results(scenario: Scenario, seed: int, replication: int, max_queue: int = 200_000):
    """Simulate one replication; return it as a one-replication ``Results`` labelled replication 0."""
    part = replicate(scenario, seed, replication, max_queue)
    part["replication"] = 0
    return assemble(scenario, seed, [part])


def _complete_periods(scenario: Scenario, stopped_at: float, period: str) -> pd.DataFrame:
    table = measured_periods(scenario, stopped_at, period)  # the one definition of a complete period
    return table[table["complete"]]


def target_replication(scenario: Scenario, seed: int, replication: int, keys: Sequence[str],
                       max_queue: int = 200_000) -> dict[str, Any]:
    """Simulate one replication and reduce it to the chosen ticket targets' attainment per complete period.

    Returns ``{"replication", "unstable", "seconds", "targets": {key: {"att": [...], "counted": [...],
    "blame": {group: queue seconds of the missed items}}}, "classes": {...}}``;
    a period without items has attainment ``None`` (met).  ``classes`` holds
    the time to resolution per ticket class (``staffing_protection.class_times``),
    which protects work no target measures.
    """
    started = time.perf_counter()
    sc = pruned(scenario, keys)
    res = single_results(sc, seed, replication, max_queue)
    out: dict[str, Any] = {"replication": replication, "unstable": bool(res.unstable), "targets": {},
                           "classes": class_times(res.tickets, sc.warmup, float(res.runs["stopped_at"].iloc[0]))}
    periods: dict[str, pd.DataFrame] = {}
    if res.unstable:
        # a queue overflowed: the run stopped early; every period of the horizon counts as breached
        message = " ".join(res.unstable)
        culprit = {g.name: 1.0 for g in sc.groups if g.name in message}
        for ag in sc.agreements:
            table = _complete_periods(sc, sc.end, ag.period)
            for tg in ag.targets:
                out["targets"][target_key(ag, tg)] = {"att": [0.0] * len(table), "counted": [0] * len(table),
                                                      "blame": culprit}
        out["seconds"] = time.perf_counter() - started
        return out
    seg = res.segments
    groups = {g.name for g in sc.groups}
    stop = float(res.runs["stopped_at"].iloc[0])
    for ag in sc.agreements:
        if ag.period not in periods:
            periods[ag.period] = _complete_periods(sc, float(res.runs["stopped_at"].min()), ag.period)
        table = periods[ag.period]
        for tg in ag.targets:
            found = items(res, ag, tg)
            # counted and met per complete period, by analysis' one per-period aggregation
            per = period_counts(found, sc, ag.period).set_index("code") if len(found) else None
            codes = table["code"].to_numpy()
            counted = [int(per["counted"].get(c, 0)) if per is not None else 0 for c in codes]
            att: list[float | None] = [float(per["met"][c] / per["counted"][c]) if n else None
                                       for c, n in zip(codes, counted)]
            met = found["met"].to_numpy(dtype=bool) if len(found) else np.zeros(0, dtype=bool)
            blame: dict[str, float] = {}
            if ag.kind != "SLA" or tg.metric != "resolution":
                # answered/first response: the desk's queue; an OLA: its own group
                party = sc.desk.name if ag.kind == "SLA" else ag.party
                if party in groups and len(found) and (~met).any():
                    blame = {party: 1.0}
            elif len(found) and (~met).any():
                missed = np.unique(found["ticket"].to_numpy()[~met])
                s = seg[seg["ticket"].isin(missed) & seg["party"].astype(str).isin(groups)]
                end = s["start"].to_numpy(dtype=float)
                end = np.where(np.isnan(end), s["end"].to_numpy(dtype=float), end)
                end = np.where(np.isnan(end), stop, end)
                wait = end - s["enter"].to_numpy(dtype=float)
                blame = pd.Series(wait, index=s["party"].astype(str).to_numpy()).groupby(level=0).sum().to_dict()
            out["targets"][target_key(ag, tg)] = {"att": att, "counted": counted,
                                                  "blame": {k: float(v) for k, v in blame.items()}}
    out["seconds"] = time.perf_counter() - started
    return out


def evaluate_replication(scenario: Scenario, seed: int, replication: int, max_queue: int = 200_000) -> dict[str, Any]:
    """Simulate one replication and return ``evaluate``'s rows for it (every target, availability too)."""
    started = time.perf_counter()
    res = single_results(scenario, seed, replication, max_queue)
    table = evaluate(res)
    table["replication"] = replication
    cols = ["agreement", "kind", "target", "metric", "replication", "period", "complete", "counted", "met",
            "attainment", "fraction", "breached"]
    rows = table[cols].astype({"period": str}).to_dict(orient="list")
    return {"replication": replication, "unstable": bool(res.unstable), "rows": rows,
            "seconds": time.perf_counter() - started}


def run_tasks(fn: Callable[..., Any], tasks: list[tuple], executor: Executor | None, workers: int | None = 1,
              on_done: Callable[[int, Any], None] | None = None) -> list[Any]:
    """Run ``fn(*task)`` for every task; results in task order.

    With ``executor`` (any ``concurrent.futures.Executor``, a Dask client's
    included) tasks go there; otherwise ``workers`` > 1 opens a process pool
    for the call and 1 runs them here.  ``on_done(index, result)`` is called
    as each finishes (in completion order).
    """
    out: list[Any] = [None] * len(tasks)
    if not tasks:
        return out
    if executor is None and (workers is None or workers <= 1 or len(tasks) == 1):
        for i, t in enumerate(tasks):
            out[i] = fn(*t)
            if on_done:
                on_done(i, out[i])
        return out
    # our own pool's workers die with this process and are stopped at once when the call is abandoned
    own = closing(worker_pool(min(int(workers or 1), len(tasks)))) if executor is None else nullcontext(executor)
    with own as pool:
        futures = {pool.submit(fn, *t): i for i, t in enumerate(tasks)}
        for fut in as_completed(futures):
            i = futures[fut]
            out[i] = fut.result()
            if on_done:
                on_done(i, out[i])
    return out


def run_sequential(fn: Callable[..., Any], task: Callable[[int, int], tuple], points: Sequence[int], plan: Any,
                   counts: Callable[[int, list[Any]], Mapping[str, tuple[int, int]]], executor: Executor | None,
                   workers: int | None = 1, on_done: Callable[[int, int, Any], None] | None = None,
                   on_point: Callable[[int, list[Any], Any], None] | None = None) -> dict[int, tuple[list[Any], Any]]:
    """Replicate several points by the sequential rule (``simsla.experiment.sequential``), each stopping on its own.

    At look ``k`` every point not yet stopped gets its replications up to the
    look's boundary, all points' together in one batch of tasks (so the
    workers stay busy); then each point's own quantities decide whether it
    goes on.  A point's decision rests on its own replications ``0 .. n_k - 1``
    only, so the result is the same whatever the executor or worker count.

    Parameters
    ----------
    fn : callable
        Runs one replication: ``fn(*task(point, replication))``.
    task : callable
        The arguments of replication ``r`` of a point.
    points : sequence of int
        The points to replicate.
    plan : simsla.experiment.sequential.Plan
    counts : callable
        ``counts(point, results)`` -> ``{key: (breaches, periods)}`` over a point's results so far.
    executor, workers
        As for ``run_tasks``.
    on_done : callable, optional
        ``on_done(point, replication, result)`` as each replication finishes.
    on_point : callable, optional
        ``on_point(point, results, stopping)`` once a point has stopped.

    Returns
    -------
    dict
        ``{point: (results in replication order, Stopping)}``.
    """
    from simsla.experiment.sequential import Stopping

    reps: dict[int, list[Any]] = {p: [] for p in points}
    records = {p: Stopping(plan) for p in points}
    live = list(points)
    for index, upto in enumerate(plan.looks):
        if not live:
            break
        owner = [(p, r) for p in live for r in range(len(reps[p]), upto)]
        got = run_tasks(fn, [task(p, r) for p, r in owner], executor, workers,
                        on_done=(lambda i, res: on_done(*owner[i], res)) if on_done else None)
        for (p, r), res in zip(owner, got):
            reps[p].append(res)
        still = []
        for p in live:
            look = plan.look(index, counts(p, reps[p]))
            records[p].looks.append(look)
            if look.stop:
                if on_point:
                    on_point(p, reps[p], records[p])
            else:
                still.append(p)
        live = still
    return {p: (reps[p], records[p]) for p in points}


def sequential_points(plan: Any, todo: Sequence[int], scenarios: Sequence[Scenario], changes: Sequence[Any],
                      ids: Sequence[str], seed: int, max_queue: int, executor: Executor | None, workers: int | None,
                      stored: dict[int, dict[str, Any]], folder: Any, progress: Callable[[int, int], None] | None,
                      label: Callable[[Any], str]) -> None:
    """A sweep's points by the sequential rule (``run_sequential`` over ``evaluate_replication``).

    Each finished point goes into ``stored`` (and, with a ``folder``, to
    ``points/<id>.json``) with its ``sequential`` record; a point's
    quantities are the breach probabilities of all its targets.
    """
    from simsla.decide._common import jsonable, write_json_atomic
    from simsla.experiment.sequential import breach_counts

    done = [0]
    total = plan.cap * len(todo)

    def counts(point: int, reps: list[Any]) -> dict[str, tuple[int, int]]:
        rows = pd.concat([pd.DataFrame(rep["rows"]) for rep in reps], ignore_index=True)
        return breach_counts(rows) if len(rows) else {}

    def one(point: int, r: int, res: Any) -> None:
        done[0] += 1
        if progress:
            progress(done[0], total)

    def finished(point: int, reps: list[Any], record: Any) -> None:
        data = {"id": ids[point], "label": label(changes[point]), "changes": jsonable(changes[point]), "seed": seed,
                "replications": list(reps), "sequential": record.as_dict()}
        stored[point] = data
        if folder is not None:
            write_json_atomic(folder / "points" / f"{ids[point]}.json", data)

    run_sequential(evaluate_replication, lambda p, r: (scenarios[p], seed, r, max_queue), todo, plan, counts,
                   executor, workers, on_done=one, on_point=finished)
