"""Back-test: simulate a (fitted) scenario over the log's span and compare with the log.

Calls: calls offered, abandonment share, P(wait <= 20 s | served), mean wait
of served calls, mean handling time.  Tickets: arrivals per week and per hour
of the week, priority mix, resolution-time quantiles per priority, share
resolved by the end.  Simulated values are the mean over replications with a
95 % t-interval; the relative error is (simulated - observed) / observed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

HOUR = 3600.0


@dataclass
class BacktestResult:
    """Observed vs simulated, one row per measure."""

    kind: str
    rows: list[dict[str, Any]]
    replications: int
    seed: int
    profile: pd.DataFrame = field(default_factory=pd.DataFrame)   # hour of week: observed vs simulated
    notes: list[str] = field(default_factory=list)
    insample: "BacktestResult | None" = None    # a hold-out's in-sample comparison (same fitted scenario)
    utilisation: dict[str, float] = field(default_factory=dict)   # a hold-out fit's utilisation per group

    def table(self) -> pd.DataFrame:
        """What the command line prints: this comparison, with the in-sample one beside it for a hold-out
        (observed, simulated and relative error of each)."""
        df = self.to_frame()[["measure", "observed", "simulated", "relative_error"]]
        if self.insample is None:
            return df
        ins = self.insample.to_frame()[["measure", "observed", "simulated", "relative_error"]]
        ins.columns = ["measure", "in-sample observed", "in-sample simulated", "in-sample rel. error"]
        df = df.rename(columns={"observed": "hold-out observed", "simulated": "hold-out simulated",
                                "relative_error": "hold-out rel. error"})
        return ins.merge(df, on="measure", how="outer", sort=False)

    def to_frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=["measure", "observed", "simulated", "ci_low", "ci_high"])
        obs = df["observed"].astype(float)
        df["relative_error"] = np.where(obs.abs() > 0, (df["simulated"].astype(float) - obs) / obs.abs(), np.nan)
        return df

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "replications": self.replications, "seed": self.seed, "notes": self.notes,
               "measures": json.loads(self.to_frame().to_json(orient="records")),
               "hour_of_week": json.loads(self.profile.to_json(orient="records")) if len(self.profile) else []}
        if self.insample is not None:
            out["in_sample"] = {"notes": self.insample.notes,
                                "measures": json.loads(self.insample.to_frame().to_json(orient="records"))}
        if self.utilisation:
            out["utilisation"] = self.utilisation
        return out

    def write(self, folder: str | Path) -> list[Path]:
        from simsla.fit.report import profile_figure

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.table().to_csv(folder / "backtest.csv", index=False)
        (folder / "backtest.json").write_text(json.dumps(self.to_dict(), indent=2))
        files = [folder / "backtest.csv", folder / "backtest.json"]
        if len(self.profile):
            files.append(profile_figure(folder / "backtest_arrivals.png", self.profile["observed"].to_numpy(),
                                        "Arrivals per hour of the week: observed vs simulated",
                                        self.profile["simulated"].to_numpy()))
        return files


def _row(measure: str, observed: float, per_rep: list[float]) -> dict[str, Any]:
    v = np.asarray([x for x in per_rep if np.isfinite(x)], dtype=float)
    if len(v) == 0:
        return {"measure": measure, "observed": observed, "simulated": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    m = float(v.mean())
    if len(v) > 1:
        half = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    else:
        half = np.nan
    return {"measure": measure, "observed": float(observed), "simulated": m, "ci_low": m - half, "ci_high": m + half}


def _scenario(scenario: Any, fitted):
    from simsla.io import load_scenario
    from simsla.model import Scenario

    if scenario is None:
        return fitted().scenario()
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


def _over_span(scenario, start: pd.Timestamp, end: pd.Timestamp, tail: float = 0.0):
    """The scenario moved to the log's span (same start date, horizon = span + tail, no warm-up)."""
    return scenario.model_copy(update={"start": start.date(), "warmup": 0.0,
                                       "horizon": float((end - start).total_seconds()) + tail})


def run_backtest(log_path, format: str, scenario: Any, replications: int, seed: int, workers: int | None,
                 mapping: Any = None, holdout: float | None = None, window: str | None = None) -> BacktestResult:
    import simsla

    if format == "counts":  # fit on all but the last weeks, predict them (simsla.fit.counts_backtest)
        from simsla.fit.counts_backtest import counts_backtest

        return counts_backtest(log_path, mapping, holdout, replications, seed)
    if format == "calls":
        from simsla.fit.calls import observed_measures, read_calls
        from simsla.fit.calls_scenario import calls_result
        from simsla.fit.quality import Quality

        calls = read_calls(log_path, Quality())
        obs = observed_measures(calls)
        off = calls[calls["outcome"].isin(["served", "abandoned"])]
        from simsla.fit.arrivals import fit_arrivals, span_of
        from simsla.fit.reading import MIN_CALLS, require_enough

        # the same floor as fitting: fewer observed calls make every measure below noise
        require_enough(len(off), MIN_CALLS, "calls offered to agents", "to compare a simulation with")

        start, end = span_of(off["arrival"])
        sc = _over_span(_scenario(scenario, lambda: calls_result(log_path)), start, end)
        res = simsla.simulate(sc, replications=replications, seed=seed, workers=workers)
        per = [call_measures(res, r) for r in range(replications)]
        rows = [_row(k, obs[k], [p[k] for p in per]) for k in obs]
        prof = _profile(fit_arrivals(off["arrival"], "calls", (start, end)).hourly, res, sc, start, end)
        return BacktestResult("calls", rows, replications, seed, prof)
    from simsla.fit.tickets_backtest import ticket_backtest, ticket_holdout

    if holdout is not None:     # fit on the tickets opened before the last `holdout` seconds, predict those
        return ticket_holdout(log_path, format, mapping, holdout=holdout, replications=replications, seed=seed,
                              workers=workers, window=window)
    return ticket_backtest(log_path, format, scenario, replications, seed, workers, mapping, window)


def call_measures(res, replication: int, answer_within: float = 20.0) -> dict[str, float]:
    t = res.tickets[(res.tickets["replication"] == replication) & (res.tickets["channel"] == "phone")]
    served = t[t["answered"].notna()]
    wait = served["answered"] - served["arrival"]
    seg = res.segments[(res.segments["replication"] == replication) & (res.segments["party"] == res.scenario.desk.name)
                       & (res.segments["outcome"] == "resolved")]
    return {"calls offered": float(len(t)),
            "abandonment share": float((t["outcome"] == "abandoned").mean()) if len(t) else np.nan,
            "P(wait <= 20 s | served)": float((wait <= answer_within).mean()) if len(served) else np.nan,
            "mean wait (served), s": float(wait.mean()) if len(served) else np.nan,
            "mean handling time, s": float((seg["end"] - seg["start"]).mean()) if len(seg) else np.nan}


def _profile(observed: np.ndarray, res, sc, start: pd.Timestamp, end: pd.Timestamp, mask=None) -> pd.DataFrame:
    """Mean arrivals per hour of the week, observed vs simulated (all replications pooled)."""
    t = res.tickets if mask is None else res.tickets[mask]
    span = (end - start).total_seconds()
    t = t[t["arrival"] < span]
    when = pd.Timestamp(start) + pd.to_timedelta(t["arrival"].to_numpy(), unit="s")
    how = when.day_of_week * 24 + when.hour
    hours = pd.date_range(start, end, freq="h", inclusive="left")
    occ = np.bincount(hours.day_of_week * 24 + hours.hour, minlength=168)
    sim = np.bincount(how, minlength=168) / np.maximum(occ, 1) / max(res.replications, 1)
    return pd.DataFrame({"hour_of_week": range(168), "observed": observed, "simulated": sim})
