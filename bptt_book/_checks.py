"""Argument checks shared by the public functions.

Every check names the argument and says what was expected.  They look only at what the
computation touches (shapes, dtypes, the range of the token ids, the finiteness of W and of
the columns of U the words use), so they cost O(T H + H^2), never O(T D).  Checked arrays
are never modified: callers get fresh arrays or read-only use.
"""

import numbers
import reprlib

import numpy as np

from . import cells
from .generated.activations import ACTIVATIONS


def activation(name, cell):
    """The ``(f, f')`` pair for ``name`` when ``cell``'s equations call the activation ``f``
    (``None`` means tanh), and None for a cell whose activations are fixed (``name`` must
    then be None); ``TypeError``/``ValueError`` for anything else."""
    if not cell.PLUGGABLE:
        if name is not None:
            raise ValueError(f"activation applies to cells whose equations call f (the plain "
                             f"RNN); the {cell.NAME} cell's activations are fixed by its "
                             f"equations, so leave activation=None; got {name!r}")
        return None
    if name is None:
        name = "tanh"
    if not isinstance(name, str):
        raise TypeError(f"activation must be a string, one of {sorted(ACTIVATIONS)}; "
                        f"got {type(name).__name__}")
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}; got {name!r}"
        ) from None


#: dtype kinds: floating, and what np.issubdtype(..., np.integer) accepts (timedelta too).
#: Comparing kinds costs a tenth of np.issubdtype, and the checks run on every gradient.
_FLOATING, _INTEGER = "f", "ium"


def real_array(value, name):
    """``value`` as an array of real numbers (floating or integer, not bool or complex)."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise TypeError(f"{name} must be a real floating-point array ({error})") from None
    if array.dtype.kind not in _FLOATING + _INTEGER:
        raise TypeError(f"{name} must be a real floating-point array; got dtype {array.dtype}")
    return array


def real_matrix(value, name):
    """``value`` as a 2-D array of real numbers."""
    array = real_array(value, name)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array; got shape {array.shape}")
    return array


def real_vector(value, name):
    """``value`` as a 1-D array of real numbers."""
    array = real_array(value, name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array; got shape {array.shape}")
    return array


def params(value):
    """Check a cell's parameters; return ``(cell module, parameters)``, the arrays converted
    to one floating dtype.

    The cell is found from the type of ``value`` (:mod:`bptt_book.cells`); a plain tuple of
    three arrays is the tutorial's network (U, V, W).  With k row blocks, U must be (kH, D),
    V (D, H), W (kH, H) and the biases (kH,), with H, D >= 1.  Integer arrays are promoted to
    float64; float32 stays float32, float16 becomes float32 (mixed precisions use the widest).
    """
    cell = cells.of(value)
    if cell is None:
        if isinstance(value, tuple) and not hasattr(value, "_fields") and len(value) == 3:
            cell = cells.by_name("rnn")
        else:
            raise TypeError("params must be a Params (U, V, W), GRUParams, LSTMParams (or "
                            "another cell's parameters), or a tuple of three arrays; "
                            f"got {type(value).__name__}")
    fields = cell.PARAMS._fields
    arrays = [real_matrix(a, n) if n in ("U", "V", "W") else real_vector(a, n)
              for a, n in zip(value, fields, strict=True)]
    U, V, W = arrays[:3]
    k = len(cell.BLOCKS)
    rows, D = U.shape
    H = rows // k
    if rows < 1 or D < 1 or rows % k:
        shape = "(H, D) with H, D >= 1" if k == 1 else f"({k}H, D) with H, D >= 1 ({k} blocks)"
        raise ValueError(f"U must be {shape}; got shape {U.shape}")
    if V.shape != (D, H):
        raise ValueError(f"V must have shape (D, H) = {(D, H)} to fit U {U.shape}; got {V.shape}")
    if W.shape != (rows, H):
        want = "(H, H)" if k == 1 else f"({k}H, H)"
        raise ValueError(f"W must have shape {want} = {(rows, H)} to fit U {U.shape}; "
                         f"got {W.shape}")
    for name, b in zip(fields[3:], arrays[3:], strict=True):
        if b.shape != (rows,):
            raise ValueError(f"{name} must have shape ({k}H,) = {(rows,)} to fit U {U.shape}; "
                             f"got {b.shape}")
    dtype = np.result_type(*(a.dtype for a in arrays), np.float32)
    if dtype.kind not in _FLOATING:  # integers only
        dtype = np.float64
    return cell, cell.PARAMS(*(a.astype(dtype, copy=False) for a in arrays))


class NonFinite(ValueError):
    """NaN or infinity where the computation reads: in a parameter, or in the logits.

    A ``ValueError`` like every other bad value; training catches this one alone, since it
    is how diverging weights show up."""


def finite_where_used(p, x):
    """``ValueError`` when W, a bias, or a column of U that the token ids ``x`` select holds
    NaN or infinity.  (V is checked through the logits, which use every row of it.)"""
    if not np.isfinite(p.W).all():
        raise NonFinite("W contains NaN or infinite values")
    D = p.U.shape[1]
    # Either way the gathered columns are at most D of them, so the check needs no T x H
    # memory on a long sequence.
    if x.size > D:  # more steps than words: look at each used column once
        used = p.U[:, np.bincount(x.reshape(-1), minlength=D).astype(bool)]
    else:
        used = p.U.T[x]
    if not np.isfinite(used).all():
        raise NonFinite("U contains NaN or infinite values in the columns of the words in x")
    for name, b in zip(p._fields[3:], p[3:], strict=True):
        if not np.isfinite(b).all():
            raise NonFinite(f"{name} contains NaN or infinite values")


def finite_params(p):
    """Raise ``ValueError`` naming the first parameter with a NaN or infinity."""
    for name, a in zip(p._fields, p, strict=True):
        if not np.isfinite(a).all():
            raise NonFinite(f"{name} contains NaN or infinite values")


def _holds_bool(value):
    if isinstance(value, bool | np.bool_):
        return True
    return isinstance(value, list | tuple) and any(map(_holds_bool, value))


def no_booleans(value, name):
    """``TypeError`` when a (nested) list or tuple of token ids holds a boolean, which NumPy
    would turn into 0 or 1 beside an integer (``[True, 2]`` becomes ``[1, 2]``).  O(T), and
    only for inputs that are not arrays yet; returns ``value``."""
    if not isinstance(value, np.ndarray) and _holds_bool(value):
        raise TypeError(f"{name} must hold integer token ids, not booleans; "
                        f"got {reprlib.repr(value)}")
    return value


def tokens(value, name, D):
    """Token ids as a (B, T) intp array and whether a 1-D sequence was given."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged nesting and the like
        raise ValueError(f"{name} must be a 1-D sequence or a (B, T) batch of token ids; "
                         f"NumPy cannot make an array of it ({error})") from None
    if array.dtype == object:
        raise TypeError(f"{name} must hold integer token ids; got {type(value).__name__}")
    if array.ndim not in (1, 2):
        raise ValueError(f"{name} must be a 1-D sequence or a (B, T) batch; "
                         f"got shape {array.shape}")
    if array.size == 0:  # before the dtype: np.asarray([]) is a float array
        raise ValueError(f"{name} must not be empty; got shape {array.shape}")
    if array.dtype.kind not in _INTEGER:
        raise TypeError(f"{name} must hold integer token ids; got dtype {array.dtype}")
    no_booleans(value, name)
    low, high = array.min(), array.max()
    if low < 0 or high >= D:
        bad = low if low < 0 else high
        raise ValueError(f"{name} holds token id {bad}, outside [0, D) = [0, {D})")
    single = array.ndim == 1
    return array.reshape(1, -1).astype(np.intp, copy=False) if single else \
        array.astype(np.intp, copy=False), single


def labels(x_value, y_value, D):
    """Check inputs ``x`` and labels ``y`` together: same shape, ids in [0, D)."""
    x, single = tokens(x_value, "x", D)
    y, _ = tokens(y_value, "y", D)
    if np.shape(x_value) != np.shape(y_value):
        raise ValueError(f"x and y must have the same shape; got {np.shape(x_value)} "
                         f"and {np.shape(y_value)}")
    return x, y, single


def _whole(value, name, low, what, allow_none=False):
    """An integer >= ``low`` (or None when ``allow_none``); the messages say ``what``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {what}; got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be {what}; got {value}")
    return int(value)


def truncate(value):
    """``None`` or a non-negative integer."""
    return _whole(value, "truncate", 0, "None or a non-negative integer", allow_none=True)


def checkpoint(value, truncate):
    """None (store every state) for ``False``; ``True`` or a positive integer (steps between
    stored states) otherwise, which only exact BPTT (``truncate=None``) takes."""
    if value is False:
        return None
    if value is not True:
        _whole(value, "checkpoint", 1, "True, False or a positive integer (steps between "
               "stored states)")
    if truncate is not None:
        raise ValueError("checkpoint applies to exact BPTT only: leave truncate=None (a "
                         f"truncated gradient stores little anyway); got truncate={truncate}")
    return value


def seed(value):
    """None or a non-negative integer seed for ``numpy.random.default_rng``."""
    return _whole(value, "seed", 0, "None or a non-negative integer", allow_none=True)


def size(value, name):
    """A positive integer size (``word_dim``, ``hidden_dim``)."""
    return _whole(value, name, 1, "a positive integer")


def _real(value, name, kind, ok):
    """A finite real number that passes ``ok``; the messages say ``kind`` ("positive")."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a {kind} number; got {value!r}")
    if not (np.isfinite(value) and ok(value)):
        raise ValueError(f"{name} must be a {kind} finite number; got {value}")
    return float(value)


def positive_number(value, name):
    """A finite number > 0 (a step size, a threshold)."""
    return _real(value, name, "positive", lambda v: v > 0)


def non_negative_number(value, name):
    """A finite number >= 0 (a weight that may be switched off with 0)."""
    return _real(value, name, "non-negative", lambda v: v >= 0)
