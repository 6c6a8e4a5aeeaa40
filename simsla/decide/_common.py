"""Small helpers shared by the decide modules: atomic files, hashing, JSON."""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def jsonable(value: Any) -> Any:
    """Numpy/pandas scalars and containers as plain JSON values (NaN and inf become None)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary sibling and ``os.replace``.

    A reader never sees a half-written file: either the old content or the new.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Atomic JSON write (see :func:`write_text_atomic`)."""
    return write_text_atomic(path, json.dumps(jsonable(data), indent=2, allow_nan=False, ensure_ascii=False) + "\n")


def write_csv_atomic(path: str | Path, frame: pd.DataFrame) -> Path:
    """Atomic CSV write of a DataFrame (no index)."""
    return write_text_atomic(path, frame.to_csv(index=False))


def read_json(path: str | Path) -> Any | None:
    """The JSON in ``path``, or None if it is missing or unreadable (e.g. cut off)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def digest(data: Any, length: int = 16) -> str:
    """A stable short hash of JSON-able data (keys sorted)."""
    text = json.dumps(jsonable(data), sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def scenario_digest(scenario: Any) -> str:
    """A stable hash of a scenario's content."""
    return digest(json.loads(scenario.model_dump_json(by_alias=True)))


def readable_duration(seconds: float | None) -> str | None:
    """Business seconds as ``1h35m`` (rounded to the second); None stays None, inf is ``inf``."""
    if seconds is None:
        return None
    if not math.isfinite(seconds):
        return "inf"
    total = int(round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    parts = [f"{h}h" if h else "", f"{m}m" if m else "", f"{s}s" if s else ""]
    return "".join(parts) or "0s"


def constant_team_block(shift: Any, team: str) -> bool:
    """Whether a block is an agent group's constant ``staff`` (the 24/7 block named after it)."""
    get = shift.get if isinstance(shift, dict) else lambda k: getattr(shift, k)
    return get("name") == team and get("agents") == team and get("hours") == "00:00-24:00" and get("days") == "mon-sun"


def fold_team_staff(data: dict[str, Any]) -> dict[str, Any]:
    """A dumped scenario (a dict) with each agent group's 24/7 block written back as its ``staff``.

    Validation turns an agent group's constant ``staff`` into a 24/7 shift
    block named after it (``simsla.model.chain.Group``); a dump therefore has
    ``agents[bilingual].staff: null`` and the block.  Folded back, a change to
    ``groups[desk].agents[bilingual].staff`` (a sweep) sets the headcount
    instead of adding a second block on top of the first; validating the
    folded dict gives the same scenario.  ``data`` is changed in place.
    """
    for g in data.get("groups") or ():
        teams = g.get("agents") if isinstance(g, dict) else None
        if not teams or g.get("staff") is not None:
            continue
        shifts = list(g.get("shifts") or ())
        names = [t.get("name") for t in teams]
        # only the trailing run of such blocks, in agent-group order: exactly what validation appends again
        cut = len(shifts)
        while cut > 0 and any(constant_team_block(shifts[cut - 1], n) for n in names):
            cut -= 1
        order = [names.index(b.get("name")) for b in shifts[cut:]]
        if not order or order != sorted(set(order)) or any(teams[j].get("staff") is not None for j in order):
            continue
        for j, block in zip(order, shifts[cut:]):
            teams[j]["staff"] = block["staff"]
        if cut:
            g["shifts"] = shifts[:cut]
        else:
            g.pop("shifts", None)
    return data


def scenario_yaml(scenario: Any, header: str = "") -> str:
    """A scenario as YAML text that reads back to an equal scenario (durations, rates and dates as written forms).

    Fields at their defaults are left out for readability; if that ever
    changed the scenario read back, every field is written instead.  An
    agent group's constant staff is written as its ``staff``
    (``fold_team_staff``), unless that would not read back equal.  Raises
    ``ValueError`` when neither form reads back equal (a serialisation bug,
    never written silently).
    """
    import yaml

    cls = type(scenario)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    for exclude_defaults, fold in ((True, True), (True, False), (False, False)):
        data = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=exclude_defaults)
        if fold:  # an agent group's constant staff written as its `staff`, not as the 24/7 block made of it
            data = fold_team_staff(data)
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
        if cls.model_validate(yaml.safe_load(text)) == scenario:
            return comment + text
    raise ValueError("the scenario does not read back equal from YAML; not written")
