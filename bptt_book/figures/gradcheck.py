"""Chapter 4's figure: the error of the gradient check against the finite-difference step."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

import bptt_book as bb
from bptt_book import config

from ._draw import subplots
from ._settings import default_data

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure


class GradcheckStep(NamedTuple):
    """The numbers of :func:`gradcheck_step`."""

    h: np.ndarray  # the finite-difference steps, from large to small
    error: dict[str, np.ndarray]  # "U", "V", "W" -> the largest relative error at each step
    threshold: float  # the check's pass threshold


def gradcheck_step_data(*, model: str = "gradient_check",
                        steps: np.ndarray | None = None) -> GradcheckStep:
    """:func:`bptt_book.gradient_check` on the model ``model`` of conf/models.toml (with its
    sentence) for every step h in ``steps`` (default ``10 ** -[1, 1.5, ..., 9]``)."""
    m = config.model(model)
    p = bb.init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"])
    h = 10.0 ** -np.arange(1.0, 9.01, 0.5) if steps is None else np.asarray(steps, float)
    if h.ndim != 1 or not len(h):
        raise ValueError(f"steps must be a non-empty 1-D list of steps h; got {steps!r}")
    errors: dict[str, list[float]] = {name: [] for name in "UVW"}
    for step in h:
        result = bb.gradient_check(p, m["x"], m["y"], h=step)
        for name in errors:
            errors[name].append(result.max_error[name])
    return GradcheckStep(h, {name: np.array(e) for name, e in errors.items()}, result.threshold)


def gradcheck_step(data: GradcheckStep | None = None) -> matplotlib.figure.Figure:
    """Chapter 4, "Choosing the step h" (``fig-gradcheck-step``): the largest relative error per
    matrix against h, with dotted guides of slope h^2 (truncation) and 1/h (rounding)."""
    d = default_data("gradcheck_step") if data is None else data
    steps = d.h
    fig, ax = subplots(layout="constrained")
    for name, marker in zip("UVW", "osd", strict=True):
        ax.loglog(steps, d.error[name], marker=marker, markersize=4, label=f"d{name}")
    W = d.error["W"]
    if len(steps) >= 7:  # the guides: h^2 through the third step, 1/h through the last
        guide = dict(linestyle=":", color="0.3")
        ax.loglog(steps[:5], 0.01 * W[2] * (steps[:5] / steps[2]) ** 2, **guide)
        ax.loglog(steps[-7:], 0.1 * W[-1] * steps[-1] / steps[-7:], **guide)
    ax.axhline(d.threshold, color="0.6", linewidth=0.8, label="threshold")
    ax.invert_xaxis()
    ax.set_xlabel(r"finite-difference step $\varepsilon$ (keyword h)")
    ax.set_ylabel("max relative error")
    ax.legend(fontsize=8)
    return fig
