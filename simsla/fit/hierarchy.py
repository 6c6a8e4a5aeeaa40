"""Per-priority estimates with a hierarchical fallback: priority -> priority class -> pooled.

Urgent tickets do not travel like the rest: in the ServiceNow log P1-P2 go to other first groups,
are passed on less often and stay far longer with the group that resolves them, so routing and
times pooled over priorities make P1-P2 resolve about 40 % too fast.  But most group x priority
cells are small.  So each estimate is made on a tree of nodes:

* the pooled node (all tickets): always there; it becomes the catch-all rule;
* a priority class (``P1-P2``, ``P3-P4``: the two most urgent labels and the rest) where it has
  ``>= min_n`` observations and is not nearly the whole pool (< ``dominant`` of it: a class that is
  97 % of the tickets would only repeat the catch-all);
* a single priority inside a class where it has ``>= min_n`` observations (and is < ``dominant``
  of its parent).

Each node's estimate is shrunk to its parent's with ``k`` pseudo-observations: transition counts
plus ``k`` x the parent's probabilities (a Dirichlet prior centred on the parent), and a time
distribution that is the node's sample with weight n / (n + k) and the parent's with k / (n + k).
The nodes become ``when: {priority: ...}`` rules, most specific first, before the pooled catch-all,
but only those the data supports: a node whose observations do not differ from the rest of its
parent's (chi-square test of the 2 x destinations table for routing, two-sample Kolmogorov-Smirnov
for times, p >= ``ALPHA``) gets no rule of its own and falls through to its class or the catch-all.

Times also depend on what happens next: in the ServiceNow log a P1 visit that passes the ticket on
lasts 0.8 h (median), one that resolves it 70 h.  So where a group's resolving and passing-on visits
both number ``>= min_n`` and differ (Kolmogorov-Smirnov, p < ``ALPHA``), each outcome gets its own
tree over its own visits, built, shrunk and tested as above, written as ``resolves: true`` /
``resolves: false`` rules (``simsla.fit.tickets_scenario.outcome_split``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MIN_N = 50          # observations a node needs (timed visits, departures, first assignments)
SHRINK = 20.0       # pseudo-observations of the parent in each node's estimate
DOMINANT = 0.9      # a node with this share of its parent's observations adds nothing to it
ALPHA = 0.01        # a node gets its own rule when it differs from the rest of its parent at this level


def priority_classes(priorities: list[str], urgent: int = 2) -> list[tuple[str, ...]]:
    """The labels most urgent first; the ``urgent`` most urgent are one class, the rest another ('unknown' is left out)."""
    labels = [p for p in priorities if p != "unknown"]
    if len(labels) <= 1:
        return [tuple(labels)] if labels else []
    classes = [tuple(labels[:urgent]), tuple(labels[urgent:])]
    return [c for c in classes if c]


@dataclass
class Node:
    members: tuple[str, ...]          # priorities covered; () = every ticket (the pooled node)
    mask: np.ndarray                  # rows of the observations in the node
    parent: int | None                # index of the parent node
    children: list[int] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.mask.sum())

    @property
    def when(self) -> dict[str, Any]:
        return {"priority": self.members[0] if len(self.members) == 1 else list(self.members)}

    @property
    def label(self) -> str:
        return "-".join((self.members[0], self.members[-1])) if len(self.members) > 1 else (self.members[0] if self.members else "all")


def tree(priority: pd.Series, classes: list[tuple[str, ...]], min_n: int = MIN_N, dominant: float = DOMINANT) -> list[Node]:
    """Nodes over the observations whose priorities are ``priority``: the pooled node first."""
    pr = priority.astype(str).to_numpy()
    nodes = [Node((), np.ones(len(pr), bool), None)]

    def add(members, mask, parent) -> int | None:
        n = int(mask.sum())
        if n < min_n or n >= dominant * nodes[parent].n:
            return None
        nodes.append(Node(tuple(members), mask, parent))
        nodes[parent].children.append(len(nodes) - 1)
        return len(nodes) - 1

    for cls in classes:
        c = add(cls, np.isin(pr, cls), 0) if len(cls) > 1 else None
        for p in cls:
            add((p,), pr == p, 0 if c is None else c)
    return nodes


def rule_order(nodes: list[Node], distinct: set[int] | None = None) -> list[int]:
    """The nodes that become rules, most specific first: single priorities, then classes not wholly
    covered by their own priorities' rules.  The pooled node is the catch-all and not listed.
    ``distinct``: the nodes that differ from their parents (the others get no rule)."""
    ok = set(range(1, len(nodes))) if distinct is None else set(distinct)
    singles = [i for i, nd in enumerate(nodes) if len(nd.members) == 1 and i in ok]
    classes = [i for i, nd in enumerate(nodes) if len(nd.members) > 1 and i in ok
               and {m for c in nd.children if c in ok for m in nodes[c].members} != set(nd.members)]
    return singles + classes


def distinct_routes(nodes: list[Node], target: pd.Series, alpha: float = ALPHA) -> set[int]:
    """Nodes whose destinations differ from the rest of the parent's (chi-square, rare destinations merged)."""
    from scipy.stats import chi2_contingency

    y = target.astype(str).to_numpy()
    out = set()
    for i, nd in enumerate(nodes[1:], start=1):
        rest = nodes[nd.parent].mask & ~nd.mask
        if rest.sum() == 0:
            continue
        a = pd.Series(y[nd.mask]).value_counts()
        b = pd.Series(y[rest]).value_counts()
        table = pd.concat([a, b], axis=1).fillna(0.0)
        small = table.sum(axis=1) < 10
        if small.any():
            table = pd.concat([table[~small], table[small].sum().to_frame("rare").T])
        table = table[table.sum(axis=1) > 0]
        if len(table) < 2:
            continue
        if chi2_contingency(table.to_numpy().T)[1] < alpha:
            out.add(i)
    return out


def distinct_times(nodes: list[Node], x: np.ndarray, alpha: float = ALPHA) -> set[int]:
    """Nodes whose times differ from the rest of the parent's (two-sample Kolmogorov-Smirnov)."""
    from scipy.stats import ks_2samp

    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    out = set()
    for i, nd in enumerate(nodes[1:], start=1):
        own, rest = x[nd.mask & ok], x[nodes[nd.parent].mask & ~nd.mask & ok]
        if len(own) and len(rest) and ks_2samp(own, rest).pvalue < alpha:
            out.add(i)
    return out


def shrunk_probabilities(nodes: list[Node], target: pd.Series, k: float = SHRINK) -> list[pd.Series]:
    """Per node: probabilities of each value of ``target`` (counts + k x the parent's probabilities)."""
    out: list[pd.Series] = []
    for nd in nodes:
        counts = target[nd.mask].value_counts().astype(float)
        if nd.parent is not None:
            prior = out[nd.parent]
            counts = counts.reindex(prior.index.union(counts.index), fill_value=0.0) + k * prior.reindex(
                prior.index.union(counts.index), fill_value=0.0)
        out.append(counts / counts.sum())
    return out


def shrunk_samples(nodes: list[Node], x: np.ndarray, k: float = SHRINK) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per node: a weighted sample (values, weights summing to 1): the node's own sample with weight
    n / (n + k), the parent's weighted sample with the rest.  ``x`` may hold NaN (left out)."""
    x = np.asarray(x, dtype=float)
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for nd in nodes:
        own = x[nd.mask & np.isfinite(x)]
        w_own = np.full(len(own), 1.0 / max(len(own), 1))
        if nd.parent is None or len(own) == 0:
            out.append((own, w_own))
            continue
        share = len(own) / (len(own) + k)
        pv, pw = out[nd.parent]
        out.append((np.concatenate([own, pv]), np.concatenate([share * w_own, (1 - share) * pw])))
    return out


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Quantiles of a weighted sample (the inverse of its step CDF, at mid-weights)."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cum = np.cumsum(w) - 0.5 * w
    cum /= w.sum()
    return np.interp(q, cum, v)
