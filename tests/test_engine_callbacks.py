"""Callbacks (virtual hold) in the engine, checked on the log of a small desk.

(A Markov-chain check of a small callback system is in
``tests/validation/test_callbacks.py``.)
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import simsla
from simsla.engine.ledger import OUTCOMES, TICKET_OUTCOMES
from simsla.engine.replication import run

BASE = {"name": "callbacks", "start": "2026-01-05", "timezone": "UTC", "horizon": "3d", "warmup": "0s",
        "services": [{"name": "x"}]}


def scenario(callback: dict | None, patience: str | None = None, rate: str = "185/h", email: str | None = None,
             **top) -> simsla.Scenario:
    desk = {"name": "desk", "role": "desk", "staff": 10, "discipline": "fifo", "first_contact_resolution": 1.0,
            "handling": {"dist": "exponential", "mean": 180}}
    if callback is not None:
        desk["callback"] = callback
    demand = [{"name": "calls", "channel": "phone", "volume": rate}]
    if email:
        demand.append({"name": "mail", "channel": "email", "volume": email})
    data = copy.deepcopy(BASE)
    data.update({"demand": demand, "groups": [desk], **top})
    if patience:
        data["patience"] = {"dist": "exponential", "mean": patience}
    return simsla.Scenario.model_validate(data)


def log(sc, seed=4):
    out = run(sc, seed, 0)
    assert out.unstable is None
    tk = pd.DataFrame(out.tickets)
    tk["outcome"] = [TICKET_OUTCOMES[c] for c in tk["outcome"]]
    seg = pd.DataFrame(out.segments)
    seg["outcome"] = [OUTCOMES[c] for c in seg["outcome"]]
    return tk, seg


def waiting_calls(seg: pd.DataFrame, t: float, before: float = np.inf) -> int:
    """Phone calls waiting in the desk's call queue at ``t`` (not callbacks), entered before ``before``."""
    q = seg[seg["outcome"].isin(["resolved", "abandoned", "open", "callback"]) & (seg["enter"] < min(t, before))]
    first = q.groupby("ticket").head(1)  # the call's first visit: its wait in the call queue
    left = first["start"].where(first["outcome"] != "callback", first["end"]).fillna(first["end"]).fillna(np.inf)
    return int((left > t).sum())


def test_a_callback_is_offered_exactly_when_the_predicted_wait_exceeds_the_threshold():
    tk, seg = log(scenario({"offer_over": "60s", "accept": 1.0}))
    accepted = tk[~np.isnan(tk["callback"])]
    assert len(accepted) > 30
    # decided on arrival, with (calls ahead + 1) x 180 s / 10 agents > 60 s, i.e. at least 3 calls ahead
    assert np.allclose(accepted["callback"], accepted["time"])
    for t in accepted["time"].iloc[:: max(1, len(accepted) // 150)]:
        assert waiting_calls(seg, t, before=t) >= 3
    queued = seg[(seg["outcome"] == "resolved") & (seg["start"] > seg["enter"] + 1e-9)]
    queued = queued[np.isnan(tk.loc[queued["ticket"], "callback"].to_numpy())]
    for t in queued["enter"].iloc[:: max(1, len(queued) // 150)]:
        assert waiting_calls(seg, t, before=t) <= 2  # waited without an offer: fewer than 3 ahead


def test_callbacks_wait_until_no_call_waits_and_then_are_worked_like_the_call():
    tk, seg = log(scenario({"offer_over": "30s", "accept": 0.7}))
    accepted = tk[~np.isnan(tk["callback"])]
    made = seg[seg["ticket"].isin(accepted.index) & (seg["outcome"] == "resolved")]
    assert len(made) == len(accepted) - (tk.loc[accepted.index, "outcome"] == "open").sum()
    for t in made["start"].iloc[:: max(1, len(made) // 150)]:
        assert waiting_calls(seg, t) == 0  # an agent took a callback only with no call waiting
    # the callback connects at the attempt's start: that is the ticket's answer
    assert np.allclose(tk.loc[made["ticket"], "answered"], made["start"])


def test_accept_zero_or_a_high_threshold_offers_nothing_and_changes_nothing():
    plain, _ = log(scenario(None))
    for cb in ({"offer_over": "60s", "accept": 0.0}, {"offer_over": "52w", "accept": 1.0}):
        tk, _ = log(scenario(cb))
        assert np.isnan(tk["callback"]).all()
        assert np.array_equal(tk["answered"].to_numpy(), plain["answered"].to_numpy(), equal_nan=True)


def test_an_unanswered_attempt_costs_the_dial_time_and_is_retried_until_the_attempts_are_used():
    cb = {"offer_over": "30s", "accept": 1.0, "answer": 0.4, "attempts": 3, "retry_after": "10m", "dial_time": "45s"}
    tk, seg = log(scenario(cb, rate="170/h"))
    miss = seg[seg["outcome"] == "no answer"]
    assert len(miss) > 50
    assert np.allclose(miss["end"] - miss["start"], 45.0)
    per = miss.groupby("ticket").size()
    assert per.max() <= 3
    unreached = per[per == 3].index
    assert len(unreached) > 0 and (tk.loc[unreached, "outcome"] == "abandoned").all()
    # after a failed attempt the ticket waits at the desk (from the attempt's end) and is dialled again
    # no sooner than retry_after later
    for tid, rows in seg[seg["ticket"].isin(per.index)].groupby("ticket"):
        rows = rows.sort_values("enter")
        for a, b in zip(rows.itertuples(), list(rows.itertuples())[1:]):
            if a.outcome == "no answer":
                assert b.enter == pytest.approx(a.end)
                assert np.isnan(b.start) or b.start >= a.end + 600.0 - 1e-6
    answered = tk[~np.isnan(tk["callback"]) & (tk["outcome"] == "resolved")]
    assert np.isnan(tk.loc[unreached, "answered"]).all() and (answered["answered"] > answered["time"]).all()


def test_a_caller_waiting_on_a_callback_does_not_hang_up_or_hold_a_line():
    cb = {"offer_over": "40s", "accept": 1.0}
    tk, seg = log(scenario(cb, patience="1m", rate="200/h"))
    accepted = tk[~np.isnan(tk["callback"])]
    assert len(accepted) > 30
    assert (accepted["outcome"] != "abandoned").all()


def test_a_callback_past_its_window_goes_before_waiting_calls():
    slow = {"offer_over": "30s", "accept": 1.0}
    fast = {"offer_over": "30s", "accept": 1.0, "within": "10m"}
    delay = {}
    for name, cb in (("slow", slow), ("fast", fast)):
        tk, _ = log(scenario(cb, rate="175/h", email="12/h"))
        called = tk[~np.isnan(tk["callback"]) & ~np.isnan(tk["answered"])]
        delay[name] = (called["answered"] - called["callback"]).to_numpy()
    assert np.quantile(delay["fast"], 0.95) < np.quantile(delay["slow"], 0.95)
    assert np.mean(delay["fast"] > 600 + 1800) < 0.05  # once promoted, taken at the next free agent


def test_the_target_rule_decides_how_a_callback_counts():
    targets = [{"name": f"in 20 s ({rule})", "metric": "answer_time", "threshold": "20s", "fraction": 0.8,
                "callbacks": rule} for rule in ("at_callback", "at_acceptance", "exclude")]
    sc = scenario({"offer_over": "30s", "accept": 0.8},
                  agreements=[{"name": "SLA", "kind": "SLA", "period": "week", "targets": targets}])
    res = simsla.simulate(sc, replications=2, seed=3, workers=1)
    table = res.evaluation()
    att = table.groupby("target")["attainment"].mean()
    counted = table.groupby("target")["counted"].sum()
    assert att["in 20 s (at_acceptance)"] > att["in 20 s (at_callback)"]
    assert counted["in 20 s (exclude)"] < counted["in 20 s (at_callback)"] == counted["in 20 s (at_acceptance)"]


@pytest.mark.parametrize("group, needle", [
    ({"role": "resolver", "callback": {"offer_over": "1m", "accept": 0.5}}, "applies to the desk only"),
    ({"role": "desk", "customer_wait": {"probability": 0.1, "duration": {"dist": "exponential", "mean": 600}},
      "callback": {"offer_over": "1m", "accept": 0.5}}, "cannot also have `customer_wait`"),
])
def test_callbacks_that_cannot_work_are_refused(group, needle):
    g = {"name": "x", "staff": 2, "handling": {"dist": "exponential", "mean": 60}, **group}
    with pytest.raises(ValueError, match=needle.replace("`", ".")):
        simsla.model.Group.model_validate(g)


def test_an_unreached_callback_is_counted_by_the_callbacks_rule_not_the_abandoned_rule():
    targets = [{"name": rule, "metric": "answer_time", "threshold": "20s", "fraction": 0.8, "abandoned": "exclude",
                "callbacks": rule} for rule in ("at_callback", "at_acceptance")]
    sc = scenario({"offer_over": "30s", "accept": 0.6, "answer": 0.4, "attempts": 1}, patience="2m", rate="200/h",
                  agreements=[{"name": "SLA", "kind": "SLA", "period": "week", "targets": targets}])
    res = simsla.simulate(sc, replications=1, seed=2, workers=1)
    tk = res.tickets
    unreached = tk["callback"].notna() & (tk["outcome"] == "abandoned")
    hung_up = tk["callback"].isna() & (tk["outcome"] == "abandoned")
    assert unreached.sum() > 100
    table = res.evaluation()
    counted = table.groupby("target")["counted"].sum()
    phone = tk[tk["channel"] == "phone"]
    # every call counts except those who hung up (abandoned: exclude): unreached callbacks stay in
    expected = int((~hung_up[phone.index]).sum())
    assert counted["at_callback"] == counted["at_acceptance"]
    # (the table counts complete weeks only: a few calls at the run's ends fall outside them)
    assert 0.9 * expected <= counted["at_callback"] <= expected
    att = table.groupby("target")["attainment"].mean()
    assert att["at_acceptance"] > att["at_callback"]


def test_a_callback_never_interrupts_work_on_a_preemptive_desk():
    desk = {"name": "desk", "role": "desk", "staff": 8, "discipline": "priority", "preemptive": True,
            "first_contact_resolution": 1.0, "handling": {"dist": "exponential", "mean": 180},
            "callback": {"offer_over": "30s", "accept": 1.0, "answer": 0.5, "retry_after": "10m"}}
    data = copy.deepcopy(BASE)
    data.update({"groups": [desk], "priority_matrix": {"impacts": ["high", "low"], "urgencies": ["high", "low"],
                                                        "priorities": ["P1", "P2"],
                                                        "matrix": {"high": ["P1", "P1"], "low": ["P2", "P2"]}},
                 "demand": [{"name": "calls", "channel": "phone", "volume": "140/h", "impact": {"high": 0.5, "low": 0.5}},
                            {"name": "mail", "channel": "email", "volume": "15/h", "impact": {"low": 1}}]})
    tk, seg = log(simsla.Scenario.model_validate(data))
    called = set(tk.index[~np.isnan(tk["callback"])])
    assert len(called) > 30
    preempted = seg[seg["outcome"] == "preempted"]
    for t in preempted["end"]:  # whoever took over at that instant was not a callback
        took = seg[(seg["start"] == t) & (seg["ticket"] != -1)]
        assert not set(took["ticket"]) & called
