"""The one rule for 'too little data behind a number' (simsla.analysis.sample)."""

import pytest

from simsla.analysis.sample import MIN_PERIODS, one_ticket_breaches, sample_notes
from simsla.analysis.stats import wilson_ci


@pytest.mark.parametrize("tickets, fraction, expected", [
    (4.9, 0.8, True),    # 1/4.9 > 20 %: one late ticket breaches
    (5.0, 0.8, False),   # 1 of 5 late is exactly 80 %: still met
    (9.0, 0.9, True),
    (10.0, 0.9, False),
    (1000.0, 1.0, True),  # a 100 % target always hangs on one ticket
])
def test_one_late_ticket_rule(tickets, fraction, expected) -> None:
    assert one_ticket_breaches(tickets, fraction) is expected


def test_the_rule_matches_the_arithmetic_of_a_period() -> None:
    # m tickets, one late: attainment (m-1)/m; the rule says "breaches" exactly when that is below the fraction
    for m in range(1, 60):
        for fraction in (0.5, 0.8, 0.9, 0.95):
            assert one_ticket_breaches(m, fraction) == ((m - 1) / m < fraction - 1e-12), (m, fraction)


def test_few_periods_quotes_the_wilson_bound() -> None:
    notes = sample_notes(10, 100.0, 0.8)
    assert [n.kind for n in notes] == ["few periods"]
    _, _, high = wilson_ci(0, 10)
    assert f"{high:.0%}" in notes[0].reason
    assert sample_notes(MIN_PERIODS, 100.0, 0.8) == []
    assert sample_notes(0, None, None)[0].reason == "no complete period was simulated"


def test_availability_targets_are_judged_on_periods_only() -> None:
    assert sample_notes(40, None, 0.998) == []
    assert [n.kind for n in sample_notes(40, 3.0, 0.9)] == ["few tickets"]
