"""Output folders are safe: simsla never deletes or overwrites a file it did not write.

Every folder simsla writes (run results, staffing, sweep, frontier, fit
report, back-test) carries a manifest, ``.simsla.json``: the kind of folder
and the names simsla writes into it.  :func:`check_output_folder` is the one
check every command makes before doing any work: a folder that is missing,
empty, or simsla's own of the same kind and holding nothing but the names in
its manifest may be written; anything else is refused with
:class:`OutputFolderError` (a non-empty folder of someone else's files, a file
where a folder is expected, a folder that cannot be written, the current
folder for results that replace the whole folder).  Results folders written
before the manifest existed are recognised by their ``summary.json``.

A save's temporary folders are named ``.NAME.simsla-tmp-PID-*`` (and the
earlier result set aside during the swap ``.NAME.simsla-old-PID``), so the
next check on that folder can tell them apart and remove those whose process
is gone.  This module knows files only: no scenario, no tables.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLES = ("tickets", "segments", "utilization", "outages")
#: computed tables a run may add (``results.extra[NAME]``), saved as ``NAME.csv`` when present
EXTRA_TABLES = ("volume_risk",)
#: the manifest that marks a folder as simsla's own
MANIFEST = ".simsla.json"


class OutputFolderError(ValueError):
    """An output folder simsla must not write into (the message says why and what to do)."""


@dataclass(frozen=True)
class FolderKind:
    """A kind of output folder: what it holds and the names simsla writes into it.

    Attributes
    ----------
    name
        the key used by :func:`check_output_folder` ("results", "staffing", ...).
    what
        how messages name such a folder.
    files
        names (or ``fnmatch`` patterns, one per path part: ``search/*.json``)
        that simsla writes into it; a sub-folder is listed by its own name too.
    replaced
        saving replaces the whole folder (results); the folder's parent must
        then be writable and the folder cannot be the current one.
    """

    name: str
    what: str
    files: tuple[str, ...]
    replaced: bool = False


FOLDER_KINDS: dict[str, FolderKind] = {k.name: k for k in (
    FolderKind("results", "`simsla run` results",
               ("summary.json", "scenario.json", *(f"{t}.parquet" for t in TABLES + ("runs",)),
                *(f"{t}.csv" for t in EXTRA_TABLES), "report.html"),
               replaced=True),
    FolderKind("staffing", "a `simsla staff` answer",
               ("staffing.csv", "staffing.json", "recommended.yaml", "search", "search/*.json")),
    FolderKind("sweep", "a `simsla sweep`", ("sweep.csv", "sweep.json", "points", "points/*.json")),
    FolderKind("frontier", "a `simsla frontier`",
               ("frontier.json", "frontier_curve.csv", "frontier_grid.csv", "frontier.png")),
    FolderKind("fit", "a `simsla fit` report", ("scenario.yaml", "fit.json", "*.csv", "*.png")),
    FolderKind("backtest", "a `simsla backtest`", ("backtest.csv", "backtest.json", "backtest_arrivals.png")),
    FolderKind("volume-risk", "a `simsla volume-risk`", ("volume_risk.csv",)),
)}
#: files an operating system drops into any folder it shows; replacing them loses nothing
_OS_CLUTTER = (".DS_Store", "Thumbs.db")
#: a temporary file of an atomic write (``.NAME.RANDOM.tmp``) older than this is a killed write's leftover
_STALE_AFTER = 300.0


def _recover(folder: Path) -> None:
    """Put back a complete earlier result that a save killed between its two renames left aside.

    ``save`` moves the old folder to ``.NAME.simsla-old-PID`` (``.NAME.old-PID``
    before the manifest existed) and then the new one into place; a process
    killed in between (microseconds) leaves only the old one, complete, under
    that name.
    """
    if folder.exists() or not folder.parent.is_dir():
        return
    for old in sorted(folder.parent.glob(f".{folder.name}.*old-*")):
        if _set_aside(folder.name, old.name) is not None and (old / "summary.json").is_file():
            os.replace(old, folder)
            return


# ------------------------------------------------------------- output folders
def check_output_folder(path: str | Path, kind: str) -> Path:
    """Make sure simsla may write its ``kind`` of output into ``path``; tidy what a killed save left.

    Allowed: a folder that does not exist yet (its nearest existing ancestor
    must be a writable folder), an empty folder, or a folder simsla wrote
    earlier for the same kind and that holds only names simsla writes there
    (its manifest, ``.simsla.json``).  Before looking, a complete earlier
    result set aside by a save killed between its renames is put back, and
    temporary folders and files of killed saves (their process gone) are
    removed.

    Parameters
    ----------
    path
        the folder given to ``-o``.
    kind
        one of :data:`FOLDER_KINDS`: "results", "staffing", "sweep",
        "frontier", "fit", "backtest".

    Returns
    -------
    Path
        the folder as an absolute path (``-o .`` becomes the current folder's name).

    Raises
    ------
    OutputFolderError
        with a message that names the folder, what is wrong and what to do.
    """
    spec = FOLDER_KINDS[kind]
    folder = Path(os.path.abspath(os.fspath(path)))
    if folder.parent == folder:
        raise OutputFolderError(f"{folder}: cannot write into the root of the file system; choose a new or empty folder")
    if spec.replaced and (folder == Path.cwd() or folder in Path.cwd().parents):
        raise OutputFolderError(f"{path}: is the current folder (or holds it); simsla replaces its results folder "
                                "as a whole, so choose a new or empty sub-folder, e.g. -o results")
    _check_writable(folder, spec, shown=path)
    if spec.replaced:
        _recover(folder)
        _remove_stale_saves(folder)
    if not folder.is_dir():
        return folder
    manifest = _read_manifest(folder)
    ours = manifest is not None or (spec.name == "results" and _legacy_results(folder))
    allowed = spec.files + tuple(f for f in (manifest or {}).get("files", ()) if isinstance(f, str))
    # someone else's folder is judged by its top level: never walk a home folder given by mistake
    entries = _entries(folder, allowed if ours else ())
    if not entries:
        return folder
    if not ours:
        raise OutputFolderError(f"{path}: this folder already holds files that simsla did not write "
                                f"({_some(entries)}); simsla never deletes or overwrites them: choose a new or "
                                "empty folder")
    if manifest is not None and manifest.get("kind") != spec.name:
        other = FOLDER_KINDS.get(str(manifest.get("kind")))
        raise OutputFolderError(f"{path}: holds {other.what if other else 'another kind of simsla output'}, "
                                f"not {spec.what}; choose a new or empty folder")
    strangers = [e for e in entries if not _allowed(e, allowed)]
    if strangers:
        raise OutputFolderError(f"{path}: holds files simsla did not write there ({_some(strangers)}); simsla "
                                "never replaces them: move them out or choose a new or empty folder")
    _remove_stale_temp_files(folder)  # only now: the folder is known to be simsla's own
    return folder


def claim_output_folder(path: str | Path, kind: str) -> Path:
    """Check ``path`` (:func:`check_output_folder`), create it and mark it as simsla's ``kind`` of folder.

    For outputs written into the folder piece by piece (a staffing search's
    log, a sweep's points), so that a folder left by an interrupted command is
    still recognised as simsla's own by the next one.

    Returns
    -------
    Path
        the folder, absolute.
    """
    folder = check_output_folder(path, kind)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(folder)
    if manifest is None or manifest.get("kind") != kind:  # the check passed: the folder is empty
        _write_manifest(folder, FOLDER_KINDS[kind])
    return folder


def release_output_folder(path: str | Path) -> bool:
    """Remove a folder that :func:`claim_output_folder` made and nothing was written into since.

    Returns
    -------
    bool
        whether it was removed (it held nothing but its manifest).
    """
    folder = Path(path)
    if not folder.is_dir() or _entries(folder) or _read_manifest(folder) is None:
        return False
    for name in (MANIFEST, f"{MANIFEST}.tmp"):
        (folder / name).unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


def check_output_file(path: str | Path, written_by: str) -> Path:
    """Make sure simsla may write the file ``path`` (e.g. the scenario ``simsla fit -o`` writes).

    Allowed: a file that does not exist yet in a writable folder, or one that
    simsla wrote earlier: its first few kilobytes contain ``written_by`` (the
    header simsla puts into such files).

    Parameters
    ----------
    path
        the file given to ``-o``.
    written_by
        text that every such file written by simsla contains near its start.

    Returns
    -------
    Path
        the file as an absolute path.

    Raises
    ------
    OutputFolderError
        a folder where a file is expected, an existing file simsla did not
        write, or a place that cannot be written.
    """
    target = Path(os.path.abspath(os.fspath(path)))
    if target.is_dir():
        raise OutputFolderError(f"{path}: is a folder, not a file; give a file name, e.g. {Path(path) / 'scenario.yaml'}")
    _check_writable(target.parent, FolderKind("file", "a file", ()), shown=target.parent)
    if target.exists():
        try:
            with open(target, encoding="utf-8", errors="replace") as fh:
                head = fh.read(4096)
        except OSError as exc:
            raise OutputFolderError(f"{path}: cannot be read ({exc.strerror}); choose a new file name") from None
        if written_by not in head:
            raise OutputFolderError(f"{path}: exists and was not written by simsla; simsla never overwrites it: "
                                    "choose a new file name")
    return target


def _check_writable(folder: Path, spec: FolderKind, shown: str | Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"{shown}: is a file, not a folder; choose a new or empty folder")
    # the folder itself is written into, or (results) its parent, where the new folder is made and swapped in
    need = folder.parent if spec.replaced or not folder.exists() else folder
    while not need.exists():
        need = need.parent
    if not need.is_dir():
        raise OutputFolderError(f"{shown}: {need} is a file, not a folder; choose another place for the output")
    if not os.access(need, os.W_OK | os.X_OK):
        raise OutputFolderError(f"{shown}: cannot write in {need} (permission denied); choose a folder you can write to")


def _entries(folder: Path, patterns: tuple[str, ...] = ()) -> list[str]:
    """Relative POSIX paths of what is in ``folder`` (sub-folders end in '/'), without the manifest.

    Sub-folders that ``patterns`` name (simsla's own, e.g. ``search``) are
    listed with their content; others only by their name.
    """
    found: list[str] = []

    def visit(path: Path, prefix: str) -> None:
        with os.scandir(path) as listing:
            for entry in listing:
                rel = prefix + entry.name
                if not prefix and entry.name in (MANIFEST, f"{MANIFEST}.tmp"):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    found.append(rel + "/")
                    if any(_matches(rel, p) for p in patterns):
                        visit(Path(entry.path), rel + "/")
                else:
                    found.append(rel)

    visit(folder, "")
    return sorted(found)


def _allowed(entry: str, patterns: tuple[str, ...]) -> bool:
    name = entry.rstrip("/")
    parts = name.split("/")
    if parts[-1] in _OS_CLUTTER:
        return True
    base = _temp_base(parts[-1])
    candidates = [name] if base is None else [name, "/".join(parts[:-1] + [base])]
    return any(_matches(c, p) for c in candidates for p in patterns)


def _matches(name: str, pattern: str) -> bool:
    """``fnmatch`` part by part, so that ``*.csv`` does not reach into sub-folders."""
    a, b = name.split("/"), pattern.split("/")
    return len(a) == len(b) and all(fnmatch.fnmatchcase(x, y) for x, y in zip(a, b))


def _temp_base(name: str) -> str | None:
    """``NAME`` for simsla's temporary files ``.NAME.RANDOM.tmp`` (atomic writes) and ``.NAME.tmp``; else None."""
    match = re.fullmatch(r"\.(.+?)(\.[A-Za-z0-9_]{8})?\.tmp", name)
    return match.group(1) if match else None


def _some(entries: list[str], at_most: int = 3) -> str:
    shown = ", ".join(entries[:at_most])
    return shown + (f" and {len(entries) - at_most} more" if len(entries) > at_most else "")


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("written_by") != "simsla" or not isinstance(data.get("files", []), list):
        return None
    return data


def _write_manifest(folder: Path, spec: FolderKind) -> None:
    from simsla import __version__

    tmp = folder / f"{MANIFEST}.tmp"
    _write_json(tmp, {"written_by": "simsla", "version": __version__, "kind": spec.name, "files": list(spec.files),
                      "note": "simsla writes only these names into this folder and refuses to replace it "
                              "when it holds anything else"})
    os.replace(tmp, folder / MANIFEST)


def _legacy_results(folder: Path) -> bool:
    """A results folder written before manifests: its ``summary.json`` is simsla's."""
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and {"seed", "replications", "files"} <= summary.keys()


def _set_aside(name: str, sibling: str) -> int | None:
    """The process id in ``.NAME.simsla-old-PID`` / ``.NAME.old-PID``; None for other names."""
    match = re.fullmatch(re.escape(f".{name}.") + r"(?:simsla-)?old-(\d+)", sibling)
    return int(match.group(1)) if match else None


def _save_in_progress(name: str, sibling: str) -> int | None:
    """The process id in ``.NAME.simsla-tmp-PID-RANDOM`` (a save's temporary folder); None for other names."""
    match = re.fullmatch(re.escape(f".{name}.") + r"simsla-tmp-(\d+)-[A-Za-z0-9_]+", sibling)
    return int(match.group(1)) if match else None


def _process_gone(pid: int) -> bool:
    from simsla.process import process_exists

    return pid != os.getpid() and not process_exists(pid)


def _remove_stale_saves(folder: Path) -> None:
    """Remove temporary folders of saves to ``folder`` whose process is gone (killed mid-way).

    Only folders simsla names and fills: ``.NAME.simsla-tmp-PID-*`` holding
    nothing but results files, and ``.NAME.simsla-old-PID`` next to a complete
    ``folder`` (the swap finished, the clean-up did not).  Versions before the
    manifest named the temporary folder ``.NAME.XXXXXXXX`` (no process id):
    such a folder is removed when it holds nothing but results files and has
    not changed for a few minutes.
    """
    parent = folder.parent
    if not parent.is_dir():
        return
    results = FOLDER_KINDS["results"].files
    for sibling in parent.glob(f".{folder.name}.*"):
        if not sibling.is_dir() or sibling.is_symlink():
            continue
        pid = _save_in_progress(folder.name, sibling.name)
        if pid is None:
            pid = _set_aside(folder.name, sibling.name) if folder.exists() else None
        if pid is not None:
            stale = _process_gone(pid)
        else:
            stale = _legacy_temp(folder.name, sibling)
        if stale and all(_allowed(e, results) for e in _entries(sibling)):
            shutil.rmtree(sibling, ignore_errors=True)


def _legacy_temp(name: str, sibling: Path) -> bool:
    if not re.fullmatch(re.escape(f".{name}.") + r"[a-z0-9_]{8}", sibling.name):
        return False
    try:
        return time.time() - sibling.stat().st_mtime > _STALE_AFTER
    except OSError:
        return False


def _remove_stale_temp_files(folder: Path) -> None:
    """Remove temporary files of atomic writes into ``folder`` that a kill left (older than a few minutes)."""
    now = time.time()
    for root, _, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            if (_temp_base(name) is not None or name == f"{MANIFEST}.tmp"):
                try:
                    if now - path.stat().st_mtime > _STALE_AFTER:
                        path.unlink()
                except OSError:
                    pass


def _write_json(path: Path, data: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, allow_nan=False, default=_jsonable)
        fh.flush()
        os.fsync(fh.fileno())


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
