"""Is there enough data behind a number?  One rule, used wherever a target's number is printed.

Two things limit what a simulated target can say:

* **Periods.**  A breach probability is a share of replication-periods.  With
  ``n`` periods and none breached, the 95 % Wilson interval still reaches
  ``z² / (n + z²)`` — about 16 % for 20 periods, 5 % only from about 73.  Below
  ``MIN_PERIODS`` complete periods a breach probability is reported but called
  *few periods*: it cannot tell a safe target from one breached every few months.
* **Tickets per period.**  A period with ``m`` counted tickets and an agreed
  fraction ``f`` is breached by a single late ticket when ``1/m > 1 - f``, i.e.
  when ``m < 1 / (1 - f)``.  Then the target measures luck, not staffing: no
  number of agents removes the chance of one slow ticket.  Such a target is
  called *few tickets* (for ``f = 1`` every period is at the mercy of one ticket).

The rule is deliberately simple and printed with its reason, so a reader can
check it by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: complete replication-periods below which a breach probability is flagged
MIN_PERIODS = 20


@dataclass(frozen=True)
class SampleNote:
    """What limits a target's numbers (``kind`` is ``"few periods"`` or ``"few tickets"``)."""

    kind: str
    reason: str
    short: str = ""

    def __str__(self) -> str:
        return self.short or self.kind


#: the two rules in one sentence each, for a footnote under a table of short notes
RULES = {
    "few periods": f"fewer than {MIN_PERIODS} complete periods: even with no breach, the 95 % interval of the breach "
                   "probability stays wide (16 % at 20 periods, 5 % only from 73)",
    "few tickets": "fewer tickets per period than 1 / (1 - fraction): a single late ticket breaches the period, "
                   "whatever the staffing",
}


def one_ticket_breaches(tickets_per_period: float, fraction: float) -> bool:
    """True when a single late ticket breaches a period with this many counted tickets."""
    if fraction >= 1.0:
        return True
    return tickets_per_period * (1.0 - fraction) < 1.0 - 1e-9  # the product, so 5 tickets at 80 % is not rounding noise


def sample_notes(periods: int, tickets_per_period: float | None, fraction: float | None) -> list[SampleNote]:
    """The reasons a target's attainment or breach probability rests on too little data.

    Parameters
    ----------
    periods : int
        Complete replication-periods the breach probability is taken over.
    tickets_per_period : float or None
        Mean counted tickets (or calls) per period; None for targets without
        items (availability).
    fraction : float or None
        The agreed fraction of the target.

    Returns
    -------
    list of SampleNote
        Empty when the numbers rest on enough data.
    """
    notes = []
    if periods < MIN_PERIODS:
        z2 = 1.959964**2
        notes.append(SampleNote("few periods", f"{periods} complete periods (fewer than {MIN_PERIODS}); even with no "
                                               f"breach the 95 % interval reaches {z2 / (periods + z2):.0%}"
                                if periods > 0 else "no complete period was simulated",
                                f"few periods ({periods})" if periods > 0 else "no complete period"))
    if tickets_per_period is not None and fraction is not None and not math.isnan(tickets_per_period):
        if one_ticket_breaches(tickets_per_period, fraction):
            if fraction >= 1.0:
                reason = "a 100 % target: one late ticket breaches a period"
            else:
                reason = (f"{tickets_per_period:.1f} tickets per period on average, fewer than "
                          f"{1.0 / (1.0 - fraction):.0f} for a {fraction:.0%} target: one late ticket breaches a period")
            notes.append(SampleNote("few tickets", reason, f"few tickets ({tickets_per_period:.1f}/period)"))
    return notes
