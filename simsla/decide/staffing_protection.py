"""Protecting work no target measures: time to resolution per ticket class, against today's staffing.

A staffing search only sees the targets it is given.  With targets on P1/P2
alone, a cut that lets P3/P4 tickets wait for weeks looks free.  The rule
here guards every ticket *class* (priority x channel, e.g. ``P3/email``):

    a class is **worse** when the lower end of the 95 % confidence interval
    of the ratio (candidate / baseline) of its median -- or of its 90th
    percentile -- time to resolution lies above ``1 + tolerance``.

The baseline is the scenario as given, simulated with the same seed, horizon
and replications as the candidate (common random numbers: the same callers
and tickets), so the two are paired replication by replication.  Per
replication the ratio of the two quantiles is taken; the interval is a
Student-t interval of the mean log ratio over replications, back-transformed
(a geometric mean with its interval).  Requiring the *lower* end above the
line means a class is refused only on evidence, not on noise; a candidate
whose queue overflowed (an unstable replication) is worse for every class.

Time to resolution is wall-clock time from arrival to resolution of the
tickets that arrive after the warm-up; abandoned calls are left out (the
answer-time targets judge them); a ticket still open when the run ends
counts with the time it has waited so far (a lower bound, so a class that
starves still shows as far worse).  A class with fewer than ``min_tickets``
tickets in some baseline replication is reported, not judged.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: the quantiles of time to resolution that are protected, by name
STATISTICS: dict[str, float] = {"median": 0.5, "p90": 0.9}


@dataclass(frozen=True)
class Protection:
    """Which ticket classes must not get slower than today, and by how much they may.

    Attributes
    ----------
    tolerance : float or None
        Largest accepted worsening of a class's median or p90 time to
        resolution (0.10: 10 % slower); None switches protection off.
    classes : tuple of str or None
        ``priority/channel`` patterns (``*`` matches anything); None: every class.
    min_tickets : int
        Fewest tickets per baseline replication for a class to be judged.
    """

    tolerance: float | None = 0.10
    classes: tuple[str, ...] | None = None
    min_tickets: int = 20

    @property
    def enabled(self) -> bool:
        return self.tolerance is not None

    def covers(self, ticket_class: str) -> bool:
        """Whether a class (``"P3/email"``) is protected."""
        if not self.enabled:
            return False
        if self.classes is None:
            return True
        return any(fnmatch.fnmatchcase(ticket_class.lower(), p.lower()) for p in self.classes)

    def describe(self) -> str:
        """One line for the output: what is protected."""
        if not self.enabled:
            return "no ticket class protected (--protect none)"
        which = "every ticket class (priority/channel)" if self.classes is None else "classes " + ", ".join(self.classes)
        return (f"{which}: median and p90 time to resolution at most {100 * self.tolerance:g} % worse than with "
                f"today's staffing (lower end of the 95 % interval of the paired ratio; classes with fewer than "
                f"{self.min_tickets} tickets per replication are reported, not judged)")

    def to_dict(self) -> dict[str, Any]:
        return {"tolerance": self.tolerance, "classes": None if self.classes is None else list(self.classes),
                "min_tickets": self.min_tickets, "statistics": list(STATISTICS)}


def parse_protection(text: str | None, min_tickets: int = 20) -> Protection:
    """Read a ``--protect`` value.

    ``none`` (or ``off``) switches protection off; ``all`` protects every
    class; otherwise a comma-separated list of a tolerance (``10%`` or
    ``0.1``) and/or class patterns ``PRIORITY/CHANNEL`` with ``*``
    wildcards, e.g. ``"15%,P3/*,P4/email"``.  Without a tolerance 10 %
    applies; without patterns every class is protected.

    Raises
    ------
    ValueError
        For an item that is neither a tolerance nor a ``priority/channel`` pattern.
    """
    if text is None:
        return Protection(min_tickets=min_tickets)
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise ValueError("--protect: give 'none', 'all', a tolerance such as 10% or classes such as 'P3/email,P4/*'")
    if len(items) == 1 and items[0].lower() in ("none", "off"):
        return Protection(tolerance=None, min_tickets=min_tickets)
    tolerance: float | None = None
    patterns: list[str] = []
    for item in items:
        if item.lower() == "all":
            continue
        number = item[:-1] if item.endswith("%") else item
        try:
            value = float(number)
        except ValueError:
            if item.count("/") != 1 or not all(item.split("/")):
                raise ValueError(f"--protect {item!r}: write a tolerance (10%) or a class PRIORITY/CHANNEL "
                                 "such as P3/email or P4/*") from None
            patterns.append(item)
            continue
        value = value / 100 if item.endswith("%") else value
        if not math.isfinite(value) or not 0 <= value < 10:
            raise ValueError(f"--protect {item!r}: the tolerance must be a share such as 10% or 0.1")
        if tolerance is not None:
            raise ValueError("--protect: give one tolerance")
        tolerance = value
    return Protection(tolerance=0.10 if tolerance is None else tolerance,
                      classes=tuple(patterns) if patterns else None, min_tickets=min_tickets)


# ------------------------------------------------------------------ in the worker
def class_times(tickets: pd.DataFrame, warmup: float, stopped_at: float) -> dict[str, dict[str, float]]:
    """Per ticket class: tickets, still open, median and p90 time to resolution (seconds) of one replication.

    Parameters
    ----------
    tickets : pandas.DataFrame
        One replication's ticket table (``priority``, ``channel``, ``arrival``, ``resolved``, ``outcome``).
    warmup : float
        Tickets arriving before this are left out.
    stopped_at : float
        When the run ended: an open ticket counts as resolved then (a lower bound).
    """
    t = tickets[(tickets["arrival"].to_numpy(dtype=float) >= warmup) & (tickets["outcome"].astype(str) != "abandoned")]
    if t.empty:
        return {}
    resolved = t["resolved"].to_numpy(dtype=float)
    open_ = np.isnan(resolved)
    ttr = np.where(open_, stopped_at, resolved) - t["arrival"].to_numpy(dtype=float)
    label = t["priority"].astype(str).to_numpy() + "/" + t["channel"].astype(str).to_numpy()
    out: dict[str, dict[str, float]] = {}
    for cls in np.unique(label):
        mine = label == cls
        values = ttr[mine]
        row = {"tickets": float(mine.sum()), "open": float(open_[mine].sum())}
        row.update({name: float(np.quantile(values, q)) for name, q in STATISTICS.items()})
        out[str(cls)] = row
    return out


# ------------------------------------------------------------------ in the parent
def compare_classes(candidate: Sequence[dict[str, Any]], baseline: Sequence[dict[str, Any]],
                    protection: Protection) -> pd.DataFrame:
    """Judge each ticket class of a candidate against the baseline, paired by replication.

    Parameters
    ----------
    candidate, baseline : sequence of dict
        Per replication (same seed and replication numbers, the first ``n``
        of each are paired): ``{"unstable": bool, "classes": class_times(...)}``.
    protection : Protection

    Returns
    -------
    pandas.DataFrame
        One row per class and statistic: ``class``, ``statistic``,
        ``protected``, ``tickets_per_replication`` (baseline), ``baseline``
        and ``candidate`` (seconds, mean over replications), ``ratio``
        (geometric mean), ``ratio_ci_low``, ``ratio_ci_high``, ``status``
        (``ok``, ``worse``, ``too few tickets``, ``not protected``,
        ``one replication: not judged``).
    """
    from scipy import stats

    n = min(len(candidate), len(baseline))
    classes = sorted({c for rep in baseline[:n] for c in rep.get("classes", {})})
    rows = []
    limit = None if protection.tolerance is None else math.log1p(protection.tolerance)
    for cls in classes:
        counts = [rep["classes"].get(cls, {}).get("tickets", 0.0) for rep in baseline[:n]]
        for name in STATISTICS:
            base = np.array([rep["classes"].get(cls, {}).get(name, np.nan) for rep in baseline[:n]], dtype=float)
            cand = np.array([math.inf if rep.get("unstable") else rep.get("classes", {}).get(cls, {}).get(name, np.nan)
                             for rep in candidate[:n]], dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.log(np.maximum(cand, 1e-9)) - np.log(np.maximum(base, 1e-9))
            logs = logs[~np.isnan(logs)]
            ratio = lo = hi = math.nan
            if len(logs):
                mean = float(logs.mean())
                ratio = math.exp(min(mean, 700.0))
                if np.isposinf(logs).any():
                    lo = hi = math.inf  # a replication overflowed: worse, whatever the others say
                elif len(logs) >= 2:
                    half = float(stats.t.ppf(0.975, len(logs) - 1) * logs.std(ddof=1) / math.sqrt(len(logs)))
                    lo, hi = math.exp(min(mean - half, 700.0)), math.exp(min(mean + half, 700.0))
            if not protection.covers(cls):
                status = "not protected"
            elif min(counts, default=0) < protection.min_tickets:
                status = "too few tickets"
            elif len(logs) < 2 and not math.isinf(lo):
                status = "one replication: not judged"
            else:
                status = "worse" if math.log(max(lo, 1e-300)) > limit + 1e-12 else "ok"  # type: ignore[operator]
            rows.append({"class": cls, "statistic": name, "protected": protection.covers(cls),
                         "tickets_per_replication": float(np.mean(counts)) if counts else 0.0,
                         "baseline": float(np.nanmean(base)) if np.isfinite(base).any() else math.nan,
                         "candidate": float(np.mean(cand[np.isfinite(cand)])) if np.isfinite(cand).any() else math.inf,
                         "ratio": ratio, "ratio_ci_low": lo, "ratio_ci_high": hi, "status": status})
    columns = ["class", "statistic", "protected", "tickets_per_replication", "baseline", "candidate", "ratio",
               "ratio_ci_low", "ratio_ci_high", "status"]
    return pd.DataFrame(rows, columns=columns)


def worse_classes(table: pd.DataFrame) -> list[str]:
    """The classes a comparison found worse (each once, worst ratio bound first)."""
    bad = table[table["status"] == "worse"].sort_values("ratio_ci_low", ascending=False)
    return list(dict.fromkeys(bad["class"]))
