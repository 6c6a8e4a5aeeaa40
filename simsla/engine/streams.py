"""Random streams: one generator per (replication, purpose[, party]).

Seeding follows ARCHITECTURE.md: ``SeedSequence(root, spawn_key=(replication,
stream, ...))``.  A stream depends only on the root seed, the replication and
its purpose, never on which worker runs it or how many streams were used
before, so two scenarios run with one seed share common random numbers and a
replication gives the same numbers in any process.
"""

from __future__ import annotations

import numpy as np

#: purposes, each its own stream (never renumber: it changes every result).
ARRIVALS = 0
ATTRIBUTES = 1
PATIENCE = 2
HANDLING = 3
ROUTING = 4
SUPPLIERS = 5
OUTAGES = 6
CUSTOMER = 7
BUSY_DAYS = 8
SKILLS = 9
BACKLOG = 10
REDIALS = 11
CALLBACKS = 12


def stream(seed: int, replication: int, purpose: int, *sub: int) -> np.random.Generator:
    """The generator for one purpose (and optional sub-index, e.g. a party) of a replication."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, purpose, *sub))))
