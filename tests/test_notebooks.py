"""Every notebook in notebooks/ runs top to bottom without error, within its time budget, and is committed clean.

The kernel is started from this interpreter (``sys.executable``) through a
kernel spec written to a temporary ``JUPYTER_PATH``, so the test never
depends on which ``python3`` kernel happens to be installed for the user.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbformat
import pytest

nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "simsla-test-python"
#: each notebook must run in under this many seconds (a tutorial that takes longer is not read)
BUDGET = 120.0


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("jupyter")
    spec = base / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "simsla test kernel", "language": "python",
    }))
    return base


def test_there_are_notebooks():
    assert {p.name for p in NOTEBOOKS} >= {"01-quickstart.ipynb", "02-negotiating-an-sla.ipynb",
                                           "03-staffing-what-if.ipynb", "04-multi-skill-desk.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear the outputs before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, kernel_dir, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    from jupyter_client.kernelspec import KernelSpecManager

    assert KernelSpecManager().get_kernel_spec(KERNEL).argv[0] == sys.executable
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=600,
                                     resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError (with the traceback) on any failing cell
    took = time.perf_counter() - start
    assert took < BUDGET, f"{path.name} took {took:.0f} s (budget {BUDGET:.0f} s): shorten its runs"
