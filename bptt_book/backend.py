"""Which target computes a gradient: the NumPy reference or the compiled (Numba) kernels.

Every built-in cell is printed twice from one derivation: as NumPy code
(``bptt_book/generated/<cell>.py``, the reference, always there) and as Numba kernels
(``bptt_book/generated/numba_<cell>.py``).  The compiled kernels compute the gradient of
:func:`bptt_book.bptt` (and so every training step) when Numba and SciPy are installed --
``pip install 'bptt_book[fast]'`` -- the exact one entirely, a truncated one up to the NumPy
module's truncated backward pass.  The NumPy code runs everything else: the loss, the forward
pass, the Jacobians, and a reader's own cells.  The two targets agree to rounding (the tests
hold them to ``rtol = 1e-9`` in float64).

The environment variable ``BPTT_BOOK_BACKEND`` chooses:

``auto`` (the default)
    the compiled kernels when ``numba`` and ``scipy`` can be imported, else NumPy;
``numpy``
    always the NumPy reference (nothing imports Numba);
``numba``
    always the compiled kernels where they exist; an error when Numba or SciPy is missing.

:func:`use` does the same for a block of code.  Numba is imported at the first gradient that
runs compiled, never by ``import bptt_book``; that first call in a process costs about a
second (Numba starting up, kernels loaded from its cache) and, the very first time on a
machine, several seconds per cell and precision while the kernels compile.

>>> from bptt_book import backend
>>> with backend.use("numpy"):
...     backend.active()
'numpy'
"""

import functools
import importlib.util
import math
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import numpy as np

from .cells import CellParams
from .generated import CELLS, layers
from .generated.activations import ACTIVATIONS
from .model import CHUNK, Prepared, _logits_buffer, _row_max

#: The environment variable that chooses the backend.
ENV = "BPTT_BOOK_BACKEND"
#: Its values (case and surrounding spaces do not matter; unset or empty means ``auto``).
CHOICES = ("auto", "numpy", "numba")

#: The most logits (T x D numbers) the compiled path holds at once (4 MB in float64), but
#: never fewer rows than the NumPy path's CHUNK.
LOGITS = 1 << 19

#: Scratch arrays (the tape, G, dA, dB, W^T) up to this many bytes each are kept between
#: calls, one set per thread: a fresh array of more than about 128 kB is new memory from the
#: system, and the first touch of each of its 4 kB pages costs a page fault.
KEEP = 1 << 25
_work = threading.local()

_forced: str | None = None  # set by use()
_broken: str | None = None  # why importing the compiled target failed under "auto"
_ACTIVATION_NAMES = {pair: name for name, pair in ACTIVATIONS.items()}


def _choice(value: object, where: str) -> str:
    if not isinstance(value, str) or value.strip().lower() not in CHOICES:
        raise ValueError(f"{where} must be one of {', '.join(CHOICES)}; got {value!r}")
    return value.strip().lower()


def requested() -> str:
    """What was asked for: :func:`use`'s choice inside its block, else ``$BPTT_BOOK_BACKEND``
    (``auto`` when unset or empty)."""
    if _forced is not None:
        return _forced
    value = os.environ.get(ENV, "") or "auto"
    return _choice(value, f"the environment variable {ENV}")


@functools.cache
def installed() -> bool:
    """True when ``numba`` and ``scipy`` are installed (found, not imported)."""
    return all(importlib.util.find_spec(name) is not None for name in ("numba", "scipy"))


def active() -> str:
    """``"numba"`` or ``"numpy"``: the target the exact gradient runs on now.

    ``ImportError`` when ``numba`` is requested and not installed."""
    choice = requested()
    if choice == "numpy":
        return "numpy"
    if not installed():
        if choice == "numba":
            raise ImportError(f"{ENV}=numba needs Numba and SciPy: "
                              "pip install 'bptt_book[fast]'")
        return "numpy"
    if choice == "auto" and _broken is not None:
        return "numpy"
    return "numba"


@contextmanager
def use(name: str) -> Iterator[None]:
    """Run a block with the backend ``name`` (``"auto"``, ``"numpy"`` or ``"numba"``),
    whatever ``$BPTT_BOOK_BACKEND`` says (for the whole process while the block runs)."""
    global _forced
    choice = _choice(name, "name")
    before, _forced = _forced, choice
    try:
        yield
    finally:
        _forced = before


# ------------------------------------------------------------------------ the compiled path


@functools.cache
def _modules(name: str) -> tuple[ModuleType, ModuleType] | None:
    """The generated kernels of the built-in cell ``name`` and the shared kernels, imported
    now (this is where Numba is imported); None for a cell without a compiled target."""
    from . import kernels
    from .generated import numba_cells

    module = numba_cells.CELLS.get(name)
    return None if module is None else (module, kernels)


def _load(name: str) -> tuple[ModuleType, ModuleType] | None:
    global _broken
    try:
        return _modules(name)
    except ImportError as error:  # a Numba that does not work with this NumPy, ...
        if requested() == "numba":
            raise
        _broken = f"{type(error).__name__}: {error}"
        warnings.warn(f"the compiled backend failed to load ({_broken}); computing with "
                      f"NumPy (set {ENV}=numpy to silence this)", RuntimeWarning, stacklevel=4)
        return None


#: The floating-point types the compiled kernels are built for; any other (half precision,
#: extended precision) computes on the NumPy reference.
_COMPILED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def gradient(prepared: Prepared, truncate: int | None = None) -> CellParams | None:
    """The gradient of checked arguments on the compiled target, or None when it does not
    apply (the NumPy backend is chosen, the cell has no compiled target, or the parameters'
    type is neither float32 nor float64).

    The exact gradient (``truncate`` None, or at least T - 1) runs entirely compiled.  A
    truncated one runs the compiled forward pass and output layer, then the NumPy module's
    truncated backward pass on the same values, so that the exact and the truncated gradient
    of V, which no truncation touches, stay identical on either target.
    """
    if active() != "numba" or prepared.y is None:
        return None
    if prepared.params.W.dtype not in _COMPILED_DTYPES:  # e.g. float16: NumPy only
        return None
    cell = prepared.cell
    if CELLS.get(cell.NAME) is not cell:  # a reader's own cell: NumPy only
        return None
    loaded = _load(cell.NAME)
    if loaded is None:
        return None
    compiled, shared = loaded
    act = None if prepared.act is None else _ACTIVATION_NAMES.get(prepared.act)
    if act not in compiled.KERNELS:
        return None
    forward, backward = compiled.KERNELS[act]
    if truncate is None or truncate >= prepared.x.shape[1] - 1:
        return _exact(prepared, compiled, shared, forward, backward)
    return _truncated(prepared, compiled, shared, forward, truncate)


def _scratch(slot: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised C-contiguous array for use within one gradient, from this thread's
    kept buffer ``slot`` when it is at most :data:`KEEP` bytes (never returned to the
    caller: the next gradient overwrites it)."""
    size = math.prod(shape)
    if size * dtype.itemsize > KEEP:
        return np.empty(shape, dtype)
    kept = _work.__dict__
    buffer = kept.get(slot)
    if buffer is None or buffer.dtype != dtype or buffer.size < size:
        buffer = kept[slot] = np.empty(max(size, 1), dtype)
    return buffer[:size].reshape(shape)


def _forward(prepared: Prepared, compiled: ModuleType, shared: ModuleType,
             forward: Any) -> tuple[dict[str, Any], list[np.ndarray], np.ndarray, np.ndarray]:
    """The compiled forward pass and output layer: the contiguous arguments of the kernels,
    the tape (time-major arrays (T, B, H), in the order of ``compiled.TAPE``), dV and the rows
    g_t (T * B, H)."""
    p = prepared.params
    x, y = prepared.x, prepared.y
    assert y is not None
    W = np.ascontiguousarray(p.W)
    dtype = W.dtype
    WT = _scratch("WT", W.T.shape, dtype)
    np.copyto(WT, W.T)
    args = {"U": np.ascontiguousarray(p.U), "W": W, "WT": WT,
            "xT": np.ascontiguousarray(x.T, dtype=np.intp)}
    biases = tuple(np.ascontiguousarray(getattr(p, name)) for name in ("bU", "bW")
                   if compiled.BIASES)
    (B, T), H = x.shape, W.shape[1]
    tape = [_scratch(f"tape {name}", (T, B, H), dtype) for name in compiled.TAPE]
    forward(args["U"], WT, *biases, args["xT"], *tape)
    dV, G = _output_layer(p.V, tape[0].reshape(T * B, H),
                          np.ascontiguousarray(y.T).reshape(-1), shared)
    return args, tape, dV, G


def _exact(prepared: Prepared, compiled: ModuleType, shared: ModuleType, forward: Any,
           backward: Any) -> CellParams:
    """Every kernel, then the products every cell shares.

    The arrays are time-major (T, B, ...), so the rows of a step of the whole batch are
    contiguous; the parameter gradients are the same products as
    :func:`bptt_book.generated.layers.projection_gradients`: ``dW = sum_t dB_t h_(t-1)^T``
    (one matrix product over the steps after the first), ``dU`` the scatter of ``dA`` into
    the columns of the words, and the biases the sums of ``dA`` and ``dB``.
    """
    args, tape, dV, G = _forward(prepared, compiled, shared, forward)
    U, W, xT = args["U"], args["W"], args["xT"]
    (kH, D), H = U.shape, W.shape[1]
    T, B = xT.shape
    dB = _scratch("dB", (T, B, kH), W.dtype)
    dA = _scratch("dA", (T, B, kH), W.dtype) if compiled.SEPARATE_DA else dB
    backward(W, args["WT"], G.reshape(T, B, H), *tape,
             *((dA,) if compiled.SEPARATE_DA else ()), dB)
    S = tape[0]
    dW = dB[1:].reshape(-1, kH).T @ S[:-1].reshape(-1, H)
    dUT = np.zeros((D, kH), W.dtype)
    shared.scatter_rows(dUT, xT, dA)
    grads = [dUT.T, dV, dW]
    if compiled.BIASES:
        grads += [dA.reshape(-1, kH).sum(axis=0), dB.reshape(-1, kH).sum(axis=0)]
    return prepared.cell.PARAMS(*grads)


def _truncated(prepared: Prepared, compiled: ModuleType, shared: ModuleType, forward: Any,
               truncate: int) -> CellParams | None:
    """The compiled forward pass and output layer, then the NumPy module's truncated
    backward pass and projection gradients on the same values (viewed batch-major)."""
    cell = prepared.cell
    args, tape, dV, G = _forward(prepared, compiled, shared, forward)
    T, B = args["xT"].shape
    values = {name: a.transpose(1, 0, 2) for name, a in zip(compiled.TAPE, tape, strict=True)}
    for state in cell.STATES:
        values[f"{state}_prev"] = layers.previous_states(values[state])
    if set(values) != set(cell.Tape._fields):  # the two targets keep different values
        return None
    p = prepared.params
    numpy_tape = cell.Tape(**values)
    dA, dB = cell.backward(p, numpy_tape, G.reshape(T, B, -1).transpose(1, 0, 2), truncate,
                           prepared.act)
    S_prev = values[f"{cell.STATES[0]}_prev"]
    grads = layers.projection_gradients(p.U, prepared.x, S_prev, dA, dB, cell.BIASES)
    return cell.PARAMS(grads[0], dV, grads[1], *grads[2:])


def _output_layer(V: np.ndarray, S2: np.ndarray, y2: np.ndarray,
                  shared: ModuleType) -> tuple[np.ndarray, np.ndarray]:
    """dV and the rows g_t of ``V^T (yhat_t - y_t)``, block by block as on the NumPy path
    (:func:`bptt_book.generated.layers.output_layer`): the logits ``S V^T``, their row maxima
    from NumPy (with its check that every one is finite), then one compiled pass per row for
    ``softmax - onehot(y)``, and the two products ``dV = (S^T Do)^T`` and ``G = Do V``.

    A block holds up to :data:`LOGITS` numbers (at least :data:`~bptt_book.model.CHUNK`
    rows), so at a small vocabulary one block covers a long sequence.
    """
    N, D = S2.shape[0], V.shape[0]
    G = _scratch("G", S2.shape, S2.dtype)
    dV: np.ndarray | None = None
    step = max(CHUNK, LOGITS // D)
    with np.errstate(invalid="ignore", over="ignore"):  # _row_max reports these
        for start in range(0, N, step):
            rows = slice(start, min(start + step, N))
            o = _logits_buffer(rows.stop - start, D, S2.dtype)
            np.matmul(S2[rows], V.T, out=o)
            top = o.max(axis=1)
            if not np.isfinite(top).all():
                _row_max(o, V)  # raises, naming the cause
            shared.softmax_minus_onehot(o, top, y2[rows])
            part = (S2[rows].T @ o).T
            if dV is None:
                dV = part
            else:
                dV += part
            np.matmul(o, V, out=G[rows])
    assert dV is not None
    return dV, G
