"""A real Dask cluster: a ``dask scheduler`` and ``dask worker`` processes started here, as on a cluster.

Unlike ``LocalCluster`` (``tests/test_decide_executors.py``), the workers are
separate programs that know nothing of this process: they import simsla from
their own environment, receive scenarios and replication indices over TCP,
and send the replications' tables back.  The numbers must equal a serial
run's exactly, through ``simulate`` and through the ``simsla run --cluster``
command line.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import simsla
from simsla.decide.executors import make_executor

pytest.importorskip("distributed")
DASK = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers on 127.0.0.1, torn down afterwards."""
    if DASK is None:
        pytest.skip("the `dask` command is not installed")
    folder = tmp_path_factory.mktemp("cluster")
    file = folder / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0",
                               "--scheduler-file", str(file)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=env, start_new_session=True)]
    try:
        deadline = time.time() + 60
        while not file.exists() and time.time() < deadline:
            time.sleep(0.2)
        assert file.exists(), "the scheduler did not start within 60 s"
        address = json.loads(file.read_text())["address"]
        procs.append(subprocess.Popen([DASK, "worker", address, "--nworkers", "2", "--nthreads", "1",
                                       "--no-dashboard", "--memory-limit", "2GiB"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, env=env, start_new_session=True))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def small() -> simsla.Scenario:
    sc = simsla.load_scenario(ROOT / "scenarios" / "erlang-c.yaml")
    data = sc.model_dump(mode="json", exclude_defaults=True)
    data["horizon"] = "3d"
    data["patience"] = {"dist": "exponential", "mean": "1m"}
    return simsla.Scenario.model_validate(data)


def test_a_real_cluster_gives_the_serial_numbers(cluster):
    sc = small()
    serial = simsla.simulate(sc, replications=4, seed=11, workers=1)
    with make_executor(cluster) as ex:
        remote = simsla.simulate(sc, replications=4, seed=11, executor=ex)
    assert len(serial.tickets) > 1000
    pd.testing.assert_frame_equal(serial.tickets, remote.tickets, check_exact=True)
    pd.testing.assert_frame_equal(serial.segments, remote.segments, check_exact=True)


def test_simsla_run_on_a_cluster_writes_the_serial_summary(cluster, tmp_path):
    def run(*extra):
        out = tmp_path / ("c" if extra else "s")
        cmd = [sys.executable, "-c", "from simsla.entry import main; main()", "run", str(ROOT / "scenarios" / "erlang-c.yaml"), "-r", "3", "-s", "5",
               "-o", str(out), *extra]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads((out / "summary.json").read_text())

    local, remote = run(), run("--cluster", cluster)
    for key in ("tickets", "groups", "channels", "targets"):
        assert local[key] == remote[key], key
