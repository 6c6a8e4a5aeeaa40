"""Durations and rates as people write them.

Scenario files say ``20s``, ``6m``, ``1h30m``, ``3d`` for durations and
``400/day``, ``20/h``, ``0.2/s`` for rates.  Internally everything is seconds
(durations) and events per second (rates); these parsers are the only place
that knows the written forms, so error messages about units come from one spot.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer

#: seconds per unit; the keys are the accepted spellings.
UNIT_SECONDS: dict[str, float] = {
    "s": 1.0,
    "sec": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 7 * 86400.0,
}
#: denominators accepted in rates (``/h``, ``/hour``, …).
RATE_UNITS: dict[str, float] = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "w": 7 * 86400.0,
    "week": 7 * 86400.0,
}

_NUMBER = r"\d+(?:\.\d+)?(?:e[+-]?\d+)?"
_PART = re.compile(rf"({_NUMBER})(s|sec|min|m|h|d|w)")
_DURATION = re.compile(rf"^(?:{_NUMBER}(?:s|sec|min|m|h|d|w))+$")
_RATE = re.compile(r"^(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*/\s*([a-z]+)$")

DURATION_HINT = "a duration such as 20s, 6m, 5h, 1h30m, 3d or 2w (or a number of seconds)"
RATE_HINT = "a rate such as 400/day, 20/h, 150/week or 0.2/s"


def _finite_nonneg(value: float, what: str, hint: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value!r}; expected {hint}")
    if value < 0:
        raise ValueError(f"{what} must not be negative, got {value!r}; expected {hint}")
    return float(value)


def parse_duration(value: Any) -> float:
    """Return a duration in seconds.

    Accepts a non-negative number (seconds) or a string of number-unit parts
    (``"1h30m"``).  Raises ``ValueError`` naming the accepted forms otherwise.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected {DURATION_HINT}, got {value!r}")
    if isinstance(value, (int, float)):
        return _finite_nonneg(float(value), "a duration", DURATION_HINT)
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if _DURATION.match(text):
            total = sum(float(n) * UNIT_SECONDS[u] for n, u in _PART.findall(text))
            return _finite_nonneg(total, "a duration", DURATION_HINT)
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"expected {DURATION_HINT}, got {value!r}") from None
        return _finite_nonneg(number, "a duration", DURATION_HINT)
    raise ValueError(f"expected {DURATION_HINT}, got {value!r}")


def parse_rate(value: Any) -> float:
    """Return a rate in events per second from ``"400/day"``-style text."""
    if isinstance(value, str):
        match = _RATE.match(value.strip().lower())
        if match:
            number, unit = match.groups()
            unit = unit.rstrip("s") if unit not in RATE_UNITS and unit.endswith("s") else unit
            if unit in RATE_UNITS:
                return _finite_nonneg(float(number) / RATE_UNITS[unit], "a rate", RATE_HINT)
    raise ValueError(f"expected {RATE_HINT}, got {value!r}")


def format_duration(seconds: float) -> str:
    """The shortest readable form of a duration, for messages and reports."""
    if seconds is None or not math.isfinite(seconds):
        return str(seconds)
    if abs(seconds) >= 1e15:  # beyond any scenario's range: exact, not thirty digits of days
        return f"{seconds!r}s"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size and abs(seconds / size - round(seconds / size)) < 1e-9:
            return f"{round(seconds / size)}{unit}"
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{seconds!r}s"  # exact, so that a saved scenario reads back identically


def _number(value: Any) -> Any:
    """A plain number: not a boolean (YAML reads yes/no/on/off as true/false), not NaN or infinite."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, found {str(value).lower()} (YAML reads yes/no/true/false/on/off "
                         "as true or false): write the number, e.g. 1 or 0.5")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected a finite number, found {value!r}")
    return value


#: a number field: YAML booleans, NaN and infinities are refused (pydantic would read true as 1.0).
Number = Annotated[float, BeforeValidator(_number)]
#: a probability: a number between 0 and 1.
Probability = Annotated[float, BeforeValidator(_number), Field(ge=0, le=1)]

#: a duration field: written as text, held as seconds.
Duration = Annotated[float, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)]
#: a rate field: written as text, held as events per second.
Rate = Annotated[float, BeforeValidator(parse_rate), PlainSerializer(lambda v: f"{v!r}/s", return_type=str)]
