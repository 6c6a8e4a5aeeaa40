"""Availability: with exponential failures and repairs, long-run availability is MTBF / (MTBF + MTTR).

Each replication's pooled availability over its quarters (support hours 24/7,
no maintenance) is one observation; the analytic value must lie in the 99 %
CI across replications, and the CI must be narrow.  A second case checks that
a planned maintenance window is excluded: failures during it do not count and
the support time shrinks accordingly.
"""

from __future__ import annotations

import numpy as np

import simsla
from simsla.analysis.attainment import evaluate

from .conftest import check_ci

MTBF_H, MTTR_H = 72.0, 6.0


def _scenario(maintenance=()):
    return simsla.Scenario.model_validate({
        "name": "availability", "start": "2026-01-05", "horizon": "52w",
        "services": [{"name": "mail", "maintenance": list(maintenance),
                      "failures": {"time_between": {"dist": "exponential", "mean": f"{MTBF_H:g}h"},
                                   "time_to_restore": {"dist": "exponential", "mean": f"{MTTR_H:g}h"},
                                   "major_incident": False}}],
        "demand": [{"name": "t", "channel": "portal", "volume": "1/day"}],
        "groups": [{"name": "desk", "role": "desk", "staff": 1, "handling": {"dist": "exponential", "mean": "5m"},
                    "first_contact_resolution": 1.0}],
        "agreements": [{"name": "SLA", "kind": "SLA", "period": "quarter",
                        "targets": [{"name": "availability", "metric": "availability", "fraction": 0.99}]}],
    })


def _per_replication(results):
    table = evaluate(results)
    rows = table[table["complete"]]
    g = rows.groupby("replication")[["met", "counted"]].sum()
    return (g["met"] / g["counted"]).to_numpy()


def test_availability_matches_mtbf_over_mtbf_plus_mttr():
    results = simsla.simulate(_scenario(), replications=20, seed=11, workers=2)
    check_ci("availability = MTBF/(MTBF+MTTR)", _per_replication(results), MTBF_H / (MTBF_H + MTTR_H),
             max_abs_half=0.01)


def test_outages_during_maintenance_do_not_count():
    # Sunday 00-12 every week is planned maintenance: the support time loses 12/168 of the week
    # and outages (or their parts) inside that window are not downtime.
    window = [{"days": "sun", "hours": "00:00-12:00"}]
    with_window = simsla.simulate(_scenario(window), replications=4, seed=3, workers=1)
    table = evaluate(with_window)
    complete = table[table["complete"]]
    support_share = complete["counted"].sum() / (complete["period_end"] - complete["period_start"]).sum()
    assert np.isclose(support_share, 1 - 12 / 168, atol=0.002)
    # same seed, no window: the same outages, now all counted
    without = simsla.simulate(_scenario(), replications=4, seed=3, workers=1)
    down_with = (complete["counted"] - complete["met"]).sum()
    plain = evaluate(without)
    plain = plain[plain["complete"]]
    down_without = (plain["counted"] - plain["met"]).sum()
    assert down_with < down_without
