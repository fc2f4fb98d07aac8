"""The public gradient functions: :func:`bptt`, :func:`rtrl` and :func:`gradient_check`.

:func:`bptt` checks its arguments and strings together the functions of the generated
module :mod:`bptt_book.generated`, whose every right-hand side SymPy printed.  The output
layer is handled for all time steps at once (three matrix products); only the H-sized
recurrence runs step by step.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import _checks, backend, schemes
from . import checkpoint as checkpointing
from .cells import CellParams
from .generated import layers
from .model import Prepared, _probabilities, loss_of, output_chunks, prepare, run


def bptt(params: CellParams | tuple, x: ArrayLike, y: ArrayLike, *,
         truncate: int | None = None, scheme: str = "window",
         rng: np.random.Generator | int | None = None, checkpoint: bool | int = False,
         activation: str | None = None) -> CellParams:
    """Gradients of the summed loss ``sum_t -log yhat_t[y_t]`` with respect to every
    parameter of the network, for any cell (:class:`~bptt_book.Params` of the plain RNN,
    :class:`~bptt_book.GRUParams`, :class:`~bptt_book.LSTMParams`, ...).

    ``truncate=None`` gives the exact gradient.  ``truncate=K`` is the tutorial's truncated
    BPTT: the error of output ``t`` is carried back through steps ``t, t-1, ..., max(0, t-K)``
    and no further; with ``K >= T - 1`` nothing is cut and the result is exact.  ``scheme``
    chooses another way to truncate (:mod:`bptt_book.schemes`): ``"chunk"`` (chunks of K
    steps, the state carried across, the gradient stopped at every cut), ``"theano"`` (only
    the last K steps, as Theano's ``scan(truncate_gradient=K)``) or ``"random"`` (Tallec &
    Ollivier's unbiased randomized truncation, cuts K steps apart on average, drawn from
    ``rng``: a ``numpy.random.Generator``, which the draw advances, or an integer seed).
    ``checkpoint=True`` computes the exact gradient storing only every ceil(sqrt(T))-th state
    and recomputing the others (:mod:`bptt_book.checkpoint`); an integer sets the steps
    between stored states.  ``x`` and ``y`` may be (B, T) batches; the gradient is then that
    of the loss summed over the batch.  ``activation`` is the plain RNN's f (None: tanh).
    Returns the gradients as the same tuple type as ``params``, in the parameters' precision
    (float16 is computed and returned in float32; integers in float64).  Nothing passed in is
    modified.

    >>> import numpy as np
    >>> import bptt_book as bb
    >>> p = bb.init_params(100, 10, seed=10)
    >>> dU, dV, dW = bb.bptt(p, [0, 1, 2, 3], [1, 2, 3, 4])
    >>> dU.shape, dV.shape, dW.shape
    ((10, 100), (100, 10), (10, 10))

    Only the columns of U for the words that occur get a gradient:

    >>> np.flatnonzero(np.abs(dU).sum(axis=0)).tolist()
    [0, 1, 2, 3]

    A gated cell's gradient has the same fields as its parameters:

    >>> g = bb.bptt(bb.init_params(100, 10, cell="gru", seed=0), [0, 1, 2], [1, 2, 3])
    >>> type(g).__name__, g.U.shape, g.bW.shape
    ('GRUParams', (30, 100), (30,))

    Raises
    ------
    TypeError
        As :func:`~bptt_book.forward`; for a ``truncate`` that is not None or an integer
        (booleans included), a ``scheme`` that is not a string, ``scheme="random"`` without
        ``rng`` or an ``rng`` that is neither a Generator nor an integer, and a
        ``checkpoint`` that is neither a bool nor an integer.
    ValueError
        As :func:`~bptt_book.loss`; for a negative ``truncate``, an unknown ``scheme``, a
        scheme other than ``"window"`` without ``truncate`` or with one too small (``K >= 1``;
        ``K >= 2`` for ``"random"``), ``rng`` given to a scheme that draws nothing, and
        ``checkpoint`` below 1 or given together with a truncation.
    """
    K = _checks.truncate(truncate)
    scheme, K, generator = schemes.check(scheme, K, rng)
    segment = _checks.checkpoint(checkpoint, K)
    prepared = prepare(params, x, y, activation)
    if segment is not None:
        return checkpointing.gradients(
            prepared, checkpointing.segment_length(segment, prepared.x.shape[1]))
    return gradients_of(prepared, K, scheme=scheme, rng=generator)


def gradients_of(prepared: Prepared, truncate: int | None = None, *, scheme: str = "window",
                 rng: np.random.Generator | None = None) -> CellParams:
    """:func:`bptt` for checked arguments (a :class:`~bptt_book.model.Prepared`); ``rng`` is
    a ``numpy.random.Generator`` for ``scheme="random"``.

    A built-in cell runs on the compiled kernels when the backend chooses them
    (:mod:`bptt_book.backend`) and the scheme is the default window; everything else runs on
    the NumPy reference.
    """
    if prepared.y is None:
        raise ValueError("the gradient needs labels y")
    if scheme != "window" and truncate is not None:
        return schemes.gradients(prepared, scheme, truncate, rng)
    compiled = backend.gradient(prepared, truncate)
    if compiled is not None:
        return compiled
    cell, p = prepared.cell, prepared.params
    tape, S = run(prepared)
    dV, G = _output_layer(p.V, S, prepared.y)
    dA, dB = cell.backward(p, tape, G, truncate, prepared.act)
    S_prev = getattr(tape, f"{cell.STATES[0]}_prev")
    grads = layers.projection_gradients(p.U, prepared.x, S_prev, dA, dB, cell.BIASES)
    return cell.PARAMS(grads[0], dV, grads[1], *grads[2:])


def rtrl(params: CellParams | tuple, x: ArrayLike, y: ArrayLike, *,
         activation: str | None = None) -> CellParams:
    """The exact gradient of :func:`bptt`, by real-time recurrent learning (Williams & Zipser
    1989): forwards in time, carrying the sensitivity of every state to every parameter.

    Each step updates ``d state_t / d theta`` from ``d state_(t-1) / d theta`` by the forward
    sensitivity recursion that :mod:`bptt_book.derivation.rtrl` derives (the step Jacobian
    applied to the old sensitivity, plus the parameters' direct one-step derivative) and
    adds ``g_t^T d h_t / d theta`` to the gradient; no state of an earlier step is kept.  The
    price: the sensitivities hold ``S H P`` numbers per sequence (S states of H units, P
    entries of U, W and the biases), and a step costs about ``2 k H^2 P`` operations against
    BPTT's ``O(k H^2)``.  Fine for small networks and online learning; hopeless at the
    tutorial's D = 8000.  Same arguments and result as :func:`bptt` without truncation.

    >>> import numpy as np
    >>> import bptt_book as bb
    >>> p = bb.init_params(6, 3, seed=0)
    >>> x, y = [0, 1, 2, 3], [1, 2, 3, 4]
    >>> all(np.allclose(a, b, rtol=1e-12, atol=0)
    ...     for a, b in zip(bb.rtrl(p, x, y), bb.bptt(p, x, y)))
    True

    Raises
    ------
    TypeError, ValueError
        As :func:`~bptt_book.loss`.
    """
    return rtrl_of(prepare(params, x, y, activation))


def rtrl_of(prepared: Prepared) -> CellParams:
    """:func:`rtrl` for checked arguments (a :class:`~bptt_book.model.Prepared`)."""
    cell, p, y = prepared.cell, prepared.params, prepared.y
    if y is None:
        raise ValueError("the gradient needs labels y")
    V = p.V
    dV = np.zeros_like(V)

    def output(t: int, h: np.ndarray) -> np.ndarray:
        """The output layer of step t: adds its share to dV and returns g_t."""
        with np.errstate(invalid="ignore", over="ignore"):  # _probabilities reports these
            o = h @ V.T
        _, G = layers.output_layer(V, h, _probabilities(o, V), y[:, t], dV)
        return G

    grads = cell.rtrl(p, prepared.x, output, prepared.act)
    return cell.PARAMS(grads[0], dV, grads[1], *grads[2:])


def _output_layer(V: np.ndarray, S: np.ndarray,
                  y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dV and the rows g_t for all steps: the output layer in chunks of time steps, each
    chunk three matrix products (logits, dV, G) with its softmax in between."""
    B, T, H = S.shape
    S2, y2 = S.reshape(-1, H), y.reshape(-1)
    G = np.empty_like(S2)
    dV: np.ndarray | None = None
    for rows, o in output_chunks(S2, V):
        P = _probabilities(o, V)
        dV, G[rows] = layers.output_layer(V, S2[rows], P, y2[rows], dV)
    assert dV is not None  # S has at least one row
    return dV, G.reshape(B, T, H)


@dataclass(frozen=True)
class GradientCheck:
    """The outcome of :func:`gradient_check`, one entry per parameter name.

    ``max_error``: the largest relative error ``|a - n| / (|a| + |n|)`` between the analytic
    value ``a`` and the numerical one ``n``.  Entries where *both* are exactly zero agree
    exactly and count as error 0 (they are counted in ``both_zero``); an entry where only one
    of them is zero has error 1, the largest possible.  ``checked``: entries compared.
    """

    max_error: dict[str, float]
    checked: dict[str, int]
    both_zero: dict[str, int]
    threshold: float

    @property
    def passed(self) -> bool:
        """True when every parameter's largest error is at most ``threshold``."""
        return all(e <= self.threshold for e in self.max_error.values())

    def __str__(self) -> str:
        rows = [f"{'param':<6}{'checked':>9}{'both zero':>11}{'max rel. error':>16}"]
        for name in self.max_error:
            rows.append(f"{name:<6}{self.checked[name]:>9}{self.both_zero[name]:>11}"
                        f"{self.max_error[name]:>16.2e}")
        rows.append("passed" if self.passed else f"FAILED (threshold {self.threshold:g})")
        return "\n".join(rows)


def gradient_check(params: CellParams | tuple, x: ArrayLike, y: ArrayLike, *,
                   truncate: int | None = None, activation: str | None = None,
                   h: float = 1e-4, threshold: float = 1e-5,
                   entries: int | None = None, seed: int = 0) -> GradientCheck:
    """Compare :func:`bptt` with centred finite differences ``(L(θ+h) − L(θ−h)) / 2h``.

    The check runs in float64 whatever the parameters' precision, for every parameter of
    the cell.  ``entries=None`` checks every entry; an integer checks that many entries of
    each parameter, drawn at random (``seed``), which keeps the check affordable at the
    tutorial's sizes.  A truncated gradient is not the gradient of the loss, so with
    ``truncate=K < T - 1`` expect a failure unless the terms it drops are below the threshold
    (on a 40-word sentence of the gradient-check model ``truncate=38`` still passes): the
    failure is the bias of truncation, measured.

    >>> import bptt_book as bb
    >>> p = bb.init_params(100, 10, seed=10)
    >>> result = bb.gradient_check(p, [0, 1, 2, 3], [1, 2, 3, 4])
    >>> result.passed, result.checked["U"], result.both_zero["U"]
    (True, 1000, 960)

    Raises
    ------
    TypeError, ValueError
        As :func:`bptt`; also for an ``h`` or ``threshold`` that is not a positive finite
        number, or ``entries`` that is not a positive integer.  NaN or infinite parameters
        anywhere raise ``ValueError`` here (every entry is perturbed).
    """
    h = _checks.positive_number(h, "h")
    threshold = _checks.positive_number(threshold, "threshold")
    if entries is not None:
        entries = _checks.size(entries, "entries")
    K = _checks.truncate(truncate)
    cell, p = _checks.params(params)
    p = cell.PARAMS(*(a.astype(np.float64) for a in p))
    _checks.finite_params(p)
    prepared = prepare(p, x, y, activation)
    analytic = gradients_of(prepared, K)
    rng = np.random.default_rng(seed)
    max_error, checked, both_zero = {}, {}, {}
    for index, (name, theta, grad) in enumerate(zip(p._fields, p, analytic, strict=True)):
        flat = np.arange(theta.size)
        if entries is not None and entries < theta.size:
            flat = rng.choice(theta.size, size=entries, replace=False)
        work = [a.copy() for a in p]
        target = work[index].reshape(-1)
        perturbed = prepared._replace(params=cell.PARAMS(*work))
        errors, zeros = [], 0
        for i in flat:
            old = target[i]
            target[i] = old + h
            plus = loss_of(perturbed)
            target[i] = old - h
            minus = loss_of(perturbed)
            target[i] = old
            numeric = (plus - minus) / (2 * h)
            a = grad.reshape(-1)[i]
            if a == 0 and numeric == 0:
                zeros += 1
                errors.append(0.0)
            else:
                errors.append(abs(a - numeric) / (abs(a) + abs(numeric)))
        max_error[name] = float(max(errors))
        checked[name] = len(flat)
        both_zero[name] = zeros
    return GradientCheck(max_error, checked, both_zero, threshold)
