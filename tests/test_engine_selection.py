"""The selection seam (issue 14, item 1): a group's matching policy is a plug-in.

The default, ``PriorityQueues``, is today's behaviour (the identity test
shows it gives the tables of the engine before the seam existed); a
different policy changes who is served when, and nothing else: the same
tickets arrive, every ticket is accounted for, and the work done is the same.
"""

from __future__ import annotations

import numpy as np

import simsla
from simsla.engine.ledger import RESOLVED
from simsla.engine.replication import Replication
from simsla.engine.selection import PriorityQueues


class NewestFirst(PriorityQueues):
    """LIFO within a rank: the most recent arrival is served first (a policy no scenario can ask for)."""

    def on_free(self, seat: int) -> int:
        for q in self.queues:
            if q:
                self.waiting -= 1
                return q.pop()
        self.free.append(seat)
        return -1


class Counting(PriorityQueues):
    """Today's policy, counting the calls it gets."""

    calls: dict[str, int] = {}

    def __getattribute__(self, name):
        if name.startswith("on_"):
            Counting.calls[name] = Counting.calls.get(name, 0) + 1
        return super().__getattribute__(name)


def _scenario():
    return simsla.Scenario.model_validate({
        "name": "seam", "start": "2026-01-05", "horizon": "7d", "warmup": 0,
        "services": [{"name": "a"}],
        "demand": [{"name": "t", "channel": "phone", "volume": "10/h"}],
        "groups": [{"name": "desk", "role": "desk", "handling": {"dist": "deterministic", "value": "5m"},
                    "first_contact_resolution": 1.0,
                    "shifts": [{"days": "all", "hours": "24h", "staff": 1},
                               {"days": "mon-fri", "hours": "09:00-17:00", "staff": 1}]}],
    })


def test_another_selection_changes_the_order_of_service_only():
    sc = _scenario()
    fifo = Replication(sc, 5, 0).run()
    lifo = Replication(sc, 5, 0, selection=NewestFirst).run()
    for name in ("time", "stream", "service", "priority"):
        assert np.array_equal(fifo.tickets[name], lifo.tickets[name])
    wait_fifo = fifo.tickets["answered"] - fifo.tickets["time"]
    wait_lifo = lifo.tickets["answered"] - lifo.tickets["time"]
    done = ~np.isnan(wait_fifo) & ~np.isnan(wait_lifo)
    # the same work (deterministic 5 min a call) in another order: the same mean wait (conservation),
    # a wider spread when the newest goes first
    assert not np.array_equal(wait_fifo[done], wait_lifo[done])
    assert abs(np.nanmean(wait_lifo) - np.nanmean(wait_fifo)) < 0.05 * np.nanmean(wait_fifo)
    assert np.nanstd(wait_lifo) > 1.1 * np.nanstd(wait_fifo)
    for log in (fifo, lifo):
        ok = log.segments["outcome"] == RESOLVED
        assert (log.tickets["outcome"] == 0).sum() == ok.sum()


def test_the_default_selection_is_asked_every_matching_question():
    Counting.calls = {}
    log = Replication(_scenario(), 5, 0, selection=Counting).run()
    assert {"on_arrival", "on_free", "on_shift"} <= set(Counting.calls)
    assert Counting.calls["on_arrival"] == len(log.tickets["time"])
