"""Handling times: how long an agent of a group works on a ticket's fresh visit.

The desk's times are drawn per ticket up front, so the same caller gets the
same talk time in every scenario run with one seed (common random numbers);
other groups draw from buffered blocks as work starts.  A rule with
``resolves: true|false`` applies only to visits that do (not) resolve the
ticket: the desk knows that up front from first-contact resolution, other
groups let the router draw the destination as the work starts
(``Router.plan``).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from simsla.engine import streams
from simsla.engine.router import Router
from simsla.engine.sampling import Buffer, sampler
from simsla.engine.tables import KeySpace
from simsla.model import Scenario

if TYPE_CHECKING:
    from simsla.engine.contacts import Contacts

WorkTime = Callable[[int], float]


def work_time(scenario: Scenario, space: KeySpace, group: int, key, router: Router,
              seed: int, replication: int, contacts: "Contacts | None" = None) -> WorkTime:
    """The work-time function ``ticket -> seconds`` of one group.

    Parameters
    ----------
    scenario, space
        the scenario and its key space.
    group
        index of the group in ``scenario.groups``.
    key
        per ticket, its attribute key.
    router
        the replication's router (whether a visit resolves, for ``resolves`` rules).
    seed, replication
        root seed and replication index of the random streams.
    contacts
        the replication's contacts: the desk draws a time for each redial as it arrives.
    """
    rules = scenario.groups[group].handling_times.by
    specs = [r.time for r in rules] + [scenario.groups[group].handling_times.default]

    def table(resolves: bool) -> np.ndarray:
        return space.first_match([r.when if r.resolves in (None, resolves) else None for r in rules],
                                 default=len(rules))

    depends = any(r.resolves is not None for r in rules)
    rng = streams.stream(seed, replication, streams.HANDLING, group)
    if group == router.desk:
        times = _up_front(specs, table, depends, key, router, rng)
        if contacts is not None and contacts.redials is not None:
            contacts.growers.append(_redial_times(specs, table, depends, key, router, times, contacts.rng_handling))
        return times.__getitem__
    buffers = [Buffer(sampler(spec), rng) for spec in specs]
    if not depends:
        rule_list = table(True).tolist()
        return lambda tid: buffers[rule_list[key[tid]]]()
    when_resolved, when_passed = table(True).tolist(), table(False).tolist()

    def work(tid: int) -> float:
        dest = router.plan(tid, group)
        return buffers[(when_resolved if dest < 0 else when_passed)[key[tid]]]()

    return work


def _up_front(specs: list, table: Callable[[bool], np.ndarray], depends: bool, key, router: Router,
              rng: np.random.Generator) -> array:
    """The desk's times, one per ticket, drawn rule by rule in rule order."""
    keys = np.asarray(key, dtype=np.int64)
    n = len(keys)
    times = np.zeros(n)
    if n == 0:
        by_ticket = np.zeros(0, dtype=np.int64)
    elif depends:  # the desk's first visit resolves exactly when first-contact resolution says so
        by_ticket = np.where(router.first_contact_resolved(keys), table(True)[keys], table(False)[keys])
    else:
        by_ticket = table(True)[keys]
    for k, spec in enumerate(specs):
        mask = by_ticket == k
        times[mask] = sampler(spec)(rng, int(mask.sum()))
    return array("d", np.ascontiguousarray(times).tobytes())


def _redial_times(specs: list, table: Callable[[bool], np.ndarray], depends: bool, key, router: Router,
                  times: array, rng: np.random.Generator) -> Callable[[int], None]:
    """The grower that draws the desk's time of a redial (from the redials' stream, rule by rule)."""
    buffers = [Buffer(sampler(spec), rng) for spec in specs]
    when_resolved, when_passed = table(True).tolist(), table(False).tolist()
    fcr = router.fcr

    def grow(tid: int) -> None:
        k = key[tid]
        resolves = router.fcr_u[tid] < fcr[k] if depends else True
        times.append(float(buffers[(when_resolved if resolves else when_passed)[k]]()))

    return grow
