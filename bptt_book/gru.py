"""A gated recurrent unit (GRU) in NumPy: its states and its step Jacobians.

The GRU of Cho et al. (2014), in the book's names (U acts on the input word, W on the
state; ``*`` is elementwise)::

    z_t = sigmoid(U_z x_t + W_z s_{t-1} + b_z)          update gate
    r_t = sigmoid(U_r x_t + W_r s_{t-1} + b_r)          reset gate
    h_t = tanh(U_h x_t + W_h (r_t * s_{t-1}) + b_h)     candidate state
    s_t = z_t * s_{t-1} + (1 - z_t) * h_t

with ``s_{-1} = 0``.  The step Jacobian :func:`step_jacobians` is the closed form that
:mod:`bptt_book.derivation.gru` proves equal to SymPy's Jacobian of the step; it is written
out by hand here and compared with SymPy and with finite differences in the tests.  This
module is the preview of gating in chapter 7: it runs the GRU forward and measures
``||ds_t/ds_k||``; it does not train it.

>>> import numpy as np
>>> from bptt_book import gru
>>> p = gru.init_gru(10, 4, seed=0)
>>> states = gru.forward(p, [1, 2, 3])
>>> states.s.shape, bool(((0 < states.z) & (states.z < 1)).all())
((3, 4), True)
"""

from typing import NamedTuple

import numpy as np

from . import _checks
from .generated import f_sigmoid
from .vanishing import JacobianNorms


class GRUParams(NamedTuple):
    """The weights of a GRU: input weights U (H, D), recurrent W (H, H), biases b (H,)."""

    U_z: np.ndarray
    W_z: np.ndarray
    b_z: np.ndarray
    U_r: np.ndarray
    W_r: np.ndarray
    b_r: np.ndarray
    U_h: np.ndarray
    W_h: np.ndarray
    b_h: np.ndarray


class GRUStates(NamedTuple):
    """Everything one pass computes, each (T, H): the states and the gates behind them."""

    s: np.ndarray  # s_t
    z: np.ndarray  # update gates
    r: np.ndarray  # reset gates
    h: np.ndarray  # candidate states
    s_prev: np.ndarray  # s_{t-1}, with s_{-1} = 0


def init_gru(word_dim, hidden_dim, *, update_bias=0.0, seed=None):
    """A GRU drawn like the tutorial's RNN: every U uniform in ±1/√D, every W in ±1/√H.

    The biases are zero except ``b_z = update_bias``: a positive value opens the update gate
    (``z_t`` near 1), so that the state is mostly carried over -- the GRU's counterpart of
    the large forget-gate bias often given to an LSTM.  Drawn in the order
    U_z, W_z, U_r, W_r, U_h, W_h from ``numpy.random.default_rng(seed)``.
    """
    D = _checks.size(word_dim, "word_dim")
    H = _checks.size(hidden_dim, "hidden_dim")
    if isinstance(update_bias, bool) or not isinstance(update_bias, (int, float)):
        raise TypeError(f"update_bias must be a number; got {update_bias!r}")
    if not np.isfinite(update_bias):
        raise ValueError(f"update_bias must be a finite number; got {update_bias!r}")
    rng = np.random.default_rng(_checks.seed(seed))
    weights = []
    for _ in "zrh":
        weights.append(rng.uniform(-1 / np.sqrt(D), 1 / np.sqrt(D), (H, D)))
        weights.append(rng.uniform(-1 / np.sqrt(H), 1 / np.sqrt(H), (H, H)))
    U_z, W_z, U_r, W_r, U_h, W_h = weights
    zero = np.zeros(H)
    return GRUParams(U_z, W_z, np.full(H, float(update_bias)), U_r, W_r, zero.copy(),
                     U_h, W_h, zero.copy())


def _checked(params):
    """``params`` as float :class:`GRUParams`, every shape and value checked."""
    if not isinstance(params, tuple) or len(params) != len(GRUParams._fields):
        raise TypeError(f"params must be a GRUParams of {len(GRUParams._fields)} arrays")
    arrays = {}
    for name, value in zip(GRUParams._fields, params, strict=True):
        a = _checks.real_array(value, name).astype(float)
        if not np.isfinite(a).all():
            raise _checks.NonFinite(f"{name} contains NaN or infinite values")
        arrays[name] = a
    p = GRUParams(**arrays)
    if p.U_z.ndim != 2:
        raise ValueError(f"U_z must be (H, D); got shape {p.U_z.shape}")
    H, D = p.U_z.shape
    for name, a in arrays.items():
        want = {"U": (H, D), "W": (H, H), "b": (H,)}[name[0]]
        if a.shape != want:
            raise ValueError(f"{name} must have shape {want} to fit U_z {p.U_z.shape}; "
                             f"got {a.shape}")
    return p


def forward(params, x):
    """Run the GRU over the token ids ``x`` (one sequence); return :class:`GRUStates`."""
    p = _checked(params)
    H, D = p.U_z.shape
    x, single = _checks.tokens(x, "x", D)
    if not single:
        raise ValueError(f"x must be one 1-D sequence; got shape {x.shape}")
    x = x[0]
    T = len(x)
    out = {name: np.empty((T, H)) for name in GRUStates._fields}
    s = np.zeros(H)
    for t in range(T):
        w = x[t]
        z = f_sigmoid(p.U_z[:, w] + p.W_z @ s + p.b_z)
        r = f_sigmoid(p.U_r[:, w] + p.W_r @ s + p.b_r)
        h = np.tanh(p.U_h[:, w] + p.W_h @ (r * s) + p.b_h)
        out["s_prev"][t] = s
        s = z * s + (1 - z) * h
        out["s"][t], out["z"][t], out["r"][t], out["h"][t] = s, z, r, h
    return GRUStates(**out)


def step_jacobians(params, states):
    """``ds_t/ds_{t-1}`` for every step t, rows indexing ``s_t``: (T, H, H).

    The closed form proved by :func:`bptt_book.derivation.gru.derive`::

        diag(z) + diag((s_prev - h) z (1 - z)) W_z
                + diag((1 - z)(1 - h^2)) W_h (diag(r) + diag(s_prev r (1 - r)) W_r)
    """
    p = _checked(params)
    s0, z, r, h = states.s_prev, states.z, states.r, states.h
    through_r = r[:, :, None] * np.eye(len(p.b_z)) + (s0 * r * (1 - r))[:, :, None] * p.W_r
    J = ((s0 - h) * z * (1 - z))[:, :, None] * p.W_z
    J += ((1 - z) * (1 - h**2))[:, :, None] * (p.W_h @ through_r)
    J[:, np.arange(J.shape[1]), np.arange(J.shape[1])] += z
    return J


def jacobian_norms(params, x):
    """``||ds_t/ds_k||_2`` for the last step t and every ``k <= t``, by distance ``t - k``.

    Returned as a :class:`bptt_book.vanishing.JacobianNorms` whose ``bound`` is ``nan``: the
    GRU has no bound of the form ``(gamma sigma_max(W)) ** (t - k)``.

    >>> import numpy as np
    >>> from bptt_book import gru
    >>> p = gru.init_gru(10, 4, update_bias=3.0, seed=0)
    >>> r = gru.jacobian_norms(p, [1, 2, 3, 4, 5])
    >>> r.distance.tolist(), bool(r.norm[4] > 0.3)
    ([0, 1, 2, 3, 4], True)
    """
    states = forward(params, x)
    steps = step_jacobians(params, states)
    T, H, _ = steps.shape
    J = np.eye(H)
    norms = [1.0]
    for t in range(T - 1, 0, -1):  # ds_{T-1}/ds_{t-1} = ds_{T-1}/ds_t  ds_t/ds_{t-1}
        J = J @ steps[t]
        norms.append(float(np.linalg.norm(J, 2)))
    distance = np.arange(T)
    return JacobianNorms(distance, np.array(norms), np.full(T, np.nan))
