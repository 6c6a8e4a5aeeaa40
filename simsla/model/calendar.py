"""Weekly opening hours, holidays and shift blocks, as data.

Written the way rosters are written::

    hours:
      mon-fri: 08:00-17:00
      sat: 09:00-12:00, 13:00-15:00

Times are local wall-clock times in the scenario's time zone; turning them into
engine seconds (with daylight-saving changes) is ``simsla.timebase``'s job.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    "all": tuple(range(7)),
    "daily": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "weekend": (5, 6),
}
DAYS_HINT = "days such as mon-fri, sat, mon,wed,fri, weekdays, weekend or all"
HOURS_HINT = "opening hours such as 08:00-17:00, 08:00-12:00, 13:00-17:00, 22:00-06:00 or 24h"
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
#: the dates a scenario may use: time-zone rules and the `holidays` package's public holidays are
#: known for them (its tables end in 2100), and every engine instant, from the day before the start
#: on, has a positive POSIX time in every zone
FIRST_DATE, LAST_DATE = dt.date(1971, 1, 1), dt.date(2100, 12, 31)
DATE_RANGE_TEXT = f"between {FIRST_DATE} and {LAST_DATE}"
#: the most people on duty in one group at one instant (a shift block, constant staff or overlapping blocks)
MAX_STAFF = 10_000


def check_date(value: dt.date, what: str) -> dt.date:
    """``value`` if it lies in [FIRST_DATE, LAST_DATE], else a ``ValueError`` naming the range."""
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"{what} {value} is outside the dates simsla can simulate: dates lie {DATE_RANGE_TEXT} "
                         "(time zones and public holidays are known for them)")
    return value


def parse_days(text: Any) -> tuple[int, ...]:
    """Weekday numbers (0 = Monday) from ``"mon-fri"``, ``"sat,sun"``, ``"all"``."""
    if not isinstance(text, str):
        raise ValueError(f"expected {DAYS_HINT}, got {text!r}")
    days: list[int] = []
    for part in text.lower().replace(" ", "").split(","):
        if part in _DAY_ALIASES:
            days.extend(_DAY_ALIASES[part])
            continue
        ends = part.split("-")
        if len(ends) == 1 and part in DAY_NAMES:
            days.append(DAY_NAMES.index(part))
        elif len(ends) == 2 and all(e in DAY_NAMES for e in ends):
            a, b = (DAY_NAMES.index(e) for e in ends)
            days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        else:
            raise ValueError(f"expected {DAYS_HINT}, got {text!r}")
    return tuple(sorted(set(days)))


def parse_clock(text: str) -> float:
    """Seconds after midnight for ``"08:30"``; ``"24:00"`` is the end of the day."""
    match = _CLOCK.match(text.strip())
    if not match:
        raise ValueError(f"expected a time of day like 08:30, got {text!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{text!r} is not a time of day (00:00 to 24:00)")
    return hours * 3600.0 + minutes * 60.0


def parse_hours(text: Any) -> tuple[tuple[float, float], ...]:
    """Opening windows as (start, end) seconds after midnight.

    ``end`` may exceed 86400 for a window that runs past midnight
    (``22:00-06:00`` becomes (79200, 108000)).
    """
    if isinstance(text, (list, tuple)):
        parts = [str(p) for p in text]
    elif isinstance(text, str):
        parts = text.split(",")
    else:
        raise ValueError(f"expected {HOURS_HINT}, got {text!r}")
    windows = []
    for part in parts:
        part = part.strip().lower()
        if part in ("24h", "00:00-24:00", "0:00-24:00"):
            windows.append((0.0, 86400.0))
            continue
        if part.count("-") != 1:
            raise ValueError(f"expected {HOURS_HINT}, got {text!r}")
        try:
            start, end = (parse_clock(p) for p in part.split("-"))
        except ValueError as exc:
            raise ValueError(f"{exc} in the window {part!r}; expected {HOURS_HINT}") from None
        if start >= 86400.0:
            # a window belongs to the day it opens on, so it opens before that day ends (as the clock requires)
            raise ValueError(f"the window {part!r} opens at the end of the day; a window opens before 24:00 "
                             "(for the hours after midnight write 00:00-… on the next day)")
        if end == start:
            raise ValueError(f"the window {part!r} is empty")
        windows.append((start, end if end > start else end + 86400.0))
    windows.sort()
    for (a0, a1), (b0, _) in zip(windows, windows[1:]):
        if b0 < a1:
            raise ValueError(f"the windows in {text!r} overlap")
    return tuple(windows)


@functools.lru_cache(maxsize=1)
def _holiday_countries() -> dict[str, list[str]]:
    """ISO code -> subdivision codes known to the ``holidays`` package (imported only when a calendar names a country)."""
    import holidays

    return {code: list(subdivisions) for code, subdivisions in holidays.list_supported_countries().items()}


@functools.lru_cache(maxsize=None)
def holiday_years(country: str) -> tuple[int, int]:
    """(first, last) year for which the ``holidays`` package knows ``country``'s public holidays."""
    import holidays

    table = holidays.country_holidays(country.strip().upper())
    return int(table.start_year), int(table.end_year)


class Calendar(BaseModel):
    """Support hours: when a clock runs or a team works.

    ``hours`` maps day specs to opening windows; days not named are closed.
    Holidays (explicit dates, or a country's public holidays through the
    ``holidays`` package) are closed all day.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    hours: dict[str, str | list[str]] = Field(description="day spec -> opening windows, e.g. {mon-fri: 08:00-17:00}")
    holidays: tuple[dt.date, ...] = Field((), description="dates closed all day")
    holiday_country: str | None = Field(None, description="ISO country code whose public holidays are closed, e.g. SE")
    holiday_subdivision: str | None = Field(None, description="state/province code for holiday_country")

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, Any]) -> dict[str, Any]:
        seen: dict[int, str] = {}
        for days, hours in value.items():
            for day in parse_days(days):
                if day in seen:
                    raise ValueError(f"{DAY_NAMES[day]} is given twice (in {seen[day]!r} and {days!r})")
                seen[day] = days
            parse_hours(hours)
        return value

    @field_validator("holidays")
    @classmethod
    def _holiday_dates(cls, value: tuple[dt.date, ...]) -> tuple[dt.date, ...]:
        for day in value:
            check_date(day, "the holiday")
        return value

    @model_validator(mode="after")
    def _country(self) -> "Calendar":
        if self.holiday_subdivision is not None and self.holiday_country is None:
            raise ValueError("holiday_subdivision needs holiday_country (e.g. holiday_country: DE, holiday_subdivision: BY)")
        if self.holiday_country is not None:
            supported = _holiday_countries()
            code = self.holiday_country.strip().upper()
            if code not in supported:
                near = difflib.get_close_matches(code, list(supported), n=3)
                hint = f"; did you mean {' or '.join(near)}?" if near else ""
                raise ValueError(f"holiday_country {self.holiday_country!r} is not a country the `holidays` package knows; "
                                 f"use an ISO 3166 code such as SE, DE, GB or US{hint}")
            subdivisions = supported[code]
            if self.holiday_subdivision is not None and self.holiday_subdivision not in subdivisions:
                known = ", ".join(subdivisions[:30]) + (" …" if len(subdivisions) > 30 else "") if subdivisions else "none"
                raise ValueError(f"holiday_subdivision {self.holiday_subdivision!r} is not a subdivision of {code} "
                                 f"(known: {known})")
        return self

    @model_validator(mode="after")
    def _open_at_all(self) -> "Calendar":
        if not any(self.weekly().values()):
            raise ValueError("this calendar has no open hours at all; give hours such as {mon-fri: 08:00-17:00}")
        return self

    def weekly(self) -> dict[int, tuple[tuple[float, float], ...]]:
        """Weekday (0 = Monday) -> opening windows in seconds after midnight."""
        out: dict[int, tuple[tuple[float, float], ...]] = {d: () for d in range(7)}
        for days, hours in self.hours.items():
            for day in parse_days(days):
                out[day] = parse_hours(hours)
        return out

    @property
    def is_always_open(self) -> bool:
        """True for a 24/7 calendar without holidays."""
        full = all(w == ((0.0, 86400.0),) for w in self.weekly().values())
        return full and not self.holidays and not self.holiday_country


ALWAYS = Calendar(hours={"all": "24h"})


class WeeklyWindow(BaseModel):
    """Days of the week and hours of the day, as rosters write them (``mon-fri``, ``08:00-17:00``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: str = Field(description=DAYS_HINT)
    hours: str = Field(description=HOURS_HINT)

    @field_validator("days")
    @classmethod
    def _days(cls, value: str) -> str:
        parse_days(value)
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_hours(value)
        return value

    def windows(self) -> list[tuple[int, float, float]]:
        """(weekday, start, end) seconds after that day's midnight; ``end`` may pass 86400."""
        return [(day, start, end) for day in parse_days(self.days) for start, end in parse_hours(self.hours)]


class Shift(WeeklyWindow):
    """A shift block: ``staff`` people on the given days and hours.

    Staff at an instant is the sum over the blocks that cover it.
    """

    name: str | None = Field(None, description="label for the block in staffing tables, e.g. 'early'")
    staff: int = Field(ge=0, le=MAX_STAFF, strict=True, description="people on duty in this block")
    agents: str | None = Field(None, description="in a group with agent groups: the agent group this block staffs")

    @property
    def label(self) -> str:
        """A readable name for staffing tables."""
        return self.name or f"{self.days} {self.hours}"
