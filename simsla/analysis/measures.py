"""What each target measures: one row per counted item, in business seconds.

For every target this module turns the ticket log into *items* (tickets for
SLA targets, visits for OLA/UC targets) with the business time they took,
whether that met the threshold, and the instant that decides their reporting
period:

* answer_time, first_response (SLA): the period of the ticket's arrival;
* resolution (SLA): the period in which it was resolved;
* OLA/UC targets: the period in which the visit ended (work started, for a
  response target);
* a call that took a callback counts as its target says (``callbacks``):
  answered when the callback connects (an unreached callback is a miss),
  when the caller accepted it, or not at all;
* a call blocked by busy lines counts as not answered (a miss) in answer-time
  targets and is not a ticket for the others;
* an item still open at the horizon that has already passed its threshold
  counts as a breach, in the period in which its deadline passed; one still
  within its threshold is not counted (its outcome is unknown).

A backlog start (``contact == "backlog"``): such tickets arrived before the
run (negative ``arrival``; their clocks ran from then) and were answered and
first responded to before it, so answer_time and first_response leave them
out.  Resolution counts them like any ticket: in the period of resolution,
or, open at the end past their deadline, in the period their deadline passed
(a deadline already passed before the start lies in no measured period).
OLA/UC visits are measured from when the ticket entered the party, which for
a backlog ticket's first visit is the start of the run (time 0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simsla.clock import BusinessClock
from simsla.model import Agreement, Scenario, Target
from simsla.model.chain import ATTRIBUTES

if TYPE_CHECKING:
    from simsla.ticketlog import TicketLog

#: float tolerance on thresholds: a ticket exactly on its deadline meets it
EPS = 1e-6
#: segment outcomes after which the same party takes the ticket up again (one visit)
_CONTINUED = ("preempted", "handover", "pending", "callback", "no answer")


def in_scope(frame: pd.DataFrame, agreement: Agreement, target: Target) -> np.ndarray:
    """Boolean mask of the rows (with ticket attribute columns) that a target covers."""
    mask = np.ones(len(frame), dtype=bool)
    for attribute in ATTRIBUTES:
        values = target.when.values(attribute)
        if values is not None:
            mask &= frame[attribute].isin(values).to_numpy()
    if agreement.customer is not None:
        mask &= (frame["customer"] == agreement.customer).to_numpy()
    return mask


def stop_times(results: "TicketLog", replication: pd.Series) -> np.ndarray:
    """The instant each row's replication stopped (the horizon, or earlier if unstable)."""
    stops = results.runs.set_index("replication")["stopped_at"]
    return stops.reindex(replication.to_numpy()).to_numpy(dtype=float)


def paused_time(results: "TicketLog", clock: BusinessClock, agreement: Agreement) -> pd.Series:
    """Business seconds each ticket's SLA clock was paused, indexed by (replication, ticket).

    Paused: waiting on the customer; with ``pause_on_supplier``, also while a
    supplier holds the ticket.  Open pauses run until the replication's stop.
    """
    seg = results.segments
    kinds = ["customer"] + (["supplier"] if agreement.pause_on_supplier else [])
    pauses = seg[seg["kind"].isin(kinds)]
    if pauses.empty:
        return pd.Series(dtype=float)
    end = pauses["end"].to_numpy(dtype=float)
    end = np.where(np.isnan(end), stop_times(results, pauses["replication"]), end)
    took = clock.elapsed(pauses["enter"].to_numpy(dtype=float), end)
    return pd.Series(took, index=pd.MultiIndex.from_arrays([pauses["replication"], pauses["ticket"]])).groupby(level=[0, 1]).sum()


def ticket_items(results: "TicketLog", clock: BusinessClock, agreement: Agreement, target: Target) -> pd.DataFrame:
    """Items of an SLA ticket metric: replication, ticket, value, met, when (engine s)."""
    tk = results.tickets
    tk = tk[in_scope(tk, agreement, target)]
    metric, threshold = target.metric, float(target.threshold)  # type: ignore[arg-type]
    stop = stop_times(results, tk["replication"])
    arrival = tk["arrival"].to_numpy(dtype=float)
    abandoned = (tk["outcome"] == "abandoned").to_numpy()
    # a call that got a busy signal (every line taken) was not answered: a miss, whatever the abandoned rule
    blocked = (tk["outcome"] == "blocked").to_numpy()
    # a backlog's tickets were answered (and first responded to) before the run
    fresh = (tk["contact"] != "backlog").to_numpy() if "contact" in tk else np.ones(len(tk), dtype=bool)
    if metric == "answer_time":
        tk_is = (tk["channel"] == "phone").to_numpy()
        keep = tk_is & fresh
        # a callback nobody could reach ends "abandoned" but the caller did not hang up: the callbacks rule
        # decides how it counts, not the abandoned rule
        accepted = tk["callback"].to_numpy(dtype=float) if "callback" in tk else np.full(len(tk), np.nan)
        called = ~np.isnan(accepted)
        hung_up = abandoned & ~called
        if target.abandoned == "exclude":
            keep &= ~hung_up
        elif target.abandoned_grace is not None:
            quick = hung_up & ((tk["abandoned"] - tk["arrival"]).to_numpy() <= target.abandoned_grace)
            keep &= ~quick
        end = tk["answered"].to_numpy(dtype=float)
        end = np.where(abandoned, tk["abandoned"].to_numpy(dtype=float), end)
        end = np.where(blocked, arrival, end)
        force_miss = abandoned | blocked
        if called.any():  # the target's rule for calls called back
            if target.callbacks == "exclude":
                keep &= ~called
            elif target.callbacks == "at_acceptance":
                end = np.where(called, accepted, end)
                force_miss = force_miss & ~called
        when_done = arrival
        paused = np.zeros(len(tk))
    elif metric == "first_response":
        keep = ~abandoned & ~blocked & fresh
        end = tk["answered"].to_numpy(dtype=float)
        force_miss = np.zeros(len(tk), dtype=bool)
        when_done = arrival
        paused = np.zeros(len(tk))
    else:  # resolution
        keep = ~abandoned & ~blocked
        end = tk["resolved"].to_numpy(dtype=float)
        force_miss = np.zeros(len(tk), dtype=bool)
        when_done = end
        pauses = paused_time(results, clock, agreement)
        idx = pd.MultiIndex.from_arrays([tk["replication"], tk["ticket"]])
        paused = pauses.reindex(idx).fillna(0.0).to_numpy() if len(pauses) else np.zeros(len(tk))
    done = ~np.isnan(end)
    upto = np.where(done, end, stop)
    value = clock.elapsed(arrival, upto) - paused
    met = done & (value <= threshold + EPS) & ~force_miss
    # open items: counted only once they are past their threshold, in the period their deadline passed
    overdue = ~done & (value > threshold + EPS)
    deadline = np.minimum(clock.deadline(arrival, np.where(overdue, threshold + paused, 0.0), beyond="inf"), stop)
    when = np.where(done, when_done, deadline)
    counted = keep & (done | overdue)
    return pd.DataFrame({
        "replication": tk["replication"].to_numpy()[counted],
        "ticket": tk["ticket"].to_numpy()[counted],
        "value": value[counted],
        "met": met[counted],
        "when": when[counted],
    })


def visits(results: "TicketLog", party: str) -> pd.DataFrame:
    """A party's visits: its segments joined across preemption, shift hand-over and customer waits.

    Columns: replication, ticket, enter, start (first work), end (NaN while
    open), held (a list-free sum is computed by callers), segment rows.
    """
    seg = results.segments
    prev_party = seg["party"].shift(1)
    prev_out = seg["outcome"].shift(1)
    prev2_party = seg["party"].shift(2)
    prev2_out = seg["outcome"].shift(2)
    same = (seg["ticket"].shift(1) == seg["ticket"]) & (seg["replication"].shift(1) == seg["replication"])
    same2 = same & (seg["ticket"].shift(2) == seg["ticket"]) & (seg["replication"].shift(2) == seg["replication"])
    mine = (seg["party"] == party).to_numpy()
    cont = same & (prev_party == party) & prev_out.isin(_CONTINUED)
    cont |= same2 & (prev_party == "customer") & (prev2_party == party) & (prev2_out == "pending")
    rows = seg[mine].copy()
    rows["visit"] = np.cumsum(~cont.to_numpy()[mine])
    return rows


def visit_items(results: "TicketLog", clock: BusinessClock, agreement: Agreement, target: Target) -> pd.DataFrame:
    """Items of an OLA/UC target: one per visit of the bound party."""
    rows = visits(results, agreement.party)  # type: ignore[arg-type]
    if rows.empty:
        return pd.DataFrame(columns=["replication", "ticket", "value", "met", "when"])
    tk = results.tickets.set_index(["replication", "ticket"])
    attrs = tk.reindex(pd.MultiIndex.from_arrays([rows["replication"], rows["ticket"]]))[list(ATTRIBUTES)]
    attrs.index = rows.index
    rows = rows[in_scope(attrs, agreement, target)]
    if rows.empty:
        return pd.DataFrame(columns=["replication", "ticket", "value", "met", "when"])
    stop = stop_times(results, rows["replication"])
    threshold = float(target.threshold)  # type: ignore[arg-type]
    if target.metric == "first_response":
        g = rows.groupby("visit", sort=False)
        first = g.agg(replication=("replication", "first"), ticket=("ticket", "first"),
                      enter=("enter", "first"), start=("start", "first"))
        first_stop = stop_times(results, first["replication"])
        end = first["start"].to_numpy(dtype=float)
        enter = first["enter"].to_numpy(dtype=float)
        done = ~np.isnan(end)
        value = clock.elapsed(enter, np.where(done, end, first_stop))
        out = first
        when_done = end
    else:
        end = rows["end"].to_numpy(dtype=float)
        held = clock.elapsed(rows["enter"].to_numpy(dtype=float), np.where(np.isnan(end), stop, end))
        rows = rows.assign(held=held, open=np.isnan(end))
        g = rows.groupby("visit", sort=False)
        out = g.agg(replication=("replication", "first"), ticket=("ticket", "first"), enter=("enter", "first"),
                    end=("end", "last"), held=("held", "sum"), open=("open", "any"))
        value = out["held"].to_numpy()
        done = ~out["open"].to_numpy()
        enter = out["enter"].to_numpy(dtype=float)
        when_done = out["end"].to_numpy(dtype=float)
    met = done & (value <= threshold + EPS)
    overdue = ~done & (value > threshold + EPS)
    stop_v = stop_times(results, out["replication"])
    deadline = np.minimum(clock.deadline(enter, np.where(overdue, threshold, 0.0), beyond="inf"), stop_v)
    counted = done | overdue
    return pd.DataFrame({
        "replication": out["replication"].to_numpy()[counted],
        "ticket": out["ticket"].to_numpy()[counted],
        "value": value[counted],
        "met": met[counted],
        "when": np.where(done, when_done, deadline)[counted],
    })


def scenario_parties(scenario: Scenario) -> list[str]:
    """Parties as they appear in segments (groups, suppliers, the customer)."""
    return list(scenario.parties) + ["customer"]
