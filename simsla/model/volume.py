"""How a stream's volume varies from day to day: busy days (a random factor per day) and a volume calendar.

A stream's profile says when in the week contacts come and its ``volume`` how
many on average.  Real days differ more than a Poisson process with one
weekly profile allows: some Mondays are twice as busy as others (an outage
elsewhere, a payroll run, the weather).  ``BusyDays`` multiplies a stream's
rate on each local day by a random factor with mean 1 — a doubly stochastic
(mixed) Poisson process, whose daily count with mean ``m`` has variance
``m + cv² m²`` instead of ``m``.

``VolumeCalendar`` is the deterministic part: months (or weeks) of the year
busier than others, growth per year, and special days (closed, a factor,
another weekday's profile, or hours of their own).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from simsla.model.calendar import DAY_NAMES, check_date
from simsla.model.units import Number, Weight, _number

#: the largest busy-day cv: a day's volume varying by more than twice its mean is no longer "a busy day"
#: (and a gamma factor with shape below 1/4 draws nearly all zeros)
MAX_BUSY_CV = 2.0
#: the largest day-to-day correlation: at 1 the factor never changes and there is nothing to draw
MAX_CORRELATION = 0.99


class BusyDays(BaseModel):
    """A random factor on a stream's rate for each local day: mean 1, coefficient of variation ``cv``.

    ``distribution`` is the factor's law (gamma, the conjugate of the Poisson,
    by default; lognormal for a heavier upper tail).  ``correlation`` is the
    lag-1 autocorrelation of the day-to-day process: the log factor is an
    AR(1) process for a lognormal factor; for a gamma factor the AR(1) runs
    on its normal scores (a Gaussian copula, so the factor stays exactly gamma).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    cv: Number = Field(ge=0, le=MAX_BUSY_CV, description="coefficient of variation of the daily factor (0: Poisson)")
    distribution: Literal["gamma", "lognormal"] = Field("gamma", description="the factor's distribution")
    correlation: Number = Field(0.0, ge=0, le=MAX_CORRELATION,
                                description="lag-1 autocorrelation across days (AR(1) on the log factor)")

    @property
    def active(self) -> bool:
        """Whether the factor varies at all (cv 0 is a plain Poisson process)."""
        return self.cv > 0


# ------------------------------------------------------------------ the volume calendar
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")


def month_index(name: str) -> int:
    """0 for ``jan``/``january`` … 11 for ``dec``/``december``; ``ValueError`` otherwise."""
    key = name.strip().lower() if isinstance(name, str) else ""
    for table in (MONTHS, _MONTH_NAMES):
        if key in table:
            return table.index(key)
    raise ValueError(f"months: {name!r} is not a month; write jan … dec (or january … december)")
#: growth per year: from -99 % (volume all but gone in a year) to +1000 % (eleven-fold)
MIN_TREND, MAX_TREND = -0.99, 10.0
#: a factor on a stream's volume: 0 (nothing) or between a millionth and a thousandfold of it
MIN_FACTOR, MAX_FACTOR = 1e-6, 1e3


def _factor(value: float) -> float:
    if value < 0:
        raise ValueError(f"a factor on the volume must not be negative, found {value!r}")
    if value > MAX_FACTOR or 0 < value < MIN_FACTOR:
        raise ValueError(f"a factor on the volume is 0 or lies between {MIN_FACTOR:g} and {MAX_FACTOR:g} "
                         f"(times the stream's volume), found {value!r}")
    return value


#: a factor on the volume (months, weeks, special days): 0, or within [MIN_FACTOR, MAX_FACTOR]
Factor = Annotated[float, BeforeValidator(_number), AfterValidator(_factor)]


def _percent(value: Any) -> Any:
    """``8%`` -> 0.08; numbers pass through (booleans are refused by ``Number``)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100.0
        except ValueError:
            raise ValueError(f"expected a growth per year such as 0.08 or 8%, got {value!r}") from None
    return value


Growth = Annotated[float, BeforeValidator(_percent), BeforeValidator(_number)]


class SpecialDay(BaseModel):
    """A date (or every public holiday of a calendar) whose demand differs from its weekday's.

    What the day does: ``closed`` (no contacts at all), ``factor`` (its own
    weekday's volume times this), ``as`` (the profile and volume of another
    weekday, e.g. ``sunday`` — what ``holidays: CALENDAR`` on a stream does),
    ``hours`` (its own volume, times ``factor``, spread over 24 hourly weights).
    ``as`` and ``hours`` may carry a ``factor`` too.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    date: dt.date | None = Field(None, description="the local date")
    holidays: str | None = Field(None, description="a calendar: every public holiday it has (instead of a date)")
    closed: bool = Field(False, description="nothing arrives on this day")
    factor: Factor | None = Field(None, description="times the day's volume (default 1)")
    as_day: str | None = Field(None, alias="as", description="take the profile of this weekday (mon … sun, or sunday)")
    hours: tuple[Weight, ...] | None = Field(None, description="24 hourly weights: how the day's volume spreads")

    @model_validator(mode="after")
    def _one_meaning(self) -> "SpecialDay":
        if (self.date is None) == (self.holidays is None):
            raise ValueError("a special day names either a date or a holiday calendar (`holidays: CALENDAR`), exactly one")
        if self.date is not None:
            check_date(self.date, "date")
        if self.closed and (self.factor is not None or self.as_day is not None or self.hours is not None):
            raise ValueError("a closed day has no factor, `as` or hours: leave them out, or drop `closed`")
        if not self.closed and self.factor is None and self.as_day is None and self.hours is None:
            raise ValueError("say what the day does: closed: true, factor: 0.5, as: sunday, or hours: [24 weights]")
        if self.as_day is not None and self.hours is not None:
            raise ValueError("give either `as` (another weekday's profile) or `hours`, not both")
        if self.as_day is not None:
            self.weekday  # noqa: B018 - validates the name
        if self.hours is not None:
            if len(self.hours) != 24:
                raise ValueError(f"hours needs 24 weights (hour 0 to 23), got {len(self.hours)}")
            if any(w < 0 for w in self.hours):
                raise ValueError("hours weights must not be negative")
            if sum(self.hours) <= 0:
                raise ValueError("hours has no positive weight: write closed: true for a day without contacts")
        return self

    @property
    def weekday(self) -> int | None:
        """The weekday whose profile the day takes (0 = Monday), if ``as`` is given."""
        if self.as_day is None:
            return None
        name = self.as_day.strip().lower()
        name = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
                "saturday": "sat", "sunday": "sun"}.get(name, name)
        if name not in DAY_NAMES:
            raise ValueError(f"as: {self.as_day!r} is not a weekday; write mon … sun (or monday … sunday)")
        return DAY_NAMES.index(name)


class VolumeCalendar(BaseModel):
    """Volume through the year: month-of-year (or week-of-year) factors, a trend and special days.

    Factors multiply the stream's ``volume`` on each local day (a month not
    named keeps factor 1); the trend compounds from the scenario's start
    (``(1 + trend) ** years``).  The first special day that matches a date
    decides it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    months: dict[str, Factor] | None = Field(None, description="month (jan … dec) -> factor on the volume")
    weeks: dict[int, Factor] | None = Field(None, description="ISO week of the year (1 … 53) -> factor on the volume")
    trend: Growth = Field(0.0, ge=MIN_TREND, le=MAX_TREND, description="growth per year, e.g. 0.08 or 8%")
    special_days: tuple[SpecialDay, ...] = Field((), description="dates or holidays with their own demand")

    @model_validator(mode="after")
    def _factors(self) -> "VolumeCalendar":
        if self.months is not None and self.weeks is not None:
            raise ValueError("give month-of-year or week-of-year factors, not both")
        seen: dict[int, str] = {}
        for month in self.months or {}:
            i = month_index(month)
            if i in seen:
                raise ValueError(f"months: {seen[i]!r} and {month!r} are the same month; name it once")
            seen[i] = month
        for week in self.weeks or {}:
            if isinstance(week, bool) or not 1 <= week <= 53:
                raise ValueError(f"weeks: {week!r} is not an ISO week of the year (1 … 53)")
        return self

    def month_factors(self) -> list[float]:
        """12 factors, January first (1 where a month is not named)."""
        out = [1.0] * 12
        for month, factor in (self.months or {}).items():
            out[month_index(month)] = factor
        return out
