"""Figures: observed vs fitted (arrival profiles, duration fits with Q-Q/ECDF, patience survival)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, path: Path) -> Path:
    """Write a figure as PNG and free it (pyplot keeps every open figure otherwise).

    Titles and legends name groups and call types from the log: drawn literally, never as mathtext."""
    from simsla.report.figures_style import literal_text

    literal_text(fig)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def profile_figure(path: Path, observed: np.ndarray, title: str, fitted: np.ndarray | None = None,
                   ylabel: str = "mean arrivals per hour") -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 3.2))
    ax.bar(np.arange(168), observed, width=1.0, color="#9ab", label="observed (mean per hour of week)")
    if fitted is not None:
        ax.step(np.arange(168), fitted, where="mid", color="#c33", lw=1.2, label="simulated / fitted")
    ax.set_xticks(np.arange(0, 168, 24), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    ax.set_xlim(-0.5, 167.5)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    return _save(plt, fig, path)


def duration_figure(path: Path, x: np.ndarray, fit, title: str, unit: float = 1.0, unit_name: str = "s") -> Path:
    """Goodness of fit: histogram (log axis) with fitted densities, and Q-Q plot of the chosen family."""
    plt = _plt()
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.6))
    lo, hi = np.quantile(x, [0.001, 0.999])
    bins = np.logspace(np.log10(max(lo, 1e-3)), np.log10(max(hi, lo * 1.01)), 50)
    a1.hist(x / unit, bins=bins / unit, density=True, color="#9ab", label=f"observed (n={len(x)})")
    grid = np.logspace(np.log10(bins[0]), np.log10(bins[-1]), 300)
    for c in sorted(fit.candidates, key=lambda c: c.aic):
        lw = 2 if c.family == fit.best.family else 0.8
        a1.plot(grid / unit, c.frozen.pdf(grid) * unit, lw=lw, label=f"{c.family} (AIC {c.aic:.0f})")
    a1.set_xscale("log")
    a1.set_xlabel(unit_name)
    a1.set_title(title, fontsize=9)
    a1.legend(fontsize=7)
    q = np.linspace(0.01, 0.99, 99)
    a2.loglog(fit.best.frozen.ppf(q) / unit, np.quantile(x, q) / unit, "o", ms=3, color="#c33")
    lims = [min(a2.get_xlim()[0], a2.get_ylim()[0]), max(a2.get_xlim()[1], a2.get_ylim()[1])]
    a2.plot(lims, lims, "k--", lw=0.8)
    a2.set_xlabel(f"fitted {fit.best.family} quantile ({unit_name})")
    a2.set_ylabel(f"observed quantile ({unit_name})")
    poor = bool(getattr(fit, "poor", False))
    verdict = fit.verdict() if hasattr(fit, "verdict") else ""
    a2.set_title(f"Q-Q plot, 1 %..99 %; {verdict}" if verdict else "Q-Q plot, 1 %..99 %", fontsize=9,
                 color="#c00" if poor else "black")
    return _save(plt, fig, path)


def survival_figure(path: Path, patience) -> Path:
    """Patience: Kaplan-Meier vs censored fits vs the naive fit to abandoners only."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.step(patience.km_times, patience.km_surv, where="post", color="k", label="Kaplan-Meier (censored)")
    t = np.linspace(0, max(patience.km_times.max() if len(patience.km_times) else 600, 60), 300)
    for c in patience.censored.candidates:
        ax.plot(t, c.frozen.sf(t), lw=2 if c.family == patience.censored.best.family else 0.8,
                label=f"{c.family}, censored MLE (mean {c.mean:.0f} s)")
    ax.plot(t, np.exp(-t / patience.naive_mean), "--", color="grey",
            label=f"naive: exponential with the abandoners' mean wait ({patience.naive_mean:.0f} s)")
    ax.set_xlabel("patience (s)")
    ax.set_ylabel("P(patience > t)")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    ax.set_title("Callers' patience")
    return _save(plt, fig, path)


def staffing_figure(path: Path, staff) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 3.2))
    x = np.arange(168)
    ax.step(x, staff["agents"], where="mid", label="distinct agents active in the hour")
    ax.step(x, staff["present"], where="mid", label="agents on duty (estimate used)")
    ax.step(x, staff["busy"], where="mid", label="agents busy")
    ax.set_xticks(np.arange(0, 168, 24), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    ax.set_ylabel("agents (mean)")
    ax.legend(fontsize=8)
    ax.set_title("Staffing estimated from the log")
    return _save(plt, fig, path)
