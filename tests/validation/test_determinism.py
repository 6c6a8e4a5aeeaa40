"""Same seed, same results, whatever the number of worker processes; another seed, other results.

The scenario touches every random stream: arrivals with a profile, attributes
(priorities), patience, handling at two groups, routing with feedback, shifts.
"""

from __future__ import annotations

import pandas as pd
import pytest

import simsla

from .conftest import desk, exponential, scenario


@pytest.fixture(scope="module")
def busy_scenario():
    return scenario(
        rate="20/h", horizon="5d", warmup="1d", patience=exponential("2m"),
        stream={"profile": {"days": {"mon-fri": 1.0, "weekend": 0.3}, "hours": [0.3] * 8 + [2.0] * 10 + [0.5] * 6},
                "impact": {"high": 0.2, "medium": 0.3, "low": 0.5}, "urgency": {"high": 0.5, "low": 0.5}},
        routing=[{"from": "desk", "to": {"group2": 1.0}}, {"from": "group2", "to": {"group2": 0.2, "resolved": 0.8}}],
        groups=[desk(None, {"dist": "lognormal", "mean": "4m", "cv": 1.2}, first_contact_resolution=0.7,
                     discipline="priority",
                     shifts=[{"days": "all", "hours": "07:00-19:00", "staff": 3}, {"days": "all", "hours": "19:00-07:00", "staff": 1}]),
                {"name": "group2", "staff": 2, "handling": exponential("15m"), "preemptive": True}],
    )


@pytest.fixture(scope="module")
def serial(busy_scenario):
    return simsla.simulate(busy_scenario, replications=3, seed=2024, workers=1)


def test_same_seed_same_results_for_any_worker_count(busy_scenario, serial) -> None:
    parallel = simsla.simulate(busy_scenario, replications=3, seed=2024, workers=2)
    assert len(serial.tickets) > 1000 and serial.segments["party"].eq("group2").sum() > 300
    assert serial.tickets["outcome"].eq("abandoned").any()
    pd.testing.assert_frame_equal(serial.tickets, parallel.tickets, check_exact=True)
    pd.testing.assert_frame_equal(serial.segments, parallel.segments, check_exact=True)
    pd.testing.assert_frame_equal(serial.utilization, parallel.utilization, check_exact=True)
    pd.testing.assert_frame_equal(serial.runs, parallel.runs, check_exact=True)
    # and a repeat in the same process
    again = simsla.simulate(busy_scenario, replications=3, seed=2024, workers=1)
    pd.testing.assert_frame_equal(serial.tickets, again.tickets, check_exact=True)
    pd.testing.assert_frame_equal(serial.segments, again.segments, check_exact=True)


def test_replication_depends_only_on_seed_and_index(busy_scenario, serial) -> None:
    """Replication 2 of a 3-replication run equals replication 2 of a 4-replication run."""
    more = simsla.simulate(busy_scenario, replications=4, seed=2024, workers=1)
    a = serial.tickets[serial.tickets["replication"] == 2].reset_index(drop=True)
    b = more.tickets[more.tickets["replication"] == 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_other_seed_other_results(busy_scenario, serial) -> None:
    other = simsla.simulate(busy_scenario, replications=3, seed=2025, workers=1)
    for r in range(3):
        a = serial.tickets.loc[serial.tickets["replication"] == r, "arrival"].to_numpy()
        b = other.tickets.loc[other.tickets["replication"] == r, "arrival"].to_numpy()
        assert len(a) != len(b) or (a != b).any()
    # replications of one run differ from each other too
    t = serial.tickets
    assert not t.loc[t["replication"] == 0, "arrival"].head(50).to_numpy().tolist() == \
        t.loc[t["replication"] == 1, "arrival"].head(50).to_numpy().tolist()
