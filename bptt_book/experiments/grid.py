"""Training sweeps: each method, dependency length L, truncation K and run, trained once.

The training experiments (``recall_length``, ``truncation``, ``remedies``, ``agreement``)
train the tutorial's network with :func:`bptt_book.training.train` on a task of
:mod:`bptt_book.tasks`, many times over: for each *method* (how W is started, the
activation, clipping, Pascanu's regulariser, ...), each dependency length L, each truncation
K and each run (a seed).  A run **succeeds** when the accuracy of its last output on
``test_size`` fresh sequences reaches ``success`` within ``epochs`` epochs; the accuracy is
measured after every epoch and training stops as soon as it does.
"""

import time

import numpy as np

from .. import config
from ..schemes import SCHEMES
from ..tasks import TASKS, Recall, accuracy
from ..training import INITS, initial_params, train
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
    "scheme": (config.one_of(SCHEMES), False),
}
_ONE_METHOD = config.table_of(_METHOD, "method settings")


def _methods(v):
    if not isinstance(v, dict) or not v:
        return "a non-empty table of methods, one sub-table each"
    for name, m in v.items():
        problem = _ONE_METHOD(m)
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
            batch_size=values["batch_size"], truncate=truncate, scheme=m["scheme"],
            activation=m["activation"],
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


def units(values):
    """The number of training runs the settings ``values`` ask for."""
    return (len(values["methods"]) * len(values["lengths"])
            * len(values.get("truncations") or [None]) * values["runs"])


def run(values, report, verbose):
    """Train every method at every length, truncation and run; ``report`` a line per run."""
    lengths = values["lengths"]
    truncations = values.get("truncations") or [None]
    total = units(values)
    done = 0
    out = []
    for name, method in values["methods"].items():
        cells = []
        for length in lengths:
            for K in truncations:
                runs = []
                for run_ in range(values["runs"]):
                    r = fit(values, method, length, K, run_, verbose=verbose)
                    runs.append(r)
                    done += 1
                    report(f"[{done}/{total}] {name} L={length}"
                           f"{'' if K is None else f' K={K}'} run {run_ + 1}: accuracy "
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
