"""``FitResult``: a fitted scenario, the tables behind it and the data-quality problems found."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from simsla.fit.emit import ScenarioText
from simsla.fit.quality import Quality


@dataclass
class FitResult:
    """What ``fit_log`` found.

    ``kind`` is ``calls`` or ``tickets``; ``fit`` the detailed fit
    (``CallFit`` or ``TicketFit``); ``text`` the commented scenario.
    """

    kind: str
    source: str
    fit: Any
    text: ScenarioText
    quality: Quality
    rows: list[dict[str, Any]] = field(default_factory=list)      # measure, observed, fitted, note
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # extra tables for the report
    figures: Any = None                                            # callable(folder) -> list of files

    def scenario_yaml(self) -> str:
        """A commented scenario file that ``simsla.load_scenario`` accepts as is."""
        return self.text.text()

    def scenario(self):
        """The fitted scenario, validated."""
        from simsla.model import Scenario

        return Scenario.model_validate(yaml.safe_load(self.scenario_yaml()))

    def report_frame(self) -> pd.DataFrame:
        """One row per fitted quantity: section, measure, observed, fitted, note."""
        return pd.DataFrame(self.rows, columns=["section", "measure", "observed", "fitted", "note"])

    def quality_frame(self) -> pd.DataFrame:
        return self.quality.frame()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": self.source,
                "report": _records(self.report_frame()),
                "data_quality": self.quality.to_list(),
                "tables": {k: _records(v) for k, v in self.tables.items()},
                "details": self.fit.to_dict() if hasattr(self.fit, "to_dict") else {}}

    def write_report(self, folder: str | Path) -> list[Path]:
        """scenario.yaml, report.csv, data_quality.csv, fit.json, one CSV per table and the figures."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        (folder / "scenario.yaml").write_text(self.scenario_yaml(), encoding="utf-8")
        files.append(folder / "scenario.yaml")
        self.report_frame().to_csv(folder / "report.csv", index=False)
        self.quality.frame().to_csv(folder / "data_quality.csv", index=False)
        files += [folder / "report.csv", folder / "data_quality.csv"]
        for name, table in self.tables.items():
            table.to_csv(folder / f"{name}.csv", index=False)
            files.append(folder / f"{name}.csv")
        (folder / "fit.json").write_text(json.dumps(self.to_dict(), indent=2, default=_json), encoding="utf-8")
        files.append(folder / "fit.json")
        if self.figures is not None:
            files += self.figures(folder)
        return files


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(df.to_json(orient="records", date_format="iso"))


def _json(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    if hasattr(v, "tolist"):
        return v.tolist()
    return str(v)
