"""Busy days: the model, the factor generator and exact reproduction of Poisson runs with cv 0."""

from __future__ import annotations

import copy
import textwrap

import numpy as np
import pandas as pd
import pytest

import simsla
from simsla.engine import arrivals, daily, streams
from simsla.experiment import gate
from simsla.io import ScenarioError, load_scenario
from simsla.model.volume import BusyDays

BASE = {
    "name": "busy days unit",
    "start": "2026-03-23",  # a Monday; the clocks change on 2026-03-29 in Stockholm
    "timezone": "Europe/Stockholm",
    "horizon": "1w",
    "services": [{"name": "mail"}],
    "demand": [
        {"name": "calls", "channel": "phone", "volume": "40/h",
         "profile": {"days": {"mon-fri": 1, "weekend": 0.2}}},
        {"name": "mails", "channel": "email", "volume": "8/h"},
    ],
    "groups": [{"name": "desk", "role": "desk", "staff": 4, "handling": {"dist": "exponential", "mean": "4m"},
                "first_contact_resolution": 1.0}],
}


def scenario(**overrides) -> simsla.Scenario:
    data = copy.deepcopy(BASE)
    for key, value in overrides.items():
        if key.startswith("demand."):
            index, field = key[len("demand."):].split(".", 1)
            data["demand"][int(index)][field] = value
        else:
            data[key] = value
    return simsla.Scenario.model_validate(data)


def ticket_table(sc: simsla.Scenario) -> pd.DataFrame:
    return simsla.simulate(sc, replications=2, seed=11, workers=1).tickets


@pytest.fixture(scope="module")
def plain() -> pd.DataFrame:
    return ticket_table(scenario())


@pytest.mark.parametrize("overrides", [
    {"demand.0.busy_days": {"cv": 0}},
    {"demand.0.busy_days": {"cv": 0, "correlation": 0.5, "distribution": "lognormal"}},
    {"busy_days": {"region": {"cv": 0}}, "demand.0.busy_days": "region", "demand.1.busy_days": "region"},
])
def test_cv_zero_reproduces_the_poisson_run_exactly(plain, overrides):
    same = ticket_table(scenario(**overrides))
    pd.testing.assert_frame_equal(plain, same)


def test_a_busy_factor_changes_only_its_own_stream(plain):
    busy = ticket_table(scenario(**{"demand.0.busy_days": {"cv": 0.3}}))
    calls = plain["stream"] == "calls"
    assert len(plain[calls]) != len(busy[busy["stream"] == "calls"])
    # the e-mails arrive at the same instants: their random streams are untouched
    a = plain[plain["stream"] == "mails"]["arrival"].to_numpy()
    b = busy[busy["stream"] == "mails"]["arrival"].to_numpy()
    assert len(a) > 100 and np.array_equal(a, b)


def test_streams_sharing_a_factor_move_together_and_own_factors_do_not():
    shared = scenario(busy_days={"region": {"cv": 0.4}}, **{"demand.0.busy_days": "region", "demand.1.busy_days": "region"})
    f = daily.busy_day_factors(shared, seed=3, replication=0)
    assert np.array_equal(f[0], f[1])
    own = scenario(**{"demand.0.busy_days": {"cv": 0.4}, "demand.1.busy_days": {"cv": 0.4}})
    g = daily.busy_day_factors(own, seed=3, replication=0)
    assert not np.allclose(g[0], g[1])
    # a factor's numbers depend on the seed and replication only, not on other factors
    again = daily.busy_day_factors(scenario(busy_days={"other": {"cv": 0.1}, "region": {"cv": 0.4}},
                                            **{"demand.0.busy_days": "region"}), seed=3, replication=0)
    assert np.array_equal(again[0], f[0])
    assert not np.array_equal(daily.busy_day_factors(shared, seed=3, replication=1)[0], f[0])


def test_one_factor_per_local_day_including_the_23_hour_day():
    sc = scenario(**{"demand.1.busy_days": {"cv": 0.5}})
    starts = daily.day_starts(sc)
    assert np.all(np.diff(starts) > 0)
    assert set(np.diff(starts)) == {82800.0, 86400.0}  # 2026-03-29 has 23 hours
    factors = np.arange(1.0, len(starts) + 1)
    iv = daily.scale_by_day(arrivals.rate_intervals(sc, sc.demand[1]), starts, factors)
    base = arrivals.rate_intervals(sc, sc.demand[1])
    day = np.searchsorted(starts, base[:, 0], side="right") - 1
    assert np.allclose(iv[:, 2], base[:, 2] * factors[day])
    # every hour of one local day has that day's factor: 24 hours, 23 on the clock-change day
    assert np.bincount(day)[1:-1].tolist().count(23) == 1


@pytest.mark.parametrize("busy", [BusyDays(cv=0.3), BusyDays(cv=0.3, distribution="lognormal"),
                                  BusyDays(cv=0.8, correlation=0.7), BusyDays(cv=1.5, distribution="lognormal",
                                                                              correlation=0.3)])
def test_factor_has_mean_one_and_the_stated_cv(busy):
    f = np.concatenate([daily.day_factors(busy, 4000, streams.stream(5, r, streams.BUSY_DAYS, 0, 0))
                        for r in range(25)])
    # standard errors from batch means over 25 replications (the days within one are correlated)
    batches = f.reshape(25, -1)
    means, cvs = batches.mean(axis=1), batches.std(axis=1) / batches.mean(axis=1)
    se_mean, se_cv = means.std(ddof=1) / 5, cvs.std(ddof=1) / 5
    assert abs(means.mean() - 1) < 4 * se_mean
    assert abs(cvs.mean() - busy.cv) < 4 * se_cv + 0.02 * busy.cv  # the batch cv is biased low by O(1/n)
    assert f.min() >= 0


def test_mean_factor_quantile_bounds_the_mean_factor():
    busy = BusyDays(cv=0.4, correlation=0.5)
    q = daily.mean_factor_quantile(busy, 14)
    means = [daily.day_factors(busy, 14, streams.stream(1, r, streams.BUSY_DAYS, 0, 0)).mean() for r in range(2000)]
    assert q > 1 and np.mean(np.array(means) > q) < 0.01
    assert daily.mean_factor_quantile(None, 14) == 1.0 == daily.mean_factor_quantile(BusyDays(cv=0), 14)


def test_the_resource_estimate_allows_for_busy_days():
    plain = gate.estimate_resources(scenario())
    busy = gate.estimate_resources(scenario(**{"demand.0.busy_days": {"cv": 0.5}}))
    assert busy.tickets > plain.tickets


def write(tmp_path, text: str):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


HEAD = """\
name: t
start: 2026-01-05
horizon: 1w
services: [{name: s}]
groups: [{name: desk, role: desk, staff: 2, handling: {dist: exponential, mean: 4m}, first_contact_resolution: 1}]
"""


@pytest.mark.parametrize("body, field, words", [
    ("demand: [{name: c, channel: phone, volume: 5/h, busy_days: {cv: 3}}]", "demand[0].busy_days", "less than or equal to 2"),
    ("demand: [{name: c, channel: phone, volume: 5/h, busy_days: {cv: -0.1}}]", "demand[0].busy_days", "greater than or equal to 0"),
    ("demand: [{name: c, channel: phone, volume: 5/h, busy_days: {cv: 0.2, correlation: 1}}]", "demand[0].busy_days", "0.99"),
    ("demand: [{name: c, channel: phone, volume: 5/h, busy_days: {cv: 0.2, distribution: weibull}}]", "demand[0].busy_days", "gamma"),
    ("demand: [{name: c, channel: phone, volume: 5/h, busy_days: {cv: 0.2, sd: 1}}]", "demand[0].busy_days", "sd"),
    ("demand: [{name: c, channel: phone, volume: 5/h, busy_days: retail}]", "demand[0].busy_days", "unknown busy-day factor 'retail'"),
    ("busy_days: {retail: {cv: yes}}\ndemand: [{name: c, channel: phone, volume: 5/h, busy_days: retail}]", "busy_days", "number"),
])
def test_the_loader_names_file_line_and_field(tmp_path, body, field, words):
    path = write(tmp_path, HEAD + body + "\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert f"{path}:" in text and field in text and words in text, text
