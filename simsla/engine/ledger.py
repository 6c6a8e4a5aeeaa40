"""The ticket ledger: where every ticket is, what happened to it, and the columnar log.

A ticket is an integer.  The ledger keeps its state in typed arrays (8 bytes
a value rather than a 32-byte Python float in a list — this is what keeps a
million tickets in memory) and one row per visit of a ticket to a party, the
*segment*.  Segments are appended to plain lists, one per column, which are
moved into NumPy chunks every ``CHUNK`` rows: a list's append is several
times cheaper than a typed array's (which parses its argument), and the
chunks keep the memory at 8 bytes a value.  Parties report to the ledger
(work started, interrupted, a caller hung up, resolved, passed on); nobody
else writes these columns, and at the end ``log`` turns them into a
``RunLog``.

Per-ticket state of a ticket still in the system, ``active[tid]``, is a
small list ``[party, enter, start]``: the party it is at, when it got there
and when work on it began there (NaN while it waits).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simsla.engine.contacts import Contacts

#: segment outcomes, as written to the log (codes into ``OUTCOMES``).
RESOLVED, ESCALATED, ABANDONED, PREEMPTED, HANDOVER, OPEN, PENDING, BLOCKED, CALLBACK, NO_ANSWER = range(10)
OUTCOMES = ("resolved", "escalated", "abandoned", "preempted", "handover", "open", "pending", "blocked",
            "callback", "no answer")
#: ticket outcomes (codes into this tuple)
TICKET_OUTCOMES = ("resolved", "abandoned", "open", "blocked")

#: the segment columns and their types in the log
SEGMENT_COLUMNS = {"ticket": np.int64, "party": np.int16, "enter": np.float64, "start": np.float64,
                   "end": np.float64, "outcome": np.int8, "team": np.int16}
#: segment rows kept in lists before they are moved into NumPy chunks
CHUNK = 1 << 15


@dataclass
class RunLog:
    """The raw output of one replication: columns, engine seconds, codes."""

    tickets: dict[str, np.ndarray]
    segments: dict[str, np.ndarray]
    staffing: dict[str, tuple[np.ndarray, np.ndarray]]
    stopped_at: float
    outages: dict[str, np.ndarray] = field(default_factory=dict)
    unstable: str | None = None
    stats: dict[str, float] = field(default_factory=dict)
    #: per group with agent groups (by name), per ticket id the index of the skill it needs there
    needs: dict[str, np.ndarray] = field(default_factory=dict)


class Ledger:
    """Ticket state and the segment log of one replication.

    Parameters
    ----------
    contacts
        the replication's contacts (per ticket its key and ``abandon_at``, arrival + patience; the redials).
    desk
        party index of the desk (its first start of work is the ticket's ``answered``).
    teams
        log which agent group worked each visit.
    """

    def __init__(self, contacts: "Contacts", desk: int, teams: bool = False, callbacks: bool = False):
        key = contacts.key
        n = len(key)
        self.contacts = contacts
        self.fresh = contacts.fresh
        self.callbacks = callbacks  # the log gets a column of callback acceptance times
        self.key, self.abandon_at, self.desk = key, contacts.abandon_at, desk
        nan = math.nan
        self.answered = array("d", [nan]) * n
        self.abandoned_at = array("d", [nan]) * n
        self.resolved_at = array("d", [nan]) * n
        self.resolved_by = array("h", [-1]) * n
        #: work left on a ticket that was interrupted or came back from the customer
        self.remaining: dict[int, float] = {}
        self.active: dict[int, list] = {}
        self.arrived = 0  # fresh tickets that have arrived so far (they arrive in id order; redials follow them)
        self.blocked: list[int] = []  # calls that found every line busy
        self.callback_at: dict[int, float] = {}  # callers who accepted a callback, when
        self.seg_ticket: list[int] = []
        self.seg_party: list[int] = []
        self.seg_outcome: list[int] = []
        self.seg_enter: list[float] = []
        self.seg_start: list[float] = []
        self.seg_end: list[float] = []
        #: per segment column, its rows moved out of the lists so far (``_flush``)
        self._chunks: dict[str, list[np.ndarray]] = {name: [] for name in SEGMENT_COLUMNS}
        #: with agent groups: per ticket in work, the agent group working on it; per segment, its agent group
        self.team_of: dict[int, int] | None = {} if teams else None
        self.seg_team: list[int] = []

    # ------------------------------------------------------------ reports
    def arrive(self, tid: int, desk: int, now: float) -> None:
        """A ticket arrives (fresh tickets arrive in id order) and waits at the desk."""
        if tid < self.fresh:
            self.arrived = tid + 1
        self.active[tid] = [desk, now, math.nan]
        if len(self.seg_ticket) >= CHUNK:  # (here: once per ticket, not once per segment)
            self._flush()

    def block(self, tid: int, desk: int, now: float) -> None:
        """A call found every line busy (a busy signal): it never entered the desk."""
        if tid < self.fresh:
            self.arrived = tid + 1
        self.segment(tid, desk, now, math.nan, now, BLOCKED)
        self.blocked.append(tid)

    # ------------------------------------------------------------ callbacks
    def accept_callback(self, tid: int, now: float) -> None:
        """A waiting caller took a callback: their wait in the queue ends, the callback waits at the desk."""
        state = self.active[tid]
        self.segment(tid, state[0], state[1], math.nan, now, CALLBACK)
        state[1], state[2] = now, math.nan
        self.callback_at[tid] = now

    def no_answer(self, tid: int, now: float) -> None:
        """A callback attempt found nobody: the attempt is logged, the ticket waits for the next one."""
        state = self.active[tid]
        self.segment(tid, state[0], state[1], state[2], now, NO_ANSWER)
        state[1], state[2] = now, math.nan
        self.answered[tid] = math.nan  # the attempt's start was not an answer

    def unreached(self, tid: int, now: float) -> None:
        """The last callback attempt found nobody: the ticket ends unanswered (as abandoned)."""
        self.active.pop(tid)
        self.abandoned_at[tid] = now

    def grow(self, tid: int) -> None:
        """A new contact (a redial) gets its rows."""
        nan = math.nan
        self.answered.append(nan)
        self.abandoned_at.append(nan)
        self.resolved_at.append(nan)
        self.resolved_by.append(-1)

    def start(self, tid: int, t: float) -> None:
        """A party starts working on a ticket (the first time at the desk: answered)."""
        state = self.active[tid]
        if state[0] == self.desk and self.answered[tid] != self.answered[tid]:
            self.answered[tid] = t
        state[2] = t

    def start_by(self, tid: int, t: float, team: int) -> None:
        """``start``, by an agent of agent group ``team`` (a number over the scenario's agent groups)."""
        self.start(tid, t)
        self.team_of[tid] = team

    def segment(self, tid: int, party: int, enter: float, start: float, end: float, outcome: int) -> None:
        """Append one visit to the log."""
        self.seg_ticket.append(tid)
        self.seg_party.append(party)
        self.seg_enter.append(enter)
        self.seg_start.append(start)
        self.seg_end.append(end)
        self.seg_outcome.append(outcome)
        if self.team_of is not None:
            self.seg_team.append(self.team_of.pop(tid, -1))

    def interrupt(self, tid: int, party: int, outcome: int, now: float) -> None:
        """Work on a ticket stopped (preempted, shift end); it waits again at the same party."""
        state = self.active[tid]
        self.segment(tid, party, state[1], state[2], now, outcome)
        state[1], state[2] = now, math.nan

    def hung_up(self, tid: int, party: int) -> None:
        """A waiting caller hung up (at their ``abandon_at``)."""
        state = self.active.pop(tid)
        t = self.abandon_at[tid]
        self.segment(tid, party, state[1], math.nan, t, ABANDONED)
        self.abandoned_at[tid] = t

    def resolve(self, tid: int, party: int, now: float) -> None:
        """A party resolved the ticket: it leaves the system."""
        state = self.active.pop(tid)
        # the appends written out (not ``self.segment``): this runs once per ticket
        self.seg_ticket.append(tid)
        self.seg_party.append(party)
        self.seg_enter.append(state[1])
        self.seg_start.append(state[2])
        self.seg_end.append(now)
        self.seg_outcome.append(RESOLVED)
        if self.team_of is not None:
            self.seg_team.append(self.team_of.pop(tid, -1))
        self.resolved_at[tid] = now
        self.resolved_by[tid] = party

    def pass_on(self, tid: int, party: int, dest: int, now: float) -> None:
        """A party passed the ticket on to ``dest``, where it waits."""
        state = self.active[tid]
        self.segment(tid, party, state[1], state[2], now, ESCALATED)
        state[0], state[1], state[2] = dest, now, math.nan

    def pend(self, tid: int, party: int, now: float) -> None:
        """A party's work stopped half-way to wait on the customer (the customer wait logs its own visit)."""
        state = self.active[tid]
        self.segment(tid, party, state[1], state[2], now, PENDING)

    def hold(self, tid: int, customer: int, now: float) -> None:
        """The ticket now waits on the customer (party ``customer``), a wait that starts at once."""
        self.active[tid] = [customer, now, now]

    def reply(self, tid: int, customer: int, group: int, since: float, now: float, rest: float) -> None:
        """The customer answered: their visit is logged, the ticket waits at ``group`` with ``rest`` work left."""
        self.segment(tid, customer, since, since, now, ESCALATED)
        self.remaining[tid] = rest
        self.active[tid] = [group, now, math.nan]

    # ---------------------------------------------------------- the end
    def close(self, stop: float) -> None:
        """The run stopped: callers at the desk who would have hung up by now did; the rest is open."""
        for tid, (party, enter, start) in list(self.active.items()):
            if party == self.desk and self.abandon_at[tid] <= stop and self.answered[tid] != self.answered[tid]:
                self.hung_up(tid, party)
            else:
                self.segment(tid, party, enter, start, math.nan, OPEN)

    def _flush(self) -> None:
        """Move the segment rows in the lists into one NumPy chunk per column."""
        for name, dtype in SEGMENT_COLUMNS.items():
            rows = getattr(self, "seg_" + name)
            if rows:
                self._chunks[name].append(np.array(rows, dtype=dtype))
                rows.clear()

    def _column(self, name: str) -> np.ndarray:
        """One segment column, all rows in the order appended (its chunks joined into one)."""
        self._flush()
        chunks = self._chunks[name]
        if len(chunks) != 1:
            chunks[:] = [np.concatenate(chunks) if chunks else np.empty(0, dtype=SEGMENT_COLUMNS[name])]
        return chunks[0]

    def segment_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The (unsorted) party, enter and end columns of the segments."""
        return self._column("party"), self._column("enter"), self._column("end")

    def log(self, stop: float, unstable: str | None, staffing: dict[str, tuple[np.ndarray, np.ndarray]],
            outages: dict[str, np.ndarray]) -> RunLog:
        """The RunLog: tickets that arrived (with their attributes) and their segments, by ticket and entry."""
        n = self.arrived
        arrivals = self.contacts.columns(n)
        tickets = {name: col for name, col in arrivals.items() if name != "patience"}
        rows = self.contacts.renumber(n)
        redials = len(self.key) - self.fresh

        def per_ticket(values: array, dtype) -> np.ndarray:
            # views on the ledger's arrays (no copy: the replication is done with them), redials after the arrived
            col = np.frombuffer(values, dtype=dtype)
            return col[:n] if redials == 0 else np.concatenate([col[:n], col[self.fresh:]])

        tickets["answered"] = per_ticket(self.answered, np.float64)
        tickets["abandoned"] = per_ticket(self.abandoned_at, np.float64)
        tickets["resolved"] = per_ticket(self.resolved_at, np.float64)
        tickets["resolved_by"] = per_ticket(self.resolved_by, np.int16)
        total = len(tickets["answered"])
        outcome = np.full(total, 2, dtype=np.int8)
        outcome[~np.isnan(tickets["resolved"])] = 0
        outcome[~np.isnan(tickets["abandoned"])] = 1
        if self.blocked:
            outcome[rows(np.asarray(self.blocked, dtype=np.int64))] = 3
        tickets["outcome"] = outcome
        if self.callbacks:
            at = np.full(total, np.nan)
            if self.callback_at:
                ids = rows(np.fromiter(self.callback_at.keys(), dtype=np.int64))
                keep = ids < total  # (tickets that arrived)
                at[ids[keep]] = np.fromiter(self.callback_at.values(), dtype=np.float64)[keep]
            tickets["callback"] = at
        names = [name for name in SEGMENT_COLUMNS if name != "team" or self.team_of is not None]
        order = np.lexsort((self._column("enter"), self._column("ticket")))
        segments = {}
        for name in names:  # one column at a time: peak memory is one extra column
            segments[name] = self._column(name)[order]
            self._chunks[name] = []
        if redials:
            segments["ticket"] = rows(segments["ticket"])
        return RunLog(tickets, segments, staffing, stop, outages, unstable)
