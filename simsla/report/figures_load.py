"""Figures about load: arrivals, queues and waits by hour of the week; utilisation; staff against the need.

The week is the local wall-clock week of the scenario's time zone, Monday
00:00 first (168 hours), so a profile peak at 08:00 stays at 08:00 across a
daylight-saving change.  ``weekly_profile`` (``simsla.analysis.weekly``)
averages the log over every replication and every week of the measured
window; the figures here draw it.  ``staffing_table`` puts
the desk's scheduled headcount beside the Erlang requirement of its phone
line (``simsla.decide.erlang.desk_requirement``, phone streams only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simsla.analysis.weekly import HOURS, hour_of_week, weekly_profile  # noqa: F401  (re-exported)
from simsla.model import Scenario
from simsla.report.figures_style import OKABE_ITO, colour, new_figure, percent_axis

if TYPE_CHECKING:
    from simsla.experiment.results import Results

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: the classic call-centre target, used when no SLA gives an answer-time target
DEFAULT_ANSWER = (20.0, 0.80)


def _week_axis(ax, label: bool = True) -> None:
    ax.set_xlim(0, 168)
    ax.set_xticks(np.arange(0, 168, 24) + 12, DAYS)
    ax.set_xticks(np.arange(0, 169, 6), minor=True)
    ax.tick_params(axis="x", which="major", length=0)
    for d in range(1, 7):
        ax.axvline(24 * d, color="grey", linewidth=0.6, alpha=0.6)
    ax.grid(axis="y", alpha=0.3)
    if label:
        ax.set_xlabel("hour of the week (local time; minor ticks every 6 h)")


def _step(ax, values: pd.Series, **kwargs) -> None:
    v = values.to_numpy(dtype=float)
    ax.step(np.arange(169), np.append(v, v[-1]), where="post", **kwargs)


def load_figure(results: "Results", profile: dict[str, pd.DataFrame] | None = None, title: str | None = None) -> Figure:
    """Arrivals, queue length and waiting time by hour of the week (means over replications and weeks)."""
    p = profile or weekly_profile(results)
    fig, axes = new_figure(12.0, 10.0, nrows=4, sharex=True)
    for k, c in enumerate(p["arrivals"].columns):
        _step(axes[0], p["arrivals"][c], color=colour(k), label=c)
    axes[0].set_ylabel("contacts per hour")
    axes[0].set_title("Arrivals by channel", loc="left")
    for k, g in enumerate(p["queue"].columns):
        _step(axes[1], p["queue"][g], color=colour(k), label=g)
    axes[1].set_ylabel("tickets waiting")
    axes[1].set_title("Queue length per group (mean over the hour)", loc="left")
    phone = [c for c in p["wait"].columns if c == "phone"]
    written = [c for c in p["wait"].columns if c != "phone"]
    for k, c in enumerate(phone):
        _step(axes[2], p["wait"][c], color=colour(0), label=c)
    axes[2].set_yscale("log")
    axes[2].set_ylabel("seconds (log scale)")
    axes[2].set_title("Phone: mean wait until answered, by hour of arrival", loc="left")
    for k, c in enumerate(written):
        _step(axes[3], p["wait"][c] / 3600.0, color=colour(k + 1), label=c)
    axes[3].set_ylabel("hours")
    axes[3].set_title("Written tickets: mean wait until the desk's first response, by hour of arrival", loc="left")
    for ax in axes:
        _week_axis(ax, label=ax is axes[-1])
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        if ax.get_yscale() == "linear":
            ax.set_ylim(bottom=0)
        else:
            ax.set_ylim(bottom=0.5)  # waits under a second read as "answered at once"
    fig.suptitle(title or f"Load over the week — {results.scenario.name} ({results.replications} replications)",
                 x=0.01, ha="left")
    return fig


def utilisation_figure(results: "Results", profile: dict[str, pd.DataFrame] | None = None, title: str | None = None) -> Figure:
    """Utilisation (busy / staffed agent-time) per group by hour of the week; blank where nobody is on duty."""
    p = profile or weekly_profile(results)
    fig, ax = new_figure(12.0, 4.5)
    for k, g in enumerate(p["utilisation"].columns):
        _step(ax, p["utilisation"][g], color=colour(k), label=g, linewidth=1.4)
    ax.axhline(1.0, color=OKABE_ITO["black"], linewidth=0.8, linestyle="--")
    ax.set_ylim(0, 1.05)
    percent_axis(ax.yaxis)
    _week_axis(ax)
    ax.set_ylabel("utilisation (busy / staffed)")
    ax.set_title(title or "Utilisation per group over the week", loc="left")
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="group", title_fontsize=8)
    return fig


# --------------------------------------------------------------- staffing
def answer_target(scenario: Scenario) -> tuple[float, float, str]:
    """(threshold s, fraction, source) of the strictest SLA answer_time target, else 80 % in 20 s."""
    found = [(t.fraction, -float(t.threshold), f"{a.name} / {t.name}") for a in scenario.agreements if a.kind == "SLA"
             for t in a.targets if t.metric == "answer_time" and t.threshold is not None]
    if not found:
        return DEFAULT_ANSWER[0], DEFAULT_ANSWER[1], "default 80 % in 20 s"
    fraction, threshold, source = max(found)
    return -threshold, fraction, source


def _answer_rule(scenario: Scenario, source: str) -> tuple[str, float | None]:
    """The abandoned-call rule of the target named ``source`` (``miss`` for the default)."""
    from simsla.decide.erlang import target_rule

    for a in scenario.agreements:
        for t in a.targets:
            if f"{a.name} / {t.name}" == source:
                return target_rule(t)
    return "miss", None


def staffing_table(scenario: Scenario, threshold: float | None = None, fraction: float | None = None,
                   erlang_a: bool = False) -> pd.DataFrame:
    """The desk's phone line per hour of the week: offered calls, load and the Erlang requirement beside the schedule.

    A view of ``simsla.decide.erlang.desk_requirement`` for the phone streams
    (the metric is computed there): the requirement for the answer-time
    target (``answer_target`` unless given; abandoned calls counted by that
    target's rule), Erlang C, or Erlang A with the callers' mean patience if
    ``erlang_a``.  The requirement counts phone work only: written tickets
    come on top, in the gaps.
    """
    from simsla.decide.erlang import abandoned_text, desk_requirement

    src_threshold, src_fraction, source = answer_target(scenario)
    rule, grace = _answer_rule(scenario, source)
    threshold = src_threshold if threshold is None else threshold
    fraction = src_fraction if fraction is None else fraction
    req = desk_requirement(scenario, threshold, min(fraction, 0.999999), patience="scenario" if erlang_a else None,
                           channels=("phone",), basis=rule, grace=grace)
    calls = req["rate_per_hour"].to_numpy()
    load = req["offered_load"].to_numpy()
    mean_service = float(load.sum() * 3600.0 / calls.sum()) if calls.sum() > 0 else float(
        scenario.desk.handling_times.default.expected)
    out = pd.DataFrame({"hour_of_week": HOURS, "calls_per_hour": calls, "load_erlangs": load,
                        "required": req["required"].to_numpy(), "scheduled": req["scheduled"].to_numpy(dtype=float)})
    out.attrs.update({"group": scenario.desk.name, "mean_handling": mean_service, "threshold": threshold,
                      "fraction": fraction, "target": source, "model": req.attrs["model"],
                      "abandoned": req.attrs["abandoned"], "abandoned_text": abandoned_text(rule, grace),
                      "interval_seconds": 3600.0})
    return out


def _requirement_axes(ax, hours: float, scheduled: np.ndarray, required: np.ndarray, load: np.ndarray,
                      uncovered: np.ndarray, group: str, model: str) -> None:
    """Staff on shift, the requirement and the offered load as steps over the week; gaps and uncovered intervals shaded."""
    x = np.arange(len(scheduled) + 1) * hours

    def step(values: np.ndarray, **kwargs) -> None:
        ax.step(x, np.append(values, values[-1]), where="post", **kwargs)

    step(scheduled, color=OKABE_ITO["blue"], linewidth=2, label=f"on shift ({group})")
    step(required.astype(float), color=OKABE_ITO["vermillion"], linewidth=1.6, linestyle="--",
         label=f"required for the phone line ({model})")
    step(load, color=OKABE_ITO["orange"], linewidth=1, label="offered phone load (Erlangs)")
    short = required > scheduled + 1e-9
    if short.any():
        ax.fill_between(x[:-1], 0, 1, where=short & ~uncovered, step="post", color=OKABE_ITO["vermillion"], alpha=0.22,
                        transform=ax.get_xaxis_transform(), label="on shift below the requirement")
    if uncovered.any():
        ax.fill_between(x[:-1], 0, 1, where=uncovered, step="post", color=OKABE_ITO["black"], alpha=0.25,
                        transform=ax.get_xaxis_transform(), label="calls arrive, nobody on shift")
    _week_axis(ax)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("agents")
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def staffing_figure(scenario: Scenario, table: pd.DataFrame | None = None, title: str | None = None) -> Figure:
    """Scheduled desk staff against the Erlang requirement of the phone line, per hour of the week."""
    t = table if table is not None else staffing_table(scenario)
    a = t.attrs
    fig, ax = new_figure(12.0, 4.8)
    scheduled = t["scheduled"].to_numpy(dtype=float)
    calls = t["calls_per_hour"].to_numpy(dtype=float)
    _requirement_axes(ax, float(a.get("interval_seconds", 3600.0)) / 3600.0, scheduled, t["required"].to_numpy(),
                      t["load_erlangs"].to_numpy(dtype=float), (calls > 0) & (scheduled <= 1e-9),
                      a.get("group", "desk"), a.get("model", "Erlang C"))
    thr = a.get("threshold", DEFAULT_ANSWER[0])
    frac = a.get("fraction", DEFAULT_ANSWER[1])
    handling = a.get("mean_handling", float("nan")) / 60.0
    ax.set_title(title or f"Desk staff vs requirement: {frac:.0%} of calls answered in {thr:.0f} s, "
                          f"abandoned: {a.get('abandoned', 'miss')} (mean handling {handling:.1f} min; phone work only)",
                 loc="left")
    return fig


def requirement_figure(week, title: str | None = None) -> Figure:
    """``simsla erlang --scenario --plot``: staff on shift vs the phone requirement by interval of the week.

    ``week`` is a ``simsla.decide.erlang.WeekRequirement``; the figure draws
    its frame (computed there) and states the target and abandoned-call basis.
    """
    f = week.frame
    first = week.targets[0]
    fig, ax = new_figure(12.0, 4.8)
    _requirement_axes(ax, week.interval_seconds / 3600.0, f["scheduled"].to_numpy(dtype=float), f["required"].to_numpy(),
                      f["offered_load"].to_numpy(dtype=float), f["uncovered"].to_numpy(dtype=bool), week.group, week.model)
    more = f" and {len(week.targets) - 1} more target(s)" if len(week.targets) > 1 else ""
    ax.set_title(f"{first.label}{more}; abandoned calls: {first.abandoned} ({first.abandoned_text}); "
                 f"{week.interval_seconds / 60:g}-minute intervals, phone calls only", loc="left", fontsize=9)
    fig.suptitle(title or f"Desk staff vs phone requirement — {week.group}", x=0.01, ha="left")
    return fig
