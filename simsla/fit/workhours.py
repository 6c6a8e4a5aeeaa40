"""Working hours of each group of a ticket log: inferred from its activity by hour of the week, or taken
from the mapping; business time between two timestamps in those hours.

Mapping options (``business_hours`` decides whether they are used):

``business_hours``
    ``no`` (default): every time is calendar time, groups are staffed around the clock; ``auto``: each
    group's hours are inferred from its activity (below), and a group that does not work around the clock
    is fitted in business time and staffed in its hours; ``yes``: the same, with groups whose activity is
    too thin to infer given ``working_hours`` (default ``mon-fri 08:00-18:00``).
``working_hours``
    ``"mon-fri 08:00-18:00"`` for every group, or ``{group: "mon-fri 07:00-19:00", ...}`` (``24/7`` for a
    group that works around the clock); named groups are not inferred.
``sla_hours``
    when SLA clocks run (``24/7`` or ``"mon-fri 08:00-18:00"``); default: the hours most groups work.
    ``sla_targets`` (``{P1: 4h, P3: 3d}``, resolution thresholds in those hours) and ``sla_fraction``
    (default 0.9) make the fit write one SLA with these targets and that clock calendar.

**Inference.**  A group's activity is the updates it makes while it holds a ticket in a work status (not its queue).
Days: Monday-Friday when under ``WEEKEND_SHARE`` of its activity falls on weekends, else every day.
Hours: on those days, from the first to the last hour of the day with at least ``HOUR_SHARE`` of a
busy hour's activity (the upper quartile of the 24 hours: a burst of updates when work resumes at
08:00 does not set the level); an update on the hour, 18:00:00, counts for the hour that ends then.  A group active 20 h or more every day works around the clock; so
does one with fewer than ``MIN_UPDATES`` updates (too little to tell), unless the mapping names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

WEEKEND_SHARE = 0.05
HOUR_SHARE = 0.2
MIN_UPDATES = 50
DEFAULT_HOURS = "mon-fri 08:00-18:00"
_SPEC = re.compile(r"^\s*(mon-fri|mon-sun|every day)\s+(\d\d):00-(\d\d):00\s*$", re.I)


@dataclass(frozen=True)
class WorkingHours:
    """One group's week: ``weekdays`` days (5: Monday-Friday, 7: every day), hours ``start``..``end``."""

    weekdays: int = 7
    start: int = 0
    end: int = 24
    source: str = "round the clock"     # inferred, mapping, or round the clock
    inside: float = 1.0                 # share of the group's activity inside these hours

    @property
    def round_the_clock(self) -> bool:
        return self.weekdays == 7 and self.start == 0 and self.end == 24

    @property
    def days(self) -> str:
        return "mon-fri" if self.weekdays == 5 else "mon-sun"

    @property
    def hours(self) -> str:
        return f"{self.start:02d}:00-{self.end:02d}:00" if self.end < 24 else f"{self.start:02d}:00-24:00"

    @property
    def text(self) -> str:
        return "24/7" if self.round_the_clock else f"{self.days} {self.hours}"

    @property
    def share_of_week(self) -> float:
        return self.weekdays * (self.end - self.start) / 168

    @property
    def calendar_name(self) -> str:
        return "24/7" if self.round_the_clock else f"{self.days} {self.start:02d}-{self.end:02d}"

    def calendar(self) -> dict:
        return {"hours": {self.days: self.hours}}

    def seconds(self, ts: pd.Series) -> np.ndarray:
        """Business seconds from 1970-01-05 (a Monday) to each time; differences give business time.  NaT: NaN."""
        x = (ts - pd.Timestamp("1970-01-05")).dt.total_seconds().to_numpy(float)
        week = np.floor(x / (7 * 86400))
        r = x - week * 7 * 86400
        day = np.floor(r / 86400)
        sec = r - day * 86400
        per_day = (self.end - self.start) * 3600.0
        today = np.where(day < self.weekdays, np.clip(sec - self.start * 3600.0, 0, per_day), 0)
        return week * self.weekdays * per_day + np.minimum(day, self.weekdays) * per_day + today


ROUND_THE_CLOCK = WorkingHours()


def parse_hours_text(text: object, where: str) -> WorkingHours:
    """``24/7`` or ``mon-fri 08:00-18:00`` (whole hours; ``mon-sun`` or ``every day`` for all days)."""
    s = str(text).strip()
    if s.lower() in ("24/7", "always", "round the clock"):
        return WorkingHours(source="mapping")
    m = _SPEC.match(s)
    if not m or not 0 <= int(m.group(2)) < int(m.group(3)) <= 24:
        raise ValueError(f"{where}: {text!r} is not working hours; write 24/7 or 'mon-fri 08:00-18:00' (mon-fri, "
                         "mon-sun or every day, then whole hours START-END)")
    return WorkingHours(5 if m.group(1).lower() == "mon-fri" else 7, int(m.group(2)), int(m.group(3)), "mapping")


def check_options(mapping: dict) -> dict:
    """The mapping's working-hours options checked (``ValueError`` names the option and what to write)."""
    out = {}
    wh = mapping.get("working_hours")
    if wh is not None:
        if isinstance(wh, dict):
            out["working_hours"] = {str(g): parse_hours_text(v, f"working_hours: {g}").text for g, v in wh.items()}
        else:
            out["working_hours"] = parse_hours_text(wh, "working_hours").text
    if mapping.get("sla_hours") is not None:
        out["sla_hours"] = parse_hours_text(mapping["sla_hours"], "sla_hours").text
    targets = mapping.get("sla_targets")
    if targets is not None:
        from simsla.model.units import parse_duration

        if not isinstance(targets, dict) or not targets:
            raise ValueError(f"sla_targets: a mapping priority: threshold such as {{P1: 4h, P3: 3d}}, got {targets!r}")
        for p, v in targets.items():
            try:
                parse_duration(str(v))
            except ValueError as exc:
                raise ValueError(f"sla_targets: {p}: {exc} (write durations such as 4h or 3d)") from None
        out["sla_targets"] = {str(p): str(v) for p, v in targets.items()}
    if mapping.get("sla_fraction") is not None:
        f = mapping["sla_fraction"]
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not 0 < f <= 1:
            raise ValueError(f"sla_fraction: the share that must meet a target, 0 < f <= 1 (e.g. 0.9), got {f!r}")
        out["sla_fraction"] = float(f)
    return out


def infer(when: pd.Series) -> WorkingHours:
    """A group's hours from the times of its activity (rule in the module docstring)."""
    when = when.dropna()
    if len(when) < MIN_UPDATES:
        return ROUND_THE_CLOCK
    weekend = float((when.dt.day_of_week >= 5).mean())
    weekdays = 5 if weekend < WEEKEND_SHARE else 7
    on = when[when.dt.day_of_week < weekdays]
    # an update at 18:00:00 sharp closes the hour before it (work handed over at the end of the day)
    first = np.bincount(on.dt.hour, minlength=24).astype(float)
    last = np.bincount((on - pd.Timedelta(seconds=1)).dt.hour, minlength=24).astype(float)
    start = int(np.flatnonzero(first >= HOUR_SHARE * np.quantile(first, 0.75))[0])
    end = int(np.flatnonzero(last >= HOUR_SHARE * np.quantile(last, 0.75))[-1]) + 1
    if end - start >= 20 or end <= start:       # round the clock (or no day-time pattern to see)
        start, end = 0, 24
    if weekdays == 7 and (start, end) == (0, 24):
        return WorkingHours(source="inferred")
    wh = WorkingHours(weekdays, start, end, "inferred")
    sec = (when - when.dt.normalize()).dt.total_seconds()
    inside = (when.dt.day_of_week < weekdays) & (sec >= start * 3600) & (sec <= end * 3600)
    return WorkingHours(weekdays, start, end, "inferred", float(inside.mean())) if len(when) else wh


def group_hours(updates: pd.DataFrame, group: pd.Series, working: pd.Series, mapping: dict) -> dict[str, WorkingHours]:
    """Group -> its working hours (``business_hours`` no: none; else inferred, or the mapping's)."""
    mode = str(mapping.get("business_hours", "no"))
    if mode == "no" or "updated_at" not in updates:
        return {}
    given = mapping.get("working_hours")
    default = parse_hours_text(given, "working_hours") if isinstance(given, str) else None
    named = {str(g): parse_hours_text(v, f"working_hours: {g}") for g, v in given.items()} if isinstance(given, dict) else {}
    out = {}
    when = updates["updated_at"]
    for g, idx in group.groupby(group.to_numpy()).groups.items():
        g = str(g)
        if g in named:
            out[g] = named[g]
        elif default is not None:
            out[g] = default
        else:
            sel = when.loc[idx][working.loc[idx].to_numpy(bool)]
            wh = infer(sel)
            if mode == "yes" and len(sel.dropna()) < MIN_UPDATES:
                wh = parse_hours_text(DEFAULT_HOURS, "working_hours")
            out[g] = wh
    return out


def party_hours(raw: pd.DataFrame, collapsed: pd.DataFrame, hours: dict[str, WorkingHours]) -> dict[str, WorkingHours]:
    """The hours of each collapsed group: its own, or for ``other groups`` those of most of its visits."""
    if not hours:
        return {}
    out = {}
    for party in collapsed.loc[collapsed["kind"] == "group", "party"].unique():
        base = party[: -len(" again")] if party.endswith(" again") else party
        if base in hours:
            out[party] = hours[base]
            continue
        kept = set(collapsed["party"])
        members = raw.loc[(raw["kind"] == "group") & ~raw["party"].str.replace(":", "", regex=False).isin(kept), "party"]
        counts = members.map(lambda g: hours.get(str(g), ROUND_THE_CLOCK)).value_counts()
        out[party] = counts.index[0] if len(counts) else ROUND_THE_CLOCK
    return out


def add_calendars(sc, hours: dict[str, WorkingHours], sla: dict, priorities: list[str]) -> None:
    """A ``calendars:`` section with each set of group hours (and the SLA clock's), and the mapping's SLA."""
    cal = {wh.calendar_name: wh.calendar() for wh in hours.values() if not wh.round_the_clock}
    if sla.get("sla_hours"):
        clock = parse_hours_text(sla["sla_hours"], "sla_hours")
        why = "the mapping's sla_hours"
    else:
        texts = pd.Series([wh for wh in hours.values()], dtype=object)
        clock = texts.value_counts().index[0] if len(texts) else ROUND_THE_CLOCK
        why = "the hours most groups work" if len(texts) else "no group has set hours"
    if not clock.round_the_clock:
        cal[clock.calendar_name] = clock.calendar()
    if cal:
        sc.add("calendars", cal, "Calendars: the working hours of the groups (their `shifts` follow them) and the SLA",
               f"clock's ({clock.text}: {why}); an agreement names one with `calendar:`.")
    targets = sla.get("sla_targets")
    if not targets:
        return
    known = [p for p in priorities if p in targets] + [p for p in targets if p not in priorities]
    fraction = float(sla.get("sla_fraction", 0.9))
    sc.add("agreements", [{"name": "SLA", "kind": "SLA", "calendar": clock.calendar_name, "targets": [
        {"name": f"{p} resolved", "metric": "resolution", "when": {"priority": p}, "threshold": targets[p],
         "fraction": fraction} for p in known]}],
        f"The SLA of the mapping (sla_targets, sla_fraction {fraction:g}); its clock runs in {clock.text}",
        f"({why}) and pauses while the customer is waited on.")
