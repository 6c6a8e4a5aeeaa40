"""Shift blocks -> headcount over engine time."""

from __future__ import annotations

import numpy as np

from simsla.model import Scenario
from simsla.timebase import closed_dates, step_function, weekly_intervals


def staff_steps(scenario: Scenario, g_index: int, team: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A group's headcount as a step function (times, levels) over the run (of one agent group: ``team``)."""
    g = scenario.groups[g_index]
    if g.staff is not None:
        return np.zeros(1), np.array([float(g.staff)])
    weekly: dict[int, list[tuple[float, float]]] = {d: [] for d in range(7)}
    values: dict[int, list[float]] = {d: [] for d in range(7)}
    for i, shift in enumerate(g.shifts or ()):
        if team is not None and g.team_of_block(i) != team:
            continue
        for day, start, end in shift.windows():
            weekly[day].append((start, end))
            values[day].append(float(shift.staff))
    closed: list = []
    if g.closed_on_holidays is not None:
        cal = scenario.calendar(g.closed_on_holidays)
        closed = closed_dates(cal.holidays, cal.holiday_country, cal.holiday_subdivision, scenario.origin, scenario.end)
    boxes = weekly_intervals(weekly, scenario.origin, scenario.end, closed=closed, values=values)
    if len(boxes) == 0:
        return np.zeros(1), np.zeros(1)
    return step_function(boxes, scenario.end)


def staffed_intervals(scenario: Scenario, g_index: int) -> np.ndarray:
    """(start, end) engine intervals during which a group has at least one person on duty."""
    times, levels = staff_steps(scenario, g_index)
    ends = np.append(times[1:], scenario.end)
    on = levels > 0
    return np.column_stack([times[on], ends[on]])
