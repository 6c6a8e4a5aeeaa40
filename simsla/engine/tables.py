"""Ticket attributes as small integers, and rule lookups as arrays.

Every ticket carries five attributes (service, customer, type, channel,
priority).  Their combination is one integer, the *key*; a rule list (handling
times, first-contact resolution, routing) becomes an array ``key -> rule``, so
the engine never evaluates a filter per ticket.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simsla.model import Scenario, When
from simsla.model.chain import ATTRIBUTES


class KeySpace:
    """The product of the attribute levels of a scenario."""

    def __init__(self, scenario: Scenario):
        self.levels = {a: scenario.levels(a) for a in ATTRIBUTES}
        self.shape = tuple(len(self.levels[a]) for a in ATTRIBUTES)
        self.size = int(np.prod(self.shape))

    def key(self, codes: dict[str, np.ndarray]) -> np.ndarray:
        """Keys for arrays of attribute codes."""
        return np.ravel_multi_index(tuple(codes[a] for a in ATTRIBUTES), self.shape).astype(np.int64)

    def mask(self, when: When) -> np.ndarray:
        """Boolean over keys: which attribute combinations ``when`` matches."""
        out = np.ones(self.shape, dtype=bool)
        for axis, attribute in enumerate(ATTRIBUTES):
            values = when.values(attribute)
            if values is None:
                continue
            hit = np.isin(np.asarray(self.levels[attribute]), np.asarray(values))
            shape = [1] * len(self.shape)
            shape[axis] = -1
            out &= hit.reshape(shape)
        return out.ravel()

    def first_match(self, whens: Sequence[When | None], default: int = -1) -> np.ndarray:
        """For each key, the index of the first rule that matches it (else ``default``); ``None`` matches nothing."""
        out = np.full(self.size, default, dtype=np.int64)
        unset = np.ones(self.size, dtype=bool)
        for i, when in enumerate(whens):
            if when is None:
                continue
            hit = self.mask(when) & unset
            out[hit] = i
            unset &= ~hit
        return out
