"""What the extract's window and clock say: business hours, bursts and right-truncated cohorts.

An export is a window onto a desk, and it can mislead in three ways this module measures (the fit
report shows the numbers, the data quality flags what fails):

* **business hours**: the share of tickets opened Monday to Friday 08:00-18:00 (50 of the week's 168
  hours, 30 %).  Three quarters or more say the desk works office hours, and calendar-time durations
  then include nights and weekends;
* **a burst**: one week holding far more tickets than the others (``BURST_FACTOR`` times the median
  week, and at least ``BURST_SHARE`` of all tickets), which a flat weekly rate would spread over the span;
* **right truncation**: tickets opened near the extract's end have had little time to be resolved, so
  their observed times are short and many are still open.  Per month of opening, the share still open
  and the Kaplan-Meier median resolution (open tickets censored at the extract's end, as the call fit does
  for patience) are compared with the complete cohorts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simsla.fit.distributions import kaplan_meier, km_quantile
from simsla.fit.quality import Quality

OFFICE = (8, 18)                 # office hours, Monday to Friday
OFFICE_SHARE = 0.75              # at least this share opened in office hours: a business-hours desk
BURST_FACTOR = 5.0
BURST_SHARE = 0.2
OPEN_SHARE = 0.1                 # a cohort with more open tickets than this is incomplete


@dataclass
class WindowCheck:
    """The evidence, for the report and the header."""

    office_share: float
    busiest_week: pd.Timestamp | None
    busiest_share: float
    median_week: float
    burst: bool
    cohorts: pd.DataFrame = field(default_factory=pd.DataFrame)   # month, tickets, open share, KM median h

    @property
    def business_hours(self) -> bool:
        return self.office_share >= OFFICE_SHARE

    @property
    def falling(self) -> bool:
        """Resolution shrinks across cohorts: the newest month's median under half the oldest's (truncation,
        or an extract selected on closure): the log's late tickets are not like its early ones."""
        c = self.cohorts
        if len(c) < 2 or c["tickets"].iloc[[0, -1]].min() < 20:
            return False
        first, last = c["km_median_h"].iloc[0], c["km_median_h"].iloc[-1]
        return bool(np.isfinite(first) and np.isfinite(last) and last < 0.5 * first)

    @property
    def incomplete(self) -> list[str]:
        if self.cohorts.empty:
            return []
        return [str(m) for m in self.cohorts.loc[self.cohorts["incomplete"], "month"]]

    def lines(self) -> list[str]:
        out = [f"{self.office_share:.0%} of tickets were opened Monday-Friday {OFFICE[0]:02d}-{OFFICE[1]:02d} h "
               f"(30 % if round the clock)" + ("; the desk works office hours, but the fitted times are calendar "
                                               "time (nights and weekends inside)" if self.business_hours else "")]
        if self.burst:
            out.append(f"BURST: the week of {self.busiest_week.date()} holds {self.busiest_share:.0%} of all tickets "
                       f"({self.busiest_share / max(self.median_week, 1e-9):.0f} x a median week): the weekly rate is "
                       "an average over a span that is not stationary")
        if self.falling:
            c = self.cohorts
            out.append(f"TRUNCATION: median resolution falls from {c['km_median_h'].iloc[0]:.0f} h ({c['month'].iloc[0]} "
                       f"cohort) to {c['km_median_h'].iloc[-1]:.1f} h ({c['month'].iloc[-1]}): late tickets are not like early ones")
        if self.incomplete:
            out.append("incomplete cohorts (opened near the extract's end, many still open): " + ", ".join(self.incomplete))
        return out


def check_window(tickets: pd.DataFrame, quality: Quality) -> WindowCheck:
    """Business-hours share, the busiest week and the cohorts by month of opening; problems added to ``quality``."""
    opened = tickets["opened"]
    office = (opened.dt.day_of_week < 5) & (opened.dt.hour >= OFFICE[0]) & (opened.dt.hour < OFFICE[1])
    week = opened.dt.to_period("W-SUN")
    weekly = week.value_counts()
    total = len(opened)
    busiest = weekly.index[0] if len(weekly) else None
    share = float(weekly.iloc[0] / total) if total else 0.0
    median_share = float(weekly.reindex(pd.period_range(week.min(), week.max(), freq="W-SUN"), fill_value=0).median()
                         / total) if total else 0.0
    burst = len(weekly) >= 4 and share >= BURST_SHARE and share >= BURST_FACTOR * max(median_share, 1.0 / total)
    check = WindowCheck(float(office.mean()), busiest.start_time if busiest is not None else None, share, median_share,
                        bool(burst), _cohorts(tickets))
    if burst:
        quality.add("tickets opened in one burst week", int(weekly.iloc[0]),
                    f"the week of {check.busiest_week.date()} holds {share:.0%} of the tickets: the fitted weekly rate "
                    "averages it over the span (see the report)")
    if check.falling:
        c = check.cohorts
        quality.add("cohorts whose median resolution falls to under half the oldest's", len(c),
                    f"{c['month'].iloc[0]}: {c['km_median_h'].iloc[0]:.0f} h .. {c['month'].iloc[-1]}: "
                    f"{c['km_median_h'].iloc[-1]:.1f} h (right truncation or an extract selected on closure; "
                    "a hold-out back-test on the late window will miss)")
    for month in check.incomplete:
        row = check.cohorts.set_index("month").loc[month]
        quality.add(f"tickets opened in {month}, a right-truncated cohort", int(row["tickets"]),
                    f"{row['open_share']:.0%} still open at the extract's end; resolution times censored there "
                    "(Kaplan-Meier in the report)")
    return check


def _cohorts(tickets: pd.DataFrame) -> pd.DataFrame:
    t = tickets[~tickets.get("closed_unresolved", pd.Series(False, index=tickets.index)).astype(bool)]
    if t.empty:
        return pd.DataFrame()
    end = t["opened"].max()
    last = t[["resolved", "opened"]].max(axis=1).max()
    end = max(end, last)
    hours = t["resolution_h"].to_numpy(float)
    open_ = ~np.isfinite(hours)
    censored_at = (end - t["opened"]).dt.total_seconds().to_numpy() / 3600
    rows = []
    for month, idx in t.groupby(t["opened"].dt.to_period("M")).indices.items():
        h = np.where(open_[idx], censored_at[idx], hours[idx])
        times, surv = kaplan_meier(h, ~open_[idx])
        rows.append({"month": str(month), "tickets": len(idx), "open_share": float(open_[idx].mean()),
                     "observed_median_h": float(np.nanmedian(hours[idx])) if (~open_[idx]).any() else np.nan,
                     "km_median_h": km_quantile(times, surv, 0.5) if len(times) else np.nan})
    df = pd.DataFrame(rows)
    df["incomplete"] = df["open_share"] > OPEN_SHARE
    return df
