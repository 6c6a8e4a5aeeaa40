"""The frontier of defensible (threshold, fraction) pairs, from ONE set of simulation results.

A target says "a fraction ``f`` of the items within ``threshold`` business
time, per period".  The simulated items of the target (``items(results,
agreement, target)``: one business-time ``value`` per ticket or visit) do not
depend on the threshold or the fraction, so every other pair can be judged on
the same results without simulating again:

* a complete replication-period *p* with values ``v_p`` has share
  ``s_p(t) = #(v_p <= t) / n_p`` within a threshold ``t`` (a period with no
  items is met, as in ``evaluate``);
* the pair ``(t, f)`` is breached in *p* when ``s_p(t) < f``, and its breach
  probability is the share of complete replication-periods breached;
* the pair is **defended with confidence c** when that probability is at most
  ``1 - c`` (``criterion="estimate"``, the same rule as ``find_staffing``) or
  when the upper end of its 95 % Wilson interval is (``criterion="upper"``,
  stricter: it accounts for the number of periods simulated).

Closed forms make this exact rather than a grid search: with ``N`` periods
and ``m`` breaches allowed, the tightest threshold at fraction ``f`` is the
``(N - m)``-th smallest per-period order statistic ``q_p(f)`` (the
``ceil(f n_p)``-th smallest value of period *p*), and the highest fraction at
threshold ``t`` is the ``(m + 1)``-th smallest per-period share ``s_p(t)``.

Items that can never meet any threshold (abandoned calls under
``abandoned: miss``) count with an infinite value.  Items still open at the
end of the run count with the time they had taken so far (a lower bound), as
``items`` gives them; for thresholds far above the agreed one these few are
optimistic.  Availability targets have no items and no frontier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Sequence

import numpy as np
import pandas as pd

from simsla.analysis.attainment import items, measured_periods
from simsla.analysis.measures import EPS
from simsla.analysis.periods import period_index
from simsla.analysis.sample import sample_notes
from simsla.analysis.stats import wilson_ci
from simsla.decide._common import jsonable, readable_duration, write_csv_atomic, write_json_atomic
from simsla.model import Agreement, Target

if TYPE_CHECKING:
    from simsla.experiment.results import Results

Criterion = Literal["estimate", "upper"]


@dataclass
class Frontier:
    """What one set of results defends for one target.

    Attributes
    ----------
    agreement, target, metric, period : str
        The target judged.
    threshold, fraction : float
        The target's own threshold (business seconds) and fraction.
    confidence : float
        Required probability of meeting the target in a period.
    criterion : {"estimate", "upper"}
        How "met with confidence" is judged (see module docstring).
    periods : int
        Complete replication-periods the breach probabilities are taken over.
    breach_probability, breach_ci95 : float, (float, float)
        Of the target as agreed.
    tightest_threshold : float or None
        Smallest threshold defended at the target's fraction (None: none is;
        ``inf``: only an infinite one, e.g. abandoned calls miss too often).
    highest_fraction : float or None
        Highest fraction defended at the target's threshold (None: none is).
    curve : pandas.DataFrame
        Per fraction of a grid: the tightest defended threshold and its
        breach probability with a Wilson 95 % interval.
    grid : pandas.DataFrame
        Breach probability for every (threshold, fraction) of a grid, long
        form (for contour plots).
    """

    agreement: str
    target: str
    metric: str
    period: str
    threshold: float
    fraction: float
    confidence: float
    criterion: str
    periods: int
    breach_probability: float | None
    breach_ci95: tuple[float | None, float | None]
    tightest_threshold: float | None
    highest_fraction: float | None
    curve: pd.DataFrame = field(repr=False)
    grid: pd.DataFrame = field(repr=False)
    replications: int = 0
    tightest_threshold_ci95: tuple[float | None, float | None] = (None, None)
    highest_fraction_ci95: tuple[float | None, float | None] = (None, None)
    threshold_step: float | None = None
    fraction_step: float | None = None
    notes: tuple[str, ...] = ()

    def offer(self) -> dict[str, Any]:
        """The two answers rounded to what the data supports, with their intervals (readable forms)."""
        def thr(x: float | None) -> str | None:
            if x is None:
                return None
            if not math.isfinite(x):
                return "inf"
            return readable_duration(round_to(x, self.threshold_step, "up"))

        def frac(x: float | None) -> float | None:
            return None if x is None else round_to(x, self.fraction_step, "down")

        lo_t, hi_t = self.tightest_threshold_ci95
        lo_f, hi_f = self.highest_fraction_ci95
        return {"tightest_threshold": thr(self.tightest_threshold),
                "tightest_threshold_ci95": [thr(lo_t), thr(hi_t)],
                "threshold_step": readable_duration(self.threshold_step) if self.threshold_step else None,
                "highest_fraction": frac(self.highest_fraction),
                "highest_fraction_ci95": [frac(lo_f), frac(hi_f)],
                "fraction_step": self.fraction_step}

    def to_frame(self) -> pd.DataFrame:
        """The frontier curve: fraction -> tightest defended threshold."""
        return self.curve.copy()

    def grid_frame(self) -> pd.DataFrame:
        """Breach probabilities on the (threshold, fraction) grid, long form."""
        return self.grid.copy()

    def grid_matrix(self) -> pd.DataFrame:
        """The grid as a matrix: thresholds (rows) x fractions (columns)."""
        return self.grid.pivot(index="threshold_seconds", columns="fraction", values="breach_probability")

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready (thresholds in business seconds, with readable forms)."""
        return jsonable({
            "agreement": self.agreement, "target": self.target, "metric": self.metric, "period": self.period,
            "threshold_seconds": self.threshold, "threshold": readable_duration(self.threshold),
            "fraction": self.fraction, "confidence": self.confidence, "criterion": self.criterion,
            "periods": self.periods,
            "breach_probability": self.breach_probability, "breach_probability_ci95": list(self.breach_ci95),
            "tightest_threshold_seconds": _finite_or_text(self.tightest_threshold),
            "tightest_threshold": None if self.tightest_threshold is None else readable_duration(self.tightest_threshold),
            "highest_fraction": self.highest_fraction,
            "replications": self.replications,
            "tightest_threshold_ci95_seconds": [_finite_or_text(x) for x in self.tightest_threshold_ci95],
            "highest_fraction_ci95": list(self.highest_fraction_ci95),
            "offer": self.offer(), "notes": list(self.notes),
            "curve": self.curve.to_dict(orient="records"),
            "grid": {"thresholds_seconds": sorted(self.grid["threshold_seconds"].unique().tolist()),
                     "fractions": sorted(self.grid["fraction"].unique().tolist()),
                     "breach_probability": self.grid_matrix().to_numpy().tolist()},
        })

    def save(self, folder: str | Path) -> Path:
        """Write frontier.json, frontier_curve.csv and frontier_grid.csv (each atomically)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_csv_atomic(folder / "frontier_curve.csv", self.curve)
        write_csv_atomic(folder / "frontier_grid.csv", self.grid)
        write_json_atomic(folder / "frontier.json", self.to_dict())
        return folder


def _finite_or_text(x: float | None) -> Any:
    if x is None:
        return None
    return x if math.isfinite(x) else "inf"


def _find(results: "Results", agreement: str | Agreement, target: str | Target) -> tuple[Agreement, Target]:
    sc = results.scenario
    ag = agreement if isinstance(agreement, Agreement) else next((a for a in sc.agreements if a.name == agreement), None)
    if ag is None:
        raise ValueError(f"no agreement named {agreement!r} (known: {[a.name for a in sc.agreements]})")
    tg = target if isinstance(target, Target) else next((t for t in ag.targets if t.name == target), None)
    if tg is None:
        raise ValueError(f"agreement {ag.name!r} has no target {target!r} (known: {[t.name for t in ag.targets]})")
    if tg.metric == "availability":
        raise ValueError(f"{ag.name} / {tg.name}: availability targets have no per-item values, hence no frontier")
    return ag, tg


def period_values(results: "Results", agreement: str | Agreement, target: str | Target) -> list[np.ndarray]:
    """Sorted business-time values of each complete replication-period (empty arrays for periods without items).

    Forced misses (abandoned calls under ``abandoned: miss``) have value ``inf``.
    """
    ag, tg = _find(results, agreement, target)
    sc = results.scenario
    found = items(results, ag, tg)
    values = found["value"].to_numpy(dtype=float).copy()
    met = found["met"].to_numpy(dtype=bool)
    threshold = float(tg.threshold)  # type: ignore[arg-type]
    values[~met & (values <= threshold + EPS)] = np.inf  # missed although within the threshold: a forced miss
    table = measured_periods(sc, float(results.runs["stopped_at"].min()), ag.period)
    table = table[table["complete"]]
    codes = np.asarray(period_index(found["when"].to_numpy(dtype=float), sc.origin, sc.timezone, ag.period)) if len(found) else np.zeros(0, dtype=np.int64)
    reps = found["replication"].to_numpy()
    out = []
    for r in sorted(results.runs["replication"].unique().tolist()):
        mine = reps == r
        for code in table["code"].to_numpy():
            out.append(np.sort(values[mine & (codes == code)]))
    return out


def _order_stat(v: np.ndarray, f: float) -> float:
    """Smallest threshold meeting fraction f in one period (-inf when the period has no items)."""
    n = len(v)
    if n == 0:
        return -math.inf
    k = max(1, math.ceil(f * n - 1e-9))
    return float(v[k - 1])


def _shares(periods: list[np.ndarray], thresholds: np.ndarray) -> np.ndarray:
    """Share within each threshold, per period: shape (periods, thresholds)."""
    out = np.ones((len(periods), len(thresholds)))
    for i, v in enumerate(periods):
        if len(v):
            out[i] = np.searchsorted(v, thresholds + EPS, side="right") / len(v)
    return out


def tightest_threshold(periods: list[np.ndarray], m: int, f: float) -> float | None:
    """Smallest threshold at fraction ``f`` breached in at most ``m`` of the periods (None: none is)."""
    n = len(periods)
    if m < 0:
        return None
    if m >= n:
        return 0.0
    q = np.sort([_order_stat(v, f) for v in periods])
    return max(0.0, float(q[n - m - 1]))


def highest_fraction(periods: list[np.ndarray], m: int, t: float) -> float | None:
    """Highest fraction at threshold ``t`` breached in at most ``m`` of the periods (None: none is)."""
    n = len(periods)
    if m < 0:
        return None
    if m >= n:
        return 1.0
    return float(np.sort(_shares(periods, np.array([t]))[:, 0])[m])


#: bootstrap resamples of the replications behind the frontier's intervals
BOOTSTRAP_DRAWS = 400
#: readable steps a threshold is rounded to (seconds)
_STEPS = (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400)


def round_to(x: float, step: float | None, how: str = "nearest") -> float:
    """``x`` rounded to a multiple of ``step``; ``how`` is ``"nearest"``, ``"up"`` or ``"down"``.

    The offer rounds a threshold up and a fraction down, so rounding never
    promises more than the simulation showed.
    """
    if step is None or step <= 0 or not math.isfinite(x):
        return x
    ratio = x / step
    k = math.ceil(ratio - 1e-9) if how == "up" else math.floor(ratio + 1e-9) if how == "down" else round(ratio)
    digits = max(0, -math.floor(math.log10(step)) + 1)  # 0.83, not 0.8300000000000001
    return float(round(k * step, digits))


def _threshold_step(low: float | None, high: float | None) -> float | None:
    """The largest readable step at most a quarter of the interval's width (the digits the data supports)."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return None
    width = high - low
    fitting = [s for s in _STEPS if s <= width / 4]
    return float(fitting[-1]) if fitting else 1.0


def _fraction_step(low: float | None, high: float | None) -> float | None:
    if low is None or high is None:
        return None
    width = high - low
    return next((s for s in (0.05, 0.01, 0.001) if s <= width / 4), 0.001)


def _bootstrap(periods: list[np.ndarray], replications: int, m: int, f0: float, thr0: float,
               seed: int) -> tuple[tuple[float | None, float | None], tuple[float | None, float | None]]:
    """95 % percentile intervals of the tightest threshold and highest fraction, resampling whole replications.

    Replications are the independent units (periods of one replication share
    its backlog), so they are what is resampled; ``m`` stays that of ``n``
    periods.  Fixed seed: the same results give the same intervals.
    """
    if replications < 2 or len(periods) % replications:
        return (None, None), (None, None)
    per = len(periods) // replications
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xF207,)))
    tight, high = [], []
    for _ in range(BOOTSTRAP_DRAWS):
        reps = rng.integers(0, replications, replications)
        sample = [periods[r * per + j] for r in reps for j in range(per)]
        t = tightest_threshold(sample, m, f0)
        h = highest_fraction(sample, m, thr0)
        tight.append(math.inf if t is None else t)
        high.append(0.0 if h is None else h)
    t_arr, h_arr = np.asarray(tight), np.asarray(high)
    t_lo, t_hi = float(np.quantile(t_arr, 0.025, method="lower")), float(np.quantile(t_arr, 0.975, method="higher"))
    h_lo, h_hi = float(np.quantile(h_arr, 0.025, method="lower")), float(np.quantile(h_arr, 0.975, method="higher"))
    return (t_lo, t_hi), (h_lo, h_hi)


def allowed_breaches(n: int, confidence: float, criterion: Criterion = "estimate") -> int:
    """Most breached periods out of ``n`` that still defend a target (-1: none suffices)."""
    alpha = 1.0 - confidence
    if criterion == "estimate":
        return int(math.floor(alpha * n + 1e-9))
    m = -1
    for k in range(n + 1):
        if wilson_ci(k, n)[2] <= alpha + 1e-12:
            m = k
        else:
            break
    return m


def frontier(
    results: "Results",
    agreement: str | Agreement,
    target: str | Target,
    confidence: float = 0.9,
    thresholds: Sequence[float] | None = None,
    fractions: Sequence[float] | None = None,
    *,
    criterion: Criterion = "estimate",
) -> Frontier:
    """Which (threshold, fraction) pairs one set of results defends for a target, without re-simulating.

    Parameters
    ----------
    results : Results
        One simulation (``simsla.simulate``); only complete periods count.
    agreement, target : str or model object
        The target, by name (``"SLA Almvik"``, ``"P1 resolution"``).
    confidence : float
        Required probability of meeting the target in a period (0.9: breach
        probability at most 10 %).
    thresholds : sequence of float, optional
        Thresholds (business seconds) of the breach grid; default 41 points
        from 0 to 1.5 x the largest finite threshold on the curve (and the
        target's own threshold).
    fractions : sequence of float, optional
        Fractions of the curve and grid; default 0.50, 0.51, ..., 0.99 and the
        target's own fraction.
    criterion : {"estimate", "upper"}
        "estimate": breach share <= 1 - confidence; "upper": the Wilson 95 %
        upper bound of the breach share <= 1 - confidence.

    Returns
    -------
    Frontier
        the tightest threshold at the target's fraction, the highest fraction
        at its threshold, the curve and the grid.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    ag, tg = _find(results, agreement, target)
    periods = period_values(results, ag, tg)
    n = len(periods)
    if n == 0:
        raise ValueError("the results hold no complete period of this target's length; simulate a longer horizon")
    m = allowed_breaches(n, confidence, criterion)
    thr0, f0 = float(tg.threshold), float(tg.fraction)  # type: ignore[arg-type]

    def tightest(f: float) -> float | None:
        return tightest_threshold(periods, m, f)

    def breach_at(t: float, f: float) -> tuple[int, float, float, float]:
        s = _shares(periods, np.array([t]))[:, 0]
        k = int((s < f - 1e-12).sum())
        p, lo, hi = wilson_ci(k, n)
        return k, p, lo, hi

    fr = np.asarray(fractions if fractions is not None else np.round(np.arange(0.50, 0.995, 0.01), 4), dtype=float)
    fr = np.unique(np.append(fr, f0))
    if np.any((fr <= 0) | (fr > 1)):
        raise ValueError("fractions must lie in (0, 1]")
    curve_rows = []
    for f in fr:
        t = tightest(float(f))
        row: dict[str, Any] = {"fraction": float(f), "threshold_seconds": t,
                               "threshold": None if t is None else readable_duration(t)}
        if t is not None and math.isfinite(t):
            k, p, lo, hi = breach_at(t, float(f))
            row.update(breaches=k, periods=n, breach_probability=p, breach_ci_low=lo, breach_ci_high=hi)
        else:
            row.update(breaches=None, periods=n, breach_probability=None, breach_ci_low=None, breach_ci_high=None)
        curve_rows.append(row)
    curve = pd.DataFrame(curve_rows)
    finite = [r["threshold_seconds"] for r in curve_rows if r["threshold_seconds"] is not None and math.isfinite(r["threshold_seconds"])]
    if thresholds is None:
        top = max(finite + [thr0]) * 1.5
        th = np.linspace(0.0, top if top > 0 else 1.0, 41)
    else:
        th = np.asarray(thresholds, dtype=float)
    th = np.unique(np.append(th, thr0))
    shares = _shares(periods, th)
    breach = (shares[:, :, None] < fr[None, None, :] - 1e-12).mean(axis=0)
    grid = pd.DataFrame({
        "threshold_seconds": np.repeat(th, len(fr)),
        "fraction": np.tile(fr, len(th)),
        "breach_probability": breach.ravel(),
    })
    grid["defended"] = grid["breach_probability"] * n <= m + 1e-9 if m >= 0 else False
    k0, p0, lo0, hi0 = breach_at(thr0, f0)
    replications = int(results.runs["replication"].nunique())
    tight_ci, high_ci = _bootstrap(periods, replications, m, f0, thr0, int(results.seed))
    found = [tightest(f0), highest_fraction(periods, m, thr0)]
    return Frontier(
        agreement=ag.name, target=tg.name, metric=tg.metric, period=ag.period, threshold=thr0, fraction=f0,
        confidence=confidence, criterion=criterion, periods=n, breach_probability=p0, breach_ci95=(lo0, hi0),
        tightest_threshold=found[0], highest_fraction=found[1], curve=curve, grid=grid,
        replications=replications, tightest_threshold_ci95=tight_ci, highest_fraction_ci95=high_ci,
        threshold_step=_threshold_step(*tight_ci), fraction_step=_fraction_step(*high_ci),
        notes=tuple(_notes(n, replications, periods, f0)),
    )


def _notes(n: int, replications: int, periods: list[np.ndarray], fraction: float) -> list[str]:
    """What limits the frontier's numbers, in words (``simsla.analysis.sample``'s rule)."""
    per_period = float(np.mean([len(v) for v in periods])) if periods else 0.0
    notes = [n.reason for n in sample_notes(n, per_period, fraction)]
    if replications < 2:
        notes.append("one replication: no interval can be given for the offer; simulate 10 or more")
    return notes
