"""The tutorial's BPTT written as plainly as possible: an independent reference.

This is the algorithm of the tutorial this book follows, one loop per time step and one
``outer`` product per term, with nothing vectorised and nothing generated.  The tests and
the benchmark compare :func:`bptt_book.bptt` against it; it is not used by the package.

The only departures from the tutorial: it accepts any of the book's activations (the
tutorial hard-codes ``1 - s**2``) and it never writes into its inputs.
"""

import numpy as np


def _activation(name):
    if name == "tanh":
        return np.tanh, lambda s: 1 - s**2
    if name == "sigmoid":
        return (lambda z: 1 / (1 + np.exp(-z))), (lambda s: s * (1 - s))
    if name == "relu":
        return (lambda z: np.maximum(z, 0)), (lambda s: (s > 0).astype(s.dtype))
    raise ValueError(f"unknown activation {name!r}")


def forward_loop(U, V, W, x, activation="tanh"):
    """States ``s`` with T+1 rows (the last stays zero and serves as s_{-1}) and outputs."""
    f, _ = _activation(activation)
    T = len(x)
    H, D = U.shape
    s = np.zeros((T + 1, H))
    o = np.zeros((T, D))
    for t in range(T):
        s[t] = f(U[:, x[t]] + W @ s[t - 1])
        z = V @ s[t]
        e = np.exp(z - z.max())
        o[t] = e / e.sum()
    return s, o


def bptt_loop(U, V, W, x, y, truncate, activation="tanh"):
    """The tutorial's ``bptt``: each output's error goes back at most ``truncate`` steps.

    For t = T-1 ... 0, the error ``delta`` of output t is pushed back through steps
    t, t-1, ..., max(0, t - truncate).  With ``truncate >= T - 1`` this is exact BPTT.
    """
    _, fprime = _activation(activation)
    T = len(y)
    s, o = forward_loop(U, V, W, x, activation)
    dU, dV, dW = np.zeros_like(U), np.zeros_like(V), np.zeros_like(W)
    delta_o = o.copy()
    delta_o[np.arange(T), y] -= 1.0
    for t in range(T - 1, -1, -1):
        dV += np.outer(delta_o[t], s[t])
        delta = (V.T @ delta_o[t]) * fprime(s[t])
        for k in range(t, max(0, t - truncate) - 1, -1):
            dW += np.outer(delta, s[k - 1])  # s[-1] is the zero row
            dU[:, x[k]] += delta
            delta = (W.T @ delta) * fprime(s[k - 1])
    return dU, dV, dW
