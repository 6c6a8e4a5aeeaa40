"""What-ifs over any scenario field, with common random numbers: ``sweep``.

Path syntax
-----------
A *path* names one or more fields of the scenario, as the scenario file
writes them::

    path      := step ("." step)*
    step      := field ("[" selector "]")*
    selector  := index | "*" | name

* ``field`` is a key of the scenario file (``groups``, ``staff``,
  ``volume``, ``threshold``, ``handling`` ...);
* ``[2]`` picks a list item by position (from 0), ``[*]`` every item, and
  ``[name]`` the item whose ``name`` is ``name`` (spaces allowed, no
  quotes: ``agreements[SLA Almvik].targets[P1 resolution].threshold``).  In
  ``groups``, ``[desk]`` also finds the desk by its role when no group is
  called ``desk``.

Examples::

    groups[desk].staff                          # a constant-staff desk
    groups[service-desk].shifts[early].staff    # one shift block (by name or [0])
    demand[*].volume                            # every demand stream
    suppliers[telecom-operator].resolution.mean
    agreements[SLA Almvik].targets[P1 resolution].threshold
    patience.mean

Values
------
* Numbers, booleans and mappings are set as given.
* Text is read like a YAML scalar and set: ``"5"`` -> 5, ``"4h"`` stays
  ``"4h"`` (the scenario parses durations and rates), ``"{dist: exponential,
  mean: 3m}"`` -> a mapping.
* ``"x1.2"`` (or ``"*1.2"``) multiplies the current value; a whole-number
  field stays whole (rounded).  Rates and durations are multiplied in their
  internal units (per second, seconds), which is the same thing.
* ``"+1"``, ``"-2"``, ``"+30m"`` add to the current value (a number, or a
  duration for duration fields).

Every point is validated as a whole scenario; a path or value error names the
path, the step and what exists there.

Points, baselines, common random numbers
----------------------------------------
``vary={path: [values]}`` with ``grid=True`` gives the full grid (every
combination), with ``grid=False`` the i-th values of every path together.  A
list of ``{path: value}`` mappings gives the points directly.  The baseline is
the unchanged scenario (point 0, ``"baseline"``) unless ``baseline`` names a
point's position.  Every point is simulated with the same seed, so its
replication *r* sees the same callers, talk times and routing draws as the
baseline's replication *r*; differences are reported **paired by
replication** (mean difference of per-replication statistics, Student-t
interval), which is much tighter than comparing two independent estimates
(also reported, as a Welch interval).

Resuming
--------
With ``out_dir``, each point is written to ``out_dir/points/<id>.json``
(atomically) as soon as its replications are in; ``<id>`` hashes the
scenario, the point's changes, the seed and the replications.  A rerun reads
the finished points and simulates only the others; ``sweep.csv`` and
``sweep.json`` are written at the end.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from simsla.analysis.attainment import per_replication
from simsla.analysis.sample import sample_notes
from simsla.analysis.stats import mean_ci, wilson_ci
from simsla.decide._common import (digest, fold_team_staff, jsonable, read_json, scenario_digest, write_csv_atomic,
                                   write_json_atomic)
from simsla.decide._replicate import evaluate_replication, run_tasks
from simsla.model import Scenario
from simsla.model.units import parse_duration, parse_rate

Progress = Callable[[int, int], None]


class PathError(ValueError):
    """A sweep path or value that cannot be applied to the scenario."""


# ------------------------------------------------------------------------------- paths
_STEP = re.compile(r"^(?P<field>[A-Za-z_][A-Za-z0-9_]*)(?P<selectors>(\[[^\[\]]*\])*)$")


def parse_path(path: str) -> list[tuple[str, list[str]]]:
    """Split a path into steps ``(field, [selectors])``; raises ``PathError`` on bad syntax."""
    if not isinstance(path, str) or not path.strip():
        raise PathError(f"empty path {path!r}")
    parts, depth, buf = [], 0, ""
    for ch in path.strip():
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise PathError(f"path {path!r}: ']' without '['")
        if ch == "." and depth == 0:
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    if depth != 0:
        raise PathError(f"path {path!r}: '[' without ']'")
    parts.append(buf)
    steps = []
    for part in parts:
        m = _STEP.match(part.strip())
        if not m:
            raise PathError(f"path {path!r}: cannot read step {part!r}; write field, field[name], field[0] or field[*]")
        selectors = re.findall(r"\[([^\[\]]*)\]", m.group("selectors"))
        if any(not s.strip() for s in selectors):
            raise PathError(f"path {path!r}: empty selector '[]' in step {part!r}")
        steps.append((m.group("field"), [s.strip() for s in selectors]))
    return steps


def _select(items: list, selector: str, where: str, field_name: str) -> list[int]:
    if selector == "*":
        return list(range(len(items)))
    if re.fullmatch(r"-?\d+", selector):
        i = int(selector)
        if not -len(items) <= i < len(items):
            raise PathError(f"{where}: index {i} is out of range ({field_name} has {len(items)} item(s))")
        return [i % len(items)]
    named = [i for i, it in enumerate(items) if isinstance(it, dict) and it.get("name") == selector]
    if not named and field_name == "groups":
        named = [i for i, it in enumerate(items) if isinstance(it, dict) and it.get("role") == selector]
    if not named:
        names = [it.get("name") for it in items if isinstance(it, dict) and it.get("name") is not None]
        hint = difflib.get_close_matches(selector, [str(n) for n in names], n=1)
        more = f"; did you mean {hint[0]!r}?" if hint else ""
        raise PathError(f"{where}: no item named {selector!r} in {field_name} (known: {names}){more}")
    return named


def _resolve(data: dict, path: str) -> list[tuple[Any, Any, str]]:
    """Containers and keys the path names: [(container, key, where)]."""
    steps = parse_path(path)
    current: list[tuple[Any, str]] = [(data, "")]
    out: list[tuple[Any, Any, str]] = []
    for n, (name, selectors) in enumerate(steps):
        nxt: list[tuple[Any, Any, str]] = []
        for node, where in current:
            here = f"{where}.{name}" if where else name
            if not isinstance(node, dict):
                raise PathError(f"path {path!r}: {where or 'the scenario'} has no fields (it is {type(node).__name__})")
            if name not in node:
                hint = difflib.get_close_matches(name, list(node), n=1)
                more = f"; did you mean {hint[0]!r}?" if hint else ""
                raise PathError(f"path {path!r}: {where or 'the scenario'} has no field {name!r}{more} "
                                f"(fields: {sorted(node)})")
            targets: list[tuple[Any, Any, str]] = [(node, name, here)]
            for sel in selectors:
                expanded = []
                for cont, key, w in targets:
                    value = cont[key]
                    if not isinstance(value, list):
                        raise PathError(f"path {path!r}: {w} is not a list, it cannot take [{sel}]")
                    for i in _select(value, sel, f"path {path!r}", w):
                        label = value[i].get("name", i) if isinstance(value[i], dict) else i
                        expanded.append((value, i, f"{w}[{label}]"))
                targets = expanded
            nxt.extend(targets)
        if n == len(steps) - 1:
            out = nxt
        else:
            current = [(cont[key], w) for cont, key, w in nxt]
            for (value, w) in current:
                if value is None:
                    raise PathError(f"path {path!r}: {w} is not set in this scenario, so it has no fields")
    return out


_MULTIPLY = re.compile(r"^[x*×]\s*([0-9]*\.?[0-9]+(?:[eE][+-]?\d+)?)$")
_ADD = re.compile(r"^([+-])\s*(.+)$")


def _numeric(current: Any, where: str, what: str) -> tuple[float, Callable[[float], Any]]:
    """A current value as a number and how to write a new number back in its form."""
    if isinstance(current, bool) or current is None:
        raise PathError(f"{where}: cannot {what} {current!r} (it is not a number)")
    if isinstance(current, int):
        return float(current), lambda v: int(round(v))
    if isinstance(current, float):
        return current, float
    if isinstance(current, str):
        try:
            return parse_duration(current), float  # durations are written back in seconds
        except ValueError:
            pass
        try:
            return parse_rate(current), lambda v: f"{v!r}/s"
        except ValueError:
            pass
    raise PathError(f"{where}: cannot {what} {current!r} (it is not a number, duration or rate)")


def _new_value(current: Any, value: Any, where: str) -> Any:
    if not isinstance(value, str):
        return copy.deepcopy(value)
    text = value.strip()
    m = _MULTIPLY.match(text)
    if m:
        factor = float(m.group(1))
        number, back = _numeric(current, where, f"multiply by {factor:g}")
        return back(number * factor)
    m = _ADD.match(text)
    if m:
        sign = 1.0 if m.group(1) == "+" else -1.0
        number, back = _numeric(current, where, f"add {text!r} to")
        try:
            delta = float(m.group(2))
        except ValueError:
            try:
                delta = parse_duration(m.group(2))
            except ValueError as exc:
                raise PathError(f"{where}: cannot read {text!r} as +number or +duration") from exc
        return back(number + sign * delta)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PathError(f"{where}: cannot read value {value!r}: {exc}") from None


def apply_changes(scenario: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """The scenario with each ``path: value`` applied (see the module docstring), validated.

    Raises
    ------
    PathError
        For a path that does not exist, bad syntax, an unreadable value, or a
        changed scenario that is no longer valid (the message says which field).
    """
    # an agent group's constant staff as `agents[name].staff`, not as the 24/7 block validation made of it
    data = fold_team_staff(json.loads(scenario.model_dump_json(by_alias=True)))
    for path, value in changes.items():
        for cont, key, where in _resolve(data, path):
            cont[key] = _new_value(cont[key], value, where)
    try:
        return Scenario.model_validate(data)
    except ValueError as exc:
        raise PathError(f"changes {dict(changes)} give an invalid scenario: {_problems(exc)}") from None


def _problems(exc: Exception) -> str:
    """A validation error as 'field.path: message' items."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        items = [(e["loc"], e["msg"]) for e in exc.errors() if e["type"] != "too_short" or len(exc.errors()) == 1]
    elif hasattr(exc, "problems"):
        items = list(exc.problems)  # type: ignore[attr-defined]
    else:
        return str(exc)
    out = []
    for loc, msg in items:
        text = ""
        for part in loc:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        out.append(f"{text}: {msg}")
    return "; ".join(out)


def expand_points(vary: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]], grid: bool = True) -> list[dict[str, Any]]:
    """The points of a sweep: the grid (or zip) of ``vary``, or the given list of mappings."""
    if isinstance(vary, Mapping):
        paths = list(vary)
        values = [list(v) if isinstance(v, (list, tuple, range, np.ndarray)) else [v] for v in vary.values()]
        if grid:
            return [dict(zip(paths, combo)) for combo in itertools.product(*values)]
        lengths = {len(v) for v in values}
        if len(lengths) > 1:
            raise PathError(f"grid=False needs equally long value lists, got lengths {[len(v) for v in values]}")
        return [dict(zip(paths, combo)) for combo in zip(*values)]
    points = [dict(p) for p in vary]
    if not all(isinstance(p, dict) for p in points):
        raise PathError("points must be mappings {path: value}")
    return points


# ------------------------------------------------------------------------------ results
@dataclass
class SweepResult:
    """A sweep's answer.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per point x target: the point's changes (one column per
        path), attainment with a 95 % t-interval across replications, breach
        probability with a Wilson interval over periods, and the differences
        to the baseline: paired by replication (``diff_*``) and, for
        comparison, unpaired (``diff_*_unpaired_*``, Welch); ``code`` is the
        point's short name (``base``, ``A``, ``B`` ...), ``tickets_per_period``
        and ``sample_note`` say when a row rests on too little data
        (``simsla.analysis.sample``).
    points : list of dict
        id, code, label, changes, replications, unstable replications.
    same_as_baseline : list of dict
        Points that left the scenario unchanged (e.g. ``x1``): not simulated
        again, the baseline stands for them.
    baseline : str
        The id of the baseline point.
    """

    table: pd.DataFrame
    points: list[dict[str, Any]]
    baseline: str
    seed: int
    replications: int
    per_replication: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    same_as_baseline: list[dict[str, Any]] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The tidy table (point x target)."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Points, settings and rows, JSON-ready."""
        return jsonable({"seed": self.seed, "replications": self.replications, "baseline": self.baseline,
                         "points": self.points, "same_as_baseline": self.same_as_baseline,
                         "rows": self.table.to_dict(orient="records")})

    def save(self, folder: str | Path) -> Path:
        """Write sweep.csv and sweep.json into ``folder`` (atomically)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_csv_atomic(folder / "sweep.csv", self.table)
        write_json_atomic(folder / "sweep.json", self.to_dict())
        return folder


def point_codes(count: int, base_index: int) -> list[str]:
    """Short names for points in tables and figures: ``base``, and ``A``, ``B``, ... ``Z``, ``AA`` ... for the others."""
    codes, k = [], 0
    for i in range(count):
        if i == base_index:
            codes.append("base")
            continue
        k += 1
        n, code = k, ""
        while n > 0:
            n, r = divmod(n - 1, 26)
            code = chr(ord("A") + r) + code
        codes.append(code)
    return codes


def _label(changes: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in changes.items()) or "baseline"


def _welch(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 2 or len(b) < 2:
        return math.nan, math.nan, math.nan
    d = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return d, d, d
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df) * se)
    return d, d - half, d + half


def sweep(
    scenario: Scenario,
    vary: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    grid: bool = True,
    replications: int = 10,
    seed: int = 1,
    workers: int | None = None,
    out_dir: str | Path | None = None,
    progress: Progress | None = None,
    *,
    executor: Executor | None = None,
    baseline: int | None = None,
    max_queue: int = 200_000,
    precision: float | None = None,
    max_replications: int | None = None,
) -> SweepResult:
    """Simulate what-ifs over scenario fields, all with the same seed, and compare them with a baseline.

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    vary : mapping or list of mappings
        ``{path: [values]}`` (a grid, or zipped with ``grid=False``) or a list
        of points ``{path: value}``; see the module docstring for paths and values.
    grid : bool
        Full grid of ``vary`` (True) or the i-th values together (False).
    replications : int
        Replications per point.
    seed : int
        Root seed, the same for every point (common random numbers).
    workers : int, optional
        Worker processes when no executor is given (None: all cores).
    out_dir : str or Path, optional
        Where finished points are kept (``points/``) and ``sweep.csv`` /
        ``sweep.json`` are written; a rerun skips finished points.
    progress : callable, optional
        ``progress(done, total)`` after each replication, counted over all
        points still to simulate.
    executor : concurrent.futures.Executor, optional
        Where replications run (``simsla.decide.make_executor``).
    baseline : int, optional
        Position of the baseline among the points; default the unchanged
        scenario, added as point ``"baseline"``.
    max_queue : int
        A longer queue ends a replication as unstable.
    precision : float, optional
        Sequential stopping per point (``simsla.experiment.sequential``):
        ``replications`` is the first look, and each point gets more in looks
        until every target's breach probability is decided or known to this
        half-width, or ``max_replications`` (default 64) is reached.  Paired
        differences use the replications a point shares with the baseline.

    Returns
    -------
    SweepResult
    """
    if not scenario.agreements:
        raise ValueError("a sweep compares targets, and this scenario has no agreements: add an SLA with a target "
                         "(e.g. calls answered: answer_time, 20s, 0.8) to compare the points on")
    if replications < 1:
        raise ValueError("replications must be at least 1")
    changes_list = expand_points(vary, grid)
    if baseline is None:
        changes_list = [{}] + [c for c in changes_list if c]
        base_index = 0
    else:
        if not 0 <= baseline < len(changes_list):
            raise ValueError(f"baseline {baseline} is not a point position (0..{len(changes_list) - 1})")
        base_index = baseline
    scenarios = [apply_changes(scenario, c) if c else scenario for c in changes_list]  # all errors before simulating
    base_digest = scenario_digest(scenario)
    same_as_baseline: list[dict[str, Any]] = []
    if baseline is None:  # a point that changes nothing ("x1") is the baseline: shown once, not twice
        keep = [0] + [i for i in range(1, len(scenarios)) if scenario_digest(scenarios[i]) != base_digest]
        same_as_baseline = [changes_list[i] for i in range(1, len(scenarios)) if i not in keep]
        changes_list, scenarios = [changes_list[i] for i in keep], [scenarios[i] for i in keep]
    plan = None
    if precision is not None:
        from simsla.experiment.sequential import DEFAULT_MAX_REPLICATIONS, Plan

        plan = Plan(precision, replications, max_replications or DEFAULT_MAX_REPLICATIONS)
    rule = {} if plan is None else {"precision": plan.precision, "max_replications": plan.cap}
    ids = [digest({"scenario": base_digest, "changes": jsonable(c), "seed": int(seed), "replications": replications,
                   "max_queue": max_queue, **rule}) for c in changes_list]
    folder = Path(out_dir) if out_dir is not None else None
    stored: dict[int, dict[str, Any]] = {}
    if folder is not None:
        for i, pid in enumerate(ids):
            data = read_json(folder / "points" / f"{pid}.json")
            if data and (len(data.get("replications", [])) == replications if plan is None else "sequential" in data):
                stored[i] = data
    todo = [i for i in range(len(ids)) if i not in stored and ids[i] not in {ids[j] for j in stored}]
    todo = list(dict.fromkeys(todo))
    tasks = [(scenarios[i], int(seed), r, max_queue) for i in todo for r in range(replications)]
    owner = [(i, r) for i in todo for r in range(replications)]
    pending: dict[int, dict[int, Any]] = {i: {} for i in todo}
    done_count = [0]

    def finished(k: int, res: dict[str, Any]) -> None:
        i, r = owner[k]
        pending[i][r] = res
        done_count[0] += 1
        if progress:
            progress(done_count[0], len(tasks))
        if len(pending[i]) == replications:
            data = {"id": ids[i], "label": _label(changes_list[i]), "changes": jsonable(changes_list[i]),
                    "seed": int(seed), "replications": [pending[i][r] for r in range(replications)]}
            stored[i] = data
            if folder is not None:
                write_json_atomic(folder / "points" / f"{ids[i]}.json", data)

    n_workers = workers if workers is not None else (__import__("os").cpu_count() or 1)
    if plan is None:
        run_tasks(evaluate_replication, tasks, executor, n_workers, on_done=finished)
    else:
        from simsla.decide._replicate import sequential_points

        sequential_points(plan, todo, scenarios, changes_list, ids, int(seed), max_queue, executor, n_workers,
                         stored, folder, progress, _label)
    for i, pid in enumerate(ids):  # duplicates of a point share its data
        if i not in stored:
            stored[i] = next(stored[j] for j in stored if ids[j] == pid)

    per_point = {}
    point_info = []
    codes = point_codes(len(ids), base_index)
    for i in range(len(ids)):
        reps = stored[i]["replications"]
        rows = pd.concat([pd.DataFrame(rep["rows"]) for rep in reps], ignore_index=True)
        per_point[i] = per_replication(rows) if len(rows) else pd.DataFrame()
        point_info.append({"point": i, "id": ids[i], "code": codes[i],
                           "label": _label(changes_list[i]), "changes": changes_list[i],
                           "replications": len(reps), "unstable_replications": int(sum(bool(r["unstable"]) for r in reps)),
                           "baseline": i == base_index,
                           **({"stopped": stored[i]["sequential"]["stopped"]} if "sequential" in stored[i] else {})})
    paths = list(dict.fromkeys(p for c in changes_list for p in c))
    base = per_point[base_index]
    records = []
    for i in range(len(ids)):
        pr = per_point[i]
        if pr.empty:
            continue
        for (ag, tg), part in pr.groupby(["agreement", "target"], sort=False):
            part = part.sort_values("replication")
            rec: dict[str, Any] = {"point": i, "code": point_info[i]["code"], "label": point_info[i]["label"],
                                   "baseline": i == base_index}
            for p in paths:
                rec[p] = changes_list[i].get(p)
            att = part["attainment"].to_numpy(dtype=float)
            m, lo, hi = mean_ci(att)
            lo, hi = max(lo, 0.0), min(hi, 1.0)  # a share: the t-interval is clipped to [0, 1]
            counted = part["counted"].sum()
            # under --precision, at the look level: valid 95 % intervals after sequential stopping
            p_b, b_lo, b_hi = wilson_ci(int(part["breached"].sum()), int(part["periods"].sum()),
                                        0.95 if plan is None else plan.look_level)
            rec.update(agreement=ag, target=tg, metric=part["metric"].iloc[0], fraction=part["fraction"].iloc[0],
                       replications=len(part), periods=int(part["periods"].sum()),
                       attainment=float(part["met"].sum() / counted) if counted > 0 else math.nan,
                       attainment_ci_low=lo, attainment_ci_high=hi,
                       breach_probability=p_b, breach_ci_low=b_lo, breach_ci_high=b_hi,
                       tickets_per_period=float(counted / part["periods"].sum()) if part["periods"].sum() else math.nan)
            rec["sample_note"] = "; ".join(str(n) for n in sample_notes(rec["periods"], rec["tickets_per_period"]
                                                                        if rec["metric"] != "availability" else None,
                                                                        rec["fraction"]))
            bpart = base[(base["agreement"] == ag) & (base["target"] == tg)].sort_values("replication")
            paired = part.merge(bpart, on="replication", suffixes=("", "_base"))
            for stat, name in (("attainment", "attainment"), ("breach_share", "breach")):
                d = (paired[stat] - paired[f"{stat}_base"]).to_numpy(dtype=float)
                dm, dlo, dhi = mean_ci(d)
                um, ulo, uhi = _welch(part[stat].to_numpy(dtype=float), bpart[stat].to_numpy(dtype=float))
                rec.update({f"diff_{name}": dm, f"diff_{name}_ci_low": dlo, f"diff_{name}_ci_high": dhi,
                            f"diff_{name}_unpaired_ci_low": ulo, f"diff_{name}_unpaired_ci_high": uhi})
            records.append(rec)
    table = pd.DataFrame(records)
    long = pd.concat([pr.assign(point=i) for i, pr in per_point.items() if not pr.empty], ignore_index=True) if per_point else pd.DataFrame()
    result = SweepResult(table=table, points=point_info, baseline=ids[base_index], seed=int(seed),
                         replications=replications, per_replication=long, same_as_baseline=same_as_baseline)
    if folder is not None:
        result.save(folder)
    return result
