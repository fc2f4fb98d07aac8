"""The model: parameters, the forward pass and the loss (NumPy only), for every cell.

The plain RNN is ``s_t = f(U x_t + W s_{t-1})`` with ``s_{-1} = 0``; a gated cell (GRU,
LSTM) replaces ``f`` by its gates.  Every cell ends in the same output layer
``yhat_t = softmax(V s_t)``, and the loss of a sequence is ``E = sum_t -log yhat_t[y_t]``.
``x_t`` is a one-hot word, so ``U x_t`` is the column ``U[:, x_t]``.  Each cell's recurrence
is the ``forward`` function of its module in :mod:`bptt_book.generated`, printed from the same
SymPy description its gradients are derived from.
"""

import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import _checks, cells
from .cells import CellParams
from .generated.gru import GRUParams
from .generated.lstm import LSTMParams
from .generated.rnn import Params

__all__ = ["GRUParams", "LSTMParams", "Params", "forward", "init_params", "loss", "prepare",
           "softmax"]


def init_params(word_dim: int, hidden_dim: int, *, cell: str | ModuleType = "rnn",
                seed: int | None = None) -> CellParams:
    """Weights for a network of ``word_dim`` words and ``hidden_dim`` hidden units.

    ``cell="rnn"`` is the tutorial's network with the tutorial's initialisation: U uniform in
    ±1/√D, V and W in ±1/√H, drawn in the order U, V, W.  A gated cell (``"gru"``,
    ``"lstm"``, or a cell module made by
    :func:`~bptt_book.derivation.generate.compile_cell`) starts as PyTorch starts
    ``nn.GRU``/``nn.LSTM``: U, W, b_U and b_W uniform in ±1/√H, with the output layer V as the
    RNN's, drawn in the order U, V, W, b_U, b_W.  Everything is float64, drawn from
    ``numpy.random.default_rng(seed)``.

    >>> import bptt_book as bb
    >>> p = bb.init_params(8000, 100, seed=0)
    >>> p.U.shape, p.V.shape, p.W.shape
    ((100, 8000), (8000, 100), (100, 100))
    >>> bool(abs(p.U).max() <= 1 / 8000 ** 0.5)
    True
    >>> g = bb.init_params(10, 4, cell="lstm", seed=0)
    >>> type(g).__name__, g.U.shape, g.W.shape, g.bU.shape
    ('LSTMParams', (16, 10), (16, 4), (16,))

    Raises
    ------
    TypeError
        ``word_dim`` or ``hidden_dim`` is not an integer, ``seed`` is neither None nor an
        integer, or ``cell`` is neither a name nor a cell module.
    ValueError
        A size is below 1, ``seed`` is negative, or ``cell`` names no known cell.
    """
    D = _checks.size(word_dim, "word_dim")
    H = _checks.size(hidden_dim, "hidden_dim")
    module = cells.by_name(cell)
    rng = np.random.default_rng(_checks.seed(seed))
    if module.NAME == "rnn":
        U = rng.uniform(-1 / np.sqrt(D), 1 / np.sqrt(D), (H, D))
        V = rng.uniform(-1 / np.sqrt(H), 1 / np.sqrt(H), (D, H))
        W = rng.uniform(-1 / np.sqrt(H), 1 / np.sqrt(H), (H, H))
        return Params(U, V, W)
    kH, bound = len(module.BLOCKS) * H, 1 / np.sqrt(H)
    shapes = {"U": (kH, D), "V": (D, H), "W": (kH, H), "bU": (kH,), "bW": (kH,)}
    return module.PARAMS(*(rng.uniform(-bound, bound, shapes[name])
                           for name in module.PARAMS._fields))


# ---------------------------------------------------------------------------- output layer


def logits(S: np.ndarray, V: np.ndarray) -> np.ndarray:
    """``o_t = V s_t`` for all steps at once: one matrix product, (..., T, D)."""
    lead = S.shape[:-1]
    return (S.reshape(-1, S.shape[-1]) @ V.T).reshape(*lead, V.shape[0])


#: Rows (time steps) handled at once wherever the package cuts work into blocks: the logits
#: of the output layer (at the tutorial's D = 8000, a 16 MB work array in float64, so memory
#: stays linear in T with a small constant), and the sequences scored together in training.
CHUNK = 256
_workspace = threading.local()


def _logits_buffer(rows: int, D: int, dtype: np.dtype) -> np.ndarray:
    """A (rows, D) work array, kept between calls (one per thread): a fresh multi-megabyte
    array on every call costs a page fault per 4 kB page, a sizeable share of a gradient."""
    buffer = getattr(_workspace, "logits", None)
    if buffer is None or buffer.dtype != dtype or buffer.shape[1] != D or len(buffer) < rows:
        buffer = _workspace.logits = np.empty((max(rows, 1), D), dtype)
    return buffer[:rows]


def output_chunks(S2: np.ndarray, V: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
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


def _shifted_exp(o: np.ndarray, top: np.ndarray,
                 out: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``exp(o - top)`` row by row, written to ``out`` (``out=o`` overwrites ``o``), and the
    row sums: the common part of the softmax and of the log-likelihood."""
    e = np.subtract(o, top, out=out)
    np.exp(e, out=e)
    return e, e.sum(axis=-1, keepdims=True)


def softmax(o: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis, computed after subtracting the row maximum (no overflow).

    ``out=o`` overwrites ``o``: the gradient does that on its own fresh logits to save two
    arrays of T × D numbers.

    >>> import numpy as np
    >>> from bptt_book.model import softmax
    >>> softmax(np.array([0.0, 1e4])).round(6).tolist()
    [0.0, 1.0]
    """
    e, total = _shifted_exp(o, o.max(axis=-1, keepdims=True), out)
    e /= total
    return e


def _row_max(o: np.ndarray, V: np.ndarray) -> np.ndarray:
    """The largest logit of every row; a ``ValueError`` that names the cause when one is
    not finite (it is cheap to test T numbers, and only the failure path looks further)."""
    top = o.max(axis=-1, keepdims=True)
    if not np.isfinite(top).all():
        if not np.isfinite(V).all():
            raise _checks.NonFinite("V contains NaN or infinite values")
        raise _checks.NonFinite("the logits V s_t overflowed: V or the hidden states are too "
                                "large for the floating-point type")
    return top


def _probabilities(o: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Softmax of the logits ``o`` (N, D) in place, after checking every row is finite."""
    e, total = _shifted_exp(o, _row_max(o, V), o)
    e /= total
    return e


def _log_likelihood(o: np.ndarray, y: np.ndarray, V: np.ndarray) -> float:
    """``sum_t log softmax(o_t)[y_t]``, overwriting the logits ``o`` (N, D) on the way."""
    top = _row_max(o, V)
    picked = o[np.arange(len(o)), y] - top[:, 0]
    _, total = _shifted_exp(o, top, o)
    return float((picked - np.log(total[:, 0])).sum())


# ------------------------------------------------------------------------------ arguments


class Prepared(NamedTuple):
    """Checked arguments, ready for computing: what :func:`prepare` returns."""

    cell: ModuleType  # the module of bptt_book.generated that runs these parameters
    params: CellParams  # the parameters, arrays of one floating dtype
    x: np.ndarray  # (B, T) token ids
    y: np.ndarray | None  # (B, T) labels, or None
    single: bool  # True when one 1-D sequence was given
    act: tuple | None  # (f, f') for a cell whose equations call f (the plain RNN), else None


def prepare(params: CellParams | tuple, x: ArrayLike, y: ArrayLike | None = None,
            activation: str | None = None) -> Prepared:
    """Check every argument, once; return a :class:`Prepared`.

    ``x`` and ``y`` come back as (B, T) arrays.  Only what the computation reads is tested
    for NaN and infinity: W, the biases, the columns of U the words select, and (later,
    through the logits) V.
    """
    cell, p = _checks.params(params)
    act = _checks.activation(activation, cell)
    D = p.U.shape[1]
    if y is None:
        x2, single = _checks.tokens(x, "x", D)
        y2 = None
    else:
        x2, y2, single = _checks.labels(x, y, D)
    _checks.finite_where_used(p, x2)
    return Prepared(cell, p, x2, y2, single, act)


def run(prepared: Prepared) -> tuple[Any, np.ndarray]:
    """The forward pass of checked arguments: ``(tape, S)``, the cell's tape (everything the
    backward pass reads) and the states ``S`` (B, T, H) that the output layer reads."""
    tape = prepared.cell.forward(prepared.params, prepared.x, prepared.act)
    return tape, getattr(tape, prepared.cell.STATES[0])


# ------------------------------------------------------------------------ forward and loss


def forward(params: CellParams | tuple, x: ArrayLike, *,
            activation: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Run the network over the token ids ``x``.

    Returns ``(s, o)``: ``s`` (T, H) holds the states s_0 … s_{T-1} that the output layer
    reads (h_t for the gated cells) and ``o`` (T, D) the softmax outputs ŷ_t (the tutorial's
    name ``o``; the book keeps ``o_t = V s_t`` for the logits).  A (B, T) batch of sequences
    gives (B, T, H) and (B, T, D).  ``activation`` is the plain RNN's f (None: tanh).

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
        ``params`` is not a cell's parameters; ``x`` does not hold integers; ``activation``
        is not a string.
    ValueError
        Shapes of the parameters do not fit together; ``x`` is empty, of the wrong rank, or
        has an id outside [0, D); W, a bias, a used column of U, or V holds NaN or infinity;
        an unknown ``activation``, or one given to a cell whose activations are fixed.
    """
    prepared = prepare(params, x, activation=activation)
    _, S = run(prepared)
    V = prepared.params.V
    with np.errstate(invalid="ignore", over="ignore"):  # _row_max reports these
        o = logits(S, V)
    _probabilities(o.reshape(-1, o.shape[-1]), V)
    return (S[0], o[0]) if prepared.single else (S, o)


def loss(params: CellParams | tuple, x: ArrayLike, y: ArrayLike, *,
         activation: str | None = None) -> float:
    """The summed cross-entropy ``sum_t -log yhat_t[y_t]`` (over a batch too), as a float.

    Computed with log-sum-exp, so large logits give a finite loss.  Raises what
    :func:`forward` raises, and ``ValueError`` when ``x`` and ``y`` differ in shape or a
    label is outside [0, D).  An untrained model predicts about uniformly, so its loss per
    word is near ``log D``:

    >>> import numpy as np
    >>> import bptt_book as bb
    >>> p = bb.init_params(8000, 100, seed=0)
    >>> x = np.arange(0, 50); y = np.arange(1, 51)
    >>> print(f"{bb.loss(p, x, y) / 50:.3f} vs log 8000 = {np.log(8000):.3f}")
    8.987 vs log 8000 = 8.987
    """
    return loss_of(prepare(params, x, y, activation))


def loss_of(prepared: Prepared) -> float:
    """The summed loss of checked arguments (a :class:`Prepared` with labels)."""
    _, S = run(prepared)
    if prepared.y is None:
        raise ValueError("the loss needs labels y")
    S2, y2, V = S.reshape(-1, S.shape[-1]), prepared.y.reshape(-1), prepared.params.V
    # 0.0 - ..., not -...: a loss of zero is 0.0, never -0.0.
    return 0.0 - sum(_log_likelihood(o, y2[rows], V) for rows, o in output_chunks(S2, V))
