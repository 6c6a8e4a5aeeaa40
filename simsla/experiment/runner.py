"""Replications, seeding and executors: ``simulate``.

Each replication is an independent task ``(scenario, seed, replication)``;
its random numbers depend on nothing else, so the results are identical
whichever executor runs it and however many workers it has.  Any
``concurrent.futures.Executor`` can be passed (a Dask cluster's
``client.get_executor()`` included).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor, as_completed
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simsla.analysis.occupancy import box_integral, step_integral
from simsla.engine.backlog import BACKLOG
from simsla.engine.pool import OUTCOMES
from simsla.engine.contacts import CONTACTS
from simsla.engine.teams import skill_labels, team_labels
from simsla.engine.replication import TICKET_OUTCOMES, RunLog, run
from simsla.experiment.results import Results
from simsla.experiment.workers import closing, worker_pool
from simsla.model import Scenario
from simsla.model.backlog import backlog_size
from simsla.outputs import TABLES

if TYPE_CHECKING:
    from simsla.experiment.streaming import SavedResults

HOUR = 3600.0
Progress = Callable[[int, int], None]


def default_seed() -> int:
    """A fresh root seed (recorded in the results so the run can be repeated)."""
    return int(np.random.SeedSequence().entropy % (2**63))


def replicate(scenario: Scenario, seed: int, replication: int, max_queue: int = 200_000) -> dict[str, Any]:
    """Run one replication and reduce it to its tables (numpy columns; cheap to send between processes)."""
    log = run(scenario, seed, replication, max_queue=max_queue)
    return _tables(scenario, replication, log)


def _tables(scenario: Scenario, replication: int, log: RunLog) -> dict[str, Any]:
    """The per-replication tables of a finished ``RunLog`` (which it empties as it goes, to free memory).

    Rows of tickets that arrived in the warm-up are dropped; when there are
    none (no warm-up) the log's columns are taken as they are, without a copy.
    """
    warm = scenario.warmup
    tk = log.tickets
    # the backlog's tickets are open at time 0 and kept, although their clocks started before it
    keep = (tk["time"] >= warm) | (tk["contact"] == BACKLOG) if "contact" in tk else tk["time"] >= warm
    every = bool(keep.all())
    ids = np.arange(len(keep), dtype=np.int64) if every else np.flatnonzero(keep)
    tickets = _kept(tk, None if every else keep)
    tickets["ticket"] = ids
    seg = log.segments
    if log.needs:  # with agent groups: the skill each visit to such a group needed (-1 elsewhere)
        names = skill_labels(scenario)
        skill = np.full(len(seg["ticket"]), -1, dtype=np.int16)
        for gi, g in enumerate(scenario.groups):
            if g.name in log.needs:
                mine = seg["party"] == gi
                codes = np.array([names.index(s) for s in g.skill_names], dtype=np.int16)
                skill[mine] = codes[log.needs[g.name][seg["ticket"][mine]]]
        seg["skill"] = skill
    # utilisation counts all work (warm-up tickets too) inside the measured hours: before the segments are cut
    stop = log.stopped_at
    utilization = _utilization(scenario, seg, log.staffing, warm, stop)
    seg_keep = keep[seg["ticket"]] if len(seg["ticket"]) else np.zeros(0, dtype=bool)
    segments = _kept(seg, None if every or seg_keep.all() else seg_keep)
    return {"replication": replication, "tickets": tickets, "segments": segments, "utilization": utilization,
            "outages": log.outages,
            "stopped_at": stop, "unstable": log.unstable, "arrived_in_warmup": int((~keep).sum())}


def _kept(columns: dict[str, np.ndarray], keep: np.ndarray | None) -> dict[str, np.ndarray]:
    """The rows ``keep`` of every column (all of them, uncopied, for None); the source dict is emptied.

    One column at a time, each original dropped once cut: the peak is one extra column, not a second table.
    """
    out = {}
    for name in list(columns):
        col = columns.pop(name)
        if keep is not None:
            col = col[keep]
        elif _held_buffer(col) > 1.25 * col.nbytes + 65536:
            col = col.copy()  # a view into a much larger buffer (a run stopped early) would keep all of it alive
        out[name] = col
        del col
    return out


def _held_buffer(col: np.ndarray) -> int:
    """Bytes of the memory a column keeps alive: its own, or the buffer it is a view of."""
    base = col.base
    if base is None:
        return col.nbytes
    try:
        return memoryview(base).nbytes
    except TypeError:
        return col.nbytes


def _utilization(scenario: Scenario, seg: dict[str, np.ndarray], staffing: dict[str, Any], warm: float,
                 stop: float) -> dict[str, np.ndarray]:
    """Per group and measured hour: busy and staffed agent-seconds, waiting ticket-seconds."""
    edges = np.arange(warm, max(stop, warm) + HOUR, HOUR)
    edges = np.minimum(edges, max(stop, warm))
    edges = np.unique(edges)
    util = []
    for gi, g in enumerate(scenario.groups):
        mine = seg["party"] == gi
        started = mine & ~np.isnan(seg["start"])
        ends = np.where(np.isnan(seg["end"][started]), stop, seg["end"][started])
        busy = box_integral(seg["start"][started], ends, edges) if len(edges) > 1 else np.zeros(0)
        times, levels = staffing[g.name]
        staffed = step_integral(times, levels, edges) if len(edges) > 1 else np.zeros(0)
        # waiting: from joining the queue to work start (or hang-up, or the stop)
        wait_end = np.where(np.isnan(seg["start"][mine]), seg["end"][mine], seg["start"][mine])
        wait_end = np.where(np.isnan(wait_end), stop, wait_end)
        waiting = box_integral(seg["enter"][mine], wait_end, edges) if len(edges) > 1 else np.zeros(0)
        util.append({"group": np.full(len(edges) - 1, gi, dtype=np.int16), "hour": edges[:-1],
                     "busy": busy, "staffed": staffed, "queue": waiting})
    return {k: np.concatenate([u[k] for u in util]) for k in util[0]} if util else {}


def simulate(
    scenario: Scenario,
    replications: int = 10,
    seed: int | None = None,
    workers: int | None = None,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    max_queue: int = 200_000,
    out: str | Path | None = None,
) -> "Results | SavedResults":
    """Simulate a scenario.

    Parameters
    ----------
    scenario
        a validated scenario (``simsla.load_scenario``).
    replications
        independent runs of the whole horizon.
    seed
        root seed; ``None`` draws one (recorded in the results).
    workers
        processes to use when no ``executor`` is given; ``None`` = all cores,
        1 = in this process.
    executor
        any ``concurrent.futures.Executor`` (e.g. a Dask client's executor).
    progress
        called as ``progress(done, total)`` after each replication.
    max_queue
        a queue longer than this marks the replication unstable and stops it.
    out
        stream the results to this folder (``simsla.experiment.streaming``):
        each replication's tables are written as it completes and dropped,
        so memory holds a few replications, not all of them.  The folder is
        checked first and replaced atomically, as ``Results.save`` does.

    Returns
    -------
    Results or SavedResults
        identical for the same scenario and seed, whatever the executor;
        with ``out``, a ``SavedResults`` whose summary and evaluation equal
        those of the in-memory ``Results``.

    Raises
    ------
    OutputFolderError
        with ``out``, when that folder may not be written (before anything is simulated).
    """
    if replications < 1:
        raise ValueError("replications must be at least 1")
    seed = default_seed() if seed is None else int(seed)
    workers = os.cpu_count() or 1 if workers is None else workers
    if out is not None:
        return _simulate_to(out, scenario, replications, seed, workers, executor, progress, max_queue)
    if executor is None and (workers <= 1 or replications == 1):
        parts = replicate_many(scenario, seed, range(replications), None, max_queue, progress, replications)
    else:
        # our own pool's workers die with this process and are stopped at once when the run is abandoned
        with closing(worker_pool(min(workers, replications))) if executor is None else nullcontext(executor) as pool:
            parts = replicate_many(scenario, seed, range(replications), pool, max_queue, progress, replications)
    return assemble(scenario, seed, parts, consume=True)


def _simulate_to(out: str | Path, scenario: Scenario, replications: int, seed: int, workers: int,
                 executor: Executor | None, progress: Progress | None, max_queue: int) -> "SavedResults":
    """``simulate`` streamed to the folder ``out``."""
    from simsla.experiment.streaming import ResultsStream, stream_replications

    with ResultsStream(scenario, seed, out) as stream:
        serial = executor is None and (workers <= 1 or replications == 1)
        with nullcontext(None) if serial else (closing(worker_pool(min(workers, replications))) if executor is None
                                               else nullcontext(executor)) as pool:
            stream_replications(scenario, seed, range(replications), pool, stream, max_queue, progress,
                                replications, window=stream_window(workers))
        return stream.finish()


def stream_window(workers: int) -> int:
    """Replications a streamed run has under way or waiting at most: one per worker and one more.

    While the parent writes one replication, every worker is busy with the
    next; more would only pile up finished tables in the parent's memory.
    """
    return max(1, int(workers)) + 1


def replicate_many(scenario: Scenario, seed: int, indices: range | list[int], pool: Executor | None,
                   max_queue: int = 200_000, progress: Progress | None = None, total: int | None = None,
                   done: int = 0) -> list[dict[str, Any]]:
    """Replications ``indices`` as per-replication tables, in the order of ``indices``.

    ``pool`` None runs them here, one after the other; otherwise they are
    submitted to it.  ``progress(done, total)`` is called after each, ``done``
    counting on from the given value (a sequential run's earlier looks).
    """
    indices = list(indices)
    total = len(indices) if total is None else total
    parts: list[dict[str, Any]] = [None] * len(indices)  # type: ignore[list-item]
    if pool is None:
        for i, r in enumerate(indices):
            parts[i] = replicate(scenario, seed, r, max_queue)
            done += 1
            if progress:
                progress(done, total)
        return parts
    futures = {pool.submit(replicate, scenario, seed, r, max_queue): i for i, r in enumerate(indices)}
    for fut in as_completed(futures):
        parts[futures[fut]] = fut.result()
        done += 1
        if progress:
            progress(done, total)
    return parts


def assemble(scenario: Scenario, seed: int, parts: list[dict[str, Any]], *, consume: bool = False) -> Results:
    """Build ``Results`` from per-replication tables (in replication order).

    With ``consume`` the parts' columns are handed over (a single
    replication's without a copy) and each is dropped from its part once
    copied into the tables, so the peak is the tables plus one column, not
    twice the tables; the parts are empty afterwards.  Without it the parts
    are left as they were (a sequential run assembles its growing list at
    every look).
    """
    cat = _Categories(scenario)
    runs = runs_table(parts)
    tables = {}
    for name in TABLES:  # one table at a time: its parts are freed before the next is built
        columns = [getattr(cat, name)(p) for p in parts]
        if consume:
            for p in parts:
                p[name] = None
        tables[name] = cat.frame(columns, consume)
        del columns
    tickets, segments, utilization, outages = (tables[name] for name in TABLES)
    results = Results(scenario, seed, len(parts), tickets, segments, utilization, runs, outages)
    results.runs["unstable"] = explain_unstable(scenario, runs["unstable"].tolist())
    return results


def runs_table(parts: list[dict[str, Any]]) -> pd.DataFrame:
    """The ``runs`` table of per-replication parts (in replication order)."""
    return pd.DataFrame({
        "replication": [p["replication"] for p in parts],
        "stopped_at": [p["stopped_at"] for p in parts],
        "unstable": [p["unstable"] or "" for p in parts],
        "arrived_in_warmup": [p["arrived_in_warmup"] for p in parts],
    })


def explain_unstable(scenario: Scenario, messages: list[str]) -> list[str]:
    """The ``runs`` table's unstable messages, each followed by the analytic load of the party that overflowed."""
    if not any(messages):
        return messages
    from simsla.experiment.stability import offered_load

    load = offered_load(scenario).set_index("party")
    notes = []
    for message in messages:
        party = next((p for p in load.index if message and repr(p) in message), None)
        if party is not None:
            r = load.loc[party]
            message += (f" (offered load {r.offered_erlangs:.2f} Erlang against an average capacity of "
                        f"{r.capacity:.2f}, utilisation {r.utilization:.0%})")
        notes.append(message)
    return notes


def code_dtype(categories: int) -> np.dtype:
    """The smallest signed integer type that holds the codes of ``categories`` labels and -1 (missing)."""
    return np.dtype(np.int8 if categories < 127 else np.int16 if categories < 32_767 else np.int32)


class _Categories:
    """Codes -> pandas categoricals with the scenario's labels.

    ``tickets``, ``segments``, ``utilization`` and ``outages`` describe one
    replication's table as columns (numpy arrays, or ``(codes, labels)`` for
    a categorical) without building it; ``frame`` stacks those of several
    replications into one DataFrame, allocating each column once.
    """

    def __init__(self, scenario: Scenario):
        self.s = scenario
        self.parties = list(scenario.parties) + ["customer"]
        self.backlog = backlog_size(scenario) > 0

    @staticmethod
    def _cat(codes: np.ndarray, labels: list[str] | tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
        # codes in the smallest type from the start: a million int64 codes are 8 MB, int8 ones 1 MB
        return np.asarray(codes, dtype=code_dtype(len(labels))), list(labels)

    @staticmethod
    def frame(columns: list[dict[str, Any]], consume: bool = False) -> pd.DataFrame:
        """One DataFrame of the replications' columns, in order (see the class docstring)."""
        first = columns[0]
        n = sum(len(_codes(c[next(iter(c))])) for c in columns) if first else 0
        out: dict[str, Any] = {}
        for name in list(first):
            labels = first[name][1] if isinstance(first[name], tuple) else None
            if len(columns) == 1:
                stacked = _codes(first[name])
                if not consume:
                    stacked = stacked.copy()
            else:
                stacked = np.empty(n, dtype=np.result_type(*(_codes(c[name]) for c in columns)))
                at = 0
                for c in columns:
                    part = _codes(c[name])
                    stacked[at:at + len(part)] = part
                    at += len(part)
                    if consume:
                        c[name] = None  # this replication's column is in the table now
            if labels is not None:
                stacked = pd.Categorical.from_codes(stacked, categories=labels)
            out[name] = stacked
            if consume:
                first[name] = None
        # copy=False: the columns were allocated here (or handed over), and each stays its own block
        return pd.DataFrame(out, copy=False)

    def tickets(self, p: dict[str, Any]) -> dict[str, Any]:
        t, s = p["tickets"], self.s
        n = len(t["time"])
        streams = [d.name for d in s.demand] + ["outage surge", "major incident"]
        if self.backlog:  # a backlog start: its tickets' stream (every replication has the same categories)
            streams.append("backlog")
        return {
            "replication": np.full(n, p["replication"], dtype=np.int32),
            "ticket": t["ticket"],
            "stream": self._cat(t["stream"], streams),
            "service": self._cat(t["service"], s.levels("service")),
            "customer": self._cat(t["customer"], s.levels("customer")),
            "type": self._cat(t["type"], s.levels("type")),
            "channel": self._cat(t["channel"], s.levels("channel")),
            "impact": self._cat(t["impact"], s.levels("impact")),
            "urgency": self._cat(t["urgency"], s.levels("urgency")),
            "priority": self._cat(t["priority"], s.levels("priority")),
            "arrival": t["time"],
            "answered": t["answered"],
            "abandoned": t["abandoned"],
            "resolved": t["resolved"],
            "wait": t["answered"] - t["time"],
            "outcome": self._cat(t["outcome"], TICKET_OUTCOMES),
            "resolved_by": self._cat(t["resolved_by"], self.parties),
            # fresh contacts, redials (and later callbacks, a backlog): every volume figure can tell them apart
            "contact": self._cat(t["contact"] if "contact" in t else np.zeros(n, dtype=np.int8), CONTACTS),
            **({"repeats": t["repeats"]} if "repeats" in t else {}),
            **({"callback": t["callback"]} if "callback" in t else {}),  # when the caller accepted a callback
        }

    def segments(self, p: dict[str, Any]) -> dict[str, Any]:
        g = p["segments"]
        n = len(g["ticket"])
        extra = {}
        if "team" in g:  # with agent groups: which agent group worked the visit (empty where none did)
            labels = team_labels(self.s)
            names = list(dict.fromkeys(labels))
            codes = np.asarray(g["team"], dtype=np.int64)
            mapped = np.array([names.index(x) for x in labels] + [-1], dtype=np.int64)[codes] if n else codes
            extra["agents"] = self._cat(mapped, names)
        if "skill" in g:  # the skill a visit to a group with agent groups needed
            extra["skill"] = self._cat(g["skill"], skill_labels(self.s))
        kinds = np.searchsorted([len(self.s.groups), len(self.s.parties)], g["party"], side="right")
        return {
            "replication": np.full(n, p["replication"], dtype=np.int32),
            "ticket": g["ticket"],
            "party": self._cat(g["party"], self.parties),
            "kind": self._cat(kinds, ["group", "supplier", "customer"]),
            "enter": g["enter"],
            "start": g["start"],
            "end": g["end"],
            "outcome": self._cat(g["outcome"], OUTCOMES),
            **extra,
        }

    def outages(self, p: dict[str, Any]) -> dict[str, Any]:
        o = p["outages"]
        n = len(o.get("start", ()))
        return {
            "replication": np.full(n, p["replication"], dtype=np.int32),
            "service": self._cat(o.get("service", np.zeros(0, dtype=np.int8)), self.s.levels("service")),
            "start": np.asarray(o.get("start", np.zeros(0)), dtype=float),
            "end": np.asarray(o.get("end", np.zeros(0)), dtype=float),
        }

    def utilization(self, p: dict[str, Any]) -> dict[str, Any]:
        u = p["utilization"]
        n = len(u.get("hour", ()))
        return {
            "replication": np.full(n, p["replication"], dtype=np.int32),
            "group": self._cat(u["group"] if n else np.zeros(0, dtype=np.int8), [g.name for g in self.s.groups]),
            "hour": u.get("hour", np.zeros(0)),
            "busy": u.get("busy", np.zeros(0)),
            "staffed": u.get("staffed", np.zeros(0)),
            "queue": u.get("queue", np.zeros(0)),
        }


def _codes(column: Any) -> np.ndarray:
    """The array of a column description: the codes of a categorical, else the column itself."""
    return column[0] if isinstance(column, tuple) else column
