"""``||ds_t/ds_k||_2`` of gated cells against the tanh RNN along the same random sentence.

The tanh RNN is :func:`bptt_book.init_params` ``(word_dim, hidden_dim, seed=seed)``; each GRU
and LSTM is ``init_params(word_dim, hidden_dim, cell=..., seed=seed)`` with the total bias of
its update gate (``update_biases``) or forget gate (``forget_biases``) set by
:func:`bptt_book.cells.with_bias`.  Each curve carries the bound of
:func:`bptt_book.jacobian_norms` beside the measured norms.
"""

import numpy as np

from .. import cells, config
from ..model import init_params
from ..vanishing import jacobian_norms
from .record import Result

#: The keys of ``[gated_jacobian]`` in ``bptt_book/conf/experiments.toml``.
SCHEMA = {
    "word_dim": (config.integer(2), True),
    "hidden_dim": (config.integer(1), True),
    "length": (config.integer(2), True),
    "seed": (config.integer(0), True),
    "update_biases": (config.numbers, True),
    "forget_biases": (config.numbers, True),
}

#: The distances the table shows (those below the sentence's length).
DISTANCES = (1, 5, 10, 20, 40, 80)

#: cell -> (its gate, the settings key of that gate's biases)
GATES = {"gru": ("z", "update_biases"), "lstm": ("f", "forget_biases")}


def units(values):
    """One curve for the RNN and one per gate bias."""
    return 1 + sum(len(values[key]) for _, key in GATES.values())


def run(values, report, verbose):
    """The norms (and bounds) for the RNN and each gated cell; ``report`` a line per curve."""
    D, H, T, seed = values["word_dim"], values["hidden_dim"], values["length"], values["seed"]
    x = np.random.default_rng(seed).integers(0, D, T)
    rnn = jacobian_norms(init_params(D, H, seed=seed), x)
    report(f"tanh RNN: ||ds_t/ds_k|| = {rnn.norm[-1]:.3g} at distance {T - 1}")
    curves = [{"label": "tanh RNN", "cell": "rnn", "bias": None, "norm": rnn.norm.tolist(),
               "bound": rnn.bound.tolist()}]
    for cell, (gate, key) in GATES.items():
        for b in values[key]:
            params = cells.with_bias(init_params(D, H, cell=cell, seed=seed), gate, float(b))
            r = jacobian_norms(params, x)
            tape = cells.by_name(cell).forward(params, np.asarray([x]))
            mean_gate = float(getattr(tape, gate).mean())
            report(f"{cell.upper()}, b_{gate} = {b:g}: mean gate {mean_gate:.3f}, "
                   f"||ds_t/ds_k|| = {r.norm[-1]:.3g} at distance {T - 1}")
            curves.append({"label": f"{cell.upper()}, $b_{gate} = {b:g}$", "cell": cell,
                           "bias": b, "mean_gate": mean_gate, "norm": r.norm.tolist(),
                           "bound": r.bound.tolist()})
    return {"distance": list(range(T)), "curves": curves}


def table(result: Result) -> str:
    """The norms at a few distances, one row per network."""
    data = result.data
    picks = [d for d in DISTANCES if d < len(data["distance"])]
    rows = [f"{'':<16}" + "".join(f"{f'd={d}':>10}" for d in picks)]
    for c in data["curves"]:
        gate = GATES.get(c["cell"], ("",))[0]
        name = "tanh RNN" if c["bias"] is None else f"{c['cell'].upper()} b_{gate}={c['bias']:g}"
        rows.append(f"{name:<16}" + "".join(f"{c['norm'][d]:>10.2e}" for d in picks))
    return "\n".join(rows)


def plot(result: Result, fig=None):
    """``||ds_t/ds_k||_2`` against ``t - k`` on a log scale, one panel per kind of cell."""
    from .plots import new_figure

    fig = new_figure(fig, height=3.4)
    kinds = ["gru", "lstm"]
    axes = fig.subplots(1, len(kinds), sharey=True)
    d = np.array(result.data["distance"])
    rnn = next(c for c in result.data["curves"] if c["cell"] == "rnn")
    for ax, kind in zip(axes, kinds, strict=True):
        norm = np.array(rnn["norm"])
        keep = norm > 0
        ax.semilogy(d[keep], norm[keep], "k-", label="tanh RNN")
        for c in (c for c in result.data["curves"] if c["cell"] == kind):
            norm, bound = np.array(c["norm"]), np.array(c["bound"])
            keep = norm > 0
            line, = ax.semilogy(d[keep], norm[keep], "-", label=c["label"])
            ax.semilogy(d, bound, ":", color=line.get_color(), linewidth=1)
        ax.set(xlabel="distance $t - k$ (steps)", ylim=(1e-12, 1e4), title=kind.upper())
        ax.legend(fontsize=7, loc="lower left")
    axes[0].set_ylabel(r"$\|\partial s_t / \partial s_k\|_2$")
    fig.tight_layout()
    return fig
