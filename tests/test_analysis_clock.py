"""Business-time clock: hand-computed cases and property tests against oracles."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from simsla.clock import DEFAULT_MARGIN, BusinessClock, holiday_dates

TZ = "Europe/Stockholm"
ZONE = ZoneInfo(TZ)
H = 3600.0
DAY = 86400.0
T = dt.time

WINTER = dt.datetime(2026, 1, 5, tzinfo=ZONE)  # a Monday
SPRING = dt.datetime(2026, 3, 23, tzinfo=ZONE)  # Monday; DST starts Sun 2026-03-29 02:00 -> 03:00
AUTUMN = dt.datetime(2026, 10, 19, tzinfo=ZONE)  # Monday; DST ends Sun 2026-10-25 03:00 -> 02:00

OFFICE = {d: [(T(8), T(17))] for d in range(5)}
ALL_DAY = {d: [(T(0), T(0))] for d in range(7)}


def engine(origin: dt.datetime, *args: int, fold: int = 0) -> float:
    """Engine seconds of a local wall time in Europe/Stockholm."""
    return dt.datetime(*args, tzinfo=ZONE, fold=fold).timestamp() - origin.timestamp()


def clock(weekly, origin=WINTER, horizon=28 * DAY, **kw) -> BusinessClock:
    return BusinessClock.from_weekly(weekly, tz=TZ, origin=origin, horizon=horizon, **kw)


# --------------------------------------------------------------------------- hand-computed


def test_friday_afternoon_to_monday_morning_is_two_business_hours():
    c = clock(OFFICE)
    fri_16 = engine(WINTER, 2026, 1, 9, 16)
    mon_09 = engine(WINTER, 2026, 1, 12, 9)
    assert c.elapsed(fri_16, mon_09) == pytest.approx(2 * H)
    assert c.open_seconds_between(fri_16, mon_09) == pytest.approx(2 * H)
    assert c.deadline(fri_16, 2 * H) == pytest.approx(mon_09)


def test_holiday_is_skipped():
    tue = dt.date(2026, 1, 6)  # Epiphany
    c = clock(OFFICE, holidays=[tue])
    mon_16 = engine(WINTER, 2026, 1, 5, 16)
    wed_09 = engine(WINTER, 2026, 1, 7, 9)
    assert c.elapsed(mon_16, wed_09) == pytest.approx(2 * H)
    assert not c.is_open(engine(WINTER, 2026, 1, 6, 10))
    # without the holiday Tuesday counts in full
    assert clock(OFFICE).elapsed(mon_16, wed_09) == pytest.approx(11 * H)


def test_deadline_sides_at_a_closing_edge():
    c = clock(OFFICE, holidays=[dt.date(2026, 1, 6)])
    mon_08 = engine(WINTER, 2026, 1, 5, 8)
    # 9 business hours from Monday 08:00 run out at Monday 17:00 exactly
    assert c.deadline(mon_08, 9 * H, side="left") == pytest.approx(engine(WINTER, 2026, 1, 5, 17))
    # the latest instant still within budget is the next opening (Tuesday is a holiday)
    assert c.deadline(mon_08, 9 * H) == pytest.approx(engine(WINTER, 2026, 1, 7, 8))
    # zero budget in closed time: right -> next opening, left -> start itself
    sat = engine(WINTER, 2026, 1, 10, 12)
    assert c.deadline(sat, 0.0) == pytest.approx(engine(WINTER, 2026, 1, 12, 8))
    assert c.deadline(sat, 0.0, side="left") == pytest.approx(sat)


def test_lunch_break_two_windows_a_day():
    c = clock({d: [(T(8), T(12)), (T(13), T(17))] for d in range(5)})
    at = lambda h, m=0: engine(WINTER, 2026, 1, 7, h, m)  # noqa: E731
    assert c.elapsed(at(11), at(14)) == pytest.approx(2 * H)
    assert c.elapsed(at(12, 15), at(12, 45)) == 0.0
    assert list(c.is_open(np.array([at(11, 59), at(12), at(12, 30), at(13)]))) == [True, False, False, True]
    assert c.deadline(at(11), 1 * H) == pytest.approx(at(13))
    assert c.deadline(at(11), 1 * H, side="left") == pytest.approx(at(12))
    assert c.deadline(at(11), 2 * H) == pytest.approx(at(14))
    assert c.elapsed(at(0), at(23, 59)) == pytest.approx(8 * H)


def test_24_7_day_lengths_across_dst():
    for weekly in (ALL_DAY, None):
        for origin, day, hours in ((SPRING, 29, 23), (AUTUMN, 25, 25)):
            month = origin.month
            if weekly is None:
                c = BusinessClock.always(origin=origin, horizon=14 * DAY)
            else:
                c = clock(weekly, origin=origin, horizon=14 * DAY)
            start = engine(origin, 2026, month, day)
            end = engine(origin, 2026, month, day + 1)
            assert end - start == hours * H
            assert c.elapsed(start, end) == pytest.approx(hours * H)
    # a 24/7 calendar built from weekly hours is the identity map
    c = clock(ALL_DAY, origin=SPRING, horizon=14 * DAY)
    t = np.linspace(0, 14 * DAY, 1001)
    np.testing.assert_allclose(c.business_time(t), t)
    assert c.is_always_open
    assert c.open_intervals().shape == (1, 2)


def test_office_hours_on_dst_days():
    # Monday after spring-forward: 08:00-17:00 is still 9 real hours
    c = clock(OFFICE, origin=SPRING)
    mon = (2026, 3, 30)
    assert c.elapsed(engine(SPRING, *mon, 0), engine(SPRING, *mon, 23)) == pytest.approx(9 * H)
    assert c.deadline(engine(SPRING, 2026, 3, 27, 16), 2 * H) == pytest.approx(engine(SPRING, *mon, 9))
    assert c.is_open(engine(SPRING, *mon, 8)) and not c.is_open(engine(SPRING, *mon, 7, 59))

    # windows covering the switch itself (open on Sundays 00:00-06:00)
    night = {6: [(T(0), T(6))]}
    spring = clock(night, origin=SPRING)
    assert spring.elapsed(engine(SPRING, 2026, 3, 29), engine(SPRING, 2026, 3, 29, 12)) == pytest.approx(5 * H)
    autumn = clock(night, origin=AUTUMN)
    assert autumn.elapsed(engine(AUTUMN, 2026, 10, 25), engine(AUTUMN, 2026, 10, 25, 12)) == pytest.approx(7 * H)
    # deadline counts real hours: 4 business hours from Sunday 00:00 end at 05:00 in spring
    assert spring.deadline(engine(SPRING, 2026, 3, 29), 4 * H) == pytest.approx(engine(SPRING, 2026, 3, 29, 5))
    assert autumn.deadline(engine(AUTUMN, 2026, 10, 25), 4 * H) == pytest.approx(engine(AUTUMN, 2026, 10, 25, 3))


def test_nonexistent_and_ambiguous_window_edges():
    # 02:30 does not exist on 2026-03-29: the window opens when the clock jumps (03:00)
    c = clock({6: [(T(2, 30), T(4))]}, origin=SPRING)
    iv = c.open_intervals()
    assert iv[0, 0] == pytest.approx(engine(SPRING, 2026, 3, 29, 3))
    assert iv[0, 1] - iv[0, 0] == pytest.approx(1 * H)
    # 02:30 happens twice on 2026-10-25: the window opens at the first one
    c = clock({6: [(T(2, 30), T(4))]}, origin=AUTUMN)
    iv = c.open_intervals()
    assert iv[0, 0] == pytest.approx(engine(AUTUMN, 2026, 10, 25, 2, 30, fold=0))
    assert iv[0, 1] - iv[0, 0] == pytest.approx(2.5 * H)


def test_midnight_close_and_overnight_windows():
    c = clock({0: [(T(20), T(0))], 1: [(T(0), T(6))]})
    # Monday 20:00-24:00 and Tuesday 00:00-06:00 merge into one interval
    iv = c.open_intervals()
    assert iv[0, 0] == pytest.approx(20 * H) and iv[0, 1] == pytest.approx(30 * H)
    overnight = clock({0: [(T(22), T(6))]})
    assert overnight.elapsed(0, 2 * DAY) == pytest.approx(8 * H)
    # numeric seconds after midnight, as simsla.model.calendar.Calendar.weekly() gives them
    numeric = clock({0: [(22 * H, 30 * H)], 2: [(8 * H, 17 * H)]})
    assert numeric.elapsed(0, 3 * DAY) == pytest.approx(17 * H)
    # a holiday removes the windows opening on it, not an overnight window opening the day before
    held = clock({0: [(T(22), T(6))], 1: [(T(22), T(6))]}, holidays=[dt.date(2026, 1, 6)])
    assert held.elapsed(0, 3 * DAY) == pytest.approx(8 * H)


def test_deadline_is_inverse_of_business_time():
    rng = np.random.default_rng(1)
    c = clock({d: [(T(7, 30), T(11, 45)), (T(12, 30), T(18))] for d in (0, 1, 2, 3, 5)}, origin=SPRING)
    start = rng.uniform(0, 28 * DAY, 5000)
    budget = rng.uniform(0, 60 * H, 5000)
    for side in ("left", "right"):
        due = c.deadline(start, budget, side=side)
        assert np.all(due >= start)
        np.testing.assert_allclose(c.business_time(due), c.business_time(start) + budget, atol=1e-6)
        np.testing.assert_allclose(c.elapsed(start, due), budget, atol=1e-6)
    left, right = c.deadline(start, budget, side="left"), c.deadline(start, budget)
    assert np.all(left <= right)
    # right side: on time iff elapsed <= budget
    end = start + rng.uniform(0, 5 * DAY, start.size)
    on_time = c.elapsed(start, end) <= budget + 1e-6
    assert np.array_equal(on_time, end <= right + 1e-6)
    # engine_time inverts business_time on open instants
    t = rng.uniform(0, 28 * DAY, 2000)
    t = t[c.is_open(t)]
    np.testing.assert_allclose(c.engine_time(c.business_time(t)), t, atol=1e-6)
    np.testing.assert_allclose(c.engine_time(c.business_time(t), side="left"), t, atol=1e-6)


def test_shapes_scalars_nan_and_inf():
    c = clock(OFFICE)
    assert isinstance(c.business_time(10 * H), np.floating)
    assert isinstance(c.is_open(10 * H), np.bool_)
    t = np.arange(12.0).reshape(3, 4) * DAY
    assert c.business_time(t).shape == (3, 4)
    assert c.is_open(t).shape == (3, 4)
    assert c.deadline(t, 1 * H).shape == (3, 4)
    out = c.elapsed(np.array([0.0, np.nan]), np.array([DAY, DAY]))
    assert out[0] == pytest.approx(9 * H) and np.isnan(out[1])
    assert not c.is_open(np.nan)
    due = c.deadline(np.array([0.0, np.nan, 0.0]), np.array([H, H, np.inf]))
    assert due[0] == pytest.approx(9 * H) and np.isnan(due[1]) and np.isinf(due[2])


def test_range_and_margin():
    horizon = 28 * DAY
    c = clock(OFFICE, horizon=horizon)
    assert c.end == horizon + DEFAULT_MARGIN
    # a ticket opened at the horizon still gets a deadline well after it
    assert c.deadline(horizon, 40 * H) > horizon
    with pytest.raises(ValueError, match="outside"):
        c.business_time(c.end + 1)
    with pytest.raises(ValueError, match="outside"):
        c.is_open(-1.0)
    with pytest.raises(ValueError, match="not reached"):
        c.deadline(horizon, 10_000 * H)
    with pytest.raises(ValueError):
        c.deadline(0.0, -1.0)
    small = clock(OFFICE, horizon=7 * DAY, margin=0)
    with pytest.raises(ValueError, match="larger horizon or margin"):
        small.deadline(4 * DAY + 16 * H, 2 * H)  # would be the Monday after the range
    a = BusinessClock.always(origin=WINTER, horizon=DAY, margin=0)
    assert a.deadline(0.0, DAY) == DAY
    assert a.tz == TZ


def test_validation_errors():
    with pytest.raises(ValueError, match="weekday"):
        clock({7: [(T(8), T(17))]})
    with pytest.raises(ValueError, match="empty"):
        clock({0: [(T(8), T(8))]})
    with pytest.raises(ValueError, match="time zone"):
        BusinessClock.from_weekly(OFFICE, tz="Mars/Olympus", origin=WINTER, horizon=DAY)
    with pytest.raises(ValueError):
        clock({0: [(8 * H, 7 * H)]})
    # a calendar that is never open: no business time, deadlines unreachable
    never = clock({})
    assert never.business_time(5 * DAY) == 0.0
    with pytest.raises(ValueError):
        never.deadline(0.0, H)


def test_naive_origin_is_local_time():
    naive = clock(OFFICE, origin=dt.datetime(2026, 1, 5))
    aware = clock(OFFICE)
    np.testing.assert_array_equal(naive.open_intervals(), aware.open_intervals())


def test_holiday_dates():
    se = holiday_dates("SE", [2026])
    assert dt.date(2026, 6, 20) in se and dt.date(2026, 12, 25) in se
    assert se == sorted(se) and all(d.year == 2026 for d in se)
    assert holiday_dates("se", range(2026, 2028))[-1].year == 2027
    assert dt.date(2026, 3, 16) not in holiday_dates("DE", [2026], subdivision="BY")
    with pytest.raises(ValueError, match="unknown holiday country"):
        holiday_dates("XX", [2026])
    with pytest.raises(ValueError, match="subdivision"):
        holiday_dates("US", [2026], subdivision="ZZ")
    # feeds straight into a clock: New Year's Day and Epiphany 2026 are closed
    c = BusinessClock.from_weekly(
        OFFICE, holidays=se, tz=TZ, origin=dt.datetime(2025, 12, 29, tzinfo=ZONE), horizon=14 * DAY
    )
    assert c.elapsed(0, 14 * DAY) == pytest.approx(8 * 9 * H)


def test_vectorised_on_a_million_times():
    c = clock(OFFICE, horizon=365 * DAY)
    t = np.random.default_rng(0).uniform(0, 365 * DAY, 1_000_000)
    b = c.business_time(t)
    assert np.all(np.diff(b[np.argsort(t)]) >= 0)


# --------------------------------------------------------------------------- property tests

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ORIGINS = (SPRING - dt.timedelta(days=7), AUTUMN - dt.timedelta(days=7))  # DST change on day 13
SPAN_DAYS = 21


def local_naive(origin: dt.datetime, t: float) -> dt.datetime:
    """Local wall time of an engine time (add in UTC: aware + timedelta adds wall time)."""
    utc = origin.astimezone(dt.timezone.utc) + dt.timedelta(seconds=t)
    return utc.astimezone(ZONE).replace(tzinfo=None)


@st.composite
def windows_from(draw, lo: int, hi: int, step: int):
    """One or two non-touching windows with edges on a ``step``-minute grid in [lo, hi] minutes."""
    grid = list(range(lo, hi + 1, step))
    two = draw(st.booleans())
    edges = sorted(draw(st.lists(st.sampled_from(grid), min_size=4 if two else 2, max_size=4 if two else 2, unique=True)))
    pairs = [(edges[0], edges[1])] + ([(edges[2], edges[3])] if two else [])
    return pairs


def as_time(minutes: int) -> dt.time:
    return T(0) if minutes == 1440 else T(minutes // 60, minutes % 60)


@st.composite
def calendars(draw, lo: int, hi: int, step: int):
    pairs = draw(windows_from(lo, hi, step))
    mask = draw(st.lists(st.booleans(), min_size=7, max_size=7).filter(any))
    origin = draw(st.sampled_from(ORIGINS))
    first = origin.date()
    holidays = draw(
        st.lists(st.integers(0, SPAN_DAYS + 30).map(lambda k: first + dt.timedelta(days=k)), max_size=6, unique=True)
    )
    return pairs, mask, origin, holidays


def build(pairs, mask, origin, holidays) -> BusinessClock:
    weekly = {d: [(as_time(a), as_time(b)) for a, b in pairs] for d in range(7) if mask[d]}
    return BusinessClock.from_weekly(weekly, holidays=holidays, tz=TZ, origin=origin, horizon=SPAN_DAYS * DAY)


# Oracle 1: pandas CustomBusinessHour, evaluated in local wall time.  Its
# hours are wall-clock hours, which equal real hours as long as no DST switch
# happens inside open time.  In Europe/Stockholm the switch happens in the
# 02:00-03:00 local hour, so the windows here lie within 03:00-23:30: open
# time never contains a switch, while the spans do cross the DST change (the
# closed night gets 1 hour shorter or longer, which converting the oracle's
# wall-clock answer back to an instant accounts for).
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cal=calendars(3 * 60, 23 * 60 + 30, 30),
    starts=st.lists(st.integers(0, SPAN_DAYS * 1440), min_size=1, max_size=5),
    hours=st.integers(1, 40),
)
def test_deadline_matches_pandas_custom_business_hour(cal, starts, hours):
    pairs, mask, origin, holidays = cal
    c = build(pairs, mask, origin, holidays)
    start = np.array(starts, dtype=float) * 60.0
    assume(np.all(c.business_time(start) + hours * H < c.total))
    offset = pd.offsets.CustomBusinessHour(
        n=hours,
        start=[f"{a // 60:02d}:{a % 60:02d}" for a, _ in pairs],
        end=[f"{b // 60:02d}:{b % 60:02d}" for _, b in pairs],
        weekmask=" ".join(d for d, m in zip(DAYS, mask) if m),
        holidays=holidays,
    )
    due = c.deadline(start, hours * H)
    for s, got in zip(start, due):
        wall = pd.Timestamp(local_naive(origin, s)) + offset
        expected = wall.to_pydatetime().replace(tzinfo=ZONE).timestamp() - origin.timestamp()
        assert got == pytest.approx(expected, abs=1e-6), (s, local_naive(origin, s), wall)
    np.testing.assert_allclose(c.elapsed(start, due), hours * H, atol=1e-6)


# Oracle 2: count open minutes one real minute at a time, classifying each
# minute by its local wall-clock time.  This is right across DST by
# construction (the lost hour has no minutes, the repeated hour has its
# minutes twice), so here windows may cover 02:00-03:00 and may close at
# 24:00.  Window edges are whole hours, so no edge falls strictly inside the
# skipped or repeated hour (where "the wall time 02:30" has no single meaning).
def open_minutes_oracle(origin, pairs, mask, holidays, start_min, end_min) -> np.ndarray:
    minutes = np.arange(start_min, end_min)
    instants = pd.Timestamp(origin).tz_convert("UTC") + pd.to_timedelta(minutes * 60, unit="s")
    local = instants.tz_convert(ZONE)
    tod = np.asarray(local.hour * 60 + local.minute)
    day_ok = np.asarray(mask)[np.asarray(local.day_of_week)]
    dates = local.tz_localize(None).normalize()
    day_ok &= ~np.asarray(dates.isin(pd.DatetimeIndex([pd.Timestamp(d) for d in holidays])))
    in_window = np.zeros(minutes.size, dtype=bool)
    for a, b in pairs:
        in_window |= (tod >= a) & (tod < b)
    return day_ok & in_window


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cal=calendars(0, 24 * 60, 60),
    start=st.one_of(st.integers(0, (SPAN_DAYS - 6) * 1440), st.integers(11 * 1440, 14 * 1440)),
    length=st.integers(0, 6 * 1440),
)
def test_elapsed_matches_minute_by_minute_oracle_across_dst(cal, start, length):
    pairs, mask, origin, holidays = cal
    c = build(pairs, mask, origin, holidays)
    end = start + length
    is_open = open_minutes_oracle(origin, pairs, mask, holidays, start, end)
    assert c.elapsed(start * 60.0, end * 60.0) == pytest.approx(is_open.sum() * 60.0, abs=1e-6)
    np.testing.assert_array_equal(c.is_open(np.arange(start, end) * 60.0), is_open)
    if length:
        # deadline round-trip on a few budgets within the span
        budget = np.array([0.0, 60.0, is_open.sum() * 60.0])
        due = c.deadline(np.full(3, start * 60.0), budget, side="left")
        np.testing.assert_allclose(c.elapsed(start * 60.0, due), budget, atol=1e-6)
        assert due[-1] <= end * 60.0 + 1e-6


@settings(max_examples=100, deadline=None)
@given(cal=calendars(0, 24 * 60, 60), t=st.lists(st.floats(0, SPAN_DAYS * DAY), min_size=2, max_size=20))
def test_business_time_is_monotone_and_lipschitz(cal, t):
    c = build(*cal)
    t = np.sort(np.array(t))
    b = c.business_time(t)
    assert np.all(np.diff(b) >= 0)
    assert np.all(np.diff(b) <= np.diff(t) + 1e-6)


def test_deadline_scalar_equals_the_vectorised_deadline():
    """The engine's per-visit fast path gives exactly the vectorised answer."""
    import datetime as _dt

    from simsla.clock import BusinessClock as _Clock

    origin = _dt.datetime(2026, 3, 23, tzinfo=ZoneInfo("Europe/Stockholm"))
    clock = _Clock.from_weekly({d: [(_dt.time(8), _dt.time(12)), (_dt.time(13), _dt.time(17))] for d in range(5)},
                               holidays=[_dt.date(2026, 4, 3)], tz="Europe/Stockholm", origin=origin,
                               horizon=40 * 86400)
    rng = np.random.default_rng(5)
    starts = rng.uniform(0, 35 * 86400, 3000)
    budgets = np.concatenate([rng.exponential(4 * 3600, 2990), np.zeros(10)])
    starts[:10] = clock.open_intervals()[:10, 1]  # exactly at closing edges
    vector = clock.deadline(starts, budgets)
    scalar = np.array([clock.deadline_scalar(float(s), float(b)) for s, b in zip(starts, budgets)])
    assert np.array_equal(vector, scalar)


def test_a_budget_beyond_a_closed_calendar_is_inf_for_the_analysis() -> None:
    # found by the semantic fuzzer: a supplier calendar closed for the whole run (every day a holiday)
    # made the analysis raise while computing deadlines; the analysis asks for inf instead
    import numpy as np
    import pytest

    from simsla.clock import BusinessClock

    import datetime as dt

    always = BusinessClock.always(origin=dt.datetime(2026, 1, 5), horizon=86400.0, margin=0.0)
    with pytest.raises(ValueError, match="not reached"):
        always.deadline(np.array([0.0]), np.array([2 * 86400.0]))
    got = always.deadline(np.array([0.0, 0.0]), np.array([3600.0, 2 * 86400.0]), beyond="inf")
    assert got[0] == 3600.0 and np.isposinf(got[1])
    with pytest.raises(ValueError, match="beyond"):
        always.deadline(0.0, 1.0, beyond="clip")
