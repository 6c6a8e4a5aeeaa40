"""Reading a log file: every way a file can be unreadable is refused with the file and the problem named.

``read_table`` is the one door through which call logs and ticket exports
come in.  It refuses, as a ``LogError(file, problem)`` (which ``simsla fit``
and ``simsla backtest`` turn into exit 2 and one line), a path that does not
exist or is a folder, a file named ``.gz`` that is not gzip data, a
compressed file (gzip, bzip2, xz, decided by content; a zip archive of one
file) that is truncated or damaged, a zip of several files, an empty file, binary data,
UTF-16 or other non-UTF-8 text, text that is not CSV, and a file that would
decompress to more than ``MAX_BYTES``.  Control characters inside the text
(an ESC in a group name) are kept visible as escapes (``\\x1b``) and counted
as a data-quality problem, so they can neither reach a terminal nor a
scenario file.

``require_columns`` and ``require_rows`` check the table against what the
chosen ``--format`` (or ``--mapping``) expects; ``require_enough`` says
"too little data" when what survives the cleaning is too small to fit.
"""

from __future__ import annotations

import bz2
import contextlib
import csv
import gzip
import io
import lzma
import re
import zipfile
import zlib
from pathlib import Path
from typing import Iterator, Mapping

import pandas as pd

from simsla.fit.quality import Quality
from simsla.safe_text import visible

#: fewer calls or tickets than these make a fit or a back-test meaningless: too little data
MIN_CALLS = 10
MIN_TICKETS = 20
#: the most a log may hold once decompressed (the full ServiceNow log is 39 MB): fitting takes several times
#: as much memory, and a decompression bomb is stopped here
MAX_BYTES = 1024 ** 3
#: control characters that have no place in a CSV (tab, LF and CR are its own), plus the bidi overrides
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: how the compressed formats pandas would have guessed from the name start, and how to open them
_COMPRESSED = {
    "gzip": (b"\x1f\x8b", (".gz", ".gzip"), gzip.open),
    "bzip2": (b"BZh", (".bz2",), bz2.open),
    "xz": (b"\xfd7zXZ\x00", (".xz",), lzma.open),
}
_BOMS = {b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32", b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16"}


class LogError(ValueError):
    """A log that cannot be used, with the file and the problem (``str``: ``file: problem``).

    ``file`` may be None where the problem is found below the reader (no
    usable rows after cleaning); ``in_file`` fills it in on the way up.
    """

    def __init__(self, file: str | Path | None, problem: str):
        self.file = None if file is None else str(file)
        self.problem = problem
        super().__init__(f"{visible(self.file, one_line=True)}: {problem}" if self.file else problem)


@contextlib.contextmanager
def in_file(file: str | Path | pd.DataFrame) -> Iterator[None]:
    """Name ``file`` in every ``LogError`` raised inside that does not name a file yet."""
    try:
        yield
    except LogError as exc:
        if exc.file is None and not isinstance(file, pd.DataFrame):
            raise LogError(file, exc.problem) from None
        raise


def check_file(path: str | Path) -> Path:
    """``path`` as a Path if it is a readable regular file, else ``LogError`` saying what it is instead."""
    p = Path(path)
    if not p.exists():
        raise LogError(p, "no such file")
    if p.is_dir():
        raise LogError(p, "is a folder, not a log file: give the CSV file inside it")
    if not p.is_file():
        raise LogError(p, "is not a regular file (a device, socket or pipe): give a CSV file")
    return p


def _kind_by_content(head: bytes) -> str | None:
    return next((kind for kind, (magic, _, _) in _COMPRESSED.items() if head.startswith(magic)), None)


def _kind_by_name(p: Path) -> str | None:
    name = p.name.lower()
    return next((kind for kind, (_, suffixes, _) in _COMPRESSED.items() if name.endswith(suffixes)), None)


def _read_bytes(p: Path) -> bytes:
    """The file's bytes, decompressed when its content (not its name) is gzip, bzip2 or xz data."""
    try:
        with open(p, "rb") as f:
            head = f.read(8)
        kind = _kind_by_content(head)
        named = _kind_by_name(p)
        if named and kind != named and head:   # an empty file is reported as empty below
            text = not _looks_binary(head)
            raise LogError(p, f"is named like a {named} file but is not {named}-compressed (it is "
                              + (f"plain text): rename it without the {p.suffix} ending" if text else "other data): check the file"))
        if head.startswith(b"PK\x03\x04"):
            return _read_zip(p)
        opener = _COMPRESSED[kind][2] if kind else open
        with opener(p, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except LogError:
        raise
    except EOFError:
        raise LogError(p, f"is a truncated {kind} file: the compressed data ends early (was the download or copy "
                          "cut off?); fetch the file again") from None
    except (OSError, zlib.error, lzma.LZMAError) as exc:
        if kind and not isinstance(exc, PermissionError):
            raise LogError(p, f"is a damaged {kind} file ({exc}); fetch the file again") from None
        raise LogError(p, f"cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    if len(data) > MAX_BYTES:
        raise LogError(p, f"holds more than {MAX_BYTES / 1024 ** 2:,.0f} MiB of text: too much to fit at once; "
                          "fit a shorter period")
    return data


def _read_zip(p: Path) -> bytes:
    """The one file inside a zip archive (as pandas read them before); an archive of several is refused."""
    try:
        with zipfile.ZipFile(p) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise LogError(p, f"is a zip archive of {len(members)} files: unzip it and give the CSV file")
            with archive.open(members[0]) as f:
                data = f.read(MAX_BYTES + 1)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise LogError(p, f"is a damaged or truncated zip archive ({exc}); fetch the file again") from None
    if len(data) > MAX_BYTES:
        raise LogError(p, f"holds more than {MAX_BYTES / 1024 ** 2:,.0f} MiB of text: too much to fit at once; "
                          "fit a shorter period")
    return data


def _looks_binary(data: bytes) -> bool:
    """NUL bytes, or more than 5 % control bytes other than tab, LF, CR: not text (checked on the start)."""
    head = data[:65536]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls > 0.05 * max(len(head), 1)


def _decode(p: Path, data: bytes) -> str:
    bom = next((name for mark, name in _BOMS.items() if data.startswith(mark)), None)
    if bom:
        raise LogError(p, f"is {bom} text; save it as UTF-8 (e.g. iconv -f {bom} -t UTF-8)")
    if _looks_binary(data):
        raise LogError(p, "is binary data, not a CSV text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise LogError(p, f"is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} cannot be decoded; "
                          "save the file as UTF-8 (e.g. iconv -f latin1 -t UTF-8)") from None


def _visible_controls(p: Path, text: str, quality: Quality | None) -> str:
    """Control characters shown as escapes (``\\x1b``), the lines that held them counted."""
    if not _CONTROL.search(text):
        return text
    lines = [line for line in text.splitlines() if _CONTROL.search(line)]
    if quality is not None:
        quality.add("lines with control characters (such as ESC)", len(lines),
                    "kept, each control character written as its escape (\\x1b)", visible(lines[0], one_line=True))
    return _CONTROL.sub(lambda m: visible(m.group(), one_line=True), text)


def read_table(path: str | Path | pd.DataFrame, quality: Quality | None = None) -> pd.DataFrame:
    """The rows of a CSV log (optionally gzip, bzip2 or xz compressed, or the one file of a zip) as text columns,
    names stripped.

    Parameters
    ----------
    path
        The file; a DataFrame is taken as already read (returned with its column names stripped).
    quality
        Where control characters found in the text are counted.

    Returns
    -------
    pandas.DataFrame
        Every column as text (``dtype=str``), no value turned into NaN: the cleaners decide what is missing.

    Raises
    ------
    LogError
        For every way the file cannot be read, naming the file and the problem (see the module docstring).
    """
    if isinstance(path, pd.DataFrame):
        table = path
    else:
        p = check_file(path)
        text = _visible_controls(p, _decode(p, _read_bytes(p)), quality)
        if not text.strip():
            raise LogError(p, "is empty" + ("" if not text else " (only blank lines)") + ": there is nothing to fit")
        try:
            table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError:
            raise LogError(p, "is empty: there is nothing to fit") from None
        except (pd.errors.ParserError, csv.Error, ValueError) as exc:
            raise LogError(p, f"is not a readable CSV file ({str(exc).strip()})") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table


def _quoted(name: object) -> str:
    """A column name in quotes, control characters as escapes (not ``repr``: that would double the backslashes)."""
    return f"'{visible(name, one_line=True)}'"


def _columns_text(table: pd.DataFrame, limit: int = 12) -> str:
    names = [_quoted(c) for c in table.columns]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def require_columns(table: pd.DataFrame, file: str | Path | pd.DataFrame, needed: Mapping[str, str], expects: str,
                    hint: str) -> None:
    """``LogError`` naming every column of ``needed`` (field -> column) that the table lacks.

    Parameters
    ----------
    table
        From ``read_table``.
    file
        The file, for the message.
    needed
        Field -> column name, e.g. ``{"ticket": "number"}``; a field equal to its column is named once.
    expects
        What the format is, e.g. ``a ServiceNow incident event log (--format servicenow)``.
    hint
        What to do instead, e.g. which ``--format`` or ``--mapping`` reads other files.
    """
    missing = [(f, c) for f, c in needed.items() if c not in table.columns]
    if not missing:
        return
    named = ", ".join(_quoted(c) + ("" if f == c else f" ({f})") for f, c in missing)
    raise LogError(None if isinstance(file, pd.DataFrame) else file,
                   f"is not {expects}: missing column(s) {named}; the file has {_columns_text(table)}. {hint}")


def require_rows(table: pd.DataFrame, file: str | Path | pd.DataFrame) -> None:
    """``LogError`` for a table with a header and no data rows."""
    if len(table) == 0:
        raise LogError(None if isinstance(file, pd.DataFrame) else file,
                       f"has a header but no data rows (columns {_columns_text(table)}): there is nothing to fit")


def require_enough(count: int, minimum: int, what: str, purpose: str = "to fit a scenario") -> None:
    """``LogError`` ("too little data") when fewer than ``minimum`` ``what`` survive the cleaning.

    The file is named on the way up (``in_file``).
    """
    if count < minimum:
        raise LogError(None, f"too little data: only {count} {what}, at least {minimum} are needed {purpose}")


def no_usable_rows(rows: int, what: str, quality: Quality, hint: str = "") -> LogError:
    """The error for a log whose every row was dropped in cleaning: why, from the data-quality counts."""
    why = "; ".join(f"{i.problem}: {i.count}" + (f" (e.g. {i.example!r})" if i.example else "")
                    for i in quality.issues) or "every row was dropped in cleaning"
    return LogError(None, f"no usable {what} in its {rows} data row(s): {visible(why, one_line=True)}"
                          + (f". {hint}" if hint else ""))
