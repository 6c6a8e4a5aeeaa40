"""``simsla run`` stopped half-way: Ctrl-C, SIGTERM and kill -9 never leave a results folder that reads as
complete, nor worker processes behind.

The command runs as a real process (the console script next to
``sys.executable``) in a session of its own, so that "Ctrl-C" can be sent the
way a terminal sends it: SIGINT to the whole process group (the worker
processes too).  SIGINT to the main process alone and SIGKILL are tried as
well, during the simulation and while the folder is being written (the
temporary folder ``.NAME.*`` next to it is watched for).  Afterwards the
results folder must either not exist or be a complete earlier run that
``simsla.Results.load`` reads, and the only things left next to it may be
hidden (their names start with '.'; a kill -9 cannot clean up).

Worker processes are found through ``/proc`` (the members of the command's
process group): after a kill -9 of the command alone they must be gone
within seconds (they die with their parent, ``simsla.experiment.workers``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from simsla import Results, load_scenario, simulate

ROOT = Path(__file__).resolve().parent.parent
MUNICIPAL = ROOT / "scenarios" / "municipal-it-desk.yaml"
ERLANG_C = ROOT / "scenarios" / "erlang-c.yaml"
#: how long a stopped run may take to end (a worker may finish the replication in hand)
ENDS_WITHIN = 15.0
#: how long the workers of a killed command may outlive it
WORKERS_GONE_WITHIN = 10.0
#: how long a command may take to start its workers on a loaded machine
WORKERS_START_WITHIN = 180.0

pytestmark = pytest.mark.skipif(os.name != "posix" or not Path("/proc/self/stat").exists(),
                                reason="POSIX signals and process groups, /proc")


def _command() -> list[str]:
    script = Path(sys.executable).with_name("simsla")
    return [str(script)] if script.exists() else [sys.executable, "-m", "simsla.cli"]


def _default_sigint() -> None:  # pragma: no cover - runs in the child
    # a shell that starts jobs in the background ignores SIGINT for them; Python then never raises KeyboardInterrupt
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """``simsla run`` as a child process with its own process group; output to files (no pipe to fill)."""

    def __init__(self, tmp: Path, out: Path, *args: str, command: str = "run"):
        self.stdout, self.stderr = tmp / "stdout.txt", tmp / "stderr.txt"
        with open(self.stdout, "w") as so, open(self.stderr, "w") as se:
            self.proc = subprocess.Popen([*_command(), command, *args, "--out", str(out)], cwd=ROOT, stdout=so, stderr=se,
                                         preexec_fn=_default_sigint, start_new_session=True,
                                         env={**os.environ, "COLUMNS": "200"})

    def signal(self, sig: int, group: bool = True) -> None:
        if group:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)

    def wait(self, timeout: float) -> tuple[int, float]:
        t0 = time.monotonic()
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"the run did not end within {timeout} s of the signal")
        return rc, time.monotonic() - t0

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def survivors(self) -> list[int]:
        """Processes of the run's group still alive (orphaned workers once the run has ended)."""
        return [pid for pid in group_members(self.proc.pid) if pid != os.getpid()]

    def wait_for_workers(self, count: int = 2) -> list[int]:
        """Wait until ``count`` worker processes run next to the command; their process ids."""
        deadline = time.monotonic() + WORKERS_START_WITHIN
        while time.monotonic() < deadline:
            workers = [pid for pid in self.survivors() if pid != self.proc.pid]
            if len(workers) >= count:
                return workers
            if self.proc.poll() is not None:
                pytest.fail(f"the command ended before starting {count} workers: {self.text()}")
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"the command did not start {count} workers within {WORKERS_START_WITHIN} s")

    def wait_until_alone(self, timeout: float) -> tuple[list[int], float]:
        """Wait until no process of the group is left; those still there after ``timeout`` and the time taken."""
        t0 = time.monotonic()
        while self.survivors() and time.monotonic() - t0 < timeout:
            time.sleep(0.05)
        return self.survivors(), time.monotonic() - t0

    def text(self) -> tuple[str, str]:
        return self.stdout.read_text(errors="replace"), self.stderr.read_text(errors="replace")


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is ``pgid``, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended while we looked
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, pgrp, ...
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def wait_for_temp_folder(run: Run, out: Path, timeout: float = 240.0) -> bool:
    """Wait until the results are being written (the hidden temporary folder appears); False if the run ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.name.startswith(f".{out.name}.") for p in out.parent.iterdir()):
            return True
        if run.proc.poll() is not None:
            return False
        time.sleep(0.005)
    run.kill()
    pytest.fail("the run did not start writing its results in time")


def check_folder(out: Path, expected_name: str | None = None) -> None:
    """``out`` does not exist or is complete (loads); nothing visible left next to it."""
    if out.exists():
        assert (out / "summary.json").is_file(), f"{out} exists without summary.json: {sorted(p.name for p in out.iterdir())}"
        results = Results.load(out)
        assert len(results.runs) == results.replications
        if expected_name is not None:
            assert results.scenario.name == expected_name
    else:
        assert expected_name is None, f"the earlier results in {out} are gone"
    others = [p.name for p in out.parent.iterdir() if p.name != out.name and p.name not in ("stdout.txt", "stderr.txt")]
    visible = [n for n in others if not n.startswith(".")]
    assert not visible, f"left next to the results: {visible}"
    if others:
        warnings.warn(f"hidden leftovers next to {out.name}: {others}", stacklevel=2)


def check_clean_exit(run: Run, rc: int) -> None:
    stdout, stderr = run.text()
    assert "Traceback" not in stderr and "Traceback" not in stdout, stderr[-3000:]
    assert rc != 0, "an interrupted run must not report success"
    assert len(stderr.strip().splitlines()) <= 3, f"more than a short message on stderr:\n{stderr}"
    time.sleep(0.5)
    assert not run.survivors(), "worker processes outlived the run"


@pytest.fixture()
def earlier(tmp_path) -> tuple[Path, str]:
    """A complete results folder from a short Erlang C run."""
    scenario = load_scenario(ERLANG_C)
    short = scenario.model_copy(update={"horizon": 4 * 3600.0, "warmup": 0.0})
    out = tmp_path / "results"
    simulate(short, replications=1, seed=3, workers=1).save(out)
    Results.load(out)
    return out, short.name


# ------------------------------------------------------------ during the run


@pytest.mark.parametrize("group", [True, False], ids=["ctrl-c", "sigint-to-main"])
def test_ctrl_c_during_the_run(tmp_path, group):
    out = tmp_path / "results"
    run = Run(tmp_path, out, str(MUNICIPAL), "-r", "20", "-w", "2", "-s", "1")
    try:
        run.wait_for_workers(2)  # past imports, loading and the checks: the replications are running
        assert run.proc.poll() is None, run.text()
        run.signal(signal.SIGINT, group=group)
        rc, took = run.wait(ENDS_WITHIN)
    finally:
        run.kill()
    check_clean_exit(run, rc)
    assert rc == 130
    assert "interrupted" in run.text()[1]
    check_folder(out)
    assert not out.exists()


def test_ctrl_c_while_starting(tmp_path):
    out = tmp_path / "results"
    run = Run(tmp_path, out, str(MUNICIPAL), "-r", "20", "-w", "2")
    try:
        time.sleep(0.5)
        run.signal(signal.SIGINT)
        rc, _ = run.wait(ENDS_WITHIN)
    finally:
        run.kill()
    check_clean_exit(run, rc)
    check_folder(out)


def test_kill_during_the_run(tmp_path):
    out = tmp_path / "results"
    run = Run(tmp_path, out, str(MUNICIPAL), "-r", "20", "-w", "2", "-s", "1")
    try:
        run.wait_for_workers(2)
        run.signal(signal.SIGKILL)
        rc, _ = run.wait(ENDS_WITHIN)
    finally:
        run.kill()
    assert rc == -signal.SIGKILL
    check_folder(out)
    assert not out.exists()


# ------------------------------------------------------- while writing


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_stopped_while_writing(tmp_path, sig):
    out = tmp_path / "results"
    run = Run(tmp_path, out, str(MUNICIPAL), "-r", "2", "-w", "2", "-s", "1")
    try:
        writing = wait_for_temp_folder(run, out)
        run.signal(sig)
        rc, _ = run.wait(ENDS_WITHIN)
    finally:
        run.kill()
    if sig == signal.SIGINT:
        check_clean_exit(run, rc) if writing else None
    check_folder(out)  # absent, or complete if the signal came after the rename


# ------------------------------------------- an earlier result survives


@pytest.mark.parametrize("when", ["running", "writing"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_earlier_results_survive_a_stopped_rerun(tmp_path, earlier, sig, when):
    out, name = earlier
    run = Run(tmp_path, out, str(MUNICIPAL), "-r", "2" if when == "writing" else "20", "-w", "2", "-s", "1")
    try:
        if when == "writing":
            wait_for_temp_folder(run, out)
        else:
            run.wait_for_workers(2)
        run.signal(sig)
        rc, _ = run.wait(ENDS_WITHIN)
    finally:
        run.kill()
    if sig == signal.SIGINT:
        check_clean_exit(run, rc)
    if out.exists() and Results.load(out).scenario.name != name:
        check_folder(out)  # the new run got through its rename before the signal: complete, and that is fine
    else:
        check_folder(out, expected_name=name)


# ------------------------------------------------------- workers never outlive the command

SWEEP = ["--vary", "demand[*].volume=x1,x1.1", "-r", "2", "-w", "2", "-s", "1"]


@pytest.mark.parametrize("command, args", [
    ("run", [str(MUNICIPAL), "-r", "20", "-w", "2", "-s", "1"]),
    ("staff", [str(MUNICIPAL), "-w", "2"]),
    ("sweep", [str(MUNICIPAL), *SWEEP]),
], ids=["run", "staff", "sweep"])
def test_workers_die_with_a_killed_command(tmp_path, command, args):
    out = tmp_path / "out"
    run = Run(tmp_path, out, *args, command=command)
    try:
        workers = run.wait_for_workers(2)
        run.signal(signal.SIGKILL, group=False)  # the command alone, as the OOM killer or kill -9 PID would
        rc, _ = run.wait(ENDS_WITHIN)
        left, took = run.wait_until_alone(WORKERS_GONE_WITHIN)
    finally:
        run.kill()
    assert rc == -signal.SIGKILL
    assert not left, f"workers {left} of {workers} outlived the killed `simsla {command}` by {took:.1f} s"


@pytest.mark.parametrize("command, args", [
    ("run", [str(MUNICIPAL), "-r", "20", "-w", "2", "-s", "1"]),
    ("sweep", [str(MUNICIPAL), *SWEEP]),
], ids=["run", "sweep"])
def test_sigterm_ends_the_command_like_ctrl_c(tmp_path, command, args):
    out = tmp_path / "out"
    run = Run(tmp_path, out, *args, command=command)
    try:
        run.wait_for_workers(2)
        run.signal(signal.SIGTERM, group=False)  # `kill PID`, a service manager stopping the job
        rc, _ = run.wait(ENDS_WITHIN)
        left, _ = run.wait_until_alone(WORKERS_GONE_WITHIN)
    finally:
        run.kill()
    assert not left, f"workers {left} outlived the terminated command"
    check_clean_exit(run, rc)
    assert rc == 143
    assert run.text()[1].strip() == f"terminated: nothing new was written to {out}"
    assert not out.exists()  # nothing half-written; a sweep's claim on a new folder is given back


def test_sigterm_leaves_the_earlier_results(tmp_path, earlier):
    out, name = earlier
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    run = Run(tmp_path, out, str(MUNICIPAL), "-r", "20", "-w", "2", "-s", "1")
    try:
        run.wait_for_workers(2)
        run.signal(signal.SIGTERM, group=False)
        rc, _ = run.wait(ENDS_WITHIN)
        left, _ = run.wait_until_alone(WORKERS_GONE_WITHIN)
    finally:
        run.kill()
    assert not left
    check_clean_exit(run, rc)
    assert rc == 143
    check_folder(out, expected_name=name)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_sigterm_while_starting(tmp_path):
    out = tmp_path / "results"
    run = Run(tmp_path, out, str(MUNICIPAL), "-r", "20", "-w", "2")
    try:
        time.sleep(0.3)  # importing
        run.signal(signal.SIGTERM, group=False)
        rc, _ = run.wait(ENDS_WITHIN)
    finally:
        run.kill()
    check_clean_exit(run, rc)
    assert rc == 143
    check_folder(out)


POOL_OWNER = """
import os, sys, time
import simsla.experiment.workers as workers
if sys.argv[1] == "watchdog-only":  # as on a system without prctl: only the portable watchdog is left
    workers._ask_kernel_for_sigkill = lambda: False
if sys.argv[2] == "executor":
    from simsla.decide.executors import make_executor
    opened = make_executor("processes:2")  # kept: a collected context manager would close the pool
    pool = opened.__enter__()
else:
    pool = workers.worker_pool(2)
futures = [pool.submit(time.sleep, 600) for _ in range(2)]
while len(getattr(pool, "_processes", {})) < 2:
    time.sleep(0.05)
print(" ".join(str(pid) for pid in pool._processes), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("guard", ["kernel", "watchdog-only"])
@pytest.mark.parametrize("maker", ["worker_pool", "executor"])
def test_pool_workers_die_with_their_owner(tmp_path, guard, maker):
    """Any process that opens simsla's pools (a notebook, a script) leaves no workers when it is killed."""
    owner = subprocess.Popen([sys.executable, "-c", POOL_OWNER, guard, maker], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        line = owner.stdout.readline()  # blocks until the workers run; bounded by the timeout of the test run
        workers = [int(pid) for pid in line.split()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers), line
        owner.kill()
        owner.wait(ENDS_WITHIN)
        deadline = time.monotonic() + WORKERS_GONE_WITHIN
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in workers if _alive(pid)]
    finally:
        try:
            os.killpg(owner.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        owner.wait()
    assert not left, f"workers {left} outlived their owner ({guard})"
