"""Figures about targets: traffic-light grids, attainment spread, breach risk, attribution, frontier, sweep.

Inputs are the tidy tables of ``simsla.analysis``: ``evaluate(results)``
(target x replication x period), ``target_summary`` (per target, with CIs) and
``attribute(results)``; or, for a grid by service, ``service_attainment``
below, which filters a target's counted items by the ticket's service.

Traffic lights for one period's attainment ``a`` against a target's fraction
``f`` and warning margin ``m``: red when ``a < f`` (breached), amber when
``f <= a < f + m`` (met, but close), green otherwise; grey when nothing was
counted.  Risk lights for a breach probability come from its 95 % interval
(``simsla.analysis.verdict.risk_light``, as in the terminal summary): green
when the upper end is below the risk line (``RISK_LINE``, 1 - confidence),
red when the lower end is above it, amber between.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from simsla.analysis.attainment import service_attainment  # noqa: F401  (re-exported for report callers)
from simsla.analysis.verdict import complete_rows, period_risk, risk_light, row_label
from simsla.model import Agreement, Scenario, Target
from simsla.report.figures_style import (LIGHTS, MEANINGS, OKABE_ITO, RISK_LEVELS, RISK_LINE, SYMBOLS, colour, new_figure,
                                         percent_axis)

if TYPE_CHECKING:
    from simsla.experiment.results import Results

_EPS = 1e-12
DEFAULT_MARGIN = 0.02


# ----------------------------------------------------------------- tables (pure)
def light(attainment: float | None, fraction: float, margin: float = DEFAULT_MARGIN) -> str:
    """``green``, ``amber``, ``red`` or ``none`` for one period's attainment."""
    if attainment is None or not np.isfinite(attainment):
        return "none"
    if attainment < fraction - _EPS:
        return "red"
    # a perfect period is green even when fraction + margin exceeds 100 % (e.g. 99.5 % availability)
    if attainment < min(fraction + margin, 1.0) - _EPS:
        return "amber"
    return "green"


def pct(x: float) -> str:
    """A share as a short percentage that never rounds a shortfall up to 100 % (99.96 % -> 99.9 %)."""
    if x is None or not np.isfinite(x):
        return "–"
    if x >= 1.0:
        return "100%"
    if x >= 0.99:
        return f"{np.floor(x * 1000 + 1e-9) / 10:.1f}%"
    return f"{np.floor(x * 100 + 1e-9):.0f}%"  # floored, so a breach never reads as the fraction itself




def with_margins(table: pd.DataFrame, scenario: Scenario | None) -> pd.DataFrame:
    """``table`` (from ``evaluate``) with a ``warning_margin`` column taken from each target."""
    table = table.copy()
    if "warning_margin" in table.columns:
        return table
    margins = {}
    if scenario is not None:
        margins = {(a.name, t.name): t.warning_margin for a in scenario.agreements for t in a.targets}
    keys = zip(table.get("agreement", pd.Series([""] * len(table))), table.get("target", pd.Series([""] * len(table))))
    table["warning_margin"] = [margins.get(k, DEFAULT_MARGIN) for k in keys]
    return table


def _ordered(table: pd.DataFrame, column: str) -> list:
    return list(dict.fromkeys(table[column].tolist()))


def grid_lights(table: pd.DataFrame, replication: int = 0, rows: Sequence[str] = ("agreement", "target"),
                complete_only: bool = True) -> pd.DataFrame:
    """One replication's lights: one row per (row label, period) with attainment, fraction, margin, counted, light."""
    used = complete_rows(table, complete_only)
    used = used[used["replication"] == replication].copy()
    margin = used["warning_margin"] if "warning_margin" in used.columns else pd.Series(DEFAULT_MARGIN, index=used.index)
    used["row"] = row_label(used, rows)
    used["light"] = [light(a, f, m) for a, f, m in zip(used["attainment"], used["fraction"], margin)]
    return used[["row", "period", "attainment", "fraction", "counted", "light"]].reset_index(drop=True)


def risk_table(table: pd.DataFrame, rows: Sequence[str] = ("agreement", "target"), complete_only: bool = True,
               line: float = RISK_LINE) -> pd.DataFrame:
    """``simsla.analysis.verdict.period_risk`` (kept here for the figures' callers)."""
    return period_risk(table, rows, complete_only, line)


# ------------------------------------------------------------------ grids
def _draw_grid(cells: pd.DataFrame, text: pd.Series, title: str, legend: dict[str, str], xlabel: str,
               row_title: str) -> Figure:
    rows, periods = _ordered(cells, "row"), _ordered(cells, "period")
    label_inches = 0.075 * max((len(r) for r in rows), default=10)
    width = min(20.0, max(7.0, 1.2 + label_inches + 0.85 * len(periods)))
    fig, ax = new_figure(width, 1.9 + 0.34 * max(len(rows), 1))
    index = {(r, p): (i, j) for i, r in enumerate(rows) for j, p in enumerate(periods)}
    for (_, c), label in zip(cells.iterrows(), text):
        i, j = index[(c["row"], c["period"])]
        ax.add_patch(Rectangle((j, i), 0.96, 0.92, facecolor=LIGHTS[c["light"]], edgecolor="white",
                               gid=f"cell-{c['light']}"))
        ax.text(j + 0.48, i + 0.46, label, ha="center", va="center", fontsize=8, color="black")
    ax.set_xlim(0, len(periods))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks(np.arange(len(periods)) + 0.48, periods, rotation=45 if len(periods) > 6 else 0, ha="right" if len(periods) > 6 else "center")
    ax.set_yticks(np.arange(len(rows)) + 0.46, rows)
    ax.tick_params(length=0)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(row_title)
    fig.suptitle(title, x=0.01, ha="left")
    handles = [Patch(facecolor=LIGHTS[k], edgecolor="grey", label=f"{SYMBOLS[k]} {v}") for k, v in legend.items()]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=8)
    return fig


def traffic_light_figure(table: pd.DataFrame, replication: int = 0, rows: Sequence[str] = ("agreement", "target"),
                         title: str | None = None, complete_only: bool = True) -> Figure:
    """"What a period could look like": one replication's attainment per row and period, as traffic lights.

    ``table`` is ``evaluate(results)`` (pass it through ``with_margins`` for
    the targets' own warning margins) or ``service_attainment(...)`` with
    ``rows=("service",)``.
    """
    cells = grid_lights(table, replication, rows, complete_only)
    text = pd.Series([f"{SYMBOLS[lt]} {pct(a)}" if lt != "none" else SYMBOLS[lt]
                      for a, lt in zip(cells["attainment"], cells["light"])])
    title = title or f"Attainment per period in one simulated run (replication {replication})"
    return _draw_grid(cells, text, title, MEANINGS["attainment"], "reporting period", " · ".join(rows))


def breach_grid_figure(table: pd.DataFrame, rows: Sequence[str] = ("agreement", "target"), title: str | None = None,
                       complete_only: bool = True) -> Figure:
    """"How risky each cell is": the share of replications in which the period was breached."""
    cells = risk_table(table, rows, complete_only)
    text = pd.Series([f"{SYMBOLS[lt]} {p:.0%}" if lt != "none" else SYMBOLS[lt]
                      for p, lt in zip(cells["breach_probability"], cells["light"])])
    reps = int(cells["replications"].max()) if len(cells) else 0
    title = title or f"Breach probability per period over {reps} replications"
    return _draw_grid(cells, text, title, MEANINGS["risk"], "reporting period", " · ".join(rows))


# ------------------------------------------------------------ attainment spread
def attainment_distribution_figure(table: pd.DataFrame, kinds: Sequence[str] = ("SLA",), complete_only: bool = True,
                                   title: str | None = None) -> Figure:
    """Attainment of every replication-period per target (a strip plot), with each target's fraction.

    Each dot is one period of one replication, coloured and shaped by its
    traffic light; the black bar is the agreed fraction.
    """
    used = complete_rows(table, complete_only)
    if kinds and "kind" in used.columns:
        used = used[used["kind"].isin(kinds)]
    used = used.copy()
    used["row"] = row_label(used, ("agreement", "target"))
    rows = _ordered(used, "row")
    fig, ax = new_figure(10.0, 1.8 + 0.34 * max(len(rows), 1))
    rng = np.random.default_rng(0)  # jitter only: fixed so the figure is reproducible
    markers = {"green": "o", "amber": "D", "red": "X", "none": "."}
    margin = used["warning_margin"] if "warning_margin" in used.columns else pd.Series(DEFAULT_MARGIN, index=used.index)
    used["light"] = [light(a, f, m) for a, f, m in zip(used["attainment"], used["fraction"], margin)]
    for i, row in enumerate(rows):
        g = used[(used["row"] == row) & used["attainment"].notna()]
        for lt, h in g.groupby("light"):
            ax.scatter(h["attainment"], i + rng.uniform(-0.25, 0.25, len(h)), s=18, marker=markers[lt],
                       facecolor=LIGHTS[lt], edgecolor="black", linewidth=0.4, zorder=3)
        fraction = float(used.loc[used["row"] == row, "fraction"].iloc[0])
        ax.plot([fraction, fraction], [i - 0.4, i + 0.4], color=OKABE_ITO["black"], linewidth=2.2, zorder=4)
    ax.set_yticks(np.arange(len(rows)), rows)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    low = np.nanmin(np.concatenate([used["attainment"].to_numpy(dtype=float), used["fraction"].to_numpy(dtype=float)])) if len(used) else 0.0
    ax.set_xlim(max(0.0, low - 0.05), 1.005)
    percent_axis(ax.xaxis)
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlabel("attainment in the period (share of tickets within the threshold; uptime share for availability)")
    ax.set_ylabel("agreement · target")
    ax.set_title(title or "Attainment per replication and period, against the agreed fraction", loc="left")
    handles = [Line2D([], [], color=OKABE_ITO["black"], linewidth=2.2, label="agreed fraction")]
    handles += [Line2D([], [], linestyle="", marker=markers[k], markerfacecolor=LIGHTS[k], markeredgecolor="black",
                       label=f"{MEANINGS['attainment'][k]}") for k in ("green", "amber", "red")]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False, fontsize=8)
    return fig


def breach_probability_figure(targets: list[dict[str, Any]] | pd.DataFrame, kinds: Sequence[str] = ("SLA",),
                              title: str | None = None) -> Figure:
    """Breach probability per target (a period's attainment below the fraction) with its 95 % CI.

    ``targets`` is ``target_summary(results)`` (a list of dicts) or the same as a DataFrame.
    """
    frame = pd.DataFrame(targets)
    if kinds and "kind" in frame.columns:
        frame = frame[frame["kind"].isin(kinds)]
    frame = frame.reset_index(drop=True)
    labels = (frame["agreement"].astype(str) + " · " + frame["target"].astype(str)).tolist()
    p = frame["breach_probability"].astype(float).to_numpy()
    ci = np.array([c if c is not None and None not in c else [np.nan, np.nan]
                   for c in frame.get("breach_probability_ci95", [[np.nan, np.nan]] * len(frame))], dtype=float).reshape(-1, 2)
    fig, ax = new_figure(10.0, 1.8 + 0.34 * max(len(frame), 1))
    lights = (list(frame["light"]) if "light" in frame.columns
              else [risk_light(x, lo, hi, RISK_LINE) for x, (lo, hi) in zip(p, ci)])
    y = np.arange(len(frame))
    ax.barh(y, np.nan_to_num(p), color=[LIGHTS[lt] for lt in lights], edgecolor="black", linewidth=0.4, height=0.7)
    err = np.vstack([np.clip(p - ci[:, 0], 0, None), np.clip(ci[:, 1] - p, 0, None)])
    ax.errorbar(np.nan_to_num(p), y, xerr=np.nan_to_num(err), fmt="none", ecolor="black", capsize=3, linewidth=1)
    for yi, pi, lt, hi in zip(y, p, lights, ci[:, 1]):
        if np.isfinite(pi):
            ax.text(max(pi, np.nan_to_num(hi)) + 0.01, yi, f"{SYMBOLS[lt]} {pi:.0%}", va="center", fontsize=8)
    for level in RISK_LEVELS:
        ax.axvline(level, color="grey", linestyle=":", linewidth=1)
    ax.set_yticks(y, labels)
    ax.set_ylim(len(frame) - 0.5, -0.5)
    ax.set_xlim(0, 1.08)
    percent_axis(ax.xaxis)
    period = frame["period"].iloc[0] if "period" in frame.columns and len(frame) else "period"
    ax.set_xlabel(f"probability that a {period}'s attainment falls below the agreed fraction (95 % CI)")
    ax.set_ylabel("agreement · target")
    ax.set_title(title or "Breach probability per target", loc="left")
    handles = [Patch(facecolor=LIGHTS[k], edgecolor="grey", label=f"{SYMBOLS[k]} {MEANINGS['risk'][k]}")
               for k in ("green", "amber", "red")]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False, fontsize=8)
    return fig


# ----------------------------------------------------------------- attribution
def attribution_figure(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Per breached target: each party's mean share of the breached tickets' time, and how often it was
    over its own OLA/UC in those breaches.  ``table`` is ``attribute(results)``."""
    table = table.copy()
    table["row"] = table["agreement"].astype(str) + " · " + table["target"].astype(str) + \
        " (" + table["breaches"].astype(int).astype(str) + " breaches)"
    rows = _ordered(table, "row")
    parties = sorted(_ordered(table, "party"), key=str)
    fig, (left, right) = new_figure(13.0, 2.4 + 0.38 * max(len(rows), 1), ncols=2, sharey=True,
                                    gridspec_kw={"width_ratios": [3, 2]})
    share = table.pivot_table(index="row", columns="party", values="mean_share_of_time", aggfunc="sum").reindex(index=rows, columns=parties).fillna(0)
    over = table.pivot_table(index="row", columns="party", values="share_over_own_agreement", aggfunc="mean").reindex(index=rows, columns=parties)
    y = np.arange(len(rows))
    base = np.zeros(len(rows))
    for k, party in enumerate(parties):
        v = share[party].to_numpy()
        left.barh(y, v, left=base, color=colour(k), edgecolor="white", linewidth=0.5, label=party, height=0.7)
        for yi, b, vi in zip(y, base, v):
            if vi >= 0.12:
                left.text(b + vi / 2, yi, f"{vi:.0%}", ha="center", va="center", fontsize=7,
                          color="white" if colour(k) in (OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["reddish purple"]) else "black")
        base += v
    left.set_xlim(0, 1)
    percent_axis(left.xaxis)
    left.set_yticks(y, rows)
    left.set_ylim(len(rows) - 0.5, -0.5)
    left.set_xlabel("mean share of a breached ticket's business time")
    left.set_ylabel("SLA · target")
    left.set_title("Who used the time", loc="left")
    width = 0.8 / max(len(parties), 1)
    for k, party in enumerate(parties):
        v = over[party].to_numpy(dtype=float)
        shown = np.isfinite(v)
        right.barh(y[shown] - 0.4 + width * (k + 0.5), v[shown], height=width, color=colour(k), edgecolor="black", linewidth=0.3)
    right.set_xlim(0, 1)
    percent_axis(right.xaxis)
    right.set_xlabel("share of breaches with the party over its own OLA/UC")
    right.set_title("Who broke their own agreement", loc="left")
    right.grid(axis="x", alpha=0.3)
    fig.suptitle(title or "Attribution of missed SLA targets to the parties of the chain", x=0.01, ha="left")
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", ncol=min(len(parties), 4), frameon=False,
               fontsize=8, title="party (no bar on the right: not bound by an OLA/UC for these tickets)", title_fontsize=8)
    return fig


# ------------------------------------------------------------ frontier / sweep
def _hours(seconds: pd.Series) -> pd.Series:
    return seconds.astype(float) / 3600.0


def frontier_figure(frontier_result: Any, confidence: float | None = None, title: str | None = None,
                    max_lines: int = 6) -> Figure:
    """Breach probability against the threshold and the fraction (a plain DataFrame).

    Columns: ``threshold`` or ``threshold_seconds`` (seconds), ``fraction``,
    ``breach_probability``; optional ``ci_low``/``ci_high``.  (An object with a
    ``grid`` DataFrame, such as ``simsla.decide.frontier.Frontier``, is read
    through it.)  Up to ``max_lines`` fractions are drawn as lines; more as a
    heat map.  With ``confidence`` (e.g. 0.95) the acceptable risk
    ``1 - confidence`` is drawn: pairs below it are defensible.
    """
    frame = getattr(frontier_result, "grid", frontier_result)
    frame = frame.rename(columns={"threshold_seconds": "threshold"}).dropna(subset=["threshold", "breach_probability"])
    if confidence is None and hasattr(frontier_result, "confidence"):
        confidence = float(frontier_result.confidence)
    frame = frame.sort_values(["fraction", "threshold"])
    fractions = np.sort(frame["fraction"].unique())
    fig, ax = new_figure(9.0, 5.0)
    if len(fractions) > max_lines:
        matrix = frame.pivot_table(index="fraction", columns="threshold", values="breach_probability")
        x, y = _hours(pd.Series(matrix.columns)), matrix.index.to_numpy(dtype=float)
        mesh = ax.pcolormesh(x, y, matrix.to_numpy(dtype=float), cmap="cividis_r", vmin=0, vmax=1, shading="nearest")
        bar = fig.colorbar(mesh, ax=ax)
        bar.set_label("breach probability per period")
        if confidence is not None:
            ax.contour(x, y, matrix.to_numpy(dtype=float), levels=[1 - confidence], colors=OKABE_ITO["vermillion"],
                       linewidths=2)
            ax.plot([], [], color=OKABE_ITO["vermillion"], linewidth=2,
                    label=f"breach probability = {1 - confidence:.0%}: defensible below and to the right")
            ax.legend(fontsize=8, frameon=True, loc="lower right")
        ax.set_ylabel("agreed fraction")
        percent_axis(ax.yaxis)
    else:
        for k, (fraction, g) in enumerate(frame.groupby("fraction", sort=True)):
            x = _hours(g["threshold"])
            ax.plot(x, g["breach_probability"], marker="o", markersize=4, color=colour(k), label=f"{fraction:.0%} of tickets")
            if {"ci_low", "ci_high"} <= set(g.columns):
                ax.fill_between(x, g["ci_low"].astype(float), g["ci_high"].astype(float), color=colour(k), alpha=0.15,
                                linewidth=0)
        if confidence is not None:
            ax.axhline(1 - confidence, color=OKABE_ITO["black"], linestyle="--", linewidth=1,
                       label=f"acceptable risk ({1 - confidence:.0%})")
        ax.set_ylim(-0.02, 1.02)
        percent_axis(ax.yaxis)
        ax.grid(alpha=0.3)
        ax.set_ylabel("breach probability per period")
        ax.legend(title="agreed fraction", fontsize=8, title_fontsize=8, frameon=False)
    ax.set_xlabel("threshold (business hours)")
    ax.set_title(title or "What can be promised: breach probability by threshold and fraction", loc="left")
    return fig


def sweep_figure(sweep_table: pd.DataFrame, title: str | None = None) -> Figure:
    """Breach probability per sweep point and target, with CI bars (a plain DataFrame).

    Columns: ``point`` (a label, in the order given), ``target`` and
    ``breach_probability``; CI bounds in ``ci_low``/``ci_high`` (or a
    ``breach_probability_ci95`` pair) when known.
    """
    frame = sweep_table.copy()
    if {"ci_low", "ci_high"} - set(frame.columns) and "breach_probability_ci95" in frame.columns:
        pairs = np.array([c if c is not None else [np.nan, np.nan] for c in frame["breach_probability_ci95"]], dtype=float)
        frame["ci_low"], frame["ci_high"] = pairs[:, 0], pairs[:, 1]
    points = _ordered(frame.assign(point=frame["point"].astype(str)), "point")
    targets = _ordered(frame, "target")
    fig, ax = new_figure(max(7.0, 1.2 * len(points) + 3), 5.0)
    x = np.arange(len(points))
    offset = np.linspace(-0.2, 0.2, len(targets)) if len(targets) > 1 else [0.0]
    for k, target in enumerate(targets):
        g = frame[frame["target"] == target].assign(point=lambda d: d["point"].astype(str)).set_index("point").reindex(points)
        p = g["breach_probability"].to_numpy(dtype=float)
        if {"ci_low", "ci_high"} <= set(g.columns):
            err = np.vstack([np.clip(p - g["ci_low"].to_numpy(dtype=float), 0, None), np.clip(g["ci_high"].to_numpy(dtype=float) - p, 0, None)])
            ax.errorbar(x + offset[k], p, yerr=np.nan_to_num(err), fmt="o-", color=colour(k), capsize=3, label=str(target))
        else:
            ax.plot(x + offset[k], p, "o-", color=colour(k), label=str(target))
    for level in RISK_LEVELS:
        ax.axhline(level, color="grey", linestyle=":", linewidth=1)
    ax.set_xticks(x, points, rotation=20 if max((len(p) for p in points), default=0) > 12 else 0,
                  ha="right" if max((len(p) for p in points), default=0) > 12 else "center")
    ax.set_ylim(-0.02, 1.02)
    percent_axis(ax.yaxis)
    ax.grid(axis="y", alpha=0.3)
    ax.set_xlabel("scenario variant")
    ax.set_ylabel("breach probability per period (95 % CI)")
    ax.set_title(title or "Breach probability across the variants", loc="left")
    ax.legend(title="target", fontsize=8, title_fontsize=8, frameon=False)
    return fig
