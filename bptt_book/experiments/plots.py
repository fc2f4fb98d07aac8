"""The figures of the training experiments (matplotlib is imported when one is drawn).

Several methods often reach the same numbers (two success rates of 2/3, say), so each
method gets its own marker and line style, and its points sit a little to the side of the
length they belong to: no series hides another.  The levels of chance and success are
named outside the axes, clear of the markers.
"""

import numpy as np

from .record import Result

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 2)), (0, (6, 2)), (0, (2, 1)))


def new_figure(fig=None, width=7.0, height=3.2):
    """``fig``, or a new matplotlib figure of ``width`` x ``height`` inches."""
    import matplotlib.pyplot as plt

    return plt.figure(figsize=(width, height)) if fig is None else fig


def chance(result: Result) -> float:
    """The accuracy of guessing on the experiment's task."""
    v = result.settings
    return 0.5 if v["task"] == "agreement" else 1 / v.get("classes", 4)


def _label_level(ax, level, text):
    """Name a horizontal line just outside the right edge of ``ax``."""
    ax.annotate(text, (1, level), xycoords=("axes fraction", "data"), xytext=(3, 0),
                textcoords="offset points", fontsize=7, color="grey", va="center",
                annotation_clip=False)


def lengths(result: Result, fig=None):
    """Success rate (left) and every run's accuracy (right) against the length L."""
    methods = result.data["methods"]
    several = len(methods) > 1
    rows = (len(methods) + 1) // 2
    fig = new_figure(fig, height=3.2 + 0.25 * rows * several)
    left, right = fig.subplots(1, 2)
    ticks = sorted({c["length"] for m in methods for c in m["cells"]})
    step = float(np.diff(ticks).min(initial=ticks[-1] or 1))
    for i, m in enumerate(methods):
        style = {"marker": MARKERS[i % len(MARKERS)],
                 "linestyle": LINESTYLES[i % len(LINESTYLES)]}
        L = np.array([c["length"] for c in m["cells"]], dtype=float)
        # Left: the methods' points side by side, 5% of the spacing apart.
        shift = (i - (len(methods) - 1) / 2) * 0.05 * step
        line, = left.plot(L + shift, [c["success_rate"] for c in m["cells"]],
                          label=m["label"], markersize=5, **style)
        # Right: each method's runs in a column of their own beside the length.
        offset = (i - (len(methods) - 1) / 2) * 0.12 * step * several
        for c, x in zip(m["cells"], L + offset, strict=True):
            acc = [r["accuracy"] for r in c["runs"]]
            right.plot(np.full(len(acc), x), acc, linestyle="none", marker=style["marker"],
                       color=line.get_color(), alpha=0.6, markersize=4)
        right.plot(L + offset, [c["mean_accuracy"] for c in m["cells"]],
                   linestyle=style["linestyle"], color=line.get_color(), alpha=0.8)
    v = result.settings
    unit = "clause length (words)" if v["task"] == "agreement" else "dependency length L"
    for ax in (left, right):
        ax.set_xticks(ticks)
    left.set(xlabel=unit, ylabel=f"success rate ({v['runs']} runs)", ylim=(-0.05, 1.05))
    right.axhline(chance(result), color="grey", linestyle=":", linewidth=0.8, zorder=0)
    right.axhline(v["success"], color="grey", linestyle="--", linewidth=0.8, zorder=0)
    _label_level(right, chance(result), "chance")
    _label_level(right, v["success"], "success")
    right.set(xlabel=unit, ylabel="final accuracy", ylim=(-0.05, 1.05))
    bottom = 0.06 * rows if several else 0
    if several:
        handles, labels = left.get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, bottom, 1, 1))
    return fig


def truncation(result: Result, fig=None):
    """Accuracy against the truncation K, one line per start, at one length L."""
    fig = new_figure(fig, height=3.4)
    ax = fig.subplots()
    methods = result.data["methods"]
    (L,) = {c["length"] for m in methods for c in m["cells"]}
    ax.axvspan(0.5, L - 0.5, color="grey", alpha=0.12, linewidth=0)
    ax.text(1, 0.62, f"K < L = {L}: the error of the last output\nnever reaches the first token",
            fontsize=8, va="top")
    for i, m in enumerate(methods):
        K = np.array([c["truncate"] for c in m["cells"]], dtype=float)
        line, = ax.plot(K, [c["mean_accuracy"] for c in m["cells"]],
                        marker=MARKERS[i % len(MARKERS)],
                        linestyle=LINESTYLES[i % len(LINESTYLES)], label=m["label"])
        for c, x in zip(m["cells"], K + 0.08 * (2 * i - 1), strict=True):
            acc = [r["accuracy"] for r in c["runs"]]
            ax.plot(np.full(len(acc), x), acc, ".", color=line.get_color(), alpha=0.5)
    ax.axhline(chance(result), color="grey", linestyle=":", label="chance")
    ax.set(xlabel="truncation K (steps an error travels back)",
           ylabel="accuracy of the last output", ylim=(-0.05, 1.05),
           xlim=(0.5, max(c["truncate"] for m in methods for c in m["cells"]) + 0.5))
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def schemes(result: Result, fig=None):
    """Accuracy against the truncation K, one line per truncation scheme, at one length L:
    the shading marks K < L, where no window reaches the first token, and the dotted line
    K = L + 1 = T, from which chunks and Theano's last steps hold the whole sequence."""
    fig = new_figure(fig, height=3.8)
    ax = fig.subplots()
    methods = result.data["methods"]
    (L,) = {c["length"] for m in methods for c in m["cells"]}
    Ks = sorted({c["truncate"] for m in methods for c in m["cells"]})
    ax.axvspan(min(Ks) - 0.5, L - 0.5, color="grey", alpha=0.12, linewidth=0)
    ax.axvline(L + 0.5, color="grey", linestyle=":", linewidth=0.8)
    ax.text(min(Ks) - 0.4, 1.08, f"K < L = {L}", fontsize=8, va="bottom")
    ax.text(L + 0.6, 1.08, "K >= L + 1 = T", fontsize=8, va="bottom")
    spread = 0.08
    for i, m in enumerate(methods):
        K = np.array([c["truncate"] for c in m["cells"]], dtype=float)
        offset = (i - (len(methods) - 1) / 2) * spread
        line, = ax.plot(K + offset, [c["mean_accuracy"] for c in m["cells"]],
                        marker=MARKERS[i % len(MARKERS)],
                        linestyle=LINESTYLES[i % len(LINESTYLES)], label=m["label"])
        for c, x in zip(m["cells"], K + offset, strict=True):
            acc = [r["accuracy"] for r in c["runs"]]
            ax.plot(np.full(len(acc), x), acc, ".", color=line.get_color(), alpha=0.5)
    ax.axhline(chance(result), color="grey", linestyle=":", linewidth=0.8)
    _label_level(ax, chance(result), "chance")
    ax.set(xlabel="truncation K", ylabel="accuracy of the last output", ylim=(-0.05, 1.2),
           xticks=Ks, xlim=(min(Ks) - 0.5, max(Ks) + 0.5))
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    return fig
