"""Ranking a log's priority and impact labels, most urgent first (never alphabetically: High, Low, Major, Medium)."""

from __future__ import annotations

import re

import pandas as pd


#: words that rank levels and priorities, most urgent first (a log's own labels: "Major" before "High")
RANKS = ("critical", "urgent", "very high", "major", "high", "medium", "moderate", "normal", "low", "minor",
         "very low", "planning")


def rank_key(label: str) -> tuple:
    """Sort key, most urgent first: P1 < P2 < ..., then the words of ``RANKS``, then other labels, unknown last."""
    v = str(label).strip().lower()
    m = re.match(r"^p?(\d+)\b", v)
    if v == "unknown":
        return (3, 0, v)
    if m:
        return (0, int(m.group(1)), v)
    for i, word in enumerate(RANKS):
        if v == word or v.startswith(word + " ") or v.endswith(" " + word):
            return (1, i, v)
    return (2, 0, v)


def _levels(values: pd.Series) -> list[str]:
    return sorted(values.unique(), key=rank_key)


def priority_order(values: pd.Series, given: list[str] | None = None) -> list[str]:
    """The priorities from most to least urgent: the mapping's ``priority_order`` (others after it, by rank),
    else by rank (P1..P5, or the words critical, major, high, medium, low, ...)."""
    seen = list(values.unique())
    first = [p for p in (given or []) if p in seen]
    return first + sorted([p for p in seen if p not in first], key=rank_key)
