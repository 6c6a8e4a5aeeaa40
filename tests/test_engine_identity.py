"""The engine redesign (issue 14, item 1) changed no number: same scenario and seed, identical tables.

``tests/fixtures/engine_digests.json`` was recorded from the engine as it was
before the redesign (commit ``df71c03``, ``Replication``/``Pool``; its
``simsla/engine`` and ``simsla/model`` are those of main at ``f1cb040``, whose
municipal example has busy days and a volume calendar), by running this file
as a script::

    PYTHONPATH=<old tree> python tests/test_engine_identity.py --write

A case may be re-recorded on purpose, with the reason kept in the fixture
(``rerecorded``: case name -> why), by::

    python tests/test_engine_identity.py --rerecord <case name> ... --why "<reason>"

``resolves/seed1`` and ``resolves/seed2`` were, when a preemption stopped
being a SimPy event after the arrival that caused it and became a call
inside it: in that desk the handling time is drawn when work starts, and
two starts at one instant now draw in the other order.  Nothing else in the
fixture changed.

It holds, per case, the scenario (as plain data) and a SHA-256 of every
column of the ``RunLog`` — the tickets and segments tables byte for byte
(dtype included), the staffing steps, the outages, the stop time and the
instability message.  The cases: the shipped scenarios (the municipal and
university desks over two weeks, the Erlang C desk over its 28 days) and
small desks from ``tests/test_invariants.py``'s generator chosen to cover
preemption, hand-over and finish at shift end, customer waits, outages with
surges and major incidents, suppliers with capacity and calendars, and
handling times that depend on whether the visit resolves.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import simsla
from simsla.engine.replication import run

FIXTURE = Path(__file__).parent / "fixtures" / "engine_digests.json"
ROOT = Path(__file__).resolve().parent.parent


def digest(log) -> dict[str, str]:
    """SHA-256 per column of a RunLog (name, dtype and bytes), plus the stop time and instability."""
    out = {}

    def put(name: str, a: np.ndarray) -> None:
        a = np.ascontiguousarray(a)
        out[name] = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode() + a.tobytes()).hexdigest()

    for table in ("tickets", "segments"):
        for name, col in getattr(log, table).items():
            put(f"{table}.{name}", col)
    for name, (times, levels) in log.staffing.items():
        put(f"staffing.{name}.times", times)
        put(f"staffing.{name}.levels", levels)
    for name, col in log.outages.items():
        put(f"outages.{name}", col)
    out["stopped_at"] = repr(float(log.stopped_at))
    out["unstable"] = repr(log.unstable)
    out["rows"] = f"{len(log.tickets['time'])} tickets, {len(log.segments['ticket'])} segments"
    return out


def _cases() -> list[dict]:
    """The cases of the fixture: name, scenario data, seed, replication."""
    cases = []
    for stem, horizon in (("erlang-c", None), ("municipal-it-desk", 14 * 86400.0), ("university-helpdesk", 14 * 86400.0)):
        sc = simsla.load_scenario(ROOT / "scenarios" / f"{stem}.yaml")
        if horizon is not None:
            sc = sc.model_copy(update={"horizon": horizon})
        data = sc.model_dump(mode="json", by_alias=True)
        for seed, rep in ((1, 0), (7, 3)):
            cases.append({"name": f"{stem}/seed{seed}/rep{rep}", "scenario": data, "seed": seed, "replication": rep})
    resolves = {
        "name": "resolves", "start": "2026-01-05", "horizon": "14d",
        "services": [{"name": "a"}],
        "demand": [{"name": "t", "channel": "portal", "volume": "40/day"},
                   {"name": "c", "channel": "phone", "volume": "30/day"}],
        "patience": {"dist": "exponential", "mean": "2m"},
        "groups": [{"name": "desk", "role": "desk", "staff": 2, "first_contact_resolution": 0.5,
                    "handling": {"default": {"dist": "exponential", "mean": "5m"},
                                 "by": [{"resolves": True, "time": {"dist": "exponential", "mean": "20m"}}]}},
                   {"name": "l2", "staff": 3, "preemptive": True, "discipline": "priority",
                    "customer_wait": {"probability": 0.3, "duration": {"dist": "exponential", "mean": "1h"}},
                    "handling": {"default": {"dist": "exponential", "mean": "1h"},
                                 "by": [{"resolves": False, "time": {"dist": "exponential", "mean": "6m"}}]}}],
        "routing": [{"from": "desk", "to": {"l2": 1.0}}, {"from": "l2", "to": {"resolved": 0.7, "l2": 0.2, "desk": 0.1}}],
    }
    for seed in (1, 2):
        cases.append({"name": f"resolves/seed{seed}", "scenario": resolves, "seed": seed, "replication": 0})
    for i, data in enumerate(_generated()):
        for seed in (3, 11):
            cases.append({"name": f"generated{i}/seed{seed}", "scenario": data, "seed": seed, "replication": 1})
    return cases


def _generated(count: int = 300, keep: int = 10) -> list[dict]:
    """Small desks from the invariants' generator (derandomized), the ones that use the most engine features."""
    from hypothesis import HealthCheck, given, settings

    sys.path.insert(0, str(Path(__file__).parent))
    from test_invariants import scenarios

    found: list = []

    @settings(max_examples=count, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(scenarios())
    def collect(s):
        found.append(s)

    collect()

    def features(sc) -> int:
        g = sc.groups
        return (any(x.preemptive for x in g) + any(x.at_shift_end == "handover" for x in g)
                + any(x.at_shift_end == "finish" and x.shifts for x in g)
                + any(x.customer_wait is not None for x in g) + any(s.failures is not None for s in sc.services)
                + any(s.capacity for s in sc.suppliers) + any(s.calendar is not None for s in sc.suppliers)
                + (sc.patience is not None or any(d.patience is not None for d in sc.demand)) + len(sc.routing))

    distinct = list({json.dumps(s.model_dump(mode="json", by_alias=True), sort_keys=True): s for s in found}.values())
    # the richest few, and the rest spread over the generated sequence (neighbours are near-copies)
    ranked = sorted(range(len(distinct)), key=lambda i: -features(distinct[i]))[:keep // 2]
    spread = [i for i in np.linspace(0, len(distinct) - 1, 3 * keep).astype(int).tolist() if i not in ranked]
    ranked += spread[::3][: keep - len(ranked)]
    return [distinct[i].model_dump(mode="json", by_alias=True) for i in sorted(ranked)]


def _run(case: dict, scenarios: dict[str, dict]) -> dict[str, str]:
    sc = simsla.Scenario.model_validate(scenarios[case["scenario"]])
    return digest(run(sc, case["seed"], case["replication"]))


def _fixture() -> dict:
    return json.loads(FIXTURE.read_text()) if FIXTURE.exists() else {"scenarios": {}, "cases": []}


RECORDED = _fixture()


@pytest.mark.parametrize("case", RECORDED["cases"], ids=lambda c: c["name"])
def test_same_tables_as_the_engine_before_the_redesign(case):
    now = _run(case, RECORDED["scenarios"])
    diff = sorted(k for k in case["digest"] if now.get(k) != case["digest"][k])
    assert not diff, f"{case['name']}: columns differ from the recorded engine: {diff} ({now['rows']} now, " \
                     f"{case['digest']['rows']} recorded)"


def test_rerecorded_cases_say_why():
    """A case re-recorded on purpose names its reason, and exists."""
    names = {c["name"] for c in RECORDED["cases"]}
    for name, why in RECORDED.get("rerecorded", {}).items():
        assert name in names and len(why) > 20, (name, why)


if __name__ == "__main__" and "--rerecord" in sys.argv:
    args = sys.argv[sys.argv.index("--rerecord") + 1:]
    why = args[args.index("--why") + 1]
    names = args[:args.index("--why")]
    recorded = _fixture()
    for case in recorded["cases"]:
        if case["name"] in names:
            case["digest"] = _run(case, recorded["scenarios"])
            recorded.setdefault("rerecorded", {})[case["name"]] = why
            print(case["name"], case["digest"]["rows"], file=sys.stderr)
    FIXTURE.write_text(json.dumps(recorded, indent=1) + "\n")

if __name__ == "__main__" and "--write" in sys.argv:
    cases, scenarios = _cases(), {}
    for case in cases:  # each scenario stored once, under the name of its first case
        key = case["name"].split("/")[0]
        scenarios[key] = case["scenario"]
        case["scenario"] = key
        case["digest"] = _run(case, scenarios)
        print(case["name"], case["digest"]["rows"], str(case["digest"]["unstable"])[:60], file=sys.stderr)
    FIXTURE.write_text(json.dumps({"recorded_from": "df71c03", "scenarios": scenarios, "cases": cases}, indent=1) + "\n")
