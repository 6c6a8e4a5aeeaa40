"""``Router.first_dest`` (the desk's first-visit decisions, vectorised) against the scalar rule.

``Router._first_destinations`` works out, at construction and with numpy, what
``Router.next`` would decide at each ticket's first desk visit, and ``next``
then returns the stored answer.  A slip in the vectorised code (``<`` against
``<=``, ``searchsorted``'s side, the clamp to the last destination, a rule
mask) would route tickets differently and nothing else would notice, so
this file checks, from the router's own tables (``fcr``, ``rule``, ``cdf``,
``dest``) and draws (``fcr_u``, ``first_u``), with the scalar rule written
out here:

* every ticket of every shipped scenario (two seeds): ``first_dest`` equals
  the scalar rule, and equals ``next``'s own scalar path (the stored answers
  forgotten);
* uniforms placed exactly on, and just below, every threshold (and 0 and 1)
  for every key: the vectorised code and ``next`` still equal the scalar rule;
* a redial (``Contacts.spawn``, which grows the router through the
  contacts' ``growers`` and appends its key to the shared ``router.key``)
  gets ``UNKNOWN`` and its two draws from the contacts' routing stream, and
  ``next`` gives the scalar answer for it.
"""

import copy
from array import array
from pathlib import Path

import numpy as np
import pytest

import simsla
from simsla.engine.replication import Replication
from simsla.engine.router import UNKNOWN

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))
REDIALS = SCENARIOS[0].with_name("bilingual-desk.yaml")  # the shipped scenario with ``redials``


def replication(path, seed=1):
    return Replication(simsla.load_scenario(path), seed, 0, max_queue=200000)


def scalar_first(router, tid):
    """The desk's first-visit decision for ``tid``, one comparison at a time (-1: resolved)."""
    key, desk = router.key[tid], router.desk
    if router.fcr_u[tid] < router.fcr[key]:
        return -1
    rule = router.rule[desk][key]
    if rule < 0:
        return -1
    for c, d in zip(router.cdf[desk][rule], router.dest[desk][rule]):
        if router.first_u[tid] < c:
            return d
    return router.dest[desk][rule][-1]


@pytest.mark.parametrize("seed", [1, 7])
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_first_dest_is_the_scalar_rule_for_every_ticket(path, seed):
    router = replication(path, seed).router
    n = len(router.key)
    assert len(router.first_dest) == len(router.fcr_u) == len(router.first_u) == n > 1000
    expected = [scalar_first(router, tid) for tid in range(n)]
    assert list(router.first_dest) == expected
    escalating = any(r >= 0 for r in router.rule[router.desk])
    assert (set(expected) != {-1}) == escalating  # both outcomes occur where the desk routes at all
    stored = list(router.first_dest)
    router.first_dest = array("h", [UNKNOWN]) * n  # forgotten: ``next`` works each one out
    assert [router.next(tid, router.desk) for tid in range(n)] == stored


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_first_destinations_on_the_thresholds(path):
    router = replication(path).router
    desk, keys, fcr_u, first_u = router.desk, [], [], []
    below = lambda x: float(np.nextafter(x, 0.0))  # noqa: E731
    for key, rule in enumerate(router.rule[desk]):
        p = router.fcr[key]
        cdf = router.cdf[desk][rule] if rule >= 0 else []
        for uf in {0.0, p, below(p), 1.0}:
            for u in {0.0, 1.0, below(1.0), *cdf, *map(below, cdf)}:
                keys.append(key)
                fcr_u.append(uf)
                first_u.append(u)
    router.key = array("q", keys)
    router.fcr_u, router.first_u = array("d", fcr_u), array("d", first_u)
    got = router._first_destinations(np.asarray(keys, dtype=np.int64)).tolist()
    expected = [scalar_first(router, tid) for tid in range(len(keys))]
    assert got == expected
    assert len(set(got)) == len({d for dests in router.dest[desk] for d in dests} | {-1})
    router.hops, router.first_dest = array("i", [0]) * len(keys), array("h", [UNKNOWN]) * len(keys)
    assert [router.next(tid, desk) for tid in range(len(keys))] == expected  # ``next``'s own comparisons


def test_a_redial_is_unknown_up_front_and_next_works_it_out():
    r = replication(REDIALS)
    router, contacts = r.router, r.contacts
    assert r.scenario.redials is not None and router.key is contacts.key
    n = len(router.key)
    fresh, rng = list(router.first_dest), copy.deepcopy(contacts.rng_routing)
    new = [contacts.spawn(tid, 0.0) for tid in range(0, 4000, 10)]  # as ``Callers._redial`` does
    # each redial's two desk draws, from the contacts' routing stream: the resolution's, then the destination's
    assert [(router.fcr_u[t], router.first_u[t]) for t in new] == [(rng.uniform(), rng.uniform()) for _ in new]
    assert new == list(range(n, n + len(new))) and len(router.key) == len(router.first_dest) == n + len(new)
    assert len(router.fcr_u) == len(router.first_u) == len(router.hops) == n + len(new)
    assert list(router.first_dest[:n]) == fresh and set(router.first_dest[n:]) == {UNKNOWN}
    assert router.hops[n:].tolist() == [0] * len(new)
    got = [router.next(t, router.desk) for t in new]
    assert got == [scalar_first(router, t) for t in new]
    assert {-1, 1} <= set(got) and UNKNOWN not in got
