"""Settings for the figures: a table of conf/*.toml with keyword overrides, and the set-up of
chapters 5 and 6 (the model's U and V, a random sentence, and an orthogonal Q for W)."""

from __future__ import annotations

import os
import pickle
from functools import cache
from typing import Any, NamedTuple

import numpy as np

import bptt_book as bb
from bptt_book import config
from bptt_book.training import orthogonal


def pick(name: str, table: str, **overrides: Any) -> dict[str, Any]:
    """The settings ``[table]`` of conf/``name``.toml, with every override that is not None
    in place of the file's value."""
    settings = dict(config.load(name)[table])
    settings.update({key: value for key, value in overrides.items() if value is not None})
    return settings


class Orthogonal(NamedTuple):
    """The set-up of chapters 5 and 6: the model's weights, one random sentence, and an
    orthogonal Q; :meth:`params` puts ``W = scale / gamma * Q`` in place of the model's W."""

    model: bb.Params  # U, V and W of the model, as init_params draws them
    words: np.ndarray  # the random sentence
    Q: np.ndarray  # (H, H) orthogonal

    def params(self, scale: float, activation: str = "tanh") -> bb.Params:
        """The model with ``W = scale / gamma * Q``: every singular value of W is
        ``scale / gamma``, gamma the largest slope of ``activation``."""
        gamma = float(bb.activation_bound(activation))
        return bb.Params(self.model.U, self.model.V, scale / gamma * self.Q)


def orthogonal_setting(settings: dict[str, Any], words: int) -> Orthogonal:
    """``settings["model"]`` from conf/models.toml, and from
    ``numpy.random.default_rng(settings["seed"])`` first a sentence of ``words`` random words,
    then Q (NumPy's Q of a normal matrix, as the chapters draw it)."""
    m = config.model(settings["model"])
    p = bb.init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"])
    rng = np.random.default_rng(settings["seed"])
    sentence = rng.integers(0, m["word_dim"], size=words)
    return Orthogonal(bb.Params(*p), sentence, orthogonal(m["hidden_dim"], rng, uniform=False))


@cache
def default_data(name: str) -> Any:
    """``NAME_data()`` of the figure ``name`` with the settings of conf/*.toml, computed once
    per process and kept on disk: a figure drawn with no data and the numbers a chapter quotes
    from it (:mod:`bptt_book.figures.quoted`) share this one result, and the next build reads
    it back.  The result is not to be modified.

    The file lives in the experiments' cache folder (:func:`bptt_book.experiments.cache_dir`),
    under ``figures/``, keyed like an experiment's result on the code of the module that
    computes it (with every module of the package it imports) and on the package's settings
    files; a damaged or unreadable file is computed again."""
    from bptt_book import figures
    from bptt_book.experiments import cache

    compute = getattr(figures, f"{name}_data")
    key = cache.key(f"figure:{name}", {}, (compute.__module__,))
    path = cache.directory() / "figures" / f"{name}-{key}.pickle"
    try:
        return pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    data = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pickle.dumps(data))
        partial.replace(path)
        for stale in path.parent.glob(f"{name}-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:  # a read-only cache folder: the result is simply not kept
        pass
    return data
