"""simsla.engine: arrivals, key tables and one replication's ticket log."""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest
from scipy import stats

import simsla
from simsla.engine import arrivals, streams
from simsla.engine.arrivals import hour_of_week_weights, poisson_times
from simsla.engine.pool import OUTCOMES
from simsla.engine.replication import Replication, run
from simsla.engine.sampling import Buffer, sampler
from simsla.engine.tables import KeySpace
from simsla.model import Profile, When
from simsla.model.chain import ATTRIBUTES

H, DAY = 3600.0, 86400.0
RESOLVED, ESCALATED, ABANDONED, PREEMPTED, HANDOVER, OPEN, PENDING = (OUTCOMES.index(o) for o in OUTCOMES[:7])
EPS = 1e-6


def exp(mean: str) -> dict:
    return {"dist": "exponential", "mean": mean}


def det(value: str) -> dict:
    return {"dist": "deterministic", "value": value}


def scenario(**overrides) -> simsla.Scenario:
    data = {
        "name": "engine unit",
        "start": "2026-01-05",  # a Monday
        "timezone": "UTC",
        "horizon": "2d",
        "services": [{"name": "mail"}, {"name": "erp"}],
        "demand": [
            {"name": "calls", "channel": "phone", "volume": "30/h", "patience": exp("2m")},
            {"name": "mails", "channel": "email", "volume": "4/h"},
        ],
        "groups": [
            {"name": "desk", "role": "desk", "staff": 2, "handling": exp("4m"), "first_contact_resolution": 0.6},
            {"name": "l2", "shifts": [{"days": "all", "hours": "08:00-17:00", "staff": 2}], "handling": exp("1h")},
        ],
        "suppliers": [{"name": "vendor", "response": det("30m"), "resolution": exp("2h")}],
        "routing": [{"from": "desk", "to": {"l2": 1.0}}, {"from": "l2", "to": {"resolved": 0.7, "vendor": 0.3}}],
    }
    data.update(copy.deepcopy(overrides))
    return simsla.Scenario.model_validate(data)


# ----------------------------------------------------------------- arrivals


def test_poisson_times_piecewise_rate():
    # rates 0.05/s, 0 (closed), 0.25/s: masses 500, 0, 5000
    iv = np.array([[0.0, 10_000.0, 0.05], [10_000.0, 20_000.0, 0.0], [20_000.0, 40_000.0, 0.25]])
    t = poisson_times(iv, np.random.default_rng(2024))
    assert np.all(np.diff(t) >= 0)
    assert t.min() >= 0 and t.max() < 40_000
    first, closed, third = (t < 10_000), (t >= 10_000) & (t < 20_000), (t >= 20_000)
    assert closed.sum() == 0
    for mask, mean in ((first, 500), (third, 5000)):
        assert abs(mask.sum() - mean) < 5 * math.sqrt(mean)
    # within a piece, the points are uniform (and the gaps exponential)
    assert stats.kstest((t[third] - 20_000) / 20_000, "uniform").pvalue > 1e-3
    assert stats.kstest((t[first]) / 10_000, "uniform").pvalue > 1e-3
    gaps = np.diff(t[third])
    assert stats.kstest(gaps, "expon", args=(0, 1 / 0.25)).pvalue > 1e-3


def test_poisson_times_count_is_poisson():
    iv = np.array([[0.0, 100.0, 0.2], [100.0, 150.0, 1.0]])  # mass 20 + 50 = 70
    counts = np.array([len(poisson_times(iv, np.random.default_rng(s))) for s in range(2000)])
    assert counts.mean() == pytest.approx(70, abs=5 * math.sqrt(70 / 2000))
    assert counts.var() == pytest.approx(70, rel=0.1)


def test_poisson_times_empty():
    assert len(poisson_times(np.zeros((0, 3)), np.random.default_rng(0))) == 0


def test_poisson_times_deterministic_given_generator():
    iv = np.array([[0.0, 1000.0, 0.1]])
    a = poisson_times(iv, np.random.default_rng(5))
    b = poisson_times(iv, np.random.default_rng(5))
    assert np.array_equal(a, b)


def test_weights_flat_without_profile():
    w = hour_of_week_weights(None)
    assert w.shape == (168,) and np.all(w == 1.0)


def test_weights_hour_of_week():
    raw = np.arange(1, 169, dtype=float)
    w = hour_of_week_weights(Profile(hour_of_week=tuple(raw)))
    assert np.allclose(w, raw / raw.mean())
    assert w.mean() == pytest.approx(1.0)


def test_weights_days_and_hours():
    hours = [0.0] * 8 + [2.0] * 9 + [0.5] * 7
    w = hour_of_week_weights(Profile(days={"mon-fri": 1.0, "sat": 0.5}, hours=tuple(hours)))
    raw = np.outer([1, 1, 1, 1, 1, 0.5, 0.0], hours).ravel()  # sunday not named: 0
    assert np.allclose(w, raw / raw.mean())
    # days only: flat within each day; hours only: every day alike
    w_days = hour_of_week_weights(Profile(days={"mon-fri": 2.0, "weekend": 1.0}))
    assert np.allclose(w_days, np.repeat([2, 2, 2, 2, 2, 1, 1], 24) / (12 / 7))
    w_hours = hour_of_week_weights(Profile(hours=tuple(hours)))
    assert np.allclose(w_hours, np.tile(hours, 7) / np.mean(hours))


def test_weights_intervals_with_fractional_and_overnight_blocks():
    prof = Profile(intervals=[
        {"days": "mon-fri", "hours": "08:00-17:00", "weight": 2.0},
        {"days": "sat", "hours": "09:30-12:00", "weight": 1.0},
        {"days": "sun", "hours": "22:00-02:00", "weight": 4.0},  # runs into Monday
    ])
    raw = np.zeros(168)
    for d in range(5):
        raw[d * 24 + 8: d * 24 + 17] = 2.0
    raw[5 * 24 + 9] = 0.5  # half of 09:00-10:00
    raw[5 * 24 + 10: 5 * 24 + 12] = 1.0
    raw[6 * 24 + 22: 6 * 24 + 24] = 4.0
    raw[0:2] += 4.0  # Monday 00:00-02:00
    assert np.allclose(hour_of_week_weights(prof), raw / raw.mean())


def test_weights_all_zero_rejected():
    with pytest.raises(ValueError, match="no positive weight"):
        hour_of_week_weights(Profile(hours=(0.0,) * 24))


def test_rate_intervals_follow_volume_and_profile():
    sc = scenario(horizon="1w", profiles={"office": {"days": {"mon-fri": 1.0}}},
                  demand=[{"name": "mails", "channel": "email", "volume": "700/week", "profile": "office"}])
    iv = arrivals.rate_intervals(sc, sc.demand[0])
    total = ((iv[:, 1] - iv[:, 0]) * iv[:, 2]).sum()
    assert total == pytest.approx(700)
    assert iv[:, 1].max() <= 5 * DAY  # nothing at the weekend


def test_generate_columns_sorted_and_coded():
    sc = scenario(demand=[
        {"name": "calls", "channel": "phone", "volume": "30/h", "patience": exp("2m"),
         "services": {"erp": 1}, "impact": {"high": 1}, "urgency": {"high": 1}},
        {"name": "mails", "channel": "email", "volume": "10/h"},
    ])
    arr = arrivals.generate(sc, 3, 0)
    n = len(arr["time"])
    assert all(len(col) == n for col in arr.values())
    assert np.all(np.diff(arr["time"]) >= 0)
    calls = arr["stream"] == 0
    assert np.all(arr["service"][calls] == 1)
    assert np.all(arr["priority"][calls] == 0)  # high x high = P1
    assert np.all(np.isfinite(arr["patience"][calls]))
    assert np.all(np.isinf(arr["patience"][~calls]))
    assert set(np.unique(arr["channel"][~calls])) == {sc.levels("channel").index("email")}


# -------------------------------------------------------------------- tables


def test_keyspace_first_match_against_brute_force():
    sc = scenario(customers=["a", "b"])
    space = KeySpace(sc)
    assert space.size == int(np.prod([len(sc.levels(a)) for a in ATTRIBUTES]))
    whens = [When(service="erp", priority="P1"), When(channel=("phone", "portal"), customer="b"), When(type="request")]
    got = space.first_match(whens, default=-7)
    combos = list(itertools.product(*(range(len(sc.levels(a))) for a in ATTRIBUTES)))
    assert len(combos) == space.size
    for combo in combos:
        codes = {a: np.array([c]) for a, c in zip(ATTRIBUTES, combo)}
        labels = {a: sc.levels(a)[c] for a, c in zip(ATTRIBUTES, combo)}
        want = next((i for i, w in enumerate(whens)
                     if all(w.values(a) is None or labels[a] in w.values(a) for a in ATTRIBUTES)), -7)
        assert got[space.key(codes)[0]] == want, labels


def test_keyspace_catch_all_and_empty():
    space = KeySpace(scenario())
    assert np.all(space.first_match([When()]) == 0)
    assert np.all(space.first_match([]) == -1)
    assert np.all(space.first_match([When(priority="P2"), When()]) >= 0)


# --------------------------------------------------------------- replication


def _segments_by_ticket(log):
    seg = log.segments
    out: dict[int, list[tuple]] = {}
    for i in range(len(seg["ticket"])):
        out.setdefault(int(seg["ticket"][i]), []).append(
            (int(seg["party"][i]), seg["enter"][i], seg["start"][i], seg["end"][i], int(seg["outcome"][i])))
    return out


def check_log_invariants(sc: simsla.Scenario, log) -> None:
    """Every ticket ends exactly once, and its visits are ordered and do not overlap."""
    tk = log.tickets
    n = len(tk["time"])
    outcome = tk["outcome"]
    assert set(np.unique(outcome)) <= {0, 1, 2}
    res, ab = ~np.isnan(tk["resolved"]), ~np.isnan(tk["abandoned"])
    assert not np.any(res & ab)
    assert np.array_equal(outcome == 0, res) and np.array_equal(outcome == 1, ab)
    answered = ~np.isnan(tk["answered"])
    assert np.all(tk["answered"][answered] >= tk["time"][answered] - EPS)
    assert np.all(tk["resolved"][res] >= tk["time"][res])
    by_ticket = _segments_by_ticket(log)
    assert set(by_ticket) == set(range(n)), "a ticket without segments (or a segment of no ticket)"
    terminal = {0: RESOLVED, 1: ABANDONED, 2: OPEN}
    for tid, segs in by_ticket.items():
        ends = [s for s in segs if s[4] in (RESOLVED, ABANDONED, OPEN)]
        assert len(ends) == 1, (tid, segs)
        assert segs[-1][4] == terminal[int(outcome[tid])], (tid, segs)
        assert segs[0][1] == pytest.approx(tk["time"][tid]) and segs[0][0] == sc.parties.index(sc.desk.name)
        for party, enter, start, end, oc in segs:
            if not math.isnan(start):
                assert enter <= start + EPS
                assert math.isnan(end) or start <= end + EPS
            elif not math.isnan(end):
                assert enter <= end + EPS
        for a, b in zip(segs, segs[1:]):
            assert not math.isnan(a[3])
            assert b[1] >= a[3] - EPS, (tid, segs)  # the next visit starts when the previous one ended
        if outcome[tid] == 0:
            assert tk["resolved"][tid] == pytest.approx(segs[-1][3])
            assert tk["resolved_by"][tid] == segs[-1][0]
        if outcome[tid] == 2:
            assert math.isnan(segs[-1][3])


@pytest.fixture(scope="module")
def base_run():
    sc = scenario()
    rep = Replication(sc, 11, 0)
    patience = rep.arrivals["patience"].copy()
    return sc, rep.run(), patience


def test_replication_log_invariants(base_run):
    sc, log, _ = base_run
    # l2 is offered far more work than its day shifts can do: the run reaches the horizon (no queue passed
    # its bound) but its backlog's trend marks it unstable
    assert log.unstable is not None and "'l2' kept growing" in log.unstable
    assert log.stopped_at == sc.end
    counts = np.bincount(log.tickets["outcome"], minlength=3)
    assert counts.min() > 0, counts  # resolved, abandoned and open all occur
    check_log_invariants(sc, log)


def test_abandonment_only_for_phone_with_patience_at_arrival_plus_patience(base_run):
    sc, log, patience = base_run
    tk = log.tickets
    ab = tk["outcome"] == 1
    assert ab.sum() > 0
    phone = sc.levels("channel").index("phone")
    assert np.all(tk["channel"][ab] == phone)
    assert np.all(np.isfinite(patience[ab]))
    assert np.allclose(tk["abandoned"][ab], tk["time"][ab] + patience[ab])
    assert np.all(np.isnan(tk["answered"][ab]))
    # nobody answered later than their patience, nobody hung up who was answered in time
    answered = ~np.isnan(tk["answered"])
    assert np.all(tk["answered"][answered] - tk["time"][answered] <= patience[answered] + EPS)
    # abandoned segments: at the desk, never started, ending at the hang-up
    seg = log.segments
    m = seg["outcome"] == ABANDONED
    assert np.all(seg["party"][m] == 0) and np.all(np.isnan(seg["start"][m]))
    assert np.allclose(np.sort(seg["end"][m]), np.sort(tk["abandoned"][ab]))


def test_open_tickets_are_kept_at_the_horizon(base_run):
    sc, log, _ = base_run
    tk = log.tickets
    open_ = tk["outcome"] == 2
    assert open_.sum() > 0
    assert np.all(tk["time"][open_] < sc.end)
    assert np.all(np.isnan(tk["resolved"][open_]))
    seg = log.segments
    m = seg["outcome"] == OPEN
    assert m.sum() == open_.sum()
    assert np.all(np.isnan(seg["end"][m]))


def test_no_abandonment_without_patience():
    sc = scenario(demand=[{"name": "calls", "channel": "phone", "volume": "40/h"},
                          {"name": "mails", "channel": "email", "volume": "4/h"}])
    log = run(sc, 1, 0)
    assert np.all(log.tickets["outcome"] != 1)
    check_log_invariants(sc, log)


def test_scenario_patience_applies_to_phone_only():
    sc = scenario(patience=exp("1m"), demand=[{"name": "calls", "channel": "phone", "volume": "60/h"},
                                              {"name": "mails", "channel": "email", "volume": "30/h"}])
    log = run(sc, 1, 0)
    tk = log.tickets
    ab = tk["outcome"] == 1
    assert ab.sum() > 0
    assert np.all(tk["channel"][ab] == sc.levels("channel").index("phone"))


def test_replication_is_deterministic():
    sc = scenario()
    a, b = run(sc, 5, 2), run(sc, 5, 2)
    for k in a.tickets:
        assert np.array_equal(a.tickets[k], b.tickets[k], equal_nan=True)
    for k in a.segments:
        assert np.array_equal(a.segments[k], b.segments[k], equal_nan=True)
    c = run(sc, 5, 3)
    assert not np.array_equal(a.tickets["time"][:10], c.tickets["time"][:10])


# ----------------------------------------------------------------- preemption


def _preemptive_scenario(l2_handling):
    # every contact goes to one preemptive l2 agent; 20 % are P1 (high x high), the rest P3 (low x high)
    return scenario(
        horizon="3d",
        demand=[{"name": "mails", "channel": "email", "volume": "1.5/h",
                 "impact": {"high": 0.2, "low": 0.8}, "urgency": {"high": 1}}],
        groups=[
            {"name": "desk", "role": "desk", "staff": 3, "handling": det("1m"), "first_contact_resolution": 0.0},
            {"name": "l2", "staff": 1, "preemptive": True, "handling": l2_handling},
        ],
        suppliers=[],
        routing=[{"from": "desk", "to": {"l2": 1.0}}],
    )


def test_preemption_p1_interrupts_p3_and_work_is_conserved():
    sc = _preemptive_scenario(exp("30m"))
    seed, rep = 4, 0
    log = run(sc, seed, rep)
    check_log_invariants(sc, log)
    tk, seg = log.tickets, log.segments
    p1, p3 = sc.levels("priority").index("P1"), sc.levels("priority").index("P3")
    pre = np.flatnonzero(seg["outcome"] == PREEMPTED)
    assert len(pre) > 0, "no preemption happened"
    l2 = sc.parties.index("l2")
    starts_l2 = seg["party"] == l2
    for i in pre:
        victim = seg["ticket"][i]
        assert seg["party"][i] == l2
        assert tk["priority"][victim] == p3
        # at that instant, a P1 ticket started work at l2
        at = seg["end"][i]
        intruders = starts_l2 & np.isclose(seg["start"], at) & (tk["priority"][seg["ticket"]] == p1)
        assert intruders.any()
    # work: the time each ticket was worked at l2 adds up to its one draw.  Draws are made when
    # a ticket first starts work at l2, from one buffered stream: reconstruct them in that order.
    worked: dict[int, float] = {}
    first_start: dict[int, float] = {}
    for i in np.flatnonzero(starts_l2 & ~np.isnan(seg["start"])):
        tid = int(seg["ticket"][i])
        end = seg["end"][i]
        if not math.isnan(end):
            worked[tid] = worked.get(tid, 0.0) + end - seg["start"][i]
        first_start[tid] = min(first_start.get(tid, math.inf), seg["start"][i])
    order = sorted(first_start, key=first_start.get)
    draw = Buffer(sampler(sc.groups[1].handling_times.default),
                  streams.stream(seed, rep, streams.HANDLING, 1))
    drawn = {tid: draw() for tid in order}
    done = [t for t in order if tk["outcome"][t] == 0]
    assert len(done) > 10
    victims = set(seg["ticket"][pre].tolist()) & set(done)
    assert victims, "no preempted ticket finished"
    for tid in done:
        assert worked[tid] == pytest.approx(drawn[tid], rel=1e-9, abs=1e-6), tid


def test_preemption_deterministic_work():
    sc = _preemptive_scenario({"default": det("2h"), "by": [{"when": {"priority": "P1"}, "time": det("10m")}]})
    log = run(sc, 9, 0)
    check_log_invariants(sc, log)
    seg, tk = log.segments, log.tickets
    assert (seg["outcome"] == PREEMPTED).any()
    p1 = sc.levels("priority").index("P1")
    l2 = (seg["party"] == 1) & ~np.isnan(seg["start"]) & ~np.isnan(seg["end"])
    worked = np.bincount(seg["ticket"][l2], weights=(seg["end"] - seg["start"])[l2], minlength=len(tk["time"]))
    for tid in np.flatnonzero(tk["outcome"] == 0):
        assert worked[tid] == pytest.approx(600.0 if tk["priority"][tid] == p1 else 7200.0)
    # a P1 is never preempted
    assert not np.any(tk["priority"][seg["ticket"][seg["outcome"] == PREEMPTED]] == p1)


def test_no_preemption_without_the_flag():
    data = _preemptive_scenario(exp("30m")).model_dump(by_alias=True)
    data["groups"][1]["preemptive"] = False
    sc = simsla.Scenario.model_validate(data)
    log = run(sc, 4, 0)
    assert not (log.segments["outcome"] == PREEMPTED).any()


# ------------------------------------------------------------------- handover


def test_handover_at_shift_end():
    sc = scenario(
        horizon="3d",
        demand=[{"name": "mails", "channel": "email", "volume": "2/h"}],
        groups=[
            {"name": "desk", "role": "desk", "staff": 2, "handling": det("1m"), "first_contact_resolution": 0.0},
            {"name": "l2", "shifts": [{"days": "all", "hours": "08:00-17:00", "staff": 2}],
             "handling": det("3h"), "at_shift_end": "handover"},
        ],
        suppliers=[],
        routing=[{"from": "desk", "to": {"l2": 1.0}}],
    )
    log = run(sc, 2, 0)
    check_log_invariants(sc, log)
    seg, tk = log.segments, log.tickets
    ho = seg["outcome"] == HANDOVER
    assert ho.any()
    assert np.all(seg["party"][ho] == 1)
    # handed over exactly at 17:00 local (UTC) on some day
    assert np.allclose(np.mod(seg["end"][ho], DAY), 17 * H)
    # no work at l2 outside 08:00-17:00
    l2 = (seg["party"] == 1) & ~np.isnan(seg["start"])
    s = np.mod(seg["start"][l2], DAY)
    assert np.all((s >= 8 * H - EPS) & (s <= 17 * H + EPS))
    # the work handed over is resumed: every resolved ticket got its 3 hours
    worked_mask = l2 & ~np.isnan(seg["end"])
    worked = np.bincount(seg["ticket"][worked_mask], weights=(seg["end"] - seg["start"])[worked_mask],
                         minlength=len(tk["time"]))
    handed = set(seg["ticket"][ho].tolist())
    resolved_handed = [t for t in handed if tk["outcome"][t] == 0]
    assert resolved_handed
    for tid in np.flatnonzero(tk["outcome"] == 0):
        assert worked[tid] == pytest.approx(3 * H)


def test_finish_at_shift_end_makes_no_handover():
    sc = scenario(
        horizon="2d",
        demand=[{"name": "mails", "channel": "email", "volume": "2/h"}],
        groups=[
            {"name": "desk", "role": "desk", "staff": 2, "handling": det("1m"), "first_contact_resolution": 0.0},
            {"name": "l2", "shifts": [{"days": "all", "hours": "08:00-17:00", "staff": 2}], "handling": det("3h")},
        ],
        suppliers=[],
        routing=[{"from": "desk", "to": {"l2": 1.0}}],
    )
    log = run(sc, 2, 0)
    assert not (log.segments["outcome"] == HANDOVER).any()
    check_log_invariants(sc, log)


# ------------------------------------------------------------------ suppliers


def test_supplier_visits():
    sc = scenario()
    results = simsla.simulate(sc, replications=1, seed=11, workers=1)
    seg = results.segments
    sup = seg[seg["party"] == "vendor"]
    assert len(sup) > 0
    assert (sup["kind"] == "supplier").all()
    started = sup.dropna(subset=["start"])
    assert np.allclose(started["start"] - started["enter"], 30 * 60)  # deterministic response
    # every supplier visit follows an escalation from l2
    prev = seg.sort_values(["ticket", "enter"]).groupby("ticket", observed=True)
    for tid in sup["ticket"].unique()[:20]:
        visits = prev.get_group(tid)
        i = list(visits["party"]).index("vendor")
        assert visits.iloc[i - 1]["party"] == "l2" and visits.iloc[i - 1]["outcome"] == "escalated"
    assert (results.tickets["resolved_by"] == "vendor").any()


def test_supplier_with_limited_capacity():
    sc = scenario(suppliers=[{"name": "vendor", "response": det("30m"), "resolution": det("5h"), "capacity": 1}])
    log = run(sc, 11, 0)
    check_log_invariants(sc, log)
    seg = log.segments
    v = (seg["party"] == sc.parties.index("vendor")) & ~np.isnan(seg["start"])
    # one at a time: work intervals [start, end] of the supplier never overlap
    iv = sorted(zip(seg["start"][v], np.where(np.isnan(seg["end"][v]), np.inf, seg["end"][v])))
    assert len(iv) > 1
    for (s0, e0), (s1, e1) in zip(iv, iv[1:]):
        assert s1 >= e0 - EPS


# ----------------------------------------------------------- overload/stability


def test_queue_overflow_marks_the_run_unstable():
    sc = scenario(
        horizon="2w",
        demand=[{"name": "mails", "channel": "email", "volume": "600/h"}],
        groups=[{"name": "desk", "role": "desk", "staff": 1, "handling": exp("10m"), "first_contact_resolution": 1.0}],
        suppliers=[],
        routing=[],
    )
    log = run(sc, 1, 0, max_queue=50)
    assert log.unstable and "desk" in log.unstable and "51" in log.unstable
    assert log.stopped_at < sc.end
    assert len(log.tickets["time"]) < 200
    check_log_invariants(sc, log)
    results = simsla.simulate(sc, replications=2, seed=1, workers=1, max_queue=50)
    assert len(results.unstable) == 2
    assert results.summary()["unstable"] == results.unstable


def test_the_unbounded_default_is_stable_for_a_light_load():
    sc = scenario(horizon="4d", groups=[
        {"name": "desk", "role": "desk", "staff": 4, "handling": exp("4m"), "first_contact_resolution": 0.6},
        {"name": "l2", "staff": 20, "handling": exp("1h")},
    ])
    log = run(sc, 11, 0)
    assert log.unstable is None and log.stopped_at == sc.end


def test_holidays_take_the_sunday_profile():
    """Good Friday (2026-04-03, a Swedish public holiday) gets Sunday's arrivals, an ordinary Friday its own."""
    from simsla.engine.arrivals import rate_intervals

    sc = simsla.Scenario.model_validate({
        "name": "holidays", "start": "2026-03-30", "timezone": "Europe/Stockholm", "horizon": "14d",
        "calendars": {"office": {"hours": {"mon-fri": "08:00-17:00"}, "holiday_country": "SE"}},
        "profiles": {"weekdays": {"days": {"mon-fri": 1.0, "sat": 0.1, "sun": 0.05}}},
        "services": [{"name": "a"}],
        "demand": [{"name": "t", "channel": "portal", "volume": "100/day", "profile": "weekdays", "holidays": "office"}],
        "groups": [{"name": "desk", "role": "desk", "staff": 5, "handling": {"dist": "exponential", "mean": "5m"},
                    "first_contact_resolution": 1.0}],
    })
    iv = rate_intervals(sc, sc.demand[0])

    def day_mass(day: int) -> float:
        a, b = day * 86400.0, (day + 1) * 86400.0
        s, e = np.clip(iv[:, 0], a, b), np.clip(iv[:, 1], a, b)
        return float(((e - s) * iv[:, 2]).sum())

    good_friday, sunday, friday_after = day_mass(4), day_mass(6), day_mass(11)
    assert good_friday == pytest.approx(sunday)
    assert friday_after == pytest.approx(20 * sunday)
    bad = sc.model_dump(by_alias=True)
    bad["demand"][0]["holidays"] = "nope"
    with pytest.raises(ValueError, match="unknown calendar 'nope'"):
        simsla.Scenario.model_validate(bad)


def test_work_time_can_depend_on_whether_the_visit_resolves():
    """`resolves` rules: a resolving visit takes its own time, a hand-off its own, with the routing's shares."""
    sc = simsla.Scenario.model_validate({
        "name": "resolves", "start": "2026-01-05", "horizon": "28d",
        "services": [{"name": "a"}],
        "demand": [{"name": "t", "channel": "portal", "volume": "20/day"}],
        "groups": [{"name": "desk", "role": "desk", "staff": 3, "first_contact_resolution": 0.5,
                    "handling": {"default": {"dist": "deterministic", "value": "5m"},
                                 "by": [{"resolves": True, "time": {"dist": "deterministic", "value": "20m"}}]}},
                   {"name": "l2", "staff": 5, "handling": {"default": {"dist": "deterministic", "value": "1h"},
                    "by": [{"resolves": False, "time": {"dist": "deterministic", "value": "6m"}}]}}],
        "routing": [{"from": "desk", "to": {"l2": 1.0}}, {"from": "l2", "to": {"resolved": 0.7, "l2": 0.3}}],
    })
    r = simsla.simulate(sc, replications=2, seed=1, workers=1)
    s = r.segments[r.segments["start"].notna() & r.segments["end"].notna()]
    work = (s["end"] - s["start"]).round(6)
    for party, outcome, seconds in (("desk", "resolved", 1200), ("desk", "escalated", 300),
                                    ("l2", "resolved", 3600), ("l2", "escalated", 360)):
        mine = work[(s["party"] == party) & (s["outcome"] == outcome)]
        assert len(mine) > 50 and (mine == seconds).all(), (party, outcome)
    l2 = s[s["party"] == "l2"]
    share = (l2["outcome"] == "escalated").mean()
    assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / len(l2))


def test_a_priority_mix_gives_those_priorities():
    """`priority: {P1: ..}` instead of impact/urgency: the shares come out as asked (multinomial 99.9 % bounds)."""
    weights = {"P1": 0.02, "P2": 0.08, "P3": 0.3, "P4": 0.6}
    sc = simsla.Scenario.model_validate({
        "name": "mix", "start": "2026-01-05", "horizon": "28d",
        "services": [{"name": "a"}],
        "demand": [{"name": "t", "channel": "portal", "volume": "600/day", "priority": weights}],
        "groups": [{"name": "desk", "role": "desk", "staff": 30, "handling": {"dist": "exponential", "mean": "5m"},
                    "first_contact_resolution": 1.0}],
    })
    tk = simsla.simulate(sc, replications=1, seed=2, workers=1).tickets
    n = len(tk)
    for label, w in weights.items():
        share = (tk["priority"] == label).mean()
        assert abs(share - w) < 3.3 * np.sqrt(w * (1 - w) / n), label
    # every P3 cell of the default matrix is used: (high, low), (medium, medium), (low, high)
    p3 = tk[tk["priority"] == "P3"]
    assert p3.groupby(["impact", "urgency"], observed=True).size().shape[0] == 3
    bad = sc.model_dump(by_alias=True)
    bad["demand"][0]["impact"] = {"high": 1.0}
    with pytest.raises(ValueError, match="either a priority mix or impact/urgency"):
        simsla.Scenario.model_validate(bad)
    bad = sc.model_dump(by_alias=True)
    bad["demand"][0]["priority"] = {"P9": 1.0}
    with pytest.raises(ValueError, match="'P9' is unknown"):
        simsla.Scenario.model_validate(bad)
