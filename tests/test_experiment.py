"""simsla.experiment: simulate (seeding, executors), Results save/load, summary."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simsla
from simsla.experiment.results import (MANIFEST, TABLES, OutputFolderError, check_output_file, check_output_folder,
                                      claim_output_folder, release_output_folder)

ERLANG_C = Path(__file__).resolve().parent.parent / "scenarios" / "erlang-c.yaml"
H, DAY = 3600.0, 86400.0
ALL_TABLES = TABLES + ("runs",)


@pytest.fixture(scope="module")
def short() -> simsla.Scenario:
    """Erlang C (200 calls/h, 14 agents, a = 10) over 8 hours after a 2-hour warm-up."""
    return simsla.load_scenario(ERLANG_C).model_copy(update={"horizon": 8 * H, "warmup": 2 * H})


@pytest.fixture(scope="module")
def results(short) -> simsla.Results:
    return simsla.simulate(short, replications=3, seed=7, workers=1)


def assert_frames_equal(a: pd.DataFrame, b: pd.DataFrame, obj: str = "") -> None:
    """Exact equality of two tables (a fast stand-in for pandas' assert_frame_equal on categoricals)."""
    assert list(a.columns) == list(b.columns), obj
    assert len(a) == len(b), obj
    assert a.index.equals(b.index), obj
    for col in a.columns:
        x, y = a[col], b[col]
        assert x.dtype == y.dtype, (obj, col, x.dtype, y.dtype)
        if isinstance(x.dtype, pd.CategoricalDtype):
            assert list(x.cat.categories) == list(y.cat.categories), (obj, col)
            assert np.array_equal(x.cat.codes.to_numpy(), y.cat.codes.to_numpy()), (obj, col)
        elif x.dtype.kind == "f":
            assert np.array_equal(x.to_numpy(), y.to_numpy(), equal_nan=True), (obj, col)
        else:
            assert x.tolist() == y.tolist(), (obj, col)


def assert_same_tables(a: simsla.Results, b: simsla.Results) -> None:
    for name in ALL_TABLES:
        assert_frames_equal(getattr(a, name), getattr(b, name), obj=name)


# ---------------------------------------------------------------- simulate


def test_workers_do_not_change_results(short, results):
    parallel = simsla.simulate(short, replications=3, seed=7, workers=2)
    assert_same_tables(results, parallel)
    assert parallel.seed == 7 and parallel.replications == 3


def test_any_executor_gives_the_same_results(short, results):
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = simsla.simulate(short, replications=3, seed=7, executor=pool)
    assert_same_tables(results, threaded)


def test_a_replication_does_not_depend_on_how_many_run(short, results):
    fewer = simsla.simulate(short, replications=2, seed=7, workers=1)
    for name in ("tickets", "segments", "utilization"):
        table = getattr(results, name)
        assert_frames_equal(getattr(fewer, name), table[table["replication"] < 2].reset_index(drop=True), name)


def test_seed_matters_and_is_recorded(short, results):
    other = simsla.simulate(short, replications=1, seed=8, workers=1)
    assert not np.array_equal(other.tickets["arrival"].to_numpy()[:20], results.tickets["arrival"].to_numpy()[:20])
    fresh = simsla.simulate(short.model_copy(update={"horizon": 2 * H, "warmup": 0.0}), replications=1, workers=1)
    assert isinstance(fresh.seed, int) and fresh.seed >= 0


def test_progress_is_reported(short):
    calls = []
    tiny = short.model_copy(update={"horizon": H, "warmup": 0.0})
    simsla.simulate(tiny, replications=3, seed=1, workers=1, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_replications_must_be_positive(short):
    with pytest.raises(ValueError, match="at least 1"):
        simsla.simulate(short, replications=0, seed=1)


# ------------------------------------------------------------------- tables


def test_warmup_tickets_are_excluded(short, results):
    tk = results.tickets
    assert (tk["arrival"] >= short.warmup).all()
    assert (results.runs["arrived_in_warmup"] > 0).all()
    # about 2 h x 200/h arrived in the warm-up of each replication
    assert results.runs["arrived_in_warmup"].between(300, 500).all()
    # every segment belongs to a kept ticket
    seg = results.segments
    kept = set(zip(tk["replication"], tk["ticket"]))
    assert set(zip(seg["replication"], seg["ticket"])) <= kept
    # utilisation is measured from the end of the warm-up to the end of the run
    util = results.utilization
    assert util["hour"].min() == short.warmup
    assert util["hour"].max() == short.end - H
    assert len(util) == 3 * 8


def test_tickets_table_columns(results):
    tk = results.tickets
    for col in ("replication", "ticket", "stream", "service", "channel", "priority", "arrival", "answered",
                "abandoned", "resolved", "wait", "outcome", "resolved_by", "contact"):
        assert col in tk.columns
    assert set(tk["outcome"].cat.categories) == {"resolved", "abandoned", "open", "blocked"}
    assert (tk["contact"] == "fresh").all()  # no redials, callbacks or backlog in this scenario
    assert np.allclose(tk["wait"].dropna(), (tk["answered"] - tk["arrival"]).dropna())
    assert (tk["wait"].dropna() >= -1e-6).all()
    assert set(results.segments["kind"].unique()) == {"group"}


def test_utilization_is_plausible(results):
    u = results.utilization
    assert (u["busy"] <= u["staffed"] + 1e-6).all()
    assert (u["staffed"] == 14 * H).all()
    assert u["busy"].sum() / u["staffed"].sum() == pytest.approx(10 / 14, abs=0.05)


# ------------------------------------------------------------------ summary


def test_summary_keys_and_consistency(short, results):
    s = results.summary()
    for key in ("scenario", "seed", "replications", "tickets", "groups"):
        assert key in s
    assert s["scenario"] == short.name
    assert s["seed"] == 7 and s["replications"] == 3
    t = s["tickets"]
    assert {"arrived", "resolved", "abandoned", "open"} <= set(t)
    assert t["arrived"] == t["resolved"] + t["abandoned"] + t["open"]
    assert t["arrived"] == len(results.tickets)
    outcome = results.tickets["outcome"].value_counts()
    assert (t["resolved"], t["abandoned"], t["open"]) == (outcome["resolved"], outcome["abandoned"], outcome["open"])
    assert t["abandoned"] == 0
    assert [g["name"] for g in s["groups"]] == ["desk"]
    assert s["groups"][0]["utilization"] == pytest.approx(10 / 14, abs=0.05)
    assert s["unstable"] == []
    json.dumps(s, allow_nan=False)  # JSON-ready


def test_summary_consistency_with_abandonment_and_escalation():
    sc = simsla.Scenario.model_validate({
        "name": "busy", "start": "2026-01-05", "horizon": "12h", "warmup": "2h",
        "services": [{"name": "s"}],
        "demand": [{"name": "calls", "channel": "phone", "volume": "60/h", "patience": {"dist": "exponential", "mean": "1m"}},
                   {"name": "mails", "channel": "email", "volume": "10/h"}],
        "groups": [{"name": "desk", "role": "desk", "staff": 1, "handling": {"dist": "exponential", "mean": "2m"},
                    "first_contact_resolution": 0.7},
                   {"name": "l2", "staff": 1, "handling": {"dist": "exponential", "mean": "30m"}}],
        "routing": [{"from": "desk", "to": {"l2": 1.0}}],
    })
    res = simsla.simulate(sc, replications=2, seed=3, workers=1)
    t = res.summary()["tickets"]
    assert min(t["resolved"], t["abandoned"], t["open"]) > 0
    assert t["arrived"] == t["resolved"] + t["abandoned"] + t["open"] == len(res.tickets)
    names = [g["name"] for g in res.summary()["groups"]]
    assert names == ["desk", "l2"]
    assert all(0 < g["utilization"] <= 1 + 1e-9 for g in res.summary()["groups"])


# -------------------------------------------------------------- save / load


def test_save_load_round_trip(tmp_path, short, results):
    folder = results.save(tmp_path / "out")
    assert folder == tmp_path / "out"
    files = {p.name for p in folder.iterdir()}
    assert files == {"summary.json", "scenario.json", MANIFEST} | {f"{t}.parquet" for t in ALL_TABLES}
    loaded = simsla.Results.load(folder)
    for name in ("tickets", "segments", "utilization", "runs"):
        assert_frames_equal(getattr(results, name), getattr(loaded, name), obj=name)
    assert loaded.scenario == short
    assert (loaded.seed, loaded.replications) == (7, 3)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["tickets"]["arrived"] == len(results.tickets)
    assert summary["files"] == sorted(f"{t}.parquet" for t in ALL_TABLES)
    assert loaded.summary()["tickets"] == results.summary()["tickets"]


def test_save_load_round_trip_with_outages(tmp_path, short):
    data = short.model_dump(by_alias=True)
    data["services"][0]["failures"] = {"time_between": {"dist": "exponential", "mean": "6h"},
                                       "time_to_restore": {"dist": "exponential", "mean": "1h"}, "surge": "30/h"}
    sc = simsla.Scenario.model_validate(data)
    res = simsla.simulate(sc, replications=2, seed=7, workers=1)
    assert len(res.outages) > 0
    assert {"outage surge", "major incident"} <= set(res.tickets["stream"].astype(str))
    loaded = simsla.Results.load(res.save(tmp_path / "out"))
    assert_same_tables(res, loaded)
    assert loaded.scenario == sc


def test_save_load_round_trip_of_an_empty_outages_table(tmp_path, results):
    assert len(results.outages) == 0
    loaded = simsla.Results.load(results.save(tmp_path / "out"))
    pd.testing.assert_frame_equal(results.outages, loaded.outages)


def test_save_replaces_an_earlier_result_atomically(tmp_path, results):
    target = tmp_path / "out"
    target.mkdir()  # an empty folder may be written
    results.save(target)
    (target / "report.html").write_text("the earlier run's report")  # simsla writes it there later
    results.save(target)  # again, over a complete results folder with its report
    assert not (target / "report.html").exists()  # the earlier run's report went with the earlier run
    assert (target / "summary.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary or old folders left


def test_save_refuses_a_folder_of_someone_elses_files(tmp_path, results):
    target = tmp_path / "mydocs"
    target.mkdir()
    (target / "thesis.docx").write_bytes(b"four years of work")
    with pytest.raises(OutputFolderError, match=r"mydocs: .*did not write \(thesis.docx\).*choose a new or empty folder"):
        results.save(target)
    assert [p.name for p in target.iterdir()] == ["thesis.docx"]
    assert (target / "thesis.docx").read_bytes() == b"four years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mydocs"]  # no temporary folder either


def test_save_refuses_a_results_folder_with_a_file_added(tmp_path, results):
    target = results.save(tmp_path / "out")
    (target / "notes.txt").write_text("mine")
    (target / "sub").mkdir()
    with pytest.raises(OutputFolderError, match=r"did not write there \(notes.txt, sub/\)"):
        results.save(target)
    assert (target / "notes.txt").read_text() == "mine"
    assert simsla.Results.load(target).seed == results.seed


def test_a_failed_save_leaves_the_old_folder_alone(tmp_path, results, monkeypatch):
    target = tmp_path / "out"
    results.save(target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def boom(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(simsla.Results, "summary", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        results.save(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_save_creates_parent_folders(tmp_path, results):
    folder = results.save(tmp_path / "a" / "b" / "out")
    assert (folder / "summary.json").is_file()


def test_load_refuses_an_incomplete_folder(tmp_path):
    (tmp_path / "half").mkdir()
    with pytest.raises(FileNotFoundError, match="no summary.json"):
        simsla.Results.load(tmp_path / "half")


def test_to_datetime(results):
    ts = results.to_datetime(pd.Series([0.0, 6 * H]))
    assert str(ts.iloc[0]) == "2026-01-05 00:00:00+00:00"
    assert str(ts.iloc[1]) == "2026-01-05 06:00:00+00:00"


def test_summary_intervals_stay_in_range():
    sc = simsla.load_scenario(ERLANG_C).model_copy(update={"horizon": 8 * H, "warmup": H})
    s = simsla.simulate(sc, replications=2, seed=1, workers=1).summary()
    for share in s["channels"][0]["answered_within"].values():
        lo, hi = share["ci95"]
        assert 0.0 <= lo <= hi <= 1.0, share
    for count in s["tickets"]["per_replication"].values():
        assert count["ci95"][0] >= 0.0, count


def test_a_save_killed_between_its_renames_is_recovered(tmp_path):
    """The earlier result left aside as .NAME.old-PID is put back when the folder is read or written again."""
    import os

    sc = simsla.load_scenario("scenarios/erlang-c.yaml").model_copy(update={"horizon": 6 * 3600.0, "warmup": 0.0})
    results = simsla.simulate(sc, replications=1, seed=3, workers=1)
    folder = results.save(tmp_path / "res")
    os.replace(folder, tmp_path / ".res.old-12345")  # as if killed right after the first rename
    again = simsla.Results.load(tmp_path / "res")
    assert again.tickets.equals(results.tickets) and not (tmp_path / ".res.old-12345").exists()


# ------------------------------------------------------------ output folders


def test_the_current_folder_is_refused_for_results(tmp_path, results, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for here in (".", str(tmp_path), ".."):
        with pytest.raises(OutputFolderError, match="is the current folder .* e.g. -o results"):
            check_output_folder(here, "results")
    assert check_output_folder("results", "results") == tmp_path / "results"
    # a folder written piece by piece may be the current one, when it is empty or simsla's own
    assert check_output_folder(".", "staffing") == tmp_path


def test_a_file_where_a_folder_is_expected(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputFolderError, match="f: is a file, not a folder"):
        check_output_folder(tmp_path / "f", "sweep")
    with pytest.raises(OutputFolderError, match=r"/f is a file, not a folder"):
        check_output_folder(tmp_path / "f" / "deeper" / "out", "results")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputFolderError, match="cannot write in .*locked"):
            check_output_folder(locked / "out", "results")
        with pytest.raises(OutputFolderError, match="cannot write in .*locked"):
            check_output_folder(locked, "frontier")
    finally:
        locked.chmod(0o700)


def test_folder_kinds_do_not_mix(tmp_path, results):
    results.save(tmp_path / "out")
    with pytest.raises(OutputFolderError, match="holds `simsla run` results, not a `simsla staff` answer"):
        check_output_folder(tmp_path / "out", "staffing")
    staffing = claim_output_folder(tmp_path / "st", "staffing")
    (staffing / "staffing.json").write_text("{}")
    with pytest.raises(OutputFolderError, match="holds a `simsla staff` answer, not `simsla run` results"):
        results.save(staffing)
    assert (staffing / "staffing.json").read_text() == "{}"
    claim_output_folder(tmp_path / "unused", "staffing")  # claimed, nothing written: as good as empty
    assert (results.save(tmp_path / "unused") / "summary.json").is_file()


def test_a_claimed_folder_accepts_what_simsla_writes_there(tmp_path):
    folder = claim_output_folder(tmp_path / "st", "staffing")
    assert json.loads((folder / MANIFEST).read_text())["kind"] == "staffing"
    (folder / "search").mkdir()
    (folder / "search" / "abc.json").write_text("{}")
    (folder / "search" / ".abc.json.x1y2z3w4.tmp").write_text("{")  # a write killed half-way
    (folder / "staffing.json").write_text("{}")
    assert check_output_folder(folder, "staffing") == folder
    (folder / "search" / "mine.txt").write_text("x")
    with pytest.raises(OutputFolderError, match=r"search/mine.txt"):
        check_output_folder(folder, "staffing")


def test_release_removes_only_an_unused_claim(tmp_path):
    folder = claim_output_folder(tmp_path / "sw", "sweep")
    assert release_output_folder(folder) and not folder.exists()
    folder = claim_output_folder(tmp_path / "sw", "sweep")
    (folder / "sweep.json").write_text("{}")
    assert not release_output_folder(folder) and (folder / "sweep.json").exists()
    (tmp_path / "plain").mkdir()
    assert not release_output_folder(tmp_path / "plain") and (tmp_path / "plain").exists()


def test_a_results_folder_from_before_manifests_is_recognised(tmp_path, results):
    folder = results.save(tmp_path / "out")
    (folder / MANIFEST).unlink()  # as written by an earlier version: summary.json lists the files
    assert check_output_folder(folder, "results") == folder
    results.save(folder)
    (folder / MANIFEST).unlink()
    (folder / "summary.json").write_text(json.dumps({"my": "own summary"}))
    with pytest.raises(OutputFolderError, match="not write"):
        check_output_folder(folder, "results")


def _dead_pid() -> int:
    """A process id no process has (a child that has been waited for)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporary_folders_of_a_killed_save_are_removed_by_the_next(tmp_path, results):
    folder = results.save(tmp_path / "out")
    dead = _dead_pid()
    killed = tmp_path / f".out.simsla-tmp-{dead}-k1ll3d"  # killed while writing the tables
    killed.mkdir()
    (killed / MANIFEST).write_text("{}")
    (killed / "tickets.parquet").write_bytes(b"half")
    swapped = tmp_path / f".out.simsla-old-{dead}"  # killed after the swap, before removing the earlier result
    swapped.mkdir()
    (swapped / "summary.json").write_text("{}")
    legacy = tmp_path / ".out.ab12cd34"  # an earlier version's temporary folder, long untouched
    legacy.mkdir()
    (legacy / "segments.parquet").write_bytes(b"half")
    os.utime(legacy, (0, 0))
    running = tmp_path / f".out.simsla-tmp-{os.getpid()}-busy"  # a save still running: left alone
    running.mkdir()
    foreign = tmp_path / f".out.simsla-tmp-{dead}-notours"  # a simsla-like name holding someone's file
    foreign.mkdir()
    (foreign / "diary.txt").write_text("x")
    results.save(folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", running.name, foreign.name])


def test_check_output_file(tmp_path):
    ours = tmp_path / "fitted.yaml"
    ours.write_text("# Fitted by `simsla fit` from calls.csv\nname: x\n")
    assert check_output_file(ours, "Fitted by `simsla fit`") == ours
    assert check_output_file(tmp_path / "new.yaml", "Fitted by `simsla fit`") == tmp_path / "new.yaml"
    theirs = tmp_path / "desk.yaml"
    theirs.write_text("name: my hand-written desk\n")
    with pytest.raises(OutputFolderError, match="desk.yaml: exists and was not written by simsla"):
        check_output_file(theirs, "Fitted by `simsla fit`")
    with pytest.raises(OutputFolderError, match="is a folder, not a file"):
        check_output_file(tmp_path, "Fitted by `simsla fit`")
