"""The gate's named warnings: what a scenario may intend but usually does not.

Each check returns :class:`Caution` s naming a party, stream or target: a
party near capacity or kept bounded only by abandonment (``_load_warnings``),
a volume calendar's busiest month overloading a party that keeps up on
average (``_peak_month_warnings``), demand arriving while the desk has nobody
on shift and calls that can never be answered (``_shift_warnings``), targets
whose scope matches no demand (``_target_warnings``), a target evaluation
that will be slow (``_evaluation_warnings``), a backlog start with a warm-up
(``_backlog_warnings``).  ``_supplier_calendars`` checks suppliers'
calendars: one never open is a :class:`Refusal`, one open so little that its
tickets outlast the run a caution.
"""

from __future__ import annotations

import math

import numpy as np

from simsla.engine.arrivals import hour_of_week_weights
from simsla.engine import seasons
from simsla.experiment.findings import Caution, Refusal
from simsla.experiment.resources import ResourceEstimate
from simsla.experiment.stability import Flow
from simsla.model import Scenario
from simsla.model.units import format_duration
from simsla.timebase import closed_dates, weekly_intervals

HOUR, DAY, WEEK = 3600.0, 86400.0, 7 * 86400.0
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: utilisation at which a party is reported as near capacity
NEAR_CAPACITY = 0.9
#: share of a stream's volume on a day without anybody at the desk that is worth a warning
UNSTAFFED_SHARE = 0.01
#: CPU seconds of target evaluation above which the gate says how long it will take
SLOW_EVALUATION_SECONDS = 60.0


def _backlog_warnings(scenario: Scenario) -> list[Caution]:
    """A backlog start needs no warm-up (the open work is the state at the start): say so when one is set.

    A backlog is entered at engine time 0, the start of the warm-up; fresh
    tickets of the warm-up are left out of the results while the backlog's
    are kept, so the measured window would start from neither state.
    """
    if not scenario.backlog or scenario.warmup <= 0:
        return []
    return [Caution("backlog-warmup", "warmup",
                    f"the scenario starts from a backlog and also has a warm-up of {format_duration(scenario.warmup)}: "
                    "the backlog is the open work at the start of the warm-up, and the warm-up's fresh tickets are "
                    "left out of the results while the backlog's are kept; set warmup: 0 (a backlog start needs "
                    "none), or `simsla run --backlog` does so")]


def _evaluation_warnings(estimate: ResourceEstimate, replications: int) -> list[Caution]:
    """Evaluating many targets over many tickets takes time after simulating: say so before it starts."""
    seconds = estimate.analysis_seconds(replications)
    if seconds < SLOW_EVALUATION_SECONDS:
        return []
    return [Caution("slow-evaluation", "agreements",
                    f"evaluating {estimate.targets} targets over about {estimate.tickets * replications:,.0f} tickets "
                    f"will take about {seconds / 60:.0f} min of CPU after the simulation; fewer targets or "
                    "replications make it quicker")]


# --------------------------------------------------------------------- load
def _load_warnings(load) -> list[Caution]:
    out = []
    for r in load:
        if r.stable and NEAR_CAPACITY <= r.utilization < 1:
            out.append(Caution("near-capacity", r.party,
                               f"{r.party}: offered load {r.offered_erlangs:.2f} Erlang against a capacity of "
                               f"{r.capacity:.2f}: utilisation {r.utilization:.0%}, close to what it can do; "
                               "queues will be long and sensitive to small changes in demand"))
        if r.note and r.capacity > 0:
            abandoned = 1 - min(1.0, r.capacity / r.offered_erlangs)
            out.append(Caution("abandonment", r.party,
                               f"{r.party}: offered load {r.offered_erlangs:.2f} Erlang against a capacity of "
                               f"{r.capacity:.2f} ({r.utilization:.0%}): only callers hanging up keep its queue "
                               f"bounded; expect at least {abandoned:.0%} of its calls to be abandoned"))
    return out


def _peak_month_warnings(scenario: Scenario, load) -> list[Caution]:
    """A volume calendar's busiest month can overload a party that keeps up on the run's average.

    The load check uses the run's average volume; here every stream's demand
    in each month is weighed by its volume, and a party whose load scaled to
    the busiest month reaches its capacity is named (its queue grows through
    that month).  The scaling assumes the streams share the party's work in
    proportion to their volume: a warning, not a refusal.
    """
    if not any(scenario.volume_calendar_of(d) is not None for d in scenario.demand):
        return []
    total = sum(d.volume for d in scenario.demand)
    if total <= 0:
        return []
    months: dict[tuple[int, int], float] = {}
    mean = 0.0
    for d in scenario.demand:
        per_month = seasons.month_factors(scenario, d)
        mean += d.volume * seasons.mean_factor(scenario, d) / total
        for key, f in per_month.items():
            months[key] = months.get(key, 0.0) + d.volume * f / total
    if not months or mean <= 0:
        return []
    (year, month), peak = max(months.items(), key=lambda kv: kv[1])
    ratio = peak / mean
    out = []
    for r in load:
        if r.stable and r.utilization < 1 <= r.utilization * ratio and not r.note:
            out.append(Caution("peak-month", r.party,
                               f"{r.party}: in {year}-{month:02d} the volume calendar puts demand {ratio - 1:.0%} above "
                               f"the run's average, so its offered load is about {r.utilization * ratio:.0%} of its "
                               "capacity that month (on average "
                               f"{r.utilization:.0%}): its queue grows through the month; staff that month or "
                               "expect its targets to be breached"))
    return out


# ------------------------------------------------------------------- shifts
def _hourly_staff(group) -> np.ndarray:
    """Agent-seconds on duty in each of the 168 hours of a group's week (holidays aside)."""
    out = np.zeros(168)
    if group.staff is not None:
        return out + group.staff * HOUR
    for shift in group.shifts or ():
        for day, start, end in shift.windows():
            a, b = day * DAY + start, day * DAY + end
            for h in range(int(a // HOUR), int(math.ceil(b / HOUR))):
                cover = min(b, (h + 1) * HOUR) - max(a, h * HOUR)
                if cover > 0:
                    out[h % 168] += shift.staff * cover
    return out


def _shift_warnings(scenario: Scenario) -> list[Caution]:
    """Demand that arrives while the desk has nobody on shift, and calls that can never be answered."""
    desk = scenario.desk
    staffed = _hourly_staff(desk) > 0
    day_staffed = staffed.reshape(7, 24).any(axis=1)
    out = []
    for d in scenario.demand:
        if d.volume <= 0:
            continue
        share = hour_of_week_weights(scenario.profile(d)) / 168.0
        patience = d.patience or (scenario.patience if d.channel == "phone" else None)
        unstaffed = float(share[~staffed].sum())
        if patience is not None and unstaffed > 0.999:
            out.append(Caution("never-answered", d.name,
                               f"demand {d.name!r}: its calls can never be answered: they arrive only while "
                               f"{desk.name!r} has nobody on shift, and callers hang up after about "
                               f"{patience.expected / 60:.1f} min"))
            continue
        days = [DAYS[k] for k in range(7) if not day_staffed[k] and share.reshape(7, 24)[k].sum() >= UNSTAFFED_SHARE]
        if days:
            on_days = float(sum(share.reshape(7, 24)[DAYS.index(k)].sum() for k in days))
            fate = "hang up unanswered" if patience is not None else "wait for the next shift"
            out.append(Caution("nobody-on-shift", d.name,
                               f"demand {d.name!r}: {on_days:.0%} of its contacts arrive on {', '.join(days)}, when "
                               f"{desk.name!r} has nobody on shift all day; they {fate} (add a shift, or give the "
                               "stream a profile without those days)"))
        elif patience is not None and unstaffed >= 0.05:
            out.append(Caution("never-answered", d.name,
                               f"demand {d.name!r}: {unstaffed:.0%} of its calls arrive in hours when {desk.name!r} has "
                               f"nobody on shift; their callers hang up after about {patience.expected / 60:.1f} min "
                               "and can never be answered"))
    return out


# ------------------------------------------------------------------ targets
def _target_warnings(scenario: Scenario, traffic: Flow) -> list[Caution]:
    """Targets whose scope matches no ticket that can arrive (they would report no breach)."""
    space = traffic.space
    index = {p: i for i, p in enumerate(scenario.parties)}
    customers = scenario.levels("customer")
    out = []
    for a in scenario.agreements:
        for t in a.targets:
            if t.metric == "availability":
                continue
            mask = space.mask(t.when)[traffic.keys]
            if a.customer is not None:
                codes = np.unravel_index(traffic.keys, space.shape)
                mask &= codes[1] == customers.index(a.customer)
            if t.metric == "answer_time":
                mask &= np.unravel_index(traffic.keys, space.shape)[3] == scenario.levels("channel").index("phone")
            weight = traffic.rate[mask]
            if a.party is not None:
                weight = weight * traffic.visits_per_key(index[a.party])[mask]
            if not weight.sum() > 0:
                where = f" that reaches {a.party!r}" if a.party is not None else ""
                out.append(Caution("target-no-demand", f"{a.name} / {t.name}",
                                   f"target {a.name} / {t.name}: no demand{where} matches its scope, so it would be "
                                   "measured on no tickets and report no breach; check its `when` (and the "
                                   "agreement's customer) against the demand streams"))
    return out


# ---------------------------------------------------------------- suppliers
def _open_share(scenario: Scenario, name: str) -> float:
    """Share of the run during which a calendar is open (its weekly hours less its holidays)."""
    cal = scenario.calendar(name)
    closed = closed_dates(cal.holidays, cal.holiday_country, cal.holiday_subdivision, scenario.origin, scenario.end)
    weekly = {day: list(windows) for day, windows in cal.weekly().items()}
    boxes = weekly_intervals(weekly, scenario.origin, scenario.end, closed=closed)
    return float((np.minimum(boxes[:, 1], scenario.end) - boxes[:, 0]).clip(0).sum() / scenario.end) if len(boxes) else 0.0


def _supplier_calendars(scenario: Scenario, load) -> tuple[list[Refusal], list[Caution]]:
    """Suppliers that hold work but never work, or work so little that their tickets outlast the run."""
    refusals, cautions = [], []
    visits = {r.party: r.visits_per_hour for r in load}
    for s in scenario.suppliers:
        if s.calendar is None or visits.get(s.name, 0.0) <= 0:
            continue
        open_share = _open_share(scenario, s.calendar)
        if open_share <= 0:
            refusals.append(Refusal("closed", f"supplier {s.name!r} receives {visits[s.name]:.3g} tickets/h but its "
                                              f"calendar {s.calendar!r} is never open during the run (none of its "
                                              "opening hours falls inside it): none of them would ever be worked and its "
                                              "contract would report no breach; give the calendar hours in the run"))
            continue
        real = (s.response.expected + s.resolution.expected) / open_share
        if real > scenario.horizon / 4:
            cautions.append(Caution("slow-calendar", s.name,
                                    f"supplier {s.name!r}: its calendar {s.calendar!r} is open "
                                    f"{open_share * WEEK / HOUR:.3g} h a week on average, so a visit takes about "
                                    f"{real / DAY:,.0f} days of real time against a horizon of "
                                    f"{scenario.horizon / DAY:,.0f} days: most of its tickets will still be open "
                                    "at the end"))
    return refusals, cautions
