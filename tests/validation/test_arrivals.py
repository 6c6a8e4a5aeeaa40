"""Time-varying arrivals: a non-homogeneous Poisson process from an hour-of-week profile.

Counts of arrivals per cell (hour of the week, or each real hour of the run)
pooled over replications are independent Poisson variables with means
``volume * weight * 3600 * replications`` (weights normalised to mean 1 over
the week), so ``sum (O - E)^2 / E`` is chi-square with one degree of freedom
per cell.  The right profile must pass (p > 0.001); a slightly wrong one
(the peak one hour late, the weekend a bit busier, or DST ignored) must be
rejected, which shows the test has the power to fail.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from simsla.engine.arrivals import hour_of_week_weights
from simsla.model import Profile

from .conftest import desk, exponential, record_p, run, scenario

HOURS = [0.2, 0.15, 0.1, 0.1, 0.1, 0.15, 0.3, 0.8, 1.6, 2.2, 2.0, 1.7,
         1.2, 1.6, 1.9, 1.6, 1.2, 0.8, 0.5, 0.4, 0.35, 0.3, 0.3, 0.25]
DAYS = {"mon-fri": 1.0, "sat,sun": 0.2}
VOLUME = 30 / 3600  # per second, averaged over the week
REPS = 8
FAST_DESK = desk(40, exponential(10))  # lets every contact through at once: only arrivals matter


def _weights(days=DAYS, hours=HOURS) -> np.ndarray:
    return hour_of_week_weights(Profile(days=days, hours=tuple(hours)))


def chi2_p(observed: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """Chi-square statistic and p-value of independent Poisson counts."""
    assert expected.min() >= 5, "cells too small for the chi-square approximation"
    stat = float(((observed - expected) ** 2 / expected).sum())
    return stat, float(stats.chi2.sf(stat, len(observed)))


def test_own_weights_follow_days_times_hours() -> None:
    """The oracle itself: weight = day weight * hour weight, normalised to mean 1."""
    w = _weights()
    raw = np.outer([1.0] * 5 + [0.2] * 2, HOURS).ravel()
    assert np.allclose(w, raw / raw.mean())


def test_hour_of_week_counts_match_profile() -> None:
    weeks = 6
    sc = scenario(rate=f"{VOLUME!r}/s", channel="portal", horizon=f"{weeks}w", warmup=0,
                  stream={"profile": {"days": DAYS, "hours": HOURS}}, groups=[FAST_DESK])
    res = run(sc, REPS, seed=61)
    how = (res.tickets["arrival"] // 3600).astype(int) % 168  # UTC, start on a Monday
    observed = np.bincount(how, minlength=168).astype(float)
    exposure = VOLUME * 3600 * weeks * REPS

    # (Profile computed independently of the engine's helper, straight from the spec.)
    raw = np.outer([1.0] * 5 + [0.2] * 2, HOURS).ravel()
    expected = exposure * raw / raw.mean()
    stat, p = chi2_p(observed, expected)
    record_p("NHPP hour-of-week chi2 (168 cells), right profile", p, "> 0.001")
    assert p > 0.001, f"arrival counts do not follow the profile: chi2={stat:.1f} on 168 cells, p={p:.2g}"
    # total count: Poisson with the week's volume
    assert abs(observed.sum() - expected.sum()) < 4 * np.sqrt(expected.sum())

    wrong = {
        "peak one hour late": exposure * _weights(hours=np.roll(HOURS, 1)),
        "weekend 0.25 not 0.2": exposure * _weights(days={"mon-fri": 1.0, "sat,sun": 0.25}),
        "flat": np.full(168, exposure),
    }
    for name, exp in wrong.items():
        stat, p = chi2_p(observed, exp)
        record_p(f"NHPP hour-of-week chi2, wrong profile: {name}", p, "< 1e-6")
        assert p < 1e-6, f"a wrong profile ({name}) was not rejected: chi2={stat:.1f}, p={p:.2g}"


def test_profile_is_local_time_across_dst() -> None:
    """Europe/Stockholm, spring 2026 (clocks jump 02:00 -> 03:00 on Sunday 29 March).

    The profile is local wall-clock time, so every real hour of the run has the
    weight of the local hour it falls in.  Cells are the real hours of the run.
    """
    weeks = 3
    sc = scenario(rate=f"{VOLUME!r}/s", channel="portal", horizon=f"{weeks}w", warmup=0, start="2026-03-16",
                  timezone="Europe/Stockholm", stream={"profile": {"days": DAYS, "hours": HOURS}},
                  groups=[FAST_DESK])
    res = run(sc, REPS, seed=62)
    n_hours = weeks * 168
    observed = np.bincount((res.tickets["arrival"] // 3600).astype(int), minlength=n_hours).astype(float)
    assert len(observed) == n_hours
    # local hour of week of each real hour's start
    starts = pd.Timestamp(sc.origin) + pd.to_timedelta(np.arange(n_hours) * 3600.0, unit="s")
    local = pd.DatetimeIndex(starts).tz_convert("Europe/Stockholm")
    assert (local.hour == 3).sum() - (local.hour == 2).sum() == 1  # the skipped hour is in the run
    w = _weights()
    exposure = VOLUME * 3600 * REPS
    expected = exposure * w[local.day_of_week * 24 + local.hour]
    stat, p = chi2_p(observed, expected)
    record_p("NHPP real-hour chi2 across DST (504 cells), local profile", p, "> 0.001")
    assert p > 0.001, f"arrivals across DST do not follow the local profile: chi2={stat:.1f}, p={p:.2g}"
    # ignoring DST (profile in fixed UTC+1 for the whole run) must be rejected
    fixed = pd.DatetimeIndex(starts).tz_convert("Etc/GMT-1")
    stat, p = chi2_p(observed, exposure * w[fixed.day_of_week * 24 + fixed.hour])
    record_p("NHPP real-hour chi2, wrong: DST ignored (UTC+1)", p, "< 1e-6")
    assert p < 1e-6, f"ignoring DST was not rejected: chi2={stat:.1f}, p={p:.2g}"
