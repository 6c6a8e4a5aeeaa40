"""``Results``: the tables of a simulation, as pandas DataFrames, saved and loaded as a folder.

A folder holds ``summary.json`` (written last, so a folder with a summary is
complete), ``scenario.json`` (the validated scenario the run used) and one
Parquet file per table.  Writing goes to a temporary sibling folder that is
renamed into place, so an interrupted save never leaves a half-written folder
that reads as complete.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simsla.model import Scenario

TABLES = ("tickets", "segments", "utilization", "outages")


@dataclass
class Results:
    """What a simulation produced.

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
        """Messages of the replications that stopped early because a queue overflowed."""
        return [m for m in self.runs["unstable"].tolist() if isinstance(m, str) and m]

    def to_datetime(self, seconds: pd.Series) -> pd.Series:
        """Engine seconds as local timestamps in the scenario's time zone."""
        origin = pd.Timestamp(self.scenario.origin)
        return origin + pd.to_timedelta(seconds, unit="s")

    def evaluation(self) -> pd.DataFrame:
        """``simsla.evaluate(self)``, computed once (results do not change after a run)."""
        if "evaluation" not in self.extra:
            from simsla.analysis.attainment import evaluate

            self.extra["evaluation"] = evaluate(self)
        return self.extra["evaluation"]

    def summary(self) -> dict[str, Any]:
        """The headline numbers, as written to ``summary.json`` (computed once, then copied)."""
        if "summary" not in self.extra:
            from simsla.analysis.summary import summarize

            self.extra["summary"] = summarize(self)
        return copy.deepcopy(self.extra["summary"])

    # ------------------------------------------------------------------ files
    def save(self, folder: str | Path) -> Path:
        """Write the results to ``folder`` atomically (replacing an older run there)."""
        folder = Path(folder)
        _recover(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        try:
            for name in TABLES + ("runs",):
                getattr(self, name).to_parquet(tmp / f"{name}.parquet", index=False)
            (tmp / "scenario.json").write_text(self.scenario.model_dump_json(by_alias=True, indent=2))
            summary = self.summary()
            summary["files"] = sorted(f"{name}.parquet" for name in TABLES + ("runs",))
            _write_json(tmp / "summary.json", summary)
            old = None
            if folder.exists():
                old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
                os.replace(folder, old)
            os.replace(tmp, folder)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "Results":
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
        return cls(scenario=scenario, seed=summary["seed"], replications=summary["replications"], **tables)


def _recover(folder: Path) -> None:
    """Put back a complete earlier result that a save killed between its two renames left aside.

    ``save`` moves the old folder to ``.NAME.old-PID`` and then the new one
    into place; a process killed in between (microseconds) leaves only the old
    one, complete, under that name.
    """
    if folder.exists():
        return
    for old in sorted(folder.parent.glob(f".{folder.name}.old-*")):
        if (old / "summary.json").is_file():
            os.replace(old, folder)
            return


def _write_json(path: Path, data: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, allow_nan=False, default=_jsonable)
        fh.flush()
        os.fsync(fh.fileno())


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
