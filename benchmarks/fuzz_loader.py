"""Fuzz the scenario loader: whatever the bytes, ``load_scenario`` returns a Scenario or raises ScenarioError.

Usage::

    python benchmarks/fuzz_loader.py                 # 60 s
    python benchmarks/fuzz_loader.py --seconds 600   # longer
    python benchmarks/fuzz_loader.py --simulate      # also run one short replication of what loads

Inputs (drawn with hypothesis, in rounds until the time is up):

* YAML-ish text: YAML punctuation, keys of the scenario model, numbers, units,
  random unicode, tabs and control characters;
* mutations of the example scenarios (``scenarios/*.yaml``): fields deleted,
  duplicated, renamed (typos), retyped (numbers, booleans, null, NaN,
  infinities, huge numbers, dates, lists, mappings, unicode), list items
  duplicated or dropped, values wrapped in deep nesting; then dumped back to
  YAML and sometimes mutated as text (lines dropped, doubled, re-indented,
  characters inserted);
* raw bytes (invalid UTF-8, byte order marks, NULs).

Properties: every call ends within ``--timeout`` seconds and either returns a
``Scenario`` or raises ``ScenarioError`` whose problems have a file, a line
that is None or >= 1, a field path and a one-line message; a returned
Scenario survives the JSON round trip that ``Results.save``/``load`` make.
With ``--simulate``, a loaded scenario also runs one replication (horizon cut
to a day) without an exception other than ScenarioError/ValueError from the
engine's own checks.

Findings are printed (with the input saved under ``--out``) and counted; the
exit code is 1 when anything was found.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import faulthandler
import math
import os
import random
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simsla.io import ScenarioError, load_scenario  # noqa: E402
from simsla.model import Scenario  # noqa: E402

EXAMPLES = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "scenarios").glob("*.yaml"))]
KEYS = sorted({
    "name", "start", "timezone", "horizon", "warmup", "calendars", "hours", "holidays", "holiday_country", "services",
    "demand", "channel", "volume", "profile", "profiles", "intervals", "days", "weight", "hour_of_week", "groups",
    "role", "desk", "staff", "shifts", "handling", "dist", "mean", "cv", "first_contact_resolution", "default", "by",
    "when", "routing", "from", "to", "resolved", "suppliers", "response", "resolution", "agreements", "kind", "party",
    "targets", "metric", "threshold", "fraction", "priority_matrix", "matrix", "customers", "failures", "patience",
})
SCALARS = ["0", "1", "-1", "0.5", "1e999", "-1e999", ".nan", ".inf", "-.inf", "1e308", "1e-320", "99999999999999999999",
           "true", "no", "null", "~", "2026-01-05", "2026-02-30", "2026-13-45", "0x1F", "0o17", "1_000", "3m", "5 hours",
           "-3m", "20/h", "300/dag", "24h", "08:00-17:00", "25:00-26:00", "mon-fri", "P1", "phone", "portal", "desk",
           "'quoted'", '"dq"', "|", ">", "&a x", "*a", "!!str x", "!!python/object/apply:os.system ['true']", "!tag x",
           "<<: *a", "[]", "{}", "''", "ä", "\u202e", "\U0001f600", "\x85", "\ufeff", "1:2:3", "12:30", "+01:00"]
PUNCT = list(":-[]{},&*!|>'\"#?%@`\n\n\n  \t") + ["  ", "    ", "- ", ": ", "\n  ", "\n- ", "---\n", "...\n"]


class Timeout(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - signal handler
    raise Timeout()


# ------------------------------------------------------------------ strategies


yamlish = st.lists(
    st.one_of(st.sampled_from(PUNCT), st.sampled_from(KEYS), st.sampled_from(SCALARS),
              st.text(max_size=8), st.integers(-10**30, 10**30).map(str)),
    max_size=120,
).map("".join)

raw_bytes = st.one_of(
    st.binary(max_size=400),
    yamlish.map(lambda t: t.encode("utf-8")).flatmap(
        lambda b: st.tuples(st.just(b), st.binary(min_size=1, max_size=4), st.integers(0, max(len(b), 0)))
        .map(lambda x: x[0][: x[2]] + x[1] + x[0][x[2]:])),
    st.sampled_from([b"\xef\xbb\xbfname: x\n", b"\xff\xfen\x00a\x00", b"name: \x00\n", b"\x1b[31mname: x"]),
)


def _odd_value(draw) -> Any:
    return draw(st.one_of(
        st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20), st.sampled_from(SCALARS),
        st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
        st.lists(st.integers(-5, 5), max_size=5), st.dictionaries(st.text(max_size=6), st.integers(), max_size=3),
        st.just([[[[[[[[[[[["deep"]]]]]]]]]]]]), st.just({"dist": "exponential"}), st.just({"a": {"b": {"c": {}}}}),
    ))


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _get(data: Any, path: tuple) -> Any:
    for p in path:
        data = data[p]
    return data


def _typo(word: str, rnd: random.Random) -> str:
    if not word:
        return "x"
    i = rnd.randrange(len(word))
    op = rnd.randrange(4)
    if op == 0:
        return word[:i] + word[i + 1:]
    if op == 1:
        return word[:i] + word[i] + word[i:]
    if op == 2 and len(word) > 1:
        j = min(i + 1, len(word) - 1)
        return word[:i] + word[j] + word[i] + word[j + 1:]
    return word[:i] + rnd.choice("abcdefghijklmnopqrstuvwxyz_") + word[i + 1:]


@st.composite
def mutated_example(draw) -> str:
    data = copy.deepcopy(draw(st.sampled_from(EXAMPLES)))
    rnd = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 6))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = rnd.choice(paths)
        parent, key = _get(data, path[:-1]), path[-1]
        op = draw(st.sampled_from(["delete", "retype", "retype", "rename", "duplicate", "nest", "swap"]))
        if op == "delete":
            del parent[key]
        elif op == "retype":
            parent[key] = _odd_value(draw)
        elif op == "rename" and isinstance(parent, dict) and isinstance(key, str):
            parent[_typo(key, rnd)] = parent.pop(key)
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif op == "nest":
            v = parent[key]
            for _ in range(draw(st.integers(1, 80))):
                v = [v] if rnd.random() < 0.5 else {"x": v}
            parent[key] = v
        elif op == "swap":
            other = rnd.choice(paths)
            try:
                parent[key] = copy.deepcopy(_get(data, other))
            except (KeyError, IndexError, TypeError):
                pass
    try:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=draw(st.sampled_from([None, True, False])))
    except (yaml.YAMLError, RecursionError, ValueError):
        text = str(data)
    if draw(st.booleans()):
        lines = text.splitlines(keepends=True)
        for _ in range(draw(st.integers(1, 4))):
            if not lines:
                break
            i = rnd.randrange(len(lines))
            op = rnd.randrange(5)
            if op == 0:
                del lines[i]
            elif op == 1:
                lines.insert(i, lines[i])
            elif op == 2:
                lines[i] = " " * rnd.randrange(1, 4) + lines[i]
            elif op == 3:
                lines[i] = lines[i].replace(":", draw(st.sampled_from([": ", ":", " :", "::", ": &a", ": *a"])), 1)
            else:
                j = rnd.randrange(len(lines[i]) + 1)
                lines[i] = lines[i][:j] + draw(st.sampled_from(PUNCT + SCALARS)) + lines[i][j:]
        text = "".join(lines)
    return text


inputs = st.one_of(
    yamlish.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    raw_bytes,
    mutated_example().map(lambda t: t.encode("utf-8", "surrogatepass")),
    mutated_example().map(lambda t: t.encode("utf-8", "surrogatepass")),
    mutated_example().map(lambda t: t.encode("utf-8", "surrogatepass")),
)


# ------------------------------------------------------------------ the property


class Finding(Exception):
    """The loader broke its contract on an input."""


def check(raw: bytes, folder: Path, timeout: float, simulate: bool, stats: dict) -> None:
    path = folder / "case.yaml"
    path.write_bytes(raw)
    stats["cases"] += 1
    faulthandler.dump_traceback_later(timeout * 10, exit=True)  # a hang inside C code: dump the stacks and stop
    signal.setitimer(signal.ITIMER_REAL, timeout)
    t0 = time.perf_counter()
    try:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            stats["refused"] += 1
            assert exc.problems, "ScenarioError without problems"
            for p in exc.problems:
                assert p.file == str(path), p
                assert p.line is None or (isinstance(p.line, int) and p.line >= 1), p
                assert isinstance(p.field, str) and isinstance(p.message, str) and p.message.strip(), p
                assert "\n" not in p.message and "\n" not in p.field, p
            str(exc)
            return
        assert isinstance(scenario, Scenario), type(scenario)
        stats["loaded"] += 1
        again = Scenario.model_validate_json(scenario.model_dump_json(by_alias=True))
        assert again == scenario, "the scenario does not survive its JSON round trip (Results.save / load)"
        if simulate:
            from simsla.experiment.runner import replicate

            short = scenario.model_copy(update={"horizon": min(scenario.horizon, 86400.0), "warmup": 0.0})
            replicate(short, seed=1, replication=0, max_queue=5_000)
            stats["simulated"] += 1
    except Timeout:
        stats["last_raw"] = raw
        raise Finding(f"no answer within {timeout} s") from None
    except BaseException as exc:  # noqa: BLE001 - anything else is a finding
        if isinstance(exc, KeyboardInterrupt):
            raise
        stats["last_raw"] = raw
        raise Finding("".join(traceback.format_exception(exc)[-6:])) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()
        stats["slowest"] = max(stats["slowest"], time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="how long to fuzz (default 60)")
    ap.add_argument("--timeout", type=float, default=5.0, help="per-case bound in seconds (default 5)")
    ap.add_argument("--batch", type=int, default=200, help="examples per hypothesis round")
    ap.add_argument("--simulate", action="store_true", help="also simulate one short replication of what loads")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "simsla-fuzz", help="where failing inputs go")
    args = ap.parse_args(argv)

    signal.signal(signal.SIGALRM, _alarm)
    args.out.mkdir(parents=True, exist_ok=True)
    stats: dict[str, Any] = {"cases": 0, "refused": 0, "loaded": 0, "simulated": 0, "slowest": 0.0}
    findings: dict[str, bytes] = {}
    deadline = time.monotonic() + args.seconds
    work = Path(tempfile.mkdtemp(prefix="fuzz-", dir=args.out))

    @settings(max_examples=args.batch, deadline=None, database=None, derandomize=False, phases=[Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(inputs)
    def round_(raw: bytes) -> None:
        if time.monotonic() > deadline:
            return  # the rest of the round is only generated, not checked
        check(raw, work, args.timeout, args.simulate, stats)

    rounds = 0
    while time.monotonic() < deadline:
        rounds += 1
        try:
            round_()
        except Exception as exc:  # a Finding (shrunk), or hypothesis saying it was flaky
            key = str(exc).strip().splitlines()[-1][:200] if str(exc).strip() else type(exc).__name__
            if key not in findings:
                raw = stats.get("last_raw", b"")
                findings[key] = raw
                saved = args.out / f"finding-{len(findings)}.yaml"
                saved.write_bytes(raw)
                print(f"\n=== finding {len(findings)} (input in {saved}):\n{exc}\n--- input:\n{raw[:600]!r}", flush=True)
        print(f"\r{stats['cases']} cases ({stats['refused']} refused, {stats['loaded']} loaded, {stats['simulated']} simulated), "
              f"slowest {stats['slowest']:.2f} s, {len(findings)} findings, {max(0, deadline - time.monotonic()):.0f} s left",
              end="", flush=True)
    print(f"\ndone: {stats['cases']} cases in {rounds} rounds; {stats['refused']} refused, {stats['loaded']} loaded, "
          f"{stats['simulated']} simulated; slowest case {stats['slowest']:.2f} s; {len(findings)} distinct findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
