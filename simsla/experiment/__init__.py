"""Replications, seeding and executors.

``Results`` and ``simulate`` are imported on first use, so that the
pre-simulation gate (``simsla.experiment.gate``, run by ``simsla validate``)
does not pay for pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"Results": "simsla.experiment.results", "simulate": "simsla.experiment.runner"}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simsla.experiment' has no attribute {name!r}")
