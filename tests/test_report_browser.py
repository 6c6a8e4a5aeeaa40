"""The report in a real browser: headless Chromium loads it without console errors and finds the grids.

Chromium is run three times on the written file: ``--dump-dom`` (the DOM
after load: the traffic-light cells are counted there, so what is tested is
what the browser parsed, not the string we wrote), ``--screenshot`` (saved
for a human to look at: ``$SIMSLA_REPORT_ARTIFACTS`` if set, else pytest's
temporary folder) and, with ``--enable-logging=stderr``, a check that no
console message was logged.  A page with a deliberate ``console.error``
proves the console check can fail.

Without Chromium the test is skipped, unless the environment variable ``CI``
is set: then a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import simsla
from simsla.analysis.attainment import evaluate
from simsla.report import figures as F
from simsla.report.html import write_report
from test_report_figures import tiny_scenario
from test_report_html import EVIL_GROUP, Grids


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"),
                      shutil.which("google-chrome")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


CHROMIUM = _chromium()
if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("CI is set but no chromium was found (install it: apt-get install -y chromium)", pytrace=False)
    pytest.skip("chromium is not installed (apt-get install -y chromium); the browser test needs it", allow_module_level=True)

#: a console message in Chromium's log: `...:INFO:CONSOLE(12)] "message", source: ...` (older) or `...CONSOLE...` (newer)
CONSOLE = re.compile(r"CONSOLE", re.I)


def _run(url: str, profile: Path, *extra: str, timeout: float = 90) -> subprocess.CompletedProcess:
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--mute-audio",
            f"--user-data-dir={profile}", *extra, url]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def _console(url: str, profile: Path) -> list[str]:
    done = _run(url, profile, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    return [line for line in done.stderr.splitlines() if CONSOLE.search(line)]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    results = simsla.simulate(tiny_scenario(evil=True), replications=3, seed=5, workers=1)
    path = write_report(results, tmp_path_factory.mktemp("browser") / "out")
    return results, path


def test_console_check_catches_an_error(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><script>console.error("boom from the test")</script></body></html>')
    lines = _console(page.as_uri(), tmp_path / "profile")
    assert any("boom from the test" in line for line in lines), "chromium's console log is not where the test looks"


def test_report_loads_without_console_errors(report, tmp_path):
    _, path = report
    assert _console(path.as_uri(), tmp_path / "profile") == []


def test_browser_sees_the_grids(report, tmp_path):
    results, path = report
    done = _run(path.as_uri(), tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    parser = Grids()
    parser.feed(dom)
    assert parser.tags["script"] == 0  # an escaped <script> in a service name stayed text
    assert any(EVIL_GROUP in t for t in parser.texts)
    table = F.with_margins(evaluate(results), results.scenario)
    expected = F.grid_lights(table, 0)["light"].tolist()
    cells = parser.grids["attainment"]
    assert len(cells) == len(expected) == 12
    assert [c["data-light"] for c in cells] == expected
    assert all(set(c["class"].split()) == {"cell", c["data-light"]} for c in cells)
    assert [c["data-light"] for c in parser.grids["risk"]] == F.risk_table(table)["light"].tolist()
    assert parser.tags["img"] >= 5


def test_screenshot(report, tmp_path):
    _, path = report
    folder = Path(os.environ.get("SIMSLA_REPORT_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / "report.png"
    done = _run(path.as_uri(), tmp_path / "profile", "--window-size=1280,6000", f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
