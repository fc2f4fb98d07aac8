"""The experiments of chapter 7: long-range dependencies and their remedies, by training.

Each experiment is named, reads its settings from ``conf/experiments.toml`` (checked by
``bptt_book.config``), runs from a seed, and returns a :class:`Result` whose figure
:func:`plot` draws.  Settings come in three sizes: ``"full"`` (the table itself), ``"book"``
(the figure in the book) and ``"quick"`` (seconds: the tests).  From the command
line::

    python -m bptt_book experiment --list
    python -m bptt_book experiment remedies --quick --out remedies.png

The training experiments train the tutorial's network with :func:`bptt_book.training.train`
on a task of :mod:`bptt_book.tasks`, many times over: for each *method* (how W is
started, the activation, clipping, Pascanu's regulariser, ...), each dependency length L,
each truncation K and each run (a seed).  A run **succeeds** when the accuracy of its last
output on ``test_size`` fresh sequences reaches ``success`` (0.95) within ``epochs``
epochs; the accuracy is measured after every epoch and training stops as soon as it does.

>>> from bptt_book import experiments
>>> sorted(experiments.EXPERIMENTS)
['agreement', 'gru_jacobian', 'recall_length', 'remedies', 'truncation']
>>> result = experiments.run("recall_length", size="quick")
>>> print(experiments.table(result))
method     L  K  success  mean accuracy  mean epochs
baseline   2  -      1/1          1.000          5.0
baseline  10  -      0/1          0.240          8.0
"""

import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import __version__, config
from .cells import with_bias
from .tasks import TASKS, Recall, accuracy
from .training import initial_params, train
from .vanishing import jacobian_norms

#: The sizes of the settings, from seconds (the tests) to minutes (the command line).
SIZES = ("quick", "book", "full")

#: The settings a method may change, with their defaults (see conf/experiments.toml).
METHOD_DEFAULTS = {
    "activation": "tanh",
    "init": "tutorial",
    "scale": 1.0,
    "input_scale": 1.0,
    "clip": None,
    "omega_weight": 0.0,
    "class_inputs": "random",
}


@dataclass(frozen=True)
class Result:
    """What an experiment produced: its settings, its numbers, and how long it took."""

    name: str
    size: str
    settings: dict
    data: dict
    seconds: float

    def to_json(self):
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text):
        return cls(**json.loads(text))


# ------------------------------------------------------------------------------ settings


def _plain(value):
    """Settings as plain dicts and lists (``config.load`` returns read-only mappings)."""
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _known(name):
    if not isinstance(name, str) or name not in EXPERIMENTS:
        raise ValueError(f"no experiment {name!r}; known: {sorted(EXPERIMENTS)}")


def settings(name, size="full"):
    """The settings of experiment ``name`` at ``size``: the table of ``conf/experiments.toml``
    with the keys of its ``[name.book]`` or ``[name.quick]`` sub-table put over it."""
    _known(name)
    if size not in SIZES:
        raise ValueError(f"size must be one of {list(SIZES)}; got {size!r}")
    table = _plain(config.load("experiments")[name])
    overrides = {s: table.pop(s, {}) for s in ("quick", "book")}
    if size != "full":
        table.update(overrides[size])
    return table


# ------------------------------------------------------------------------------- caching


def cache_dir():
    """Where cached results live: ``$BPTT_BOOK_CACHE``, else ``~/.cache/bptt_book``."""
    return Path(os.environ.get("BPTT_BOOK_CACHE") or Path.home() / ".cache" / "bptt_book")


_SOURCES = ("tasks.py", "training.py", "experiments.py", "cells.py", "generated/rnn.py",
            "generated/gru.py", "generated/layers.py", "generated/activations.py", "model.py",
            "gradients.py", "vanishing.py", "data/agreement.toml")


def cache_key(name, values):
    """A hash of the experiment, its settings and the code that runs it.

    Changing a setting or any of the modules an experiment runs gives a new key, so a
    cached result is never stale.
    """
    digest = hashlib.sha256()
    digest.update(json.dumps([name, values, __version__], sort_keys=True).encode())
    here = Path(__file__).resolve().parent
    for source in _SOURCES:
        digest.update((here / source).read_bytes())
    return digest.hexdigest()[:20]


def cache_path(name, size="full", values=None, folder=None):
    """The file :func:`run` keeps the result of ``name`` at ``size`` in (``folder``
    defaults to :func:`cache_dir`)."""
    if values is None:
        values = settings(name, size)
    folder = Path(folder) if folder is not None else cache_dir()
    return folder / f"{name}-{size}-{cache_key(name, values)}.json"


# ----------------------------------------------------------------------- training grids


def _seed(*parts):
    """An integer seed drawn from a tuple of integers (independent streams per tuple)."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def _task(values, length):
    cls = TASKS[values["task"]]
    if cls is Recall:
        return Recall(length, classes=values.get("classes", 4),
                      distractors=values.get("distractors", 4))
    return cls(length)


def fit(values, method, length, truncate, run, *, verbose=False):
    """One training run: ``method`` (a dict of :data:`METHOD_DEFAULTS` keys) on the task at
    dependency length ``length`` with truncation ``truncate`` (``None``: full BPTT), seed
    index ``run``.  Returns a dict: the last accuracy, epochs, success, divergence, time.

    Runs with the same ``length`` and ``run`` see the same data and start from the same U
    and V whatever the method, so methods are compared on equal terms.
    """
    m = {**METHOD_DEFAULTS, **method}
    task = _task(values, length)
    seed = values["seed"]
    p = initial_params(task.word_dim, values["hidden_dim"], init=m["init"], scale=m["scale"],
                       input_scale=m["input_scale"], seed=_seed(seed, 0, run))
    if m["class_inputs"] == "zero":
        if not isinstance(task, Recall):
            raise ValueError("class_inputs = 'zero' needs the recall task")
        p.U[:, 1 : task.classes + 1] = 0.0
    data = task.sample(values["train_size"], seed=_seed(seed, 1, length, run))
    test = task.sample(values["test_size"], seed=_seed(seed, 2, length, run))
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):
        history = train(
            p, data.x, data.y, epochs=values["epochs"],
            learning_rate=m.get("learning_rate", values["learning_rate"]),
            batch_size=values["batch_size"], truncate=truncate, activation=m["activation"],
            clip=m["clip"], omega_weight=m["omega_weight"], seed=_seed(seed, 3, run),
            evaluate=lambda q: accuracy(q, test, activation=m["activation"]),
            until=values["success"], verbose=verbose,
        )
    final = history.metric[-1]
    final = 0.0 if np.isnan(final) else final
    return {
        "accuracy": round(float(final), 6),
        "epochs": history.epochs,
        "success": bool(final >= values["success"]),
        "diverged": history.diverged,
        "seconds": round(time.perf_counter() - start, 3),
    }


def _grid(values, report, verbose):
    lengths = values["lengths"]
    truncations = values.get("truncations") or [None]
    methods = values["methods"]
    total = len(methods) * len(lengths) * len(truncations) * values["runs"]
    done = 0
    out = []
    for name, method in methods.items():
        cells = []
        for length in lengths:
            for K in truncations:
                runs = []
                for run in range(values["runs"]):
                    r = fit(values, method, length, K, run, verbose=verbose)
                    runs.append(r)
                    done += 1
                    report(f"[{done}/{total}] {name} L={length}"
                           f"{'' if K is None else f' K={K}'} run {run + 1}: accuracy "
                           f"{r['accuracy']:.3f} after {r['epochs']} epochs "
                           f"({'success' if r['success'] else 'failure'}"
                           f"{', diverged' if r['diverged'] else ''}) {r['seconds']:.1f} s")
                cells.append({
                    "length": length,
                    "truncate": K,
                    "runs": runs,
                    "success_rate": float(np.mean([r["success"] for r in runs])),
                    "mean_accuracy": float(np.mean([r["accuracy"] for r in runs])),
                })
        out.append({"name": name, "label": method["label"], "cells": cells})
    return {"methods": out}


# --------------------------------------------------------------------------- GRU vs RNN


def _gru_jacobian(values, report, verbose):
    D, H, T, seed = values["word_dim"], values["hidden_dim"], values["length"], values["seed"]
    x = np.random.default_rng(seed).integers(0, D, T)
    from .model import init_params

    rnn = jacobian_norms(init_params(D, H, seed=seed), x)
    report(f"tanh RNN: ||ds_t/ds_k|| = {rnn.norm[-1]:.3g} at distance {T - 1}")
    curves = [{"label": "tanh RNN", "update_bias": None, "norm": rnn.norm.tolist()}]
    from .generated import gru

    for b in values["update_biases"]:
        params = init_params(D, H, cell="gru", seed=seed)
        params = with_bias(params._replace(bU=0 * params.bU, bW=0 * params.bW), "z", b)
        r = jacobian_norms(params, x)
        states = gru.forward(params, np.asarray([x]))
        report(f"GRU, b_z = {b:g}: mean update gate {states.z.mean():.3f}, "
               f"||ds_t/ds_k|| = {r.norm[-1]:.3g} at distance {T - 1}")
        curves.append({"label": f"GRU, $b_z = {b:g}$", "update_bias": b,
                       "mean_gate": float(states.z.mean()), "norm": r.norm.tolist()})
    return {"distance": list(range(T)), "curves": curves}


# ------------------------------------------------------------------------------ running


def run(name, *, size="full", values=None, cache=False, progress=None, verbose=False):
    """Run experiment ``name`` at ``size`` (or with the settings ``values``).

    ``cache=True`` keeps the result in :func:`cache_dir` (a path chooses another folder),
    keyed by :func:`cache_key`, and reads it back instead of running again; a new result
    replaces those of the same experiment and size made with other settings or code.
    ``progress(line)`` receives a line per training run; ``verbose=True`` also prints a
    line per epoch to stderr.
    """
    if values is None:
        values = settings(name, size)
    else:
        _known(name)
        if not isinstance(values, dict):
            raise TypeError(f"values must be a dict of settings; got {type(values).__name__}")
        missing = sorted(set(settings(name, size)) - set(values))
        if missing:
            raise ValueError(f"values for {name!r} lack the settings {missing}; start from "
                             f"experiments.settings({name!r}, {size!r}) and change keys")
    if not isinstance(cache, (bool, str, os.PathLike)):
        raise TypeError(f"cache must be True, False or a folder; got {cache!r}")
    path = None
    if cache:
        path = cache_path(name, size, values, None if isinstance(cache, bool) else cache)
        if path.exists():
            return Result.from_json(path.read_text(encoding="utf-8"))
    report = progress or (lambda line: None)
    start = time.perf_counter()
    data = EXPERIMENTS[name]["run"](values, report, verbose)
    result = Result(name, size, values, data, round(time.perf_counter() - start, 3))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(result.to_json(), encoding="utf-8")
        partial.replace(path)
        for stale in path.parent.glob(f"{name}-{size}-*.json"):  # older settings or code
            if stale != path:
                stale.unlink(missing_ok=True)
    return result


def table(result):
    """The numbers behind a figure, as text."""
    data = result.data
    if result.name == "gru_jacobian":
        picks = [d for d in (1, 5, 10, 20, 40, 80) if d < len(data["distance"])]
        rows = [f"{'':<16}" + "".join(f"{f'd={d}':>10}" for d in picks)]
        for c in data["curves"]:
            name = "tanh RNN" if c["update_bias"] is None else f"GRU b_z={c['update_bias']:g}"
            rows.append(f"{name:<16}" + "".join(f"{c['norm'][d]:>10.2e}" for d in picks))
        return "\n".join(rows)
    width = max(len("method"), *(len(m["name"]) for m in data["methods"]))
    rows = [f"{'method':<{width}}  {'L':>2}  {'K':>1}  success  mean accuracy  mean epochs"]
    for m in data["methods"]:
        for c in m["cells"]:
            wins = sum(r["success"] for r in c["runs"])
            epochs = np.mean([r["epochs"] for r in c["runs"]])
            K = "-" if c["truncate"] is None else c["truncate"]
            share = f"{wins}/{len(c['runs'])}"
            rows.append(f"{m['name']:<{width}}  {c['length']:>2}  {K:>1}  "
                        f"{share:>7}  {c['mean_accuracy']:>13.3f}  "
                        f"{epochs:>11.1f}")
    return "\n".join(rows)


# -------------------------------------------------------------------------------- plots


def _figure(fig, width=7.0, height=3.2):
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(width, height))
    return fig


def _chance(result):
    v = result.settings
    return 0.5 if v["task"] == "agreement" else 1 / v.get("classes", 4)


def _plot_lengths(result, fig):
    """Success rate (left) and every run's accuracy (right) against the length L."""
    methods = result.data["methods"]
    several = len(methods) > 1
    fig = _figure(fig, height=3.2 + 0.25 * (len(methods) + 1) // 2 * several)
    left, right = fig.subplots(1, 2)
    spread = 0.12 * several
    for i, m in enumerate(methods):
        L = np.array([c["length"] for c in m["cells"]], dtype=float)
        line, = left.plot(L, [c["success_rate"] for c in m["cells"]], "o-", label=m["label"])
        offset = (i - (len(methods) - 1) / 2) * spread * np.diff(L).min(initial=1)
        for c, x in zip(m["cells"], L + offset, strict=True):
            acc = [r["accuracy"] for r in c["runs"]]
            right.plot(np.full(len(acc), x), acc, "o", color=line.get_color(), alpha=0.6,
                       markersize=4)
        right.plot(L + offset, [c["mean_accuracy"] for c in m["cells"]], "-",
                   color=line.get_color(), alpha=0.8)
    v = result.settings
    unit = "clause length (words)" if v["task"] == "agreement" else "dependency length L"
    ticks = sorted({c["length"] for m in methods for c in m["cells"]})
    for ax in (left, right):
        ax.set_xticks(ticks)
    left.set(xlabel=unit, ylabel=f"success rate ({v['runs']} runs)", ylim=(-0.05, 1.05))
    right.axhline(_chance(result), color="grey", linestyle=":")
    right.axhline(v["success"], color="grey", linestyle="--", linewidth=0.8)
    for level, text in ((_chance(result), "chance"), (v["success"], "success")):
        right.annotate(text, (0, level), xycoords=("axes fraction", "data"), xytext=(2, 2),
                       textcoords="offset points", fontsize=7, color="grey")
    right.set(xlabel=unit, ylabel="final accuracy", ylim=(-0.05, 1.05))
    if several:
        handles, labels = left.get_legend_handles_labels()
        rows = (len(methods) + 1) // 2
        fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 0.07 * rows, 1, 1))
    else:
        fig.tight_layout()
    return fig


def _plot_truncation(result, fig):
    """Accuracy against the truncation K, one line per start, at one length L."""
    fig = _figure(fig, height=3.4)
    ax = fig.subplots()
    (L,) = {c["length"] for m in result.data["methods"] for c in m["cells"]}
    ax.axvspan(0.5, L - 0.5, color="grey", alpha=0.12, linewidth=0)
    ax.text(1, 0.62, f"K < L = {L}: the error of the last output\nnever reaches the first token",
            fontsize=8, va="top")
    for i, m in enumerate(result.data["methods"]):
        K = np.array([c["truncate"] for c in m["cells"]], dtype=float)
        line, = ax.plot(K, [c["mean_accuracy"] for c in m["cells"]], "o-", label=m["label"])
        for c, x in zip(m["cells"], K + 0.08 * (2 * i - 1), strict=True):
            acc = [r["accuracy"] for r in c["runs"]]
            ax.plot(np.full(len(acc), x), acc, ".", color=line.get_color(), alpha=0.5)
    ax.axhline(_chance(result), color="grey", linestyle=":", label="chance")
    ax.set(xlabel="truncation K (steps an error travels back)",
           ylabel="accuracy of the last output", ylim=(-0.05, 1.05),
           xlim=(0.5, max(c["truncate"] for m in result.data["methods"] for c in m["cells"])
                 + 0.5))
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def _plot_gru(result, fig):
    """||ds_t/ds_k||_2 against t - k on a log scale."""
    fig = _figure(fig)
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


def plot(result, fig=None):
    """Draw ``result`` on the matplotlib figure ``fig`` (a new one by default); return it.

    matplotlib is imported here, never when the package is imported.
    """
    return EXPERIMENTS[result.name]["plot"](result, fig)


#: name -> what runs it, what draws it, and one line about it
EXPERIMENTS = {
    "recall_length": {
        "run": _grid, "plot": _plot_lengths,
        "about": "success of a tanh RNN against the dependency length L",
    },
    "truncation": {
        "run": _grid, "plot": _plot_truncation,
        "about": "truncated BPTT: K < L against K >= L",
    },
    "remedies": {
        "run": _grid, "plot": _plot_lengths,
        "about": "initialisation, relu, clipping and Pascanu's regulariser against the baseline",
    },
    "agreement": {
        "run": _grid, "plot": _plot_lengths,
        "about": "subject-verb agreement across a relative clause",
    },
    "gru_jacobian": {
        "run": _gru_jacobian, "plot": _plot_gru,
        "about": "||ds_t/ds_k|| of a GRU against a tanh RNN on the same words",
    },
}


def main_progress(line):
    """The command line's progress report: one line to stderr."""
    print(line, file=sys.stderr, flush=True)
