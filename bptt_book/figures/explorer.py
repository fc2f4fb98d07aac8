"""The results behind the book's interactive explorer page (docs/explorer.md).

:func:`explorer_data` computes, for a grid of ``gamma * sigma_max(W)`` values and every
activation, along one sentence of the model of chapter 5:

- ``norm[d]``: ``||ds_t/ds_k||_2`` at distance ``d = t - k`` (t the last step), with the
  bound ``(gamma sigma_max(W)) ** d``  (:func:`bptt_book.jacobian_norms`);
- ``share[d]``: the share of ``dE_t/dW`` (t the last step) that comes from distance d
  (:func:`bptt_book.gradient_contributions`, divided by its sum);
- ``truncation_error[K]``: the relative error ``||dW_K - dW|| / ||dW||`` of the whole
  sentence's gradient of W when each output's error walks back at most K steps
  (:func:`bptt_book.bptt` with ``truncate=K``).

W is ``scale / gamma * Q`` with an orthogonal Q, as in chapters 5 and 6 (the sentence and Q
drawn as in ``[contributions]`` of conf/vanishing.toml).  :func:`write_explorer` writes the
results as JSON; the Sphinx extension docs/_ext/explorer.py puts them beside the page, whose
script draws them in the browser.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

import bptt_book as bb
from bptt_book import config
from bptt_book.generated import activations as generated

from ._settings import orthogonal_setting, pick

#: The default grid of gamma * sigma_max(W), from 0.5 to 2.0 in steps of 0.1.
SCALES = tuple(round(0.5 + 0.1 * i, 1) for i in range(16))


def _round(values: np.ndarray, digits: int = 6) -> list[float | None]:
    """Floats with ``digits`` significant digits (JSON has no infinity: those become None)."""
    return [float(f"{v:.{digits}g}") if math.isfinite(v) else None for v in map(float, values)]


def explorer_data(*, model: str | None = None, length: int | None = None,
                  seed: int | None = None, scales: tuple[float, ...] = SCALES,
                  activations: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The explorer's grid of results as a dictionary ready for JSON (see the module's
    docstring).  ``model``, ``length`` and ``seed`` default to ``[contributions]`` of
    conf/vanishing.toml; ``activations`` to every activation of the package."""
    settings = pick("vanishing", "contributions", model=model, length=length, seed=seed)
    names = tuple(generated.ACTIVATIONS) if activations is None else tuple(activations)
    scales = tuple(float(s) for s in scales)
    if not scales or any(not (math.isfinite(s) and s > 0) for s in scales):
        raise ValueError(f"scales must be positive finite numbers; got {scales!r}")
    T = settings["length"]
    setting = orthogonal_setting(settings, T + 1)
    x, y = setting.words[:-1], setting.words[1:]
    m = config.model(settings["model"])
    results: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        cells = []
        for scale in scales:
            q = setting.params(scale, name)
            r = bb.jacobian_norms(q, x, activation=name)
            c = bb.gradient_contributions(q, x, y, activation=name)
            exact = bb.bptt(q, x, y, activation=name).W
            error = [np.linalg.norm(bb.bptt(q, x, y, truncate=K, activation=name).W - exact)
                     / np.linalg.norm(exact) for K in range(T)]
            cells.append({"scale": scale, "norm": _round(r.norm), "bound": _round(r.bound),
                          "share": _round(c / c.sum()),
                          "truncation_error": _round(np.array(error))})
        results[name] = cells
    gamma = {name: bb.activation_bound(name) for name in names}
    return {
        "model": settings["model"], "word_dim": m["word_dim"], "hidden_dim": m["hidden_dim"],
        "length": T, "seed": settings["seed"], "activations": list(names),
        "gamma": {name: str(g) for name, g in gamma.items()},
        "gamma_value": {name: float(g) for name, g in gamma.items()},
        "scales": list(scales), "distance": list(range(T)), "K": list(range(T)),
        # Where the sliders start: the scale nearest the threshold 1, the model's own
        # truncation, and a distance a third of the way along the sentence.
        "defaults": {"scale_index": int(np.argmin(np.abs(np.array(scales) - 1.0))),
                     "K": min(m["bptt_truncate"], T - 1), "distance": T // 3},
        "results": results,
    }


def write_explorer(path: str | Path, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write :func:`explorer_data` (or ``data``) as JSON to ``path``; return it."""
    data = explorer_data() if data is None else data
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, separators=(",", ":"), allow_nan=False) + "\n",
                    encoding="utf-8")
    return data
