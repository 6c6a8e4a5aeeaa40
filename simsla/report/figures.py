"""Figures of a simulation: functions that take results or tables and return a matplotlib Figure.

Every function here only *draws*: the numbers come from ``simsla.analysis``
(attainment, breach probability and its lights, attribution, the weekly
profile) and ``simsla.decide`` (the Erlang requirement behind
``staffing_table``); ``service_attainment``, ``risk_table`` and
``weekly_profile`` are re-exported from there for convenience.  Nothing
calls ``plt.show``; figures are made with the non-interactive Agg canvas, so
they work on a server, in a test and in a notebook alike (a notebook displays
a returned Figure itself).

Readability rules followed by every figure: a title, labelled axes with units,
the Okabe–Ito colour-blind-safe palette, and traffic lights that carry a
symbol and a number as well as a colour (✓ green, ! amber, ✗ red).

The figures, by theme (re-exported here):

* targets (``simsla.report.figures_targets``): ``traffic_light_figure``,
  ``breach_grid_figure``, ``attainment_distribution_figure``,
  ``breach_probability_figure``, ``attribution_figure``, ``frontier_figure``,
  ``sweep_figure``;
* load (``simsla.report.figures_load``): ``load_figure``,
  ``utilisation_figure``, ``staffing_figure``.
"""

from __future__ import annotations

from simsla.report.figures_style import LIGHTS, OKABE_ITO, RISK_LEVELS, SYMBOLS  # noqa: F401
from simsla.report.figures_load import (  # noqa: E402
    load_figure,
    staffing_figure,
    staffing_table,
    utilisation_figure,
    weekly_profile,
)
from simsla.report.figures_targets import (  # noqa: E402
    attainment_distribution_figure,
    attribution_figure,
    breach_grid_figure,
    breach_probability_figure,
    frontier_figure,
    grid_lights,
    light,
    pct,
    risk_light,
    risk_table,
    service_attainment,
    sweep_figure,
    traffic_light_figure,
    with_margins,
)

__all__ = [
    "OKABE_ITO", "LIGHTS", "SYMBOLS", "RISK_LEVELS",
    "attainment_distribution_figure", "attribution_figure", "breach_grid_figure", "breach_probability_figure",
    "frontier_figure", "grid_lights", "light", "load_figure", "pct", "risk_light", "risk_table", "service_attainment",
    "staffing_figure", "staffing_table", "sweep_figure", "traffic_light_figure", "utilisation_figure",
    "weekly_profile", "with_margins",
]
