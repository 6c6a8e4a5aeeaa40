"""simsla: will the service levels on the table hold?  Simulate the desk and see.

Quick use::

    import simsla
    scenario = simsla.load_scenario("scenarios/municipal-it-desk.yaml")
    results = simsla.simulate(scenario, replications=20, seed=1)
    results.tickets.head()

The names below are imported on first use, so that ``import simsla.engine``
(the bare simulator) does not pay for pandas and scipy.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Results": "simsla.experiment.results",
    "simulate": "simsla.experiment.runner",
    "evaluate": "simsla.analysis.attainment",
    "ScenarioError": "simsla.io",
    "load_scenario": "simsla.io",
    "Scenario": "simsla.model",
}
__all__ = [*sorted(_LAZY), "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simsla' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
