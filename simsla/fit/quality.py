"""Data-quality problems found while reading a log: counted, repaired or dropped, never crashed on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Issue:
    """One kind of problem: what, how many rows/tickets, what was done, an example."""

    problem: str
    count: int
    action: str
    example: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"problem": self.problem, "count": int(self.count), "action": self.action, "example": self.example}


@dataclass
class Quality:
    """The list of data-quality problems of one log (only problems actually seen are kept)."""

    issues: list[Issue] = field(default_factory=list)

    def add(self, problem: str, count: int, action: str, example: Any = "") -> None:
        if count:
            self.issues.append(Issue(problem, int(count), action, str(example)[:120]))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([i.to_dict() for i in self.issues], columns=["problem", "count", "action", "example"])

    def to_list(self) -> list[dict[str, Any]]:
        return [i.to_dict() for i in self.issues]

    def lines(self) -> list[str]:
        return [f"{i.problem}: {i.count} ({i.action})" for i in self.issues]


def parse_times(values: pd.Series, fmt: str | None, quality: Quality, what: str,
                missing: tuple[str, ...] = ("?", "", "NULL", "null", "NA", "N/A", "nan")) -> pd.Series:
    """Timestamps from text; missing markers become NaT (counted), unparseable text becomes NaT (counted)."""
    text = values.astype("string").str.strip()
    is_missing = text.isna() | text.isin(missing)
    parsed = pd.to_datetime(text.where(~is_missing), format=fmt, errors="coerce") if fmt else \
        pd.to_datetime(text.where(~is_missing), errors="coerce", format="mixed")
    bad = parsed.isna() & ~is_missing
    quality.add(f"unparseable {what}", int(bad.sum()), "treated as missing",
                text[bad].iloc[0] if bad.any() else "")
    return parsed
