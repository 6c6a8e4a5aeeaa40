"""Status classes of a ticket log: which statuses mean resolved, closed, waiting on the customer or a supplier.

A log of status changes (one row per change: ticket, time, status, maybe a
sub-status) has no resolution-time column; the resolution is read from the
statuses instead.  Each row's status is put in one class:

``resolved``
    the ticket is resolved (the SLA clock stops).  **The resolution is the
    first entry into this class**, not the last event of the ticket (which is
    usually the closure, days later).  Work after it (a status outside
    ``resolved``/``closed``) is a *reopening*: counted per ticket, and left
    out of the times (the fitted scenario models the first resolution, as the
    SLA does).
``closed``
    the ticket is closed (or cancelled); a ticket closed without ever being
    resolved is taken as resolved at its closure (counted).
``customer``
    waiting for the user/customer: a pause of the SLA clock, fitted as the
    group's ``customer_wait``, not as work.
``supplier``
    waiting for a vendor or another supplier: a visit to a supplier.
``queue``
    queued, not yet taken up (kept in the group's time: the fitted groups
    have ample staff, so the log's queueing must stay in the time at a group).
``work``
    anything else.

A status matches a listed name if the name equals the status, the sub-status,
or ``status/sub-status`` (case, spaces and dashes ignored: "Wait – User" is
"wait - user").  The lists are mapping options (``resolved_states``,
``closed_states``, ``customer_wait_states``, ``supplier_wait_states``,
``queue_states``); the defaults below cover ServiceNow and Jira Service
Management exports and the Volvo IT (BPI challenge 2013) incident log.
"""

from __future__ import annotations

import re

import pandas as pd

CLASSES = ("resolved", "closed", "customer", "supplier", "queue", "work")

#: mapping option -> class, with its default list of statuses
DEFAULTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "resolved_states": ("resolved", ("Resolved", "Completed/Resolved", "Done", "Resolution provided")),
    "closed_states": ("closed", ("Closed", "Completed/Closed", "Cancelled", "Canceled", "Completed/Cancelled",
                                 "Completed/In Call", "Declined")),
    "customer_wait_states": ("customer", ("Awaiting User Info", "Awaiting Caller", "Awaiting Customer", "Wait - User",
                                          "Wait - Customer", "Waiting for customer", "Pending customer", "On Hold",
                                          "Pending")),
    "supplier_wait_states": ("supplier", ("Awaiting Vendor", "Wait - Vendor", "Wait - Implementation",
                                          "Waiting for support", "Waiting for vendor", "Pending vendor")),
    "queue_states": ("queue", ("New", "Queued", "Awaiting Assignment", "Queued/Awaiting Assignment", "Open",
                               "Waiting for support (queue)")),
}
OPTIONS = tuple(DEFAULTS)

_DASH = re.compile(r"\s*[-\u2010-\u2015\u2212]\s*")
_SPACE = re.compile(r"\s+")


def normal(label: object) -> str:
    """A status as compared: lower case, one space, every dash a plain ``-`` without spaces around it."""
    s = _SPACE.sub(" ", str(label).strip().lower())
    s = _DASH.sub("-", s)
    return re.sub(r"\s*/\s*", "/", s)


def state_lists(mapping: dict) -> dict[str, set[str]]:
    """Class -> the normalised statuses in it (the mapping's lists, else the defaults).

    ``vendor_state`` (the older single option) is added to the supplier waits.
    """
    out = {}
    for option, (cls, default) in DEFAULTS.items():
        out[cls] = {normal(s) for s in mapping.get(option, default)}
    if mapping.get("vendor_state"):
        out["supplier"].add(normal(mapping["vendor_state"]))
    return out


def classify(state: pd.Series, sub_state: pd.Series | None, mapping: dict) -> pd.Series:
    """The class of each row (``CLASSES``); rows without a status are ``work``.

    The most specific match wins: ``status/sub-status``, then the sub-status, then the status; among the
    classes, resolved and closed come before waits, waits before queue.
    """
    lists = state_lists(mapping)
    st = state.map(normal, na_action="ignore")
    sub = sub_state.map(normal, na_action="ignore") if sub_state is not None else pd.Series(pd.NA, index=state.index)
    both = (st.fillna("") + "/" + sub.fillna("")).where(sub.notna(), pd.NA)
    out = pd.Series("work", index=state.index, dtype=object)
    found = pd.Series(False, index=state.index)
    for labels in (both, sub, st):
        for cls in ("resolved", "closed", "customer", "supplier", "queue"):
            hit = ~found & labels.isin(lists[cls]).fillna(False).to_numpy(bool)
            out[hit] = cls
            found |= hit
    return out


def label(state: pd.Series, sub_state: pd.Series | None) -> pd.Series:
    """``status/sub-status`` (or the status) as written, for naming supplier waits."""
    st = state.astype("string").fillna("")
    if sub_state is None:
        return st
    sub = sub_state.astype("string")
    return (st + "/" + sub.fillna("")).where(sub.notna(), st)
