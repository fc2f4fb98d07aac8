"""Shared drawing helpers: a new pyplot figure, and the boxes and arrows of the diagrams.

matplotlib is imported inside the functions, so importing :mod:`bptt_book.figures` never
imports it.  Figures are made through pyplot, so that Sphinx's ``.. plot::`` directive (which
collects pyplot's open figures) shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for the type checker only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The colours of the diagrams: inputs, states, outputs, the backward pass.
INPUT, STATE, OUTPUT, LOSS, BACKWARD, NEUTRAL = (
    "#dbe9f6", "#fde0c5", "#d9f0d3", "#f2d7e8", "#c0392b", "0.93"
)


def subplots(*args: Any, **kwargs: Any) -> tuple[Figure, Any]:
    """``matplotlib.pyplot.subplots``, imported when first needed (every drawing function
    starts here, so a missing matplotlib is reported once, with how to install it)."""
    try:
        import matplotlib.pyplot as plt
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] != "matplotlib":
            raise
        raise ModuleNotFoundError(
            "the figures are drawn with matplotlib, which is not installed; install it with "
            "pip install 'bptt_book[plot]' (or pip install matplotlib)",
            name="matplotlib") from None
    return plt.subplots(*args, **kwargs)


def panel_row(series: dict[tuple[Any, Any], Any], draw: Callable[[Axes, Any, Any, Any], None],
              *, figsize: tuple[float, float], title: Callable[[Any], str], xlabel: str,
              ylabel: str) -> tuple[Figure, list[Axes]]:
    """A row of panels sharing the y axis, one per panel key of ``series`` ({(panel, line):
    values}, panels in order of first appearance): ``draw(ax, panel, line, values)`` draws
    each line in its panel; ``title(panel)`` names a panel; every panel gets ``xlabel`` and
    a legend, the first one ``ylabel``.  Returns the figure and its panels."""
    import numpy as np

    panels = list(dict.fromkeys(panel for panel, _ in series))
    fig, axes = subplots(1, len(panels), figsize=figsize, sharey=True, layout="constrained")
    axes = list(np.atleast_1d(axes))
    for ax, key in zip(axes, panels, strict=True):
        for (panel, line), values in series.items():
            if panel == key:
                draw(ax, panel, line, values)
        ax.set_title(title(key))
        ax.set_xlabel(xlabel)
        ax.legend(fontsize=8)
    axes[0].set_ylabel(ylabel)
    return fig, axes


def canvas(width: float, height: float, xlim: tuple[float, float],
           ylim: tuple[float, float], *, equal: bool = True) -> tuple[Figure, Axes]:
    """A figure with one axes and no frame, for a diagram drawn in data coordinates
    (``equal``: one unit is as long across as up)."""
    fig, ax = subplots(figsize=(width, height), layout="constrained")
    ax.set_axis_off()
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    if equal:
        ax.set_aspect("equal")
    return fig, ax


def box(ax: Axes, cx: float, cy: float, text: str, color: str, *, w: float = 1.15,
        h: float = 0.7, fontsize: float = 14, style: str = "round,pad=0.04") -> None:
    """A rounded box of size (w, h) centred on (cx, cy) with ``text`` in it."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((cx - w / 2, cy - h / 2), w, h, boxstyle=style, fc=color,
                                ec="0.3"))
    ax.text(cx, cy, text, ha="center", va="center", fontsize=fontsize)


def arrow(ax: Axes, a: tuple[float, float], b: tuple[float, float], label: str | None = None,
          *, offset: tuple[float, float] = (0, 0), style: str = "-", color: str = "0.2",
          fontsize: float = 13, connection: str | None = None, lw: float = 1.4,
          shrink: float | None = None) -> None:
    """An arrow from ``a`` to ``b``, with ``label`` at its middle moved by ``offset``.

    ``connection`` is a matplotlib connection style (e.g. ``"arc3,rad=0.3"`` for a bend);
    ``shrink`` the gap in points left at both ends (matplotlib's default when None)."""
    props: dict[str, Any] = dict(arrowstyle="-|>", lw=lw, ls=style, color=color)
    if connection is not None:
        props["connectionstyle"] = connection
    if shrink is not None:
        props["shrinkA"] = props["shrinkB"] = shrink
    ax.annotate("", xy=b, xytext=a, arrowprops=props)
    if label:
        mx, my = (a[0] + b[0]) / 2 + offset[0], (a[1] + b[1]) / 2 + offset[1]
        ax.text(mx, my, label, ha="center", va="center", fontsize=fontsize, color=color)
