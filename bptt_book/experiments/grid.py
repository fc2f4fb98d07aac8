"""Training sweeps: each method, dependency length L, truncation K and run, trained once.

The training experiments (``recall_length``, ``truncation``, ``remedies``, ``agreement``,
and the gated cells' ``gated_length``, ``gated_reach``, ``gate_bias``) train a network with
:func:`bptt_book.training.train` on a task of :mod:`bptt_book.tasks`, many times over: for
each *method* (the cell, how W is started, a gate's bias, the activation, clipping, Pascanu's
regulariser, the optimiser, ...), each dependency length L, each truncation K and each run
(a seed).  A run **succeeds** when the accuracy of its last output on ``test_size`` fresh
sequences reaches ``success`` within ``epochs`` epochs; the accuracy is measured after every
epoch and training stops as soon as it does.  With ``reach`` set, every run also records,
before training and after every epoch, the accuracy and the share of the answer's gradient
that reaches the first token (:func:`reach`).
"""

import time
from functools import partial

import numpy as np

from .. import config
from ..cells import with_bias
from ..generated import CELLS
from ..model import init_params
from ..schemes import SCHEMES
from ..tasks import TASKS, Recall, accuracy
from ..training import INITS, OPTIMIZERS, initial_params, train
from ..vanishing import input_gradients
from .parallel import map_units
from .record import Result

#: How a method may start the class columns of U on the recall task (see :func:`fit`).
CLASS_INPUTS = ("random", "zero")

#: The settings a method may change, with their defaults (see conf/experiments.toml).
METHOD_DEFAULTS = {
    "activation": "tanh",
    "init": "tutorial",
    "scale": 1.0,
    "input_scale": 1.0,
    "clip": None,
    "omega_weight": 0.0,
    "class_inputs": "random",
    "cell": "rnn",
    "gate": None,
    "gate_bias": None,
    "optimizer": "sgd",
    "scheme": "window",
}

_METHOD = {
    "label": (config.text, True),
    "activation": (config.ACTIVATION, False),
    "init": (config.one_of(INITS), False),
    "scale": (config.positive, False),
    "input_scale": (config.positive, False),
    "clip": (config.positive, False),
    "omega_weight": (config.non_negative, False),
    "learning_rate": (config.positive, False),
    "class_inputs": (config.one_of(CLASS_INPUTS), False),
    "cell": (config.one_of(CELLS), False),
    "gate": (config.text, False),
    "gate_bias": (config.number, False),
    "optimizer": (config.one_of(OPTIMIZERS), False),
    "scheme": (config.one_of(SCHEMES), False),
}
_ONE_METHOD = config.table_of(_METHOD, "method settings")


def _method_problem(m):
    """What is wrong with one method's table, or None."""
    problem = _ONE_METHOD(m)
    if problem:
        return problem
    cell = CELLS[m.get("cell", "rnn")]
    if ("gate" in m) != ("gate_bias" in m):
        return "a table of method settings with both gate and gate_bias, or neither"
    if "gate" in m and (not cell.BIASES or m["gate"] not in cell.BLOCKS):
        return (f"a table of method settings whose gate is one of the {cell.NAME} cell's "
                f"gates {list(cell.BLOCKS) if cell.BIASES else []} (not {m['gate']!r})")
    if cell.NAME != "rnn":
        plain = [k for k in ("activation", "init", "scale", "input_scale", "omega_weight")
                 if k in m]
        if plain:
            return (f"a table of method settings without {plain[0]!r}, which only the "
                    f"plain RNN (cell = \"rnn\") has")


def _methods(v):
    if not isinstance(v, dict) or not v:
        return "a non-empty table of methods, one sub-table each"
    for name, m in v.items():
        problem = _method_problem(m)
        if problem:
            return f"a table of methods; [methods.{name}] must be {problem}"


#: The keys of a training experiment's table in ``bptt_book/conf/experiments.toml``.
SCHEMA = {
    "task": (config.one_of(TASKS), True),
    "lengths": (config.integers(1), True),
    "truncations": (config.integers(0), False),
    "runs": (config.integer(1), True),
    "seed": (config.integer(0), True),
    "classes": (config.integer(2), False),
    "distractors": (config.integer(1), False),
    "hidden_dim": (config.integer(1), True),
    "train_size": (config.integer(1), True),
    "test_size": (config.integer(1), True),
    "batch_size": (config.integer(1), True),
    "epochs": (config.integer(1), True),
    "learning_rate": (config.positive, True),
    "success": (config.share, True),
    "methods": (_methods, True),
    "reach": (config.integer(1), False),
}


def _seed(*parts):
    """An integer seed drawn from a tuple of integers (independent streams per tuple)."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def _task(values, length):
    cls = TASKS[values["task"]]
    if cls is Recall:
        return Recall(length, classes=values.get("classes", 4),
                      distractors=values.get("distractors", 4))
    return cls(length)


def starting_params(values, method, task, run):
    """The weights a run of ``method`` starts from (see :func:`fit`)."""
    m = {**METHOD_DEFAULTS, **method}
    seed = _seed(values["seed"], 0, run)
    p = initial_params(task.word_dim, values["hidden_dim"], init=m["init"], scale=m["scale"],
                       input_scale=m["input_scale"], seed=seed)
    if m["cell"] != "rnn":
        gated = init_params(task.word_dim, values["hidden_dim"], cell=m["cell"], seed=seed)
        p = gated._replace(V=p.V)  # the same output layer as the plain network's
        if m["gate"] is not None:
            p = with_bias(p, m["gate"], float(m["gate_bias"]))
    if m["class_inputs"] == "zero":
        if not isinstance(task, Recall):
            raise ValueError("class_inputs = 'zero' needs the recall task")
        p.U[:, 1 : task.classes + 1] = 0.0
    return p


def reach(params, data, *, activation=None):
    """The share of the answer's gradient that reaches the first token, on ``data``:
    ``sum_b ||dE_b/da_0|| / sum_b sum_t ||dE_b/da_t||``, with ``E_b`` the loss of the last
    output of sequence ``b`` and ``a_t`` the input projection of step ``t``
    (:func:`bptt_book.input_gradients`)."""
    norms = input_gradients(params, data.x, data.y, activation=activation)
    return float(norms[:, 0].sum() / norms.sum())


def fit(values, method, length, truncate, run, *, verbose=False):
    """One training run: ``method`` (a dict of :data:`METHOD_DEFAULTS` keys) on the task at
    dependency length ``length`` with truncation ``truncate`` (``None``: full BPTT), seed
    index ``run``.  Returns a dict: the last accuracy, epochs, success, divergence, time;
    with ``values["reach"]`` also, from before training to the last epoch, the accuracy
    (``curve``) and :func:`reach` on the first ``reach`` test sequences (``reach``).

    Runs with the same ``length`` and ``run`` see the same data and start from the same V
    whatever the method, and from the same U as well when they have the same cell; a gated
    cell starts as :func:`bptt_book.init_params` starts it, with the total bias of
    ``gate`` set to ``gate_bias`` if given.
    """
    m = {**METHOD_DEFAULTS, **method}
    task = _task(values, length)
    seed = values["seed"]
    p = starting_params(values, method, task, run)
    data = task.sample(values["train_size"], seed=_seed(seed, 1, length, run))
    test = task.sample(values["test_size"], seed=_seed(seed, 2, length, run))
    activation = m["activation"] if m["cell"] == "rnn" else None
    probe = values.get("reach")
    curve, shares = [], []

    def evaluate(q):
        score = accuracy(q, test, activation=activation)
        if probe:
            curve.append(score)
            shares.append(reach(q, test._replace(x=test.x[:probe], y=test.y[:probe]),
                                activation=activation))
        return score

    if probe:
        evaluate(p)
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):
        history = train(
            p, data.x, data.y, epochs=values["epochs"],
            learning_rate=m.get("learning_rate", values["learning_rate"]),
            batch_size=values["batch_size"], truncate=truncate, scheme=m["scheme"],
            activation=activation,
            clip=m["clip"], omega_weight=m["omega_weight"], seed=_seed(seed, 3, run),
            evaluate=evaluate, until=values["success"], verbose=verbose,
            optimizer=m["optimizer"],
        )
    final = history.metric[-1]
    final = 0.0 if np.isnan(final) else final
    out = {
        "accuracy": round(float(final), 6),
        "epochs": history.epochs,
        "success": bool(final >= values["success"]),
        "diverged": history.diverged,
        "seconds": round(time.perf_counter() - start, 3),
    }
    if probe:
        out["curve"] = [round(a, 6) for a in curve]
        out["reach"] = [float(f"{r:.6g}") for r in shares]
    return out


def units(values):
    """The number of training runs the settings ``values`` ask for."""
    return (len(values["methods"]) * len(values["lengths"])
            * len(values.get("truncations") or [None]) * values["runs"])


def run(values, report, verbose):
    """Train every method at every length, truncation and run; ``report`` a line per run.

    The runs are independent, so they are spread over worker processes
    (:func:`~bptt_book.experiments.parallel.map_units`); the results and the lines come back in the
    order of the grid whatever the number of workers.
    """
    lengths = values["lengths"]
    truncations = values.get("truncations") or [None]
    grid = [(name, method, length, K, run_)
            for name, method in values["methods"].items()
            for length in lengths for K in truncations for run_ in range(values["runs"])]

    def done(index, r):
        name, _, length, K, run_ = grid[index]
        report(f"[{index + 1}/{len(grid)}] {name} L={length}"
               f"{'' if K is None else f' K={K}'} run {run_ + 1}: accuracy "
               f"{r['accuracy']:.3f} after {r['epochs']} epochs "
               f"({'success' if r['success'] else 'failure'}"
               f"{', diverged' if r['diverged'] else ''}) {r['seconds']:.1f} s")

    results = iter(map_units(partial(fit, verbose=verbose),
                             [(values, m, L, K, r) for _, m, L, K, r in grid], done))
    out = []
    for name, method in values["methods"].items():
        cells = []
        for length in lengths:
            for K in truncations:
                runs = [next(results) for _ in range(values["runs"])]
                cells.append({
                    "length": length,
                    "truncate": K,
                    "runs": runs,
                    "success_rate": float(np.mean([r["success"] for r in runs])),
                    "mean_accuracy": float(np.mean([r["accuracy"] for r in runs])),
                })
        out.append({"name": name, "label": method["label"], "cells": cells})
    return {"methods": out}


def table(result: Result) -> str:
    """Success, mean accuracy and mean epochs per method, length and truncation."""
    data = result.data
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
