"""Shared look of simsla's figures: palette, traffic-light colours and symbols, figure factory."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from simsla.report.lights import LIGHTS, MEANINGS, RISK_LINE, SYMBOLS  # noqa: F401  (re-exported)

#: Okabe & Ito (2008) colour-blind-safe palette
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
#: the cycle used for series (black left out: it is kept for reference lines)
CYCLE = [OKABE_ITO[k] for k in ("blue", "orange", "bluish green", "vermillion", "sky blue", "reddish purple", "yellow")]
#: further distinguishable colours when a figure needs more series than the palette has
EXTRA = ["#999999", "#332288", "#882255", "#117733", "#44AA99", "#AA4499", "#DDCC77"]

#: reference lines drawn in breach-probability figures: the default risk line (lights are judged against it)
RISK_LEVELS = (RISK_LINE,)


def new_figure(width: float, height: float, **subplots) -> tuple[Figure, object]:
    """A Figure on the Agg canvas (no pyplot state) with subplots and constrained layout."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)  # the Agg canvas, without touching pyplot's global backend
    axes = fig.subplots(**subplots) if subplots else fig.subplots()
    return fig, axes


def colour(i: int) -> str:
    """The i-th series colour."""
    palette = CYCLE + EXTRA
    return palette[i % len(palette)]


def percent_axis(axis) -> None:
    """Format an axis holding shares (0..1) as percentages."""
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
