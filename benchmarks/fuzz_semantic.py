"""Semantic fuzzer: mutate the example scenarios in meaning and run ``simsla validate`` and ``simsla run`` on them.

Usage::

    python benchmarks/fuzz_semantic.py                       # 60 s, seed 1, findings in a temp folder
    python benchmarks/fuzz_semantic.py --seconds 1200 --seed 7 --out /tmp/fuzz-findings
    python benchmarks/fuzz_semantic.py --cases 40            # exactly the first 40 cases of the seed

Where ``benchmarks/fuzz_loader.py`` throws bytes at the loader, this fuzzer
keeps the files valid YAML and close to the examples (``scenarios/*.yaml``)
and changes what they *mean*.  A case is one example, its horizon cut to one
or two weeks (warm-up to a day) so that runs stay short, and one to three
mutations of the parsed YAML tree (comments play no part), dumped back to YAML.
The mutation operators (``OPERATORS``):

* ``number_edge``: a number, duration or rate to 0, negative, tiny (5e-324),
  huge (1e308, 10**30), NaN-like (``.nan``, ``"nan"``, ``"inf"``), just under
  or over 1; ``huge_count``: staff, capacities, volumes and surges to huge counts;
* ``list_empty`` / ``list_duplicate`` / ``list_multiply``: a list emptied, an item
  doubled, a list of named items repeated 2-2000 times (renamed so they stay unique);
* ``ref_rename`` (must be refused): a reference (a calendar, profile, party,
  service, customer, priority, routing source or destination) renamed to a name
  that is defined nowhere; ``def_rename``: a definition renamed, its references not;
* ``calendar``: opening hours emptied, one minute a week, ``24:00-08:00``,
  overlapping, wrapped day ranges; every day of the horizon a holiday;
* ``unit_change``: duration units swapped (s/m/h/d/w, or none), rates ``/h`` -> ``/s`` etc.;
* ``yaml11`` (must be refused): YAML 1.1 traps written unquoted: ``4:00`` (sexagesimal
  240) where a duration is expected, ``010`` (octal 8) for a count, ``NO``/``yes``/``on``
  for a name;
* ``control_chars`` (must be refused): ESC sequences, newlines, NUL, BEL, DEL, C1 in a name;
* ``swap_duration_count``: a duration and a count exchange values; ``delete_key``: any
  key deleted; ``retype``: a value to null, true, "", {}, [];
* ``dist_extreme``: distributions with extreme parameters (weibull shape 0.001,
  lognormal mu 1000 / sigma 100, cv 1e200, ...); ``weights_extreme``: weights and
  profiles to 1e308, 0, 5e-324; ``volume_zero``: every volume 0; ``outage_extreme``:
  outages every millisecond, zero up and restore times, surges of 1e9/h;
* ``dates``: start in year 1 or 9999, on DST days, odd time zones; ``horizon``:
  horizon and warm-up to 0, a second, 2000 weeks, 1e308 s (these keep their value);
* ``routing_loop``: two groups that pass tickets to each other with an exit that
  matches nothing; ``empty_filter`` (must be refused): a ``when`` list emptied;
* ``scope_nomatch`` / ``never_open`` (must be refused or warned about): a target
  whose scope matches no demand, a party that holds work but is never staffed.

Each case runs ``simsla validate FILE`` and, only when that exits 0, ``simsla run
FILE -r 2 -s 1 -w 1 -o DIR``, each as a subprocess in its own session with a
time limit (``--validate-timeout``, ``--run-timeout``: CPU seconds of the process
tree, or four times that in wall time) and an address-space
limit (``RLIMIT_AS``, ``--memory-gib``, default 3).  Peak RSS comes from
``wait4`` of the child (its own and its descendants') and from polling
``/proc/PID/status`` (VmHWM) of the process tree.  Outcomes:

OK: exit 2 with at least one ``file[:line]: field: message`` line; exit 0 after a
completed run; exit 3 with an explanation.  FINDING (the class names):

* ``traceback`` -- a Python traceback on stderr (``validate`` or ``run``);
* ``import-error`` -- simsla itself does not import (a half-edited work tree: rerun later);
* ``hang`` -- no exit within the time limit (the process group is killed);
* ``memory`` -- a MemoryError / failed allocation under the memory limit;
* ``signal`` -- the process died by a signal (segfault, abort);
* ``exit-other`` -- exit 1 or any other code without a traceback;
* ``exit2-no-field`` -- exit 2 without a line naming a field;
* ``exit3-silent`` -- exit 3 without any explanation;
* ``run-refused-after-valid`` -- ``validate`` said valid, then ``run`` exited 2;
* ``accepted-invalid`` -- a mutation that must be refused (above) was valid;
* ``silent-warning`` -- a mutation that must be refused or warned about ran without a word;
* ``unsafe-output`` -- raw control characters (ESC, BEL, CR, C1, ...) reached stdout/stderr;
* ``over-estimate`` -- (only when ``simsla/experiment/gate.py`` exists) peak RSS or CPU time
  far beyond ``preflight(scenario).estimate``: RSS > ``--rss-base-mib`` +
  ``--rss-factor`` x the estimate, or CPU > 10 s + 1e-4 s per estimated event.

Cases are deterministic given ``--seed`` (case ``i`` draws from its own
``Random(f"{seed}/{i}")``), so ``--cases N`` always tries the same N scenarios.
The first case of every distinct finding (class, stage, top simsla frame, last
error line with numbers blanked) is shrunk -- mutations dropped, then parts of the
scenario deleted while the finding stays the same -- and saved as a YAML
reproducer (``<class>-<n>.yaml``, with the class, the command and the error's last
line in comments, and ``.txt`` with the output) under ``--out`` (default: a new
temp folder).  A summary table ends the run; the exit code is 1 when anything was found.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any, Callable

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
GATE = ROOT / "simsla" / "experiment" / "gate.py"
EXAMPLE_NAMES = ("erlang-c", "municipal-it-desk")

# ------------------------------------------------------------------ YAML in and out


class Raw(str):
    """A scalar written exactly as given, unquoted (``4:00``, ``010``, ``NO``, ``.nan``): YAML 1.1 decides its type."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # every value written out in full: mutations stay local
        return True


def _represent_raw(dumper: yaml.SafeDumper, data: Raw) -> yaml.ScalarNode:
    # the tag the resolver would give the plain text: the emitter then writes it plain
    tag = dumper.resolve(yaml.ScalarNode, str(data), (True, False))
    return dumper.represent_scalar(tag, str(data))


_Dumper.add_representer(Raw, _represent_raw)


def dump(tree: Any) -> str:
    return yaml.dump(tree, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10**6, default_flow_style=False)


def tree_copy(x: Any) -> Any:
    """A deep copy without sharing (aliases and merges of the examples become independent values)."""
    if isinstance(x, dict):
        return {k: tree_copy(v) for k, v in x.items()}
    if isinstance(x, list):
        return [tree_copy(v) for v in x]
    return x


def load_examples() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return {n: yaml.load((SCENARIOS / f"{n}.yaml").read_text(encoding="utf-8"), Loader=loader) for n in EXAMPLE_NAMES}


def shrink_horizon(tree: dict, rnd: Random) -> None:
    """Keep runs short: horizon 1 or 2 weeks, warm-up at most a day (mutations may change both afterwards)."""
    tree["horizon"] = "1w" if rnd.random() < 0.75 else "2w"
    tree["warmup"] = "1d"


# ------------------------------------------------------------------ tree paths


def nodes(tree: Any, prefix: tuple = ()) -> list[tuple[tuple, Any]]:
    """(path, value) of every node below the root, document order."""
    out: list[tuple[tuple, Any]] = []
    if isinstance(tree, dict):
        for k, v in tree.items():
            out.append(((*prefix, k), v))
            out += nodes(v, (*prefix, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out.append(((*prefix, i), v))
            out += nodes(v, (*prefix, i))
    return out


def get(tree: Any, path: tuple) -> Any:
    for p in path:
        tree = tree[p]
    return tree


def key_of(path: tuple) -> str:
    """The field name a node sits under (list items: the list's field)."""
    for p in reversed(path):
        if isinstance(p, str):
            return p
    return ""


def fmt_path(path: tuple) -> str:
    text = ""
    for p in path:
        text += f"[{p}]" if isinstance(p, int) else (f".{p}" if text else str(p))
    return text


def count_nodes(x: Any) -> int:
    if isinstance(x, dict):
        return 1 + sum(1 + count_nodes(v) for v in x.values())
    if isinstance(x, list):
        return 1 + sum(count_nodes(v) for v in x)
    return 1


# ------------------------------------------------------------------ mutations

DURATION_KEYS = {"mean", "sd", "scale", "value", "low", "high", "threshold", "horizon", "warmup", "abandoned_grace", "samples"}
RATE_KEYS = {"volume", "surge"}
COUNT_KEYS = {"staff", "capacity"}
NUMBER_KEYS = {"cv", "shape", "mu", "sigma", "weight", "fraction", "probability", "default", "cost_per_hour",
               "warning_margin", "hours", "hour_of_week", "days", "to", "services", "customers", "impact", "urgency",
               "priority"}
WINDOW_KEYS = {"hours"}
_DUR_RE = re.compile(r"^(\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:s|sec|min|m|h|d|w))+$")
_DUR_PART = re.compile(r"(\d+(?:\.\d+)?(?:e[+-]?\d+)?)(sec|min|s|m|h|d|w)")
_RATE_RE = re.compile(r"^(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*/\s*([a-z]+)$")
_WINDOW_RE = re.compile(r"^\d\d:\d\d-\d\d:\d\d$")

EDGE_NUMBERS: list[Any] = [0, -1, -0.5, -0.0, 1e-9, 5e-324, 1e-300, 1e308, 1.7976931348623157e308, 1e30, 10**12, 2**31,
                           2**63, 10**30, 0.999999, 1.000001, 1, 2, Raw(".nan"), Raw(".inf"), Raw("-.inf"), "nan", "NaN",
                           "inf", "-inf", "1e999", 1e-320]
EDGE_MAGNITUDES = ["0", "1e-9", "0.0001", "1e308", "1e300", "99999999999", "1e6", "1e-320", "1e999"]
UNITS = ["s", "m", "h", "d", "w", "min", "sec"]
RATE_DENOMINATORS = ["s", "min", "h", "day", "week", "second", "hour", "w", "d"]
CONTROL_CHARS = ["\x1b[31m", "\x1b]0;pwned\x07", "\n", "\r", "\x07", "\x00", "\x08", "\x7f", "\x9b31m", "\t", "\x1b[2J"]
YAML11_DURATIONS = ["4:00", "1:30:00", "0:20", "190:00:00", "20:00"]
YAML11_COUNTS = ["010", "012", "0100", "07"]
YAML11_NAMES = ["NO", "no", "yes", "Yes", "on", "OFF", "true", "False"]
UNKNOWN = "zz-nosuch"

# reference positions: (container key, how): value: a string value is a reference; key: dict keys are references
REF_VALUE_KEYS = {"calendar", "profile", "closed_on_holidays", "party", "customer", "from"}
REF_WHEN_KEYS = {"service", "customer", "priority"}
REF_DICT_KEYS = {"to", "services", "customers", "impact", "urgency", "priority"}


@dataclass
class Mutation:
    op: str
    desc: str
    edits: list[tuple]  # ("set", path, value) | ("del", path) | ("rekey", path, newkey)
    expect: str | None = None  # "refuse": must exit 2; "warn": must exit 2 or say "warning"
    touches_horizon: bool = False
    kind: str = ""  # oracles: what kind of input it is (findings of one kind count as one)


def apply(tree: Any, edits: list[tuple]) -> bool:
    """Make the edits; False when one of them could not be made (its path is gone)."""
    ok = True
    for edit in edits:
        try:
            kind, path = edit[0], edit[1]
            parent = get(tree, path[:-1])
            last = path[-1]
            if kind == "set":
                if isinstance(parent, list) and last == len(parent):
                    parent.append(tree_copy(edit[2]))
                else:
                    parent[last] = tree_copy(edit[2])
            elif kind == "del":
                del parent[last]
            elif kind == "rekey" and isinstance(parent, dict) and last in parent:
                items = list(parent.items())
                parent.clear()
                for k, v in items:
                    parent[edit[2] if k == last else k] = v
            else:
                ok = False
        except (KeyError, IndexError, TypeError):
            ok = False  # the path is gone (shrinking removed it): skip
    return ok


def _numeric_leaf(path: tuple, v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    return isinstance(v, str) and bool(_DUR_RE.match(v.strip().lower()) or _RATE_RE.match(v.strip().lower()))


def _pick(rnd: Random, items: list) -> Any:
    return items[rnd.randrange(len(items))] if items else None


def op_number_edge(tree: dict, rnd: Random) -> Mutation | None:
    cands = [(p, v) for p, v in nodes(tree) if _numeric_leaf(p, v)]
    if not cands:
        return None
    path, v = _pick(rnd, cands)
    if isinstance(v, str) and rnd.random() < 0.7:
        text = v.strip().lower()
        m = _RATE_RE.match(text)
        mag = _pick(rnd, EDGE_MAGNITUDES + ["-5", "nan"])
        new = f"{mag}/{m.group(2)}" if m else f"{mag}{_pick(rnd, _DUR_PART.findall(text))[1]}"
    else:
        new = _pick(rnd, EDGE_NUMBERS)
    return Mutation("number_edge", f"{fmt_path(path)}: {v!r} -> {new!r}", [("set", path, new)],
                    touches_horizon=key_of(path) in ("horizon", "warmup"))


def op_huge_count(tree: dict, rnd: Random) -> Mutation | None:
    cands = [(p, v) for p, v in nodes(tree) if key_of(p) in COUNT_KEYS | RATE_KEYS and not isinstance(v, (dict, list))]
    if not cands:
        return None
    path, v = _pick(rnd, cands)
    if key_of(path) in COUNT_KEYS:
        new = _pick(rnd, [0, 10_000, 10_001, 100_000, 10**9, 1])
    else:
        new = _pick(rnd, ["1e9/h", "1e6/h", "1e12/week", "1e5/s", "0/h", "0.000001/week", "1e-300/s"])
    return Mutation("huge_count", f"{fmt_path(path)}: {v!r} -> {new!r}", [("set", path, new)])


def _lists(tree: dict) -> list[tuple[tuple, list]]:
    return [(p, v) for p, v in nodes(tree) if isinstance(v, list)]


def op_list_empty(tree: dict, rnd: Random) -> Mutation | None:
    path, v = _pick(rnd, _lists(tree)) or (None, None)
    if path is None:
        return None
    return Mutation("list_empty", f"{fmt_path(path)}: {len(v)} items -> []", [("set", path, [])])


def op_list_duplicate(tree: dict, rnd: Random) -> Mutation | None:
    cands = [(p, v) for p, v in _lists(tree) if v]
    if not cands:
        return None
    path, v = _pick(rnd, cands)
    i = rnd.randrange(len(v))
    new = tree_copy(v)
    new.insert(i, tree_copy(v[i]))
    return Mutation("list_duplicate", f"{fmt_path(path)}[{i}] doubled", [("set", path, new)])


def op_list_multiply(tree: dict, rnd: Random) -> Mutation | None:
    cands = [(p, v) for p, v in _lists(tree) if v and all(isinstance(x, dict) for x in v)]
    if not cands:
        return None
    path, v = _pick(rnd, cands)
    k = _pick(rnd, [2, 10, 300, 2000])
    size = max(1, count_nodes(v))
    k = max(2, min(k, 80_000 // size))  # stay below the loader's bound on YAML values
    new = []
    for j in range(k):
        for item in v:
            c = tree_copy(item)
            if j and isinstance(c.get("name"), str):
                c["name"] = f"{c['name']}-{j}"
            if j and c.get("role") == "desk":
                c["role"] = "resolver"  # one desk only
            new.append(c)
    return Mutation("list_multiply", f"{fmt_path(path)}: {len(v)} items x {k}", [("set", path, new)])


def _definitions(tree: dict) -> set[str]:
    out: set[str] = set()
    for p, v in nodes(tree):
        if key_of(p) == "name" and isinstance(v, str) and isinstance(p[-1], str):
            out.add(v)
    for k in ("calendars", "profiles"):
        if isinstance(tree.get(k), dict):
            out |= {str(x) for x in tree[k]}
    if isinstance(tree.get("customers"), list):
        out |= {str(x) for x in tree["customers"]}
    pm = tree.get("priority_matrix")
    if isinstance(pm, dict):
        for k in ("impacts", "urgencies", "priorities"):
            if isinstance(pm.get(k), list):
                out |= {str(x) for x in pm[k]}
    return out | {"24/7", "resolved"}


def _references(tree: dict) -> list[tuple[str, tuple, str]]:
    """("value", path, text) for string references, ("key", path, key) for dict keys that are references."""
    out: list[tuple[str, tuple, str]] = []
    for p, v in nodes(tree):
        k = key_of(p)
        in_when = "when" in [x for x in p if isinstance(x, str)][:-1] or (len(p) >= 2 and p[-2] == "when")
        if isinstance(v, str):
            if isinstance(p[-1], str) and (k in REF_VALUE_KEYS or (k == "holidays" and p[0] == "demand")):
                if not (p[0] == "calendars"):
                    out.append(("value", p, v))
            elif isinstance(p[-1], str) and in_when and k in REF_WHEN_KEYS:
                out.append(("value", p, v))
            elif isinstance(p[-1], int) and (k in REF_WHEN_KEYS and "when" in p or (k == "customers" and p[0] == "services")):
                out.append(("value", p, v))
            elif isinstance(p[-1], int) and len(p) >= 3 and p[-3] == "matrix":
                out.append(("value", p, v))
        if isinstance(v, dict) and isinstance(p[-1], str) and (k in REF_DICT_KEYS and p[0] in ("demand", "routing")
                                                               or k == "matrix"):
            for key in v:
                out.append(("key", (*p, key), str(key)))
    return out


def op_ref_rename(tree: dict, rnd: Random) -> Mutation | None:
    refs = _references(tree)
    if not refs:
        return None
    kind, path, old = _pick(rnd, refs)
    new = f"{UNKNOWN}-{rnd.randrange(1000)}"
    edit = ("set", path, new) if kind == "value" else ("rekey", path, new)
    return Mutation("ref_rename", f"reference {fmt_path(path)}: {old!r} -> {new!r}", [edit], expect="refuse",
                    kind=_pattern(path[:-1]) + ("{key}" if kind == "key" else "." + str(path[-1]) if isinstance(path[-1], str) else "[]"))


def _pattern(path: tuple) -> str:
    """A path with its list indexes left out: what kind of place it is."""
    return "".join("[]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def op_def_rename(tree: dict, rnd: Random) -> Mutation | None:
    cands: list[tuple[str, tuple, str]] = []
    for p, v in nodes(tree):
        if key_of(p) == "name" and isinstance(v, str) and isinstance(p[-1], str) and p[0] in (
                "services", "groups", "suppliers"):
            cands.append(("value", p, v))
    for k in ("calendars", "profiles"):
        if isinstance(tree.get(k), dict):
            cands += [("key", (k, name), str(name)) for name in tree[k]]
    if isinstance(tree.get("customers"), list):
        cands += [("value", ("customers", i), str(c)) for i, c in enumerate(tree["customers"])]
    if not cands:
        return None
    kind, path, old = _pick(rnd, cands)
    new = f"{old}-renamed"
    # must be refused when the old name is still referenced and nothing else defines it
    defined_elsewhere = sum(1 for p, v in nodes(tree) if key_of(p) == "name" and v == old) > 1
    referenced = any(text == old for _, _, text in _references(tree))
    edit = ("set", path, new) if kind == "value" else ("rekey", path, new)
    return Mutation("def_rename", f"definition {fmt_path(path)}: {old!r} -> {new!r} (references kept)", [edit],
                    expect="refuse" if referenced and not defined_elsewhere else None, kind=str(path[0]))


CALENDAR_HOURS: list[Any] = [{}, {"mon": "08:00-08:01"}, {"mon-sun": "24:00-08:00"}, {"mon-fri": "17:00-08:00"},
                             {"mon-sun": "00:00-24:00"}, {"mon-fri": ["08:00-12:00", "11:00-13:00"]},
                             {"sun": "00:00-00:00"}, {"fri-mon": "08:00-17:00"}, {"mon-fri": "08:00-08:00"},
                             {"all": "24h"}, {"mon": "23:59-24:00"}, {"sat": []}]
WINDOW_HOURS = ["24:00-08:00", "08:00-08:00", "23:59-00:00", "00:00-24:00", "17:00-08:00", "00:00-00:01", "25:00-26:00",
                "08:00-17:00,12:00-13:00", "24h", "00:00-23:59"]
WINDOW_DAYS = ["sun-mon", "mon-mon", "", "fri-mon", "all", "sat-sun", "mon,mon", "holidays"]


def op_calendar(tree: dict, rnd: Random) -> Mutation | None:
    choices: list[Mutation] = []
    start = tree.get("start") if isinstance(tree.get("start"), dt.date) else dt.date(2026, 1, 5)
    for name, cal in (tree.get("calendars") or {}).items() if isinstance(tree.get("calendars"), dict) else ():
        if not isinstance(cal, dict):
            continue
        hours = _pick(rnd, CALENDAR_HOURS)
        choices.append(Mutation("calendar", f"calendars.{name}.hours -> {hours!r}", [("set", ("calendars", name, "hours"), hours)]))
        days = [start + dt.timedelta(days=i) for i in range(-7, 7 * 60)]
        choices.append(Mutation("calendar", f"calendars.{name}.holidays -> every day of the run",
                                [("set", ("calendars", name, "holidays"), days)]))
        choices.append(Mutation("calendar", f"calendars.{name}.holiday_country -> 'ZZ'/''",
                                [("set", ("calendars", name, "holiday_country"), _pick(rnd, ["ZZ", "", "se", "XK", "US"]))]))
    for p, v in nodes(tree):
        if isinstance(v, dict) and isinstance(v.get("hours"), str) and isinstance(v.get("days"), str):
            if rnd.random() < 0.5:
                new = _pick(rnd, WINDOW_HOURS)
                choices.append(Mutation("calendar", f"{fmt_path(p)}.hours -> {new!r}", [("set", (*p, "hours"), new)]))
            else:
                new = _pick(rnd, WINDOW_DAYS)
                choices.append(Mutation("calendar", f"{fmt_path(p)}.days -> {new!r}", [("set", (*p, "days"), new)]))
    return _pick(rnd, choices)


def op_unit_change(tree: dict, rnd: Random) -> Mutation | None:
    cands = [(p, v) for p, v in nodes(tree) if isinstance(v, str) and (_DUR_RE.match(v.lower()) or _RATE_RE.match(v.lower()))]
    cands += [(p, v) for p, v in nodes(tree) if key_of(p) in DURATION_KEYS and isinstance(v, (int, float))
              and not isinstance(v, bool)]
    if not cands:
        return None
    path, v = _pick(rnd, cands)
    if isinstance(v, str) and _RATE_RE.match(v.lower()):
        m = _RATE_RE.match(v.lower())
        new = f"{m.group(1)}/{_pick(rnd, RATE_DENOMINATORS)}"
    elif isinstance(v, str):
        parts = _DUR_PART.findall(v.lower())
        if rnd.random() < 0.2:
            new = parts[0][0]  # the unit dropped: a plain number of seconds
        else:
            new = "".join(n + _pick(rnd, UNITS) for n, _ in parts)
    else:
        new = f"{v}{_pick(rnd, UNITS)}"
    return Mutation("unit_change", f"{fmt_path(path)}: {v!r} -> {new!r}", [("set", path, new)],
                    touches_horizon=key_of(path) in ("horizon", "warmup"))


def op_yaml11(tree: dict, rnd: Random) -> Mutation | None:
    cands: list[tuple[tuple, Any, list[str]]] = []
    for p, v in nodes(tree):
        k = key_of(p)
        if isinstance(p[-1], str) and k in DURATION_KEYS - {"samples"} and not isinstance(v, (dict, list)):
            cands.append((p, v, YAML11_DURATIONS))
        elif isinstance(p[-1], str) and k in COUNT_KEYS:
            cands.append((p, v, YAML11_COUNTS))
        elif isinstance(p[-1], str) and k == "name" and isinstance(v, str):
            cands.append((p, v, YAML11_NAMES))
    if not cands:
        return None
    # a kind of field first (durations, counts, names), then one of them
    forms = _pick(rnd, [f for f in (YAML11_DURATIONS, YAML11_COUNTS, YAML11_NAMES) if any(c[2] is f for c in cands)])
    path, v, forms = _pick(rnd, [c for c in cands if c[2] is forms])
    new = Raw(_pick(rnd, forms))
    what = "duration" if forms is YAML11_DURATIONS else "count" if forms is YAML11_COUNTS else "name"
    return Mutation("yaml11", f"{fmt_path(path)}: {v!r} -> {new} (unquoted, YAML 1.1)", [("set", path, new)],
                    expect="refuse", touches_horizon=key_of(path) in ("horizon", "warmup"), kind=f"{what} {key_of(path)}")


def op_control_chars(tree: dict, rnd: Random) -> Mutation | None:
    cands = [(p, v) for p, v in nodes(tree) if key_of(p) == "name" and isinstance(v, str) and isinstance(p[-1], str)]
    if not cands:
        return None
    path, v = _pick(rnd, cands)
    ch = _pick(rnd, CONTROL_CHARS)
    i = rnd.randrange(len(v) + 1)
    new = v[:i] + ch + v[i:]
    return Mutation("control_chars", f"{fmt_path(path)}: {ch!r} inserted", [("set", path, new)], expect="refuse",
                    kind=repr(ch[0]))


def op_swap_duration_count(tree: dict, rnd: Random) -> Mutation | None:
    durs = [(p, v) for p, v in nodes(tree) if key_of(p) in DURATION_KEYS and isinstance(p[-1], str)
            and not isinstance(v, (dict, list))]
    counts = [(p, v) for p, v in nodes(tree) if key_of(p) in COUNT_KEYS | {"weight", "probability", "fraction", "cv"}
              and isinstance(p[-1], str) and not isinstance(v, (dict, list))]
    if not durs or not counts:
        return None
    (p1, v1), (p2, v2) = _pick(rnd, durs), _pick(rnd, counts)
    return Mutation("swap_duration_count", f"{fmt_path(p1)} ({v1!r}) <-> {fmt_path(p2)} ({v2!r})",
                    [("set", p1, v2), ("set", p2, v1)], touches_horizon=key_of(p1) in ("horizon", "warmup"))


def op_delete_key(tree: dict, rnd: Random) -> Mutation | None:
    cands = [p for p, _ in nodes(tree) if isinstance(p[-1], str)]
    path = _pick(rnd, cands)
    if path is None:
        return None
    return Mutation("delete_key", f"{fmt_path(path)} deleted", [("del", path)],
                    touches_horizon=path in (("horizon",), ("warmup",)))


def op_retype(tree: dict, rnd: Random) -> Mutation | None:
    path = _pick(rnd, [p for p, _ in nodes(tree)])
    if path is None:
        return None
    new = _pick(rnd, [None, True, "", {}, [], "abc", Raw("~"), [[]], {"x": 1}, 0])
    return Mutation("retype", f"{fmt_path(path)} -> {new!r}", [("set", path, new)],
                    touches_horizon=path in (("horizon",), ("warmup",)))


EXTREME_DISTS: list[dict] = [
    {"dist": "weibull", "shape": 0.001, "scale": "1h"}, {"dist": "weibull", "shape": 1000, "scale": "1h"},
    {"dist": "weibull", "shape": 0.01, "scale": "1e-300s"}, {"dist": "lognormal", "mu": 1000, "sigma": 1},
    {"dist": "lognormal", "mu": 1, "sigma": 100}, {"dist": "lognormal", "mu": -1000, "sigma": 1},
    {"dist": "lognormal", "mean": "5m", "cv": 1e200}, {"dist": "lognormal", "mean": "5m", "cv": 1e-200},
    {"dist": "gamma", "mean": "5m", "cv": 1e-200}, {"dist": "gamma", "mean": "5m", "cv": 1e200},
    {"dist": "gamma", "shape": 1e-300, "scale": 1}, {"dist": "gamma", "shape": 1e300, "scale": 1e-300},
    {"dist": "exponential", "mean": 1e-300}, {"dist": "exponential", "mean": "1e300s"},
    {"dist": "exponential", "mean": 1e308}, {"dist": "deterministic", "value": 0}, {"dist": "deterministic", "mean": 0},
    {"dist": "uniform", "low": 0, "high": 1e-300}, {"dist": "uniform", "low": 0, "high": 1e308},
    {"dist": "empirical", "samples": [0]}, {"dist": "empirical", "samples": [0, 1e308]},
    {"dist": "weibull", "mean": "1h", "cv": 20}, {"dist": "weibull", "mean": "1h", "cv": 0.05},
    {"dist": "lognormal", "mean": "1h", "sd": 1e300}, {"dist": "gamma", "mean": "1h", "sd": "1e-300s"},
    {"dist": "empirical", "samples": [1e-300] * 3}, {"dist": "deterministic", "value": 1e308},
]


def op_dist_extreme(tree: dict, rnd: Random) -> Mutation | None:
    cands = [p for p, v in nodes(tree) if isinstance(v, dict) and "dist" in v]
    path = _pick(rnd, cands)
    if path is None:
        return None
    new = _pick(rnd, EXTREME_DISTS)
    return Mutation("dist_extreme", f"{fmt_path(path)} -> {new}", [("set", path, new)])


def op_weights_extreme(tree: dict, rnd: Random) -> Mutation | None:
    choices: list[Mutation] = []
    for p, v in nodes(tree):
        k = key_of(p)
        if isinstance(v, dict) and v and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v.values()):
            mode = rnd.randrange(4)
            keys = list(v)
            if mode == 0:
                new = {x: 1e308 for x in keys}
            elif mode == 1:
                new = {x: (1e308 if i == 0 else 1e-308) for i, x in enumerate(keys)}
            elif mode == 2:
                new = {x: 0 for x in keys}
            else:
                new = {x: 5e-324 for x in keys}
            choices.append(Mutation("weights_extreme", f"{fmt_path(p)} -> {new}", [("set", p, new)]))
        elif isinstance(v, list) and k in ("hours", "hour_of_week") and v and all(isinstance(x, (int, float)) for x in v):
            new = _pick(rnd, [[1e308] * len(v), [0] * (len(v) - 1) + [1e-300], [1e308] + [1] * (len(v) - 1),
                              [5e-324] * len(v)])
            choices.append(Mutation("weights_extreme", f"{fmt_path(p)} -> [{new[0]}, ...]", [("set", p, new)]))
        elif isinstance(v, dict) and "weight" in v:
            new = _pick(rnd, [1e308, 0, 5e-324, 1e300])
            choices.append(Mutation("weights_extreme", f"{fmt_path(p)}.weight -> {new}", [("set", (*p, "weight"), new)]))
    if isinstance(tree.get("profiles"), dict):
        for name in tree["profiles"]:
            new = {"hour_of_week": _pick(rnd, [[1e308] * 168, [1e300] * 84 + [1] * 84, [0] * 167 + [1e-300]])}
            choices.append(Mutation("weights_extreme", f"profiles.{name} -> hour_of_week [{new['hour_of_week'][0]}, ...]",
                                    [("set", ("profiles", name), new)]))
    return _pick(rnd, choices)


def op_volume_zero(tree: dict, rnd: Random) -> Mutation | None:
    demand = tree.get("demand")
    if not isinstance(demand, list):
        return None
    edits = [("set", ("demand", i, "volume"), _pick(rnd, ["0/h", "0/week"])) for i, d in enumerate(demand) if isinstance(d, dict)]
    return Mutation("volume_zero", "every demand volume -> 0", edits) if edits else None


def op_outage_extreme(tree: dict, rnd: Random) -> Mutation | None:
    services = tree.get("services")
    if not isinstance(services, list) or not services:
        return None
    i = rnd.randrange(len(services))
    failures = _pick(rnd, [
        {"time_between": {"dist": "deterministic", "value": 0}, "time_to_restore": {"dist": "deterministic", "value": 0}},
        {"time_between": {"dist": "exponential", "mean": 0.001}, "time_to_restore": {"dist": "exponential", "mean": 0.001}},
        {"time_between": {"dist": "exponential", "mean": "1h"}, "time_to_restore": {"dist": "exponential", "mean": "30m"},
         "surge": "1e9/h"},
        {"time_between": {"dist": "exponential", "mean": "1s"}, "time_to_restore": {"dist": "deterministic", "value": 0},
         "surge": "100/h"},
        {"time_between": {"dist": "exponential", "mean": "1e-300s"}, "time_to_restore": {"dist": "exponential", "mean": "1h"}},
        {"time_between": {"dist": "exponential", "mean": "1w"}, "time_to_restore": {"dist": "exponential", "mean": "1e308s"}},
    ])
    return Mutation("outage_extreme", f"services[{i}].failures -> {failures}", [("set", ("services", i, "failures"), failures)])


def op_dates(tree: dict, rnd: Random) -> Mutation | None:
    if rnd.random() < 0.6:
        new = _pick(rnd, [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(9999, 12, 1), dt.date(1970, 1, 1),
                          dt.date(2026, 3, 29), dt.date(2026, 10, 25), dt.date(2024, 2, 29), dt.date(1900, 1, 1),
                          "2026-02-30", "0000-01-01", dt.date(1582, 10, 10)])
        return Mutation("dates", f"start -> {new}", [("set", ("start",), new)])
    new = _pick(rnd, ["Mars/Base", "Pacific/Kiritimati", "America/St_Johns", "Asia/Kathmandu", "", "UTC+1", "Europe/Stockholm",
                      "Etc/GMT+12", "Australia/Lord_Howe", "America/Scoresbysund", "local", "utc"])
    return Mutation("dates", f"timezone -> {new!r}", [("set", ("timezone",), new)])


def op_horizon(tree: dict, rnd: Random) -> Mutation | None:
    key = "horizon" if rnd.random() < 0.6 else "warmup"
    new = _pick(rnd, [0, "1s", 1e-9, "2000w", "100000w", "1e308s", "60w", "1e9w", "0.5s", "53w"])
    return Mutation("horizon", f"{key} -> {new!r}", [("set", (key,), new)], touches_horizon=True)


def _group_names(tree: dict) -> list[str]:
    return [g["name"] for g in tree.get("groups") or [] if isinstance(g, dict) and isinstance(g.get("name"), str)
            and g.get("role") != "desk"]


def op_routing_loop(tree: dict, rnd: Random) -> Mutation | None:
    groups = _group_names(tree)
    if len(groups) < 2 or not isinstance(tree.get("routing"), list):
        return None
    a, b = rnd.sample(groups, 2)
    kept = [r for r in tree["routing"] if not (isinstance(r, dict) and r.get("from") in (a, b))]
    exit_when = _pick(rnd, [{"channel": "phone", "type": "order"}, {"priority": "P1", "type": "order"}])
    new = kept + [{"from": a, "to": {b: 1.0}}, {"from": b, "when": exit_when, "to": {"resolved": 1.0}},
                  {"from": b, "to": {a: 1.0}}]
    return Mutation("routing_loop", f"{a} <-> {b}, exit only when {exit_when}", [("set", ("routing",), new)])


def op_empty_filter(tree: dict, rnd: Random) -> Mutation | None:
    cands = [(p, k) for p, v in nodes(tree) if isinstance(v, dict) and key_of(p) == "when" for k in v
             if k in ("service", "customer", "type", "channel", "priority")]
    if not cands:
        return None
    path, k = _pick(rnd, cands)
    return Mutation("empty_filter", f"{fmt_path(path)}.{k} -> []", [("set", (*path, k), [])], expect="refuse", kind=k)


def op_scope_nomatch(tree: dict, rnd: Random) -> Mutation | None:
    ags = tree.get("agreements")
    services = [s for s in tree.get("services") or [] if isinstance(s, dict)]
    if not isinstance(ags, list) or not ags:
        return None
    restricted = [(s["name"], s["customers"]) for s in services if isinstance(s.get("customers"), list)]
    customers = [c for c in tree.get("customers") or [] if isinstance(c, str)]
    i = rnd.randrange(len(ags))
    ag = ags[i]
    if not isinstance(ag, dict) or not isinstance(ag.get("targets"), list) or not ag["targets"]:
        return None
    j = rnd.randrange(len(ag["targets"]))
    t = ag["targets"][j]
    if not isinstance(t, dict):
        return None
    if ag.get("kind") == "SLA" and ag.get("customer") in customers and restricted:
        outside = [name for name, cs in restricted if ag["customer"] not in cs]
        if outside:
            when = {**(t.get("when") or {}), "service": _pick(rnd, outside)}
            return Mutation("scope_nomatch", f"agreements[{i}].targets[{j}].when -> {when} (a service {ag['customer']} does not use)",
                            [("set", ("agreements", i, "targets", j, "when"), when)], expect="warn", kind="service")
    when = {**(t.get("when") or {}), "channel": "phone", "type": "order"}  # no stream has phone orders
    return Mutation("scope_nomatch", f"agreements[{i}].targets[{j}].when -> {when} (no such demand)",
                    [("set", ("agreements", i, "targets", j, "when"), when)], expect="warn", kind="phone orders")


def op_never_open(tree: dict, rnd: Random) -> Mutation | None:
    choices: list[Mutation] = []
    groups = tree.get("groups") or []
    for i, g in enumerate(groups):
        if not isinstance(g, dict) or g.get("role") == "desk":
            continue
        if isinstance(g.get("shifts"), list):
            edits = [("set", ("groups", i, "shifts", j, "staff"), 0) for j in range(len(g["shifts"]))]
        else:
            edits = [("set", ("groups", i, "staff"), 0)]
        choices.append(Mutation("never_open", f"groups[{i}] ({g.get('name')}) never staffed", edits, expect="warn",
                                kind="group"))
    for i, s in enumerate(tree.get("suppliers") or []):
        if isinstance(s, dict) and isinstance(s.get("calendar"), str) and isinstance(tree.get("calendars"), dict) \
                and s["calendar"] in tree["calendars"]:
            start = tree.get("start") if isinstance(tree.get("start"), dt.date) else dt.date(2026, 1, 5)
            days = [start + dt.timedelta(days=d) for d in range(-7, 7 * 60)]
            choices.append(Mutation("never_open", f"suppliers[{i}] ({s.get('name')}): its calendar closed every day of the run",
                                    [("set", ("calendars", s["calendar"], "holidays"), days)], expect="warn",
                                    kind="supplier"))
    return _pick(rnd, choices)


def op_long_string(tree: dict, rnd: Random) -> Mutation | None:
    cands = [p for p, v in nodes(tree) if key_of(p) in ("name", "description") and isinstance(v, str)]
    path = _pick(rnd, cands)
    if path is None:
        return None
    new = _pick(rnd, ["x" * 100_000, "\u202e" + "gnp.exe", "\u200b", "a" * 5000 + "\u0301" * 5000, " ", "$\\macro$ {x} [red]"])
    return Mutation("long_string", f"{fmt_path(path)} -> {new[:20]!r}... ({len(new)} chars)", [("set", path, new)])


#: operator -> weight (relative frequency)
OPERATORS: dict[Callable[[dict, Random], Mutation | None], float] = {
    op_number_edge: 6, op_huge_count: 2, op_list_empty: 2, op_list_duplicate: 2, op_list_multiply: 2,
    op_ref_rename: 3, op_def_rename: 1.5, op_calendar: 3, op_unit_change: 3, op_yaml11: 3, op_control_chars: 2,
    op_swap_duration_count: 2, op_delete_key: 3, op_retype: 1, op_dist_extreme: 3, op_weights_extreme: 2,
    op_volume_zero: 0.7, op_outage_extreme: 2, op_dates: 1.5, op_horizon: 1.5, op_routing_loop: 1,
    op_empty_filter: 1, op_scope_nomatch: 1, op_never_open: 1, op_long_string: 0.7,
}
_OPS = list(OPERATORS)
_WEIGHTS = [OPERATORS[o] for o in _OPS]


@dataclass
class Case:
    index: int
    example: str
    base: dict  # the example with its horizon shrunk
    mutations: list[Mutation]

    def tree(self, mutations: list[Mutation] | None = None) -> dict:
        """The mutated scenario; raises LookupError when an oracle mutation could not be made."""
        t = tree_copy(self.base)
        for m in self.mutations if mutations is None else mutations:
            if not apply(t, m.edits) and m.expect:
                raise LookupError(f"{m.op} could not be applied")
        return t

    @property
    def oracle(self) -> Mutation | None:
        return next((m for m in self.mutations if m.expect), None)

    def describe(self) -> str:
        return "; ".join(f"{m.op}: {m.desc}" for m in self.mutations)


def make_case(examples: dict[str, Any], seed: int, index: int) -> Case:
    """Case ``index`` of ``seed``: a function of those two numbers only."""
    rnd = Random(f"{seed}/{index}")
    example = rnd.choice(EXAMPLE_NAMES)
    base = tree_copy(examples[example])
    shrink_horizon(base, rnd)
    tree = tree_copy(base)
    n = rnd.choices([1, 2, 3], [0.6, 0.28, 0.12])[0]
    muts: list[Mutation] = []
    for _ in range(20):
        if len(muts) >= n:
            break
        op = rnd.choices(_OPS, _WEIGHTS)[0]
        m = op(tree, rnd)
        if m is None:
            continue
        apply(tree, m.edits)
        muts.append(m)
        if m.expect:
            break  # an oracle mutation comes last, so that no later mutation undoes it
    return Case(index, example, base, muts)


# ------------------------------------------------------------------ running simsla


def simsla_command() -> list[str]:
    exe = Path(sys.executable).parent / "simsla"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("simsla")
    return [found] if found else [sys.executable, "-c", "from simsla.entry import main; main()"]


@dataclass
class Proc:
    code: int | None  # None: killed at the time limit
    stdout: str
    stderr: str
    wall: float
    cpu: float
    peak_rss: int  # bytes
    signal: int | None = None
    cut: bool = False  # stopped by the session's deadline, not by its own limit: no verdict


def _tree_pids(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return out


def _hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu(pids: list[int]) -> float:
    """CPU seconds of the processes (their reaped children included)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        except (OSError, ValueError, IndexError):
            pass
    return total / _TICK


#: a case is a hang when it passes its CPU limit, or this many times the limit in wall time (a loaded machine)
WALL_FACTOR = 4.0


def execute(argv: list[str], timeout: float, memory: int, cwd: Path, deadline: float | None = None) -> Proc:
    """Run ``argv`` in its own session under an address-space limit and a time limit.

    ``timeout`` is CPU seconds of the process tree, so that a machine shared with
    other work does not turn slow runs into hangs; ``WALL_FACTOR`` x ``timeout`` of
    wall time is the limit for a process that waits instead of computing.  At ``deadline``
    (``time.monotonic()``) the process is stopped without a verdict (``cut``).
    """
    def limits() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE", "PYTHONSTARTUP")}
    env.update({"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "160", "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
                "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg",
                "TYPER_STANDARD_TRACEBACK": "1", "_TYPER_STANDARD_TRACEBACK": "1",
                "PYTHONFAULTHANDLER": "1"})  # a hang is stopped with SIGABRT first: its Python stack goes to stderr  # plain tracebacks: one frame a line
    out_f, err_f = tempfile.TemporaryFile(dir=cwd), tempfile.TemporaryFile(dir=cwd)
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=out_f, stderr=err_f, stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                            preexec_fn=limits, start_new_session=True)
    peak, status, ru = 0, None, None
    killed = cut = False
    try:
        while True:
            pid, st, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status, ru = st, usage
                break
            pids = _tree_pids(proc.pid)
            peak = max(peak, sum(_hwm(p) for p in pids))
            if deadline is not None and time.monotonic() > deadline:
                cut = True
            if cut or _cpu(pids) > timeout or time.monotonic() - t0 > WALL_FACTOR * timeout:
                killed = True
                if not cut:  # SIGABRT first: faulthandler prints where it was
                    try:
                        os.kill(proc.pid, signal.SIGABRT)
                    except ProcessLookupError:
                        pass
                    t_abort = time.monotonic()
                    while time.monotonic() - t_abort < 2.0:
                        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
                        if pid:
                            break
                        time.sleep(0.05)
                    else:
                        pid = 0
                    if pid:
                        break
                _killpg(proc.pid)
                _, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05 if time.monotonic() - t0 < 2 else 0.1)
    except BaseException:
        _killpg(proc.pid)
        raise
    finally:
        _killpg(proc.pid)  # workers left behind by the child, if any (its own session)
    proc.returncode = os.waitstatus_to_exitcode(status) if status is not None else -9
    wall = time.monotonic() - t0
    out_f.seek(0)
    err_f.seek(0)
    stdout = out_f.read().decode("utf-8", "replace")
    stderr = err_f.read().decode("utf-8", "replace")
    out_f.close()
    err_f.close()
    cpu = (ru.ru_utime + ru.ru_stime) if ru else 0.0
    peak = max(peak, (ru.ru_maxrss * 1024) if ru else 0)
    code = proc.returncode
    if killed:
        return Proc(None, stdout, stderr, wall, cpu, peak, cut=cut)
    return Proc(code, stdout, stderr, wall, cpu, peak, signal=-code if code < 0 else None)


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


ESTIMATE_CODE = r"""
import dataclasses, json, sys
from simsla.io import load_scenario
from simsla.experiment import gate
scenario = load_scenario(sys.argv[1])
pre = gate.preflight(scenario)
est = getattr(pre, "estimate", pre)
if dataclasses.is_dataclass(est):
    data = dataclasses.asdict(est)
elif hasattr(est, "model_dump"):
    data = est.model_dump()
elif isinstance(est, dict):
    data = est
else:
    data = {k: getattr(est, k) for k in dir(est) if not k.startswith("_") and isinstance(getattr(est, k), (int, float))}
if hasattr(est, "analysis_seconds"):  # the evaluation of the targets after simulating (run uses -r 2)
    data["analysis_seconds"] = est.analysis_seconds(2)
print(json.dumps(data, default=str))
"""


_DESCRIBED = re.compile(r"([\d,.]+) events.*?([\d,.]+) MiB per replication")


def gate_estimate(path: Path, cwd: Path, memory: int, said: str = "") -> dict | None:
    """``preflight(scenario).estimate`` as a dict of numbers (None when the gate is missing or fails).

    Read from ``said`` (validate's output) when it prints the estimate (``ResourceEstimate.describe``),
    else computed in a subprocess.
    """
    if not GATE.exists():
        return None
    m = _DESCRIBED.search(said)
    if m:
        return {"events": float(m.group(1).replace(",", "")), "memory_mib": float(m.group(2).replace(",", ""))}
    p = execute([sys.executable, "-c", ESTIMATE_CODE, str(path)], 30, memory, cwd)
    if p.code != 0:
        return None
    try:
        data = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    return data if isinstance(data, dict) else None


def _estimate_numbers(est: dict) -> tuple[float | None, float | None]:
    """(memory bytes per replication, events per replication) from an estimate's fields, by their names."""
    memory = events = None
    for k, v in est.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        name = k.lower()
        if events is None and "event" in name:
            events = float(v)
        if memory is None and any(w in name for w in ("mem", "bytes", "rss")):
            scale = 2**30 if "gib" in name or "gb" in name else 2**20 if "mib" in name or "mb" in name else 1
            memory = float(v) * scale
    return memory, events


# ------------------------------------------------------------------ classification

TRACEBACK = "Traceback (most recent call last)"
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FIELD = re.compile(r"^[A-Za-z_][\w\-]*(\[[^\]\n]*\]|\.[^\s.\[\]]+)*$")
_FRAME = re.compile(r'File "([^"]*simsla/[^"]+)", line \d+, in (\S+)|(\S*simsla/[\w/]+\.py):\d+ in (\w+)')
_FAULT_FRAME = re.compile(r'File "([^"]*simsla/[^"]+)", line (\d+) in (\S+)')  # faulthandler: most recent call first
_EXCEPTION = re.compile(r"^(?:[a-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Warning|Failure|Limit)\b")


@dataclass
class Finding:
    cls: str
    stage: str
    last_line: str
    frame: str = ""
    detail: str = ""
    key: str = ""  # when set: the signature (oracle findings: the mutation's kind)

    @property
    def signature(self) -> str:
        if self.key:
            return f"{self.cls}|{self.key}"
        line = re.sub(r"\d+(\.\d+)?(e[+-]?\d+)?", "#", self.last_line)
        line = re.sub(r"/[\w./+-]*case\.yaml", "FILE", line)
        line = re.sub(r"'[^']*'", "'…'", line)[:160]
        return f"{self.cls}|{self.stage}|{self.frame}|{line}"


@dataclass
class Outcome:
    outcome: str  # refused | ran | exit3 | finding
    findings: list[Finding] = field(default_factory=list)
    validate: Proc | None = None
    run: Proc | None = None
    estimate: dict | None = None


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def _exception_line(text: str) -> str:
    """The exception line of a traceback (the last line that starts with an exception's name), else the last line."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if _EXCEPTION.match(lines[i]):
            return lines[i][:300]
    return lines[-1][:300] if lines else ""


def _top_frame(stderr: str) -> str:
    frames = _FRAME.findall(stderr)
    if not frames:
        return ""
    a, b, c, d = frames[-1]
    path, func = (a, b) if a else (c, d)
    return f"{path[path.rfind('simsla/'):]}:{func}"


def field_lines(stderr: str, path: Path) -> tuple[int, int]:
    """(problem lines naming a field, of those with a line number) in ``simsla`` output for ``path``."""
    named = with_line = 0
    prefix = str(path)
    for raw in stderr.splitlines():
        line = raw.strip()
        if line.startswith("error "):
            line = line[len("error "):]
        if not line.startswith(prefix):
            continue
        rest = line[len(prefix):]
        m = re.match(r"^(?::(\d+))?: (.*)$", rest)
        if not m:
            continue
        text = m.group(2)
        cuts = [i for i in range(len(text)) if text.startswith(": ", i)]
        if any(_FIELD.match(text[:i]) for i in cuts):  # a field path, then the message
            named += 1
            with_line += m.group(1) is not None
    return named, with_line


def crash(stage: str, p: Proc) -> Finding | None:
    """The finding in a process's result that is wrong whatever the exit code means (or None)."""
    if p.code is None:
        where = _FAULT_FRAME.search(p.stderr)
        frame = f"{where.group(1)[where.group(1).rfind('simsla/'):]}:{where.group(3)}" if where else ""
        return Finding("hang", stage, f"no exit within {p.cpu:.0f} s CPU, {p.wall:.0f} s wall (peak RSS "
                       f"{p.peak_rss / 2**20:.0f} MiB)" + (f"; busy in {frame} (line {where.group(2)})" if where else ""),
                       frame, detail=_last_line(p.stderr))
    if "MemoryError" in p.stderr or "Unable to allocate" in p.stderr or "std::bad_alloc" in p.stderr:
        return Finding("memory", stage, _exception_line(p.stderr), _top_frame(p.stderr))
    if TRACEBACK in p.stderr and re.search(r"^(ModuleNotFoundError|ImportError|SyntaxError|IndentationError): ",
                                           _exception_line(p.stderr)):
        return Finding("import-error", stage, _exception_line(p.stderr), _top_frame(p.stderr))  # simsla itself does not load
    if TRACEBACK in p.stderr or TRACEBACK in p.stdout:
        return Finding("traceback", stage, _exception_line(p.stderr) or _last_line(p.stdout), _top_frame(p.stderr))
    if p.signal:
        return Finding("signal", stage, f"killed by signal {signal.Signals(p.signal).name}", detail=_last_line(p.stderr))
    return None


def unsafe_output(stage: str, p: Proc) -> Finding | None:
    for name, text in (("stdout", p.stdout), ("stderr", p.stderr)):
        m = _UNSAFE.search(text)
        if m:
            i = m.start()
            return Finding("unsafe-output", stage, f"{name} holds {m.group()!r}: …{text[max(0, i - 40):i + 20]!r}…")
    return None


@dataclass
class Limits:
    validate_timeout: float = 20.0
    run_timeout: float = 60.0
    memory: int = 3 * 2**30
    rss_base: float = 600 * 2**20
    rss_factor: float = 4.0
    replications: int = 2
    deadline: float | None = None  # time.monotonic() at which a case in progress is dropped (the session ends)


def run_case(tree: dict, case_dir: Path, limits: Limits, oracle: Mutation | None = None) -> Outcome:
    """Write ``tree`` to a file, validate it and (when valid) run it; classify what happened."""
    case_dir.mkdir(parents=True, exist_ok=True)
    path = case_dir / "case.yaml"
    path.write_text(dump(tree), encoding="utf-8")
    cmd = simsla_command()
    v = execute([*cmd, "validate", str(path)], limits.validate_timeout, limits.memory, case_dir, limits.deadline)
    if v.cut:
        return Outcome("cut", validate=v)
    res = Outcome("refused", validate=v)
    expect = oracle.expect if oracle else None
    okey = f"{oracle.op}: {oracle.kind}" if oracle else ""
    f = crash("validate", v)
    if f:
        res.findings.append(f)
    elif v.code == 2:
        named, _ = field_lines(v.stderr, path)
        if not named:
            res.findings.append(Finding("exit2-no-field", "validate", _last_line(v.stderr) or "(no output)"))
    elif v.code == 3:
        res.outcome = "exit3"
        if not (v.stderr.strip() or v.stdout.strip()):
            res.findings.append(Finding("exit3-silent", "validate", "(no output)"))
    elif v.code != 0:
        res.findings.append(Finding("exit-other", "validate", f"exit {v.code}: {_last_line(v.stderr) or _last_line(v.stdout)}"))
    u = unsafe_output("validate", v)
    if u:
        res.findings.append(u)
    if v.code == 0:
        if expect == "refuse":
            res.findings.append(Finding("accepted-invalid", "validate", f"exit 0 (valid) for {oracle.op}: {oracle.desc}"[:300],
                                        key=okey))
        out_dir = case_dir / "out"
        # a run may take as long as the gate said evaluating its targets would (the slow-evaluation warning),
        # on top of the simulation's own limit: only time beyond both is a hang
        said = gate_estimate(path, case_dir, limits.memory, v.stdout + v.stderr) or {}
        allowance = limits.run_timeout + 2 * float(said.get("analysis_seconds") or 0.0)
        r = execute([*cmd, "run", str(path), "-r", str(limits.replications), "-s", "1", "-w", "1", "-o", str(out_dir)],
                    allowance, limits.memory, case_dir, limits.deadline)
        if r.cut:
            shutil.rmtree(out_dir, ignore_errors=True)
            return Outcome("cut", validate=v, run=r)
        res.run = r
        res.outcome = "ran"
        f = crash("run", r)
        if f:
            res.findings.append(f)
        elif r.code == 2:
            res.findings.append(Finding("run-refused-after-valid", "run", _last_line(r.stderr) or "(no output)"))
        elif r.code == 3:
            res.outcome = "exit3"
            if not (r.stderr.strip() or r.stdout.strip()):
                res.findings.append(Finding("exit3-silent", "run", "(no output)"))
        elif r.code != 0:
            res.findings.append(Finding("exit-other", "run", f"exit {r.code}: {_last_line(r.stderr) or _last_line(r.stdout)}"))
        u = unsafe_output("run", r)
        if u:
            res.findings.append(u)
        if expect == "warn" and r.code == 0 and "warn" not in (v.stdout + v.stderr + r.stdout + r.stderr).lower():
            res.findings.append(Finding("silent-warning", "run", f"validate and run exit 0 without a warning for "
                                        f"{oracle.op}: {oracle.desc}"[:300], key=okey))
        est = said or None  # the estimate read before the run
        res.estimate = est
        if est and r.code is not None:
            mem, events = _estimate_numbers(est)
            if mem is not None and r.peak_rss > limits.rss_base + limits.rss_factor * mem:
                res.findings.append(Finding("over-estimate", "run", f"peak RSS {r.peak_rss / 2**20:.0f} MiB vs estimate "
                                            f"{mem / 2**20:.1f} MiB per replication"))
            analysis = float(est.get("analysis_seconds") or 0.0)  # evaluating the targets, estimated by the gate
            if events is not None and r.cpu > 10 + 1e-4 * events * limits.replications + 2 * analysis:
                res.findings.append(Finding("over-estimate", "run", f"CPU {r.cpu:.1f} s vs estimate {events:.3g} events "
                                            "per replication"))
    shutil.rmtree(case_dir / "out", ignore_errors=True)
    if res.findings:
        res.outcome = "finding"
    return res


# ------------------------------------------------------------------ shrinking and saving


def _same(a: Outcome, sig: str) -> bool:
    return any(f.signature == sig for f in a.findings)


def shrink(case: Case, finding: Finding, work: Path, limits: Limits, budget_s: float, log: Callable[[str], None]) -> tuple[dict, list[Mutation]]:
    """A smaller tree with the same finding: drop mutations, then (not for oracles or hangs) delete parts of the scenario."""
    t_end = time.monotonic() + budget_s
    sig = finding.signature
    muts = list(case.mutations)
    tries = 0

    def still(tree: dict, oracle: Mutation | None) -> bool:
        nonlocal tries
        tries += 1
        return _same(run_case(tree, work / "shrink", limits, oracle), sig)

    slow = finding.cls in ("hang", "memory")
    if slow:
        limits = Limits(**{**limits.__dict__, "run_timeout": min(limits.run_timeout, 30), "validate_timeout": min(limits.validate_timeout, 15)})
    for m in list(muts):
        if len(muts) == 1 or time.monotonic() > t_end:
            break
        trial = [x for x in muts if x is not m]
        try:
            candidate = case.tree(trial)
        except LookupError:
            continue
        if still(candidate, next((x for x in trial if x.expect), None)):
            muts = trial
    tree = case.tree(muts)
    if finding.cls in ("accepted-invalid", "silent-warning") or slow:
        log(f"    shrunk to {len(muts)} mutation(s) in {tries} tries")
        return tree, muts
    oracle = next((x for x in muts if x.expect), None)
    protected = {p for m in muts for e in m.edits for p in [e[1][:i] for i in range(1, len(e[1]) + 1)]}
    changed = True
    while changed and time.monotonic() < t_end:
        changed = False
        for path in _deletion_candidates(tree):
            if time.monotonic() > t_end:
                break
            if path in protected:
                continue
            trial = tree_copy(tree)
            try:
                del get(trial, path[:-1])[path[-1]]
            except (KeyError, IndexError, TypeError):
                continue
            if still(trial, oracle):
                tree, changed = trial, True
                break
    log(f"    shrunk to {len(muts)} mutation(s), {count_nodes(tree)} YAML values, in {tries} tries")
    return tree, muts


def _deletion_candidates(tree: dict) -> list[tuple]:
    """Deletions worth trying, big ones first: top-level keys, then list items of the big lists, then fields of items."""
    top = [(k,) for k in tree if k not in ("name", "start", "horizon")]
    items = [(k, i) for k in ("agreements", "routing", "demand", "suppliers", "groups", "services", "customers")
             if isinstance(tree.get(k), list) for i in reversed(range(len(tree[k])))]
    inner = [(*p, k) for p, v in nodes(tree) if isinstance(v, dict) and len(p) in (2, 3) for k in v
             if k not in ("name", "dist", "from", "to", "metric", "fraction", "role")]
    return top + items + inner


def save(out: Path, n: int, case: Case, finding: Finding, tree: dict, muts: list[Mutation], res: Outcome | None,
         seed: int) -> Path:
    name = f"{finding.cls}-{n}.yaml"
    path = out / name
    cmd = "simsla validate FILE" if finding.stage == "validate" else "simsla validate FILE && simsla run FILE -r 2 -s 1 -w 1 -o DIR"
    header = [f"# semantic fuzzer finding: {finding.cls} ({finding.stage})",
              f"# reproduce: {cmd}",
              f"# from: scenarios/{case.example}.yaml, case {case.index} of seed {seed}",
              *(f"# mutation: {m.op}: {m.desc}"[:400] for m in muts),
              f"# last line: {finding.last_line}"[:600]]
    if finding.frame:
        header.append(f"# where: {finding.frame}")
    path.write_text("\n".join(h.replace("\n", "\\n").replace("\r", "\\r") for h in header) + "\n" + dump(tree),
                    encoding="utf-8")
    if res is not None:
        parts = []
        for stage, p in (("validate", res.validate), ("run", res.run)):
            if p is not None:
                parts.append(f"=== {stage}: exit {p.code}, {p.wall:.1f} s wall, {p.cpu:.1f} s CPU, peak RSS "
                             f"{p.peak_rss / 2**20:.0f} MiB\n--- stdout\n{p.stdout[-4000:]}\n--- stderr\n{p.stderr[-8000:]}\n")
        if res.estimate is not None:
            parts.append(f"=== estimate: {res.estimate}\n")
        path.with_suffix(".txt").write_text("".join(parts), encoding="utf-8")
    return path


# ------------------------------------------------------------------ the loop


@dataclass
class Report:
    cases: int = 0
    seconds: float = 0.0
    outcomes: dict[str, int] = field(default_factory=dict)
    by_op: dict[str, dict[str, int]] = field(default_factory=dict)
    findings: list[tuple[Finding, Case]] = field(default_factory=list)  # every finding, with its case
    distinct: dict[str, Path | None] = field(default_factory=dict)  # signature -> reproducer
    slowest_validate: float = 0.0
    out: Path | None = None

    def by_class(self) -> dict[str, list[tuple[Finding, Case]]]:
        out: dict[str, list[tuple[Finding, Case]]] = {}
        for f, c in self.findings:
            out.setdefault(f.cls, []).append((f, c))
        return out

    def table(self) -> str:
        lines = [f"{self.cases} cases in {self.seconds:.0f} s: " + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())),
                 f"slowest validate {self.slowest_validate:.2f} s", "",
                 "| class | cases | distinct | reproducer (first) | last line (first) |", "|---|---:|---:|---|---|"]
        for cls, items in sorted(self.by_class().items()):
            sigs = {f.signature for f, _ in items}
            first = items[0][0]
            repro = self.distinct.get(first.signature)
            lines.append(f"| {cls} | {len(items)} | {len(sigs)} | {repro or '-'} | {first.stage}: {first.last_line[:120]} |")
        if not self.findings:
            lines.append("| (none) | 0 | 0 | - | - |")
        lines += ["", "| operator | refused | ran | exit3 | finding |", "|---|---:|---:|---:|---:|"]
        for op, c in sorted(self.by_op.items()):
            lines.append(f"| {op} | {c.get('refused', 0)} | {c.get('ran', 0)} | {c.get('exit3', 0)} | {c.get('finding', 0)} |")
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = ["# semantic fuzzer findings", "", self.table(), "", "## distinct findings", ""]
        seen: set[str] = set()
        for f, c in self.findings:
            if f.signature in seen:
                continue
            seen.add(f.signature)
            lines.append(f"- **{f.cls}** ({f.stage}{', ' + f.frame if f.frame else ''}): `{f.last_line[:200]}` — "
                         f"reproducer `{self.distinct.get(f.signature) or '-'}`; case {c.index} ({c.example}): {c.describe()[:300]}")
        return "\n".join(lines) + "\n"


#: seconds after ``seconds`` that the last case may take before it is dropped
END_GRACE = 15.0


def fuzz(seed: int = 1, cases: int | None = None, seconds: float | None = 60.0, out: Path | None = None,
         shrink_budget: float = 120.0, limits: Limits | None = None, progress: Callable[[str], None] | None = None,
         start: int = 0) -> Report:
    """Run cases ``start, start+1, ...`` of ``seed`` until ``cases`` are done or ``seconds`` have passed."""
    limits = limits or Limits()
    log = progress or (lambda s: None)
    if seconds is not None:  # a case still running this long after the end is dropped (not counted)
        limits = Limits(**{**limits.__dict__, "deadline": time.monotonic() + seconds + END_GRACE})
    out = out or Path(tempfile.mkdtemp(prefix="simsla-fuzz-semantic-"))
    out.mkdir(parents=True, exist_ok=True)
    examples = load_examples()
    report = Report(out=out)
    t0 = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="work-", dir=out))
    i = start
    numbers: dict[str, int] = {}
    try:
        while (cases is None or report.cases < cases) and (seconds is None or time.monotonic() - t0 < seconds):
            case = make_case(examples, seed, i)
            i += 1
            if not case.mutations:
                continue
            res = run_case(case.tree(), work / "case", limits, case.oracle)
            if res.outcome == "cut":
                log(f"[  cut {time.monotonic() - t0:5.0f}s] #{case.index}: still running at the end; not counted")
                break
            report.cases += 1
            report.outcomes[res.outcome] = report.outcomes.get(res.outcome, 0) + 1
            for m in case.mutations:
                d = report.by_op.setdefault(m.op, {})
                d[res.outcome] = d.get(res.outcome, 0) + 1
            if res.validate:
                report.slowest_validate = max(report.slowest_validate, res.validate.wall)
            elapsed = time.monotonic() - t0
            log(f"[{report.cases:4d} {elapsed:5.0f}s] #{case.index} {case.example}: {case.describe()[:150]} -> {res.outcome}"
                + (f" ({', '.join(f.cls for f in res.findings)})" if res.findings else ""))
            for f in res.findings:
                report.findings.append((f, case))
                if f.signature in report.distinct:
                    continue
                log(f"  FINDING {f.cls} ({f.stage}) {f.frame}: {f.last_line[:200]}")
                tree, muts = case.tree(), case.mutations
                if shrink_budget > 0 and (seconds is None or time.monotonic() - t0 < seconds):
                    tree, muts = shrink(case, f, work, limits, shrink_budget, log)
                numbers[f.cls] = n = numbers.get(f.cls, 0) + 1
                report.distinct[f.signature] = save(out, n, case, f, tree, muts, res, seed)
                log(f"  saved {report.distinct[f.signature]}")
            if res.findings or report.cases % 20 == 0:  # the summary so far, for whoever reads it during a long run
                report.seconds = time.monotonic() - t0
                (out / "findings.md").write_text(report.markdown(), encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        report.seconds = time.monotonic() - t0
    (out / "findings.md").write_text(report.markdown(), encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=None, help="how long to fuzz (default 60 unless --cases is given)")
    ap.add_argument("--cases", type=int, default=None, help="stop after this many cases")
    ap.add_argument("--seed", type=int, default=1, help="which cases (default 1)")
    ap.add_argument("--start", type=int, default=0, help="first case index (default 0)")
    ap.add_argument("--out", type=Path, default=None, help="findings folder (default: a new temp folder)")
    ap.add_argument("--shrink-seconds", type=float, default=120.0, help="time to shrink each new finding (0: no shrinking)")
    ap.add_argument("--validate-timeout", type=float, default=20.0)
    ap.add_argument("--run-timeout", type=float, default=60.0)
    ap.add_argument("--memory-gib", type=float, default=3.0, help="address-space limit per process (default 3 GiB)")
    ap.add_argument("--rss-base-mib", type=float, default=600.0, help="over-estimate check: RSS allowed besides the estimate")
    ap.add_argument("--rss-factor", type=float, default=4.0, help="over-estimate check: multiple of the estimate allowed")
    ap.add_argument("--quiet", action="store_true", help="only findings and the summary")
    args = ap.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (None if args.cases else 60.0)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds: the case's process group is killed too
    limits = Limits(args.validate_timeout, args.run_timeout, int(args.memory_gib * 2**30), args.rss_base_mib * 2**20, args.rss_factor)

    def log(line: str) -> None:
        if not args.quiet or line.startswith("  "):
            print(line, flush=True)

    print(f"semantic fuzzer: seed {args.seed}, {'%d cases' % args.cases if args.cases else ''}"
          f"{' within ' if args.cases and seconds else ''}{'%.0f s' % seconds if seconds else ''}; "
          f"gate {'found' if GATE.exists() else 'absent (no estimate check)'}; simsla = {' '.join(simsla_command())}", flush=True)
    report = fuzz(args.seed, args.cases, seconds, args.out, args.shrink_seconds, limits, log, args.start)
    print("\n" + report.table())
    print(f"\nfindings and reproducers in {report.out} (summary: {report.out / 'findings.md'})")
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
