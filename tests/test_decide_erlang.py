"""simsla.decide.erlang: the Erlang calculator and the desk's weekly requirement, against simsla.analytic."""

from __future__ import annotations

import numpy as np
import pytest

import simsla
from simsla.analytic import erlang_a, erlang_c_result, staff_for_service_level
from simsla.decide.erlang import (
    choose_targets,
    desk_requirement,
    erlang,
    scheduled_staff,
    stream_handling_mean,
    week_requirement,
)

THREE = "tests/fixtures/erlang-three-channels.yaml"


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
        # the default basis is the conservative one: abandoned calls count as misses
        assert row["service_level"] == pytest.approx(ref.service_level(20.0, "miss"), rel=1e-12)
        assert row["mean_wait_served"] == pytest.approx(ref.mean_wait_served, rel=1e-12)
    assert rep.required_agents == staff_for_service_level(200 / 3600, 180.0, 20.0, 0.8, mean_patience=120.0,
                                                          basis="miss")
    d = rep.to_dict()
    assert d["inputs"]["patience_seconds"] == 120.0 and len(d["rows"]) == 3
    assert d["inputs"]["abandoned"] == "miss" and d["inputs"]["abandoned_text"] == "abandoned calls count as misses"


def test_abandoned_bases_are_ordered_with_known_values() -> None:
    """200 calls/h, 3 min, mean patience 2 min, 10 agents: the values tests/validation/test_abandoned_bases.py simulates."""
    levels = {}
    for rule, grace in (("miss", None), ("grace", "15s"), ("exclude", None)):
        rep = erlang("200/h", "3m", agents=10, threshold="20s", patience="2m", abandoned=rule, grace=grace)
        assert rep.inputs["abandoned"] == rule
        levels[rule] = rep.rows[0]["service_level"]
    assert levels["miss"] == pytest.approx(0.6399, abs=1e-4)
    assert levels["grace"] == pytest.approx(0.6749, abs=1e-4)
    assert levels["exclude"] == pytest.approx(0.7419, abs=1e-4)
    assert levels["miss"] < levels["grace"] < levels["exclude"]
    grace = erlang("200/h", "3m", agents=10, threshold="20s", patience="2m", abandoned="grace", grace=15)
    assert grace.rows[0]["p_abandon_within_grace"] == pytest.approx(0.05185, abs=1e-5)
    assert "within 15s left out" in grace.inputs["abandoned_text"]
    # the requirement follows the basis: leaving abandoned calls out needs fewer agents
    need = {rule: erlang("200/h", "3m", threshold="20s", target=0.8, patience="2m", abandoned=rule,
                         grace="15s" if rule == "grace" else None).required_agents
            for rule in ("miss", "grace", "exclude")}
    assert need == {"miss": 12, "grace": 12, "exclude": 11}
    # the older names still work: basis="served" is exclude
    assert erlang("200/h", "3m", agents=10, threshold="20s", patience="2m", basis="served").rows[0]["service_level"] \
        == levels["exclude"]
    # without patience nobody hangs up and the bases agree
    c = {rule: erlang("200/h", "3m", agents=12, threshold="20s", abandoned=rule).rows[0]["service_level"]
         for rule in ("miss", "exclude")}
    assert c["miss"] == c["exclude"]
    with pytest.raises(ValueError, match="grace"):
        erlang("200/h", "3m", agents=10, threshold="20s", patience="2m", abandoned="grace")
    with pytest.raises(ValueError, match="basis"):
        erlang("200/h", "3m", agents=10, threshold="20s", patience="2m", abandoned="sometimes")


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
                                                      mean_patience=pat, basis="miss")
    assert frame.attrs["abandoned"] == "miss"  # the old call still works, on the conservative basis
    # shifts: 3 early (07-16) + 3 day (08-17) + 2 late (09:30-18) on Monday 09:00-10:00 -> 7 on average
    assert frame.loc[(frame.day == "mon") & (frame.start == "09:00"), "scheduled"].item() == pytest.approx(7.0)
    assert frame.loc[(frame.day == "sat") & (frame.start == "11:00"), "scheduled"].item() == pytest.approx(1.0)
    assert frame.loc[(frame.day == "sun") & (frame.start == "11:00"), "scheduled"].item() == 0.0
    assert scheduled_staff(sc.desk).sum() == pytest.approx(5 * (3 * 9 + 3 * 9 + 2 * 8.5) + 4)
    assert frame.loc[frame.rate_per_hour == 0, "aht_seconds"].isna().all()


# ------------------------------------------------------------ erlang --scenario
def test_the_scenarios_answer_targets_are_read_with_their_rules() -> None:
    sc = simsla.load_scenario(THREE)
    targets, how = choose_targets(sc)
    assert [(t.threshold, t.fraction, t.abandoned, t.grace) for t in targets] == [(30.0, 0.85, "exclude", None),
                                                                                (120.0, 0.8, "grace", 10.0)]
    assert targets[0].names == ("SLA A / calls in 30 s",) and "meets all 2" in how
    # the same target in several SLAs is one promise, named by all of them
    muni = simsla.load_scenario("scenarios/municipal-it-desk.yaml")
    (one,), _ = choose_targets(muni)
    assert len(one.names) == 3 and (one.threshold, one.fraction, one.abandoned) == (20.0, 0.8, "miss")
    chosen, how = choose_targets(sc, "SLA B/calls in 2 min")
    assert chosen[0].names == ("SLA B / calls in 2 min",) and "--target" in how
    assert choose_targets(sc, "calls in 30 s")[0][0].threshold == 30.0  # the target's name alone when unique
    with pytest.raises(KeyError, match="no answer-time target"):
        choose_targets(sc, "SLA A/nope")
    bare = simsla.load_scenario("scenarios/erlang-c.yaml").model_copy(update={"agreements": ()})
    (classic,), how = choose_targets(bare)
    assert (classic.threshold, classic.fraction, classic.abandoned) == (20.0, 0.8, "miss") and "classic" in how


def test_week_requirement_uses_the_targets_threshold_and_rule() -> None:
    sc = simsla.load_scenario(THREE)
    week = week_requirement(sc)
    f = week.frame
    busy = f[(f.day == "mon") & (f.start == "10:00")].iloc[0]
    lam, aht = 100 / 3600, 180.0
    # 85 % in 30 s with abandoned calls left out: 6 agents (the 2-min target needs 5, so [1] binds)
    assert busy["required"] == staff_for_service_level(lam, aht, 30.0, 0.85, mean_patience=120.0, basis="exclude") == 6
    assert busy["binding"] == 0
    # the same desk for 20 s, or counting abandoned calls as misses, needs more
    at20 = week_requirement(sc, choose_targets(sc, "SLA A/calls in 30 s", threshold="20s")[0])
    miss = week_requirement(sc, choose_targets(sc, "SLA A/calls in 30 s", abandoned="miss")[0])
    assert at20.frame.loc[busy.name, "required"] == 7 and miss.frame.loc[busy.name, "required"] == 7
    assert at20.targets[0].threshold == 20.0 and miss.targets[0].abandoned == "miss"
    loose = week_requirement(sc, choose_targets(sc, "SLA B/calls in 2 min")[0])
    assert loose.frame.loc[busy.name, "required"] == 5
    # the service level with the shift's 8 agents, on the target's basis
    assert busy["service_level"] == pytest.approx(erlang_a(8, lam, aht, 120.0).service_level(30.0, "exclude"), rel=1e-12)


def test_week_requirement_counts_phone_calls_only_and_reports_open_hours() -> None:
    sc = simsla.load_scenario(THREE)
    week = week_requirement(sc)
    f = week.frame
    # only the phone stream: 5000 calls a week over 50 hours, e-mail and portal left out and listed
    assert f["rate_per_hour"].max() == pytest.approx(100.0)
    assert week.totals()["calls_per_week"] == pytest.approx(5000.0)
    assert [(w["name"], w["channel"]) for w in week.written] == [("mails", "email"), ("web", "portal")]
    assert week.totals()["written_agent_hours"] == pytest.approx(1500 * 3 / 60)
    # nights and weekends: neither calls nor shift, not shown
    shown = week.shown()
    assert len(shown) == 5 * 10 and not shown["day"].isin(["sat", "sun"]).any()
    assert set(shown["start"]) == {f"{h:02d}:00" for h in range(8, 18)}
    # 17-18: calls with nobody on shift are flagged
    late = f[f["uncovered"]]
    assert set(late["start"]) == {"17:00"} and len(late) == 5 and (late["service_level"] == 0).all()
    tot = week.totals()
    assert tot["intervals_uncovered"] == 5 and tot["calls_uncovered_per_week"] == pytest.approx(500.0)
    assert tot["required_agent_hours"] == pytest.approx(5 * 10 * 6)
    assert tot["scheduled_agent_hours"] == pytest.approx(5 * 9 * 8)
    assert tot["short_agent_hours"] == pytest.approx(5 * 6)
    # a 15-minute grid splits each hour's rate evenly and gives the same requirement
    quarter = week_requirement(sc, interval=900)
    assert len(quarter.frame) == 672 and len(quarter.shown()) == 4 * 50
    assert quarter.totals()["required_agent_hours"] == pytest.approx(tot["required_agent_hours"])
    assert np.allclose(quarter.frame["rate_per_hour"].to_numpy().reshape(168, 4), f["rate_per_hour"].to_numpy()[:, None])


def test_week_requirement_counts_agents_on_the_floor_and_paid_hours() -> None:
    sc = simsla.load_scenario(THREE)
    desk = sc.groups[0].model_copy(update={"shrinkage": 0.2})
    shrunk = week_requirement(sc.model_copy(update={"groups": (desk,)}))
    plain = week_requirement(sc).totals()
    tot = shrunk.totals()
    assert shrunk.shrinkage == 0.2 and plain["paid_required_hours"] == plain["required_agent_hours"]
    assert tot["required_agent_hours"] == plain["required_agent_hours"]  # the floor needs the same agents
    assert tot["paid_required_hours"] == pytest.approx(plain["required_agent_hours"] / 0.8)
    assert tot["paid_scheduled_hours"] == pytest.approx(plain["scheduled_agent_hours"] / 0.8)


def test_the_strictest_target_comes_first_and_an_ambiguous_name_is_refused() -> None:
    sc = simsla.load_scenario(THREE)
    # list the loose target first in the file: the requirement still leads with the strict one
    loose_first = sc.model_copy(update={"agreements": tuple(reversed(sc.agreements))})
    targets, _ = choose_targets(loose_first)
    assert targets[0].names == ("SLA B / calls in 2 min",)
    week = week_requirement(loose_first, targets)
    assert week.targets[0].names == ("SLA A / calls in 30 s",)
    assert (week.frame.loc[week.frame["calls"], "binding"] == 0).all()
    twin = sc.agreements[1].model_copy(update={"targets": (sc.agreements[1].targets[0].model_copy(
        update={"name": "calls in 30 s"}),)})
    with pytest.raises(KeyError, match="AGREEMENT/TARGET"):
        choose_targets(sc.model_copy(update={"agreements": (sc.agreements[0], twin)}), "calls in 30 s")
