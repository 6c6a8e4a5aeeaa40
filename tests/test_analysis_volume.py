"""The paired difference of breach shares with and without busy days (simsla.analysis.volume)."""

from __future__ import annotations

import numpy as np
import pytest

import simsla
from simsla.analysis.volume import COLUMNS, volume_effect
from simsla.decide.volume import without_busy_days

#: a one-queue desk loaded to ~56 %: safe for its weekly answer-time target on Poisson days (~86 % answered in
#: 20 s against 80 %), not in busy weeks (day factors with cv 0.35)
DESK = {
    "name": "volume effect", "start": "2026-01-05", "timezone": "UTC", "warmup": "1d", "horizon": "29d",
    "services": [{"name": "helpdesk"}],
    "demand": [{"name": "calls", "channel": "phone", "volume": "20/h", "busy_days": {"cv": 0.35}}],
    "groups": [{"name": "desk", "role": "desk", "staff": 6, "handling": {"dist": "exponential", "mean": "10m"},
                "first_contact_resolution": 1.0}],
    "agreements": [{"name": "SLA", "kind": "SLA", "period": "week",
                    "targets": [{"name": "answer", "metric": "answer_time", "threshold": "20s", "fraction": 0.8}]}],
}


@pytest.fixture(scope="module")
def runs():
    sc = simsla.Scenario.model_validate(DESK)
    busy = simsla.simulate(sc, replications=6, seed=5, workers=1)
    plain = simsla.simulate(without_busy_days(sc), replications=6, seed=5, workers=1)
    return busy, plain


def test_busy_days_add_risk_with_an_interval_that_excludes_zero(runs):
    busy, plain = runs
    frame = volume_effect(busy, plain)
    assert list(frame.columns) == COLUMNS and len(frame) == 1
    row = frame.iloc[0]
    assert (row["agreement"], row["target"], row["period"], row["replications"]) == ("SLA", "answer", "week", 6)
    assert row["from_volume_low"] > 0, row.to_dict()  # the tight target: the busy-day risk is not noise
    assert row["from_volume_low"] <= row["from_volume"] <= row["from_volume_high"]
    # the paired mean is the difference of the pooled breach probabilities (equal periods per replication)
    assert row["from_volume"] == pytest.approx(row["with_busy_days"] - row["without"])
    assert row["with_busy_days_low"] <= row["with_busy_days"] <= row["with_busy_days_high"]
    assert row["without_low"] <= row["without"] <= row["without_high"]
    assert 0 < row["share_from_volume"] <= 1 + 1e-9


def test_identical_runs_differ_by_exactly_zero(runs):
    busy, _ = runs
    row = volume_effect(busy, busy).iloc[0]
    assert row["from_volume"] == 0.0 and row["from_volume_low"] == 0.0 and row["from_volume_high"] == 0.0
    assert row["with_busy_days"] == row["without"]


def test_one_replication_has_no_interval():
    sc = simsla.Scenario.model_validate(DESK | {"horizon": "8d"})
    one = simsla.simulate(sc, replications=1, seed=2, workers=1)
    row = volume_effect(one, one).iloc[0]
    assert row["from_volume"] == 0.0 and np.isnan(row["from_volume_low"]) and row["replications"] == 1


def _scenario_file(tmp_path, **changes) -> str:
    import copy

    import yaml

    data = copy.deepcopy(DESK) | {"horizon": "15d"} | changes
    path = tmp_path / "desk.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_run_volume_risk_writes_the_table_and_the_report_section(tmp_path):
    import pandas as pd
    from typer.testing import CliRunner

    from simsla.cli import app

    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["run", _scenario_file(tmp_path), "-r", "3", "-s", "4", "-w", "1", "-o", str(out),
                                      "--volume-risk", "--report"])
    assert result.exit_code == 0, result.output
    assert "How much of the risk is volume uncertainty" in result.output and "from volume" in result.output
    frame = pd.read_csv(out / "volume_risk.csv")
    assert list(frame.columns) == COLUMNS and frame["replications"].tolist() == [3]
    html = (out / "report.html").read_text()
    assert "<h2>How much of the risk is volume uncertainty</h2>" in html and 'class="volume-risk"' in html
    assert "same seed" in html
    loaded = simsla.Results.load(out)
    assert loaded.extra["volume_risk"]["target"].tolist() == ["answer"]
    # `simsla report` redraws it from the folder
    (out / "report.html").unlink()
    assert CliRunner().invoke(app, ["report", str(out)]).exit_code == 0
    assert "How much of the risk is volume uncertainty" in (out / "report.html").read_text()


def test_run_volume_risk_refuses_a_scenario_without_busy_days(tmp_path):
    from typer.testing import CliRunner

    from simsla.cli import app

    demand = [{"name": "calls", "channel": "phone", "volume": "20/h"}]
    result = CliRunner().invoke(app, ["run", _scenario_file(tmp_path, demand=demand), "-r", "2", "-w", "1",
                                      "-o", str(tmp_path / "results"), "--volume-risk"])
    assert result.exit_code == 2 and "no demand stream has busy days" in result.output, result.output
    assert not (tmp_path / "results").exists()
