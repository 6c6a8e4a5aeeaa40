"""The simulation engine: SimPy's event queue over integer tickets, a columnar log.

``simsla.engine.replication.run(scenario, seed, replication) -> RunLog`` is
the entry point; the engine knows no files, plots or CLI, and imports only
the model, ``timebase`` and ``clock`` (nothing above it).

The parts
=========

``arrivals`` (with ``daily``, ``seasons``)
    Every arrival of a replication, drawn up front and vectorised
    (non-homogeneous Poisson by time rescaling; busy days, months, trend;
    outages with their surges and major incidents).  A ticket is its index
    in these columns.
``backlog`` — a backlog start
    The open tickets of ``scenario.backlog`` as extra arrival rows, first
    in ticket order, at ``time`` = minus their age (their SLA clocks ran
    before the run), drawn from their own stream; ``Replication._arrivals``
    enters each at its party at time 0 before the fresh arrivals.
``ledger.Ledger`` — the ticket ledger
    Ticket state (where each ticket is, since when, work left; answered,
    abandoned, resolved) in typed arrays, and the log: one segment per visit
    of a ticket to a party, appended to typed columns that become
    ``RunLog.tickets`` and ``RunLog.segments`` without a copy.  Parties
    *report* to it (``start``, ``interrupt``, ``hung_up``, ``pend``,
    ``resolve``, ``pass_on``); nothing else writes the columns.
``router.Router`` — where a ticket goes next
    From the scenario's rules only: the desk's first-contact resolution on a
    ticket's first visit, then the party's routing rules (first match,
    destinations by share, no rule: resolved), ``plan`` for handling times
    that depend on whether a visit resolves, and the hop limit.
``handling``
    The work time of a fresh visit per group (the desk's drawn per ticket up
    front, for common random numbers).
Parties: ``pool.AgentGroup``, ``parties.Supplier``, ``parties.CustomerWait``
    One narrow interface: ``offer(ticket)`` (the ticket is entered in the
    ledger at that party) and, when the party's work is complete, the
    ``done(ticket, party)`` it was given.  ``done`` is the replication's
    dispatcher: it asks the router, then resolves the ticket in the ledger
    or passes it on and offers it to the next party.  No party knows
    another's internals; an agent group hands a ticket that stops for the
    customer to its ``CustomerWait``, which offers it back to the group.
``selection`` — the selection seam
    Every "which agent takes which item" decision of an agent group goes
    through its ``Selection``:

    * ``on_arrival(item) -> seat``: a free seat to hand the item to, a busy
      seat to preempt, or -1 (the item waits);
    * ``on_free(seat) -> item``: the waiting item a freed agent takes, or
      -1 (the seat is remembered as free);
    * ``on_return(item) -> seat``: an interrupted item (preempted, handed
      over at a shift's end) comes back with its remaining work;
    * ``on_shift(level) -> seats``: the headcount changed, the free seats to
      wake (each asks ``on_free`` again or goes off duty);
    * ``waiting``: items waiting (the bound that stops an unstable run).

    The group carries the decisions out (SimPy events, interrupts) and
    shares only its ``Seats`` (headcount, item in hand per seat) read-only.
    ``PriorityQueues`` is today's behaviour: FIFO per rank (priority under
    ``discipline: priority``, phone first under ``phone_first``), the most
    recently freed agent first, preemption of the lowest-ranked work in
    hand, interrupted work first in its queue, and lazy abandonment
    (``Patience``: a caller who hung up is logged and skipped when they
    would be taken — exact for a queue served in order).  Shift changes
    (``at_shift_end: finish|handover``), outages and surges (arrivals with
    their priorities) all reach the group through these calls, so skills,
    blending and callbacks are further ``Selection`` policies.
``teams``, ``skills`` — groups with agent groups
    ``teams`` lays out the seats of each agent group (sessions of a chat
    agent are extra seats of one agent), draws the skill each ticket needs at
    the group and builds per-seat work times (handling factor, stretch);
    ``skills.SkillQueues`` is their selection: queues per skill and rank,
    longest-idle or best-level agent, longest-waiting, priority or
    best-level item, overflow to secondary agents after a delay
    (``on_overflow``, one timer per waiting item), and a phone reserve.
``contacts``, ``callers``, ``callbacks`` — who comes in, and again
    ``contacts.Contacts`` owns the growable per-ticket lookups; a redial is
    a new contact appended when it arrives (each part grows its row through
    a registered grower, drawing from the ``REDIALS`` streams).
    ``callers.Callers`` admits contacts through the desk's lines and
    schedules redials (watching hang-ups eagerly when it must know when).
    ``callbacks.Callbacks`` offers virtual hold and makes the callbacks,
    through the selection's ``withdraw``/``ahead``/``last``/``promote``.
``fastpath`` — plain first-come-first-served desks without events
    ``replication.run`` hands a scenario that is one desk, FCR 1, constant
    staff, one queue rank and none of the features above to an
    earliest-free-agent recursion that produces the identical ``RunLog``
    (same draws, SimPy's float sums; ``fastpath.applies`` says why not
    otherwise; ``run(fast=False)`` or ``SIMSLA_FAST_PATH=0`` switch it off).
``replication.Replication``
    The wiring on one ``simpy.Environment``: builds the parts (in the order
    that fixes SimPy's start-up events: agents, shifts, arrivals), runs to
    the horizon or a queue overflow, closes the ledger and checks backlog
    trends (``trend``).
``streams``, ``sampling``, ``tables``, ``shifts``
    Seeded streams per ``(replication, purpose, party)``, buffered samplers,
    attribute keys and rule lookups as arrays, headcount step functions.

Randomness is drawn from the same streams in the same order as before the
parts were separated, so a scenario and seed give identical tables
(``tests/test_engine_identity.py``).
"""
