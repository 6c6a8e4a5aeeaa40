"""Erlang calculators: the numbers ``simsla erlang`` prints, and the desk's requirement per interval.

``erlang(rate, aht, ...)`` answers the questions of a workforce planner for
one stationary interval: with ``agents`` agents, what are P(wait), the service
level at a threshold, the mean wait, abandonment (Erlang A when a mean
patience is given) and occupancy?  And the reverse: how many agents does a
service level need (``target``), and which service level does each agent
count give (``agents`` as a list or range)?

``desk_requirement(scenario, threshold, fraction)`` turns a scenario's demand
into an Erlang calculator's week: per interval of the week (local
hour-of-week), the desk's offered rate, its mean handling time, the agents the
Erlang C/A formula requires, and the agents the desk's shifts schedule.
``week_requirement(scenario)`` is what ``simsla erlang --scenario`` shows:
``desk_requirement`` for the phone streams and every answer-time target of
the scenario (``answer_targets``), beside the shifts' coverage.

How abandoned calls count
-------------------------
Every service level here is stated on an abandoned-call basis, the rule of an
answer-time target (``abandoned`` / ``abandoned_grace`` in
``simsla.model.agreements``, measured the same way by ``simsla.analysis``):
``miss`` (default: an abandoned call is a miss), ``exclude`` (left out) or
``grace`` (callers who hang up within the grace period are left out, later
ones are misses).  Under Erlang C nobody hangs up and the three agree.

Limits (the calculator's conventions, not the simulation's)
------------------------------------------------------------
* **Stationary intervals.** Each interval is assumed to reach steady state at
  its own rate; queues do not carry over from one interval to the next, and a
  peak that lasts less than the time the queue needs to build is over-staffed.
  Profiles are hourly: a 15- or 30-minute interval gets its hour's rate.
* **Exponential times.** Handling times are taken as exponential with the
  desk's mean (the weighted mean over the handling rules); patience, when
  used, as exponential with the callers' mean patience.  Real talk times
  with a cv below 1 wait less than Erlang C says, above 1 more.
* **One pool, one queue.** The contacts counted (``channels``; the phone
  streams in ``week_requirement``) are pooled; ``phone_first``, priorities and
  preemption are ignored, and so are escalations, the resolver groups,
  holidays, daylight saving and shift-end effects.  Written contacts (e-mail,
  portal) do not need an answer within seconds: they wait for a free agent
  and are left out of the phone requirement.  The simulation (``simsla run``)
  has none of these limits.
* **Skills.** A desk with agent groups is still sized as one pool: an
  optimistic bound, printed with its caveats, and "on shift" counts only the
  agent groups that can take the counted contacts (``simsla.decide.erlang_skills``
  says why this rather than a refusal).

Where the parts live
--------------------
* ``simsla.decide.erlang_calculator`` -- ``erlang``, ``figures``, ``ErlangReport``:
  one stationary interval.
* ``simsla.decide.erlang_abandoned`` -- how abandoned calls count
  (``abandoned_rule``, ``abandoned_text``, ``target_rule``).
* ``simsla.decide.erlang_intervals`` -- the week's intervals and the agents the
  shifts put in each (``scheduled_staff``, ``shift_cover``).
* ``simsla.decide.erlang_demand`` -- arrivals, mean handling time
  (``stream_handling_mean``) and patience (``phone_patience``) per hour.
* ``simsla.decide.erlang_desk`` -- ``desk_requirement``.
* ``simsla.decide.erlang_targets`` -- ``AnswerTarget``, ``answer_targets``,
  ``choose_targets``.
* ``simsla.decide.erlang_week`` -- ``WeekRequirement``, ``week_requirement``,
  ``written_work``.

This module re-exports every one of their names, so ``simsla.decide.erlang``
stays the place to import them from.
"""

from __future__ import annotations

from simsla.decide.erlang_abandoned import ABANDONED_RULES, abandoned_rule, abandoned_text, target_rule
from simsla.decide.erlang_calculator import ErlangReport, erlang, figures
from simsla.decide.erlang_demand import phone_patience, stream_handling_mean
from simsla.decide.erlang_desk import desk_requirement
from simsla.decide.erlang_intervals import DAY_LABELS, HOUR, WEEK, scheduled_staff, shift_cover
from simsla.decide.erlang_targets import CLASSIC, AnswerTarget, answer_targets, choose_targets
from simsla.decide.erlang_week import WeekRequirement, week_requirement, written_work

__all__ = [
    "ABANDONED_RULES",
    "CLASSIC",
    "DAY_LABELS",
    "HOUR",
    "WEEK",
    "AnswerTarget",
    "ErlangReport",
    "WeekRequirement",
    "abandoned_rule",
    "abandoned_text",
    "answer_targets",
    "choose_targets",
    "desk_requirement",
    "erlang",
    "figures",
    "phone_patience",
    "scheduled_staff",
    "shift_cover",
    "stream_handling_mean",
    "target_rule",
    "week_requirement",
    "written_work",
]
