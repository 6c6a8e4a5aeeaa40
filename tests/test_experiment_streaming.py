"""simsla.experiment.streaming: results written replication by replication equal the in-memory ones."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import simsla
from simsla.experiment import runner
from simsla.experiment.results import TABLES, OutputFolderError, Results
from simsla.experiment.sequential import simulate_sequential
from simsla.experiment.streaming import SavedResults
from simsla.ticketlog import TicketLog
from test_experiment import assert_frames_equal, assert_same_tables

ROOT = Path(__file__).resolve().parent.parent
WEEK = 7 * 86400.0
ALL_TABLES = TABLES + ("runs",)


@pytest.fixture(scope="module", params=["municipal-it-desk", "bilingual-desk"])
def scenario(request) -> simsla.Scenario:
    """Three measured weeks of an example desk (the bilingual one has agent groups with skills)."""
    sc = simsla.load_scenario(ROOT / "scenarios" / f"{request.param}.yaml")
    return sc.model_copy(update={"horizon": 3 * WEEK})


@pytest.fixture(scope="module")
def in_memory(scenario) -> Results:
    return simsla.simulate(scenario, replications=4, seed=21, workers=2)


@pytest.fixture(scope="module")
def streamed(scenario, tmp_path_factory) -> SavedResults:
    return simsla.simulate(scenario, replications=4, seed=21, workers=2, out=tmp_path_factory.mktemp("s") / "out")


def test_streamed_tables_equal_the_in_memory_ones(in_memory, streamed):
    assert isinstance(streamed, SavedResults) and streamed.folder.is_dir()
    assert_same_tables(in_memory, Results.load(streamed.folder))


def test_streamed_summary_and_evaluation_equal_the_in_memory_ones(in_memory, streamed, tmp_path):
    in_memory.save(tmp_path / "saved")
    assert (json.loads((streamed.folder / "summary.json").read_text())
            == json.loads((tmp_path / "saved" / "summary.json").read_text()))
    assert streamed.summary() == in_memory.summary()
    assert_frames_equal(streamed.evaluation(), in_memory.evaluation(), "evaluation")
    # and what is read back from the folder computes the same again
    assert Results.load(streamed.folder).summary() == streamed.summary()


def test_reductions_of_all_replications_at_once_are_those_of_each_alone(in_memory):
    # the in-memory path reduces all replications in one pass where that is quicker; a streamed run has
    # one replication at a time: the records must agree to the last bit, or the summaries would differ
    from simsla.analysis.attainment import replication_counts
    from simsla.analysis.attribution import replication_blame

    key = lambda row: (row["agreement"], row["target"], row["replication"])  # noqa: E731
    alone = [row for one in in_memory.by_replication() for row in replication_blame(one)]
    together = replication_blame(in_memory)
    assert len(together) > 4 and sorted(together, key=key) == sorted(alone, key=key)
    counts = [replication_counts(one) for one in in_memory.by_replication()]
    for target, frame in replication_counts(in_memory).items():
        parts = [c[target] for c in counts if len(c[target])]
        assert frame["counted"].sum() == sum(int(p["counted"].sum()) for p in parts), target
        assert frame["met"].sum() == sum(int(p["met"].sum()) for p in parts), target


def test_one_row_group_per_replication_read_back_one_at_a_time(in_memory, streamed, tmp_path):
    in_memory.save(tmp_path / "saved")
    for folder in (streamed.folder, tmp_path / "saved"):
        for name in TABLES:
            assert pq.ParquetFile(folder / f"{name}.parquet").metadata.num_row_groups == 4, (folder, name)
        ones = list(TicketLog.load_replications(folder))
        assert [int(o.runs["replication"].iloc[0]) for o in ones] == [0, 1, 2, 3]
        for one, expected in zip(ones, in_memory.by_replication()):
            assert one.replications == 1
            for name in ALL_TABLES:
                assert_frames_equal(getattr(one, name), getattr(expected, name).reset_index(drop=True), name)


def test_a_folder_saved_before_row_groups_by_replication_is_read_one_at_a_time(in_memory, tmp_path):
    # older folders hold each table in row groups by size, several replications in one
    in_memory.save(tmp_path / "older")
    for name in TABLES:
        getattr(in_memory, name).to_parquet(tmp_path / "older" / f"{name}.parquet", index=False)
        assert pq.ParquetFile(tmp_path / "older" / f"{name}.parquet").metadata.num_row_groups == 1
    for one, expected in zip(TicketLog.load_replications(tmp_path / "older"), in_memory.by_replication(), strict=True):
        for name in ALL_TABLES:
            assert_frames_equal(getattr(one, name), getattr(expected, name).reset_index(drop=True), name)


def test_streaming_on_one_worker_or_two_gives_the_same_folder(scenario, streamed, tmp_path):
    serial = simsla.simulate(scenario, replications=4, seed=21, workers=1, out=tmp_path / "serial")
    assert serial.summary() == streamed.summary()
    assert_same_tables(Results.load(serial.folder), Results.load(streamed.folder))


def test_a_sequential_run_streams_the_same_results(tmp_path):
    sc = simsla.load_scenario(ROOT / "scenarios" / "municipal-it-desk.yaml").model_copy(update={"horizon": 2 * WEEK})
    kept = simulate_sequential(sc, 0.2, first=2, cap=4, seed=5, workers=2)
    saved = simulate_sequential(sc, 0.2, first=2, cap=4, seed=5, workers=2, out=tmp_path / "seq")
    assert saved.replications == kept.replications
    assert saved.summary() == kept.summary() and "sequential" in saved.summary()
    kept.save(tmp_path / "kept")
    assert ((tmp_path / "seq" / "summary.json").read_text() == (tmp_path / "kept" / "summary.json").read_text())
    assert_same_tables(kept, Results.load(saved.folder))


# ---------------------------------------------------------------- failures leave nothing half-written


def _short() -> simsla.Scenario:
    sc = simsla.load_scenario(ROOT / "scenarios" / "erlang-c.yaml")
    return sc.model_copy(update={"horizon": 4 * 3600.0, "warmup": 0.0})


def test_a_failed_replication_leaves_no_folder_and_no_temporary_one(tmp_path, monkeypatch):
    real = runner.replicate

    def failing(scenario, seed, replication, max_queue=200_000):
        if replication == 2:
            raise RuntimeError("disk on fire")
        return real(scenario, seed, replication, max_queue)

    monkeypatch.setattr(runner, "replicate", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        simsla.simulate(_short(), replications=4, seed=1, workers=1, out=tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_run_keeps_the_earlier_result(tmp_path, monkeypatch):
    out = tmp_path / "out"
    earlier = simsla.simulate(_short(), replications=2, seed=1, workers=1, out=out)

    def failing(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "replicate", failing)
    with pytest.raises(KeyboardInterrupt):
        simsla.simulate(_short(), replications=3, seed=2, workers=1, out=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert Results.load(out).summary() == earlier.summary()


def test_a_folder_of_someone_elses_files_is_refused_before_simulating(tmp_path, monkeypatch):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.docx").write_text("years of work")
    monkeypatch.setattr(runner, "replicate", lambda *a, **k: pytest.fail("simulated for a folder it may not write"))
    with pytest.raises(OutputFolderError):
        simsla.simulate(_short(), replications=2, seed=1, workers=1, out=mine)
    assert [p.name for p in mine.iterdir()] == ["chapter1.docx"]
    assert (mine / "chapter1.docx").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]


def test_the_run_command_streams_and_writes_the_same_folder(tmp_path):
    from typer.testing import CliRunner

    from simsla.cli import app

    sc = _short()
    path = tmp_path / "short.yaml"
    path.write_text(json.dumps(json.loads(sc.model_dump_json(by_alias=True))))
    got = CliRunner().invoke(app, ["run", str(path), "-r", "3", "-s", "4", "-w", "2", "-o", str(tmp_path / "cli")])
    assert got.exit_code == 0, got.output
    kept = simsla.simulate(simsla.load_scenario(path), replications=3, seed=4, workers=1)
    kept.save(tmp_path / "kept")
    assert (tmp_path / "cli" / "summary.json").read_text() == (tmp_path / "kept" / "summary.json").read_text()
    assert_same_tables(kept, Results.load(tmp_path / "cli"))


# ---------------------------------------------------------------- memory

_PEAK = textwrap.dedent("""
    import sys, json
    sys.path.insert(0, {bench!r})
    from run import mmc_scenario, peak_rss_mib
    import simsla
    sc = mmc_scenario(60_000)
    out = sys.argv[2] if sys.argv[1] == "stream" else None
    # one replication first, the same way: imports and one replication's peak are the baseline
    simsla.simulate(sc, replications=1, seed=3, workers=1, out=out and out + "-first").summary()
    base = peak_rss_mib()
    res = simsla.simulate(sc, replications=20, seed=3, workers=1, out=out)
    res.summary()
    print(json.dumps({{"growth": peak_rss_mib() - base}}))
""")


def _growth(tmp_path: Path, how: str) -> float:
    script = tmp_path / "peak.py"
    script.write_text(_PEAK.format(bench=str(ROOT / "benchmarks")))
    done = subprocess.run([sys.executable, str(script), how, str(tmp_path / f"out-{how}")], capture_output=True,
                          text=True, cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["growth"]


def test_streaming_holds_a_few_replications_not_all_of_them(tmp_path):
    # 20 replications of 60,000 calls, about 6 MiB of tables each: beyond one replication's peak the
    # in-memory run grows by most of 19 more (over 60 MiB) while the streamed one holds about one at a time
    in_memory, streamed = _growth(tmp_path, "memory"), _growth(tmp_path, "stream")
    assert in_memory > 60.0, in_memory  # the measurement can tell the two apart at all
    assert streamed < in_memory / 4, (streamed, in_memory)


def test_blame_from_the_missed_items_counts_left_is_blame_found_afresh(in_memory):
    # a streamed run finds each target's items once: replication_counts hands the misses to replication_blame
    from simsla.analysis.attainment import replication_counts
    from simsla.analysis.attribution import replication_blame

    for one in in_memory.by_replication():
        missed: dict = {}
        replication_counts(one, missed)
        assert missed and any(len(m) for m in missed.values())
        assert all(not m["met"].any() for m in missed.values())
        assert replication_blame(one, missed) == replication_blame(one)
