"""Worker processes that never outlive the process that started them.

``ProcessPoolExecutor`` workers are ordinary child processes: when their
parent is killed (``kill -9``, the OOM killer, a closed terminal) nothing
tells them, and each goes on holding its memory (a municipal-year
replication is ~165 MB) until the replication in hand ends and then waits
for work forever.  Every pool simsla opens is made by :func:`worker_pool`,
whose workers

* on Linux ask the kernel to send them SIGKILL when their parent dies
  (``prctl(PR_SET_PDEATHSIG)``), which covers SIGKILL of the parent;
* everywhere run a watchdog thread that ends the worker within about a
  second once its parent is gone (the portable fallback, and a second line
  on Linux);
* leave SIGINT and SIGTERM to the parent: the command line turns them into
  a clean exit and stops the workers itself (:func:`stop_workers`), so a
  Ctrl-C to the whole process group prints one line, not a traceback per
  worker.

Nothing here touches random numbers: results stay identical whatever the
number of workers.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from simsla.process import process_exists

#: how often a worker's watchdog looks for its parent (seconds)
WATCH_EVERY = 0.5
#: linux/prctl.h
_PR_SET_PDEATHSIG = 1


def worker_pool(max_workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers end when this process ends, however it ends.

    Parameters
    ----------
    max_workers
        number of worker processes (at least 1); capped at :func:`worker_cap`
        (more processes than cores only cost memory, ~165 MB each for a
        municipal year, and never change the results).

    Returns
    -------
    concurrent.futures.ProcessPoolExecutor
        close it with :func:`closing` (or ``shutdown``/:func:`stop_workers`).
    """
    return ProcessPoolExecutor(max_workers=max(1, min(int(max_workers), worker_cap())), initializer=die_with_parent,
                               initargs=(os.getpid(),))


def worker_cap() -> int:
    """The most worker processes a pool gets: twice the cores, at least 4 (61 on Windows, its limit)."""
    cap = max(4, 2 * (os.cpu_count() or 1))
    return min(cap, 61) if os.name == "nt" else cap


def die_with_parent(parent: int) -> None:
    """Initializer of a worker: end this process when ``parent`` (or the worker's own parent) is gone.

    Parameters
    ----------
    parent
        process id of the process that opened the pool.  With the ``fork``
        and ``spawn`` start methods it is the worker's parent; with
        ``forkserver`` the parent is the fork server and ``parent`` is
        watched as well.
    """
    # the parent handles interruption and then stops the workers; a worker
    # raising KeyboardInterrupt mid-task would only add a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _ask_kernel_for_sigkill()
    ppid = os.getppid()
    if not _alive(parent, ppid):
        # the parent died before the request above took effect
        os._exit(1)
    threading.Thread(target=_watch, args=(parent, ppid), name="simsla-watchdog", daemon=True).start()


def _ask_kernel_for_sigkill() -> bool:
    """Linux: SIGKILL to this process when its parent thread ends.  False where unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _alive(parent: int, ppid: int) -> bool:
    """The worker still has the parent it started with, and the pool's owner exists."""
    if os.name == "nt":  # Windows re-parents nobody: ask whether the owner still runs
        return process_exists(parent)
    if os.getppid() != ppid:  # re-parented: the parent is gone
        return False
    return parent == ppid or process_exists(parent)


def _watch(parent: int, ppid: int) -> None:
    while _alive(parent, ppid):
        time.sleep(WATCH_EVERY)
    os._exit(1)


def stop_workers(pool: ProcessPoolExecutor, grace: float = 2.0) -> None:
    """Stop a pool now: cancel what has not started and end the workers (the replications in hand are lost).

    Used when the run is being abandoned (Ctrl-C, SIGTERM, an error), where
    waiting for the replications in hand could take minutes.

    Parameters
    ----------
    pool
        the pool to stop.
    grace
        seconds to wait for the workers after SIGTERM before SIGKILL.
    """
    if hasattr(pool, "terminate_workers"):  # Python 3.14+
        pool.terminate_workers()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    # a task still on its way to a worker sits in a pipe written by a feeder thread; with the workers
    # gone nobody reads it, and joining that thread (at shutdown, at exit) would wait for ever
    queue = getattr(pool, "_call_queue", None)
    if queue is not None:
        with contextlib.suppress(Exception):
            queue.cancel_join_thread()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(1.0)


@contextlib.contextmanager
def closing(pool: ProcessPoolExecutor) -> Iterator[ProcessPoolExecutor]:
    """Use a pool, then shut it down: waiting on success, at once (:func:`stop_workers`) on any exception."""
    try:
        yield pool
    except BaseException:
        stop_workers(pool)
        raise
    pool.shutdown(wait=True, cancel_futures=True)
