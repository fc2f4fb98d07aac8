"""Chapter 2's truncation figures: the error of truncated BPTT against K, and the windows of
(output, step) pairs that four truncation schemes keep."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

import bptt_book as bb
from bptt_book import config

from ._draw import subplots
from ._settings import default_data

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure


class TruncationError(NamedTuple):
    """The numbers of :func:`truncation_error`."""

    K: np.ndarray  # the truncation lengths
    error: np.ndarray  # (len(K), 3): relative error of the truncated dU, dV, dW
    length: int  # T, the number of words


def truncation_error_data(*, model: str = "gradient_check", length: int = 40,
                          seed: int = 0) -> TruncationError:
    """``||grad_K - grad|| / ||grad||`` for U, V and W and every ``K < T - 2``, on a random
    sentence of ``length`` words (``length + 1`` word ids drawn with
    ``numpy.random.default_rng(seed)``; x all but the last, y all but the first) for the model
    ``model`` of conf/models.toml."""
    m = config.model(model)
    q = bb.init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"])
    words = np.random.default_rng(seed).integers(0, m["word_dim"], size=length + 1)
    x, y = words[:-1], words[1:]
    exact = bb.bptt(q, x, y)
    Ks = np.arange(0, length - 2)
    error = np.array([[np.linalg.norm(a - b) / np.linalg.norm(b)
                       for a, b in zip(bb.bptt(q, x, y, truncate=int(K)), exact, strict=True)]
                      for K in Ks])
    return TruncationError(Ks, error, length)


def truncation_error(data: TruncationError | None = None) -> matplotlib.figure.Figure:
    """Chapter 2, "Truncated backpropagation through time" (``fig-bptt-truncation``): the
    relative error of the truncated dU and dW against K (log scale)."""
    d = default_data("truncation_error") if data is None else data
    T, Ks, errors = d.length, d.K, d.error
    fig, ax = subplots(layout="constrained")
    ax.semilogy(Ks, errors[:, 0], "o-", ms=3, label="dU")
    ax.semilogy(Ks, errors[:, 2], "s-", ms=3, label="dW")
    ax.axvline(T - 1, color="0.4", ls=":")
    ax.text(T - 1.3, errors[0, 0], r"$K \geq T - 1$: exact", ha="right", va="top", fontsize=9)
    ax.set_xlim(-1, T + 1)
    ax.set_xlabel("truncation K (steps each error travels back)")
    ax.set_ylabel("relative error")
    ax.legend()
    return fig


# ------------------------------------------------------------------ the truncation windows

#: The schemes :func:`truncation_window` knows, in the order the diagram draws them: the names
#: ``bb.bptt(..., scheme=...)`` takes (:mod:`bptt_book.schemes`).
SCHEMES = ("window", "chunk", "theano", "random")

_TITLES = {
    "window": "per-output window\n(the tutorial; \"window\")",
    "chunk": "chunks of K, state carried,\ngradient stopped (\"chunk\")",
    "theano": "last K steps, Theano's\ntruncate_gradient (\"theano\")",
    "random": "random cuts, reweighted\n(Tallec & Ollivier; \"random\")",
}


def truncation_window(scheme: str, T: int, K: int, *,
                      rng: np.random.Generator | None = None) -> np.ndarray:
    """Which terms of the gradient a truncation scheme keeps, and with what weight.

    Every term of the exact BPTT gradient of U and W belongs to a pair (output t, step k),
    ``k <= t``: the error of output t carried back to step k, ``delta_k^(t) s_{k-1}^T`` for W.
    The result is a (T, T) array ``w`` (rows t, columns k) whose entry is the weight the
    scheme gives that term: 1 kept, 0 dropped (and 0 above the diagonal, k > t, where no
    term exists).  The truncated gradient is ``sum_{t,k} w[t, k] delta_k^(t) s_{k-1}^T``.

    - ``"window"``: every output's error walks back K steps, ``0 <= t - k <= K``; this
      is ``bb.bptt(..., truncate=K)`` (and the tutorial's NumPy loop).
    - ``"chunk"``: the sentence is cut into chunks of K steps, ``[0, K), [K, 2K), ...``;
      the forward pass carries the state across a cut but the backward pass stops there,
      so a term is kept when t and k lie in one chunk (Williams & Peng's BPTT(K, K), the
      usual truncated BPTT of deep-learning libraries).
    - ``"theano"``: Theano's ``scan(..., truncate_gradient=K)``, which the tutorial's Theano
      code uses: the backward loop runs over the last K steps of the sequence only, so a
      term is kept when ``k >= T - K`` (from every output ``t >= k``) and steps before
      ``T - K`` get nothing, not even from their own output.  (In that code V sits inside
      the scan as well and gets the last K outputs' gradient only.)
    - ``"random"``: Tallec & Ollivier's ARTBP (2017).  Each link between step j-1 and
      step j (j = 1 ... T-1) is cut at random with probability ``c = 1/K`` (so cuts lie K
      steps apart on average), drawn from ``rng``; the error crossing a link that was not
      cut is divided by ``1 - c``.  A term is kept when no link between k and t was cut,
      with weight ``(1 - c) ** -(t - k)``, so its expected weight is exactly 1: the estimate
      is unbiased.  (The paper lets the probability vary with the step; here it is constant.)

    Each is encoded here from its definition, independently of ``bb.bptt(..., scheme=...)``
    (:mod:`bptt_book.schemes`), which computes the same weighted sums (tested).

    Raises ``ValueError`` for an unknown ``scheme``, ``T < 1`` or ``K < 1`` (``K >= 2`` for
    ``"random"``, so that ``c < 1``), and ``TypeError`` when ``"random"`` gets no
    ``numpy.random.Generator``.

    >>> from bptt_book.figures import truncation_window
    >>> truncation_window("chunk", 4, 2).astype(int).tolist()
    [[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]]
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {list(SCHEMES)}; got {scheme!r}")
    for name, value in (("T", T), ("K", K)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
    t, k = np.indices((T, T))
    below = k <= t
    if scheme == "window":
        return (below & (t - k <= K)).astype(float)
    if scheme == "chunk":
        return (below & (t // K == k // K)).astype(float)
    if scheme == "theano":
        return (below & (k >= T - K)).astype(float)
    if K < 2:
        raise ValueError(f"K must be >= 2 for the randomized scheme (c = 1/K < 1); got {K}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError("the randomized scheme needs rng, a numpy.random.Generator; "
                        f"got {type(rng).__name__}")
    c = 1.0 / K
    cut = np.zeros(T, dtype=bool)
    cut[1:] = rng.random(T - 1) < c  # cut[j]: the link between step j-1 and step j
    chunk = np.cumsum(cut)  # the number of cuts at or before each step
    return np.where(below & (chunk[t] == chunk[k]), (1.0 - c) ** -(t - k).astype(float), 0.0)


class TruncationWindows(NamedTuple):
    """The numbers of :func:`truncation_windows`."""

    T: int
    K: int
    weights: dict[str, np.ndarray]  # scheme -> (T, T) weights, rows t, columns k


def truncation_windows_data(T: int = 12, K: int = 4, *, seed: int = 0) -> TruncationWindows:
    """:func:`truncation_window` for every scheme (the random cuts drawn with
    ``numpy.random.default_rng(seed)``)."""
    rng = np.random.default_rng(seed)
    return TruncationWindows(T, K, {s: truncation_window(s, T, K, rng=rng) for s in SCHEMES})


def truncation_windows(data: TruncationWindows | None = None) -> matplotlib.figure.Figure:
    """Chapter 7, "Four ways to cut the gradient short" (``fig-truncation-windows``): for T
    steps and window K, a grid per scheme of which
    (output t, step k) pairs contribute to the gradient of W and U; the exact gradient keeps
    the whole lower triangle.  The randomized scheme shows one draw, shaded by its weight."""
    d = default_data("truncation_windows") if data is None else data
    fig, axes = subplots(1, len(d.weights), figsize=(9.0, 3.3), layout="constrained")
    from matplotlib.colors import LogNorm
    top = max(float(w.max()) for w in d.weights.values())
    image = None
    for ax, (scheme, w) in zip(axes, d.weights.items(), strict=True):
        shown = np.ma.masked_where(w == 0, w)
        image = ax.imshow(shown, cmap="Blues", norm=LogNorm(vmin=0.5, vmax=max(top, 2.0)),
                          interpolation="nearest", origin="upper")
        t, k = np.indices(w.shape)
        ax.imshow(np.ma.masked_where((k > t) | (w > 0), np.ones_like(w)), cmap="Greys",
                  vmin=0, vmax=6, interpolation="nearest", origin="upper")
        ax.set_xticks(np.arange(-0.5, d.T, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, d.T, 1), minor=True)
        ax.grid(which="minor", color="white", linewidth=0.8)
        ax.grid(which="major", visible=False)
        ax.tick_params(which="minor", length=0)
        ax.set_xticks([0, d.T - 1])
        ax.set_yticks([0, d.T - 1])
        kept = int(np.count_nonzero(w))
        ax.set_title(f"{_TITLES[scheme]}\n{kept} of {d.T * (d.T + 1) // 2} terms kept",
                     fontsize=8)
        ax.set_xlabel("step $k$")
    axes[0].set_ylabel("output $t$")
    assert image is not None  # every panel drew one
    bar = fig.colorbar(image, ax=axes, shrink=0.7, pad=0.01)
    ticks = [2.0**i for i in range(8) if 2.0**i <= max(top, 2.0)]
    bar.set_ticks(ticks, labels=[f"{tick:g}" for tick in ticks])
    bar.minorticks_off()
    bar.set_label("weight of the term", fontsize=8)
    fig.suptitle(f"Which (output $t$, step $k$) terms each scheme keeps: "
                 f"$T = {d.T}$, $K = {d.K}$ (grey: dropped)", fontsize=10)
    return fig
