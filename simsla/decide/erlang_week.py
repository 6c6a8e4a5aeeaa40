"""The desk's phone line over the week against its shifts: what ``simsla erlang --scenario`` shows.

``week_requirement(scenario)`` is ``desk_requirement`` for the phone streams
and every answer-time target of the scenario (``answer_targets``), the
strictest counting in each interval, beside the shifts' coverage, with the
service level the scheduled agents give.  Written contacts (e-mail, portal)
wait for a free agent: their desk work is listed apart (``written_work``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from simsla.analytic import erlang_a, service_level_for_staff
from simsla.decide.erlang_demand import stream_handling_mean
from simsla.decide.erlang_desk import desk_requirement
from simsla.decide.erlang_intervals import HOUR, WEEK, _clock
from simsla.decide.erlang_targets import AnswerTarget, choose_targets
from simsla.model import Scenario

@dataclass(frozen=True)
class WeekRequirement:
    """The desk's phone line over the week: the Erlang requirement against the shifts (``simsla erlang --scenario``).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per interval of the week (Monday 00:00 first): ``interval``,
        ``day``, ``start``, ``end`` (``"HH:MM"``), ``rate_per_hour`` (phone
        calls), ``aht_seconds``, ``offered_load`` (Erlangs), ``required``
        (the least agents meeting every target), ``binding`` (the target that
        needs them, by position in ``targets``; -1 without calls),
        ``scheduled`` (agents on shift, averaged over the interval), ``gap``
        (scheduled - required), ``service_level`` (with the scheduled agents,
        rounded down, under the first target; NaN without calls),
        ``p_abandon`` (likewise), ``calls`` (calls arrive), ``open`` (someone
        is on shift), ``uncovered`` (calls arrive, nobody on shift) and
        ``shown`` (calls or shift: the intervals worth reporting).
    targets : list of AnswerTarget
        The promises the requirement meets, the one needing the most agents first.
    how : str
        Which targets and why (``choose_targets``).
    model : str
        ``"Erlang C"`` or ``"Erlang A"``.
    patience_seconds : float or None
        The callers' mean patience (Erlang A).
    interval_seconds : float
    group : str
        The desk's name.
    written : list of dict
        The streams left out because they are not calls: name, channel,
        contacts_per_week, desk_agent_hours_per_week.
    shrinkage : float
        The desk's share of paid time off the floor: ``required`` and
        ``scheduled`` count agents on the floor, paid hours are those over
        ``1 - shrinkage``.
    caveats : list of str
        For a desk with agent groups: why the pooled requirement is an
        optimistic bound and what "on shift" counts (``simsla.decide.erlang_skills``).
    """

    frame: pd.DataFrame
    targets: list[AnswerTarget]
    how: str
    model: str
    patience_seconds: float | None
    interval_seconds: float
    group: str
    written: list[dict[str, Any]]
    shrinkage: float = 0.0
    caveats: list[str] = field(default_factory=list)

    def shown(self) -> pd.DataFrame:
        """The intervals in which calls arrive or someone is on shift."""
        return self.frame[self.frame["shown"]]

    def totals(self) -> dict[str, float]:
        """Agent-hours per week on the floor: required vs scheduled, short (required above scheduled); paid hours."""
        f = self.frame
        hours = self.interval_seconds / HOUR
        short = np.clip(f["required"] - f["scheduled"], 0, None)
        return {
            "required_agent_hours": float(f["required"].sum() * hours),
            "scheduled_agent_hours": float(f["scheduled"].sum() * hours),
            "short_agent_hours": float(short.sum() * hours),
            "intervals_short": int((short > 1e-9).sum()),
            "intervals_uncovered": int(f["uncovered"].sum()),
            "calls_per_week": float((f["rate_per_hour"] * hours).sum()),
            "calls_uncovered_per_week": float((f["rate_per_hour"] * hours)[f["uncovered"]].sum()),
            "written_agent_hours": float(sum(w["desk_agent_hours_per_week"] for w in self.written)),
            "paid_required_hours": float(f["required"].sum() * hours / (1.0 - self.shrinkage)),
            "paid_scheduled_hours": float(f["scheduled"].sum() * hours / (1.0 - self.shrinkage)),
        }

    def worst_gaps(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` intervals with the largest shortfall (scheduled below required), worst first."""
        f = self.frame[self.frame["gap"] < -1e-9]
        return f.sort_values(["gap", "interval"], kind="stable").head(n)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: targets, model, totals and the intervals shown."""
        from simsla.decide._common import jsonable

        return jsonable({"targets": [t.__dict__ for t in self.targets], "how": self.how, "model": self.model,
                         "patience_seconds": self.patience_seconds, "interval_seconds": self.interval_seconds,
                         "group": self.group, "written": self.written, "shrinkage": self.shrinkage,
                         "caveats": self.caveats,
                         "totals": self.totals(),
                         "intervals": self.shown().to_dict(orient="records")})


def written_work(scenario: Scenario, channels: Sequence[str] = ("phone",)) -> list[dict[str, Any]]:
    """The desk's work from streams outside ``channels``: contacts and agent-hours per week."""
    out = []
    for stream in scenario.demand:
        if stream.channel in channels:
            continue
        per_week = stream.volume * WEEK
        out.append({"name": stream.name, "channel": stream.channel, "contacts_per_week": per_week,
                    "desk_agent_hours_per_week": per_week * stream_handling_mean(scenario, stream) / HOUR})
    return out


def week_requirement(
    scenario: Scenario,
    targets: Sequence[AnswerTarget] | None = None,
    interval: float = HOUR,
    *,
    how: str | None = None,
    patience: float | str | None = "scenario",
) -> WeekRequirement:
    """The desk's phone requirement per interval of the week for answer-time targets, against its shifts.

    Parameters
    ----------
    scenario : Scenario
    targets : sequence of AnswerTarget, optional
        Default: ``choose_targets(scenario)`` (every answer-time target of
        the scenario, or the classic 80 % in 20 s without one).
    interval : float
        Seconds: 900, 1800 or 3600 (or whole hours dividing a day).
    how : str, optional
        The sentence saying which targets (default from ``choose_targets``).
    patience : "scenario", float, str or None
        As in ``desk_requirement``.

    Returns
    -------
    WeekRequirement
        Only phone streams are counted: e-mail and portal tickets wait for a
        free agent and do not need an answer within seconds; their desk work
        is listed in ``written``.  The requirement in each interval is the
        largest over the targets (each computed by ``desk_requirement``).
    """
    if targets is None:
        targets, chosen = choose_targets(scenario)
        how = how or chosen
    targets = list(targets)
    if not targets:
        raise ValueError("no answer-time target to compute a requirement for")
    frames = [desk_requirement(scenario, t.threshold, min(t.fraction, 0.999999), interval, patience=patience,
                               basis=t.abandoned, grace=t.grace, channels=("phone",)) for t in targets]
    # strictest first (most agent-intervals required; ties keep the scenario's order), so that [1] is the
    # target whose service level the table shows
    order = sorted(range(len(targets)), key=lambda k: -int(frames[k]["required"].sum()))
    targets, frames = [targets[k] for k in order], [frames[k] for k in order]
    base = frames[0].copy()
    needs = np.column_stack([f["required"].to_numpy() for f in frames])
    base["required"] = needs.max(axis=1)
    calls = base["rate_per_hour"].to_numpy() > 0
    base["binding"] = np.where(calls, needs.argmax(axis=1), -1)
    base["gap"] = base["scheduled"] - base["required"]
    ends = (base["interval"].to_numpy() + 1) * base.attrs["interval_seconds"]
    base.insert(3, "end", ["24:00" if e % 86400 == 0 else _clock(e) for e in ends])
    pat = base.attrs["patience_seconds"]
    first = targets[0]
    level = np.full(len(base), np.nan)
    aband = np.full(len(base), np.nan)
    for i in np.flatnonzero(calls):
        staff = int(math.floor(base["scheduled"].iat[i] + 1e-9))
        lam, aht = base["rate_per_hour"].iat[i] / HOUR, base["aht_seconds"].iat[i]
        level[i] = service_level_for_staff(staff, lam, aht, first.threshold, mean_patience=pat,
                                           basis=first.abandoned, grace=first.grace)  # type: ignore[arg-type]
        aband[i] = (1.0 if staff == 0 else erlang_a(staff, lam, aht, pat).p_abandon) if pat is not None else 0.0
    base["service_level"] = level
    base["p_abandon"] = aband
    base["calls"] = calls
    base["open"] = base["scheduled"].to_numpy() > 1e-9
    base["uncovered"] = calls & ~base["open"].to_numpy()
    base["shown"] = calls | base["open"].to_numpy()
    return WeekRequirement(frame=base, targets=targets, how=how or "the targets given", model=base.attrs["model"],
                           patience_seconds=pat, interval_seconds=float(base.attrs["interval_seconds"]),
                           group=scenario.desk.name, written=written_work(scenario),
                           shrinkage=float(getattr(scenario.desk, "shrinkage", 0.0) or 0.0),
                           caveats=_skills_caveats(scenario))


def _skills_caveats(scenario: Scenario) -> list[str]:
    from simsla.decide.erlang_skills import skills_caveats

    return skills_caveats(scenario, ("phone",))
