"""Call logs in the Anonymous Bank format: read, clean, fit.

One row per call: ``vru+line, call_id, customer_id, priority, type, date
(YYMMDD), vru_entry, vru_exit, vru_time, q_start, q_exit, q_time, outcome
(AGENT served, HANG abandoned, PHANTOM), ser_start, ser_exit, ser_time,
server``.  Clock times are ``H:MM:SS`` on ``date``; ``0:00:00`` with a zero
duration means "did not happen".

What is offered to the agents: every call that asked for an agent, i.e. that
was served (AGENT) or hung up while queued (HANG with a queue time > 0).  A
HANG with no queue time hung up in the voice-response unit (VRU) and never
reached the queue; PHANTOM calls are not real calls.  Both are counted and
left out.

Patience is estimated WITH CENSORING: a served caller's wait is a lower
bound on their patience (they would have waited longer), so

* exponential MLE: rate = abandoned calls / total waiting time of all queued
  callers (served and abandoned);
* Kaplan-Meier: survival of patience with served waits as censored;
* lognormal / gamma / Weibull censored MLE (``scipy.stats.CensoredData``),
  chosen by AIC; this is what the scenario uses.

The naive mean of abandoners' waits is biased low (only the impatient ones
abandon) and is shown beside it for comparison only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simsla.fit.arrivals import ArrivalFit, fit_arrivals, span_of
from simsla.fit.distributions import DurationFit, fit_durations, kaplan_meier, km_quantile
from simsla.fit.quality import Quality
from simsla.fit.reading import MIN_CALLS, no_usable_rows, read_table, require_columns, require_enough, require_rows

MISSING = ("?", "", "NULL", "null", "NA", "nan")
COLUMNS = ("date", "vru_entry", "vru_exit", "q_start", "q_exit", "q_time", "outcome", "ser_start", "ser_exit",
           "ser_time", "server")
EXPECTS = "an Anonymous Bank call log (--format calls)"
HINT = ("--format calls reads one row per call with the columns above (date YYMMDD, clock times H:MM:SS); "
        "a ticket export needs --format servicenow, or --format csv --mapping MAP.yaml.")


def _clock(date: pd.Series, clock: pd.Series, quality: Quality, what: str) -> pd.Series:
    """date (YYMMDD) + H:MM:SS -> timestamp; missing/unparseable -> NaT (counted)."""
    text = clock.astype("string").str.strip()
    missing = text.isna() | text.isin(MISSING)
    parts = text.where(~missing).str.extract(r"^(\d{1,2}):(\d{2}):(\d{2})$").astype(float)
    valid = (parts[0] <= 24) & (parts[1] < 60) & (parts[2] < 60)
    secs = (parts[0] * 3600 + parts[1] * 60 + parts[2]).where(valid)
    bad = secs.isna() & ~missing
    quality.add(f"unparseable {what}", int(bad.sum()), "treated as missing",
                text[bad].iloc[0] if bad.any() else "")
    return date + pd.to_timedelta(secs, unit="s")


def read_calls(path: str | Path | pd.DataFrame, quality: Quality | None = None) -> pd.DataFrame:
    """The log as one clean row per call offered or not; see the module docstring.

    Columns: ``arrival`` (asked for an agent), ``outcome`` (served, abandoned,
    vru, phantom), ``wait`` (s, queued time), ``service`` (s), ``ser_start``,
    ``ser_end``, ``server``, ``type``, ``priority``, ``day``.
    """
    q = quality if quality is not None else Quality()
    raw = read_table(path, q)
    require_columns(raw, path, {c: c for c in COLUMNS}, EXPECTS, HINT)
    require_rows(raw, path)
    n0 = len(raw)
    dup = raw.duplicated()
    q.add("duplicate rows", int(dup.sum()), "dropped (kept the first)")
    raw = raw[~dup].reset_index(drop=True)
    date_text = raw["date"].astype("string").str.strip()
    date = pd.to_datetime(date_text, format="%y%m%d", errors="coerce")
    q.add("missing or unparseable date", int(date.isna().sum()), "row dropped",
          date_text[date.isna()].iloc[0] if date.isna().any() else "")
    out = pd.DataFrame({"day": date})
    for col in ("vru_entry", "vru_exit", "q_start", "q_exit", "ser_start", "ser_exit"):
        out[col] = _clock(date, raw[col], q, col)
    for col in ("q_time", "ser_time", "vru_time"):
        if col in raw:
            v = pd.to_numeric(raw[col].where(~raw[col].isin(MISSING)), errors="coerce")
            out[col] = v
    outcome = raw["outcome"].astype("string").str.strip().str.upper()
    out["server"] = raw["server"].astype("string").str.strip()
    out["type"] = raw["type"].astype("string").str.strip() if "type" in raw else "calls"
    out["priority"] = raw["priority"].astype("string").str.strip() if "priority" in raw else "0"
    # times that run past midnight: a clock time earlier than the VRU entry belongs to the next day
    for col in ("vru_exit", "q_start", "q_exit", "ser_start", "ser_exit"):
        wrap = out[col] < out["vru_entry"] - pd.Timedelta(hours=1)
        out.loc[wrap, col] += pd.Timedelta(days=1)
    # queue time: the recorded q_time, else q_exit - q_start
    gap = (out["q_exit"] - out["q_start"]).dt.total_seconds()
    qt = out["q_time"].where(out["q_time"].notna(), gap)
    neg = qt < 0
    q.add("negative queue time", int(neg.sum()), "set to missing (row dropped if it matters)")
    qt = qt.mask(neg)
    out["wait"] = qt
    st = out["ser_time"].where(out["ser_time"].notna(), (out["ser_exit"] - out["ser_start"]).dt.total_seconds())
    out["service"] = st.mask(st < 0)
    # outcome
    kind = pd.Series("unknown", index=out.index, dtype=object)
    kind[outcome == "AGENT"] = "served"
    kind[(outcome == "HANG") & (out["wait"] > 0)] = "abandoned"
    kind[(outcome == "HANG") & (out["wait"].fillna(0) <= 0)] = "vru"
    kind[outcome == "PHANTOM"] = "phantom"
    q.add("unknown outcome (not AGENT/HANG/PHANTOM)", int((kind == "unknown").sum()), "row dropped",
          outcome[kind == "unknown"].iloc[0] if (kind == "unknown").any() else "")
    q.add("PHANTOM calls", int((kind == "phantom").sum()), "left out (not real calls)")
    q.add("hung up in the VRU before asking for an agent", int((kind == "vru").sum()),
          "left out of the calls offered to agents (counted only)")
    out["outcome"] = kind
    served = kind == "served"
    no_wait = served & out["wait"].isna()
    q.add("served call without a queue time", int(no_wait.sum()), "wait taken as 0")
    out.loc[no_wait, "wait"] = 0.0
    bad_service = served & ~(out["service"] > 0)
    q.add("served call with zero or missing service time", int(bad_service.sum()),
          "kept as a served call; left out of the handling-time fit")
    long_service = served & (out["service"] > 4 * 3600)
    q.add("service time over 4 hours (suspect)", int(long_service.sum()), "kept", 
          f"{out.loc[long_service, 'service'].max():.0f} s" if long_service.any() else "")
    no_server = served & out["server"].isin(["NO_SERVER", "", "?"])
    q.add("served call without a server", int(no_server.sum()), "kept; left out of staffing")
    # arrival: the moment the caller asked for an agent
    arrival = out["q_start"].where(out["wait"] > 0)
    arrival = arrival.fillna(out["vru_exit"]).fillna(out["ser_start"] - pd.to_timedelta(out["wait"].fillna(0), unit="s"))
    out["arrival"] = arrival
    out["ser_end"] = out["ser_exit"].where(out["ser_exit"].notna(), out["ser_start"] + pd.to_timedelta(out["service"], unit="s"))
    offered = out["outcome"].isin(["served", "abandoned"])
    no_arrival = offered & out["arrival"].isna()
    q.add("offered call without a usable arrival time", int(no_arrival.sum()), "row dropped")
    keep = date.notna() & (kind != "unknown") & ~no_arrival
    if not (keep & offered).any():
        raise no_usable_rows(n0, "calls offered to agents (AGENT, or HANG after queueing)", q,
                             "Dates are YYMMDD (990803), clock times H:MM:SS.")
    out = out[keep].reset_index(drop=True)
    out.attrs["rows_read"] = n0
    return out[["day", "arrival", "outcome", "wait", "service", "ser_start", "ser_end", "server", "type", "priority"]]


@dataclass
class PatienceFit:
    """Patience estimated with and without censoring."""

    n_queued: int
    n_abandoned: int
    naive_mean: float                 # mean wait of abandoners (biased low)
    exp_mle_mean: float               # total waiting time / abandonments
    km_median: float
    km_times: np.ndarray
    km_surv: np.ndarray
    censored: DurationFit             # lognormal/gamma/weibull/exponential, censored MLE

    def to_dict(self) -> dict[str, Any]:
        best = self.censored.best
        return {"queued_calls": self.n_queued, "abandoned": self.n_abandoned,
                "abandonment_share_of_queued": self.n_abandoned / max(self.n_queued, 1),
                "naive_mean_of_abandoners_wait_s": round(self.naive_mean, 1),
                "exponential_mle_mean_s (censored)": round(self.exp_mle_mean, 1),
                "kaplan_meier_median_s": None if np.isnan(self.km_median) else round(self.km_median, 1),
                "chosen_censored_fit": best.family, "chosen_mean_s": round(best.mean, 1),
                "chosen_median_s": round(float(best.frozen.median()), 1), "spec": self.censored.spec()}


def fit_patience(wait: np.ndarray, abandoned: np.ndarray) -> PatienceFit:
    """Patience from queued callers' waits; ``abandoned`` True where the caller hung up (else censored)."""
    w = np.asarray(wait, dtype=float)
    a = np.asarray(abandoned, dtype=bool)
    ok = np.isfinite(w) & (w >= 0)
    w, a = w[ok], a[ok]
    n_ab = int(a.sum())
    require_enough(n_ab, 2, "abandoned calls among the queued ones", "to estimate the callers' patience")
    exp_mean = float(w.sum() / n_ab)
    t, s = kaplan_meier(w, a)
    cens = fit_durations(w[a], "patience (censored)", censored=w[~a])
    return PatienceFit(int(len(w)), n_ab, float(w[a].mean()), exp_mean, km_quantile(t, s, 0.5), t, s, cens)


def staffing(calls: pd.DataFrame, span: tuple[pd.Timestamp, pd.Timestamp], gap: float = 300.0) -> pd.DataFrame:
    """Per hour of the week, averaged over the days in the span:

    * ``agents``: distinct agents (``server``) who served any part of a call in the hour;
    * ``present``: agents on duty, as agent-hours: an agent counts as present from the
      start of a call to the end of the last call that follows it with gaps of at most
      ``gap`` seconds (a longer gap is a break or the end of a shift);
    * ``busy``: agents in service (agent-seconds in service / 3600).

    Staffing is not in the log; ``present`` is the estimate the scenario uses
    (``agents`` counts someone who worked ten minutes of the hour as a whole
    agent and overstates capacity; ``busy`` understates it).
    """
    s = calls[(calls["outcome"] == "served") & calls["ser_start"].notna() & calls["ser_end"].notna()
              & ~calls["server"].isin(["NO_SERVER", "", "?"])]
    start, end = span
    hours = pd.date_range(start, end, freq="h", inclusive="left")
    n = len(hours)
    edges = np.arange(n + 1) * 3600.0
    a = (s["ser_start"] - start).dt.total_seconds().to_numpy()
    e = np.maximum((s["ser_end"] - start).dt.total_seconds().to_numpy(), a)
    busy = _box(a, e, edges)
    # distinct agents per hour
    first = np.clip((a // 3600).astype(int), 0, n - 1) if len(a) else np.zeros(0, int)
    last = np.clip((e // 3600).astype(int), 0, n - 1) if len(a) else np.zeros(0, int)
    pairs = set()
    servers = s["server"].to_numpy()
    for lo, hi, sv in zip(first, last, servers):
        for h in range(lo, min(hi, lo + 12) + 1):
            pairs.add((h, sv))
    agents = np.bincount(np.array([p[0] for p in pairs], dtype=int), minlength=n)[:n] if pairs else np.zeros(n)
    # presence blocks per agent
    order = np.lexsort((a, servers)) if len(a) else np.zeros(0, int)
    pa, pe, ps = a[order], e[order], servers[order]
    blocks_a, blocks_e = [], []
    i = 0
    while i < len(pa):
        j, hi = i, pe[i]
        while j + 1 < len(pa) and ps[j + 1] == ps[i] and pa[j + 1] - hi <= gap:
            j += 1
            hi = max(hi, pe[j])
        blocks_a.append(pa[i])
        blocks_e.append(hi)
        i = j + 1
    present = _box(np.array(blocks_a), np.array(blocks_e), edges)
    how = hours.day_of_week * 24 + hours.hour
    occ = np.bincount(how, minlength=168)

    def mean(v):
        return np.divide(np.bincount(how, weights=v, minlength=168), occ, out=np.zeros(168), where=occ > 0)

    return pd.DataFrame({"hour_of_week": range(168), "agents": mean(agents.astype(float)),
                         "present": mean(present / 3600.0), "busy": mean(busy / 3600.0)})


def _box(a: np.ndarray, e: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Total length of intervals [a, e) inside each bin of ``edges``."""
    if len(a) == 0:
        return np.zeros(len(edges) - 1)
    pts = np.concatenate([a, e])
    sign = np.concatenate([np.ones(len(a)), -np.ones(len(e))])
    order = np.argsort(pts, kind="stable")
    pts, sign = pts[order], sign[order]
    level = np.cumsum(sign)
    # area up to each breakpoint
    area = np.concatenate([[0.0], np.cumsum(level[:-1] * np.diff(pts))])
    idx = np.searchsorted(pts, edges, side="right") - 1
    lev = np.where(idx >= 0, level[np.clip(idx, 0, None)], 0.0)
    at = np.where(idx >= 0, area[np.clip(idx, 0, None)] + lev * (edges - pts[np.clip(idx, 0, None)]), 0.0)
    return np.diff(at)


@dataclass
class CallFit:
    """Everything fitted from a call log."""

    arrivals: ArrivalFit
    handling: DurationFit
    patience: PatienceFit
    staff: pd.DataFrame
    types: dict[str, int]
    observed: dict[str, float]
    span: tuple[pd.Timestamp, pd.Timestamp]
    quality: Quality = field(default_factory=Quality)


def observed_measures(calls: pd.DataFrame, answer_within: float = 20.0) -> dict[str, float]:
    """The headline measures of the log (calls offered to agents)."""
    off = calls[calls["outcome"].isin(["served", "abandoned"])]
    served = off[off["outcome"] == "served"]
    svc = served["service"][served["service"] > 0]
    return {
        "calls offered": float(len(off)),
        "abandonment share": float((off["outcome"] == "abandoned").mean()) if len(off) else float("nan"),
        "P(wait <= 20 s | served)": float((served["wait"] <= answer_within).mean()) if len(served) else float("nan"),
        "mean wait (served), s": float(served["wait"].mean()) if len(served) else float("nan"),
        "mean handling time, s": float(svc.mean()) if len(svc) else float("nan"),
    }


def fit_calls(calls: pd.DataFrame, quality: Quality) -> CallFit:
    """Fit arrivals, handling, patience and staffing from ``read_calls`` output."""
    off = calls[calls["outcome"].isin(["served", "abandoned"])]
    require_enough(len(off), MIN_CALLS, "calls offered to agents")
    span = span_of(off["arrival"])
    arrivals = fit_arrivals(off["arrival"], "calls", span)
    served = off[off["outcome"] == "served"]
    handling = fit_durations(served["service"], "handling time (served calls)")
    queued = off[off["wait"] > 0]
    patience = fit_patience(queued["wait"].to_numpy(), (queued["outcome"] == "abandoned").to_numpy())
    staff = staffing(calls, span)
    types = off["type"].fillna("calls").value_counts().to_dict()
    return CallFit(arrivals, handling, patience, staff, {str(k): int(v) for k, v in types.items()},
                   observed_measures(calls), span, quality)
