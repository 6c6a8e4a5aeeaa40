"""Executors for replications: serial, local processes, a local Dask cluster or a remote one.

``make_executor(spec)`` is a context manager yielding a
``concurrent.futures.Executor`` (or ``None`` for the serial default of
``simulate``) and closing whatever it opened on exit:

==================  ============================================================
spec                executor
==================  ============================================================
``None``/"serial"   ``None``: replications run one after the other in this process
"processes"         a ``ProcessPoolExecutor`` with one worker per core (its
                    workers end with this process: ``simsla.experiment.workers``)
"processes:N"       the same with ``N`` workers
"local"             a Dask ``LocalCluster(n_workers=2, threads_per_worker=1,
                    processes=True)`` on 127.0.0.1 and its client's executor
"local:N"           the same with ``N`` workers
"tcp://HOST:PORT"   a client of a running Dask scheduler, and its executor
==================  ============================================================

Results never depend on the executor (each replication's random numbers
depend only on the seed and its index).  Dask is only imported for the Dask
specs (``pip install simsla[cluster]``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from simsla.experiment.workers import closing, worker_pool


def describe(spec: str | None) -> str:
    """A one-line description of an executor spec (for progress lines and reports)."""
    kind, n = _parse(spec)
    return {"serial": "serial (this process)", "processes": f"{n} local processes",
            "local": f"Dask LocalCluster with {n} workers", "tcp": f"Dask scheduler at {spec}"}[kind]


def _parse(spec: str | None) -> tuple[str, int | None]:
    if spec is None:
        return "serial", 1
    text = str(spec).strip()
    low = text.lower()
    if low in ("", "serial", "none"):
        return "serial", 1
    if low.startswith("tcp://"):
        return "tcp", None
    name, _, count = low.partition(":")
    if name not in ("processes", "local"):
        raise ValueError(f"unknown executor {spec!r}; use serial, processes[:N], local[:N] or tcp://HOST:PORT")
    if count:
        try:
            n = int(count)
        except ValueError:
            raise ValueError(f"executor {spec!r}: the worker count after ':' must be a whole number") from None
        if n < 1:
            raise ValueError(f"executor {spec!r}: at least one worker")
    else:
        n = (os.cpu_count() or 1) if name == "processes" else 2
    return name, n


@contextmanager
def make_executor(spec: str | None) -> Iterator[Executor | None]:
    """Open the executor a spec names, yield it, and close what was opened.

    Parameters
    ----------
    spec : str or None
        ``None``/"serial", "processes[:N]", "local[:N]" or "tcp://HOST:PORT"
        (see the module docstring).

    Yields
    ------
    concurrent.futures.Executor or None
        ``None`` for serial (pass it as ``executor=`` anyway: the functions of
        simsla then run in this process).

    Raises
    ------
    ValueError
        For an unknown spec.
    """
    kind, n = _parse(spec)
    if kind == "serial":
        yield None
        return
    if kind == "processes":
        # workers die with this process; an abandoned run stops them at once instead of waiting
        with closing(worker_pool(n)) as pool:
            yield pool
        return
    from distributed import Client, LocalCluster

    if kind == "local":
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
        client = Client(cluster)
        try:
            yield client.get_executor()
        finally:
            client.close()
            cluster.close()
        return
    client = Client(str(spec).strip())
    try:
        yield client.get_executor()
    finally:
        client.close()
