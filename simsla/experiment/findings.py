"""The gate's two kinds of finding: a :class:`Refusal` stops a run, a :class:`Caution` warns about it.

Both are plain records that :func:`simsla.experiment.gate.preflight` collects
from its checks (:mod:`simsla.experiment.resources`,
:mod:`simsla.experiment.cautions` and the gate's own refusals) and that
``simsla validate`` and ``simsla run`` print one a line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """A reason not to simulate (exit 3): ``kind`` is overload, resources, routing, outages or closed."""

    kind: str
    message: str
    forceable: bool = False

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Caution:
    """A named warning about a party, stream or target (``subject``)."""

    kind: str
    subject: str
    message: str

    def __str__(self) -> str:
        return self.message
