"""``||ds_t/ds_k||_2`` of a GRU against a tanh RNN along the same random sentence.

The tanh RNN is :func:`bptt_book.init_params` ``(word_dim, hidden_dim, seed=seed)``; each GRU
is :func:`bptt_book.gru.init_gru` of the same size and seed, with the update gate's bias
``b_z`` taken in turn from ``update_biases``.
"""

import numpy as np

from .. import config, gru
from ..model import init_params
from ..vanishing import jacobian_norms
from .record import Result

#: The keys of ``[gru_jacobian]`` in ``bptt_book/conf/experiments.toml``.
SCHEMA = {
    "word_dim": (config.integer(2), True),
    "hidden_dim": (config.integer(1), True),
    "length": (config.integer(2), True),
    "seed": (config.integer(0), True),
    "update_biases": (config.numbers, True),
}

#: The distances the table shows (those below the sentence's length).
DISTANCES = (1, 5, 10, 20, 40, 80)


def units(values):
    """One curve for the RNN and one per update-gate bias."""
    return 1 + len(values["update_biases"])


def run(values, report, verbose):
    """The norms for the RNN and each GRU; ``report`` a line per curve."""
    D, H, T, seed = values["word_dim"], values["hidden_dim"], values["length"], values["seed"]
    x = np.random.default_rng(seed).integers(0, D, T)
    rnn = jacobian_norms(init_params(D, H, seed=seed), x)
    report(f"tanh RNN: ||ds_t/ds_k|| = {rnn.norm[-1]:.3g} at distance {T - 1}")
    curves = [{"label": "tanh RNN", "update_bias": None, "norm": rnn.norm.tolist()}]
    for b in values["update_biases"]:
        params = gru.init_gru(D, H, update_bias=b, seed=seed)
        r = gru.jacobian_norms(params, x)
        states = gru.forward(params, x)
        report(f"GRU, b_z = {b:g}: mean update gate {states.z.mean():.3f}, "
               f"||ds_t/ds_k|| = {r.norm[-1]:.3g} at distance {T - 1}")
        curves.append({"label": f"GRU, $b_z = {b:g}$", "update_bias": b,
                       "mean_gate": float(states.z.mean()), "norm": r.norm.tolist()})
    return {"distance": list(range(T)), "curves": curves}


def table(result: Result) -> str:
    """The norms at a few distances, one row per network."""
    data = result.data
    picks = [d for d in DISTANCES if d < len(data["distance"])]
    rows = [f"{'':<16}" + "".join(f"{f'd={d}':>10}" for d in picks)]
    for c in data["curves"]:
        name = "tanh RNN" if c["update_bias"] is None else f"GRU b_z={c['update_bias']:g}"
        rows.append(f"{name:<16}" + "".join(f"{c['norm'][d]:>10.2e}" for d in picks))
    return "\n".join(rows)


def plot(result: Result, fig=None):
    """``||ds_t/ds_k||_2`` against ``t - k`` on a log scale."""
    from .plots import new_figure

    fig = new_figure(fig)
    ax = fig.subplots()
    d = np.array(result.data["distance"])
    for c in result.data["curves"]:
        norm = np.array(c["norm"])
        keep = norm > 0
        style = "k-" if c["update_bias"] is None else "-"
        ax.semilogy(d[keep], norm[keep], style, label=c["label"])
    ax.set(xlabel="distance t - k (steps)", ylabel=r"$\|\partial s_t / \partial s_k\|_2$",
           ylim=(1e-12, 10))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
