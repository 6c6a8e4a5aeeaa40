"""Scenario YAML with comments: sections written one by one, each with the reasons behind its numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import yaml

from simsla.fit.arrivals import DAYS


class ScenarioText:
    """A scenario built section by section: ``data`` for validation, ``text()`` for people."""

    def __init__(self, title: str):
        self.title = title
        self.header: list[str] = []
        self.parts: list[tuple[list[str], str, Any]] = []

    @property
    def data(self) -> dict[str, Any]:
        return {k: v for _, k, v in self.parts}

    def add(self, key: str, value: Any, *comment: str) -> None:
        self.parts.append(([c for c in comment], key, value))

    def text(self) -> str:
        bar = "# " + "=" * 77
        out = [bar, f"# {self.title}", "#"]
        out += [f"# {line}".rstrip() for line in self.header]
        out += [bar, ""]
        for comment, key, value in self.parts:
            if comment:
                out += [f"# {line}".rstrip() for line in comment]
            flow = None if isinstance(value, (dict, list, tuple)) else False
            out.append(yaml.safe_dump({key: value}, sort_keys=False, default_flow_style=flow, width=110,
                                      allow_unicode=True).rstrip())
            if comment:
                out.append("")
        return "\n".join(out) + "\n"


def rate_text(per_week: float) -> str:
    """A weekly volume as a rate text (enough digits to keep the volume)."""
    return f"{per_week:.6g}/week"


def days_spec(days: list[int]) -> str:
    """Weekday numbers (0 = Monday) as a day spec: 'mon-fri', 'sun,tue'."""
    days = sorted(days)
    runs, start = [], days[0]
    for a, b in zip(days, days[1:] + [None]):
        if b != a + 1:
            runs.append(DAYS[start] if start == a else f"{DAYS[start]}-{DAYS[a]}")
            start = b
    return ",".join(runs)


def shift_blocks(staff: np.ndarray) -> list[dict[str, Any]]:
    """168 headcounts (Monday 00 h first) as non-overlapping shift blocks; days with the same pattern share blocks."""
    staff = np.asarray(staff, dtype=int).reshape(7, 24)
    patterns: dict[tuple[int, ...], list[int]] = {}
    for d in range(7):
        patterns.setdefault(tuple(staff[d]), []).append(d)
    blocks = []
    for pattern, days in patterns.items():
        h = 0
        while h < 24:
            v, e = pattern[h], h + 1
            while e < 24 and pattern[e] == v:
                e += 1
            if v > 0:
                end = "24:00" if e == 24 else f"{e:02d}:00"
                blocks.append({"days": days_spec(days), "hours": f"{h:02d}:00-{end}", "staff": int(v)})
            h = e
    order = {d: i for i, d in enumerate(DAYS)}
    blocks.sort(key=lambda b: (order[b["days"][:3]], b["hours"]))
    return blocks


def add_time_frame(sc: Any, name: str, description: str, start: Any, days: int) -> None:
    """The fields every fitted scenario opens with: name, description and the log's span (UTC, no warm-up)."""
    sc.add("name", name)
    sc.add("description", description)
    sc.add("start", date_of(start), "Time frame: the span of the log (whole days).")
    sc.add("timezone", "UTC")
    sc.add("warmup", "0s")
    sc.add("horizon", f"{days}d")


def date_of(ts) -> dt.date:
    return ts.date() if hasattr(ts, "date") else ts
