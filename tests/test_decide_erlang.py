"""simsla.decide.erlang: the Erlang calculator and the desk's weekly requirement, against simsla.analytic."""

from __future__ import annotations

import numpy as np
import pytest

import simsla
from simsla.analytic import erlang_a, erlang_c_result, staff_for_service_level
from simsla.decide.erlang import desk_requirement, erlang, scheduled_staff, stream_handling_mean


def test_figures_for_a_headcount_match_erlang_c() -> None:
    rep = erlang("200/h", "3m", agents=14, threshold="20s")
    ref = erlang_c_result(14, 200 / 3600, 180.0)
    (row,) = rep.rows
    assert row["p_wait"] == pytest.approx(ref.p_wait, rel=1e-12)
    assert row["service_level"] == pytest.approx(ref.service_level(20.0), rel=1e-12)
    assert row["mean_wait"] == pytest.approx(ref.mean_wait, rel=1e-12)
    assert row["occupancy"] == pytest.approx(10 / 14)
    assert row["p_abandon"] == 0.0
    assert rep.inputs["model"] == "Erlang C" and rep.required_agents is None
    # the numbers in scenarios/erlang-c.yaml's header
    assert row["p_wait"] == pytest.approx(0.1741, abs=1e-4)
    assert row["service_level"] == pytest.approx(0.8884, abs=1e-4)


def test_agents_for_a_service_level_and_the_counts_around_it() -> None:
    rep = erlang(200 / 3600, 180.0, threshold=20.0, target=0.8)
    need = staff_for_service_level(200 / 3600, 180.0, 20.0, 0.8)
    assert rep.required_agents == need
    frame = rep.to_frame()
    assert frame["agents"].tolist() == [need - 1, need, need + 1]
    assert frame["meets_target"].tolist() == [False, True, True]
    assert frame["service_level"].is_monotonic_increasing


def test_service_level_for_a_range_of_agents_is_monotone_and_unstable_is_flagged() -> None:
    frame = erlang("200/h", "3m", agents=range(8, 16), threshold="20s").to_frame()
    assert frame.loc[frame.agents <= 10, "stable"].eq(False).all()  # load 10 Erlang
    assert frame.loc[frame.agents > 10, "stable"].all()
    assert frame["service_level"].is_monotonic_increasing
    assert frame["p_wait"].is_monotonic_decreasing


def test_erlang_a_with_patience() -> None:
    rep = erlang("200/h", "3m", agents=[9, 10, 11], threshold="20s", target=0.8, patience="2m")
    assert rep.inputs["model"] == "Erlang A"
    for row in rep.rows:
        ref = erlang_a(row["agents"], 200 / 3600, 180.0, 120.0)
        assert row["p_abandon"] == pytest.approx(ref.p_abandon, rel=1e-12)
        assert row["service_level"] == pytest.approx(ref.service_level(20.0, "served"), rel=1e-12)
        assert row["mean_wait_served"] == pytest.approx(ref.mean_wait_served, rel=1e-12)
    assert rep.required_agents == staff_for_service_level(200 / 3600, 180.0, 20.0, 0.8, mean_patience=120.0)
    d = rep.to_dict()
    assert d["inputs"]["patience_seconds"] == 120.0 and len(d["rows"]) == 3


def test_questions_that_cannot_be_answered_are_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        erlang("200/h", "3m", target=0.8)
    with pytest.raises(ValueError, match="agents"):
        erlang("200/h", "3m", threshold="20s")


def test_desk_requirement_of_the_erlang_c_example() -> None:
    sc = simsla.load_scenario("scenarios/erlang-c.yaml")
    frame = desk_requirement(sc, "20s", 0.8)
    assert len(frame) == 168
    assert np.allclose(frame["rate_per_hour"], 200.0)
    assert np.allclose(frame["aht_seconds"], 180.0)
    need = staff_for_service_level(200 / 3600, 180.0, 20.0, 0.8)
    assert (frame["required"] == need).all()
    assert (frame["scheduled"] == 14).all() and (frame["gap"] == 14 - need).all()
    assert frame.attrs["model"] == "Erlang C"  # the example has no patience
    half = desk_requirement(sc, 20.0, 0.8, interval=1800)
    assert len(half) == 336 and (half["required"] == need).all()
    with pytest.raises(ValueError, match="interval"):
        desk_requirement(sc, 20.0, 0.8, interval=700)


def test_desk_requirement_of_the_municipal_desk() -> None:
    sc = simsla.load_scenario("scenarios/municipal-it-desk.yaml")
    frame = desk_requirement(sc, "20s", 0.8)
    total_rate = sum(d.volume for d in sc.demand) * 3600
    assert frame["rate_per_hour"].mean() == pytest.approx(total_rate, rel=1e-9)  # weights have mean 1
    # the weighted handling time lies between the desk's fastest and slowest rule
    means = [stream_handling_mean(sc, d) for d in sc.demand]
    busy = frame[frame.rate_per_hour > 0]
    assert busy["aht_seconds"].between(min(means) - 1e-9, max(means) + 1e-9).all()
    assert frame.attrs["model"] == "Erlang A"  # the scenario has a patience
    pat = sc.patience.expected
    row = busy.loc[busy["rate_per_hour"].idxmax()]
    assert row["required"] == staff_for_service_level(row["rate_per_hour"] / 3600, row["aht_seconds"], 20.0, 0.8,
                                                      mean_patience=pat)
    # shifts: 3 early (07-16) + 3 day (08-17) + 2 late (09:30-18) on Monday 09:00-10:00 -> 7 on average
    assert frame.loc[(frame.day == "mon") & (frame.start == "09:00"), "scheduled"].item() == pytest.approx(7.0)
    assert frame.loc[(frame.day == "sat") & (frame.start == "11:00"), "scheduled"].item() == pytest.approx(1.0)
    assert frame.loc[(frame.day == "sun") & (frame.start == "11:00"), "scheduled"].item() == 0.0
    assert scheduled_staff(sc.desk).sum() == pytest.approx(5 * (3 * 9 + 3 * 9 + 2 * 8.5) + 4)
    assert frame.loc[frame.rate_per_hour == 0, "aht_seconds"].isna().all()
