"""Fitting scenarios to real logs, and back-testing them.

* ``fit_log(path, format, mapping=None) -> FitResult``: read a call log
  (``calls``: the Anonymous Bank format) or a ticket export (``servicenow``
  event log, or ``csv`` with a column mapping), clean it (problems counted
  and listed), fit arrivals, mixes, routing, durations and patience, and
  write a commented scenario (``.scenario_yaml()``).  Tickets: the first
  group, the reassignments and the time at each group are fitted by priority
  (class P1-P2 / P3-P4, or a single priority) where the data has enough of
  them and they differ, shrunk towards the pooled estimate and written as
  ``when: {priority: ...}`` rules (``simsla.fit.hierarchy``).  The time at a
  group is fitted separately for the visits that resolve the ticket and those
  that pass it on (``resolves: true`` / ``false`` rules, each with its own
  priority rules) where both have enough visits and their times differ.
* ``counts``: a count series (contacts per 5- to 60-minute interval) fits the
  week profile at its resolution, weekday volumes, month factors, trend,
  holidays and the busy-day factor (``simsla.fit.counts``, ``simsla.fit.daily``).
* ``backtest(log_path, format, scenario, ...) -> BacktestResult``: simulate
  the scenario over the log's span and compare with what the log shows.

A log that cannot be used (unreadable, the wrong format, nothing usable in
it, too little data) raises ``simsla.fit.reading.LogError`` (a ``ValueError``)
naming the file and the problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simsla.fit.reading import LogError
from simsla.fit.result import FitResult

FORMATS = ("servicenow", "calls", "csv", "counts")


def fit_log(path: str | Path, format: str, mapping: Any = None, *, times: str = "quantiles",
            window: str | None = None) -> FitResult:
    """Fit a scenario to a log.  ``mapping`` (``csv`` only): dict or YAML file, see ``simsla.fit.csvlog``.

    ``times`` (tickets only): ``quantiles`` writes each group's time as 100 observed quantiles
    (``empirical``); ``fitted`` writes the AIC-chosen family.  Both are in the report.
    ``window`` (tickets only): ``START..END`` (dates), ``all``, or None: the detected stationary window
    (``simsla.fit.stationary``).
    """
    from simsla.fit.reading import in_file

    source = Path(path).name if isinstance(path, (str, Path)) else "a log"
    if format not in FORMATS:
        raise ValueError(f"unknown log format {format!r}; use one of {', '.join(FORMATS)}")
    with in_file(path):   # a problem found below the reader (no usable rows, too little data) names the file
        if format == "calls":
            from simsla.fit.calls_scenario import calls_result

            return calls_result(path, source=source)
        if format == "counts":  # a count series: contacts per interval (simsla.fit.counts)
            from simsla.fit.counts_scenario import counts_result

            return counts_result(path, mapping, source=source)
        from simsla.fit.tickets_scenario import tickets_result

        return tickets_result(path, format, mapping, source=source, times=times, window=window)


def backtest(log_path: str | Path, format: str, scenario: Any = None, replications: int = 5, seed: int = 1,
             workers: int | None = 1, mapping: Any = None, holdout: float | None = None, window: str | None = None):
    """Simulate ``scenario`` (a Scenario, a YAML path, or None = fit it from the log) over the log's span.

    ``counts``: fit on the series without its last ``holdout`` seconds (default 4 weeks) and predict those.
    Tickets: ``holdout`` seconds at the end of the fit window (``window``, as for ``fit_log``) are predicted
    by a scenario fitted on the window before them (``simsla.fit.tickets_backtest``).
    """
    from simsla.fit.backtesting import run_backtest
    from simsla.fit.reading import in_file

    if format not in FORMATS:
        raise ValueError(f"unknown log format {format!r}; use one of {', '.join(FORMATS)}")
    with in_file(log_path):
        return run_backtest(log_path, format, scenario, replications, seed, workers, mapping, holdout, window)


__all__ = ["FORMATS", "FitResult", "LogError", "backtest", "fit_log"]
