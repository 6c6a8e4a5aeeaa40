"""Lines and redials in the engine, checked exactly on the log of small desks.

(Statistical agreement with Erlang B, M/M/c/K and a retrial queue's Markov
chain is in ``tests/validation/test_trunks.py`` and ``test_redials.py``.)
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import simsla
from simsla.engine.contacts import CONTACTS
from simsla.engine.ledger import OUTCOMES, TICKET_OUTCOMES
from simsla.engine.replication import run

BASE = {"name": "callers", "start": "2026-01-05", "timezone": "UTC", "horizon": "3d", "warmup": "0s",
        "services": [{"name": "x"}]}


def scenario(lines=None, redials=None, patience="2m", rate="110/h", staff=4, email=None) -> simsla.Scenario:
    data = copy.deepcopy(BASE)
    desk = {"name": "desk", "role": "desk", "staff": staff, "discipline": "fifo", "first_contact_resolution": 1.0,
            "handling": {"dist": "exponential", "mean": 150}}
    if lines is not None:
        desk["lines"] = lines
    demand = [{"name": "calls", "channel": "phone", "volume": rate}]
    if email:
        demand.append({"name": "mail", "channel": "email", "volume": email})
    data.update({"demand": demand, "groups": [desk]})
    if patience:
        data["patience"] = {"dist": "exponential", "mean": patience}
    if redials:
        data["redials"] = redials
    return simsla.Scenario.model_validate(data)


def log(sc, seed=5):
    out = run(sc, seed, 0)
    assert out.unstable is None
    tk = pd.DataFrame(out.tickets)
    tk["outcome"] = [TICKET_OUTCOMES[c] for c in tk["outcome"]]
    seg = pd.DataFrame(out.segments)
    seg["outcome"] = [OUTCOMES[c] for c in seg["outcome"]]
    return tk, seg


def on_line(tk: pd.DataFrame, t: float) -> int:
    """Phone calls in the desk at instant ``t``: arrived (not blocked), not yet answered-and-done or hung up."""
    admitted = tk[(tk["outcome"] != "blocked") & (tk["channel"] == 0)]
    gone = admitted["resolved"].where(admitted["outcome"] != "abandoned", admitted["abandoned"]).fillna(np.inf)
    return int(((admitted["time"] < t) & (gone > t)).sum())


def test_a_call_is_blocked_exactly_when_every_line_is_taken():
    tk, seg = log(scenario(lines=6, patience=None))
    blocked = tk[tk["outcome"] == "blocked"]
    assert 50 < len(blocked) < len(tk) / 2
    for t in blocked["time"]:
        assert on_line(tk, t) == 6
    for t in tk.loc[tk["outcome"] != "blocked", "time"].iloc[::25]:
        assert on_line(tk, t) < 6  # admitted: a line was free (the call itself not yet counted)
    # a blocked call is one segment at the desk, entered and left at once, never worked
    bs = seg[seg["outcome"] == "blocked"]
    assert len(bs) == len(blocked) and bs["start"].isna().all() and (bs["enter"] == bs["end"]).all()


def test_hung_up_callers_free_their_line_when_they_hang_up():
    tk, _ = log(scenario(lines=6, patience="1m"))
    assert (tk["outcome"] == "abandoned").sum() > 50
    for t in tk.loc[tk["outcome"] == "blocked", "time"]:
        assert on_line(tk, t) == 6


def test_redials_follow_the_failed_attempt_and_stop_after_the_attempts():
    redials = {"probability": 0.7, "delay": {"dist": "deterministic", "mean": 120}, "attempts": 2}
    tk, _ = log(scenario(lines=6, redials=redials))
    tk["kind"] = [CONTACTS[c] for c in tk["contact"]]
    again = tk[tk["kind"] == "redial"]
    assert len(again) > 100
    # each redial arrives 120 s after its previous attempt failed (hung up, or blocked on arrival)
    prev = {}
    for row in tk.sort_values("time").itertuples():
        if row.kind == "redial":
            failed = prev[row.repeats]
            assert row.time == pytest.approx(failed + 120.0)
        end = row.abandoned if row.outcome == "abandoned" else row.time if row.outcome == "blocked" else np.nan
        prev[row.repeats] = end
    attempts = again.groupby("repeats").size()
    assert attempts.max() <= 2
    assert (tk.loc[tk["kind"] == "fresh", "repeats"] == tk.loc[tk["kind"] == "fresh"].index).all()


def test_the_redial_probability_and_channel_shares_hold():
    redials = {"probability": 0.5, "delay": {"dist": "exponential", "mean": 300}, "attempts": 1,
               "channel": {"email": 0.25}}
    tk, _ = log(scenario(redials=redials, patience="30s", rate="130/h"), seed=8)
    fresh_failed = tk[(tk["contact"] == 0) & tk["outcome"].isin(["abandoned", "blocked"])]
    again = tk[tk["contact"] == 1]
    n = len(fresh_failed)
    p = len(again) / n
    assert abs(p - 0.5) < 4 * np.sqrt(0.25 / n)
    share_email = (again["channel"] == 1).mean()
    assert abs(share_email - 0.25) < 4 * np.sqrt(0.25 * 0.75 / len(again))
    # an e-mail redial never hangs up; a phone redial may
    assert (again.loc[again["channel"] == 1, "outcome"] != "abandoned").all()


def test_fresh_contacts_are_the_same_with_and_without_redials():
    plain, _ = log(scenario(lines=6))
    tk, _ = log(scenario(lines=6, redials={"probability": 0.6, "delay": {"dist": "exponential", "mean": 200}}))
    fresh = tk[tk["contact"] == 0]
    assert len(fresh) == len(plain)
    assert np.array_equal(fresh["time"].to_numpy(), plain["time"].to_numpy())


def test_same_seed_same_log_with_redials():
    sc = scenario(lines=6, redials={"probability": 0.6, "delay": {"dist": "exponential", "mean": 200}})
    a, sa = log(sc, 3)
    b, sb = log(sc, 3)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(sa, sb)


def test_redials_without_a_phone_stream_are_refused():
    data = copy.deepcopy(BASE)
    data.update({"demand": [{"name": "mail", "channel": "email", "volume": "10/h"}],
                 "groups": [{"name": "desk", "role": "desk", "staff": 2, "handling": {"dist": "exponential", "mean": 60}}],
                 "redials": {"probability": 0.5, "delay": {"dist": "exponential", "mean": 60}}})
    with pytest.raises(ValueError, match="no demand stream is a phone stream"):
        simsla.Scenario.model_validate(data)


def test_lines_belong_to_the_desk():
    data = copy.deepcopy(BASE)
    data.update({"demand": [{"name": "calls", "channel": "phone", "volume": "10/h"}],
                 "groups": [{"name": "desk", "role": "desk", "staff": 2, "handling": {"dist": "exponential", "mean": 60}},
                            {"name": "l2", "staff": 2, "lines": 3, "handling": {"dist": "exponential", "mean": 60}}]})
    with pytest.raises(ValueError, match="applies to the desk only"):
        simsla.Scenario.model_validate(data)


def test_redials_reach_the_results_tables():
    sc = scenario(lines=6, redials={"probability": 0.6, "delay": {"dist": "exponential", "mean": 200}})
    res = simsla.simulate(sc, replications=2, seed=1, workers=1)
    kinds = res.tickets["contact"].value_counts()
    assert kinds["redial"] > 0 and kinds["fresh"] > kinds["redial"]
    assert (res.tickets["outcome"] == "blocked").sum() > 0
