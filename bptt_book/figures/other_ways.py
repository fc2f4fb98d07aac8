"""Chapter 7's figures: the bias and the noise of the truncation schemes, and what the other
ways to compute the gradient (RTRL, checkpointing) cost in time and memory."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

import bptt_book as bb

from .. import backend
from ._draw import subplots
from ._settings import default_data, orthogonal_setting

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure

#: The deterministic schemes, in the order the figures draw them.
DETERMINISTIC = ("window", "chunk", "theano")

#: The smallest relative error :func:`scheme_bias` draws (smaller ones, such as the exact zero
#: of the window at K = T - 1, are drawn at it; the caption says so).
BIAS_FLOOR = 1e-4


def relative_error(g: Any, exact: Any) -> float:
    """``||g - exact|| / ||exact||`` over all parameters at once (tuples of arrays)."""
    num = sum(float(np.sum((a - b) ** 2)) for a, b in zip(g, exact, strict=True))
    den = sum(float(np.sum(b**2)) for b in exact)
    return float(np.sqrt(num / den))


# ------------------------------------------------------------------- bias of the schemes


class SchemeBias(NamedTuple):
    """The numbers of :func:`scheme_bias`."""

    K: np.ndarray  # the truncation lengths
    scales: list[float]  # sigma_max(W) * gamma of each panel
    error: dict[tuple[float, str], np.ndarray]  # (scale, scheme) -> relative error per K
    spread: dict[float, np.ndarray]  # scale -> RMS relative error of one random draw per K
    mean_error: dict[float, np.ndarray]  # scale -> relative error of the mean of the draws
    draws: int
    length: int


def scheme_bias_data(*, model: str = "gradient_check", length: int = 40,
                     scales: Sequence[float] = (0.8, 2.0),
                     Ks: Sequence[int] = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 39, 40),
                     draws: int = 100, seed: int = 0) -> SchemeBias:
    """The relative error ``||g_K - g|| / ||g||`` of every scheme against exact BPTT, over all
    parameters, for each truncation length K, on one sentence of ``length`` words for the
    model ``model`` of conf/models.toml with ``W = scale / gamma * Q`` (chapter 5's set-up:
    ``numpy.random.default_rng(seed)`` draws the sentence, then the orthogonal Q).  For
    ``"random"`` (K >= 2; K = 1 uses K = 2): the root-mean-square error of one draw and the
    error of the mean of ``draws`` draws (the cuts from ``default_rng(seed)``)."""
    setting = orthogonal_setting({"model": model, "seed": seed}, length + 1)
    x, y = setting.words[:-1], setting.words[1:]
    lengths = np.asarray(Ks)
    error, spread, mean_error = {}, {}, {}
    rng = np.random.default_rng(seed)
    for scale in scales:
        p = setting.params(scale)
        exact = bb.bptt(p, x, y)
        for scheme in DETERMINISTIC:
            error[scale, scheme] = np.array([
                relative_error(bb.bptt(p, x, y, truncate=int(K), scheme=scheme), exact)
                for K in lengths])
        rms, of_mean = [], []
        for K in lengths:
            samples = [bb.bptt(p, x, y, truncate=max(int(K), 2), scheme="random", rng=rng)
                       for _ in range(draws)]
            rms.append(np.sqrt(np.mean([relative_error(g, exact) ** 2 for g in samples])))
            mean = [np.mean([tuple(g)[i] for g in samples], axis=0)
                    for i in range(len(tuple(exact)))]
            of_mean.append(relative_error(mean, exact))
        spread[scale], mean_error[scale] = np.array(rms), np.array(of_mean)
    return SchemeBias(lengths, list(scales), error, spread, mean_error, draws, length)


_STYLE = {"window": ("o-", "C0"), "chunk": ("s-", "C1"), "theano": ("^-", "C2")}


def scheme_bias(data: SchemeBias | None = None) -> matplotlib.figure.Figure:
    """Chapter 7, "What each scheme gets wrong" (``fig-scheme-bias``): the relative error of
    each scheme against K, one panel per scale of W; for the randomized scheme the error of
    one draw (its noise) and of the mean of many draws."""
    d = default_data("scheme_bias") if data is None else data
    fig, axes = subplots(1, len(d.scales), figsize=(8.0, 3.6), sharey=True, squeeze=False,
                         layout="constrained")
    floor = BIAS_FLOOR
    for ax, scale in zip(axes[0], d.scales, strict=True):
        for scheme in DETERMINISTIC:
            marker, color = _STYLE[scheme]
            ax.semilogy(d.K, np.maximum(d.error[scale, scheme], floor), marker, color=color,
                        ms=3, label=f'"{scheme}"')
        ax.semilogy(d.K, d.spread[scale], "d--", color="C3", ms=3,
                    label='"random", one draw (RMS)')
        ax.semilogy(d.K, np.maximum(d.mean_error[scale], floor), "d:", color="C3", ms=3,
                    label=f'"random", mean of {d.draws}')
        ax.axvline(d.length - 1, color="0.5", ls=":", lw=0.8)
        ax.set_title(rf"$\sigma_{{\max}}(W) = {scale:g}/\gamma$", fontsize=10)
        ax.set_xlabel("truncation K")
        ax.set_ylim(floor / 2, None)
    axes[0][0].set_ylabel(r"$\|\nabla_K E - \nabla E\| \,/\, \|\nabla E\|$")
    axes[0][-1].legend(fontsize=7, loc="lower left")
    return fig


# -------------------------------------------------------------------- what the ways cost


class GradientCosts(NamedTuple):
    """The numbers of :func:`gradient_costs`."""

    Ts: list[int]  # sequence lengths of the T sweep (hidden size H_fixed)
    Hs: list[int]  # hidden sizes of the H sweep (length T_fixed)
    T_fixed: int
    H_fixed: int
    word_dim: int
    seconds: dict[tuple[str, str, int], float]  # (method, "T" or "H", value) -> seconds
    peak: dict[tuple[str, str, int], int]  # same keys -> bytes NumPy held at the peak


#: The ways to the exact gradient that :func:`gradient_costs` measures, by name.
METHODS: dict[str, Callable[..., Any]] = {
    "BPTT": lambda p, x, y: bb.bptt(p, x, y),
    "BPTT, checkpointed": lambda p, x, y: bb.bptt(p, x, y, checkpoint=True),
    "RTRL": lambda p, x, y: bb.rtrl(p, x, y),
}


def peak_bytes(function: Callable[[], Any]) -> int:
    """The most memory Python and NumPy held at once while ``function()`` ran, above what was
    held before (``tracemalloc``, which NumPy reports its arrays to).  ``function`` runs once
    before the measured call, so that work arrays the package keeps from one call to the next
    (the logits of the output layer) count the same whatever ran earlier: not at all.

    Both calls run on the NumPy reference (:func:`bptt_book.backend.use`): the compiled
    target's kernels allocate their arrays where ``tracemalloc`` does not look, so with the
    ``fast`` extra installed the measure would miss most of the memory."""
    with backend.use("numpy"):
        function()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            function()
            return tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()


def seconds_of(function: Callable[[], Any], repeats: int) -> float:
    """The fastest of ``repeats`` timed calls of ``function()``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def gradient_costs_data(*, word_dim: int = 10, Ts: Sequence[int] = (100, 300, 1000),
                        Hs: Sequence[int] = (4, 8, 16, 32), T_fixed: int = 100,
                        H_fixed: int = 16, repeats: int = 2, seed: int = 0) -> GradientCosts:
    """Time (fastest of ``repeats``) and peak memory of exact BPTT, checkpointed BPTT and RTRL
    on one random sentence (``default_rng(seed)``) for the plain RNN with ``word_dim`` words:
    against the length T at ``H_fixed`` units, and against H at length ``T_fixed``.  All on
    the NumPy reference, RTRL's only target, so that the three are timed alike."""
    rng = np.random.default_rng(seed)
    seconds, peak = {}, {}
    sweeps = [("T", T, H_fixed, T) for T in Ts] + [("H", H, H, T_fixed) for H in Hs]
    for axis, value, H, T in sweeps:
        p = bb.init_params(word_dim, H, seed=seed)
        x, y = rng.integers(0, word_dim, T), rng.integers(0, word_dim, T)
        for name, method in METHODS.items():
            def call(method=method, p=p, x=x, y=y):
                return method(p, x, y)

            with backend.use("numpy"):
                seconds[name, axis, value] = seconds_of(call, repeats)
            peak[name, axis, value] = peak_bytes(call)
    return GradientCosts(list(Ts), list(Hs), T_fixed, H_fixed, word_dim, seconds, peak)


def gradient_costs(data: GradientCosts | None = None) -> matplotlib.figure.Figure:
    """Chapter 7, "What the exact ways cost" (``fig-gradient-costs``): time and peak memory of
    BPTT, checkpointed BPTT and RTRL against T (left) and H (right), log-log."""
    d = gradient_costs_data() if data is None else data
    fig, axes = subplots(2, 2, figsize=(8.0, 5.6), layout="constrained")
    styles = {"BPTT": "o-", "BPTT, checkpointed": "s--", "RTRL": "^-"}
    for column, (axis, values, label) in enumerate((
            ("T", d.Ts, f"sequence length T (H = {d.H_fixed})"),
            ("H", d.Hs, f"hidden units H (T = {d.T_fixed})"))):
        for name, style in styles.items():
            axes[0][column].loglog(values, [d.seconds[name, axis, v] for v in values], style,
                                   ms=4, label=name)
            axes[1][column].loglog(values, [d.peak[name, axis, v] / 2**20 for v in values],
                                   style, ms=4, label=name)
        axes[1][column].set_xlabel(label)
        for row in (0, 1):
            axes[row][column].set_xticks(values, [f"{v:,}" for v in values])
            axes[row][column].minorticks_off()
    axes[0][0].set_ylabel("seconds")
    axes[1][0].set_ylabel("peak memory (MiB)")
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"The exact gradient three ways: plain RNN, D = {d.word_dim}", fontsize=10)
    return fig
