"""Results streamed to disk one replication at a time: ``simulate(..., out=folder)``.

A national desk's year has a million tickets per replication; thirty of them
do not fit in memory side by side.  A streamed run writes each replication's
tables into the results folder as soon as it is its turn (replications are
written in order; one that finishes early waits, and at most a window of
replications is under way or waiting), keeps only what the summary and the
evaluation need from it (``simsla.analysis.summary.replication_figures``,
``simsla.analysis.attainment.replication_counts`` and
``simsla.analysis.attribution.replication_blame``: counts, sums and small
tables), and drops the tables.  At the end the summary and the evaluation are
combined from those reductions by the very functions the in-memory
``Results`` uses, so they are the same numbers and the same ``summary.json``.

The folder is the one ``TicketLog.save`` writes (one Parquet row group per
replication and table, ``TicketLog.load`` and ``TicketLog.load_replications``
read it), with the same guarantees: the folder is checked before anything is
simulated (``simsla.outputs``), everything is written into a temporary
sibling, and only a complete result is renamed into place; a run that fails
or is interrupted removes its temporary folder and leaves the earlier result
(or nothing) where it was.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simsla.analysis.attainment import evaluation_from, replication_counts
from simsla.analysis.attribution import replication_blame
from simsla.analysis.summary import group_waits, replication_figures, summary_from
from simsla.analysis.verdict import DEFAULT_CONFIDENCE
from simsla.outputs import TABLES, check_output_folder
from simsla.ticketlog import ReplicationWriter, TicketLog, begin_save, finish_save

if TYPE_CHECKING:
    from simsla.experiment.results import Results
    from simsla.model import Scenario

Progress = Callable[[int, int], None]


@dataclass
class SavedResults:
    """A streamed run: its tables are in ``folder``; the summary, the evaluation and the runs are at hand.

    Attributes
    ----------
    folder
        the results folder (complete: ``summary.json`` is in it).
    scenario, seed, replications
        as for ``Results``.
    runs, outages
        the small per-replication tables (``TicketLog``).
    extra
        ``summary`` and ``evaluation`` (and ``sequential`` for a
        ``--precision`` run).
    """

    folder: Path
    scenario: "Scenario"
    seed: int
    replications: int
    runs: pd.DataFrame
    outages: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def unstable(self) -> list[str]:
        """Messages of the unstable replications (as ``TicketLog.unstable``)."""
        return [m for m in self.runs["unstable"].tolist() if isinstance(m, str) and m]

    def summary(self) -> dict[str, Any]:
        """The summary written to ``summary.json`` (a copy)."""
        return copy.deepcopy(self.extra["summary"])

    def evaluation(self) -> pd.DataFrame:
        """Attainment per target, replication and period (``simsla.analysis.attainment.evaluate``'s table)."""
        return self.extra["evaluation"]

    def load(self) -> "Results":
        """All tables in memory (``Results.load``): as much memory as an in-memory run's.

        The summary and evaluation computed while streaming come along
        (a sequential run's summary included), so they are not recomputed.
        """
        from simsla.experiment.results import Results

        results = Results.load(self.folder)
        results.extra.update(copy.deepcopy(self.extra))
        return results  # type: ignore[return-value]

    def by_replication(self) -> Iterator[TicketLog]:
        """The replications one at a time, read from the folder (``TicketLog.load_replications``)."""
        return TicketLog.load_replications(self.folder)


class ResultsStream:
    """A results folder being written one replication at a time (a context manager).

    Parameters
    ----------
    scenario, seed
        the run's.
    folder
        the results folder; checked at once (``simsla.outputs.check_output_folder``).

    Raises
    ------
    OutputFolderError
        when ``folder`` may not be written; nothing is touched then.

    Leaving the ``with`` block by an exception (a failed replication,
    Ctrl-C) removes the temporary folder: ``folder`` keeps what it held.
    """

    def __init__(self, scenario: "Scenario", seed: int, folder: str | Path):
        self.scenario, self.seed = scenario, int(seed)
        self.folder = check_output_folder(folder, "results")  # before any work
        # the temporary folder is made when the first replication is written: until then there is nothing to keep
        self.tmp: Path | None = None
        self._writer: ReplicationWriter | None = None
        self._runs: list[pd.DataFrame] = []
        self._outages: list[pd.DataFrame] = []
        self._counts: list[dict] = []
        self._figures: list[dict[str, Any]] = []
        self._blame: list[list[dict[str, Any]]] = []

    def _open(self) -> ReplicationWriter:
        if self._writer is None:
            self.folder, self.tmp = begin_save(self.folder)  # checked again: nothing may have moved in since
            try:
                self._writer = ReplicationWriter(self.tmp)
            except BaseException:  # (Ctrl-C this early) the temporary folder must not outlive the run
                shutil.rmtree(self.tmp, ignore_errors=True)
                raise
        return self._writer

    @property
    def replications(self) -> int:
        """Replications written so far."""
        return len(self._runs)

    def add(self, part: dict[str, Any]) -> None:
        """Write the next replication (``simsla.experiment.runner.replicate``'s tables, which are emptied)."""
        from simsla.experiment.runner import assemble

        one = assemble(self.scenario, self.seed, [part], consume=True)
        self._open().write({name: getattr(one, name) for name in TABLES})
        self._runs.append(one.runs)
        self._outages.append(one.outages)
        if self.scenario.agreements:
            missed: dict[tuple[str, str], pd.DataFrame] = {}  # each target's items are found once
            self._counts.append(replication_counts(one, missed))
            self._blame.append(replication_blame(one, missed))
        self._figures.append(replication_figures(one))

    def frame(self, upto: int | None = None) -> TicketLog:
        """The run so far as a ``TicketLog`` without tickets, segments and utilisation (runs and outages only)."""
        runs = pd.concat(self._runs[:upto], ignore_index=True)
        outages = pd.concat(self._outages[:upto], ignore_index=True)
        return TicketLog(scenario=self.scenario, seed=self.seed, replications=len(runs), tickets=pd.DataFrame(),
                         segments=pd.DataFrame(), utilization=pd.DataFrame(), runs=runs, outages=outages)

    def evaluation(self, upto: int | None = None) -> pd.DataFrame:
        """``evaluate``'s table over the first ``upto`` replications (all so far by default)."""
        return evaluation_from(self.frame(upto), self._counts[:upto])

    def _waits(self, group: str) -> Iterator[np.ndarray]:
        """A group's waits again, one row group (replication) of the written segments at a time."""
        import pyarrow.parquet as pq

        assert self.tmp is not None, "the waits are read back once the segments are written"
        segments = pq.ParquetFile(self.tmp / "segments.parquet")
        for i in range(segments.metadata.num_row_groups):
            yield group_waits(segments.read_row_group(i, columns=["party", "enter", "start"]).to_pandas(), group)

    def finish(self, confidence: float = DEFAULT_CONFIDENCE,
               adjust: Callable[[dict[str, Any], pd.DataFrame | None], dict[str, Any]] | None = None) -> SavedResults:
        """Close the files, write the summary and move the folder into place.

        ``adjust(summary, evaluation)`` may rewrite the summary before it is
        written (a sequential run's intervals at the look level).
        """
        self._open().close()
        log = self.frame()
        table = self.evaluation() if self.scenario.agreements else None
        summary = summary_from(log, self._figures, self._waits, confidence, table, self._blame)
        if adjust is not None:
            summary = adjust(summary, table)
        finish_save(self.tmp, self.folder, self.scenario, log.runs, summary)  # type: ignore[arg-type]
        extra = {"summary": summary, "evaluation": table if table is not None else evaluation_from(log, [])}
        if "sequential" in summary:
            extra["sequential"] = summary["sequential"]
        return SavedResults(self.folder, self.scenario, self.seed, log.replications, log.runs, log.outages, extra)

    def abort(self) -> None:
        """Remove the temporary folder (the results folder keeps what it held)."""
        if self._writer is not None:
            self._writer.close()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> "ResultsStream":
        return self

    def __exit__(self, kind: Any, *exc: Any) -> None:
        if kind is not None:
            self.abort()


def stream_replications(scenario: "Scenario", seed: int, indices: range | list[int], pool: Executor | None,
                        stream: ResultsStream, max_queue: int = 200_000, progress: Progress | None = None,
                        total: int | None = None, done: int = 0, window: int = 4) -> int:
    """Simulate replications ``indices`` and add them to ``stream`` in that order.

    ``pool`` None runs them here, one after the other.  Otherwise at most
    ``window`` replications are submitted or finished but not yet written
    (one that finishes before those ahead of it waits for them), so memory
    holds a few replications' tables whatever their number.
    ``progress(done, total)`` is called after each, ``done`` counting on from
    the given value.  Returns the new ``done``.
    """
    indices = list(indices)
    total = len(indices) if total is None else total
    if pool is None:
        from simsla.experiment.runner import replicate

        for r in indices:
            stream.add(replicate(scenario, seed, r, max_queue))
            done += 1
            if progress:
                progress(done, total)
        return done
    from simsla.experiment.runner import replicate

    window = max(1, int(window))
    pending: dict[Future, int] = {}
    ready: dict[int, dict[str, Any]] = {}
    submitted = written = 0
    try:
        while written < len(indices):
            while submitted < len(indices) and submitted - written < window:
                pending[pool.submit(replicate, scenario, seed, indices[submitted], max_queue)] = submitted
                submitted += 1
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in finished:
                ready[pending.pop(fut)] = fut.result()
                done += 1
                if progress:
                    progress(done, total)
            while written in ready:
                stream.add(ready.pop(written))
                written += 1
    finally:
        for fut in pending:  # a failure (or Ctrl-C): nothing more is wanted from the others
            fut.cancel()
    return done
