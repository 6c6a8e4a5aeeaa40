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
    vendor_state: Awaiting Vendor   # a state meaning "with a supplier"

Only ``ticket`` and ``opened_at`` are required; whatever else is mapped is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

FIELDS = ("ticket", "opened_at", "resolved_at", "closed_at", "updated_at", "state", "priority", "impact", "urgency",
          "contact_type", "group", "vendor", "reopen_count", "made_sla", "service")
OPTIONS = ("time_format", "missing", "vendor_state")
REQUIRED = ("ticket", "opened_at")


def load_mapping(mapping: Any) -> dict[str, Any]:
    """A mapping from a dict, a YAML text or a YAML file path; checked."""
    if mapping is None:
        raise ValueError("a csv ticket log needs a column mapping (at least ticket and opened_at)")
    if isinstance(mapping, (str, Path)) and Path(str(mapping)).is_file():
        mapping = yaml.safe_load(Path(mapping).read_text(encoding="utf-8"))
    elif isinstance(mapping, str):
        mapping = yaml.safe_load(mapping)
    if not isinstance(mapping, dict):
        raise ValueError(f"a column mapping is a mapping of field: column, got {type(mapping).__name__}")
    unknown = [k for k in mapping if k not in FIELDS + OPTIONS]
    if unknown:
        raise ValueError(f"unknown mapping field(s) {unknown}; known: {list(FIELDS + OPTIONS)}")
    missing = [k for k in REQUIRED if k not in mapping]
    if missing:
        raise ValueError(f"the mapping needs {missing}")
    return dict(mapping)


def read_mapped(path: str | Path | pd.DataFrame, mapping: dict[str, Any], quality=None) -> pd.DataFrame:
    """The export's rows with canonical column names (text; missing markers kept for the cleaner).

    Rows identical in every column of the file are duplicates: dropped and counted.
    """
    raw = path if isinstance(path, pd.DataFrame) else pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.columns = [str(c).strip() for c in raw.columns]
    dup = raw.duplicated()
    if quality is not None:
        quality.add("duplicate rows", int(dup.sum()), "dropped (kept the first)")
    raw = raw[~dup]
    absent = [f"{k} -> {v!r}" for k, v in mapping.items() if k in FIELDS and v not in raw.columns]
    if absent:
        raise ValueError(f"mapped column(s) not in the file: {absent}; the file has {list(raw.columns)}")
    out = pd.DataFrame({k: raw[v] for k, v in mapping.items() if k in FIELDS})
    out["_row"] = range(len(out))
    return out
