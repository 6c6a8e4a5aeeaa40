"""Forecast uncertainty in the answer: breach risk with and without busy days, and staffing at a volume quantile."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from typer.testing import CliRunner

import simsla
from simsla.cli import app
from simsla.decide.erlang import week_requirement
from simsla.decide.volume import at_volume_quantile, factor_quantile, volume_risk, without_busy_days
from simsla.engine import daily, streams
from simsla.model.volume import BusyDays

runner = CliRunner()
DESK = {
    "name": "volume risk", "start": "2026-01-01", "timezone": "UTC", "warmup": "1d", "horizon": "62d",
    "services": [{"name": "helpdesk"}],
    "demand": [{"name": "calls", "channel": "phone", "volume": "12/h", "busy_days": {"cv": 0.25}}],
    "groups": [{"name": "desk", "role": "desk", "staff": 4, "handling": {"dist": "exponential", "mean": "10m"},
                "first_contact_resolution": 1.0}],
    "agreements": [{"name": "SLA", "kind": "SLA", "period": "month",
                    "targets": [{"name": "answer", "metric": "answer_time", "threshold": "20s", "fraction": 0.8}]}],
}


def scenario(**stream) -> simsla.Scenario:
    data = copy.deepcopy(DESK)
    data["demand"][0].update(stream)
    return simsla.Scenario.model_validate(data)


@pytest.mark.parametrize("busy", [BusyDays(cv=0.25), BusyDays(cv=0.4, distribution="lognormal")])
def test_factor_quantile_is_the_quantile_of_the_drawn_factors(busy):
    f = daily.day_factors(busy, 200_000, streams.stream(1, 0, streams.BUSY_DAYS, 0, 0))
    q = factor_quantile(busy, 0.9)
    share = np.mean(f <= q)
    assert abs(share - 0.9) < 2.576 * np.sqrt(0.09 / len(f))
    assert factor_quantile(None, 0.9) == 1.0
    with pytest.raises(ValueError):
        factor_quantile(busy, 1.0)


def test_at_volume_quantile_needs_more_agents():
    sc = scenario()
    high, lines = at_volume_quantile(sc, 0.9)
    assert high.demand[0].volume == pytest.approx(sc.demand[0].volume * factor_quantile(BusyDays(cv=0.25), 0.9))
    assert high.busy_days_of(high.demand[0]) is None and "calls" in lines[0]
    assert week_requirement(high).frame["required"].sum() > week_requirement(sc).frame["required"].sum()
    result = runner.invoke(app, ["erlang", "--scenario", _write(sc), "--volume-quantile", "0.9"])
    assert result.exit_code == 0 and "volume x 1.3" in result.output, result.output


def _write(sc: simsla.Scenario) -> str:
    import tempfile

    import yaml

    path = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    path.write(yaml.safe_dump(copy.deepcopy(DESK)))
    path.close()
    return path.name


def test_volume_risk_compares_the_same_seed_with_and_without_busy_days():
    sc = scenario()
    plain = without_busy_days(sc)
    assert plain.busy_days_of(plain.demand[0]) is None and plain.demand[0].volume == sc.demand[0].volume
    frame = volume_risk(sc, replications=4, seed=3, workers=1)
    row = frame.iloc[0]
    # this desk is safe on Poisson days and breaches on busy months (see tests/validation/test_busy_days.py)
    assert row["without"] < 0.2 < row["with_busy_days"]
    assert row["from_volume"] == pytest.approx(row["with_busy_days"] - row["without"])
    assert 0 < row["share_from_volume"] <= 1


def test_volume_risk_cli_refuses_a_scenario_without_busy_days(tmp_path):
    import yaml

    data = copy.deepcopy(DESK)
    del data["demand"][0]["busy_days"]
    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump(data))
    result = runner.invoke(app, ["volume-risk", str(path), "-r", "2"])
    assert result.exit_code == 2 and "no demand stream has busy days" in result.output
