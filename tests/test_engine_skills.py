"""Skills-based routing in the engine: each policy checked exactly on the log of a small desk.

The desk has two services (``sa`` needs skill A, ``sb`` skill B) and two
agent groups: ``team1`` with A only, ``team2`` with B at level 1 and A at
level 2.  Every rule of ``simsla.engine.skills`` is a statement about who
may start which visit when; these tests read each visit's start from the
segments table and check the statement at that instant, for every visit.
(Statistical agreement with exact Markov chains is in
``tests/validation/test_skills.py``.)
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import simsla
from simsla.engine.replication import run
from simsla.model.scenario import ScenarioProblems

BASE = {"name": "skills", "start": "2026-01-05", "timezone": "UTC", "horizon": "4d", "warmup": "0s"}


def desk(**over) -> dict:
    g = {"name": "desk", "role": "desk", "discipline": "fifo", "phone_first": False, "first_contact_resolution": 1.0,
         "handling": {"dist": "exponential", "mean": 300},
         "skills": [{"when": {"service": "sa"}, "need": "A"}, {"need": "B"}],
         "agents": [{"name": "team1", "skills": {"A": 1}, "staff": 3},
                    {"name": "team2", "skills": {"B": 1, "A": 2}, "staff": 2}],
         "selection": {"agent": "preferred", "item": "preferred", "overflow_after": 0}}
    g.update(over)
    return g


def scenario(group: dict | None = None, rate_a: str = "34/h", rate_b: str = "12/h", email: str | None = None,
             **top) -> simsla.Scenario:
    data = copy.deepcopy(BASE)
    demand = [{"name": "a", "channel": "phone", "services": {"sa": 1}, "volume": rate_a},
              {"name": "b", "channel": "phone", "services": {"sb": 1}, "volume": rate_b}]
    if email:
        demand.append({"name": "mail", "channel": "email", "services": {"sb": 1}, "volume": email})
    data.update({"services": [{"name": "sa"}, {"name": "sb"}], "demand": demand, "groups": [group or desk()]})
    data.update(top)
    return simsla.Scenario.model_validate(data)


def visits(sc: simsla.Scenario, seed: int = 3) -> pd.DataFrame:
    """The desk's visits with their ticket's service and channel, agent group and times."""
    log = run(sc, seed, 0)
    seg = pd.DataFrame(log.segments)
    names = [t.name for g in sc.groups for t in g.agents or ()]
    seg["agents"] = [names[c] if c >= 0 else None for c in seg["team"]]
    services, channels = sc.levels("service"), sc.levels("channel")
    seg["service"] = [services[c] for c in log.tickets["service"][seg["ticket"]]]
    seg["channel"] = [channels[c] for c in log.tickets["channel"][seg["ticket"]]]
    assert log.unstable is None
    return seg[seg["party"] == 0]


def in_work(seg: pd.DataFrame, t: float, team: str | None = None) -> int:
    """Visits in work at instant ``t`` (started at or before, ending after), of one agent group."""
    s = seg if team is None else seg[seg["agents"] == team]
    end = s["end"].fillna(np.inf)
    return int(((s["start"] <= t) & (end > t)).sum())


def waiting(seg: pd.DataFrame, t: float, service: str) -> int:
    """Tickets of a service waiting at instant ``t`` (entered, not yet started)."""
    s = seg[seg["service"] == service]
    start = s["start"].fillna(np.inf)
    return int(((s["enter"] < t) & (start > t)).sum())


def test_only_agents_with_the_skill_take_a_ticket():
    seg = visits(scenario(desk(agents=[{"name": "team1", "skills": {"A": 1}, "staff": 3},
                                       {"name": "team2", "skills": {"B": 1}, "staff": 2}])))
    worked = seg.dropna(subset=["start"])
    assert set(worked.loc[worked["service"] == "sa", "agents"]) == {"team1"}
    assert set(worked.loc[worked["service"] == "sb", "agents"]) == {"team2"}


def test_preferred_agent_a_secondary_agent_takes_a_ticket_only_when_every_primary_one_is_busy():
    seg = visits(scenario())
    by_team2 = seg[(seg["service"] == "sa") & (seg["agents"] == "team2")]
    assert len(by_team2) > 50  # the load makes team1 busy often enough to test the rule
    for t in by_team2["start"]:
        # the instant team2 started an A ticket, all three of team1 were in work (or it waited for them)
        assert in_work(seg, t, "team1") == 3


def test_preferred_item_an_agent_takes_its_primary_skill_first():
    seg = visits(scenario())
    for t in seg[(seg["service"] == "sa") & (seg["agents"] == "team2")]["start"]:
        assert waiting(seg, t, "sb") == 0  # no B ticket was waiting when team2 took an A ticket


def test_overflow_after_a_delay_secondary_agents_take_only_tickets_that_waited_that_long():
    seg = visits(scenario(desk(selection={"agent": "preferred", "item": "preferred", "overflow_after": "90s"})))
    late = seg[(seg["service"] == "sa") & (seg["agents"] == "team2")]
    assert len(late) > 10
    assert ((late["start"] - late["enter"]) >= 90 - 1e-9).all()
    never = visits(scenario(desk(selection={"agent": "preferred", "item": "preferred", "overflow_after": "52w"})))
    assert not ((never["service"] == "sa") & (never["agents"] == "team2")).any()


def test_an_overflowed_ticket_goes_to_a_secondary_agent_as_soon_as_one_is_free():
    # with team1 unable to keep up and team2 idle most of the time, tickets overflow at exactly 60 s
    seg = visits(scenario(desk(selection={"agent": "preferred", "item": "preferred", "overflow_after": "60s"}),
                          rate_a="40/h", rate_b="1/h"))
    late = seg[(seg["service"] == "sa") & (seg["agents"] == "team2")]
    exact = np.isclose(late["start"] - late["enter"], 60.0)
    assert exact.mean() > 0.5  # most found a team2 agent free at the overflow instant


def test_longest_idle_agent_ignores_levels():
    seg = visits(scenario(desk(selection={"agent": "longest-idle", "item": "longest-waiting"}), rate_a="10/h",
                          rate_b="2/h"))
    share = (seg.loc[seg["service"] == "sa", "agents"] == "team2").mean()
    assert share > 0.2  # at low load team2 is often the longest idle; under `preferred` it would be ~0
    pref = visits(scenario(desk(), rate_a="10/h", rate_b="2/h"))
    assert (pref.loc[pref["service"] == "sa", "agents"] == "team2").mean() < 0.05


def test_handling_factor_scales_the_work_time():
    g = desk(handling={"dist": "deterministic", "mean": 100},
             agents=[{"name": "team1", "skills": {"A": 1}, "staff": 3, "handling_factor": 0.5},
                     {"name": "team2", "skills": {"B": 1, "A": 2}, "staff": 2}])
    seg = visits(scenario(g)).dropna(subset=["start", "end"])
    work = seg["end"] - seg["start"]
    assert np.allclose(work[seg["agents"] == "team1"], 50.0)
    assert np.allclose(work[seg["agents"] == "team2"], 100.0)


def test_chat_sessions_at_most_concurrency_per_agent_and_work_stretched_by_sessions_in_hand():
    g = desk(handling={"dist": "deterministic", "mean": 600},
             skills=[{"need": "chat"}],
             agents=[{"name": "chat", "skills": {"chat": 1}, "staff": 1, "concurrency": 3, "stretch": [1, 1.5, 2]}],
             selection=None)
    seg = visits(scenario(g, rate_a="8/h", rate_b="1/h")).dropna(subset=["start", "end"])
    work = (seg["end"] - seg["start"]).to_numpy()
    assert set(np.round(work, 6)) <= {600.0, 900.0, 1200.0}
    assert {600.0, 900.0, 1200.0} <= set(np.round(work, 6))
    for t in seg["start"]:
        assert in_work(seg, t) <= 3
    # each session's stretch is the number of sessions in hand when it started (itself included)
    for start, w in zip(seg["start"], work):
        others = in_work(seg, start) - 1
        assert w == pytest.approx({0: 600.0, 1: 900.0, 2: 1200.0}[others])


def test_reserve_a_written_ticket_starts_only_while_enough_other_agents_stay_free():
    g = desk(skills=[{"when": {"channel": "phone"}, "need": "phone"}, {"need": "email"}],
             agents=[{"name": "blended", "skills": {"phone": 1, "email": 2}, "staff": 3}],
             selection={"item": "preferred", "reserve": 2})
    seg = visits(scenario(g, rate_a="12/h", rate_b="1/h", email="6/h"))
    mail = seg[seg["channel"] == "email"].dropna(subset=["start"])
    assert len(mail) > 100
    for t in mail["start"]:
        # reserve 2 of 3 agents: an e-mail starts only with nobody else in work
        assert in_work(seg, t) == 1


def test_shift_blocks_staff_their_own_agent_group():
    g = desk(agents=[{"name": "team1", "skills": {"A": 1, "B": 2}},
                     {"name": "team2", "skills": {"B": 1, "A": 2}}],
             shifts=[{"agents": "team1", "days": "mon-sun", "hours": "00:00-24:00", "staff": 3},
                     {"agents": "team2", "days": "mon-fri", "hours": "08:00-12:00", "staff": 2}])
    seg = visits(scenario(g, rate_a="20/h", rate_b="8/h")).dropna(subset=["start"])
    t2 = seg[seg["agents"] == "team2"]
    assert len(t2) > 50
    hour = (t2["start"] % 86400) / 3600
    assert ((hour >= 8) & (hour < 12)).all()
    for t in t2["start"]:
        assert in_work(seg, t, "team2") <= 2


def test_a_language_mix_is_drawn_with_its_shares():
    g = desk(skills=[{"need": {"A": 0.3, "B": 0.7}}],
             agents=[{"name": "team1", "skills": {"A": 1}, "staff": 4},
                     {"name": "team2", "skills": {"B": 1}, "staff": 6}])
    seg = visits(scenario(g, rate_a="30/h", rate_b="10/h"))
    share = (seg.dropna(subset=["start"])["agents"] == "team1").mean()
    n = seg["start"].notna().sum()
    assert abs(share - 0.3) < 4 * np.sqrt(0.21 / n)


def test_same_seed_same_visits_and_customers_hanging_up_are_logged():
    sc = scenario(patience={"dist": "exponential", "mean": "2m"}, rate_a="50/h")
    a, b = visits(sc, seed=9), visits(sc, seed=9)
    pd.testing.assert_frame_equal(a, b)
    gone = a[a["outcome"] == 2]  # abandoned
    assert len(gone) > 0 and gone["start"].isna().all()


@pytest.mark.parametrize("group, needle", [
    (desk(skills=None), "say with `skills:` which skill"),
    (desk(skills=[{"when": {"service": "sa"}, "need": "A"}]), "end `skills` with a rule without `when`"),
    (desk(skills=[{"need": "C"}]), "needs skill 'C', which no agent group holds"),
    (desk(preemptive=True), "preemption is not available with agent groups"),
    (desk(staff=4), "give each its `staff`"),
    (desk(agents=[{"name": "x", "skills": {"A": 1}, "staff": 1}, {"name": "x", "skills": {"B": 1}, "staff": 1}]),
     "names must be unique"),
    (desk(agents=[{"name": "x", "skills": {"A": 0}, "staff": 1}]), "a level is a whole number from 1"),
    (desk(agents=[{"name": "x", "skills": {"A": 1, "B": 1}, "staff": 1, "concurrency": 2, "stretch": [1]}]),
     "one factor per number of sessions"),
    (desk(selection={"agent": "random"}), "`agent` is one of"),
    (desk(skills=[{"need": {"A": 0.5, "B": 0.4}}]), "must sum to 1"),
    (desk(agents=None), "`skills` and `selection` need `agents`"),
    (desk(agents=[{"name": "team1", "skills": {"A": 1, "B": 1}}],
          shifts=[{"agents": "nobody", "days": "mon-fri", "hours": "08:00-16:00", "staff": 2}]), "names agent group"),
])
def test_a_skilled_group_that_cannot_work_is_refused_with_the_reason(group, needle):
    if group.get("agents") is None:
        group.pop("agents")
        group["staff"] = 3
    with pytest.raises((ValueError, ScenarioProblems)) as err:
        scenario(group)
    assert needle in str(err.value)


def test_an_unknown_value_in_a_skills_rule_is_refused():
    with pytest.raises(ValueError) as err:
        scenario(desk(skills=[{"when": {"service": "nope"}, "need": "A"}, {"need": "B"}]))
    assert "groups.0.skills.0.when.service" in str(err.value) and "'nope' is unknown" in str(err.value)


def test_the_reserve_holds_back_only_agents_who_take_calls():
    # a chat-only agent group is never kept idle for calls: keeping it free frees nobody for a call
    g = desk(skills=[{"when": {"channel": "phone"}, "need": "phone"}, {"need": "chat"}],
             agents=[{"name": "blended", "skills": {"phone": 1}, "staff": 3},
                     {"name": "chat", "skills": {"chat": 1}, "staff": 2}],
             selection={"item": "preferred", "reserve": 3})
    seg = visits(scenario(g, rate_a="20/h", rate_b="1/h", email="12/h"))
    chats = seg[(seg["channel"] == "email")].dropna(subset=["start"])
    assert len(chats) > 100
    # every chat started as soon as a chat agent was free: never waited while one of them idled
    for enter, start in zip(chats["enter"], chats["start"]):
        if start > enter + 1e-9:
            assert in_work(seg, enter, "chat") == 2


def test_results_say_which_skill_each_visit_needed():
    g = desk(skills=[{"need": {"A": 0.3, "B": 0.7}}],
             agents=[{"name": "team1", "skills": {"A": 1}, "staff": 4},
                     {"name": "team2", "skills": {"B": 1}, "staff": 6}])
    res = simsla.simulate(scenario(g, rate_a="30/h", rate_b="10/h"), replications=1, seed=2, workers=1)
    seg = res.segments.dropna(subset=["start"])
    # disjoint skills: the agent group that worked a visit tells the skill it needed
    assert ((seg["skill"] == "A") == (seg["agents"] == "team1")).all()
    assert set(res.segments["skill"].dropna()) == {"A", "B"}
