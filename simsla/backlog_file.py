"""Backlog files: a CSV of open tickets read into a scenario's ``backlog`` when it is loaded.

One row per open ticket.  The columns (names as below, or mapped with the
entry's ``columns:``; other columns are ignored)::

    opened     when it was opened: 2026-01-02 14:30 (local time in the scenario's time zone),
               2026-01-02T14:30:00+01:00 (with an offset) or 2026-01-02 (midnight); or instead
    age        its age at the scenario's start: 3d4h, 90m, or a number of seconds
    party      the group or supplier that holds it now (required)
    priority   e.g. P3 — or impact and urgency (levels of the priority matrix)
    service, customer, type, channel     optional; an empty cell is drawn like fresh demand

``columns:`` maps a field to the file's column (``{opened: opened_at, party:
assignment_group}``); the names of ``simsla fit``'s ticket mapping are
understood too (``opened_at``, ``group``, ``contact_type``), with its
``time_format`` (a ``strptime`` format) and ``missing`` markers.  When the
file is a whole export, mapping ``resolved_at`` or ``closed_at`` (or
``state`` with ``open_states``) keeps only the rows that are still open.

Every problem is reported as ``file:line: column: message`` (a
``simsla.io.Problem``), so ``simsla run`` and ``validate`` exit 2 naming
the row to mend; names are checked against the scenario afterwards
(``simsla.model.backlog.backlog_problems``) and those problems, too, name the
file's line and column (``locate``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

from simsla.model.backlog import MAX_BACKLOG, TICKET_FIELDS
from simsla.model.units import DURATION_HINT, parse_duration

#: the largest backlog file read (a million open tickets is about 100 MB)
MAX_BYTES = 256 * 2**20
#: fit's ticket-mapping names -> backlog fields
FIT_NAMES = {"opened_at": "opened", "group": "party", "contact_type": "channel"}
#: mapping keys that filter rows or say how to read them, not fields of a ticket
OPTIONS = ("time_format", "missing", "resolved_at", "closed_at", "state", "open_states")
FIELDS = ("opened", "age", *TICKET_FIELDS)
OPENED_HINT = "a date-time such as 2026-01-02 14:30, 2026-01-02T14:30:00+01:00 or 2026-01-02"


class BacklogFileError(Exception):
    """A backlog file cannot be used; ``problems`` are ``(file, line, column, message)`` tuples."""

    def __init__(self, problems: list[tuple[str, int | None, str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{f}:{line}: {c}: {m}" if line else f"{f}: {c}: {m}" for f, line, c, m in problems))


def mapping_problems(columns: Any) -> list[tuple[str, str]]:
    """``(key, message)`` for every key of ``columns:`` that is neither a field nor an option."""
    if columns is None:
        return []
    if not isinstance(columns, dict):
        return [("", f"columns: a mapping of field: column name, found {type(columns).__name__}")]
    known = (*FIELDS, *FIT_NAMES, *OPTIONS)
    out = []
    for key, value in columns.items():
        if key not in known:
            out.append((str(key), f"unknown field {key!r}; the fields are {', '.join(known)}"))
        elif key in ("missing", "open_states"):
            if not isinstance(value, (list, str)):
                out.append((str(key), f"a list of labels, found {value!r}"))
        elif not isinstance(value, str) or not value:
            out.append((str(key), f"the file's column name (text), found {value!r}"))
    return out


def read_open_tickets(path: Path, shown: str, columns: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The open tickets of a backlog file, as ``BacklogTicket`` fields (with ``line``).

    Parameters
    ----------
    path
        the file.
    shown
        how the file is named in messages.
    columns
        the entry's ``columns:`` (field -> the file's column, and options).

    Raises
    ------
    BacklogFileError
        naming the file, line and column of each problem (at most 20 are listed).
    """
    columns = dict(columns or {})
    text = _text(path, shown)
    rows = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(rows)]
    except StopIteration:
        raise BacklogFileError([(shown, None, "", "the file is empty: give a header line (opened, party, priority, "
                                                  "...) and one row per open ticket")]) from None
    except csv.Error as exc:
        raise BacklogFileError([(shown, 1, "", f"not a readable CSV header ({exc})")]) from None
    col = {FIT_NAMES.get(k, k): v for k, v in columns.items() if k not in OPTIONS}
    col = {f: col.get(f, f) for f in FIELDS}
    where = {f: header.index(c) for f, c in col.items() if c in header}
    problems: list[tuple[str, int | None, str, str]] = []
    if "party" not in where:
        problems.append((shown, 1, col["party"], f"missing column {col['party']!r} (the group or supplier holding "
                                                 f"each ticket); the file has {', '.join(map(repr, header))}"))
    if "opened" not in where and "age" not in where:
        problems.append((shown, 1, col["opened"], f"missing column {col['opened']!r} (or {col['age']!r}): when each "
                                                  f"ticket was opened; the file has {', '.join(map(repr, header))}"))
    for option in ("resolved_at", "closed_at", "state"):
        if option in columns and columns[option] not in header:
            problems.append((shown, 1, columns[option], f"missing column {columns[option]!r} (mapped as {option})"))
    if problems:
        raise BacklogFileError(problems)
    missing = {""} | {str(m) for m in ([columns["missing"]] if isinstance(columns.get("missing"), str)
                                       else columns.get("missing", []))}
    closing = [header.index(columns[o]) for o in ("resolved_at", "closed_at") if o in columns]
    state = header.index(columns["state"]) if "state" in columns else None
    open_states = {s.strip().lower() for s in ([columns["open_states"]] if isinstance(columns.get("open_states"), str)
                                               else columns.get("open_states", []))}
    out: list[dict[str, Any]] = []
    try:
        for cells in rows:
            line = rows.line_num
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if len(cells) != len(header):
                problems.append((shown, line, "", f"{len(cells)} fields where the header has {len(header)}: "
                                                  "check the commas and quotes of this row"))
                continue
            value = {f: cells[i].strip() for f, i in where.items()}
            value = {f: (None if v in missing else v) for f, v in value.items()}
            if any(cells[i].strip() not in missing for i in closing):
                continue  # resolved or closed: not open work
            if state is not None and open_states and cells[state].strip().lower() not in open_states:
                continue
            row = _row(shown, line, value, col, columns.get("time_format"), problems)
            if row is not None:
                out.append(row)
            if len(problems) >= 20:
                break
            if len(out) > MAX_BACKLOG:
                problems.append((shown, line, "", f"more than {MAX_BACKLOG:,} open tickets: simsla holds at most "
                                                  "that many in a backlog"))
                break
    except csv.Error as exc:
        problems.append((shown, rows.line_num, "", f"not readable CSV ({exc}): check the quotes of this row"))
    if problems:
        raise BacklogFileError(problems)
    if not out:
        raise BacklogFileError([(shown, None, "", "holds no open tickets (only a header, or every row is resolved or "
                                                  "closed): give the tickets open at the scenario's start")])
    return out


def _text(path: Path, shown: str) -> str:
    """The file as text, or a problem naming why it cannot be read."""
    if not path.is_file():
        raise BacklogFileError([(shown, None, "", "no such file" if not path.exists() else "not a file")])
    if path.stat().st_size > MAX_BYTES:
        raise BacklogFileError([(shown, None, "", f"the file is {path.stat().st_size / 2**20:,.0f} MiB; a backlog "
                                                  f"file is at most {MAX_BYTES // 2**20} MiB")])
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise BacklogFileError([(shown, line, "", f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file "
                                                  "as UTF-8 (e.g. iconv -f latin1 -t UTF-8)")]) from None


def _row(shown: str, line: int, value: dict[str, str | None], col: dict[str, str], time_format: str | None,
         problems: list) -> dict[str, Any] | None:
    """One row's ticket fields, or None with its problems appended."""
    row: dict[str, Any] = {"line": line}
    ok = True
    if value.get("party") is None:
        problems.append((shown, line, col["party"], "empty: give the group or supplier that holds this ticket"))
        ok = False
    opened, age = value.get("opened"), value.get("age")
    if opened is not None:
        try:
            row["opened"] = (dt.datetime.strptime(opened, time_format) if time_format
                             else dt.datetime.fromisoformat(opened))
        except ValueError:
            expected = f"a time written {time_format!r} (time_format)" if time_format else OPENED_HINT
            problems.append((shown, line, col["opened"], f"{opened!r} is not a date-time: expected {expected}"))
            ok = False
    elif age is not None:
        try:
            row["age"] = parse_duration(age if not _is_number(age) else float(age))
        except ValueError as exc:
            problems.append((shown, line, col["age"], f"{age!r} is not an age ({exc}); expected {DURATION_HINT}"))
            ok = False
    else:
        problems.append((shown, line, col["opened" if "opened" in value else "age"],
                         "empty: give when this ticket was opened (or its age)"))
        ok = False
    if (value.get("impact") is None) != (value.get("urgency") is None):
        given = "impact" if value.get("impact") is not None else "urgency"
        problems.append((shown, line, col[given], "impact and urgency come together (or give only a priority)"))
        ok = False
    for f in TICKET_FIELDS:
        if value.get(f) is not None:
            row[f] = value[f]
    return row if ok else None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def locate(loc: tuple, entries: Any, sources: dict[int, tuple[str, dict[str, str]]]) -> tuple[str, int | None, str] | None:
    """``(file, line, column)`` of a problem about a ticket read from a backlog file, else None.

    ``loc`` is a field path ``("backlog", i, "tickets", j, field)``;
    ``sources`` maps entry ``i`` to (the file as shown, field -> column).
    """
    if len(loc) < 4 or loc[0] != "backlog" or loc[2] != "tickets" or loc[1] not in sources:
        return None
    shown, col = sources[loc[1]]
    try:
        line = entries[loc[1]]["tickets"][loc[3]].get("line")
    except (IndexError, KeyError, TypeError, AttributeError):
        return None
    field = str(loc[4]) if len(loc) > 4 else ""
    return shown, line, col.get(field, field)


def attach(data: dict, base: Path, extra: Path | None = None) -> tuple[dict[int, tuple[str, dict[str, str]]], list]:
    """Read the files of ``data["backlog"]`` into their entries' ``tickets``.

    ``extra`` (``simsla run --backlog FILE``) replaces the scenario's own
    backlog entries: it is the open work the run starts from.

    Returns the sources (for ``locate``) and the problems found, as
    ``(file, line, column, message)`` tuples, or ``(None, None, field path,
    message)`` for a problem of the scenario file itself.
    """
    entries = data.get("backlog")
    if extra is not None:
        entries = data["backlog"] = [{"file": str(extra)}]
    sources: dict[int, tuple[str, dict[str, str]]] = {}
    problems: list = []
    if not isinstance(entries, list):
        return sources, problems
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or entry.get("tickets"):
            continue
        columns = entry.get("columns")
        bad = mapping_problems(columns)
        if bad:
            problems += [(None, None, ("backlog", i, "columns", *((k,) if k else ())), m) for k, m in bad]
            continue
        written = Path(entry["file"])
        path = written if written.is_absolute() or extra is not None else base / written
        shown = str(path)
        try:
            entry["tickets"] = read_open_tickets(path, shown, columns)
        except BacklogFileError as exc:
            problems += exc.problems
            continue
        col = {FIT_NAMES.get(k, k): v for k, v in (columns or {}).items() if k not in OPTIONS}
        sources[i] = (shown, {f: col.get(f, f) for f in FIELDS})
    return sources, problems
