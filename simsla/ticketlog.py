"""``TicketLog``: the tables of a simulation as plain data, saved and loaded as a folder.

It sits below the analysis: analysis functions read a ``TicketLog`` and
nothing here computes a metric.  ``simsla.experiment.Results`` adds the
evaluation on top (it calls the analysis), so the import graph has no cycle.

A folder holds ``summary.json`` (written last, so a folder with a summary is
complete), ``scenario.json`` (the validated scenario the run used) and one
Parquet file per table.  Writing goes to a temporary sibling folder that is
renamed into place, so an interrupted save never leaves a half-written folder
that reads as complete; ``simsla.outputs`` keeps the folder safe.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
        folder = check_output_folder(folder, "results")
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.simsla-tmp-{os.getpid()}-", dir=folder.parent))
        try:
            # the manifest first: a temporary folder left by a kill is recognisable by its content too
            _write_manifest(tmp, FOLDER_KINDS["results"])
            for name in TABLES + ("runs",):
                getattr(self, name).to_parquet(tmp / f"{name}.parquet", index=False)
            (tmp / "scenario.json").write_text(self.scenario.model_dump_json(by_alias=True, indent=2))
            summary = dict(summary or {"seed": int(self.seed), "replications": int(self.replications)})
            summary["files"] = sorted(f"{name}.parquet" for name in TABLES + ("runs",))
            for name in EXTRA_TABLES:  # computed tables a run added (e.g. `run --volume-risk`)
                if isinstance(self.extra.get(name), pd.DataFrame):
                    self.extra[name].to_csv(tmp / f"{name}.csv", index=False)
                    summary["files"] = sorted([*summary["files"], f"{name}.csv"])
            _write_json(tmp / "summary.json", summary)
            old = None
            if folder.exists():
                old = folder.with_name(f".{folder.name}.simsla-old-{os.getpid()}")
                os.replace(folder, old)
            os.replace(tmp, folder)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
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
