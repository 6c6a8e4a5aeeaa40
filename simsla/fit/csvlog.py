"""Ticket exports as CSV: a column mapping onto simsla's canonical ticket-log fields.

A mapping is a dict (or a small YAML file) from a canonical field to the
export's column name, plus options::

    ticket: number            # required: the ticket id (one row per update, or one row per ticket)
    opened_at: opened_at      # required
    resolved_at: resolved_at
    closed_at: closed_at
    updated_at: sys_updated_at   # the time of the update (event logs); without it, file order
    state: incident_state
    priority: priority
    impact: impact
    urgency: urgency
    contact_type: contact_type
    group: assignment_group
    vendor: vendor
    reopen_count: reopen_count
    made_sla: made_sla
    service: category
    time_format: "%d/%m/%Y %H:%M"   # strptime format; default: guessed
    missing: ["?", ""]              # markers of a missing value
    vendor_state: Awaiting Vendor   # a state meaning "with a supplier" (added to supplier_wait_states)
    sub_state: sub_status           # a log of status changes: the sub-status column
    level: support_level            # the support level (kept as a ticket attribute)
    resolved_states: [Completed/Resolved]          # status classes (``simsla.fit.statuses``; defaults cover
    closed_states: [Completed/Closed, Cancelled]   # ServiceNow, Jira Service Management and Volvo IT logs);
    customer_wait_states: [Wait - User, Wait - Customer]    # "status/sub-status", the sub-status or the status
    supplier_wait_states: [Wait - Vendor, Wait - Implementation]
    queue_states: [Queued/Awaiting Assignment]
    priority_order: [Major, High, Medium, Low]     # most urgent first (default: the log's P1..P5 or impact words)
    default_channel: portal         # the channel of tickets whose log has none (warned in the data quality)
    customer_waits: pause           # time in a customer-wait status: pause (a customer wait; default) or work
    business_hours: no              # auto: each group's hours inferred from its activity; a group that does not
                                    # work round the clock is fitted in business time and staffed in its hours;
                                    # yes: the same, thin groups on working_hours (simsla.fit.workhours)
    working_hours: mon-fri 08:00-18:00     # or {Group 20: 24/7, ...}: hours given, not inferred
    sla_hours: mon-fri 08:00-18:00  # when SLA clocks run (default: the hours most groups work)
    sla_targets: {P1: 4h, P3: 3d}   # resolution thresholds: the fit writes one SLA in sla_hours
    sla_fraction: 0.9
    first_visits: pooled            # separate: a group's later visits to a ticket are the party `<group> again`

Only ``ticket`` and ``opened_at`` are required (``opened_at`` not when ``updated_at`` and ``state`` are
mapped: a log of status changes opens a ticket at its first update, and resolves it at the first
resolved status when there is no ``resolved_at``); whatever else is mapped is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from simsla.fit.reading import read_table, require_columns, require_rows

FIELDS = ("ticket", "opened_at", "resolved_at", "closed_at", "updated_at", "state", "sub_state", "priority", "impact",
          "urgency", "contact_type", "group", "vendor", "reopen_count", "made_sla", "service", "level")
LIST_OPTIONS = ("missing", "resolved_states", "closed_states", "customer_wait_states", "supplier_wait_states",
                "queue_states", "priority_order")
HOURS_OPTIONS = ("working_hours", "sla_hours", "sla_targets", "sla_fraction")    # simsla.fit.workhours
OPTIONS = ("time_format", "vendor_state", "default_channel", "customer_waits", "business_hours", "first_visits") \
    + HOURS_OPTIONS \
    + LIST_OPTIONS
REQUIRED = ("ticket", "opened_at")
#: what a csv ticket export is, and what to do when its columns are not those of the mapping
EXPECTS = "the ticket export the column mapping describes (--format csv --mapping MAP.yaml)"
HINT = "The mapping names, for each field, the file's column that holds it: correct the column names in MAP.yaml."


def load_mapping(mapping: Any) -> dict[str, Any]:
    """A mapping from a dict, a YAML text or a YAML file path; checked (``ValueError`` says what is wrong)."""
    if mapping is None:
        raise ValueError("--format csv needs a column mapping (--mapping MAP.yaml, at least ticket and opened_at)")
    try:
        if isinstance(mapping, (str, Path)) and Path(str(mapping)).is_file():
            mapping = yaml.safe_load(Path(mapping).read_text(encoding="utf-8"))
        elif isinstance(mapping, str):
            mapping = yaml.safe_load(mapping)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValueError(f"the column mapping is not readable YAML ({exc})") from None
    if not isinstance(mapping, dict):
        raise ValueError(f"a column mapping is a mapping of field: column, got {type(mapping).__name__}")
    unknown = [k for k in mapping if k not in FIELDS + OPTIONS]
    if unknown:
        raise ValueError(f"unknown mapping field(s) {unknown}; known: {list(FIELDS + OPTIONS)}")
    missing = [k for k in REQUIRED if k not in mapping
               and not (k == "opened_at" and "updated_at" in mapping and "state" in mapping)]
    if missing:
        raise ValueError(f"the mapping needs {missing}")
    from simsla.fit.workhours import check_options

    out = dict(mapping)
    out.update(check_options(mapping))
    for key, value in mapping.items():
        if key in HOURS_OPTIONS:
            continue
        if key in LIST_OPTIONS:
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, (list, tuple)) or not all(isinstance(v, (str, int, float)) for v in values):
                what = "the markers of a missing value (such as ['?', ''])" if key == "missing" else "statuses or labels"
                raise ValueError(f"{key}: a list of {what}, got {value!r}")
            out[key] = [str(v) for v in values]
        elif key == "business_hours" and value not in ("yes", "no", "auto", True, False):
            raise ValueError(f"business_hours: yes, no or auto, got {value!r}")
        elif key == "business_hours":
            out[key] = {True: "yes", False: "no"}.get(value, value)
        elif key == "first_visits" and value not in ("pooled", "separate"):
            raise ValueError(f"first_visits: pooled (one party per group; default) or separate (a group's later "
                             f"visits to a ticket are the party `<group> again`), got {value!r}")
        elif key == "customer_waits" and value not in ("pause", "work"):
            raise ValueError(f"customer_waits: pause (a customer wait, not work) or work (time at the group), got {value!r}")
        elif key == "default_channel" and value not in ("phone", "email", "portal"):
            raise ValueError(f"default_channel: one of phone, email, portal, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
            # a column name (or a time format, or a state) is one piece of text; YAML turns yes/no into booleans
            raise ValueError(f"{key}: give {'a column name' if key in FIELDS else 'a text'}, got {value!r}"
                             + (" (quote it: YAML reads yes/no/on/off as booleans)" if isinstance(value, bool) else ""))
        else:
            out[key] = str(value)
    return out


def read_mapped(path: str | Path | pd.DataFrame, mapping: dict[str, Any], quality=None, *, expects: str = EXPECTS,
                hint: str = HINT) -> pd.DataFrame:
    """The export's rows with canonical column names (text; missing markers kept for the cleaner).

    Rows identical in every column of the file are duplicates: dropped and counted.  A file that
    cannot be read, lacks a mapped column or has no data rows raises ``LogError`` (``expects`` and
    ``hint`` say what the chosen format reads and what to do instead).
    """
    raw = read_table(path, quality)
    require_columns(raw, path, {k: v for k, v in mapping.items() if k in FIELDS}, expects, hint)
    require_rows(raw, path)
    dup = raw.duplicated()
    if quality is not None:
        quality.add("duplicate rows", int(dup.sum()), "dropped (kept the first)")
    raw = raw[~dup]
    out = pd.DataFrame({k: raw[v] for k, v in mapping.items() if k in FIELDS})
    out["_row"] = range(len(out))
    out.attrs["rows_read"] = len(dup)   # before duplicates were dropped: what the file holds
    return out
