"""Chapter 6's figures: the gradient norm against the sentence length, plain SGD against SGD
with clipping, and the cliff in the loss that makes a plain step jump."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

import bptt_book as bb
from bptt_book.training import History, orthogonal, sgd

from ._draw import subplots
from ._settings import default_data, orthogonal_setting, pick

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure


class GradientGrowth(NamedTuple):
    """The numbers of :func:`gradient_growth`."""

    activation: str
    lengths: list[int]
    norm_per_word: dict[float, np.ndarray]  # scale -> ||g|| / T for every length T


def gradient_growth_data(*, model: str | None = None, lengths: list[int] | None = None,
                         seed: int | None = None, scales: list[float] | None = None,
                         activation: str | None = None) -> GradientGrowth:
    """``bb.global_norm(bb.bptt(...)) / T`` on the prefixes of T words of one random
    sentence, for every T in ``lengths`` and every ``W = scale / gamma * Q``.  Defaults:
    ``[gradient_growth]`` of conf/vanishing.toml."""
    settings = pick("vanishing", "gradient_growth", model=model, lengths=lengths, seed=seed,
                    scales=scales, activation=activation)
    f = settings["activation"]
    setting = orthogonal_setting(settings, max(settings["lengths"]) + 1)
    words = setting.words
    norms = {}
    for scale in settings["scales"]:
        q = setting.params(scale, f)
        norms[scale] = np.array([
            bb.global_norm(bb.bptt(q, words[:T], words[1:T + 1], activation=f)) / T
            for T in settings["lengths"]])
    return GradientGrowth(f, list(settings["lengths"]), norms)


def gradient_growth(data: GradientGrowth | None = None) -> matplotlib.figure.Figure:
    """Chapter 6, "The gradient norm grows with the length of the sentence"
    (``fig-gradient-growth``): ``||g|| / T`` against T, solid below the threshold 1/gamma,
    dashed above."""
    d = default_data("gradient_growth") if data is None else data
    fig, ax = subplots(layout="constrained")
    for scale, g in d.norm_per_word.items():
        ax.loglog(d.lengths, g, "o-" if scale < 1 else "s--", markersize=4,
                  label=rf"$\sigma_{{\max}}(W) = {scale:g}/\gamma$")
    ax.set_xlabel("sentence length $T$")
    ax.set_ylabel(r"$\|\nabla E\| / T$")
    ax.set_title(d.activation)
    ax.legend(fontsize=8)
    return fig


class Clipping(NamedTuple):
    """The numbers of :func:`clipping`."""

    threshold: float
    runs: dict[str, History]  # "plain SGD", "clipped" -> what bptt_book.training.sgd saw


def clipping_data(*, steps: int | None = None, threshold: float | None = None,
                  **overrides) -> Clipping:
    """Plain SGD and SGD with clipping (:func:`bptt_book.training.sgd`) on chapter 6's
    repeated pattern: ``[clipping]`` of conf/vanishing.toml, whose keys ``overrides`` may
    replace.  From ``numpy.random.default_rng(seed)`` the pattern is drawn first, then Q;
    U and V come from ``init_params(word_dim, hidden_dim, seed=seed)`` and
    ``W = scale / gamma * Q``."""
    c = pick("vanishing", "clipping", steps=steps, threshold=threshold, **overrides)
    rng = np.random.default_rng(c["seed"])
    pattern = rng.integers(0, c["word_dim"], size=c["pattern"])
    sequence = np.resize(pattern, c["length"] + 1)
    x, y = sequence[:-1], sequence[1:]
    Q = orthogonal(c["hidden_dim"], rng, uniform=False)
    gamma = float(bb.activation_bound(c["activation"]))
    U, V, _ = bb.init_params(c["word_dim"], c["hidden_dim"], seed=c["seed"])
    start = bb.Params(U, V, c["scale"] / gamma * Q)
    runs = {label: sgd(start, x, y, steps=c["steps"], learning_rate=c["learning_rate"],
                       clip=clip, activation=c["activation"])
            for clip, label in ((None, "plain SGD"), (c["threshold"], "clipped"))}
    return Clipping(c["threshold"], runs)


def clipping(data: Clipping | None = None) -> matplotlib.figure.Figure:
    """Chapter 6, "A training run that explodes" (``fig-clipping``): the loss before each step
    (left) and the norm of the raw gradient (right) of both runs; dotted, the threshold."""
    d = default_data("clipping") if data is None else data
    fig, (left, right) = subplots(1, 2, figsize=(8.0, 3.2), layout="constrained")
    for label, history in d.runs.items():
        left.semilogy(history.loss[: len(history.grad_norm)], label=label)
        right.semilogy(history.grad_norm, label=label)
    right.axhline(d.threshold, color="0.3", linestyle=":", label="threshold")
    left.set_xlabel("step")
    left.set_ylabel("loss $E$")
    right.set_xlabel("step")
    right.set_ylabel(r"$\|\nabla E\|$ before clipping")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    return fig


# --------------------------------------------------------------- the cliff (issue 17, ch. 6)


class Cliff(NamedTuple):
    """The numbers of :func:`cliff`."""

    params: bb.Params  # the network at alpha = 1 (W = W0)
    x: np.ndarray
    y: np.ndarray
    alpha: np.ndarray  # the grid near the cliff
    loss: np.ndarray  # E(alpha) on the grid
    slope: np.ndarray  # dE/dalpha on the grid
    wide_alpha: np.ndarray  # a wide grid that reaches where the plain step lands
    wide_loss: np.ndarray
    start: float  # the grid point with the steepest slope: on the wall of the cliff
    plain: float  # alpha after one plain gradient step from there
    clipped: float  # alpha after one clipped step
    learning_rate: float
    threshold: float


def _loss_and_slope(params: bb.Params, x: np.ndarray, y: np.ndarray,
                    alpha: float) -> tuple[float, float]:
    """E and dE/dalpha = <dE/dW, W0> at W = alpha * W0 (W0 = params.W)."""
    p = bb.Params(params.U, params.V, alpha * params.W)
    return bb.loss(p, x, y), float(np.sum(bb.bptt(p, x, y).W * params.W))


def cliff_data(*, length: int = 30, switch: int = 15, bias: float = -0.3, kick: float = 2.0,
               readout: float = 2.0, alpha: np.ndarray | None = None,
               learning_rate: float = 0.01, threshold: float = 5.0) -> Cliff:
    """The loss of a one-unit tanh network along ``W = alpha * W0`` (``W0 = [[1]]``), with a
    cliff, and one gradient step on alpha from the cliff's wall, plain and clipped.

    Two words: word 1 sets the state (its column of U is ``kick``), word 0 (column ``bias``)
    pulls it down; ``V = [[-readout], [readout]]`` reads "state up" as word 1.  The sentence
    is word 1 followed by ``length - 1`` words 0, and the targets are word 1 for the first
    ``switch`` steps and word 0 after them: the network must hold the state up for
    ``switch`` steps, then let it fall.  Above a critical alpha the state never falls, below
    it it falls sooner and sooner; near that alpha the loss changes by an order of magnitude
    over a tiny range, a cliff, and its slope is huge (this is the exploding gradient: the
    error passes back through ``length`` steps of slope near ``1/alpha``).  Like Pascanu,
    Mikolov & Bengio's Fig. 6, which uses one unit too.

    ``start`` is the grid point (of ``alpha``, default 801 points from 1 to 2) where
    ``|dE/dalpha|`` is largest; from there one step of gradient descent on alpha alone gives
    ``plain = start - learning_rate * dE/dalpha`` and, with the gradient clipped to length
    ``threshold``, ``clipped``.
    """
    params = bb.Params(np.array([[bias, kick]]), np.array([[-readout], [readout]]),
                       np.array([[1.0]]))
    x = np.array([1] + [0] * (length - 1))
    y = np.array([1] * switch + [0] * (length - switch))
    grid = np.linspace(1.0, 2.0, 801) if alpha is None else np.asarray(alpha, dtype=float)
    values = np.array([_loss_and_slope(params, x, y, a) for a in grid])
    loss, slope = values[:, 0], values[:, 1]
    i = int(np.argmax(np.abs(slope)))
    start, g = float(grid[i]), float(slope[i])
    plain = start - learning_rate * g
    clipped = start - learning_rate * g * min(1.0, threshold / abs(g))
    low = min(plain, grid[0]) - 1.0
    wide = np.linspace(low, grid[-1] + 0.5, 600)
    wide_loss = np.array([bb.loss(bb.Params(params.U, params.V, a * params.W), x, y)
                          for a in wide])
    return Cliff(params, x, y, grid, loss, slope, wide, wide_loss, start, plain, clipped,
                 learning_rate, threshold)


def cliff_step(data: Cliff, alpha: float) -> tuple[float, float]:
    """``(E, dE/dalpha)`` of the network of ``data`` at ``alpha``."""
    return _loss_and_slope(data.params, data.x, data.y, alpha)


def cliff(data: Cliff | None = None) -> matplotlib.figure.Figure:
    """Meant for chapter 6, "Why exploding is the easy problem" or beside ``fig-clipping``:
    the exploding gradient as a cliff in the loss.  Right: the loss along W = alpha W0 near
    the cliff, a point on its wall, and the clipped step, which lands in the valley below.
    Left: a wide view, where the plain step from the same point lands, far away on a
    plateau (in the spirit of Pascanu, Mikolov & Bengio 2013, Fig. 6)."""
    d = default_data("cliff") if data is None else data
    loss_start, slope_start = cliff_step(d, d.start)
    loss_plain, _ = cliff_step(d, d.plain)
    loss_clipped, _ = cliff_step(d, d.clipped)
    fig, (wide, near) = subplots(1, 2, figsize=(8.0, 3.4), layout="constrained")
    red, green = "#c0392b", "#1e8449"
    both = np.concatenate([d.wide_alpha, d.alpha])
    order = np.argsort(both, kind="stable")
    wide.plot(both[order], np.concatenate([d.wide_loss, d.loss])[order], color="0.3",
              linewidth=1.2)
    near.plot(d.alpha, d.loss, color="0.3", linewidth=1.2)
    zoom = (d.alpha[0] + 0.4 * (d.alpha[-1] - d.alpha[0]),
            d.alpha[0] + 0.8 * (d.alpha[-1] - d.alpha[0]))
    wide.axvspan(*zoom, color="0.85", zorder=0)
    for ax in (wide, near):
        ax.plot([d.start], [loss_start], "o", color="k", markersize=6, zorder=3)
        ax.set_xlabel(r"the recurrent weight $w$ of the one unit")
    wide.set_ylabel("loss $E$")
    wide.annotate("", xy=(d.plain, loss_plain), xytext=(d.start, loss_start),
                  arrowprops=dict(arrowstyle="-|>", color=red, lw=1.5,
                                  connectionstyle="arc3,rad=0.25"))
    wide.plot([d.plain], [loss_plain], "o", color=red, markersize=6)
    wide.set_title(f"plain step: $w$ moves by {d.plain - d.start:+.3g}, "
                   f"$E$ rises to {loss_plain:.3g}", fontsize=10, color=red)
    wide.text(d.plain, loss_plain * 0.9, f"lands at $w$ = {d.plain:.3g}\n"
              f"$E$ = {loss_plain:.3g}", color=red, fontsize=8, va="top")
    near.set_xlim(*zoom)
    near.annotate("", xy=(d.clipped, loss_clipped), xytext=(d.start, loss_start),
                  arrowprops=dict(arrowstyle="-|>", color=green, lw=1.5,
                                  connectionstyle="arc3,rad=0.3"))
    near.plot([d.clipped], [loss_clipped], "o", color=green, markersize=6)
    near.text(d.start, loss_start, f"  start: $E$ = {loss_start:.3g},\n"
              f"  $dE/dw$ = {slope_start:.3g}", fontsize=8, va="center")
    near.set_title(f"clipped step ($\\kappa$ = {d.threshold:g}): "
                   f"$w$ moves by {d.clipped - d.start:+.3g}, $E$ falls to "
                   f"{loss_clipped:.3g}", fontsize=10, color=green)
    return fig
