"""Chapter 1's figures: the hidden states along a sentence, and the loss of untrained models.

Each figure has a ``*_data`` function that computes its numbers from the package, with the
settings of ``conf/figures.toml`` unless keywords override them, and a drawing function that
takes those numbers (computing them when none are given) and returns the matplotlib Figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

import bptt_book as bb
from bptt_book import config

from ._draw import subplots
from ._settings import default_data, pick

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure


class HiddenStates(NamedTuple):
    """The numbers of :func:`hidden_states`."""

    x: np.ndarray  # the sentence (word ids)
    x_changed: np.ndarray  # the same sentence with another first word
    activation: str  # the model's activation, whose states are drawn
    states: np.ndarray  # (T, H): s_t along x with that activation
    distance: dict[str, np.ndarray]  # activation -> ||s_t - s_t'||_2 for t = 0 ... T-1


def hidden_states_data(*, model: str | None = None, length: int | None = None,
                       seed: int | None = None,
                       activations: list[str] | None = None) -> HiddenStates:
    """The states of the untrained model ``model`` along a random sentence of ``length``
    words (drawn with ``numpy.random.default_rng(seed)``), and for each activation the
    distance between those states and the states of the same sentence with its first word
    replaced by the next word id.  Defaults: ``[hidden_states]`` of conf/figures.toml."""
    settings = pick("figures", "hidden_states", model=model, length=length, seed=seed,
                     activations=activations)
    m = config.model(settings["model"])
    D, H = m["word_dim"], m["hidden_dim"]
    p = bb.init_params(D, H, seed=m["seed"])
    x = np.random.default_rng(settings["seed"]).integers(0, D, settings["length"])
    x_changed = x.copy()
    x_changed[0] = (x[0] + 1) % D
    states, _ = bb.forward(p, x, activation=m["activation"])
    distance = {}
    for name in settings["activations"]:
        s, _ = bb.forward(p, x, activation=name)
        s_changed, _ = bb.forward(p, x_changed, activation=name)
        distance[name] = np.linalg.norm(s - s_changed, axis=1)
    return HiddenStates(x, x_changed, m["activation"], states, distance)


def hidden_states(data: HiddenStates | None = None) -> matplotlib.figure.Figure:
    """Chapter 1, "What each state can see" (``fig-hidden-states``): left, the states as a
    heat map (one column per word); right, how far changing the first word moves each state,
    for each activation (log scale)."""
    d = default_data("hidden_states") if data is None else data
    t = np.arange(len(d.x))
    fig, (left, right) = subplots(1, 2, figsize=(8.0, 3.4), layout="constrained")
    limit = np.abs(d.states).max()
    image = left.imshow(d.states.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit,
                        interpolation="nearest")
    fig.colorbar(image, ax=left)
    left.set_xlabel("step $t$")
    left.set_ylabel("hidden unit")
    left.set_title(f"states $s_t$ ({d.activation})")
    left.grid(False)
    for name, distance in d.distance.items():
        right.semilogy(t, distance, "o-", markersize=3, label=name)
    right.set_xlabel("step $t$")
    right.set_ylabel(r"$\|s_t - s_t'\|_2$")
    right.set_title("effect of changing the first word")
    right.legend()
    return fig


class UntrainedLoss(NamedTuple):
    """The numbers of :func:`untrained_loss`."""

    word_dims: np.ndarray  # the vocabulary sizes D
    per_word: np.ndarray  # the loss per word of the untrained model of each size
    hidden_dim: int


def untrained_loss_data(*, word_dims: list[int] | None = None, hidden_dim: int | None = None,
                        sentences: int | None = None, length: int | None = None,
                        seed: int | None = None) -> UntrainedLoss:
    """The loss per word of ``init_params(D, hidden_dim, seed=seed)`` for every D in
    ``word_dims``, scored on a batch of ``sentences`` random sentences of ``length`` words
    (inputs, then targets, drawn with ``numpy.random.default_rng(seed)``).  Defaults:
    ``[untrained_loss]`` of conf/figures.toml."""
    settings = pick("figures", "untrained_loss", word_dims=word_dims, hidden_dim=hidden_dim,
                     sentences=sentences, length=length, seed=seed)
    H, seed = settings["hidden_dim"], settings["seed"]
    shape = (settings["sentences"], settings["length"])  # a batch (B, T)
    dims = np.array(settings["word_dims"])
    per_word = []
    for D in dims:
        p = bb.init_params(D, H, seed=seed)
        rng = np.random.default_rng(seed)
        x, y = rng.integers(0, D, shape), rng.integers(0, D, shape)
        per_word.append(bb.loss(p, x, y) / x.size)
    return UntrainedLoss(dims, np.array(per_word), H)


def untrained_loss(data: UntrainedLoss | None = None) -> matplotlib.figure.Figure:
    """Chapter 1, "What an untrained network scores" (``fig-untrained-loss``): the loss per
    word against log D (left) and its gap to log D (right)."""
    d = default_data("untrained_loss") if data is None else data
    dims, per_word = d.word_dims, d.per_word
    fig, (left, right) = subplots(1, 2, figsize=(8.0, 3.2), layout="constrained")
    line = np.linspace(0.0, np.log(dims.max()) * 1.05, 2)
    left.plot(line, line, color="0.6", linewidth=1, label=r"loss per word $= \log D$")
    left.plot(np.log(dims), per_word, "o", label=f"untrained, H = {d.hidden_dim}")
    for D, value in zip(dims, per_word, strict=True):
        left.annotate(f"D = {D}", (np.log(D), value), textcoords="offset points",
                      xytext=(6, -10), fontsize=7)
    left.set_xlabel(r"$\log D$")
    left.set_ylabel("loss per word")
    left.legend(loc="upper left")
    right.axhline(0.0, color="0.6", linewidth=1)
    right.semilogx(dims, per_word - np.log(dims), "o")
    right.set_xlabel("vocabulary size $D$")
    right.set_ylabel(r"loss per word $-\,\log D$")
    return fig
