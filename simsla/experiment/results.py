"""``Results``: a simulation's tables (``simsla.ticketlog.TicketLog``) with their evaluation on top.

The tables are plain data below the analysis; this class adds what the
analysis computes from them — ``evaluation()`` (attainment per target,
replication and period) and ``summary()`` (the numbers ``simsla run`` prints
and writes to ``summary.json``) — computed once, since results do not change
after a run.  The output-folder checks live in ``simsla.outputs`` and are
re-exported here for callers that import them from this module.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simsla.outputs import (FOLDER_KINDS, MANIFEST, TABLES, FolderKind, OutputFolderError,  # noqa: F401  (re-exported)
                            check_output_file, check_output_folder, claim_output_folder, release_output_folder)
from simsla.ticketlog import TicketLog


@dataclass
class Results(TicketLog):
    """What a simulation produced, with its evaluation (see ``TicketLog`` for the tables)."""

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

            self.extra["summary"] = summarize(self, table=self.evaluation() if self.scenario.agreements else None)
        return copy.deepcopy(self.extra["summary"])

    def save(self, folder: str | Path, summary: dict[str, Any] | None = None) -> Path:
        """Write the results and their summary to ``folder`` atomically (see ``TicketLog.save``).

        Raises
        ------
        OutputFolderError
            when ``folder`` holds files simsla did not write, or cannot be
            written (see ``simsla.outputs.check_output_folder``); nothing is
            touched then.
        """
        return super().save(folder, self.summary() if summary is None else summary)
