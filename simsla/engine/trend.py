"""Is a queue still growing at the end of a run?  The trend of each party's backlog.

A party whose offered load exceeds its capacity collects tickets for as long
as the run lasts; the hard bound on a queue (``max_queue``) catches only the
fastest of them, so a run forced past the load check could end "fine" with a
hundred thousand tickets still open.  This module tells a growing backlog from
a settled one, per party and replication, from the log alone.

The rule (batch means with a trend test):

* The *backlog* of a party at time t is the number of tickets there: waiting
  or in work (open tickets count until the stop).  Its time-average over an
  interval is the ticket-seconds present divided by the interval's length.
* The last part of the run is split into ``BATCHES`` (10) consecutive batches
  of equal length, ending at the stop and starting no earlier than the end of
  the warm-up.  A batch is a whole number of weeks when the measured window
  holds at least 10 weeks, else a whole number of days when it holds at least
  10 days, so that the weekly (or daily) rhythm of shifts and demand averages
  out inside each batch.
* For a queue that has settled, long batch means are nearly independent and
  identically distributed (the batch means method); for one that grows, they
  rise along a line.  A least-squares line is fitted through the 10 batch
  means; the backlog is *growing* when the slope's t statistic exceeds
  ``T_CRITICAL`` (one-sided, 8 degrees of freedom, p = 0.001) **and** the rise
  the line implies over the batches is material: at least ``MIN_RISE``
  tickets and at least half the mean backlog.  The second condition keeps a
  statistically detectable but harmless drift (a few tickets) from marking a
  run unstable.

A queue that settles only slowly (utilisation just under 1, a long relaxation
time) can also be reported: it was still growing when the run ended, so the
run's numbers are not yet those of the steady state.
"""

from __future__ import annotations

import math

import numpy as np

#: batches the end of the run is split into
BATCHES = 10
#: one-sided 0.999 quantile of Student's t with BATCHES - 2 degrees of freedom
T_CRITICAL = 4.50
#: the least rise of the backlog (tickets, along the fitted line over the batches) that counts as growth
MIN_RISE = 20.0
WEEK, DAY = 7 * 86400.0, 86400.0


def batch_edges(warmup: float, stop: float) -> np.ndarray | None:
    """Edges of the ``BATCHES`` batches that end at ``stop`` (None: the measured window is empty)."""
    window = stop - warmup
    if not window > 0:
        return None
    for unit in (WEEK, DAY):
        if window >= BATCHES * unit:
            length = math.floor(window / (BATCHES * unit)) * unit
            break
    else:
        length = window / BATCHES
    return stop - length * np.arange(BATCHES, -1, -1, dtype=float)


def backlog_means(party: np.ndarray, enter: np.ndarray, end: np.ndarray, parties: int,
                  edges: np.ndarray, stop: float) -> np.ndarray:
    """Time-average backlog per party and batch, shape (parties, batches).

    ``end`` NaN (still open at the stop) counts as present until ``stop``;
    segments of parties ``>= parties`` (the customer) are left out.
    """
    mine = party < parties
    party, enter = party[mine].astype(np.int64), enter[mine]
    leave = np.where(np.isnan(end[mine]), stop, end[mine])
    # ticket-seconds in each batch: the overlap of [enter, leave) with the batch.  Most visits lie
    # inside one batch (minutes against weeks): those are summed in one pass; the few that span
    # batches are cut at the edges.
    batches = len(edges) - 1
    first = np.clip(np.searchsorted(edges, enter, side="right") - 1, -1, batches)
    last = np.clip(np.searchsorted(edges, leave, side="right") - 1, -1, batches)
    inside = (first == last) & (first >= 0) & (first < batches)
    total = np.bincount(party[inside] * batches + first[inside], weights=leave[inside] - enter[inside],
                        minlength=parties * batches).reshape(parties, batches).astype(float)
    span = ~inside & (leave > edges[0]) & (enter < edges[-1])
    p, a, b = party[span], enter[span], leave[span]
    for j in range(batches):
        total[:, j] += np.bincount(p, weights=np.clip(np.minimum(b, edges[j + 1]) - np.maximum(a, edges[j]), 0.0, None),
                                   minlength=parties)
    return total / np.diff(edges)[None, :]


def trend(means: np.ndarray) -> tuple[float, float]:
    """Slope per batch and its t statistic of a least-squares line through batch means (t = inf for an exact line)."""
    x = np.arange(len(means), dtype=float)
    x -= x.mean()
    sxx = float((x * x).sum())
    slope = float((x * (means - means.mean())).sum() / sxx)
    resid = means - means.mean() - slope * x
    ssr = float((resid * resid).sum())
    if ssr <= 1e-12 * max(1.0, float((means * means).sum())):
        return slope, (math.inf if slope > 0 else 0.0)
    return slope, slope / math.sqrt(ssr / (len(means) - 2) / sxx)


def growing_backlogs(names: list[str], party: np.ndarray, enter: np.ndarray, end: np.ndarray,
                     warmup: float, stop: float) -> list[str]:
    """One message per party whose backlog was still growing at the end of the run (empty: all settled).

    Parameters
    ----------
    names
        party names, in the order of the party codes of the segments.
    party, enter, end
        the segment columns of one replication (``end`` NaN: open at the stop).
    warmup, stop
        the end of the warm-up and the time the run stopped (engine seconds).
    """
    edges = batch_edges(warmup, stop)
    if edges is None or len(party) == 0:
        return []
    means = backlog_means(party, enter, end, len(names), edges, stop)
    out = []
    for p, row in enumerate(means):
        slope, t = trend(row)
        rise = slope * (BATCHES - 1)
        if t > T_CRITICAL and rise >= max(MIN_RISE, 0.5 * float(row.mean())):
            span = edges[-1] - edges[0]
            out.append(f"the backlog at {names[p]!r} kept growing: from {row[0]:,.0f} to {row[-1]:,.0f} tickets on "
                       f"average over the last {span / DAY:,.0f} days of the run (trend t = {min(t, 999):.0f}): "
                       "its queue does not settle, so the run's numbers are those of a growing queue")
    return out
