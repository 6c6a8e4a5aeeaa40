"""Profiles finer than an hour: 15- and 30-minute slots (any divisor of 60 minutes), validated like hourly ones."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest
from scipy import stats

import simsla
from simsla.decide.erlang import desk_requirement
from simsla.engine import arrivals
from simsla.engine.arrivals import hour_of_week_weights, week_weights
from simsla.io import ScenarioError, load_scenario
from simsla.model import Profile

# a quarter-hour day: quiet, a ramp from 08:00 in 15-minute steps, a dip at 12:30
QUARTERS = [0.1] * 32 + [0.5, 1.0, 1.5, 2.0] + [2.0] * 14 + [0.6, 0.6] + [1.5] * 18 + [0.3] * 12 + [0.1] * 14
assert len(QUARTERS) == 96

BASE = {
    "name": "fine profile", "start": "2026-03-23", "timezone": "Europe/Stockholm", "horizon": "2w",
    "services": [{"name": "s"}],
    "demand": [{"name": "calls", "channel": "phone", "volume": "60/h",
                "profile": {"days": {"mon-fri": 1, "weekend": 0.1}, "hours": QUARTERS}}],
    "groups": [{"name": "desk", "role": "desk", "staff": 30, "handling": {"dist": "exponential", "mean": "30s"},
                "first_contact_resolution": 1.0}],
}


def scenario(**stream) -> simsla.Scenario:
    data = copy.deepcopy(BASE)
    data["demand"][0].update(stream)
    return simsla.Scenario.model_validate(data)


@pytest.mark.parametrize("k", [2, 4, 12])
def test_finer_hours_and_hour_of_week_are_accepted_and_sum_to_hours(k):
    rng = np.random.default_rng(k)
    fine = rng.uniform(0.1, 2.0, 168 * k)
    w = week_weights(Profile(hour_of_week=tuple(fine)))
    assert len(w) == 168 * k and w.mean() == pytest.approx(1.0)
    hourly = hour_of_week_weights(Profile(hour_of_week=tuple(fine)))
    assert np.allclose(hourly, fine.reshape(168, k).mean(axis=1) / fine.mean())
    day = week_weights(Profile(days={"mon-fri": 1.0}, hours=tuple(fine[:24 * k])))
    assert len(day) == 168 * k and np.all(day[5 * 24 * k:] == 0)


def test_an_hourly_profile_gives_exactly_the_same_intervals():
    hourly = [sum(QUARTERS[4 * h:4 * h + 4]) / 4 for h in range(24)]
    a = scenario(profile={"days": {"mon-fri": 1, "weekend": 0.1}, "hours": hourly})
    iv = arrivals.rate_intervals(a, a.demand[0])
    assert np.allclose(np.diff(iv[:, :2], axis=1), 3600.0)


def test_quarter_hour_counts_follow_the_profile_across_the_clock_change():
    sc = scenario()
    iv = arrivals.rate_intervals(sc, sc.demand[0])
    lengths = iv[:, 1] - iv[:, 0]
    assert np.allclose(lengths, 900.0)  # the skipped hour of 29 March is simply missing
    reps = 6
    res = simsla.simulate(sc, replications=reps, seed=4, workers=1)
    local = pd_local(res)
    weekday = local.dt.day_of_week < 5
    slot = (local.dt.hour * 4 + local.dt.minute // 15)[weekday]
    observed = np.bincount(slot, minlength=96).astype(float)
    expected = np.array(QUARTERS) / np.mean(np.outer([1] * 5 + [0.1] * 2, QUARTERS)) * 60 / 4 * 10 * reps
    keep = expected >= 5
    stat = float(((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum())
    assert stats.chi2.sf(stat, keep.sum()) > 0.001
    # power: the same counts against the hourly steps of that profile are rejected
    steps = np.repeat(expected.reshape(24, 4).mean(axis=1), 4)
    stat = float(((observed[keep] - steps[keep]) ** 2 / steps[keep]).sum())
    assert stats.chi2.sf(stat, keep.sum()) < 1e-6


def pd_local(res):
    return res.to_datetime(res.tickets["arrival"])


def test_consumers_of_hourly_weights_still_work():
    """The load check, the Erlang requirement and the load figure read hours: a finer profile is summed to them."""
    from simsla.experiment.gate import preflight

    sc = scenario()
    hourly = hour_of_week_weights(sc.profile(sc.demand[0]))
    assert len(hourly) == 168
    assert hourly[8] == pytest.approx(np.mean(QUARTERS[32:36]) / np.mean(np.outer([1] * 5 + [0.1] * 2, QUARTERS)))
    need = desk_requirement(sc, "20s", 0.8)
    assert len(need) > 0
    preflight(sc)


@pytest.mark.parametrize("text, words", [
    ("hours: [" + ", ".join(["1"] * 25) + "]", "got 25"),
    ("hours: [" + ", ".join(["1"] * 168) + "]", "got 168"),  # 7 per hour: not a whole number of minutes... 60 % 7
    ("hour_of_week: [" + ", ".join(["1"] * 169) + "]", "got 169"),
    ("hours: [" + ", ".join(["-1"] + ["1"] * 47) + "]", "negative"),
])
def test_bad_finer_profiles_are_refused_with_file_line_and_field(tmp_path, text, words):
    path = tmp_path / "s.yaml"
    path.write_text(f"""\
name: t
start: 2026-01-05
horizon: 1w
services: [{{name: s}}]
profiles:
  p:
    {text}
demand: [{{name: c, channel: phone, volume: 5/h, profile: p}}]
groups: [{{name: desk, role: desk, staff: 2, handling: {{dist: exponential, mean: 4m}}, first_contact_resolution: 1}}]
""")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert f"{path}:" in text and "profiles.p" in text and words in text, text
