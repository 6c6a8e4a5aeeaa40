"""The fit window of a ticket log: the stationary stretch detected by default, or ``--window START..END``.

An export is a window onto a desk that may have changed inside it (the shared ServiceNow log starts on
the day its instance went live: the share of tickets resolved within an hour rises from 10 % in March
to 40 % from April on, and the median resolution falls from 91 h to 1-5 h).  Fitting the whole span
averages two desks; a hold-out on its end then predicts the new desk from the old one.

**Detection.**  Tickets are grouped in cohorts by week of opening (Monday first).  Each cohort's
resolution is a Kaplan-Meier curve, tickets still open censored at the extract's end, so a cohort
opened near the end is compared only over the time it could be followed.  Starting from the last
``REFERENCE_WEEKS`` weeks, earlier weeks are added one at a time while the week's curve stays within
``MAX_DISTANCE`` of the pooled curve of the weeks already in (largest vertical gap over the common
follow-up) *or* the gap is within noise (the two-sample Kolmogorov-Smirnov 1 % critical value), and the
week is not a burst (more than ``BURST_FACTOR`` times the median week).  The first week that fails ends
the window; it and everything before it are left out, and the report says so.

**Follow-up.**  A ticket opened shortly before the extract's end has had little time to be resolved;
if only the quick ones are timed, times come out short.  The rule, the same for the fit and the
back-test: a ticket's resolution is *censored* at the extract's end, and the fitted times at groups
use only the tickets whose follow-up (extract end - opening) is at least the window's Kaplan-Meier
95 % resolution time (``FollowUp``).  Later tickets count for arrivals and mixes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simsla.fit.distributions import kaplan_meier, km_quantile
from simsla.fit.quality import Quality

REFERENCE_WEEKS = 2
MAX_DISTANCE = 0.10
KS_CRITICAL = 1.63          # c(alpha) of the two-sample KS test at alpha = 1 %
BURST_FACTOR = 5.0
MIN_WEEK_TICKETS = 20       # a week with fewer tickets is not tested (joins the window as it is)
FOLLOW_UP_QUANTILE = 0.95


@dataclass
class FitWindow:
    """Which tickets the fit uses, and why."""

    start: pd.Timestamp
    end: pd.Timestamp                       # exclusive
    chosen: str                             # "detected", "--window", or "whole log"
    extract_end: pd.Timestamp
    left_out: int = 0                       # tickets opened outside the window
    weeks: pd.DataFrame = field(default_factory=pd.DataFrame)   # week, tickets, km median h, distance, in window
    follow_up_h: float = float("nan")       # times fitted only on tickets followed at least this long
    short_follow_up: int = 0                # tickets in the window followed less (not timed)
    reason: str = ""

    def lines(self) -> list[str]:
        """For the scenario header and the report."""
        days = (self.end - pd.Timedelta(days=1)).date()
        out = [f"Fit window ({self.chosen}): tickets opened {self.start.date()} .. {days}"
               + (f"; {self.left_out} tickets opened outside it are left out" if self.left_out else "")
               + (f" ({self.reason})" if self.reason else "") + "."]
        if self.short_follow_up:
            out.append(f"{self.short_follow_up} tickets opened within {self.follow_up_h:.0f} h (the window's 95 % "
                       "resolution time) of the extract's end are not timed (right truncation); they count for "
                       "arrivals and mixes.")
        return out


def parse_window(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``START..END`` (dates, END included; either side may be empty) -> (start, exclusive end)."""
    if ".." not in str(text):
        raise ValueError(f"--window {text}: give START..END, dates such as 2016-04-04..2016-05-13 (either side "
                         "may be left empty)")
    a, b = (p.strip() for p in str(text).split("..", 1))
    try:
        start = pd.Timestamp(a).normalize() if a else pd.Timestamp.min
        end = pd.Timestamp(b).normalize() + pd.Timedelta(days=1) if b else pd.Timestamp.max
    except ValueError:
        raise ValueError(f"--window {text}: START and END must be dates such as 2016-04-04") from None
    if end <= start:
        raise ValueError(f"--window {text}: END is before START")
    return start, end


def extract_end(tickets: pd.DataFrame) -> pd.Timestamp:
    """The last time the log knows anything (its last update): tickets still open are followed until then."""
    last = tickets.attrs.get("extract_end")
    cols = [tickets[c].max() for c in ("opened", "resolved", "closed") if c in tickets]
    known = [pd.Timestamp(x) for x in cols + [last] if x is not None and pd.notna(x)]
    return max(known)


def censored_hours(tickets: pd.DataFrame, end: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """(hours, resolved) per ticket: the resolution time, or the follow-up to ``end`` for a ticket not
    resolved by then (``resolved`` False).  Tickets closed without a resolution time are left out."""
    t = tickets[~tickets["closed_unresolved"].astype(bool)] if "closed_unresolved" in tickets else tickets
    follow = (end - t["opened"]).dt.total_seconds().to_numpy(float) / 3600
    hours = t["resolution_h"].to_numpy(float)
    done = np.isfinite(hours) & (hours <= follow)
    return np.where(done, hours, np.maximum(follow, 0.0)), done


def _gap(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], horizon: float) -> float:
    """Largest |S_a(t) - S_b(t)| for t up to ``horizon`` (hours; the two Kaplan-Meier curves)."""
    grid = np.geomspace(1 / 60, max(horizon, 1 / 30), 200)
    sa, sb = (np.concatenate([[1.0], s])[np.searchsorted(t, grid, side="right")] for t, s in (a, b))
    return float(np.max(np.abs(sa - sb)))


def detect(tickets: pd.DataFrame, quality: Quality | None = None) -> FitWindow:
    """The stationary window by the rule in the module docstring."""
    end = extract_end(tickets)
    t = tickets[~tickets["closed_unresolved"].astype(bool)] if "closed_unresolved" in tickets else tickets
    week = t["opened"].dt.to_period("W-SUN")
    hours, done = censored_hours(t, end)
    idx = week.groupby(week.to_numpy()).indices
    labels = sorted(idx)
    counts = np.array([len(idx[w]) for w in labels])
    median_week = float(np.median(counts)) if len(counts) else 0.0
    rows, first_in, reason = [], 0, ""
    block = np.concatenate([idx[w] for w in labels[-REFERENCE_WEEKS:]]) if labels else np.array([], int)
    for i in range(len(labels) - 1, -1, -1):
        w = labels[i]
        ii = idx[w]
        km = kaplan_meier(hours[ii], done[ii])
        row = {"week": str(w.start_time.date()), "tickets": len(ii), "km_median_h": km_quantile(*km, 0.5),
               "distance": np.nan, "in_window": True}
        if i < len(labels) - REFERENCE_WEEKS and first_in == 0:
            horizon = float((end - w.end_time).total_seconds() / 3600)
            gap = _gap(km, kaplan_meier(hours[block], done[block]), horizon)
            noise = KS_CRITICAL * np.sqrt(1 / len(ii) + 1 / len(block))
            row["distance"] = gap
            if counts[i] > BURST_FACTOR * max(median_week, 1.0):
                first_in, reason = i + 1, f"the week of {row['week']} is a burst ({counts[i]} tickets)"
            elif len(ii) >= MIN_WEEK_TICKETS and gap > max(MAX_DISTANCE, noise):
                first_in, reason = i + 1, (f"from the week of {row['week']} back, resolution differs: its "
                                           f"Kaplan-Meier curve is {gap:.2f} from the later weeks' (limit "
                                           f"{max(MAX_DISTANCE, noise):.2f})")
            else:
                block = np.concatenate([block, ii])
        row["in_window"] = first_in == 0
        rows.append(row)
    weeks = pd.DataFrame(rows[::-1])
    start = labels[first_in].start_time if labels else tickets["opened"].min().normalize()
    last = tickets["opened"].max().normalize() + pd.Timedelta(days=1)
    win = FitWindow(max(start, tickets["opened"].min().normalize()), last, "detected" if first_in else "whole log",
                    end, weeks=weeks, reason=reason)
    return win


def choose(tickets: pd.DataFrame, visits: pd.DataFrame, window: str | None, quality: Quality
           ) -> tuple[pd.DataFrame, pd.DataFrame, FitWindow]:
    """The tickets and visits of the fit window (``window``: ``START..END``, ``all``, or None = detected),
    with the follow-up rule applied (``timed`` column: the ticket's times may be fitted)."""
    detected = detect(tickets, quality)
    if window in (None, "", "detected"):
        win = detected
    elif str(window).strip().lower() in ("all", "whole", "whole log"):
        win = FitWindow(tickets["opened"].min().normalize(), tickets["opened"].max().normalize() + pd.Timedelta(days=1),
                        "whole log", detected.extract_end, weeks=detected.weeks)
    else:
        a, b = parse_window(window)
        lo = max(a, tickets["opened"].min().normalize())
        hi = min(b, tickets["opened"].max().normalize() + pd.Timedelta(days=1))
        win = FitWindow(lo, hi, "--window", detected.extract_end, weeks=detected.weeks,
                        reason=f"detected: {detected.start.date()} on")
    inside = (tickets["opened"] >= win.start) & (tickets["opened"] < win.end)
    win.left_out = int((~inside).sum())
    if not inside.any():
        asked = window if win.chosen == "--window" else f"{win.start.date()}..{(win.end - pd.Timedelta(days=1)).date()}"
        raise ValueError(f"the fit window {asked} holds no tickets; the log's tickets were opened {tickets['opened'].min().date()} .. "
                         f"{tickets['opened'].max().date()} (give --window START..END inside that)")
    t = tickets[inside].copy()
    t.attrs.update(tickets.attrs)
    hours, done = censored_hours(t, win.extract_end)
    need = km_quantile(*kaplan_meier(hours, done), FOLLOW_UP_QUANTILE) if len(hours) else np.nan
    follow = (win.extract_end - t["opened"]).dt.total_seconds() / 3600
    win.follow_up_h = float(need) if np.isfinite(need) else float(follow.max())
    t["timed"] = follow >= win.follow_up_h
    win.short_follow_up = int((~t["timed"]).sum())
    if win.left_out:
        quality.add("tickets opened outside the fit window", win.left_out,
                    f"left out ({win.chosen}: {win.start.date()} .. {(win.end - pd.Timedelta(days=1)).date()}"
                    + (f"; {win.reason}" if win.reason else "") + ")")
    quality.add("tickets followed for less than the window's 95 % resolution time", win.short_follow_up,
                f"opened after {(win.extract_end - pd.Timedelta(hours=win.follow_up_h)).date()}: counted for arrivals "
                "and mixes, not timed (the same censoring in the back-test)")
    v = visits[visits["ticket"].isin(t["ticket"])]
    return t, v, win
