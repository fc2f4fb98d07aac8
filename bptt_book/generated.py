"""BPTT for the book's recurrent network: GENERATED CODE, do not edit by hand.

Written by ``python -m bptt_book generate`` from the SymPy derivation in
:mod:`bptt_book.derivation` (activations and one-step gradients: ``onestep.py``; the
delta recurrence: ``recurrence.py``), printed by ``derivation/printer.py`` into the
skeleton in ``derivation/generate.py``.  ``python -m bptt_book generate --check`` fails when
this file differs from what the derivation prints today.

Every right-hand side is printed from a SymPy expression, quoted in the comment above it.
Arrays are time-stacked and batched: token ids ``x`` are (B, T) and states ``S`` are
(B, T, H).  A column vector of the derivation is a row here, so ``W.T*delta`` is printed as
``delta @ W``.  This module imports NumPy only.
"""

import numpy as np


def f_tanh(z):
    """tanh: f(z) = tanh(z)."""
    # tanh(z)
    return np.tanh(z)


def fprime_tanh(s):
    """tanh: f'(z) written in the output s = f(z).

    SymPy differentiates f to 1 - tanh(z)**2.
    """
    # 1 - s**2
    return 1 - s**2


def f_sigmoid(z):
    """sigmoid: f(z) = 1/(1 + exp(-z))."""
    # exp(-softplus(-z))
    return np.exp(-np.logaddexp(0, -z))


def fprime_sigmoid(s):
    """sigmoid: f'(z) written in the output s = f(z).

    SymPy differentiates f to exp(-z)/(1 + exp(-z))**2.
    """
    # -s*(s - 1)
    return -s*(s - 1)


def f_relu(z):
    """relu: f(z) = Max(0, z)."""
    # Max(0, z)
    return np.maximum(0, z)


def fprime_relu(s):
    """relu: f'(z) written in the output s = f(z).

    SymPy differentiates f to Heaviside(z).
    """
    # Heaviside(s, 0)
    return np.heaviside(s, 0)


#: name -> (f, f' written in the output)
ACTIVATIONS = {
    "tanh": (f_tanh, fprime_tanh),
    "sigmoid": (f_sigmoid, fprime_sigmoid),
    "relu": (f_relu, fprime_relu),
}


def hidden_states(U, W, x, f):
    """States s_t = f(U x_t + W s_(t-1)), t = 0 ... T-1, with s_(-1) = 0: (B, T, H)."""
    B, T = x.shape
    # UX = X*U.T
    UX = U.T[x]
    S = np.empty_like(UX)
    s_prev = np.zeros_like(UX[:, 0])
    for t in range(T):
        # f(U*x_t + W*s_prev)
        s_prev = S[:, t] = f(UX[:, t] + s_prev @ W.T)
    return S


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


def delta_exact(W, F, G):
    """All delta_t = dE/dz_t, from t = T-1 down to 0 with delta_T = 0: (B, T, H).

    F holds f'(z_t) and G the rows g_t, both (B, T, H).
    """
    T = G.shape[1]
    Delta = np.empty_like(G)
    delta_next = np.zeros_like(G[:, 0])
    for t in range(T - 1, -1, -1):
        # delta_t = DiagMatrix(fprime_t)*(g_t + W.T*delta_next)
        delta_next = Delta[:, t] = F[:, t] * (delta_next @ W + G[:, t])
    return Delta


def previous_states(S):
    """s_(t-1) for every t, with s_(-1) = 0: (B, T, H)."""
    S_prev = np.zeros_like(S)
    S_prev[:, 1:] = S[:, :-1]
    return S_prev


def recurrent_gradients(U, x, S, Delta):
    """dU and dW from all the deltas (B, T, H)."""
    H, D = U.shape
    S_prev = previous_states(S).reshape(-1, H)
    Delta = Delta.reshape(-1, H)
    x = x.reshape(-1)
    # dW = Delta.T*S_prev
    dW = Delta.T @ S_prev
    # dU = Delta.T*X
    dU = np.zeros((D, H), dtype=Delta.dtype).T
    np.add.at(dU.T, x, Delta)
    return dU, dW


def delta_truncated(W, F, G, K):
    """The deltas of BPTT truncated at K: output t's error reaches steps t ... max(0, t-K).

    At lag j, row k of ``delta_lag`` holds delta_k^(k+j): the error of output k+j after
    travelling back j steps.  Every output moves back at once, one product with W per lag,
    and the lags add up row by row into the deltas of the steps they reached.
    """
    T = G.shape[1]
    # delta_t^(t) = DiagMatrix(fprime_t)*g_t
    delta_lag = F * G
    Delta = delta_lag.copy()
    for j in range(1, min(K, T - 1) + 1):
        n = T - j + 1
        # delta_(k-1)^(t) = DiagMatrix(fprime_t)*W.T*delta_next
        delta_lag = F[:, :n - 1] * (delta_lag[:, 1:] @ W)
        Delta[:, : n - 1] += delta_lag
    return Delta


def step_jacobians(W, F):
    """ds_t/ds_(t-1) for every step, rows indexing s_t: (..., H, H) from F = f'(z_t) (..., H).

    SymPy's denominator layout gives the transpose, W.T*diag(f'); this is the book's layout.
    """
    # J = DiagMatrix(fprime_t)*W
    J = F[..., :, None] * W
    return J


#: gamma = max f' of each activation, from :mod:`bptt_book.derivation.bounds`: the factor in
#: the bound ||ds_t/ds_k|| <= (gamma sigma_max(W)) ** (t - k).
GAMMA = {
    "tanh": 1,
    "sigmoid": 1/4,
    "relu": 1,
}
