"""Offered load before simulating, and what happens when a queue cannot settle."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import simsla
from simsla.cli import app
from simsla.experiment.stability import offered_load, overloaded


def _scenario(volume: str, staff: int = 1, patience: bool = False, horizon: str = "2d"):
    return simsla.Scenario.model_validate({
        "name": "load", "start": "2026-01-05", "horizon": horizon,
        "services": [{"name": "a"}, {"name": "b"}],
        "demand": [{"name": "t", "channel": "phone" if patience else "portal", "volume": volume,
                    **({"patience": {"dist": "exponential", "mean": "1m"}} if patience else {})}],
        "groups": [{"name": "desk", "role": "desk", "staff": staff, "handling": {"dist": "exponential", "mean": "10m"},
                    "first_contact_resolution": 0.5},
                   {"name": "l2", "shifts": [{"days": "mon-fri", "hours": "08:00-16:00", "staff": 2}],
                    "handling": {"dist": "exponential", "mean": "1h"}}],
        "routing": [{"from": "desk", "when": {"service": "a"}, "to": {"l2": 1.0}},
                    {"from": "desk", "to": {"l2": 1.0}},
                    {"from": "l2", "to": {"resolved": 0.8, "l2": 0.2}}],
    })


def test_traffic_equations_by_hand():
    # 3/h arrive; the desk resolves half; the rest visit l2 1/(1-0.2) = 1.25 times on average
    table = offered_load(_scenario("3/h", staff=2)).set_index("party")
    assert table.loc["desk", "visits_per_hour"] == pytest.approx(3.0)
    assert table.loc["desk", "offered_erlangs"] == pytest.approx(3 * 10 / 60)
    assert table.loc["l2", "visits_per_hour"] == pytest.approx(3 * 0.5 * 1.25)
    assert table.loc["l2", "offered_erlangs"] == pytest.approx(3 * 0.5 * 1.25 * 1.0)
    # l2 works 8 h on weekdays: a two-day run from Monday averages 2 x 16 / 48 people
    assert table.loc["l2", "capacity"] == pytest.approx(2 * 16 / 48)
    assert not table.loc["l2", "stable"] and table.loc["desk", "stable"]


def test_analytic_load_matches_simulated_utilisation():
    sc = _scenario("1/h", staff=1, horizon="28d")
    table = offered_load(sc).set_index("party")
    results = simsla.simulate(sc, replications=6, seed=2, workers=1)
    u = results.utilization.groupby(["replication", "group"], observed=True)[["busy", "staffed"]].sum()
    desk = (u.xs("desk", level="group")["busy"] / u.xs("desk", level="group")["staffed"]).to_numpy()
    m, half = desk.mean(), 3 * desk.std(ddof=1) / np.sqrt(len(desk))
    assert abs(m - table.loc["desk", "utilization"]) < half + 0.01


def test_overloaded_names_the_group_its_load_and_capacity():
    messages = overloaded(_scenario("600/h"))
    assert any(m.startswith("desk:") and "100.00 Erlang" in m and "capacity of 1.00" in m for m in messages)
    # impatient callers bound the desk's queue: no refusal for the desk itself
    assert not any(m.startswith("desk:") for m in overloaded(_scenario("600/h", patience=True)))


def test_run_refuses_an_overloaded_scenario_and_force_ends_cleanly(tmp_path):
    path = tmp_path / "over.yaml"
    path.write_text("""
name: overloaded
start: 2026-01-05
horizon: 7d
services: [{name: a}]
demand: [{name: t, channel: portal, volume: 60/h}]
groups:
  - {name: desk, role: desk, staff: 1, handling: {dist: exponential, mean: 10m}, first_contact_resolution: 1.0}
""")
    runner = CliRunner()
    refused = runner.invoke(app, ["run", str(path), "-r", "1", "-w", "1", "-o", str(tmp_path / "out")])
    assert refused.exit_code == 3 and "desk" in refused.output and "Traceback" not in refused.output
    assert not (tmp_path / "out").exists()
    results = simsla.simulate(simsla.load_scenario(path), replications=1, seed=1, workers=1, max_queue=500)
    assert results.unstable and "desk" in results.unstable[0] and "Erlang" in results.unstable[0]
    assert len(results.tickets) < 2000  # the run stopped at the bound, not at the horizon


def test_too_many_arrivals_is_refused_before_generating_them():
    assert "holds in memory" in overloaded(_scenario("100000/s", horizon="30d"))[0]
