"""The summary's staffing numbers: agent-hours on the floor, paid hours at the group's shrinkage, cost."""

import pytest

import simsla


def test_paid_hours_and_cost_follow_shrinkage() -> None:
    sc = simsla.Scenario.model_validate({
        "name": "paid time", "start": "2026-01-05", "timezone": "UTC", "horizon": "2w",
        "services": [{"name": "helpdesk"}],
        "demand": [{"name": "calls", "channel": "phone", "volume": "20/h"}],
        "groups": [{"name": "desk", "role": "desk", "staff": 10, "first_contact_resolution": 1.0,
                    "discipline": "fifo", "handling": {"dist": "exponential", "mean": "5m"},
                    "cost_per_hour": 2.0, "shrinkage": 0.2}],
    })
    g = simsla.simulate(sc, replications=2, seed=1, workers=1).summary()["groups"][0]
    assert g["on_floor_agent_hours_per_week"] == pytest.approx(10 * 168)  # ten agents around the clock
    assert g["paid_agent_hours_per_week"] == pytest.approx(10 * 168 / 0.8)  # 20 % of paid time off the floor
    assert g["cost_per_week"] == pytest.approx(10 * 168 / 0.8 * 2.0)
