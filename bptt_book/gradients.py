"""The public gradient functions: :func:`bptt` and :func:`gradient_check`.

:func:`bptt` checks its arguments and strings together the functions of the generated
module :mod:`bptt_book.generated`, whose every right-hand side SymPy printed.  The output
layer is handled for all time steps at once (three matrix products); only the H-sized
recurrence runs step by step.
"""

from dataclasses import dataclass

import numpy as np

from . import _checks, generated
from .model import Params, _probabilities, loss, output_chunks, prepare


def bptt(params, x, y, *, truncate=None, activation="tanh"):
    """Gradients of the summed loss ``sum_t -log yhat_t[y_t]`` with respect to U, V, W.

    ``truncate=None`` gives the exact gradient.  ``truncate=K`` is the tutorial's truncated
    BPTT: the error of output ``t`` is carried back through steps ``t, t-1, ..., max(0, t-K)``
    and no further; with ``K >= T - 1`` nothing is cut and the result is exact.  ``x`` and
    ``y`` may be (B, T) batches; the gradient is then that of the loss summed over the batch.
    Returns :class:`~bptt_book.Params` ``(dU, dV, dW)`` in the parameters' precision
    (float16 is computed and returned in float32; integers in float64).
    Nothing passed in is modified.

    >>> import numpy as np
    >>> import bptt_book as bb
    >>> p = bb.init_params(100, 10, seed=10)
    >>> dU, dV, dW = bb.bptt(p, [0, 1, 2, 3], [1, 2, 3, 4])
    >>> dU.shape, dV.shape, dW.shape
    ((10, 100), (100, 10), (10, 10))

    Only the columns of U for the words that occur get a gradient:

    >>> np.flatnonzero(np.abs(dU).sum(axis=0)).tolist()
    [0, 1, 2, 3]

    Raises
    ------
    TypeError
        As :func:`~bptt_book.forward`, and for a ``truncate`` that is not None or an integer
        (booleans included).
    ValueError
        As :func:`~bptt_book.loss`, and for a negative ``truncate``.
    """
    K = _checks.truncate(truncate)
    p, x2, y2, _, f, fprime = prepare(params, x, y, activation)
    U, V, W = p
    S = generated.hidden_states(U, W, x2, f)
    dV, G = _output_layer(V, S, y2)
    F = fprime(S)
    T = x2.shape[1]
    if K is None or K >= T - 1:
        Delta = generated.delta_exact(W, F, G)
    else:
        Delta = generated.delta_truncated(W, F, G, K)
    dU, dW = generated.recurrent_gradients(U, x2, S, Delta)
    return Params(dU, dV, dW)


def _output_layer(V, S, y):
    """dV and the rows g_t for all steps: the output layer in chunks of time steps, each
    chunk three matrix products (logits, dV, G) with its softmax in between."""
    B, T, H = S.shape
    S2, y2 = S.reshape(-1, H), y.reshape(-1)
    G = np.empty_like(S2)
    dV = None
    for rows, o in output_chunks(S2, V):
        P = _probabilities(o, V)
        dV, G[rows] = generated.output_layer(V, S2[rows], P, y2[rows], dV)
    return dV, G.reshape(B, T, H)


@dataclass(frozen=True)
class GradientCheck:
    """The outcome of :func:`gradient_check`, one entry per parameter name.

    ``max_error``: the largest relative error ``|a - n| / (|a| + |n|)`` between the analytic
    value ``a`` and the numerical one ``n``.  Entries where *both* are exactly zero agree
    exactly and count as error 0 (they are counted in ``both_zero``); an entry where only one
    of them is zero has error 1, the largest possible.  ``checked``: entries compared.
    """

    max_error: dict
    checked: dict
    both_zero: dict
    threshold: float

    @property
    def passed(self):
        """True when every parameter's largest error is at most ``threshold``."""
        return all(e <= self.threshold for e in self.max_error.values())

    def __str__(self):
        rows = [f"{'param':<6}{'checked':>9}{'both zero':>11}{'max rel. error':>16}"]
        for name in self.max_error:
            rows.append(f"{name:<6}{self.checked[name]:>9}{self.both_zero[name]:>11}"
                        f"{self.max_error[name]:>16.2e}")
        rows.append("passed" if self.passed else f"FAILED (threshold {self.threshold:g})")
        return "\n".join(rows)


def gradient_check(params, x, y, *, truncate=None, activation="tanh", h=1e-4,
                   threshold=1e-5, entries=None, seed=0):
    """Compare :func:`bptt` with centred finite differences ``(L(θ+h) − L(θ−h)) / 2h``.

    The check runs in float64 whatever the parameters' precision.  ``entries=None`` checks
    every entry of U, V and W; an integer checks that many entries of each, drawn at random
    (``seed``), which keeps the check affordable at the tutorial's sizes.  A truncated
    gradient is not the gradient of the loss, so with ``truncate=K < T - 1`` expect a
    failure: that is the bias of truncation, measured.

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
    p = _checks.params(params)
    p = Params(*(a.astype(np.float64) for a in p))
    _checks.finite_params(p)
    x2, y2, _ = _checks.labels(x, y, p.U.shape[1])
    analytic = bptt(p, x2, y2, truncate=truncate, activation=activation)
    rng = np.random.default_rng(seed)
    max_error, checked, both_zero = {}, {}, {}
    for name, theta, grad in zip(Params._fields, p, analytic, strict=True):
        flat = np.arange(theta.size)
        if entries is not None and entries < theta.size:
            flat = rng.choice(theta.size, size=entries, replace=False)
        work = [a.copy() for a in p]
        target = work[Params._fields.index(name)].reshape(-1)
        errors, zeros = [], 0
        for i in flat:
            old = target[i]
            target[i] = old + h
            plus = loss(Params(*work), x2, y2, activation=activation)
            target[i] = old - h
            minus = loss(Params(*work), x2, y2, activation=activation)
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
