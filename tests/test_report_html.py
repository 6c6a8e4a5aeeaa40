"""HTML report: self-contained, escaped, and its traffic-light grids are countable HTML tables."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import pytest

import simsla
from simsla.analysis.attainment import evaluate
from simsla.report import figures as F
from simsla.report.html import write_report
from test_report_figures import tiny_scenario

EVIL_SERVICE = '<script>alert("x")</script>'
EVIL_GROUP = "2nd \"line\" & <b>co</b>'s"


class Grids(HTMLParser):
    """Collects the cells of every ``table.lights`` by its ``data-grid``, plus tags that would load something."""

    def __init__(self):
        super().__init__()
        self.grids: dict[str, list[dict[str, str]]] = {}
        self.current: str | None = None
        self.tags = Counter()
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] += 1
        if tag == "table" and "lights" in (a.get("class") or "").split():
            self.current = a["data-grid"]
            self.grids[self.current] = []
        elif tag == "td" and self.current is not None and "cell" in (a.get("class") or "").split():
            self.grids[self.current].append(a)

    def handle_endtag(self, tag):
        if tag == "table":
            self.current = None

    def handle_data(self, data):
        self.texts.append(data)


def report_for(tmp_path_factory, scenario, name):
    results = simsla.simulate(scenario, replications=3, seed=5, workers=1)
    path = write_report(results, tmp_path_factory.mktemp(name) / "out")
    return results, path, path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def evil(tmp_path_factory):
    return report_for(tmp_path_factory, tiny_scenario(evil=True), "evil")


def test_the_report_is_one_file_in_the_folder(evil):
    _, path, _ = evil
    assert path.name == "report.html" and path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


def test_self_contained(evil):
    _, _, text = evil
    assert not re.search(r"""(src|href|action|srcset)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text, re.I)
    parser = Grids()
    parser.feed(text)
    assert parser.tags["script"] == 0 and parser.tags["link"] == 0 and parser.tags["iframe"] == 0
    images = re.findall(r'<img[^>]*\ssrc="([^"]*)"', text)
    assert images and all(src.startswith("data:image/png;base64,") for src in images)
    assert "Content-Security-Policy" in text


def test_scenario_strings_are_escaped(evil):
    _, _, text = evil
    assert EVIL_SERVICE not in text and "<b>co</b>" not in text and "<desk>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "2nd &quot;line&quot; &amp; &lt;b&gt;co&lt;/b&gt;&#x27;s" in text
    assert "P1 &lt;fix&gt;" in text
    parser = Grids()
    parser.feed(text)
    assert parser.tags["b"] == sum(1 for _ in re.finditer(r"<b>", text))  # every <b> is ours, none from a name
    assert any(EVIL_GROUP in t for t in parser.texts)  # the browser shows the name as written


def test_grids_have_one_cell_per_row_and_period(evil):
    results, _, text = evil
    table = F.with_margins(evaluate(results), results.scenario)
    parser = Grids()
    parser.feed(text)
    expected = F.grid_lights(table, 0)
    cells = parser.grids["attainment"]
    assert len(cells) == len(expected) == 4 * 3  # 4 targets x 3 complete ISO weeks
    assert [c["data-light"] for c in cells] == expected["light"].tolist()
    assert all(c["class"] == f"cell {c['data-light']}" for c in cells)
    risk = F.risk_table(table)
    assert [c["data-light"] for c in parser.grids["risk"]] == risk["light"].tolist()
    assert {"service-attainment", "service-risk"} <= set(parser.grids)
    assert len(parser.grids["service-attainment"]) % 3 == 0


def test_a_scenario_without_agreements_still_reports(tmp_path_factory):
    plain = tiny_scenario().model_copy(update={"agreements": ()})
    _, _, text = report_for(tmp_path_factory, plain, "plain")
    assert "no agreements" in text and "data:image/png;base64," in text
    assert 'class="cell' not in text
