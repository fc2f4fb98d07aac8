"""The figures of the precise results of chapters 5 and 6: the powers of W (Gelfand's formula
and transient growth), sigma_max against rho for random initialisations, ReLU against tanh on
the same W, overflow in each floating-point type, a gradient frozen by one exploded step, the
largest Lyapunov exponent beside the gradient's growth, and a one-unit latch.

Settings: the tables of conf/vanishing.toml named after each figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

import bptt_book as bb
from bptt_book import config
from bptt_book.dynamics import (
    Latch,
    bptt_in,
    latch,
    lyapunov_exponent,
    power_norms,
    spectral_radius,
)

from ._draw import panel_row, subplots
from ._settings import default_data, orthogonal_setting, pick

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure


def _model(name: str) -> bb.Params:
    m = config.model(name)
    return bb.Params(*bb.init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"]))


# ------------------------------------------------------------------- the powers of W (ch. 5)


class Powers(NamedTuple):
    """The numbers of :func:`powers`."""

    distance: np.ndarray  # 1 ... max_distance
    norms: dict[str, np.ndarray]  # label -> ||W^d||_2
    rho: dict[str, float]  # label -> the spectral radius
    sigma: dict[str, float]  # label -> the largest singular value


def nonnormal(size: int, diagonal: float) -> np.ndarray:
    """``diagonal * I + N``, N with ones just above the diagonal: every eigenvalue is
    ``diagonal``, yet the matrix stretches some vectors by far more."""
    return diagonal * np.eye(size) + np.eye(size, k=1)


def powers_data(*, model: str | None = None, max_distance: int | None = None,
                nonnormal_size: int | None = None,
                diagonal: float | None = None) -> Powers:
    """``||W^d||_2`` for d = 1 ... max_distance, for the model's W and for
    ``nonnormal(nonnormal_size, diagonal)``.  Defaults: ``[powers]`` of
    conf/vanishing.toml."""
    s = pick("vanishing", "powers", model=model, max_distance=max_distance,
             nonnormal_size=nonnormal_size, diagonal=diagonal)
    d = np.arange(1, s["max_distance"] + 1)
    matrices = {f"the {s['model']} model's W": _model(s["model"]).W,
                f"{s['diagonal']:g} I + N": nonnormal(s["nonnormal_size"], s["diagonal"])}
    return Powers(d, {k: power_norms(W, d) for k, W in matrices.items()},
                  {k: spectral_radius(W) for k, W in matrices.items()},
                  {k: bb.spectral_norm(W) for k, W in matrices.items()})


def powers(data: Powers | None = None) -> matplotlib.figure.Figure:
    """Chapter 5, "The linear network" (``fig-powers``): left, ``||W^d||_2`` against d with
    ``rho^d`` (dashed) and ``sigma_max^d`` (dotted); right, ``||W^d||^(1/d)`` approaching
    rho (Gelfand's formula)."""
    d = default_data("powers") if data is None else data
    fig, (left, right) = subplots(1, 2, figsize=(8.0, 3.3), layout="constrained")
    for label, norms in d.norms.items():
        line, = left.semilogy(d.distance, norms, label=label)
        rho, sigma = d.rho[label], d.sigma[label]
        left.semilogy(d.distance, rho ** d.distance.astype(float), "--", color=line.get_color(),
                      linewidth=1)
        shown = sigma ** d.distance.astype(float) <= norms.max() * 10
        left.semilogy(d.distance[shown], sigma ** d.distance[shown].astype(float), ":",
                      color=line.get_color(), linewidth=1)
        right.plot(d.distance, norms ** (1 / d.distance), color=line.get_color(), label=label)
        right.axhline(rho, color=line.get_color(), linestyle="--", linewidth=1)
    left.set_xlabel("power $d$")
    left.set_ylabel(r"$\|W^d\|_2$")
    left.legend(fontsize=8)
    right.set_xlabel("power $d$")
    right.set_ylabel(r"$\|W^d\|_2^{1/d}$")
    right.set_xscale("log")
    return fig


# ------------------------------------------------------- sigma_max and rho at the start (ch. 5)


class InitSpectra(NamedTuple):
    """The numbers of :func:`init_spectra`."""

    hidden_dims: list[int]
    sigma: np.ndarray  # (len(hidden_dims), seeds): sigma_max(W)
    rho: np.ndarray  # (len(hidden_dims), seeds): rho(W)


def init_spectra_data(*, hidden_dims: list[int] | None = None,
                      seeds: int | None = None) -> InitSpectra:
    """sigma_max and rho of the W that ``init_params(2, H, seed=seed)`` draws (entries uniform
    in +-1/sqrt(H); the vocabulary size does not change W's distribution), for every H and
    seed.  Defaults: ``[init_spectra]`` of conf/vanishing.toml."""
    s = pick("vanishing", "init_spectra", hidden_dims=hidden_dims, seeds=seeds)
    sigma = np.empty((len(s["hidden_dims"]), s["seeds"]))
    rho = np.empty_like(sigma)
    for i, H in enumerate(s["hidden_dims"]):
        for seed in range(s["seeds"]):
            W = bb.init_params(2, H, seed=seed).W
            sigma[i, seed], rho[i, seed] = bb.spectral_norm(W), spectral_radius(W)
    return InitSpectra(list(s["hidden_dims"]), sigma, rho)


#: The large-H limits of sigma_max and rho for entries uniform in +-1/sqrt(H) (variance
#: 1/(3H)): 2/sqrt(3) (Bai and Yin) and 1/sqrt(3) (the circular law).
SIGMA_LIMIT, RHO_LIMIT = 2 / np.sqrt(3), 1 / np.sqrt(3)


def init_spectra(data: InitSpectra | None = None) -> matplotlib.figure.Figure:
    """Chapter 5, "sigma_max and rho at the start" (``fig-init-spectra``): sigma_max and rho
    of every draw against H, with their large-H limits (dashed) and 1 (grey)."""
    d = default_data("init_spectra") if data is None else data
    fig, ax = subplots(figsize=(6.0, 3.2), layout="constrained")
    H = np.array(d.hidden_dims, dtype=float)
    for values, limit, label, marker in ((d.sigma, SIGMA_LIMIT, r"$\sigma_{\max}(W)$", "o"),
                                         (d.rho, RHO_LIMIT, r"$\rho(W)$", "s")):
        jitter = H[:, None] * np.exp(np.linspace(-0.05, 0.05, values.shape[1]))[None, :]
        points = ax.semilogx(jitter.ravel(), values.ravel(), marker, markersize=3, alpha=0.4,
                             linestyle="none")[0]
        ax.semilogx(H, values.mean(axis=1), "-", color=points.get_color(), label=label)
        ax.axhline(limit, color=points.get_color(), linestyle="--", linewidth=1)
    ax.axhline(1.0, color="0.5", linewidth=1)
    ax.set_xlabel("hidden size $H$")
    ax.set_ylabel("value at initialisation")
    ax.legend(fontsize=8)
    return fig


# ------------------------------------------------------------ ReLU against tanh (ch. 5)


class ReluTanh(NamedTuple):
    """The numbers of :func:`relu_tanh`."""

    norms: dict[tuple[str, str], np.ndarray]  # (init, activation) -> ||ds_t/ds_k|| by distance
    active: dict[str, float]  # init -> the share of relu units with slope 1 along the sentence


def relu_tanh_data(*, inits: list[str] | None = None,
                   activations: list[str] | None = None) -> ReluTanh:
    """:func:`bptt_book.jacobian_norms` on the sentence of ``[jacobian_norms]`` for each W in
    ``inits`` ("tutorial": the model's W; "orthogonal": the Q of that table; "identity") and
    each activation.  Defaults: ``[relu_tanh]`` of conf/vanishing.toml."""
    s = pick("vanishing", "relu_tanh", inits=inits, activations=activations)
    base = pick("vanishing", "jacobian_norms")
    setting = orthogonal_setting(base, base["length"])
    H = setting.Q.shape[0]
    Ws = {"tutorial": setting.model.W, "orthogonal": setting.Q, "identity": np.eye(H)}
    norms, active = {}, {}
    for init in s["inits"]:
        p = bb.Params(setting.model.U, setting.model.V, Ws[init])
        for f in s["activations"]:
            norms[(init, f)] = bb.jacobian_norms(p, setting.words, activation=f).norm
        states, _ = bb.forward(p, setting.words, activation="relu")
        active[init] = float(np.mean(states > 0))
    return ReluTanh(norms, active)


def relu_tanh(data: ReluTanh | None = None) -> matplotlib.figure.Figure:
    """Chapter 5, "Does ReLU help?" (``fig-relu-tanh``): one panel per W, the norms of the
    Jacobian products for each activation."""
    d = default_data("relu_tanh") if data is None else data

    def draw(ax, init, f, norm):
        keep = norm > 0
        ax.semilogy(np.arange(len(norm))[keep], norm[keep], label=f)

    fig, _ = panel_row(d.norms, draw, figsize=(8.0, 3.0), title=lambda init: f"W: {init}",
                       xlabel="distance $t - k$",
                       ylabel=r"$\|\partial s_t / \partial s_k\|_2$")
    return fig


# ------------------------------------------------------- overflow in each precision (ch. 6)


class Overflow(NamedTuple):
    """The numbers of :func:`overflow`."""

    lengths: list[int]
    norm: dict[tuple[float, str], np.ndarray]  # (scale, dtype) -> ||g|| per length (nan after)
    first_nonfinite: dict[tuple[float, str], int | None]  # the first length with inf or nan
    nonfinite_share: dict[tuple[float, str], float]  # the share of inf/nan entries there


def overflow_data(*, scales: list[float] | None = None, lengths: list[int] | None = None,
                  dtypes: list[str] | None = None) -> Overflow:
    """:func:`bptt_book.dynamics.bptt_in` in each dtype on the prefixes of a random sentence,
    for each ``W = scale / gamma * Q`` (tanh), until the first length whose gradient holds
    ``inf`` or ``nan``.  Defaults: ``[overflow]`` of conf/vanishing.toml (the model's U and V
    restricted to its first ``word_dim`` words; Q of ``[gradient_growth]``)."""
    s = pick("vanishing", "overflow", scales=scales, lengths=lengths, dtypes=dtypes)
    gg = pick("vanishing", "gradient_growth", model=s["model"])
    Q = orthogonal_setting(gg, max(gg["lengths"]) + 1).Q
    model = _model(s["model"])
    D = s["word_dim"]
    U, V = model.U[:, :D], model.V[:D]
    words = np.random.default_rng(s["seed"]).integers(0, D, max(s["lengths"]) + 1)
    norm: dict[tuple[float, str], np.ndarray] = {}
    first: dict[tuple[float, str], int | None] = {}
    share: dict[tuple[float, str], float] = {}
    for scale in s["scales"]:
        p = bb.Params(U, V, scale * Q)  # gamma = 1 for tanh
        for dtype in s["dtypes"]:
            values = np.full(len(s["lengths"]), np.nan)
            first[(scale, dtype)], share[(scale, dtype)] = None, 0.0
            for i, T in enumerate(s["lengths"]):
                g = bptt_in(p, words[:T], words[1:T + 1], dtype)
                bad = sum(int((~np.isfinite(a)).sum()) for a in g)
                if bad:
                    first[(scale, dtype)] = T
                    share[(scale, dtype)] = bad / sum(a.size for a in g)
                    break
                values[i] = bb.global_norm(g)
            norm[(scale, dtype)] = values
    return Overflow(list(s["lengths"]), norm, first, share)


def overflow(data: Overflow | None = None) -> matplotlib.figure.Figure:
    """Chapter 6, "When the numbers run out" (``fig-overflow``): the gradient norm against
    the length in each precision, up to the first length with inf or nan (a cross), with
    the largest finite number of each type (dotted)."""
    d = default_data("overflow") if data is None else data

    def draw(ax, scale, dtype, values):
        # log10 on a linear axis: the norms span 300 decades, beyond what a log axis
        # can pad without overflowing
        line, = ax.plot(d.lengths, np.log10(values), "o-", markersize=3, label=dtype)
        top = float(np.log10(np.finfo(dtype).max))
        ax.axhline(top, color=line.get_color(), linestyle=":", linewidth=1)
        end = d.first_nonfinite[(scale, dtype)]
        if end is not None:
            ax.plot([end], [top], "x", color=line.get_color(), markersize=9,
                    markeredgewidth=2)

    fig, axes = panel_row(d.norm, draw, figsize=(8.0, 3.3),
                          title=lambda scale: rf"$\sigma_{{\max}}(W) = {scale:g}/\gamma$",
                          xlabel="sentence length $T$", ylabel=r"$\log_{10} \|g\|$")
    for ax in axes:
        ax.set_xscale("log")
    return fig


# ------------------------------------------------ one exploded step freezes W (ch. 6)


class Frozen(NamedTuple):
    """The numbers of :func:`frozen`."""

    loss: np.ndarray  # loss per word on the training sentence before each step (and after)
    other_loss: np.ndarray  # the same on another sentence
    grad_norm: dict[str, np.ndarray]  # "U", "V", "W" -> ||dE/dX|| at each step
    saturated: np.ndarray  # the share of states with |s| exactly 1, before each step
    log_D: float


def frozen_data(*, length: int | None = None, scale: float | None = None,
                learning_rate: float | None = None, steps: int | None = None,
                other_seed: int | None = None) -> Frozen:
    """Plain SGD (no clipping) on the first ``length`` words of the sentence of
    ``[gradient_growth]`` at ``W = scale / gamma * Q`` (tanh).  Defaults: ``[frozen]`` of
    conf/vanishing.toml."""
    s = pick("vanishing", "frozen", length=length, scale=scale, learning_rate=learning_rate,
             steps=steps, other_seed=other_seed)
    gg = pick("vanishing", "gradient_growth")
    setting = orthogonal_setting(gg, max(gg["lengths"]) + 1)
    T = s["length"]
    x, y = setting.words[:T], setting.words[1:T + 1]
    D = setting.model.U.shape[1]
    other = np.random.default_rng(s["other_seed"]).integers(0, D, T + 1)
    p = setting.params(s["scale"])
    loss, other_loss, saturated = [], [], []
    grads: dict[str, list[float]] = {"U": [], "V": [], "W": []}
    for step in range(s["steps"] + 1):
        loss.append(bb.loss(p, x, y) / T)
        other_loss.append(bb.loss(p, other[:-1], other[1:]) / T)
        states, _ = bb.forward(p, x)
        saturated.append(float(np.mean(np.abs(states) == 1.0)))
        if step == s["steps"]:
            break
        g = bb.bptt(p, x, y)
        for name, a in zip("UVW", g, strict=True):
            grads[name].append(float(np.linalg.norm(a)))
        p = bb.Params(*(a - s["learning_rate"] * b for a, b in zip(p, g, strict=True)))
    return Frozen(np.array(loss), np.array(other_loss),
                  {k: np.array(v) for k, v in grads.items()}, np.array(saturated),
                  float(np.log(D)))


def frozen(data: Frozen | None = None) -> matplotlib.figure.Figure:
    """Chapter 6, "Finite but useless" (``fig-frozen``): left, the loss per word on the
    training sentence and on another one, with log D (dotted); right, the norms of the three
    gradients (a zero is drawn at the bottom edge)."""
    d = default_data("frozen") if data is None else data
    fig, (left, right) = subplots(1, 2, figsize=(8.0, 3.2), layout="constrained")
    steps = np.arange(len(d.loss))
    left.semilogy(steps, d.loss, "o-", markersize=3, label="training sentence")
    left.semilogy(steps, d.other_loss, "s-", markersize=3, label="another sentence")
    left.axhline(d.log_D, color="0.4", linestyle=":", linewidth=1, label=r"$\log D$")
    left.set_xlabel("SGD step")
    left.set_ylabel("loss per word")
    left.legend(fontsize=8)
    floor = min(float(v[v > 0].min()) for v in d.grad_norm.values()) / 100
    for name, values in d.grad_norm.items():
        shown = np.where(values > 0, values, floor)
        right.semilogy(np.arange(len(values)), shown, "o-", markersize=3,
                       label=rf"$\partial E/\partial {name}$")
    right.set_ylim(bottom=floor / 2)
    right.set_xlabel("SGD step")
    right.set_ylabel("gradient norm (0 at the bottom edge)")
    right.legend(fontsize=8)
    return fig


# ------------------------------------------- Lyapunov exponent and gradient growth (ch. 6)


class Lyapunov(NamedTuple):
    """The numbers of :func:`lyapunov`."""

    scales: list[float]
    exponent: dict[str, np.ndarray]  # activation -> the largest Lyapunov exponent per scale
    growth: dict[str, np.ndarray]  # activation -> d log(||g||/T) / dT per scale
    bound: dict[str, np.ndarray]  # activation -> log(gamma sigma_max(W)) = log(scale)


def lyapunov_data(*, scales: list[float] | None = None,
                  activations: list[str] | None = None, discard: int | None = None,
                  growth_lengths: list[int] | None = None) -> Lyapunov:
    """For each scale and activation, on the sentence and Q of ``[gradient_growth]`` with
    ``W = scale / gamma * Q``: :func:`bptt_book.dynamics.lyapunov_exponent` and the slope of
    a straight line fitted to ``log(||g||/T)`` against T over ``growth_lengths``.  Defaults:
    ``[lyapunov]`` of conf/vanishing.toml."""
    s = pick("vanishing", "lyapunov", scales=scales, activations=activations,
             discard=discard, growth_lengths=growth_lengths)
    gg = pick("vanishing", "gradient_growth")
    setting = orthogonal_setting(gg, max(gg["lengths"]) + 1)
    words, Ts = setting.words, s["growth_lengths"]
    exponent, growth, bound = {}, {}, {}
    for f in s["activations"]:
        e, g = [], []
        for scale in s["scales"]:
            p = setting.params(scale, f)
            e.append(lyapunov_exponent(p, words[:-1], activation=f, discard=s["discard"]))
            logs = [np.log(bb.global_norm(bb.bptt(p, words[:T], words[1:T + 1],
                                                  activation=f)) / T) for T in Ts]
            g.append(float(np.polyfit(Ts, logs, 1)[0]))
        exponent[f], growth[f] = np.array(e), np.array(g)
        bound[f] = np.log(np.array(s["scales"], dtype=float))
    return Lyapunov(list(s["scales"]), exponent, growth, bound)


def lyapunov(data: Lyapunov | None = None) -> matplotlib.figure.Figure:
    """Chapter 6, "Exploding gradients and the forward dynamics" (``fig-lyapunov``): the
    exponent (circles), the gradient's growth rate (crosses) and the bound
    log(gamma sigma_max) (dashed) against gamma sigma_max(W)."""
    d = default_data("lyapunov") if data is None else data
    fig, ax = subplots(figsize=(6.4, 3.4), layout="constrained")
    for f in d.exponent:
        line, = ax.plot(d.scales, d.exponent[f], "o-", label=f"{f}: Lyapunov exponent")
        ax.plot(d.scales, d.growth[f], "x", color=line.get_color(), markersize=8,
                markeredgewidth=2, label=f"{f}: growth of log(||g||/T) per word")
    ax.plot(d.scales, d.bound[next(iter(d.bound))], "--", color="0.4",
            label=r"bound $\log(\gamma\,\sigma_{\max}(W))$")
    ax.axhline(0.0, color="0.6", linewidth=1)
    ax.axvline(1.0, color="0.6", linewidth=1, linestyle=":")
    ax.set_xlabel(r"$\gamma\,\sigma_{\max}(W)$")
    ax.set_ylabel("rate per step")
    ax.legend(fontsize=7)
    return fig


# ------------------------------------------------------ the latch of Bengio et al. (ch. 6)


class Latching(NamedTuple):
    """The numbers of :func:`latching`."""

    ws: list[float]
    noises: list[float]
    results: dict[tuple[float, float], Latch]  # (w, noise) -> what latch measured
    steps: int


def latching_data(*, ws: list[float] | None = None, noises: list[float] | None = None,
                  steps: int | None = None, runs: int | None = None,
                  seed: int | None = None) -> Latching:
    """:func:`bptt_book.dynamics.latch` for every self-connection w and noise level.
    Defaults: ``[latching]`` of conf/vanishing.toml."""
    s = pick("vanishing", "latching", ws=ws, noises=noises, steps=steps, runs=runs,
             seed=seed)
    results = {(w, n): latch(w, n, steps=s["steps"], runs=s["runs"], seed=s["seed"])
               for w in s["ws"] for n in s["noises"]}
    return Latching(list(s["ws"]), list(s["noises"]), results, s["steps"])


def latching(data: Latching | None = None) -> matplotlib.figure.Figure:
    """Chapter 6, "Robust memory or a gradient" (``fig-latching``): against the
    self-connection w, left the share of runs that keep the bit for each noise level, right
    the median gradient that reaches the step that set it."""
    d = default_data("latching") if data is None else data
    fig, (left, right) = subplots(1, 2, figsize=(8.0, 3.2), layout="constrained")
    for noise in d.noises:
        kept = [d.results[(w, noise)].kept for w in d.ws]
        grad = [d.results[(w, noise)].gradient for w in d.ws]
        left.plot(d.ws, kept, "o-", markersize=4, label=f"noise {noise:g}")
        right.semilogy(d.ws, grad, "o-", markersize=4, label=f"noise {noise:g}")
    for ax in (left, right):
        ax.axvline(1.0, color="0.6", linewidth=1, linestyle=":")
        ax.set_xlabel("self-connection $w$")
        ax.legend(fontsize=8)
    left.axhline(0.5, color="0.6", linewidth=1)
    left.set_ylabel(f"share keeping the bit for {d.steps} steps")
    right.set_ylabel(rf"median $|\partial s_{{{d.steps}}} / \partial s_0|$")
    return fig
