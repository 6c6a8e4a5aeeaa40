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
#: the ticket columns an SLA ticket metric reads
_ITEM_COLUMNS = ("replication", "ticket", "arrival", "answered", "abandoned", "resolved", "outcome", "channel",
                 "contact", "callback")


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


def ticket_rows(tickets: pd.DataFrame, replication: np.ndarray, ticket: np.ndarray) -> np.ndarray:
    """Row positions in ``tickets`` of the (replication, ticket) pairs given; -1 where there is none.

    An integer key per pair and a binary search (the tables are in replication and ticket order,
    as simulated; otherwise they are sorted first) instead of a pandas MultiIndex: a national
    desk's year has a million tickets per replication and every target looks them up.
    """
    reps = tickets["replication"].to_numpy(dtype=np.int64)
    ids = tickets["ticket"].to_numpy(dtype=np.int64)
    replication, ticket = np.asarray(replication, dtype=np.int64), np.asarray(ticket, dtype=np.int64)
    if len(ids) == 0 or len(ticket) == 0:
        return np.full(len(ticket), -1, dtype=np.int64)
    width = int(max(ids.max(), ticket.max())) + 1
    key = reps * width + ids
    order = None if bool(np.all(key[1:] > key[:-1])) else np.argsort(key, kind="stable")
    ordered = key if order is None else key[order]
    wanted = replication * width + ticket
    pos = np.minimum(np.searchsorted(ordered, wanted), len(ordered) - 1)
    found = ordered[pos] == wanted
    rows = pos if order is None else order[pos]
    return np.where(found, rows, -1)


def stop_times(results: "TicketLog", replication: pd.Series) -> np.ndarray:
    """The instant each row's replication stopped (the horizon, or earlier if unstable)."""
    reps = results.runs["replication"].to_numpy(dtype=np.int64)
    stopped = results.runs["stopped_at"].to_numpy(dtype=float)
    wanted = np.asarray(replication, dtype=np.int64)
    if len(stopped) and bool(np.all(stopped == stopped[0])) and bool(np.isin(wanted, reps).all()):
        return np.full(len(wanted), stopped[0])  # every replication ran to the same end (the usual case)
    stops = pd.Series(stopped, index=reps)
    return stops.reindex(wanted).to_numpy(dtype=float)


def paused_time(results: "TicketLog", clock: BusinessClock, agreement: Agreement) -> np.ndarray:
    """Business seconds each ticket's SLA clock was paused, per row of ``results.tickets``.

    Paused: waiting on the customer; with ``pause_on_supplier``, also while a
    supplier holds the ticket.  Open pauses run until the replication's stop.
    """
    seg = results.segments
    kinds = ["customer"] + (["supplier"] if agreement.pause_on_supplier else [])
    pauses = seg[seg["kind"].isin(kinds)]
    out = np.zeros(len(results.tickets))
    if pauses.empty:
        return out
    end = pauses["end"].to_numpy(dtype=float)
    end = np.where(np.isnan(end), stop_times(results, pauses["replication"]), end)
    took = clock.elapsed(pauses["enter"].to_numpy(dtype=float), end)
    rows = ticket_rows(results.tickets, pauses["replication"].to_numpy(), pauses["ticket"].to_numpy())
    np.add.at(out, rows[rows >= 0], took[rows >= 0])
    return out


def ticket_items(results: "TicketLog", clock: BusinessClock, agreement: Agreement, target: Target) -> pd.DataFrame:
    """Items of an SLA ticket metric: replication, ticket, value, met, when (engine s)."""
    scope = in_scope(results.tickets, agreement, target)
    # only the columns read below (a copy of every column per target is most of the cost)
    tk = results.tickets.loc[scope, [c for c in _ITEM_COLUMNS if c in results.tickets]]
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
        paused = paused_time(results, clock, agreement)[scope]
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
    n = len(seg)
    ticket, rep = seg["ticket"].to_numpy(), seg["replication"].to_numpy()
    party_code = _codes(seg["party"], [party, "customer"])
    outcome = _codes(seg["outcome"], list(_CONTINUED) + ["pending"])
    mine_code, customer_code, pending_code = party_code[1][0], party_code[1][1], outcome[1][-1]
    party_at, outcome_at = party_code[0], outcome[0]
    continued = np.isin(outcome_at, outcome[1][:-1])
    # the row before (and the one before that) belongs to the same ticket of the same replication
    same = np.zeros(n, dtype=bool)
    same[1:] = (ticket[1:] == ticket[:-1]) & (rep[1:] == rep[:-1])
    same2 = np.zeros(n, dtype=bool)
    same2[2:] = same[2:] & same[1:-1]
    cont = np.zeros(n, dtype=bool)
    cont[1:] = same[1:] & (party_at[:-1] == mine_code) & continued[:-1]
    cont[2:] |= (same2[2:] & (party_at[1:-1] == customer_code) & (party_at[:-2] == mine_code)
                 & (outcome_at[:-2] == pending_code))
    mine = party_at == mine_code
    rows = seg[mine].copy()
    rows["visit"] = np.cumsum(~cont[mine])
    return rows


def _codes(column: pd.Series, values: list[str]) -> tuple[np.ndarray, list[int]]:
    """A label column's integer codes, and the code of each of ``values`` (-2: no such label)."""
    cat = column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")
    labels = list(cat.cat.categories)
    return cat.cat.codes.to_numpy(), [labels.index(v) if v in labels else -2 for v in values]


def visit_items(results: "TicketLog", clock: BusinessClock, agreement: Agreement, target: Target) -> pd.DataFrame:
    """Items of an OLA/UC target: one per visit of the bound party."""
    rows = visits(results, agreement.party)  # type: ignore[arg-type]
    if rows.empty:
        return pd.DataFrame(columns=["replication", "ticket", "value", "met", "when"])
    found = ticket_rows(results.tickets, rows["replication"].to_numpy(), rows["ticket"].to_numpy())
    attrs = results.tickets.iloc[np.maximum(found, 0)]
    rows = rows[in_scope(attrs, agreement, target) & (found >= 0)]
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
