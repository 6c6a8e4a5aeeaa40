"""Shared look of simsla's figures: palette, traffic-light colours and symbols, figure factory."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib import dates, ticker
from matplotlib.figure import Figure
from matplotlib.text import Text

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


#: formatters that write numbers and dates (``$\\mathdefault{10^{2}}$`` on a log axis is mathtext on purpose);
#: any other (fixed labels, which ``set_ticks(ticks, labels)`` wraps in a FuncFormatter, categories) writes names
NUMERIC_FORMATTERS = (ticker.ScalarFormatter, ticker.LogFormatter, ticker.LogitFormatter, ticker.PercentFormatter,
                      ticker.NullFormatter, ticker.StrMethodFormatter, ticker.FormatStrFormatter, dates.DateFormatter,
                      dates.AutoDateFormatter, dates.ConciseDateFormatter)


def _numeric_tick_text(fig: Figure) -> set[int]:
    """The ids of the tick labels and offset texts that numeric formatters write; the tick labels of axes
    labelled with names are created here first, so that none appears later, at draw time, unseen."""
    numeric: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for minor in (False, True):
                formatter = axis.get_minor_formatter() if minor else axis.get_major_formatter()
                locs = axis.get_minorticklocs() if minor else axis.get_majorticklocs()
                ticks = axis.get_minor_ticks(len(locs)) if minor else axis.get_major_ticks(len(locs))
                if isinstance(formatter, NUMERIC_FORMATTERS):
                    numeric.update(id(t) for tick in ticks for t in (tick.label1, tick.label2))
            numeric.add(id(axis.offsetText))
    return numeric


def literal_text(fig: Figure) -> Figure:
    """Make every text of ``fig`` that can hold a user's string render literally, and return ``fig``.

    Names of services, groups, agreements and targets come from scenario files
    and logs; matplotlib would read ``$...$`` in them as mathtext (``$\\macro$``
    raises, ``$x^2$`` turns into a formula) and, with ``text.usetex``, hand
    them to LaTeX.  Titles, axis labels, legends, annotations and the tick
    labels of category and fixed axes are set to ``parse_math=False`` and
    ``usetex=False``; tick labels written by numeric formatters keep mathtext.

    Parameters
    ----------
    fig
        A figure, complete or not (``LiteralFigure`` calls this again before every draw).

    Returns
    -------
    Figure
        ``fig`` itself.
    """
    numeric = _numeric_tick_text(fig)
    for text in fig.findobj(Text):
        if id(text) not in numeric:
            text.set_parse_math(False)
            text.set_usetex(False)
    return fig


class LiteralFigure(Figure):
    """A Figure whose text is made literal (``literal_text``) before each draw, so text added at any time,
    savefig, a canvas draw and a notebook's display all render names as written."""

    def draw(self, renderer) -> None:
        literal_text(self)
        super().draw(renderer)


def new_figure(width: float, height: float, **subplots) -> tuple[Figure, object]:
    """A Figure on the Agg canvas (no pyplot state) with subplots and constrained layout; its text is literal
    (``LiteralFigure``)."""
    fig = LiteralFigure(figsize=(width, height), layout="constrained")
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
