"""Vanishing and exploding gradients, measured: Jacobians, their norms, bounds, clipping.

The step Jacobian is ``ds_j/ds_{j-1} = diag(f'(z_j)) W`` (rows index ``s_j``; printed from
the derivation into :func:`bptt_book.generated.rnn.step_jacobians`).  Over several steps

    ds_t/ds_k = prod_{j = t, t-1, ..., k+1} diag(f'(z_j)) W,

and since the 2-norm of a product is at most the product of the norms,
``||ds_t/ds_k||_2 <= (gamma * sigma_max(W)) ** (t - k)`` with ``gamma = max f'``
(:func:`activation_bound`).  Everything here is NumPy except :func:`activation_bound`,
which returns an exact SymPy number and therefore imports SymPy.
"""

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import _checks, cells, config
from .cells import CellParams
from .generated import layers
from .generated.activations import GAMMA
from .model import Params, Prepared, _probabilities, output_chunks, prepare, run

if TYPE_CHECKING:  # only for the annotation: computing never imports SymPy
    import sympy


def activation_bound(name: str) -> "sympy.Expr":
    """``gamma = max_z f'(z)`` as an exact SymPy number: 1 (tanh), 1/4 (sigmoid), 1 (relu).

    Derived by :func:`bptt_book.derivation.activations.activation` (this imports SymPy).
    Raises ``TypeError``/``ValueError`` for an activation that is not one of the names.

    >>> import bptt_book as bb
    >>> bb.activation_bound("sigmoid")
    1/4
    """
    _checks.activation(name, cells.by_name("rnn"))
    from .derivation.activations import activation

    return activation(name).gamma


def spectral_norm(W: ArrayLike) -> float:
    """``sigma_max(W)``, the largest singular value of the square matrix ``W``, as a float.

    ``TypeError`` for a non-numeric ``W``; ``ValueError`` for one that is not a square 2-D
    matrix or holds NaN or infinity."""
    matrix = _checks.real_matrix(W, "W")
    if matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"W must be a square matrix; got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise _checks.NonFinite("W contains NaN or infinite values")
    return float(np.linalg.norm(matrix.astype(float), 2))


def _one_sequence(params: CellParams | tuple, x: ArrayLike,
                  activation: str | None) -> tuple[Prepared, Any, np.ndarray]:
    """Checked arguments for one sequence, its tape and its step Jacobians (T, S, S)."""
    prepared = prepare(params, x, activation=activation)
    if not prepared.single:
        raise ValueError(f"x must be one 1-D sequence here; got shape {np.shape(x)}")
    tape, _ = run(prepared)
    steps = prepared.cell.step_jacobians(prepared.params, tape, prepared.act)[0]
    return prepared, tape, steps


def _position(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must satisfy {low} <= {name} <= {high}; got {value}")
    return int(value)


def jacobian(params: CellParams | tuple, x: ArrayLike, t: int, k: int, *,
             activation: str | None = None) -> np.ndarray:
    """``ds_t/ds_k`` along the sequence ``x``: a matrix whose rows index ``s_t``.

    ``0 <= k <= t < T``; ``k == t`` gives the identity.  The state is ``s_t`` (H) for the
    plain RNN and ``h_t`` for the GRU, and the stacked ``[h_t; c_t]`` (2H) for the LSTM.

    >>> import numpy as np
    >>> import bptt_book as bb
    >>> p = bb.init_params(10, 4, seed=0)
    >>> J = bb.jacobian(p, [1, 2, 3], t=2, k=1)
    >>> s, _ = bb.forward(p, [1, 2, 3])
    >>> bool(np.allclose(J, np.diag(1 - s[2] ** 2) @ p.W))
    True
    >>> bb.jacobian(bb.init_params(10, 4, cell="lstm", seed=0), [1, 2, 3], t=2, k=0).shape
    (8, 8)

    Raises
    ------
    TypeError
        ``t`` or ``k`` is not an integer; or as :func:`~bptt_book.forward`.
    ValueError
        ``k`` or ``t`` out of range; ``x`` is a batch rather than one sequence; or as
        :func:`~bptt_book.forward`.
    """
    _, _, steps = _one_sequence(params, x, activation)
    T = len(steps)
    t = _position(t, "t", 0, T - 1)
    k = _position(k, "k", 0, t)
    J = np.eye(steps.shape[-1], dtype=steps.dtype)
    for step in steps[k + 1 : t + 1]:  # j = k+1, ..., t: each new step multiplies on the left
        J = step @ J
    return J


class JacobianNorms(NamedTuple):
    """``||ds_t/ds_k||_2`` for ``k = t, t-1, ..., 0``, indexed by the distance ``t - k``."""

    distance: np.ndarray  # 0, 1, ..., t
    norm: np.ndarray  # measured 2-norms
    bound: np.ndarray  # an upper bound on each norm (see jacobian_norms)


def jacobian_norms(params: CellParams | tuple, x: ArrayLike, t: int | None = None, *,
                   activation: str | None = None) -> JacobianNorms:
    """The 2-norms of ``ds_t/ds_k`` for every ``k <= t`` (default ``t = T - 1``), with an
    upper bound beside them.

    For the plain RNN the bound is ``(gamma sigma_max(W)) ** (t - k)``, which holds for every
    sequence.  A gated cell has no bound of that form (its factors depend on the gates), so
    its bound is taken along this sequence: every step Jacobian is ``P_j + Q_j W``
    (:func:`~bptt_book.generated.lstm.jacobian_parts`), so
    ``||ds_t/ds_k|| <= prod_j (||P_j|| + ||Q_j|| sigma_max(W))`` over ``j = k+1, ..., t``,
    where ``||P_j||`` and ``||Q_j||`` are the largest norms of their small per-unit blocks.
    Raises as :func:`jacobian`.

    >>> import bptt_book as bb
    >>> p = bb.init_params(10, 4, seed=0)
    >>> r = bb.jacobian_norms(p, [1, 2, 3, 4, 5])
    >>> r.distance.tolist()
    [0, 1, 2, 3, 4]
    >>> bool((r.norm <= r.bound * (1 + 1e-12)).all())
    True
    >>> g = bb.jacobian_norms(bb.init_params(10, 4, cell="gru", seed=0), [1, 2, 3, 4, 5])
    >>> bool((g.norm <= g.bound * (1 + 1e-12)).all())
    True
    """
    prepared, tape, steps = _one_sequence(params, x, activation)
    T = len(steps)
    t = T - 1 if t is None else _position(t, "t", 0, T - 1)
    J = np.eye(steps.shape[-1], dtype=steps.dtype)
    norms = [1.0]
    for step in steps[1 : t + 1][::-1]:  # j = t, t-1, ..., 1
        J = J @ step
        norms.append(float(np.linalg.norm(J, 2)))
    distance = np.arange(t + 1)
    sigma = float(np.linalg.norm(prepared.params.W, 2))
    if prepared.cell.PLUGGABLE:
        name = "tanh" if activation is None else activation
        bound = (GAMMA[name] * sigma) ** distance
    else:
        P, Q = prepared.cell.jacobian_parts(prepared.params, tape, prepared.act)
        per_unit = lambda M: np.linalg.norm(np.moveaxis(M[0], -1, 1), 2, axis=(-2, -1))  # noqa: E731
        factor = per_unit(P).max(axis=-1) + per_unit(Q).max(axis=-1) * sigma  # one per step
        bound = np.concatenate([[1.0], np.cumprod(factor[1 : t + 1][::-1])])
    return JacobianNorms(distance, np.array(norms), bound)


def gradient_contributions(params: CellParams | tuple, x: ArrayLike, y: ArrayLike,
                           t: int | None = None, *,
                           activation: str | None = None) -> np.ndarray:
    """How much of ``dE_t/dW`` comes from each step ``k``, indexed by the distance ``t - k``
    (the plain RNN).

    Entry ``d`` is the Frobenius norm of ``delta_k^(t) s_{k-1}^T`` with ``k = t - d``: the
    part of the output-``t`` gradient that reached back ``d`` steps (zero at ``k = 0``,
    where ``s_{-1} = 0``).  Their sum (as matrices) is ``dE_t/dW``.  Raises as
    :func:`jacobian` and, for ``y``, as :func:`~bptt_book.loss`; ``TypeError`` for the
    parameters of another cell.

    >>> import bptt_book as bb
    >>> p = bb.init_params(10, 4, seed=0)
    >>> c = bb.gradient_contributions(p, [1, 2, 3, 4], [2, 3, 4, 5])
    >>> len(c), bool(c[0] > c[2])
    (4, True)
    """
    prepared, tape, _ = _one_sequence(params, x, activation)
    if prepared.cell.NAME != "rnn":
        raise TypeError("gradient_contributions is defined for the plain RNN's Params; got "
                        f"{type(params).__name__}")
    p, act = prepared.params, prepared.act
    assert act is not None  # the plain RNN's activation, (f, f')
    S, F = tape.s[0], act[1](tape.s[0])
    x2, y2, _ = _checks.labels(x, y, p.U.shape[1])
    T = len(S)
    t = T - 1 if t is None else _position(t, "t", 0, T - 1)
    e = _probabilities(S[t : t + 1] @ p.V.T, p.V)[0]  # checks V through the logits
    e[y2[0, t]] -= 1  # dE_t/do_t = yhat_t - y_t
    delta = F[t] * (e @ p.V)  # delta_t^(t)
    out = np.zeros(t + 1)
    for d in range(t + 1):
        k = t - d
        s_prev_norm = np.linalg.norm(S[k - 1]) if k > 0 else 0.0
        out[d] = np.linalg.norm(delta) * s_prev_norm
        if k > 0:
            delta = F[k - 1] * (delta @ p.W)  # delta_(k-1)^(t)
    return out


def input_gradients(
    params: CellParams, x: ArrayLike, y: ArrayLike, *, output: int | None = -1,
    activation: str | None = None,
) -> np.ndarray:
    """How much gradient reaches the input of every step: ``||dE/da_t||`` for each ``t``,
    where ``a_t = U x_t + b_U`` is the step's input projection (any cell; all its blocks).

    ``E`` is the loss of output ``output`` alone (default: the last, the one a long-range
    task's answer is read from), or the summed loss of all outputs with ``output=None``.
    ``dE/da_t`` is what the column of U of the word ``x_t`` receives, so
    ``norms[0] / norms.sum()`` is the share of the gradient that reaches the first token.
    Returns (T,) for one sequence and (B, T) for a batch.  Raises as :func:`~bptt_book.loss`,
    and ``TypeError``/``ValueError`` for an ``output`` that is not a step of the sequences.

    >>> import bptt_book as bb
    >>> p = bb.init_params(10, 4, seed=0)
    >>> norms = bb.input_gradients(p, [1, 2, 3, 4], [0, 0, 0, 5])
    >>> norms.shape, bool(norms[0] < norms[3])
    ((4,), True)
    """
    prepared = prepare(params, x, y, activation)
    cell, p = prepared.cell, prepared.params
    T = prepared.x.shape[1]
    if output is not None:
        if isinstance(output, bool) or not isinstance(output, (int, np.integer)):
            raise TypeError(f"output must be None or an integer step; got {output!r}")
        if not -T <= output < T:
            raise ValueError(f"output must be a step of the sequences, -{T} <= output < {T}; "
                             f"got {output}")
        output = int(output) % T
    tape, S = run(prepared)
    G = np.zeros_like(S)
    steps = range(T) if output is None else [output]
    for t in steps:
        last = np.ascontiguousarray(S[:, t])
        for rows, o in output_chunks(last, p.V):
            P = _probabilities(o, p.V)
            assert prepared.y is not None  # prepare() was given y
            _, G[rows, t] = layers.output_layer(p.V, last[rows], P, prepared.y[rows, t])
    dA, _ = cell.backward(p, tape, G, None, prepared.act)
    norms = np.linalg.norm(dA, axis=-1)
    return norms[0] if prepared.single else norms


def global_norm(grads: CellParams | tuple | list) -> float:
    """``sqrt(||dU||^2 + ||dV||^2 + ||dW||^2 + ...)`` over every gradient of the tuple,
    computed without overflow, as a float.

    NaN if an entry is NaN, infinity if one is infinite; ``TypeError`` for non-numeric
    arrays."""
    if not isinstance(grads, (tuple, list)) or not grads:
        raise TypeError(f"grads must be a non-empty tuple of arrays; got {type(grads).__name__}")
    return _global_norm([_checks.real_array(g, "grads").astype(float, copy=False)
                         for g in grads])


def _global_norm(arrays: list[np.ndarray]) -> float:
    """:func:`global_norm` of float arrays already checked (training calls it every step)."""
    scale = max((float(np.max(np.abs(a))) if a.size else 0.0) for a in arrays)
    if not np.isfinite(scale):
        return float("nan") if any(np.isnan(a).any() for a in arrays) else float("inf")
    if scale == 0.0:
        return 0.0
    return scale * float(np.sqrt(sum(np.sum((a / scale) ** 2) for a in arrays)))


def clip_gradients(grads: CellParams | tuple, threshold: float) -> CellParams:
    """Pascanu, Mikolov & Bengio's Algorithm 1 on the global norm of all the gradients:
    if ``||g|| >= threshold``, rescale every gradient by ``threshold / ||g||``.

    Returns new arrays, as the same tuple type as ``grads`` (a plain tuple of three arrays
    gives :class:`~bptt_book.Params`); the direction is kept, only the length is capped.

    >>> import numpy as np
    >>> import bptt_book as bb
    >>> g = bb.Params(np.full((2, 3), 3.0), np.zeros((3, 2)), np.full((2, 2), 4.0))
    >>> round(bb.global_norm(g), 6)
    10.86278
    >>> round(bb.global_norm(bb.clip_gradients(g, 1.0)), 6)
    1.0

    Raises
    ------
    TypeError
        ``threshold`` is not a number; ``grads`` is not a cell's gradients or a tuple of
        three arrays.
    ValueError
        ``threshold`` is not positive and finite; the gradients hold NaN or infinity
        (their length is then undefined, so no rescaling can help).
    """
    threshold = _checks.positive_number(threshold, "threshold")
    kind = cells.of(grads)
    if kind is not None:
        make = kind.PARAMS
    elif isinstance(grads, tuple) and not hasattr(grads, "_fields") and len(grads) == 3:
        make = Params
    else:
        raise TypeError("grads must be a cell's gradients (Params, GRUParams, ...) or a tuple "
                        "of three arrays")
    norm = global_norm(grads)
    if not np.isfinite(norm):
        raise ValueError("grads contain NaN or infinite values; clipping cannot rescale them")
    factor = threshold / norm if norm >= threshold else 1.0
    return make(*(np.asarray(g) * factor for g in grads))


# ------------------------------------------------------------------------------ settings
# bptt_book/conf/vanishing.toml: the figures and runs of chapters 5 and 6 (table -> key ->
# rule, see bptt_book.config).  `scale` is sigma_max(W) in units of 1/gamma; `model` names a
# table of bptt_book/conf/models.toml.
_MEASURED = {
    "model": (config.text, True),
    "seed": (config.integer(0), True),
    "scales": (config.positives, True),
}

#: The tables of ``vanishing.toml``, read by :func:`bptt_book.config.load`.
SETTINGS = {"vanishing": {
    "jacobian_norms": {**_MEASURED, "length": (config.integer(2), True),
                       "activations": (config.ACTIVATION_NAMES, True)},
    "contributions": {**_MEASURED, "length": (config.integer(2), True),
                      "activation": (config.ACTIVATION, True)},
    "gradient_growth": {**_MEASURED, "lengths": (config.integers(1), True),
                        "activation": (config.ACTIVATION, True)},
    "clipping": {
        "word_dim": (config.integer(2), True),
        "hidden_dim": (config.integer(1), True),
        "pattern": (config.integer(1), True),
        "length": (config.integer(2), True),
        "seed": (config.integer(0), True),
        "scale": (config.positive, True),
        "learning_rate": (config.positive, True),
        "steps": (config.integer(1), True),
        "threshold": (config.positive, True),
        "thresholds": (config.positives, True),
        "activation": (config.ACTIVATION, True),
    },
    "powers": {
        "model": (config.text, True),
        "max_distance": (config.integer(1), True),
        "nonnormal_size": (config.integer(2), True),
        "diagonal": (config.positive, True),
    },
    "init_spectra": {
        "hidden_dims": (config.integers(2), True),
        "seeds": (config.integer(1), True),
    },
    "relu_tanh": {
        "inits": (config.names(("tutorial", "orthogonal", "identity")), True),
        "activations": (config.ACTIVATION_NAMES, True),
    },
    "overflow": {
        "model": (config.text, True),
        "word_dim": (config.integer(2), True),
        "seed": (config.integer(0), True),
        "scales": (config.positives, True),
        "lengths": (config.integers(1), True),
        "dtypes": (config.names(("float16", "float32", "float64")), True),
    },
    "frozen": {
        "length": (config.integer(2), True),
        "scale": (config.positive, True),
        "learning_rate": (config.positive, True),
        "steps": (config.integer(1), True),
        "other_seed": (config.integer(0), True),
    },
    "lyapunov": {
        "scales": (config.positives, True),
        "activations": (config.ACTIVATION_NAMES, True),
        "discard": (config.integer(0), True),
        "growth_lengths": (config.integers(2), True),
    },
    "latching": {
        "ws": (config.positives, True),
        "noises": (config.positives, True),
        "steps": (config.integer(1), True),
        "runs": (config.integer(1), True),
        "seed": (config.integer(0), True),
    },
}}
