"""``TicketLog``: the tables of a simulation as plain data, saved and loaded as a folder.

It sits below the analysis: analysis functions read a ``TicketLog`` and
nothing here computes a metric.  ``simsla.experiment.Results`` adds the
evaluation on top (it calls the analysis), so the import graph has no cycle.

A folder holds ``summary.json`` (written last, so a folder with a summary is
complete), ``scenario.json`` (the validated scenario the run used) and one
Parquet file per table, with one row group per replication
(``ReplicationWriter``), so that a replication can be read back alone
(``TicketLog.load_replications``) whether the folder was saved from memory
or streamed replication by replication (``simsla.experiment.streaming``).
Writing goes to a temporary sibling folder that is renamed into place, so an
interrupted save never leaves a half-written folder that reads as complete;
``simsla.outputs`` keeps the folder safe.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from simsla.model import Scenario
from simsla.outputs import EXTRA_TABLES, FOLDER_KINDS, TABLES, _recover, _write_json, _write_manifest, check_output_folder

#: columns of the saved computed tables that are names, never numbers (a target called "1" stays "1")
_TEXT = {"agreement": str, "target": str, "period": str, "kind": str, "metric": str}


@dataclass
class TicketLog:
    """What a simulation produced: plain tables, no metrics (``simsla.experiment.Results`` adds those).

    Attributes
    ----------
    scenario
        the scenario that was simulated.
    seed, replications
        the root seed and the number of replications.
    tickets
        one row per ticket that arrived after the warm-up: attributes, engine
        times (seconds since the scenario's start) of arrival, answer (the
        desk's first work on it: a call's answer, a ticket's first response),
        abandonment and resolution, the outcome and the party that resolved it.
    segments
        one row per visit of a ticket to a party: ``enter`` (joined its queue
        or was passed to it), ``start`` (work began; a supplier's response),
        ``end`` and how the visit ended (resolved, escalated, abandoned,
        preempted, handover, open).
    utilization
        per replication, group and hour: busy and staffed agent-seconds, and
        waiting ticket-seconds (``queue``).  ``staffed`` is the schedule; in a
        group with ``at_shift_end: finish`` an agent who finishes a ticket
        after the shift counts as busy beyond it, so ``busy`` can exceed
        ``staffed`` in the hour after a shift ends (overtime).
    runs
        per replication: when it stopped and whether it was unstable.
    outages
        per replication: unplanned outages of services (service, start, end).
    """

    scenario: Scenario
    seed: int
    replications: int
    tickets: pd.DataFrame
    segments: pd.DataFrame
    utilization: pd.DataFrame
    runs: pd.DataFrame
    outages: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["replication", "service", "start", "end"]))
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def unstable(self) -> list[str]:
        """Messages of the unstable replications: a queue passed its bound (the replication stopped there)
        or a party's backlog was still growing at the end (``simsla.engine.trend``)."""
        return [m for m in self.runs["unstable"].tolist() if isinstance(m, str) and m]

    def by_replication(self) -> Iterator["TicketLog"]:
        """Each replication as a one-replication ``TicketLog``, in the order of ``runs``.

        The tables are sliced, not copied, where a replication's rows are
        contiguous (as ``simulate`` and ``load`` give them).
        """
        tables = {name: getattr(self, name) for name in TABLES}
        spans = {name: _spans(frame) for name, frame in tables.items()}
        for i, r in enumerate(self.runs["replication"].tolist()):
            parts = {name: _rows(tables[name], spans[name], r) for name in TABLES}
            yield TicketLog(scenario=self.scenario, seed=self.seed, replications=1, runs=self.runs.iloc[i:i + 1],
                            **parts)

    def to_datetime(self, seconds: pd.Series) -> pd.Series:
        """Engine seconds as local timestamps in the scenario's time zone."""
        origin = pd.Timestamp(self.scenario.origin)
        return origin + pd.to_timedelta(seconds, unit="s")

    # ------------------------------------------------------------------ files
    def save(self, folder: str | Path, summary: dict[str, Any] | None = None) -> Path:
        """Write the tables to ``folder`` atomically (replacing an older simsla result there).

        ``summary`` is written as ``summary.json`` (last, so a folder with a
        summary is complete); ``Results.save`` passes the analysis' summary.

        Raises
        ------
        OutputFolderError
            when ``folder`` holds files simsla did not write, or cannot be
            written (see :func:`check_output_folder`); nothing is touched then.
        """
        folder, tmp = begin_save(folder)
        try:
            with ReplicationWriter(tmp) as writer:
                for one in self.by_replication():
                    writer.write({name: getattr(one, name) for name in TABLES})
            finish_save(tmp, folder, self.scenario, self.runs, summary or {"seed": int(self.seed),
                                                                           "replications": int(self.replications)},
                        self.extra)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "TicketLog":
        """Read results written by ``save``."""
        folder = Path(folder)
        summary_path = folder / "summary.json"
        if not summary_path.is_file():
            _recover(folder)
        if not summary_path.is_file():
            raise FileNotFoundError(f"{folder} holds no complete simsla results (no summary.json)")
        summary = json.loads(summary_path.read_text())
        scenario = Scenario.model_validate_json((folder / "scenario.json").read_text())
        tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES + ("runs",)}
        # an empty categorical column comes back from Parquet without its categories
        outages = tables["outages"]
        outages["service"] = pd.Categorical(outages["service"].astype(object), categories=scenario.levels("service"))
        extra = {name: pd.read_csv(folder / f"{name}.csv", dtype=_TEXT, keep_default_na=False, na_values=[""]) for name in EXTRA_TABLES if (folder / f"{name}.csv").is_file()}
        return cls(scenario=scenario, seed=summary["seed"], replications=summary["replications"], **tables, extra=extra)

    @classmethod
    def load_replications(cls, folder: str | Path) -> Iterator["TicketLog"]:
        """Read results written by ``save`` (or streamed) one replication at a time.

        Yields a one-replication ``TicketLog`` per row of ``runs``, in order,
        equal to the rows of that replication in ``load``'s tables; only the
        Parquet row groups that hold the replication are read, so memory is
        one replication's tables whatever the number of replications.

        Raises
        ------
        FileNotFoundError
            when ``folder`` holds no complete results.
        """
        folder = Path(folder)
        if not (folder / "summary.json").is_file():
            _recover(folder)
        if not (folder / "summary.json").is_file():
            raise FileNotFoundError(f"{folder} holds no complete simsla results (no summary.json)")
        summary = json.loads((folder / "summary.json").read_text())
        scenario = Scenario.model_validate_json((folder / "scenario.json").read_text())
        runs = pd.read_parquet(folder / "runs.parquet")
        readers = {name: _ReplicationReader(folder / f"{name}.parquet") for name in TABLES}
        for i, r in enumerate(runs["replication"].tolist()):
            tables = {name: reader.read(int(r)) for name, reader in readers.items()}
            outages = tables["outages"]
            outages["service"] = pd.Categorical(outages["service"].astype(object),
                                                categories=scenario.levels("service"))
            yield cls(scenario=scenario, seed=summary["seed"], replications=1, runs=runs.iloc[i:i + 1].reset_index(drop=True),
                      **tables)


def _spans(frame: pd.DataFrame) -> dict[int, tuple[int, int]] | None:
    """Row ranges per replication when the frame is sorted by replication, else None."""
    if "replication" not in frame or not len(frame):
        return {}
    reps = frame["replication"].to_numpy()
    if len(reps) > 1 and bool((reps[1:] < reps[:-1]).any()):
        return None
    values, starts = np.unique(reps, return_index=True)
    ends = np.append(starts[1:], len(reps))
    return {int(v): (int(a), int(b)) for v, a, b in zip(values, starts, ends)}


def _rows(frame: pd.DataFrame, spans: dict[int, tuple[int, int]] | None, r: int) -> pd.DataFrame:
    if spans is None:
        return frame[frame["replication"] == r]
    a, b = spans.get(int(r), (0, 0))
    return frame.iloc[a:b]


# ------------------------------------------------------------------ writing a folder
def begin_save(folder: str | Path) -> tuple[Path, Path]:
    """Check ``folder`` and make the temporary sibling a save writes into: ``(folder, temporary)``.

    Raises
    ------
    OutputFolderError
        as ``check_output_folder``; nothing is touched then.
    """
    folder = check_output_folder(folder, "results")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.simsla-tmp-{os.getpid()}-", dir=folder.parent))
    try:
        # the manifest first: a temporary folder left by a kill is recognisable by its content too
        _write_manifest(tmp, FOLDER_KINDS["results"])
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder, tmp


def finish_save(tmp: Path, folder: Path, scenario: Scenario, runs: pd.DataFrame, summary: dict[str, Any],
                extra: dict[str, Any] | None = None) -> None:
    """Complete a save begun by ``begin_save`` whose tables are written: runs, scenario, summary, then the swap.

    ``summary.json`` is written last, then the temporary folder replaces
    ``folder`` (an earlier result there is set aside and removed).  The
    caller removes ``tmp`` when this raises.
    """
    runs.to_parquet(tmp / "runs.parquet", index=False)
    (tmp / "scenario.json").write_text(scenario.model_dump_json(by_alias=True, indent=2))
    summary = dict(summary)
    summary["files"] = sorted(f"{name}.parquet" for name in TABLES + ("runs",))
    for name in EXTRA_TABLES:  # computed tables a run added (e.g. `run --volume-risk`)
        if isinstance((extra or {}).get(name), pd.DataFrame):
            extra[name].to_csv(tmp / f"{name}.csv", index=False)  # type: ignore[index]
            summary["files"] = sorted([*summary["files"], f"{name}.csv"])
    _write_json(tmp / "summary.json", summary)
    old = None
    if folder.exists():
        old = folder.with_name(f".{folder.name}.simsla-old-{os.getpid()}")
        os.replace(folder, old)
    os.replace(tmp, folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class ReplicationWriter:
    """The tables' Parquet files in ``folder``, written one replication at a time: one row group each.

    Every replication's tables must have the same columns and types (the
    schema is the first replication's; categories are the scenario's, so
    they agree).  A context manager: the files are closed on leaving it.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._writers: dict[str, Any] = {}
        self._schemas: dict[str, Any] = {}

    def write(self, tables: dict[str, pd.DataFrame]) -> None:
        """Append one replication's tables (``{name: frame}``), each as one row group."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        for name, frame in tables.items():
            table = pa.Table.from_pandas(frame, preserve_index=False, schema=self._schemas.get(name))
            writer = self._writers.get(name)
            if writer is None:
                writer = self._writers[name] = pq.ParquetWriter(self.folder / f"{name}.parquet", table.schema)
                self._schemas[name] = table.schema
            # one row group however long: a replication is read back by its row group
            writer.write_table(table, row_group_size=max(len(table), 1))

    def close(self) -> None:
        """Close every file (they are complete Parquet files only then)."""
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
        self._schemas = {}

    def __enter__(self) -> "ReplicationWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _ReplicationReader:
    """One table's Parquet file, read a replication at a time via its row groups' statistics."""

    def __init__(self, path: Path):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.file = pq.ParquetFile(path)
        meta = self.file.metadata
        column = self.file.schema_arrow.get_field_index("replication")
        self.groups: list[tuple[int, int, int]] = []  # (row group, lowest, highest replication)
        for i in range(meta.num_row_groups):
            group = meta.row_group(i)
            stats = group.column(column).statistics if group.num_rows else None
            if stats is not None and stats.has_min_max:
                self.groups.append((i, int(stats.min), int(stats.max)))
            elif group.num_rows:
                self.groups.append((i, -2**62, 2**62))  # no statistics: read it to find out
        self.categories: dict[str, Any] = {}
        first = next((i for i, _, _ in self.groups), None)
        coded = [f.name for f in self.file.schema_arrow if pa.types.is_dictionary(f.type)]
        if first is not None and coded:  # an empty row group comes back without its categories: take a full one's
            head = self.file.read_row_group(first, columns=coded).slice(0, 0).to_pandas()
            self.categories = {c: head[c].dtype for c in coded}
        self.empty = self.file.schema_arrow.empty_table().to_pandas()

    def read(self, replication: int) -> pd.DataFrame:
        import pyarrow as pa

        chosen = [(i, lo, hi) for i, lo, hi in self.groups if lo <= replication <= hi]
        if chosen:
            frame = pa.concat_tables([self.file.read_row_group(i) for i, _, _ in chosen]).to_pandas()
            if any(lo != hi for _, lo, hi in chosen):  # a row group of several replications (an older folder)
                frame = frame[frame["replication"] == replication].reset_index(drop=True)
        else:
            frame = self.empty.copy()
        for name, dtype in self.categories.items():
            if frame[name].dtype != dtype:
                frame[name] = pd.Categorical(frame[name].astype(object), dtype=dtype)
        return frame
