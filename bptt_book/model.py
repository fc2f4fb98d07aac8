"""The model: parameters, the forward pass and the loss (NumPy only).

``s_t = f(U x_t + W s_{t-1})`` with ``s_{-1} = 0`` and ``yhat_t = softmax(V s_t)``; the loss
of a sequence is ``E = sum_t -log yhat_t[y_t]``.  ``x_t`` is a one-hot word, so ``U x_t`` is
the column ``U[:, x_t]``.  The recurrence itself is :func:`bptt_book.generated.hidden_states`,
printed from the same SymPy model the gradients are derived from.
"""

import threading
from typing import NamedTuple

import numpy as np

from . import _checks, generated


class Params(NamedTuple):
    """The weights of the network, or gradients with the same shapes.

    ``U`` (H, D) maps a word to the hidden layer, ``V`` (D, H) maps the state to the output
    logits and ``W`` (H, H) carries the state from one step to the next.

    >>> import numpy as np
    >>> from bptt_book import Params
    >>> p = Params(U=np.zeros((2, 5)), V=np.zeros((5, 2)), W=np.eye(2))
    >>> U, V, W = p
    >>> W.shape
    (2, 2)
    """

    U: np.ndarray
    V: np.ndarray
    W: np.ndarray


def init_params(word_dim, hidden_dim, *, seed=None):
    """The tutorial's initialisation: uniform in ±1/√D for U and ±1/√H for V and W.

    Drawn in the order U, V, W from ``numpy.random.default_rng(seed)``, in float64.

    >>> import bptt_book as bb
    >>> p = bb.init_params(8000, 100, seed=0)
    >>> p.U.shape, p.V.shape, p.W.shape
    ((100, 8000), (8000, 100), (100, 100))
    >>> bool(abs(p.U).max() <= 1 / 8000 ** 0.5)
    True

    Raises
    ------
    TypeError
        ``word_dim`` or ``hidden_dim`` is not an integer, or ``seed`` is neither None nor
        an integer.
    ValueError
        A size is below 1, or ``seed`` is negative.
    """
    D = _checks.size(word_dim, "word_dim")
    H = _checks.size(hidden_dim, "hidden_dim")
    rng = np.random.default_rng(_checks.seed(seed))
    U = rng.uniform(-1 / np.sqrt(D), 1 / np.sqrt(D), (H, D))
    V = rng.uniform(-1 / np.sqrt(H), 1 / np.sqrt(H), (D, H))
    W = rng.uniform(-1 / np.sqrt(H), 1 / np.sqrt(H), (H, H))
    return Params(U, V, W)


def logits(S, V):
    """``o_t = V s_t`` for all steps at once: one matrix product, (..., T, D)."""
    lead = S.shape[:-1]
    return (S.reshape(-1, S.shape[-1]) @ V.T).reshape(*lead, V.shape[0])


#: Rows (time steps) whose T x D logits are formed at once.  It bounds the work array (at the
#: tutorial's D = 8000, 16 MB in float64), so memory stays linear in T with a small constant.
CHUNK = 256
_workspace = threading.local()


def _logits_buffer(rows, D, dtype):
    """A (rows, D) work array, kept between calls (one per thread): a fresh multi-megabyte
    array on every call costs a page fault per 4 kB page, a sizeable share of a gradient."""
    buffer = getattr(_workspace, "logits", None)
    if buffer is None or buffer.dtype != dtype or buffer.shape[1] != D or len(buffer) < rows:
        buffer = _workspace.logits = np.empty((max(rows, 1), D), dtype)
    return buffer[:rows]


def output_chunks(S2, V):
    """Yield ``(rows, o)``: the logits ``o`` of the states ``S2[rows]``, chunk by chunk.

    ``o`` lives in a reused work array; use it before asking for the next chunk.
    """
    N, D = len(S2), V.shape[0]
    for start in range(0, N, CHUNK):
        rows = slice(start, min(start + CHUNK, N))
        o = _logits_buffer(rows.stop - start, D, S2.dtype)
        with np.errstate(invalid="ignore", over="ignore"):  # _row_max reports these
            np.matmul(S2[rows], V.T, out=o)
        yield rows, o


def softmax(o, *, out=None):
    """Softmax over the last axis, computed after subtracting the row maximum (no overflow).

    ``out=o`` overwrites ``o``: the gradient uses that on its own fresh logits to save
    two arrays of T × D numbers.

    >>> import numpy as np
    >>> from bptt_book.model import softmax
    >>> softmax(np.array([0.0, 1e4])).round(6).tolist()
    [0.0, 1.0]
    """
    e = np.subtract(o, o.max(axis=-1, keepdims=True), out=out)
    np.exp(e, out=e)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _row_max(o, V):
    """The largest logit of every row; a ``ValueError`` that names the cause when one is
    not finite (it is cheap to test T numbers, and only the failure path looks further)."""
    top = o.max(axis=-1, keepdims=True)
    if not np.isfinite(top).all():
        if not np.isfinite(V).all():
            raise _checks.NonFinite("V contains NaN or infinite values")
        raise _checks.NonFinite("the logits V s_t overflowed: V or the hidden states are too "
                                "large for the floating-point type")
    return top


def _probabilities(o, V):
    """Softmax of the logits ``o`` (N, D) in place, after checking every row is finite."""
    np.subtract(o, _row_max(o, V), out=o)
    np.exp(o, out=o)
    o /= o.sum(axis=-1, keepdims=True)
    return o


def _log_likelihood(o, y, V):
    """``sum_t log softmax(o_t)[y_t]``, overwriting the logits ``o`` (N, D) on the way."""
    top = _row_max(o, V)
    picked = o[np.arange(len(o)), y] - top[:, 0]
    np.subtract(o, top, out=o)
    np.exp(o, out=o)
    return float((picked - np.log(o.sum(axis=-1))).sum())


def prepare(params, x, y=None, activation="tanh"):
    """Check every argument; return ``(params, x, y, single, f, f')`` ready for computing.

    ``x`` and ``y`` come back as (B, T) arrays (``single`` says a 1-D sequence was given).
    Only what the computation reads is tested for NaN and infinity: W, the columns of U the
    words select, and (later, through the logits) V.
    """
    p = _checks.params(params)
    f, fprime = _checks.activation(activation)
    D = p.U.shape[1]
    if y is None:
        x2, single = _checks.tokens(x, "x", D)
        y2 = None
    else:
        x2, y2, single = _checks.labels(x, y, D)
    _checks.finite_where_used(p, x2)
    return p, x2, y2, single, f, fprime


def forward(params, x, *, activation="tanh"):
    """Run the network over the token ids ``x``.

    Returns ``(s, o)``: ``s`` (T, H) holds s_0 … s_{T-1} and ``o`` (T, D) the softmax
    outputs ŷ_t (the tutorial's name ``o``; the book keeps ``o_t = V s_t`` for the logits).
    A (B, T) batch of sequences gives (B, T, H) and (B, T, D).

    >>> import numpy as np
    >>> import bptt_book as bb
    >>> p = bb.init_params(10, 4, seed=1)
    >>> s, o = bb.forward(p, [3, 1, 4, 1])
    >>> s.shape, o.shape
    ((4, 4), (4, 10))
    >>> np.allclose(o.sum(axis=1), 1)
    True

    Raises
    ------
    TypeError
        ``params`` is not three real arrays; ``x`` does not hold integers; ``activation``
        is not a string.
    ValueError
        Shapes of U, V, W do not fit together; ``x`` is empty, of the wrong rank, or has an
        id outside [0, D); W, a used column of U, or V holds NaN or infinity; an unknown
        ``activation``.
    """
    p, x2, _, single, f, _ = prepare(params, x, activation=activation)
    S = generated.hidden_states(p.U, p.W, x2, f)
    with np.errstate(invalid="ignore", over="ignore"):  # _row_max reports these
        o = logits(S, p.V)
    _probabilities(o.reshape(-1, o.shape[-1]), p.V)
    return (S[0], o[0]) if single else (S, o)


def loss(params, x, y, *, activation="tanh"):
    """The summed cross-entropy ``sum_t -log yhat_t[y_t]`` (over a batch too), as a float.

    Computed with log-sum-exp, so large logits give a finite loss.  Raises what
    :func:`forward` raises, and ``ValueError`` when ``x`` and ``y`` differ in shape or a
    label is outside [0, D).  An untrained model
    predicts about uniformly, so its loss per word is near ``log D``:

    >>> import numpy as np
    >>> import bptt_book as bb
    >>> p = bb.init_params(8000, 100, seed=0)
    >>> x = np.arange(0, 50); y = np.arange(1, 51)
    >>> print(f"{bb.loss(p, x, y) / 50:.3f} vs log 8000 = {np.log(8000):.3f}")
    8.987 vs log 8000 = 8.987
    """
    p, x2, y2, _, f, _ = prepare(params, x, y, activation)
    S = generated.hidden_states(p.U, p.W, x2, f).reshape(-1, p.U.shape[0])
    y2 = y2.reshape(-1)
    # 0.0 - ..., not -...: a loss of zero is 0.0, never -0.0.
    return 0.0 - sum(_log_likelihood(o, y2[rows], p.V) for rows, o in output_chunks(S, p.V))
