"""The table and figure of ``gated_reach``: how much of the answer's gradient reaches the
first token while each network trains (the runs are :func:`~bptt_book.experiments.grid.fit`
with ``reach`` set, which records it before training and after every epoch)."""

import numpy as np

from .record import Result

#: The smallest share the figure draws (smaller ones are drawn at it, and the caption says
#: so).  A few runs dip far lower for an epoch, which would squeeze the other lines together.
FLOOR = 1e-12


def runs(method: dict) -> list[dict]:
    """Every training run of one method of the result, over its cells."""
    return [r for c in method["cells"] for r in c["runs"]]


def table(result: Result) -> str:
    """Per method: successes, mean epochs, and the median share of the gradient that reached
    the first token before training, after the first epoch and after the last."""
    rows = [f"{'method':<8}{'success':>9}{'epochs':>8}{'reach at start':>16}"
            f"{'after 1 epoch':>15}{'at the end':>12}"]
    for m in result.data["methods"]:
        done = runs(m)
        wins = sum(r["success"] for r in done)
        epochs = np.mean([r["epochs"] for r in done])
        start, first, end = (float(np.median([r["reach"][i] for r in done])) for i in (0, 1, -1))
        rows.append(f"{m['name']:<8}{f'{wins}/{len(done)}':>9}{epochs:>8.1f}{start:>16.1e}"
                    f"{first:>15.1e}{end:>12.1e}")
    return "\n".join(rows)


def plot(result: Result, fig=None):
    """Left: the share of the answer's gradient that reaches the first token (log scale,
    shares below :data:`FLOOR` drawn at it) against the epoch, one line per run; right: the
    accuracy of the answer."""
    from .plots import LINESTYLES, MARKERS, _label_level, chance, new_figure

    methods = result.data["methods"]
    rows = (len(methods) + 2) // 3
    fig = new_figure(fig, height=3.4 + 0.25 * rows)
    left, right = fig.subplots(1, 2)
    colours = [f"C{i}" for i in range(len(methods))]
    for i, (m, colour) in enumerate(zip(methods, colours, strict=True)):
        style = {"color": colour, "linestyle": LINESTYLES[i % len(LINESTYLES)],
                 "marker": MARKERS[i % len(MARKERS)], "markersize": 3, "linewidth": 1.2}
        for k, r in enumerate(runs(m)):
            epochs = np.arange(len(r["reach"]))
            label = m["label"] if k == 0 else None
            left.semilogy(epochs, np.maximum(r["reach"], FLOOR), label=label, alpha=0.85,
                          **style)
            right.plot(np.arange(len(r["curve"])), r["curve"], alpha=0.85, **style)
    v = result.settings
    (L,) = {c["length"] for m in methods for c in m["cells"]}
    left.set(xlabel="epoch", ylabel="share of the gradient at the first token",
             title=f"$L = {L}$", xlim=(0, v["epochs"]), ylim=(FLOOR / 3, 3))
    right.axhline(chance(result), color="grey", linestyle=":", linewidth=0.8, zorder=0)
    right.axhline(v["success"], color="grey", linestyle="--", linewidth=0.8, zorder=0)
    _label_level(right, chance(result), "chance")
    _label_level(right, v["success"], "success")
    right.set(xlabel="epoch", ylabel="accuracy of the answer", ylim=(-0.05, 1.05),
              xlim=(0, v["epochs"]))
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07 * rows, 1, 1))
    return fig
