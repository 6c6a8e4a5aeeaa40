"""A bounded run of the semantic fuzzer (``benchmarks/fuzz_semantic.py``): mutated example scenarios.

Every case must end in one of the promised outcomes: exit 2 naming a field,
a completed run, or exit 3 with an explanation -- never a traceback, a hang,
a memory blow-up, a value that must be refused accepted (YAML 1.1 forms,
control characters in names, unknown references, empty filters) or raw
control characters on the terminal.  The cases are a fixed, deterministic
prefix of seed ``SEED`` (about a minute); the long run is
``python benchmarks/fuzz_semantic.py --seconds 1200``.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = 10
CASES = 12
SECONDS = 50.0  # a loaded machine does fewer of the same cases, never other ones; a case still running
#               15 s after that is dropped


def _fuzzer():
    spec = importlib.util.spec_from_file_location("fuzz_semantic", ROOT / "benchmarks" / "fuzz_semantic.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fuzz_semantic", module)
    spec.loader.exec_module(module)
    return module


def test_cases_are_deterministic():
    fz = _fuzzer()
    examples = fz.load_examples()
    first = [fz.dump(fz.make_case(examples, SEED, i).tree()) for i in range(CASES)]
    again = [fz.dump(fz.make_case(fz.load_examples(), SEED, i).tree()) for i in range(CASES)]
    assert first == again


def test_mutated_scenarios_are_refused_run_or_explained(tmp_path):
    fz = _fuzzer()
    if not fz.simsla_command():
        pytest.skip("no simsla command")
    t0 = time.monotonic()
    limits = fz.Limits(validate_timeout=15.0, run_timeout=25.0)
    report = fz.fuzz(seed=SEED, cases=CASES, seconds=SECONDS, out=tmp_path, shrink_budget=0, limits=limits)
    took = time.monotonic() - t0
    print(f"semantic fuzzer: {report.cases} cases of seed {SEED} in {took:.0f} s: {report.outcomes}")
    assert report.cases >= 1, f"no case finished in {took:.0f} s"
    lines = [f"{f.cls} ({f.stage}): {f.last_line[:200]}  [case {c.index} {c.example}: {c.describe()[:200]}]"
             for f, c in report.findings]
    if lines:
        pytest.fail(f"{len(lines)} finding(s) in {report.cases} cases ({took:.0f} s); reproducers in {tmp_path}:\n"
                    + "\n".join(lines), pytrace=False)
