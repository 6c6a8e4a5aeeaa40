"""`simsla fit` on the shared ServiceNow log, then `validate` and `run -r 2` on what it wrote: accepted without
--force (skipped where the data is absent)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "servicenow_incident_event_log.csv.gz"
pytestmark = pytest.mark.skipif(not DATA.is_file(), reason=f"real data not present at {DATA}")
SIMSLA = [str(Path(sys.executable).with_name("simsla"))]


def _simsla(*args, cwd):
    return subprocess.run([*SIMSLA, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_fit_then_validate_and_run_without_force(tmp_path):
    out = tmp_path / "sn.yaml"
    fitted = _simsla("fit", DATA, "--format", "servicenow", "-o", out, cwd=tmp_path)
    assert fitted.returncode == 0, fitted.stderr
    assert "refusals of `simsla run`'s gate" not in fitted.stdout
    # the extract's early weeks resolve far slower than its late ones (91 h in the go-live week, 1-5 h from
    # late April): the default fit window is the stationary end, and what it leaves out is said
    assert "tickets opened outside the fit window" in fitted.stdout
    checked = _simsla("validate", out, "-r", "2", "-w", "1", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = _simsla("run", out, "-r", "2", "-w", "1", "-s", "1", cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    import pandas as pd

    report = pd.read_csv(tmp_path / "sn-fit" / "report.csv")
    util = report[report["section"] == "gate"].set_index("measure")["fitted"]
    assert len(util) >= 10 and util.max() < 0.95          # every group's utilisation printed, below capacity
    text = out.read_text()
    assert "made_sla" in text                   # the log has the field: its shares are in the header
    assert "phone" in text                      # 99.8 % by phone: a channel the log has, not invented
