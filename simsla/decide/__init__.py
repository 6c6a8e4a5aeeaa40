"""Decisions on top of simulation results: Erlang calculators, staffing search, frontiers, sweeps.

* :mod:`.erlang` -- ``erlang`` (the ``simsla erlang`` calculator),
  ``desk_requirement`` (agents needed per interval of the week) and
  ``week_requirement`` (``erlang --scenario``: the phone line's requirement for
  the scenario's answer-time targets against the shifts).
* :mod:`.staffing` -- ``find_staffing``: least-cost staffing meeting SLA/OLA targets.
* :mod:`.frontier` -- ``frontier``: which (threshold, fraction) pairs one set of results defends.
* :mod:`.sweep` -- ``sweep``: what-ifs over scenario fields with common random numbers.
* :mod:`.executors` -- ``make_executor``: serial, local processes or a Dask cluster.

Names are imported lazily, so ``import simsla.decide`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "ErlangReport": "erlang",
    "erlang": "erlang",
    "desk_requirement": "erlang",
    "WeekRequirement": "erlang",
    "week_requirement": "erlang",
    "answer_targets": "erlang",
    "choose_targets": "erlang",
    "Frontier": "frontier",
    "frontier": "frontier",
    "StaffingResult": "staffing",
    "find_staffing": "staffing",
    "SweepResult": "sweep",
    "sweep": "sweep",
    "apply_changes": "sweep",
    "parse_path": "sweep",
    "make_executor": "executors",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"simsla.decide.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'simsla.decide' has no attribute {name!r}")
