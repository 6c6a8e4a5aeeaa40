"""simsla.decide.executors: specs, and the same numbers from every executor (serial, 2 processes, Dask LocalCluster)."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import pytest

import simsla
from simsla.decide._replicate import run_tasks, target_replication
from simsla.decide.executors import describe, make_executor


def small() -> simsla.Scenario:
    return simsla.Scenario.model_validate({
        "name": "determinism", "start": "2026-01-05", "timezone": "UTC", "horizon": "1d", "warmup": "2h",
        "services": [{"name": "helpdesk"}],
        "patience": {"dist": "exponential", "mean": "2m"},
        "demand": [{"name": "calls", "channel": "phone", "type": "incident", "volume": "30/h",
                    "impact": {"high": 0.2, "low": 0.8}}],
        "groups": [{"name": "desk", "role": "desk", "first_contact_resolution": 0.7, "discipline": "fifo",
                    "shifts": [{"days": "all", "hours": "07:00-19:00", "staff": 4},
                               {"days": "all", "hours": "19:00-07:00", "staff": 2}],
                    "handling": {"dist": "lognormal", "mean": "5m", "cv": 1.2}},
                   {"name": "second", "staff": 3, "handling": {"dist": "exponential", "mean": "20m"}}],
        "routing": [{"from": "desk", "to": {"second": 1.0}}],
        "agreements": [{"name": "SLA", "kind": "SLA", "period": "week", "targets": [
            {"name": "answered", "metric": "answer_time", "threshold": "20s", "fraction": 0.8},
            {"name": "resolved", "metric": "resolution", "threshold": "1h", "fraction": 0.8}]}],
    })


def test_specs() -> None:
    with make_executor(None) as ex:
        assert ex is None
    with make_executor("serial") as ex:
        assert ex is None
    with make_executor("processes:2") as ex:
        assert isinstance(ex, ProcessPoolExecutor) and ex._max_workers == 2
    assert describe("local") == "Dask LocalCluster with 2 workers"
    assert describe("tcp://127.0.0.1:8786").startswith("Dask scheduler")
    for bad in ("threads", "processes:two", "processes:0"):
        with pytest.raises(ValueError):
            with make_executor(bad):
                pass


def test_same_seed_same_numbers_serial_processes_and_dask() -> None:
    sc = small()
    keys = ["SLA / answered", "SLA / resolved"]
    tasks = [(sc, 7, r, keys) for r in range(4)]
    serial = simsla.simulate(sc, replications=4, seed=7, workers=1)
    reduced_serial = run_tasks(target_replication, tasks, None, 1)
    with make_executor("processes:2") as ex:
        procs = simsla.simulate(sc, replications=4, seed=7, executor=ex)
        reduced_procs = run_tasks(target_replication, tasks, ex)
    with make_executor("local") as ex:
        dask = simsla.simulate(sc, replications=4, seed=7, executor=ex)
        reduced_dask = run_tasks(target_replication, tasks, ex)
    assert len(serial.tickets) > 500 and serial.tickets["outcome"].eq("abandoned").any()
    for other in (procs, dask):
        pd.testing.assert_frame_equal(serial.tickets, other.tickets, check_exact=True)
        pd.testing.assert_frame_equal(serial.segments, other.segments, check_exact=True)
    strip = lambda rs: [{k: v for k, v in r.items() if k != "seconds"} for r in rs]  # noqa: E731
    assert strip(reduced_serial) == strip(reduced_procs) == strip(reduced_dask)
