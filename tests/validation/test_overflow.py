"""Overflow after a delay: 0 and infinity bracket the pooled and the separate systems.

Two agent groups, equal handling (exponential, 300 s): ``team1`` (3 agents)
holds A at level 1 and B at level 2, ``team2`` (2 agents) the reverse.
Tickets needing A arrive at 30/h (2.5 Erlang), B at 18/h (1.5 Erlang).

* ``overflow_after: 0`` — every agent takes every ticket at once and nobody
  idles while a ticket waits; with equal service rates the number of tickets
  in the desk is the birth–death chain of a pooled M/M/5, whatever the
  choice rules, so over all tickets P(wait > 0) and the mean wait are Erlang
  C's for 4 Erlang on 5 agents (the mean through Little's law).
* ``overflow_after`` beyond the horizon — two independent queues: A is an
  M/M/3 (Erlang C, 2.5 Erlang), B an M/M/2 (1.5 Erlang), exactly.
* In between, the mean wait over all tickets grows with the delay (checked on
  paired replications: common random numbers), so it lies between the two.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import simsla
from simsla.analytic import erlang_c_result

from .conftest import BASE, EPS, check_ci, ci99, per_replication, run, settled

AHT = 300.0
RATE_A, RATE_B = 30 / 3600, 18 / 3600
REPS, SEED = 8, 41


def desk_with(delay: str | float) -> simsla.Scenario:
    g = {"name": "desk", "role": "desk", "discipline": "fifo", "phone_first": False, "first_contact_resolution": 1.0,
         "handling": {"dist": "exponential", "mean": AHT},
         "skills": [{"when": {"service": "sa"}, "need": "A"}, {"need": "B"}],
         "agents": [{"name": "team1", "skills": {"A": 1, "B": 2}, "staff": 3},
                    {"name": "team2", "skills": {"B": 1, "A": 2}, "staff": 2}],
         "selection": {"agent": "preferred", "item": "preferred", "overflow_after": delay}}
    data = copy.deepcopy(BASE)
    data.update({"services": [{"name": "sa"}, {"name": "sb"}], "horizon": "21d", "warmup": "1d", "groups": [g],
                 "demand": [{"name": "a", "channel": "phone", "services": {"sa": 1}, "volume": f"{RATE_A!r}/s"},
                            {"name": "b", "channel": "phone", "services": {"sb": 1}, "volume": f"{RATE_B!r}/s"}]})
    return simsla.Scenario.model_validate(data)


def waits(delay):
    sc = desk_with(delay)
    return settled(run(sc, REPS, SEED).tickets, sc, tail=6 * 3600)


@pytest.fixture(scope="module")
def pooled():
    return waits(0)


@pytest.fixture(scope="module")
def separate():
    return waits("52w")


@pytest.mark.slow
def test_no_delay_is_a_pooled_mmc(pooled) -> None:
    theory = erlang_c_result(5, RATE_A + RATE_B, AHT)
    check_ci("overflow 0: P(wait>0) = pooled M/M/5", per_replication(pooled, REPS, lambda d: (d["wait"] > EPS).mean()),
             theory.p_wait, max_rel_half=0.08)
    check_ci("overflow 0: mean wait = pooled M/M/5", per_replication(pooled, REPS, lambda d: d["wait"].mean()),
             theory.mean_wait, max_rel_half=0.15)


@pytest.mark.slow
def test_an_endless_delay_is_two_separate_queues(separate) -> None:
    for service, agents, rate in (("sa", 3, RATE_A), ("sb", 2, RATE_B)):
        theory = erlang_c_result(agents, rate, AHT)
        mine = separate[separate["service"] == service]
        check_ci(f"overflow inf: {service} P(wait>0) = M/M/{agents}",
                 per_replication(mine, REPS, lambda d: (d["wait"] > EPS).mean()), theory.p_wait, max_rel_half=0.08)
        check_ci(f"overflow inf: {service} mean wait = M/M/{agents}",
                 per_replication(mine, REPS, lambda d: d["wait"].mean()), theory.mean_wait, max_rel_half=0.15)


@pytest.mark.slow
def test_delays_in_between_lie_between_pooled_and_separate(pooled, separate) -> None:
    pooled_wait = erlang_c_result(5, RATE_A + RATE_B, AHT).mean_wait
    share_a = RATE_A / (RATE_A + RATE_B)
    separate_wait = (share_a * erlang_c_result(3, RATE_A, AHT).mean_wait
                     + (1 - share_a) * erlang_c_result(2, RATE_B, AHT).mean_wait)
    assert pooled_wait < separate_wait
    mean_wait = {0.0: per_replication(pooled, REPS, lambda d: d["wait"].mean()),
                 np.inf: per_replication(separate, REPS, lambda d: d["wait"].mean())}
    for delay in (30.0, 180.0):
        mean_wait[delay] = per_replication(waits(delay), REPS, lambda d: d["wait"].mean())
    # longer delays, longer waits: paired differences (same seed, same arrivals and work) are positive, so
    # every delay lies between 0 and infinity, whose ends the two tests above pin to the pooled and separate
    # systems (an unpaired interval at 30 s still overlaps the pooled value: the paired one does not)
    order = [0.0, 30.0, 180.0, np.inf]
    for shorter, longer in zip(order, order[1:]):
        diff = ci99(mean_wait[longer] - mean_wait[shorter])
        assert diff.low > 0, (shorter, longer, diff)
