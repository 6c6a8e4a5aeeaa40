"""How a stream's volume varies from day to day: busy days (a random factor per day).

A stream's profile says when in the week contacts come and its ``volume`` how
many on average.  Real days differ more than a Poisson process with one
weekly profile allows: some Mondays are twice as busy as others (an outage
elsewhere, a payroll run, the weather).  ``BusyDays`` multiplies a stream's
rate on each local day by a random factor with mean 1 — a doubly stochastic
(mixed) Poisson process, whose daily count with mean ``m`` has variance
``m + cv² m²`` instead of ``m``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simsla.model.units import Number

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
