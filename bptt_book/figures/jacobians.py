"""Chapter 5's figures: the activations and their slopes, the norms of the Jacobian products
against the distance (and as a (t, k) heat map), where the gradient of W comes from, and the
eigenvalues of W against the circle of radius 1/gamma.

The experiments replace the model's W by ``scale / gamma * Q`` with an orthogonal Q, as the
chapter does (settings: conf/vanishing.toml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

import bptt_book as bb
from bptt_book import config
from bptt_book.generated import activations as generated

from ._draw import subplots
from ._settings import default_data, orthogonal_setting, pick

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure


class Activation(NamedTuple):
    """One activation of :func:`activations`."""

    s: np.ndarray  # f(z) on the grid
    slope: np.ndarray  # f'(z) on the grid, computed from s as the generated code does
    gamma: float  # the largest slope
    gamma_text: str  # the same, exactly, as SymPy prints it ("1/4")


class Activations(NamedTuple):
    """The numbers of :func:`activations`."""

    z: np.ndarray
    curves: dict[str, Activation]


def activations_data(z: np.ndarray | None = None) -> Activations:
    """Every activation of ``bptt_book.generated.activations.ACTIVATIONS`` and its slope on
    the grid ``z`` (default 1201 points from -6 to 6), with gamma from
    :func:`bptt_book.activation_bound`."""
    z = np.linspace(-6.0, 6.0, 1201) if z is None else np.asarray(z, dtype=float)
    curves = {}
    for name, (f, fprime) in generated.ACTIVATIONS.items():
        s = f(z)
        gamma = bb.activation_bound(name)
        curves[name] = Activation(s, fprime(s), float(gamma), str(gamma))
    return Activations(z, curves)


def activations(data: Activations | None = None) -> matplotlib.figure.Figure:
    """Chapter 5, "How steep can an activation be?" (``fig-activations``): each activation
    (solid), its slope (dashed) and gamma (dotted), one panel each."""
    d = default_data("activations") if data is None else data
    fig, axes = subplots(1, len(d.curves), figsize=(8.0, 2.8), sharex=True,
                         layout="constrained")
    for ax, (name, c) in zip(axes, d.curves.items(), strict=True):
        ax.plot(d.z, c.s, label=f"{name}(z)")
        ax.plot(d.z, c.slope, "--", label=f"{name}'(z)")
        ax.axhline(c.gamma, color="0.4", linestyle=":", linewidth=1.0)
        ax.text(-5.8, c.gamma, rf"$\gamma = {c.gamma_text}$", va="bottom", fontsize=9)
        ax.set_title(name)
        ax.set_xlabel("$z$")
        ax.legend(loc="center right" if name != "relu" else "upper left", fontsize=8)
        if name == "relu":  # unbounded: show the same range as the others, and a bit more
            ax.set_ylim(-0.2, 3.0)
    return fig


class JacobianNorms(NamedTuple):
    """The numbers of :func:`jacobian_norms`."""

    gamma: dict[str, str]  # activation -> gamma (as SymPy prints it)
    scales: list[float]  # sigma_max(W) in units of 1/gamma
    norms: dict[tuple[str, float], bb.vanishing.JacobianNorms]  # (activation, scale) -> result


def jacobian_norms_data(*, model: str | None = None, length: int | None = None,
                        seed: int | None = None, scales: list[float] | None = None,
                        activations: list[str] | None = None) -> JacobianNorms:
    """:func:`bptt_book.jacobian_norms` along a random sentence for every activation and
    every ``W = scale / gamma * Q``.  Defaults: ``[jacobian_norms]`` of conf/vanishing.toml."""
    settings = pick("vanishing", "jacobian_norms", model=model, length=length, seed=seed,
                    scales=scales, activations=activations)
    setting = orthogonal_setting(settings, settings["length"])
    norms = {}
    for name in settings["activations"]:
        for scale in settings["scales"]:
            norms[name, scale] = bb.jacobian_norms(setting.params(scale, name), setting.words,
                                                   activation=name)
    gamma = {name: str(bb.activation_bound(name)) for name in settings["activations"]}
    return JacobianNorms(gamma, list(settings["scales"]), norms)


def jacobian_norms(data: JacobianNorms | None = None) -> matplotlib.figure.Figure:
    """Chapter 5, "When gradients must vanish, and when they may explode"
    (``fig-jacobian-norms``): measured norms (solid) and the bound (dashed) against the
    distance, one panel per activation."""
    d = default_data("jacobian_norms") if data is None else data
    names = list(d.gamma)
    fig, axes = subplots(1, len(names), figsize=(8.0, 3.6), sharey=True, squeeze=False,
                         layout="constrained")
    for ax, name in zip(axes[0], names, strict=True):
        for scale in d.scales:
            r = d.norms[name, scale]
            (line,) = ax.semilogy(r.distance, r.norm,
                                  label=rf"$\sigma_{{\max}}(W) = {scale:g}/\gamma$")
            ax.semilogy(r.distance, r.bound, "--", color=line.get_color(), linewidth=0.9)
        ax.set_ylim(1e-14, 1e5)
        ax.set_title(rf"{name}, $\gamma = {d.gamma[name]}$")
        ax.set_xlabel("distance $t - k$")
    axes[0, 0].set_ylabel(r"$\|\partial s_t / \partial s_k\|_2$")
    axes[0, -1].legend(fontsize=8, loc="lower left")
    return fig


class Contributions(NamedTuple):
    """The numbers of :func:`contributions`."""

    activation: str
    scales: list[float]
    contributions: dict[float, np.ndarray]  # scale -> bb.gradient_contributions(...)


def contributions_data(*, model: str | None = None, length: int | None = None,
                       seed: int | None = None, scales: list[float] | None = None,
                       activation: str | None = None) -> Contributions:
    """:func:`bptt_book.gradient_contributions` of the last word of a random sentence of
    ``length`` words for every ``W = scale / gamma * Q``.  Defaults: ``[contributions]`` of
    conf/vanishing.toml."""
    settings = pick("vanishing", "contributions", model=model, length=length, seed=seed,
                    scales=scales, activation=activation)
    setting = orthogonal_setting(settings, settings["length"] + 1)
    f = settings["activation"]
    words = setting.words
    shares = {scale: bb.gradient_contributions(setting.params(scale, f), words[:-1], words[1:],
                                               activation=f)
              for scale in settings["scales"]}
    return Contributions(f, list(settings["scales"]), shares)


def contributions(data: Contributions | None = None) -> matplotlib.figure.Figure:
    """Chapter 5, "Where the gradient of W comes from" (``fig-contributions``): the share of
    dE_t/dW from each distance t - k, one line per scale (the last distance, exactly zero,
    left out)."""
    d = default_data("contributions") if data is None else data
    fig, ax = subplots(layout="constrained")
    for scale in d.scales:
        c = d.contributions[scale]
        distance = np.arange(len(c) - 1)  # the last entry, k = 0, is exactly zero
        ax.semilogy(distance, c[:-1] / c.sum(), "o-", markersize=3,
                    label=rf"$\sigma_{{\max}}(W) = {scale:g}/\gamma$")
    ax.set_xlabel("distance $t - k$")
    ax.set_ylabel(r"share of $\|\partial E_t / \partial W\|$")
    ax.set_title(d.activation)
    ax.legend(fontsize=8)
    return fig


# ------------------------------------------------------------ diagrams of issue 17 (ch. 5)


class Eigenvalues(NamedTuple):
    """The numbers of :func:`eigenvalues`."""

    eigenvalues: np.ndarray  # the H complex eigenvalues of W
    sigma_max: float  # the largest singular value of W
    rho: float  # the spectral radius, max |eigenvalue|
    gamma: float  # the largest slope of the activation
    label: str  # which W


def eigenvalues_data(*, model: str = "tutorial", scale: float | None = None,
                     activation: str = "tanh", seed: int | None = None) -> Eigenvalues:
    """The eigenvalues of W for the model ``model`` of conf/models.toml: its own W as
    :func:`bptt_book.init_params` draws it (``scale=None``, the default), or
    ``W = scale / gamma * Q`` with Q drawn as in ``[jacobian_norms]`` of conf/vanishing.toml
    (``seed`` overrides its seed)."""
    m = config.model(model)
    gamma = float(bb.activation_bound(activation))
    if scale is None:
        W = bb.init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"]).W
        label = f"the {model} model's W"
    else:
        settings = pick("vanishing", "jacobian_norms", model=model, seed=seed)
        W = orthogonal_setting(settings, settings["length"]).params(scale, activation).W
        label = rf"$W = {scale:g}/\gamma \cdot R$, $R$ orthogonal"
    lam = np.linalg.eigvals(W)
    return Eigenvalues(lam, bb.spectral_norm(W), float(np.abs(lam).max()), gamma, label)


def eigenvalues(data: Eigenvalues | None = None) -> matplotlib.figure.Figure:
    """Meant for chapter 5, "When gradients must vanish, and when they may explode" (where
    the tutorial's W turns out to have sigma_max above 1 but a small spectral radius): the
    eigenvalues of W in the complex plane, the circle of radius 1/gamma (the threshold of
    Pascanu's conditions), and the circles of radius sigma_max(W) and rho(W)."""
    d = default_data("eigenvalues") if data is None else data
    fig, ax = subplots(figsize=(4.8, 4.4), layout="constrained")
    angle = np.linspace(0.0, 2 * np.pi, 361)
    circles = ((1 / d.gamma, "-", "0.2", rf"$1/\gamma = {1 / d.gamma:g}$"),
               (d.sigma_max, "--", "#c0392b", rf"$\sigma_{{\max}}(W) = {d.sigma_max:.3g}$"),
               (d.rho, ":", "#2471a3", rf"$\rho(W) = {d.rho:.3g}$"))
    for radius, style, color, label in circles:
        ax.plot(radius * np.cos(angle), radius * np.sin(angle), style, color=color,
                linewidth=1.2, label=label)
    ax.plot(d.eigenvalues.real, d.eigenvalues.imag, "o", markersize=3.5, color="#34495e",
            alpha=0.8, label=f"eigenvalues ({len(d.eigenvalues)})")
    ax.plot([0, d.sigma_max], [0, 0], "-", color="#c0392b", linewidth=0.8)
    ax.axhline(0, color="0.6", linewidth=0.6)
    ax.axvline(0, color="0.6", linewidth=0.6)
    reach = 1.12 * max(1 / d.gamma, d.sigma_max, d.rho)
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach * 1.45)
    ax.set_aspect("equal")
    ax.set_xlabel(r"Re $\lambda$")
    ax.set_ylabel(r"Im $\lambda$")
    ax.set_title(f"eigenvalues of {d.label}", fontsize=10)
    ax.legend(fontsize=8, loc="upper center", ncol=2, frameon=False)
    return fig


class JacobianHeatmap(NamedTuple):
    """The numbers of :func:`jacobian_heatmap`."""

    labels: list[str]  # one per panel
    norms: list[np.ndarray]  # per panel a (T, T) array: [t, k] = ||ds_t/ds_k||_2, NaN if k > t


def jacobian_heatmap_data(*, model: str | None = None, length: int = 30,
                          seed: int | None = None, scales: tuple[float | None, ...] = (None, 1.5),
                          activation: str = "tanh") -> JacobianHeatmap:
    """``||ds_t/ds_k||_2`` for every pair ``k <= t`` of a random sentence of ``length`` words,
    for each entry of ``scales``: None for the model's own W, a number for
    ``W = scale / gamma * Q``.  The sentence and Q are drawn as in ``[jacobian_norms]`` of
    conf/vanishing.toml (whose model and seed are the defaults).  Row t comes from
    :func:`bptt_book.jacobian_norms` with that t: the 2-norms of :func:`bptt_book.jacobian`."""
    settings = pick("vanishing", "jacobian_norms", model=model, seed=seed, length=length)
    setting = orthogonal_setting(settings, settings["length"])
    x = setting.words
    labels, tables = [], []
    for scale in scales:
        if scale is None:
            p, label = setting.model, f"the {settings['model']} model's W"
        else:
            p = setting.params(scale, activation)
            label = rf"$\sigma_{{\max}}(W) = {scale:g}/\gamma$"
        T = len(x)
        table = np.full((T, T), np.nan)
        for t in range(T):
            r = bb.jacobian_norms(p, x, t=t, activation=activation)
            table[t, t - r.distance] = r.norm
        labels.append(label)
        tables.append(table)
    return JacobianHeatmap(labels, tables)


def jacobian_heatmap(data: JacobianHeatmap | None = None) -> matplotlib.figure.Figure:
    """Meant for chapter 5, "Many steps back: a product" or after ``fig-jacobian-norms``: a
    (t, k) heat map of ``||ds_t/ds_k||_2`` for one sentence (log colour scale), one panel per
    W.  Along each row the norm fades (or grows) with the distance t - k."""
    d = default_data("jacobian_heatmap") if data is None else data
    fig, axes = subplots(1, len(d.norms), figsize=(4.0 * len(d.norms) + 0.8, 3.6),
                         squeeze=False, layout="constrained")
    from matplotlib.colors import LogNorm
    values = np.concatenate([n[np.isfinite(n)] for n in d.norms])
    low = max(float(values[values > 0].min()), 1e-16)
    norm = LogNorm(vmin=low, vmax=max(float(values.max()), 1.0))
    image = None
    for ax, label, table in zip(axes[0], d.labels, d.norms, strict=True):
        image = ax.imshow(np.where(table > 0, table, np.nan), cmap="magma", norm=norm,
                          interpolation="nearest", origin="upper")
        ax.set_xlabel("step $k$")
        ax.set_title(label, fontsize=10)
        ax.grid(False)
    axes[0, 0].set_ylabel("output step $t$")
    assert image is not None  # every panel drew one
    bar = fig.colorbar(image, ax=axes[0], shrink=0.9)
    bar.set_label(r"$\|\partial s_t / \partial s_k\|_2$")
    return fig
