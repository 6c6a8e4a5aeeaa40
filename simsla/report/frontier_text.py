"""The defensible offer in the terminal: both answers with their intervals, rounded to what the data supports.

Draws what ``simsla.decide.frontier`` computed; computes no metric.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from simsla.model.units import format_duration


def _pct(x: float | None, step: float | None) -> str:
    if x is None:
        return "none"
    digits = 1 if step is not None and step < 0.01 else 0
    return f"{100 * x:.{digits}f} %"


def print_frontier(found: Any, console: Console) -> None:
    """Print a ``Frontier``: the target as agreed, the tightest threshold and the highest fraction it defends.

    Each answer is rounded to a step no finer than a quarter of its 95 %
    interval over replications (threshold up, fraction down), and what limits
    the data is said.
    """
    offer = found.offer()
    head = Text(f"{found.agreement} / {found.target}", style="bold")
    head.append(f" at {found.confidence:.0%} confidence per {found.period} "
                f"({found.periods} replication-periods from {found.replications} replication(s))")
    console.print(head)
    lo, hi = found.breach_ci95
    p = found.breach_probability
    console.print(Text(f"  as agreed ({100 * found.fraction:g} % within {format_duration(found.threshold)}): breach "
                       f"probability {100 * p:.0f} % [{100 * (lo or 0):.0f}–{100 * (hi or 0):.0f}]"))
    t_lo, t_hi = offer["tightest_threshold_ci95"]
    if offer["tightest_threshold"] is None:
        tight = "none defended"
    else:
        tight = f"{offer['tightest_threshold']} of business time"
        if t_lo is not None and t_lo != t_hi:
            tight += f" [95 % interval {t_lo}–{t_hi}; rounded up to {offer['threshold_step']}]"
        elif t_lo is not None:
            tight += " (the same in every resample of the replications)"
    console.print(Text(f"  tightest threshold at {100 * found.fraction:g} %: {tight}"))
    f_lo, f_hi = offer["highest_fraction_ci95"]
    step = offer["fraction_step"]
    high = _pct(offer["highest_fraction"], step)
    if offer["highest_fraction"] is not None and f_lo is not None:
        high += f" [95 % interval {_pct(f_lo, step)}–{_pct(f_hi, step)}; rounded down]"
    elif offer["highest_fraction"] is None:
        high = "none defended"
    console.print(Text(f"  highest fraction within {format_duration(found.threshold)}: {high}"))
    for note in found.notes:
        console.print(Text(f"  note: {note}", style="yellow"))
