"""The layers every cell shares: GENERATED CODE, do not edit by hand.

The output layer yhat_t = softmax(V h_t) and the gradients of the two
projections a_t = U x_t + b_U and b_t = W h_(t-1) + b_W.

Written by ``python -m bptt_book generate`` from the SymPy derivation in
:mod:`bptt_book.derivation`; ``python -m bptt_book generate --check`` fails when this file differs
from what the derivation prints today.
Every right-hand side is printed from a SymPy expression, quoted in the comment above it.
Arrays are time-stacked and batched: token ids ``x`` are (N, T) and a state is (N, T, H).  A
column vector of the derivation is a row here, so ``W.T*d_b`` is printed as ``d_b @ W``.
This module imports NumPy only.
"""

import numpy as np


def output_layer(V, S, P, y, dV=None):
    """Rows g_t of V^T (yhat_t - y_t) for rows S of states, P of softmax outputs and
    labels y, with dV (added to ``dV`` when one is given).  P is overwritten.
    """
    # Do = P - Y
    Do = P  # overwritten in place
    Do[np.arange(Do.shape[0]), y] -= 1
    if dV is None:
        # dV = (S.T*Do).T
        dV = (S.T @ Do).T
    else:
        # dV += (S.T*Do).T
        dV += (S.T @ Do).T
    # G = Do*V
    G = Do @ V
    return dV, G


def input_projection(U, bU, x):
    """a_t = U x_t + b_U for every step at once: (N, T, kH).  ``bU`` may be None."""
    if bU is None:
        # A = X*U.T
        A = U.T[x]
    else:
        # A = X*U.T + 1*b_U.T
        A = U.T[x] + bU
    return A


def previous_states(S, first=None):
    """s_(t-1) for every t: (N, T, H), with s_(-1) = 0, or ``first`` (N, H)."""
    S_prev = np.zeros_like(S)
    S_prev[:, 1:] = S[:, :-1]
    if first is not None:
        S_prev[:, 0] = first
    return S_prev


def projection_gradients(U, x, S_prev, dA, dB, biases):
    """dU, dW (and db_U, db_W when ``biases``) from the adjoints dA, dB (N, T, kH) of
    the two projections at every step and the previous states S_prev (N, T, H).
    """
    kH, D = U.shape
    H = S_prev.shape[-1]
    S_prev = S_prev.reshape(-1, H)
    dA = dA.reshape(-1, kH)
    dB = dB.reshape(-1, kH)
    x = x.reshape(-1)
    # dW = dB.T*S_prev
    dW = dB.T @ S_prev
    # dU = dA.T*X
    dU = np.zeros((D, kH), dtype=dA.dtype).T
    np.add.at(dU.T, x, dA)
    if not biases:
        return dU, dW
    # dbU = dA.T*1
    dbU = dA.sum(axis=0)
    # dbW = dB.T*1
    dbW = dB.sum(axis=0)
    return dU, dW, dbU, dbW
