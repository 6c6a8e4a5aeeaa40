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

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

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

#: the largest rate, events per second (3.6 billion an hour): far beyond any desk, it keeps rate x
#: weight x horizon finite; how much work a scenario makes is checked before simulating
MAX_RATE = 1e6
#: weights are relative: 0 (never) or between MIN_WEIGHT and MAX_WEIGHT, so that sums and ratios of
#: a few hundred of them neither overflow nor fall into subnormal numbers, and normalising is exact
MIN_WEIGHT, MAX_WEIGHT = 1e-9, 1e9

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
                rate = _finite_nonneg(float(number) / RATE_UNITS[unit], "a rate", RATE_HINT)
                if rate > MAX_RATE:
                    raise ValueError(f"the rate {value!r} is more than {MAX_RATE:g}/s (3.6 billion an hour), "
                                     "the largest rate a scenario may have")
                return rate
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


def _weight(value: float) -> float:
    """A relative weight: 0, or between MIN_WEIGHT and MAX_WEIGHT (negative ones are refused where the sum is checked)."""
    if value > MAX_WEIGHT or 0 < value < MIN_WEIGHT:
        raise ValueError(f"a weight is 0 or lies between {MIN_WEIGHT:g} and {MAX_WEIGHT:g}, found {value!r}; weights "
                         "are relative (only their ratios count), so scale them all by the same factor")
    return value


#: a number field: YAML booleans, NaN and infinities are refused (pydantic would read true as 1.0).
Number = Annotated[float, BeforeValidator(_number)]
#: a relative weight (arrival profiles, demand mixes): 0 or within [MIN_WEIGHT, MAX_WEIGHT].
Weight = Annotated[float, BeforeValidator(_number), AfterValidator(_weight)]
#: a probability: a number between 0 and 1.
Probability = Annotated[float, BeforeValidator(_number), Field(ge=0, le=1)]

#: a duration field: written as text, held as seconds.
Duration = Annotated[float, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)]
#: a rate field: written as text, held as events per second.
Rate = Annotated[float, BeforeValidator(parse_rate), PlainSerializer(lambda v: f"{v!r}/s", return_type=str)]
