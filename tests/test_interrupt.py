"""``simsla run`` stopped half-way: Ctrl-C and kill -9 never leave a results folder that reads as complete.

The command runs as a real process (the console script next to
``sys.executable``) in a session of its own, so that "Ctrl-C" can be sent the
way a terminal sends it: SIGINT to the whole process group (the worker
processes too).  SIGINT to the main process alone and SIGKILL are tried as
well, during the simulation and while the folder is being written (the
temporary folder ``.NAME.*`` next to it is watched for).  Afterwards the
results folder must either not exist or be a complete earlier run that
``simsla.Results.load`` reads, and the only things left next to it may be
hidden (their names start with '.'; a kill -9 cannot clean up).
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

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and process groups")


def _command() -> list[str]:
    script = Path(sys.executable).with_name("simsla")
    return [str(script)] if script.exists() else [sys.executable, "-m", "simsla.cli"]


def _default_sigint() -> None:  # pragma: no cover - runs in the child
    # a shell that starts jobs in the background ignores SIGINT for them; Python then never raises KeyboardInterrupt
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """``simsla run`` as a child process with its own process group; output to files (no pipe to fill)."""

    def __init__(self, tmp: Path, out: Path, *args: str):
        self.stdout, self.stderr = tmp / "stdout.txt", tmp / "stderr.txt"
        with open(self.stdout, "w") as so, open(self.stderr, "w") as se:
            self.proc = subprocess.Popen([*_command(), "run", *args, "--out", str(out)], cwd=ROOT, stdout=so, stderr=se,
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

    def survivors(self) -> list[str]:
        """Processes of the run's group still alive (orphaned workers)."""
        found = subprocess.run(["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
        return [pid for pid in found if pid != str(os.getpid())]

    def text(self) -> tuple[str, str]:
        return self.stdout.read_text(errors="replace"), self.stderr.read_text(errors="replace")


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
        time.sleep(4.0)  # past imports and loading: the replications are running
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
        time.sleep(3.0)
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
            time.sleep(4.0)
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
