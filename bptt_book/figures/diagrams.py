"""Diagrams of the network and of backpropagation through time, drawn with matplotlib.

Notation as in the book: ``x_t`` the word read at step t, ``s_t`` the state, ``z_t`` the
pre-activation, ``o_t`` the logits, ``yhat_t`` the prediction, ``E_t`` the loss of step t;
``U``, ``V``, ``W`` the weights; ``g_t = V^T (yhat_t - y_t)`` the error that output t hands
to its state and ``delta_t = dE/dz_t``.  Jacobians are in the layout whose rows index the
outputs, so the backward pass multiplies by the transposes ``V^T`` and ``W^T``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ._draw import BACKWARD, INPUT, LOSS, NEUTRAL, OUTPUT, STATE, arrow, box, canvas

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure
    from matplotlib.axes import Axes


def unrolled(steps: int = 4) -> matplotlib.figure.Figure:
    """Chapter 2, "BPTT is backpropagation on the unrolled network" (``fig-bptt-unrolled``):
    the network unrolled over ``steps`` words, forward arrows U, V, W (solid) and the
    backward pass (dashed): each output's error g_t enters its step, delta carries the sum
    back."""
    fig, ax = canvas(7.0, 3.8, (-1.8, 2.2 * steps - 0.4), (-0.5, 4.5), equal=False)
    w, h = 1.15, 0.7
    box(ax, -1.1, 2.0, "$s_{-1}=0$", NEUTRAL)
    for t in range(steps):
        cx = 2.2 * t + 1.0
        box(ax, cx, 0.0, f"$x_{t}$", INPUT)
        box(ax, cx, 2.0, f"$s_{t}$", STATE)
        box(ax, cx, 4.0, rf"$\hat y_{t}, E_{t}$", OUTPUT)
        arrow(ax, (cx - 0.15, h / 2), (cx - 0.15, 2.0 - h / 2), "$U$", offset=(-0.3, 0))
        arrow(ax, (cx - 0.15, 2.0 + h / 2), (cx - 0.15, 4.0 - h / 2), "$V$", offset=(-0.3, 0))
        arrow(ax, (cx + 0.15, 4.0 - h / 2), (cx + 0.15, 2.0 + h / 2), f"$g_{{{t}}}$",
              offset=(0.35, 0), style="--", color=BACKWARD)
        left = cx - 2.2 + w / 2 if t > 0 else -1.1 + w / 2 + 0.05
        arrow(ax, (left, 2.12), (cx - w / 2, 2.12), "$W$", offset=(0, 0.25))
        if t > 0:
            arrow(ax, (cx - w / 2, 1.88), (left, 1.88), rf"$\delta_{t}$", offset=(0, -0.3),
                  style="--", color=BACKWARD)
    return fig


def _cell(ax: Axes, cx: float, t: str, *, w: float = 1.0, h: float = 0.62) -> None:
    """The column x_t -> s_t -> yhat_t of one step, with its U and V arrows."""
    box(ax, cx, 0.0, f"$x_{{{t}}}$", INPUT, w=w, h=h, fontsize=13)
    box(ax, cx, 2.0, f"$s_{{{t}}}$", STATE, w=w, h=h, fontsize=13)
    box(ax, cx, 4.0, rf"$\hat y_{{{t}}}$", OUTPUT, w=w, h=h, fontsize=13)
    arrow(ax, (cx, h / 2), (cx, 2.0 - h / 2), "$U$", offset=(-0.25, 0), fontsize=12)
    arrow(ax, (cx, 2.0 + h / 2), (cx, 4.0 - h / 2), "$V$", offset=(-0.25, 0), fontsize=12)


def folded_unrolled(steps: int = 4) -> matplotlib.figure.Figure:
    """Meant for chapter 1, "One step" (before the network is run): the folded network, one
    cell whose state feeds back into itself through W, and the same network unrolled over
    ``steps`` words, one copy of the cell per word, all sharing U, V and W."""
    span, first = 1.9, 4.0
    fig, ax = canvas(8.6, 3.4, (-0.9, first + 1.1 + span * steps), (-0.6, 4.8))
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path
    w, h = 1.0, 0.62
    _cell(ax, 0.0, "t")
    # The loop: out of the right side of s_t, round below it, and back in from underneath.
    loop = Path([(w / 2, 2.0), (1.05, 2.0), (1.05, 1.3), (0.28, 1.3), (0.28, 2.0 - h / 2)],
                [Path.MOVETO] + [Path.LINETO] * 4)
    ax.add_patch(FancyArrowPatch(path=loop, arrowstyle="-|>", mutation_scale=12, lw=1.4,
                                 color="0.2", joinstyle="round"))
    ax.text(1.2, 1.62, "$W$", fontsize=12, color="0.2", va="center")
    ax.text(0.0, -0.55, "folded", ha="center", va="top", fontsize=10, color="0.35")
    ax.annotate("", xy=(2.65, 2.0), xytext=(1.65, 2.0),
                arrowprops=dict(arrowstyle="simple", fc="0.75", ec="0.6"))
    ax.text(2.15, 2.3, "unroll", ha="center", fontsize=9, color="0.35")
    box(ax, first - 0.6, 2.0, "$s_{-1}$\n$=0$", NEUTRAL, w=0.8, h=h + 0.25, fontsize=10)
    for t in range(steps):
        cx = first + 0.9 + span * t
        _cell(ax, cx, str(t))
        left = cx - span + w / 2 if t > 0 else first - 0.2
        arrow(ax, (left, 2.0), (cx - w / 2, 2.0), "$W$", offset=(0, 0.22), fontsize=12)
    middle = first + 0.9 + span * (steps - 1) / 2
    ax.text(middle, -0.55, f"unrolled over {steps} words: every U, V and W is the same matrix",
            ha="center", va="top", fontsize=10, color="0.35")
    return fig


def operator_graph() -> matplotlib.figure.Figure:
    """Meant for chapter 2, where delta is introduced: one step as a graph of operations with
    its forward values (top row, solid arrows) and, under each value, the derivative of the
    loss that lives there (bottom row, dashed arrows, right to left): ``yhat_t - y_t`` at the
    logits; ``dE/ds_t = g_t + W^T delta_{t+1}`` at the state, where ``g_t = V^T (yhat_t -
    y_t)`` from the output meets what the next step hands back; ``delta_t = dE/dz_t`` at the
    pre-activation, which passes ``W^T delta_t`` to the step before and gives the gradients
    of W and U."""
    fig, ax = canvas(10.8, 4.5, (-0.9, 15.3), (-2.1, 4.5))
    from matplotlib.patches import Circle
    top, low, h, w = 2.4, 0.3, 0.6, 0.95
    bw, bh = 1.9, 0.9  # the backward boxes
    pink = "#fadbd8"
    red: dict[str, Any] = dict(style="--", color=BACKWARD)
    where = {"s_prev": 0.0, "plus": 2.0, "z": 3.7, "s": 7.0, "o": 10.3, "yhat": 12.4,
             "E": 14.6}
    box(ax, where["s_prev"], top, "$s_{t-1}$", STATE, w=w, h=h, fontsize=13)
    box(ax, where["plus"], 3.9, "$x_t$", INPUT, w=w, h=h, fontsize=13)
    for name, text, color in (("z", "$z_t$", NEUTRAL), ("s", "$s_t$", STATE),
                              ("o", "$o_t$", NEUTRAL), ("yhat", r"$\hat y_t$", OUTPUT),
                              ("E", "$E_t$", LOSS)):
        box(ax, where[name], top, text, color, w=w, h=h, fontsize=13)
    ax.add_patch(Circle((where["plus"], top), 0.27, fc="white", ec="0.3"))
    ax.text(where["plus"], top, "+", ha="center", va="center", fontsize=14)
    arrow(ax, (w / 2, top), (where["plus"] - 0.27, top), r"$W\,\cdot$", offset=(0, 0.24),
          fontsize=12)
    arrow(ax, (where["plus"], 3.9 - h / 2), (where["plus"], top + 0.27), r"$U\,\cdot$",
          offset=(-0.32, 0), fontsize=12)
    steps = (("plus", "z", ""), ("z", "s", "$f$"), ("s", "o", r"$V\,\cdot$"),
             ("o", "yhat", "softmax"), ("yhat", "E", r"$-\log(\cdot)[y_t]$"))
    for a, b, label in steps:
        start = where[a] + (0.27 if a == "plus" else w / 2)
        arrow(ax, (start, top), (where[b] - w / 2, top), label, offset=(0, 0.26),
              fontsize=12 if label.startswith("$") and len(label) < 12 else 9)
    arrow(ax, (where["s"] + 0.2, top + h / 2), (where["s"] + 0.9, 3.9))
    ax.text(where["s"] + 1.0, 3.9, r"to step $t+1$ (through $W$)", va="center", fontsize=9)
    # Backward: the derivative of E that lives under each value.
    below = {"z": "$\\delta_t$\n$=\\partial E/\\partial z_t$",
             "s": "$\\partial E/\\partial s_t$\n$= g_t + W^\\top \\delta_{t+1}$",
             "o": "$\\hat y_t - y_t$\n$=\\partial E_t/\\partial o_t$"}
    for name, text in below.items():
        box(ax, where[name], low, text, pink, w=bw, h=bh, fontsize=11)
        ax.plot([where[name], where[name]], [top - h / 2, low + bh / 2], ":", color="0.55",
                linewidth=1.0)
    arrow(ax, (where["E"] - 0.1, top - h / 2), (where["o"] + bw / 2, low + 0.15), **red)
    arrow(ax, (where["o"] - bw / 2, low), (where["s"] + bw / 2, low), r"$V^\top\cdot$",
          offset=(0, 0.25), fontsize=11, **red)
    ax.text((where["o"] + where["s"]) / 2, low - 0.2, "$g_t$", ha="center", va="top",
            fontsize=12, color=BACKWARD)
    arrow(ax, (where["s"] + 1.4, -1.55), (where["s"] + 0.5, low - bh / 2),
          r"$W^\top \delta_{t+1}$", offset=(1.05, -0.2), fontsize=11, **red)
    ax.text(where["s"] + 1.5, -1.65, "from step $t+1$", fontsize=8, color=BACKWARD, va="top")
    arrow(ax, (where["s"] - bw / 2, low), (where["z"] + bw / 2, low), r"$\odot f'(z_t)$",
          offset=(0, 0.25), fontsize=11, **red)
    arrow(ax, (where["z"] - bw / 2, low), (-0.4, low), r"$W^\top \cdot$", offset=(0, 0.25),
          fontsize=11, **red)
    ax.text(-0.4, low - 0.2, "to step $t-1$", fontsize=8, color=BACKWARD, va="top")
    ax.text(where["z"], -1.35, r"$\partial E/\partial W \,{+}{=}\, \delta_t\, s_{t-1}^\top$"
            "\n" r"$\partial E/\partial U[:, x_t] \,{+}{=}\, \delta_t$", ha="center",
            va="center", fontsize=10, color=BACKWARD)
    ax.text(where["o"] + 0.2, -1.3,
            r"$\partial E/\partial V \,{+}{=}\, (\hat y_t - y_t)\, s_t^\top$",
            ha="left", va="center", fontsize=10, color=BACKWARD)
    ax.text(-0.85, 4.4, "forward (solid): values", fontsize=9, color="0.2", va="top")
    ax.text(-0.85, -2.05, "backward (dashed): derivatives of $E$ and where they live",
            fontsize=9, color=BACKWARD, va="bottom")
    return fig


def backward_step() -> matplotlib.figure.Figure:
    """Meant for chapter 2, beside the recurrence ``delta_t = f'(z_t) * (g_t + W^T
    delta_{t+1})``: one cell's backward step.  The error of its own output, g_t, and the
    error handed back by the next step, ``W^T delta_{t+1}``, are added; the sum is
    multiplied entry by entry by the slopes f'(z_t); the result is delta_t, which the cell
    passes to the step before (as ``W^T delta_t``) and to the gradients of W and U."""
    fig, ax = canvas(8.0, 3.8, (-0.6, 10.4), (-1.9, 3.0))
    from matplotlib.patches import Circle, FancyBboxPatch
    red: dict[str, Any] = dict(style="--", color=BACKWARD)
    ax.add_patch(FancyBboxPatch((0.95, -0.15), 5.25, 3.25, boxstyle="round,pad=0.05",
                                fc="0.97", ec="0.7", ls=":", zorder=0))
    ax.text(1.05, 2.95, "cell $t$", fontsize=9, color="0.4", va="top")
    box(ax, 5.4, 2.35, r"$\hat y_t - y_t$", OUTPUT, w=1.35, h=0.6, fontsize=12)
    box(ax, 9.4, 0.6, r"$\delta_{t+1}$", "#fadbd8", w=0.9, h=0.6, fontsize=12)
    ax.text(9.4, 0.1, "step $t+1$", ha="center", va="top", fontsize=9, color="0.35")
    plus, times = (5.4, 0.6), (3.5, 0.6)
    for centre, sign in ((plus, "+"), (times, r"$\odot$")):
        ax.add_patch(Circle(centre, 0.3, fc="white", ec=BACKWARD))
        ax.text(*centre, sign, ha="center", va="center", fontsize=14, color=BACKWARD)
    arrow(ax, (5.4, 2.05), (5.4, 0.9), r"$g_t = V^\top(\hat y_t - y_t)$", offset=(1.3, 0),
          fontsize=11, **red)
    arrow(ax, (8.95, 0.6), (5.7, 0.6), r"$W^\top \delta_{t+1}$", offset=(0, 0.28),
          fontsize=11, **red)
    arrow(ax, (5.1, 0.6), (3.8, 0.6), r"$\partial E/\partial s_t$", offset=(0, 0.3),
          fontsize=10, **red)
    box(ax, 3.5, 2.35, r"$f'(z_t)$", STATE, w=1.1, h=0.6, fontsize=12)
    ax.text(3.5, 2.8, r"($1 - s_t^2$ for tanh)", ha="center", fontsize=8, color="0.35")
    arrow(ax, (3.5, 2.05), (3.5, 0.9), color="0.3")
    box(ax, 1.6, 0.6, r"$\delta_t$", "#fadbd8", w=0.8, h=0.6, fontsize=13)
    arrow(ax, (3.2, 0.6), (2.0, 0.6), **red)
    arrow(ax, (1.2, 0.6), (-0.45, 0.6), r"$W^\top \delta_t$", offset=(0, 0.28), fontsize=11,
          **red)
    ax.text(-0.45, 0.15, "to step $t-1$", fontsize=9, color="0.35", va="top")
    arrow(ax, (1.6, 0.3), (1.6, -0.75), **red)
    ax.text(1.6, -0.85, r"$\partial E/\partial W \,{+}{=}\, \delta_t\, s_{t-1}^\top$,   "
            r"$\partial E/\partial U[:, x_t] \,{+}{=}\, \delta_t$", ha="left", va="top",
            fontsize=10, color=BACKWARD, transform=ax.transData)
    ax.text(5.0, -1.65, r"$\delta_t = f'(z_t) \odot \left(g_t + W^\top \delta_{t+1}\right)$,"
            r"   $\delta_T = 0$", ha="center", va="center", fontsize=12)
    return fig


class Walks(NamedTuple):
    """The numbers of :func:`walks_vs_sweep`: how many products with W^T each way takes."""

    T: int
    walks: list[list[int]]  # per output t, the steps its walk visits: t, t-1, ..., 0
    walk_products: int  # products with W^T over all walks: T (T - 1) / 2
    sweep_products: int  # products with W^T of the single delta sweep: T - 1


def walks_data(T: int = 6) -> Walks:
    """The steps each output's separate walk visits, and the products with W^T of both ways
    of computing the gradient of a sentence of T words."""
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ValueError(f"T must be an integer >= 1; got {T!r}")
    walks = [list(range(t, -1, -1)) for t in range(T)]
    return Walks(T, walks, sum(len(w) - 1 for w in walks), T - 1)


def walks_vs_sweep(data: Walks | None = None) -> matplotlib.figure.Figure:
    """Meant for chapter 2, the argument that one delta sweep carries every output back:
    left, each output's error walked back to step 0 on its own (one row per output,
    ``T (T - 1) / 2`` products with W^T, O(T^2)); right, the single sweep, in which every
    step adds its own g_t to what arrives from the right and passes one vector on (``T - 1``
    products, O(T))."""
    d = walks_data() if data is None else data
    T = d.T
    fig, (left, right) = _two_panels(T)
    for t, walk in enumerate(d.walks):
        row = T - 1 - t
        for k in walk:
            left.plot(k, row, "o", color=STATE_EDGE, markersize=7, zorder=3)
        for k in walk[:-1]:  # one product with W^T per hop
            left.annotate("", xy=(k - 0.9, row), xytext=(k - 0.1, row),
                          arrowprops=dict(arrowstyle="-|>", color=BACKWARD, lw=1.3, ls="--"))
        left.text(t + 0.3, row, f"$g_{t}$", va="center", fontsize=10, color=BACKWARD)
    left.set_yticks(range(T), [f"output {T - 1 - r}" for r in range(T)], fontsize=8)
    left.set_title(f"each output walked back alone: {d.walk_products} products with "
                   f"$W^\\top$\n($T(T-1)/2$ for $T = {T}$: $O(T^2)$)", fontsize=10)
    row = 0
    for k in range(T):
        right.plot(k, row, "o", color=STATE_EDGE, markersize=7, zorder=3)
        right.annotate("", xy=(k, row + 0.12), xytext=(k, row + 0.85),
                       arrowprops=dict(arrowstyle="-|>", color=BACKWARD, lw=1.1))
        right.text(k, row + 0.95, f"$g_{k}$", ha="center", va="bottom", fontsize=10,
                   color=BACKWARD)
        if k > 0:
            right.annotate("", xy=(k - 0.9, row), xytext=(k - 0.1, row),
                           arrowprops=dict(arrowstyle="-|>", color=BACKWARD, lw=1.3, ls="--"))
            right.text(k - 0.5, row - 0.3, rf"$W^\top\delta_{k}$", ha="center", va="top",
                       fontsize=8, color=BACKWARD)
    right.set_ylim(-1.2, 2.0)
    right.set_yticks([])
    right.set_title(f"one $\\delta$ sweep for all outputs: {d.sweep_products} products "
                    f"with $W^\\top$\n($T - 1$: $O(T)$)", fontsize=10)
    for ax in (left, right):
        ax.set_xticks(range(T))
        ax.set_xlabel("step $k$")
        ax.set_xlim(-0.6, T - 0.2)
        ax.grid(False)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    return fig


#: The edge colour of the state markers (the fill colour of a state box is too pale alone).
STATE_EDGE = "#e67e22"


def _two_panels(T: int):
    from ._draw import subplots

    return subplots(1, 2, figsize=(9.0, 0.45 * T + 1.6),
                    gridspec_kw=dict(width_ratios=(1.0, 1.0)), layout="constrained")
