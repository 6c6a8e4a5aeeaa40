"""Figures: every function returns a titled Figure with labelled axes; traffic lights follow the rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import simsla
from simsla.analysis.attainment import evaluate, target_summary
from simsla.analysis.attribution import attribute
from simsla.report import figures as F
from simsla.report.figures_style import LIGHTS


def tiny_scenario(evil: bool = False) -> simsla.Scenario:
    """A small desk with every kind of party and agreement; ``evil`` puts markup and quotes into its names."""
    service = '<script>alert("x")</script>' if evil else "mail"
    group = "2nd \"line\" & <b>co</b>'s" if evil else "second-line"
    return simsla.Scenario.model_validate({
        "name": 'Tiny <desk> "test"' if evil else "Tiny desk",
        "start": "2026-01-05", "horizon": "3w", "warmup": "1w", "timezone": "Europe/Stockholm",
        "services": [{"name": service}, {"name": "web"}],
        "profiles": {"office": {"intervals": [{"days": "mon-fri", "hours": "08:00-17:00", "weight": 1}]}},
        "demand": [{"name": "calls", "channel": "phone", "volume": "300/week", "profile": "office",
                    "impact": {"high": 0.1, "medium": 0.3, "low": 0.6},
                    "urgency": {"high": 0.2, "medium": 0.4, "low": 0.4}},
                   {"name": "tickets", "channel": "portal", "volume": "150/week", "profile": "office"}],
        "patience": {"dist": "exponential", "mean": "2m"},
        "groups": [{"name": "desk", "role": "desk", "shifts": [{"days": "mon-fri", "hours": "08:00-17:00", "staff": 2}],
                    "handling": {"dist": "exponential", "mean": "5m"}, "first_contact_resolution": 0.6},
                   {"name": group, "shifts": [{"days": "mon-fri", "hours": "08:00-17:00", "staff": 2}],
                    "handling": {"dist": "exponential", "mean": "1h"}}],
        "suppliers": [{"name": "vendor", "response": {"dist": "exponential", "mean": "1h"},
                       "resolution": {"dist": "exponential", "mean": "3h"}}],
        "routing": [{"from": "desk", "to": {group: 0.8, "vendor": 0.2}}],
        "agreements": [
            {"name": "SLA", "kind": "SLA", "period": "week", "targets": [
                {"name": "answer", "metric": "answer_time", "threshold": "20s", "fraction": 0.8},
                {"name": "resolution", "metric": "resolution", "threshold": "8h", "fraction": 0.9},
                {"name": "P1 <fix>", "metric": "resolution", "threshold": "2h", "fraction": 0.9,
                 "when": {"priority": "P1"}}]},
            {"name": "OLA", "kind": "OLA", "party": group, "period": "week", "targets": [
                {"name": "resolution", "metric": "resolution", "threshold": "4h", "fraction": 0.9}]},
        ],
    })


@pytest.fixture(scope="module")
def results():
    return simsla.simulate(tiny_scenario(), replications=3, seed=2, workers=1)


@pytest.fixture(scope="module")
def table(results):
    return F.with_margins(evaluate(results), results.scenario)


def _readable(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    title = fig.get_suptitle() or " ".join(ax.get_title(loc) for ax in fig.axes for loc in ("left", "center"))
    assert title.strip(), "a figure needs a title"
    for ax in fig.axes:
        if (not ax.has_data() and not ax.patches and not ax.texts) or ax.get_label() == "<colorbar>":
            continue
        shared_x = ax.get_shared_x_axes().get_siblings(ax)
        assert ax.get_xlabel() or any(o.get_xlabel() for o in shared_x), f"axis {ax.get_title(loc='left')!r} has no x label"
        shared_y = ax.get_shared_y_axes().get_siblings(ax)
        assert ax.get_ylabel() or any(o.get_ylabel() for o in shared_y), f"axis {ax.get_title(loc='left')!r} has no y label"
    fig.canvas.draw()  # renders without error (and constrained layout resolves)


def test_target_figures_are_readable(results, table):
    summary = target_summary(results, table)
    agreement = results.scenario.agreements[0]
    by_service = F.service_attainment(results, agreement, agreement.targets[1])
    for fig in (F.traffic_light_figure(table), F.breach_grid_figure(table),
                F.traffic_light_figure(by_service, rows=("service",)), F.breach_grid_figure(by_service, rows=("service",)),
                F.attainment_distribution_figure(table), F.breach_probability_figure(summary),
                F.attribution_figure(attribute(results))):
        _readable(fig)


def test_load_figures_are_readable(results):
    profile = F.weekly_profile(results)
    for fig in (F.load_figure(results, profile), F.utilisation_figure(results, profile), F.staffing_figure(results.scenario)):
        _readable(fig)


def test_frontier_and_sweep_take_plain_frames():
    frontier = pd.DataFrame({"threshold": [3600, 7200, 3600, 7200], "fraction": [0.9, 0.9, 0.95, 0.95],
                             "breach_probability": [0.4, 0.05, 0.8, 0.2]})
    _readable(F.frontier_figure(frontier, confidence=0.95))
    sweep = pd.DataFrame({"point": ["now", "now", "+1 agent", "+1 agent"], "target": ["a", "b", "a", "b"],
                          "breach_probability": [0.3, 0.1, 0.1, 0.0], "ci_low": [0.2, 0.05, 0.05, 0.0],
                          "ci_high": [0.4, 0.2, 0.2, 0.05]})
    _readable(F.sweep_figure(sweep))


def test_lights_follow_fraction_and_margin():
    assert F.light(0.79, 0.8) == "red"
    assert F.light(0.80, 0.8) == "amber"
    assert F.light(0.819, 0.8, 0.02) == "amber"
    assert F.light(0.82, 0.8, 0.02) == "green"
    assert F.light(0.85, 0.8, 0.0) == "green"
    assert F.light(np.nan, 0.8) == "none"
    assert F.light(1.0, 0.995, 0.02) == "green"  # a perfect period is green even when f + m > 100 %
    # risk lights come from the interval, not the point (line 10 %)
    assert F.risk_light(0.0, 0.0, 0.08, 0.1) == "green"
    assert F.risk_light(0.0, 0.0, 0.16, 0.1) == "amber"  # "0 % [0-16]" is not green: the upper end passes the line
    assert F.risk_light(0.3, 0.12, 0.5, 0.1) == "red"
    assert F.risk_light(0.3, 0.08, 0.5, 0.1) == "amber"
    assert F.risk_light(None, None, None, 0.1) == "none"
    assert F.pct(0.9996) == "99.9%" and F.pct(0.7996) == "79%" and F.pct(1.0) == "100%"


def test_grid_colours_match_a_hand_built_table():
    rows = [  # target, replication, period, attainment, fraction, margin, breached
        ("a", 0, "W1", 0.95, 0.90, 0.02, False),  # green
        ("a", 0, "W2", 0.91, 0.90, 0.02, False),  # amber
        ("a", 0, "W3", 0.85, 0.90, 0.02, True),   # red
        ("b", 0, "W1", np.nan, 0.80, 0.05, False),  # nothing counted
        ("b", 0, "W2", 0.84, 0.80, 0.05, False),  # amber with b's wider margin
        ("b", 0, "W3", 0.86, 0.80, 0.05, False),  # green
        ("a", 1, "W1", 0.80, 0.90, 0.02, True),   # another replication: not in replication 0's grid
    ]
    table = pd.DataFrame(rows, columns=["target", "replication", "period", "attainment", "fraction", "warning_margin",
                                        "breached"])
    table["agreement"], table["complete"], table["counted"] = "SLA", True, 10
    lights = F.grid_lights(table, replication=0)
    assert lights["light"].tolist() == ["green", "amber", "red", "none", "amber", "green"]
    fig = F.traffic_light_figure(table, replication=0)
    cells = [p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("cell-")]
    assert [p.get_gid() for p in cells] == [f"cell-{x}" for x in lights["light"]]
    from matplotlib.colors import to_hex
    assert [to_hex(p.get_facecolor()) for p in cells] == [LIGHTS[x].lower() for x in lights["light"]]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[:3] == ["✓ 95%", "! 91%", "✗ 85%"]
    risk = F.risk_table(table)
    w1 = risk[(risk["row"] == "SLA · a") & (risk["period"] == "W1")].iloc[0]
    # 1 of 2 replications breached: 50 %, but its interval straddles the 10 % line, so amber, not red
    assert w1["breach_probability"] == 0.5 and w1["replications"] == 2 and w1["light"] == "amber"
    assert 0 < w1["ci_low"] < 0.1 < 0.5 < w1["ci_high"] < 1
    w3 = risk[(risk["row"] == "SLA · a") & (risk["period"] == "W3")].iloc[0]
    assert w3["breach_probability"] == 1.0 and w3["light"] == "red" and w3["ci_low"] > 0.1  # 1 of 1: [21-100]


def test_service_attainment_adds_up_to_the_target(results):
    agreement = results.scenario.agreements[0]
    target = agreement.targets[1]
    by_service = F.service_attainment(results, agreement, target)
    whole = evaluate(results)
    whole = whole[(whole["agreement"] == agreement.name) & (whole["target"] == target.name)]
    summed = by_service.groupby(["replication", "period"])[["counted", "met"]].sum()
    merged = whole.set_index(["replication", "period"])[["counted", "met"]]
    pd.testing.assert_frame_equal(summed.sort_index(), merged.sort_index(), check_dtype=False)
    assert set(by_service["service"]) == {"mail", "web"}


def test_weekly_profile_counts_every_arrival(results):
    profile = F.weekly_profile(results)
    from simsla.analysis.weekly import _occurrences
    occurrences = _occurrences(results)
    total = (profile["arrivals"].mul(occurrences, axis=0).sum().sum()) * results.replications
    assert total == pytest.approx(len(results.tickets))
    assert profile["arrivals"].loc[:7].sum().sum() == 0  # the office profile has no calls before 08:00 on Monday


def test_staffing_table_uses_the_answer_target():
    sc = tiny_scenario()
    t = F.staffing_table(sc)
    assert t.attrs["threshold"] == 20 and t.attrs["fraction"] == 0.8
    assert t["scheduled"].max() == 2 and t.loc[t["hour_of_week"] == 3, "scheduled"].item() == 0
    busy = t[t["calls_per_hour"] > 0]
    assert (busy["required"] >= np.ceil(busy["load_erlangs"])).all()


def test_frontier_figure_draws_a_dense_grid_as_a_heat_map():
    thresholds = np.linspace(0, 8 * 3600, 9)
    fractions = np.round(np.arange(0.5, 1.0, 0.05), 2)
    grid = pd.DataFrame([(t, f, min(1.0, f * 3600 / (t + 1))) for t in thresholds for f in fractions],
                        columns=["threshold_seconds", "fraction", "breach_probability"])
    fig = F.frontier_figure(grid, confidence=0.9)
    _readable(fig)
    assert fig.axes[0].collections  # the heat map
