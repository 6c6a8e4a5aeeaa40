"""Can we keep it?  A verdict per target drawn from the breach probability's interval, not its point.

A target is judged against a *risk line*: the breach probability per period
the negotiator accepts, ``1 - confidence`` (confidence 0.9: a breach in at
most one period in ten).  With the breach probability's 95 % interval
``[low, high]``:

* **defensible** (green) — ``high`` is below the line: even the pessimistic
  end of what the simulation allows keeps the risk acceptable;
* **not defensible** (red) — ``low`` is above the line: even the optimistic
  end is too risky;
* **at risk** (amber) — the interval straddles the line: the data cannot say
  which side the target is on;
* **cannot be judged** (grey, or amber for a straddling interval) — nothing
  was counted, or an amber target rests on fewer periods than even a record
  without a breach would need to end below the line (``periods_needed``;
  35 at a 10 % line) or on few periods (``simsla.analysis.sample``): more
  replications, not more staff, would decide it.

The same light function colours the terminal, the report's tables and its
breach-risk grid, so every place shows the same colour for the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from simsla.analysis.sample import SampleNote, sample_notes
from simsla.analysis.stats import wilson_ci

#: default confidence: a target is defensible when a breach in more than 1 period in 10 is ruled out
DEFAULT_CONFIDENCE = 0.9

STATUS = {"green": "defensible", "amber": "at risk", "red": "not defensible", "none": "cannot be judged"}


def risk_light(probability: float | None, low: float | None, high: float | None, line: float) -> str:
    """``green``, ``amber``, ``red`` or ``none`` for a breach probability with its interval.

    Parameters
    ----------
    probability, low, high : float or None
        The breach probability and its 95 % interval (None or NaN: unknown).
    line : float
        The accepted breach probability per period (``1 - confidence``).
    """
    if probability is None or probability != probability:
        return "none"
    if high is not None and high == high and high < line:
        return "green"
    if low is not None and low == low and low > line:
        return "red"
    return "amber"


@dataclass(frozen=True)
class TargetVerdict:
    """One target's verdict: its light, status words and what limits the data behind it."""

    agreement: str
    target: str
    light: str
    status: str
    breach_probability: float | None
    breach_ci95: tuple[float | None, float | None]
    notes: tuple[SampleNote, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"agreement": self.agreement, "target": self.target, "light": self.light, "status": self.status,
                "breach_probability": self.breach_probability, "breach_probability_ci95": list(self.breach_ci95),
                "notes": [str(n) for n in self.notes], "note_reasons": [n.reason for n in self.notes]}


@dataclass(frozen=True)
class Verdict:
    """The verdict over all targets at one confidence."""

    confidence: float
    targets: tuple[TargetVerdict, ...] = field(default_factory=tuple)
    advice: str | None = None

    @property
    def line(self) -> float:
        """The accepted breach probability per period."""
        return 1.0 - self.confidence

    def by_status(self, status: str) -> list[TargetVerdict]:
        """The targets with this status (see ``STATUS``)."""
        return [t for t in self.targets if t.status == status]

    def headline(self) -> str:
        """One sentence: how many targets are defensible, at risk, not defensible, not judged."""
        n = len(self.targets)
        if n == 0:
            return "no targets to judge"
        parts = [f"{len(self.by_status('defensible'))} of {n} target(s) defensible at {self.confidence:.0%} confidence "
                 f"(breach in at most {self.line:.0%} of periods, judged on the 95 % interval)"]
        for status in ("at risk", "not defensible", "cannot be judged"):
            k = len(self.by_status(status))
            if k:
                parts.append(f"{k} {status}")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with counts per status."""
        return {"confidence": self.confidence, "risk_line": self.line, "headline": self.headline(), "advice": self.advice,
                "counts": {s: len(self.by_status(s)) for s in STATUS.values()},
                "targets": [t.as_dict() for t in self.targets]}


def judge_target(row: dict[str, Any], confidence: float = DEFAULT_CONFIDENCE) -> TargetVerdict:
    """The verdict on one row of ``simsla.analysis.attainment.target_summary``."""
    p = row.get("breach_probability")
    low, high = (row.get("breach_probability_ci95") or [None, None])[:2]
    periods = int(row.get("periods_evaluated") or 0)
    counted = row.get("counted")
    per_period = None if counted is None or periods == 0 else counted / periods
    notes = tuple(sample_notes(periods if row.get("complete_periods_only", True) else 0, per_period,
                               row.get("fraction")))
    light = risk_light(p, low, high, 1.0 - confidence)
    if counted == 0 or periods == 0:
        light = "none"
    status = STATUS[light]
    if light == "amber" and (periods < periods_needed(1.0 - confidence) or any(n.kind == "few periods" for n in notes)):
        # even a record without a single breach could not show the risk under the line: more replications,
        # not more staff, would decide it
        status = "cannot be judged"
    return TargetVerdict(agreement=row["agreement"], target=row["target"], light=light, status=status,
                         breach_probability=p, breach_ci95=(low, high), notes=notes)


def periods_needed(line: float) -> int:
    """Fewest periods whose 95 % Wilson interval, with no breach at all, ends below ``line``.

    With ``n`` periods and none breached the upper end is ``z² / (n + z²)``;
    it falls below ``line`` once ``n > z² (1 / line - 1)``.
    """
    z2 = 1.959964**2
    return int(math.floor(z2 * (1.0 / line - 1.0))) + 1


def judge(targets: Iterable[dict[str, Any]], confidence: float = DEFAULT_CONFIDENCE,
          replications: int | None = None) -> Verdict:
    """The verdict on every target of a summary (rows of ``target_summary``).

    ``replications`` (of the run the rows come from) lets the verdict say how
    many replications would give enough periods to judge the targets it could not.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    rows = list(targets)
    advice = None
    judged = tuple(judge_target(t, confidence) for t in rows)
    short = [r for r, v in zip(rows, judged) if v.status == "cannot be judged" and (r.get("periods_evaluated") or 0) > 0]
    if short and replications:
        need = periods_needed(1.0 - confidence)
        per_rep = min((r["periods_evaluated"] / replications for r in short))
        if per_rep > 0:
            advice = (f"at least {need} complete periods are needed to show a breach risk under {1 - confidence:.0%}; "
                      f"run about {math.ceil(need / per_rep)} replications (now {replications})")
    return Verdict(confidence=confidence, targets=judged, advice=advice)


def complete_rows(table: pd.DataFrame, complete_only: bool = True) -> pd.DataFrame:
    """The rows of an attainment table in complete periods (all rows when none is complete)."""
    if complete_only and "complete" in table.columns and table["complete"].any():
        return table[table["complete"].astype(bool)]
    return table


def row_label(table: pd.DataFrame, rows: Sequence[str]) -> pd.Series:
    """The label of a grid row: its ``rows`` columns joined by `` · ``."""
    return table[list(rows)].astype(str).agg(" · ".join, axis=1)


def period_risk(table: pd.DataFrame, rows: Sequence[str] = ("agreement", "target"), complete_only: bool = True,
                line: float = 1.0 - DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Per (row, period): the share of replications breached, its Wilson 95 % CI and its light.

    ``table`` is ``evaluate(results)`` or ``service_attainment(...)``.  The
    light follows ``risk_light`` (from the interval).  A period with nothing
    counted counts as met (as in ``evaluate``), but a cell with nothing
    counted in *any* replication has no probability (light ``none``).
    """
    used = complete_rows(table, complete_only).copy()
    used["row"] = row_label(used, rows)
    out = []
    for (row, period), g in used.groupby(["row", "period"], sort=False):
        if "attainment" in g.columns and g["attainment"].isna().all():  # nothing counted in any replication
            out.append({"row": row, "period": period, "breach_probability": np.nan, "ci_low": np.nan,
                        "ci_high": np.nan, "replications": len(g), "light": "none"})
            continue
        p, lo, hi = wilson_ci(int(g["breached"].sum()), len(g))
        out.append({"row": row, "period": period, "breach_probability": p, "ci_low": lo, "ci_high": hi,
                    "replications": len(g), "light": risk_light(p, lo, hi, line)})
    return pd.DataFrame(out, columns=["row", "period", "breach_probability", "ci_low", "ci_high", "replications",
                                      "light"])
