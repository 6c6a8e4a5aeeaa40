"""Verdicts from the breach probability's interval, not its point (simsla.analysis.verdict)."""

import pytest

from simsla.analysis.stats import wilson_ci
from simsla.analysis.verdict import judge, judge_target, periods_needed, risk_light


def _row(breaches: int, periods: int, counted: int = 1000, fraction: float = 0.8, **extra) -> dict:
    p, lo, hi = wilson_ci(breaches, periods)
    return {"agreement": "SLA", "target": "t", "fraction": fraction, "breach_probability": p,
            "breach_probability_ci95": [lo, hi], "periods_evaluated": periods, "counted": counted,
            "complete_periods_only": True, **extra}


def test_a_zero_point_estimate_with_a_wide_interval_is_not_green() -> None:
    # the example: "0 % [0-16]" was green although the interval passes the line
    v = judge_target(_row(0, 20), confidence=0.9)
    assert v.breach_probability == 0.0 and v.breach_ci95[1] > 0.1
    assert v.light == "amber"


def test_lights_follow_the_interval() -> None:
    assert judge_target(_row(0, 60), 0.9).light == "green"      # upper end 6 % < 10 %
    assert judge_target(_row(30, 60), 0.9).light == "red"       # lower end far above 10 %
    assert judge_target(_row(6, 60), 0.9).light == "amber"      # 10 % straddles
    assert risk_light(0.05, 0.01, 0.099, 0.1) == "green" and risk_light(0.2, 0.101, 0.3, 0.1) == "red"


def test_periods_needed_is_the_first_n_whose_empty_interval_ends_below_the_line() -> None:
    for line in (0.05, 0.1, 0.2):
        n = periods_needed(line)
        assert wilson_ci(0, n)[2] < line <= wilson_ci(0, n - 1)[2]


def test_statuses_and_the_headline() -> None:
    rows = [_row(0, 60), _row(30, 60), _row(6, 60), _row(0, 8), _row(0, 60, counted=0)]
    v = judge(rows, confidence=0.9, replications=4)
    assert [t.status for t in v.targets] == ["defensible", "not defensible", "at risk", "cannot be judged",
                                             "cannot be judged"]
    assert v.headline().startswith("1 of 5 target(s) defensible at 90% confidence")
    assert "1 at risk" in v.headline() and "1 not defensible" in v.headline() and "2 cannot be judged" in v.headline()
    # 8 periods over 4 replications = 2 per replication; 35 periods need 18 replications
    assert v.advice is not None and "35 complete periods" in v.advice and "18 replications" in v.advice


def test_confidence_must_be_a_probability() -> None:
    with pytest.raises(ValueError, match="confidence"):
        judge([_row(0, 60)], confidence=1.0)


def test_an_interval_that_no_record_could_bring_under_the_line_cannot_be_judged() -> None:
    # 20 periods without a breach: [0-16 %] straddles a 10 % line, and would even with a perfect record,
    # so the answer is "run more replications", not "at risk"
    assert judge_target(_row(0, 20), 0.9).status == "cannot be judged"
    assert judge_target(_row(2, 40), 0.9).status == "at risk"  # 40 periods could have shown it, and did not
