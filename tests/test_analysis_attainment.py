"""Attainment, breach probability, attribution and coverage on small deterministic desks."""

from __future__ import annotations

import numpy as np
import pytest

import simsla
from simsla.analysis.attainment import evaluate, target_summary
from simsla.analysis.attribution import attribute
from simsla.analysis.coverage import check


def _scenario(sla_threshold: str, uc_threshold: str = "3h", with_uc: bool = True, uc_fraction: float = 0.95):
    agreements = [{
        "name": "SLA", "kind": "SLA", "period": "week",
        "targets": [{"name": "resolution", "metric": "resolution", "threshold": sla_threshold, "fraction": 0.9}],
    }]
    if with_uc:
        agreements.append({"name": "UC", "kind": "UC", "party": "vendor", "period": "week",
                           "targets": [{"name": "resolution", "metric": "resolution", "threshold": uc_threshold,
                                        "fraction": uc_fraction}]})
    return simsla.Scenario.model_validate({
        "name": "deterministic chain", "start": "2026-01-05", "horizon": "14d",
        "services": [{"name": "mail"}],
        "demand": [{"name": "tickets", "channel": "portal", "volume": "24/day"}],
        "groups": [{"name": "desk", "role": "desk", "staff": 50,
                    "handling": {"dist": "deterministic", "value": "5m"}, "first_contact_resolution": 0.0}],
        "suppliers": [{"name": "vendor", "response": {"dist": "deterministic", "value": "1h"},
                       "resolution": {"dist": "deterministic", "value": "2h"}}],
        "routing": [{"from": "desk", "to": {"vendor": 1.0}}],
        "agreements": agreements,
    })


def test_every_ticket_misses_a_threshold_below_its_fixed_resolution_time():
    # no queueing (50 agents for 1 ticket an hour): every ticket takes exactly 5m + 1h + 2h
    results = simsla.simulate(_scenario("3h"), replications=3, seed=4, workers=1)
    table = evaluate(results)
    sla = table[table["agreement"] == "SLA"]
    assert (sla["met"] == 0).all() and sla["breached"].all()
    # counted: tickets resolved in the period plus open ones already past 3h at the stop
    tk = results.tickets
    resolved = (tk["outcome"] == "resolved").sum()
    stop = results.runs["stopped_at"].to_numpy()[tk["replication"].to_numpy()]
    overdue_open = ((tk["outcome"] == "open") & (stop - tk["arrival"] > 3 * 3600)).sum()
    assert sla["counted"].sum() == resolved + overdue_open
    summary = {t["target"] + t["agreement"]: t for t in target_summary(results, table)}
    assert summary["resolutionSLA"]["breach_probability"] == 1.0
    assert summary["resolutionUC"]["breach_probability"] == 0.0  # the supplier takes exactly its 3h


def test_every_ticket_meets_a_threshold_above_its_fixed_resolution_time():
    results = simsla.simulate(_scenario("3h10m"), replications=2, seed=4, workers=1)
    table = evaluate(results)
    sla = table[table["agreement"] == "SLA"]
    assert (sla["met"] == sla["counted"]).all()
    assert not sla["breached"].any()
    assert sla["complete"].all() and len(sla) == 2 * 2  # two replications x two ISO weeks


def test_attribution_blames_the_supplier_for_most_of_the_time():
    results = simsla.simulate(_scenario("3h", uc_threshold="2h"), replications=1, seed=4, workers=1)
    table = attribute(results)
    vendor = table[table["party"] == "vendor"].iloc[0]
    assert vendor["mean_share_of_time"] == pytest.approx(3 / 3.0833333, rel=1e-3)
    assert vendor["share_over_own_agreement"] == 1.0  # 3h > its 2h UC on every missed ticket
    work = table[table["party"] == "desk (work)"].iloc[0]
    assert work["mean_hours"] == pytest.approx(5 / 60, rel=1e-6)


@pytest.mark.parametrize(("sla", "uc", "with_uc", "fraction", "verdict"), [
    ("4h", "3h", True, 0.95, "covered"),
    ("4h", "3h", False, 0.95, "missing agreement"),
    ("4h", "5h", True, 0.95, "over budget"),
    ("4h", "3h", True, 0.80, "weak fraction"),
])
def test_check_verdicts(sla, uc, with_uc, fraction, verdict):
    verdicts = check(_scenario(sla, uc, with_uc, fraction))
    assert [v.verdict for v in verdicts] == [verdict]
    if verdict != "covered":
        assert any("vendor" in p for p in verdicts[0].problems)


def test_summary_json_has_target_fields(tmp_path):
    results = simsla.simulate(_scenario("3h"), replications=2, seed=1, workers=1)
    summary = results.summary()
    target = summary["targets"][0]
    for key in ("agreement", "kind", "target", "metric", "threshold_seconds", "fraction", "period", "attainment",
                "attainment_ci95", "periods_evaluated", "breach_probability", "breach_probability_ci95"):
        assert key in target
    assert np.isclose(target["threshold_seconds"], 3 * 3600)


def test_period_counts_by_integer_keys_are_the_groupbys_table():
    # period_counts without ``by`` counts by integer keys: the same table, dtypes and order as the groupby
    import pandas as pd

    from simsla.analysis.attainment import _counts_by_replication

    rng = np.random.default_rng(3)
    for n in (1, 7, 5_000):
        rep = rng.integers(0, 4, n).astype(np.int32)
        code = rng.integers(24_300, 24_320, n).astype(np.int64)
        met = rng.random(n) < 0.8
        found = pd.DataFrame({"replication": rep, "code": code, "met": met})
        expected = (found.groupby(["replication", "code"], observed=True)
                    .agg(counted=("met", "size"), met=("met", "sum")).reset_index())
        pd.testing.assert_frame_equal(_counts_by_replication(rep, code, met), expected)
