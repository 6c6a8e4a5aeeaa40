"""simsla.decide.sweep: points, the path syntax, resuming, and paired differences."""

from __future__ import annotations

import pytest

import simsla
from simsla.decide.sweep import PathError, apply_changes, expand_points, parse_path, sweep


def desk(staff: int = 5) -> simsla.Scenario:
    return simsla.Scenario.model_validate({
        "name": "one desk", "start": "2026-01-05", "timezone": "UTC", "horizon": "1w",
        "services": [{"name": "helpdesk"}],
        "demand": [{"name": "calls", "channel": "phone", "type": "incident", "volume": "30/h"},
                   {"name": "mails", "channel": "email", "type": "request", "volume": "2/h"}],
        "groups": [{"name": "service-desk", "role": "desk", "staff": staff, "first_contact_resolution": 1.0,
                    "discipline": "fifo", "handling": {"dist": "exponential", "mean": "5m"}}],
        "agreements": [{"name": "SLA A", "kind": "SLA", "period": "week", "targets": [
            {"name": "calls in 20s", "metric": "answer_time", "threshold": "20s", "fraction": 0.8},
            {"name": "P3 resolution", "metric": "resolution", "when": {"priority": "P3"}, "threshold": "1h",
             "fraction": 0.9}]}],
    })


def test_grid_and_zipped_points() -> None:
    vary = {"a": [1, 2], "b": ["x", "y", "z"]}
    assert len(expand_points(vary)) == 6
    assert expand_points(vary)[:2] == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}]
    assert expand_points({"a": [1, 2], "b": [3, 4]}, grid=False) == [{"a": 1, "b": 3}, {"a": 2, "b": 4}]
    with pytest.raises(PathError, match="equally long"):
        expand_points(vary, grid=False)
    assert expand_points([{"a": 1}, {"b": 2}]) == [{"a": 1}, {"b": 2}]


def test_path_syntax_and_values() -> None:
    sc = desk()
    assert parse_path("agreements[SLA A].targets[calls in 20s].threshold") == [
        ("agreements", ["SLA A"]), ("targets", ["calls in 20s"]), ("threshold", [])]
    assert apply_changes(sc, {"groups[desk].staff": 9}).desk.staff == 9  # the desk by its role
    assert apply_changes(sc, {"groups[service-desk].staff": "+2"}).desk.staff == 7
    assert apply_changes(sc, {"groups[0].staff": "x2"}).desk.staff == 10
    assert apply_changes(sc, {"groups[0].staff": "x1.3"}).desk.staff == 6  # whole numbers stay whole
    more = apply_changes(sc, {"demand[*].volume": "x1.2"})
    assert [d.volume for d in more.demand] == pytest.approx([d.volume * 1.2 for d in sc.demand])
    t = apply_changes(sc, {"agreements[SLA A].targets[calls in 20s].threshold": "30s"}).agreements[0].targets[0]
    assert t.threshold == 30.0
    t = apply_changes(sc, {"agreements[SLA A].targets[1].threshold": "+30m"}).agreements[0].targets[1]
    assert t.threshold == 5400.0
    h = apply_changes(sc, {"groups[desk].handling": "{dist: lognormal, mean: 4m, cv: 0.5}"}).desk.handling
    assert h.dist == "lognormal" and h.mean == 240.0
    sh = apply_changes(sc, {"groups[desk].staff": None, "groups[desk].shifts": [{"days": "all", "hours": "24h", "staff": 7}]})
    assert sh.desk.shifts[0].staff == 7


@pytest.mark.parametrize("path, value, message", [
    ("groups[dsk].staff", 3, "no item named 'dsk' in groups.*did you mean 'desk'|no item named 'dsk'"),
    ("groups[desk].staf", 3, "has no field 'staf'; did you mean 'staff'"),
    ("groups[desk.staff", 3, r"'\[' without '\]'"),
    ("demand[7].volume", "x2", "index 7 is out of range"),
    ("groups[desk].staff.value", 3, "has no fields"),
    ("groups.staff", 3, "groups.*is a list|has no fields"),
    ("demand[calls].channel", "x2", "cannot multiply"),
    ("groups[desk].staff", -1, r"invalid scenario: groups\[0\]\.staff"),
    ("groups[desk]..staff", 1, "cannot read step"),
])
def test_path_errors_are_clear(path, value, message) -> None:
    with pytest.raises(PathError, match=message):
        apply_changes(desk(), {path: value})


def test_errors_come_before_any_simulation(tmp_path) -> None:
    with pytest.raises(PathError):
        sweep(desk(), {"groups[desk].staff": [7, -3]}, replications=2, seed=1, workers=1, out_dir=tmp_path)
    assert not (tmp_path / "points").exists()


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    calls = []
    res = sweep(desk(5), {"groups[desk].staff": [4, 6]}, replications=6, seed=3, workers=2, out_dir=folder,
                progress=lambda d, t: calls.append((d, t)))
    return res, folder, calls


def test_sweep_table_and_files(swept) -> None:
    res, folder, calls = swept
    t = res.to_frame()
    assert len(t) == 3 * 2  # baseline + 2 points, 2 targets
    assert calls[-1] == (18, 18)
    assert (folder / "sweep.csv").is_file() and (folder / "sweep.json").is_file()
    assert len(list((folder / "points").glob("*.json"))) == 3
    calls_t = t[t["target"] == "calls in 20s"].set_index("groups[desk].staff", drop=False)
    base = t[(t["baseline"]) & (t["target"] == "calls in 20s")].iloc[0]
    assert base["diff_attainment"] == 0.0
    low, high = calls_t.loc[4], calls_t.loc[6]
    # one agent more or less moves the service level clearly, in the right direction
    assert high["diff_attainment_ci_low"] > 0 and low["diff_attainment_ci_high"] < 0
    assert low["attainment_ci_high"] < base["attainment_ci_low"]


def test_paired_differences_are_tighter_than_unpaired(swept) -> None:
    res, _, _ = swept
    t = res.to_frame()
    rows = t[(~t["baseline"]) & (t["target"] == "calls in 20s")]
    for _, r in rows.iterrows():
        paired = r["diff_attainment_ci_high"] - r["diff_attainment_ci_low"]
        unpaired = r["diff_attainment_unpaired_ci_high"] - r["diff_attainment_unpaired_ci_low"]
        assert paired < unpaired, (paired, unpaired)


def test_rerun_skips_finished_points_and_loses_nothing(swept) -> None:
    res, folder, _ = swept
    calls = []
    again = sweep(desk(5), {"groups[desk].staff": [4, 6]}, replications=6, seed=3, workers=1, out_dir=folder,
                  progress=lambda d, t: calls.append((d, t)))
    assert calls == [], "nothing is simulated again"
    assert again.to_frame().equals(res.to_frame())
    # a new point: only its replications run; the old ones are read back
    calls.clear()
    more = sweep(desk(5), {"groups[desk].staff": [4, 6, 7]}, replications=6, seed=3, workers=1, out_dir=folder,
                 progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (6, 6)
    assert len(more.to_frame()) == 4 * 2
    old = more.to_frame()
    assert old[old["point"] <= 2].reset_index(drop=True).equals(res.to_frame())


def test_a_point_that_changes_nothing_is_the_baseline_shown_once() -> None:
    res = sweep(desk(5), {"groups[desk].staff": ["x1", 6]}, replications=2, seed=3, workers=1)
    t = res.to_frame()
    assert [p["code"] for p in res.points] == ["base", "A"]
    assert res.same_as_baseline == [{"groups[desk].staff": "x1"}]
    assert t["baseline"].sum() == t["target"].nunique()  # one baseline row per target, not two
    assert set(t["code"]) == {"base", "A"}


def test_rows_on_too_little_data_say_so() -> None:
    res = sweep(desk(5), {"groups[desk].staff": [6]}, replications=2, seed=3, workers=1)
    t = res.to_frame()
    # two replications of a short horizon: far fewer than 20 complete periods behind every breach probability
    assert (t["periods"] < 20).all()
    assert t["sample_note"].str.contains("few periods").all()
