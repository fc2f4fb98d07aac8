"""The GRU (cell ``gru``): GENERATED CODE, do not edit by hand.

Its equations (bptt_book.derivation.cells), per hidden unit, with a = U x_t + b_U and
b = W h_(t-1) + b_W cut into the blocks 'r', 'z', 'n':

    r = sigmoid(a_r + b_r)
    z = sigmoid(a_z + b_z)
    n = tanh(a_n + r*b_n)
    h' = (1 - z)*n + z*h

Written by ``python -m bptt_book generate`` from the SymPy derivation in
:mod:`bptt_book.derivation`; ``python -m bptt_book generate --check`` fails when this file differs
from what the derivation prints today.
Every right-hand side is printed from a SymPy expression, quoted in the comment above it.
Arrays are time-stacked and batched: token ids ``x`` are (N, T) and a state is (N, T, H).  A
column vector of the derivation is a row here, so ``W.T*d_b`` is printed as ``d_b @ W``.
This module imports NumPy only.
"""

from typing import NamedTuple

import numpy as np

from .layers import input_projection, previous_states

NAME = 'gru'
STATES = ('h',)
BLOCKS = ('r', 'z', 'n')
BIASES = True
#: True when the equations call the activation f, chosen when the cell runs
PLUGGABLE = False


class GRUParams(NamedTuple):
    """The weights of the GRU, or gradients of the same shapes.

    U (3H, D), W (3H, H), bU and bW (3H,): row blocks 'r', 'z', 'n'; V (D, H) is the output layer.
    """

    U: np.ndarray
    V: np.ndarray
    W: np.ndarray
    bU: np.ndarray
    bW: np.ndarray


PARAMS = GRUParams  # the parameter tuple of this cell


class Tape(NamedTuple):
    """What the forward pass keeps for the backward pass, each (N, T, H)."""

    h: np.ndarray  # h'
    h_prev: np.ndarray  # h
    b_n: np.ndarray  # b_n
    r: np.ndarray  # r
    z: np.ndarray  # z
    n: np.ndarray  # n


def forward(p, x, act=None, initial=None):
    """Run the GRU over token ids x (N, T); return its Tape.

    ``act`` is ``(f, f')`` when the cell's equations call the activation ``f``.
    ``initial`` is (h_(-1),), the states before step 0, each (N, H); None: zeros.
    """
    del act  # this cell's activations are fixed by its equations
    N, T = x.shape
    H = p.W.shape[1]
    A = input_projection(p.U, p.bU, x)  # a_t = U x_t + b_U, every step
    h_all = np.empty((N, T, H), dtype=A.dtype)
    b_n_all = np.empty((N, T, H), dtype=A.dtype)
    r_all = np.empty((N, T, H), dtype=A.dtype)
    z_all = np.empty((N, T, H), dtype=A.dtype)
    n_all = np.empty((N, T, H), dtype=A.dtype)
    if initial is None:
        h = np.zeros((N, H), dtype=A.dtype)
    else:
        h, = (np.asarray(v, dtype=A.dtype) for v in initial)
    WT = p.W.T
    bW = p.bW
    for t in range(T):
        # b_t = W*h + b_W
        b = h @ WT + bW
        a = A[:, t]
        b_n_all[:, t] = b[:, 2*H:]
        # r = sigmoid(a_r + b_r)
        r = r_all[:, t] = np.exp(-np.logaddexp(0, -a[:, :H] - b[:, :H]))
        # z = sigmoid(a_z + b_z)
        z = z_all[:, t] = np.exp(-np.logaddexp(0, -a[:, H:2*H] - b[:, H:2*H]))
        # n = tanh(a_n + b_n*r)
        n = n_all[:, t] = np.tanh(a[:, 2*H:] + b[:, 2*H:]*r)
        # h' = h*z + n*(1 - z)
        h = h_all[:, t] = h*z + n*(1 - z)
    h_prev_all = previous_states(h_all, None if initial is None else initial[0])
    return Tape(h_all, h_prev_all, b_n_all, r_all, z_all, n_all)


def coefficients(tape, act=None):
    """The factors of the backward step that depend on the forward values only,
    for every step at once: each (N, T, H), stacked (N, T, blocks, H) where a group
    of blocks shares one adjoint.
    """
    del act  # this cell's activations are fixed by its equations
    x0 = tape.z - 1
    x1 = x0*(tape.n**2 - 1)
    x2 = tape.r*x1
    # c0 = b_n*r*(1 - n**2)*(1 - r)*(1 - z)
    c0 = -tape.b_n*x2*(tape.r - 1)
    # c1 = z*(1 - z)*(h - n)
    c1 = -x0*tape.z*(tape.h_prev - tape.n)
    # c2 = r*(1 - n**2)*(1 - z)
    c2 = x2
    # c3 = z
    c3 = tape.z
    # c4 = (1 - n**2)*(1 - z)
    c4 = x1
    cb03 = np.stack((c0, c1, c2,), axis=-2)
    return {'c0': c0, 'c1': c1, 'c2': c2, 'c3': c3, 'c4': c4, 'cb03': cb03}


def backward(p, tape, G, truncate=None, act=None):
    """The adjoints dA, dB (N, T, kH) of the two projections at every step.

    ``G`` holds g_t = V^T (yhat_t - y_t), the output layer's push on the first state
    (N, T, H).  ``truncate=None`` is exact BPTT; ``truncate=K`` carries the error of
    output t back through steps t, t-1, ..., t-K only (the tutorial's window).
    """
    C = coefficients(tape, act)
    N, T, H = G.shape
    W = p.W
    c4 = C['c4']
    if truncate is None or truncate >= T - 1:
        dB, inc = _exact(W, G, C)
    else:
        dB, inc = _window(W, G, truncate, C)
    # blocks whose input adjoint differs from the recurrent one: from the adjoints that arrived
    dA = dB.copy().reshape(N, T, 3, H)
    dA[..., 2, :] = c4 * inc[0]
    return dA.reshape(N, T, -1), dB


def _exact(W, G, C):
    """Exact BPTT: one sweep from t = T-1 down to 0; returns dB and the incoming
    adjoints of every step (for the blocks computed afterwards).
    """
    N, T, H = G.shape
    c3, cb03 = C['c3'], C['cb03']
    dB = np.empty((N, T, 3, H), dtype=G.dtype)
    next_h = np.zeros_like(G[:, 0])
    inc_h = np.empty_like(G)
    for t in range(T - 1, -1, -1):
        d_h = G[:, t] + next_h
        inc_h[:, t] = d_h
        db = dB[:, t]
        db[..., 0:3, :] = cb03[:, t] * d_h[..., None, :]
        # next_h = d_b @ W  (W.T*d_b as a row) + c3[:, t] * d_h
        next_h = db.reshape(N, -1) @ W + c3[:, t] * d_h
    return dB.reshape(N, T, -1), (inc_h,)


def _window(W, G, K, C):
    """BPTT truncated at K: output t's error reaches steps t ... max(0, t-K).

    At lag j, row k of ``inc_*`` holds the adjoint that output k+j sends to step k.
    Every output moves back at once, one product with W per lag; the adjoints are
    linear in what arrives, so the lags add up first and the blocks follow once.
    """
    N, T, H = G.shape
    c3, cb03 = C['c3'], C['cb03']
    inc_h = G
    total_h = inc_h.copy()
    for j in range(1, min(K, T - 1) + 1):
        n = T - j + 1  # rows 0 ... n-1 of the previous lag are filled
        d_h = inc_h[:, 1:n]
        db = np.empty((N, n - 1, 3, H), dtype=G.dtype)
        db[..., 0:3, :] = cb03[:, 1:n] * d_h[..., None, :]
        inc_h = db.reshape(N, n - 1, -1) @ W + c3[:, 1:n] * d_h
        total_h[:, : n - 1] += inc_h
    d_h = total_h
    dB = np.empty((N, T, 3, H), dtype=G.dtype)
    dB[..., 0:3, :] = cb03 * d_h[..., None, :]
    return dB.reshape(N, T, -1), (total_h,)


def jacobian_parts(p, tape, act=None):
    """The step Jacobian d(state_t)/d(state_(t-1)) = P + Q W, unit by unit.

    The state is [h] (S = 1 vector of H).  ``P`` (N, T, S, S, H) holds the
    diagonals of the direct paths: block (i, j) is diag(P[..., i, j, :]).
    ``Q`` (N, T, S, k, H), k = 3, holds the diagonals of the paths through W:
    block row i of Q W is sum_k diag(Q[..., i, k, :]) W_k, where W_k is row block k
    of W, and it acts on the first state, h_(t-1).
    """
    del act  # this cell's activations are fixed by its equations
    x0 = tape.z - 1
    x1 = tape.r*x0*(tape.n**2 - 1)
    # j0 = z
    j0 = tape.z
    # j1 = b_n*r*(1 - n**2)*(1 - r)*(1 - z)
    j1 = -tape.b_n*x1*(tape.r - 1)
    # j2 = z*(1 - z)*(h - n)
    j2 = -x0*tape.z*(tape.h_prev - tape.n)
    # j3 = r*(1 - n**2)*(1 - z)
    j3 = x1
    P = np.zeros(tape.h.shape[:-1] + (1, 1) + tape.h.shape[-1:], dtype=tape.h.dtype)
    Q = np.zeros(tape.h.shape[:-1] + (1, 3) + tape.h.shape[-1:], dtype=tape.h.dtype)
    # d h' / d h, direct: diag(z)
    P[..., 0, 0, :] = j0
    # d h' / d h, through W_r: diag(b_n*r*(1 - n**2)*(1 - r)*(1 - z))
    Q[..., 0, 0, :] = j1
    # d h' / d h, through W_z: diag(z*(1 - z)*(h - n))
    Q[..., 0, 1, :] = j2
    # d h' / d h, through W_n: diag(r*(1 - n**2)*(1 - z))
    Q[..., 0, 2, :] = j3
    return P, Q


def step_jacobians(p, tape, act=None):
    """d(state_t)/d(state_(t-1)) = P + Q W for every step, as matrices
    (N, T, S*H, S*H) whose rows index the new state (see ``jacobian_parts``).
    """
    P, Q = jacobian_parts(p, tape, act)
    S, k, H = Q.shape[-3:]
    W = p.W.reshape(k, H, H)  # the row blocks W_k
    J = np.zeros(P.shape[:-3] + (S * H, S * H), dtype=P.dtype)
    units = np.arange(H)
    for i in range(S):
        rows = slice(i * H, (i + 1) * H)
        J[..., rows, :H] = np.einsum("...ku,kuv->...uv", Q[..., i, :, :], W)
        for j in range(S):
            J[..., i * H + units, j * H + units] += P[..., i, j, :]
    return J


def sweep(p, tape, G, act=None, keep=None, carry=None):
    """Exact BPTT over the steps of ``tape``, with cuts and a carried adjoint.

    Returns dA, dB (N, T, kH), the adjoints of the two projections at every step, and
    the adjoints sent back to the states before step 0 (h_(-1)).  ``keep`` (N, T)
    multiplies the adjoint that step t sends back to step t-1 (0 cuts the link); None
    keeps every link.  ``carry`` holds the adjoints arriving at the last step's states
    from later steps; None: zeros.  With neither, this is ``backward`` without
    truncation.
    """
    C = coefficients(tape, act)
    N, T, H = G.shape
    W = p.W
    c3, c4, cb03 = C['c3'], C['c4'], C['cb03']
    dB = np.empty((N, T, 3, H), dtype=G.dtype)
    next_h = np.zeros_like(G[:, 0]) if carry is None else carry[0]
    inc_h = np.empty_like(G)
    for t in range(T - 1, -1, -1):
        d_h = G[:, t] + next_h
        inc_h[:, t] = d_h
        db = dB[:, t]
        db[..., 0:3, :] = cb03[:, t] * d_h[..., None, :]
        # next_h = d_b @ W  (W.T*d_b as a row) + c3[:, t] * d_h
        next_h = db.reshape(N, -1) @ W + c3[:, t] * d_h
        if keep is not None:  # the link between step t-1 and step t
            next_h = keep[:, t, None] * next_h
    dB = dB.reshape(N, T, -1)
    # blocks whose input adjoint differs from the recurrent one: from the adjoints that arrived
    dA = dB.copy().reshape(N, T, 3, H)
    dA[..., 2, :] = c4 * inc_h
    return dA.reshape(N, T, -1), dB, (next_h,)


def rtrl_coefficients(tape, act=None):
    """The partial derivatives of each new state with respect to the inputs of its step
    (previous states, blocks of a_t and of b_t), for every step at once: each (N, T, H).
    """
    del act  # this cell's activations are fixed by its equations
    x0 = tape.z - 1
    x1 = x0*(tape.n**2 - 1)
    x2 = tape.r*x1
    # r0 = z
    r0 = tape.z
    # r1 = b_n*r*(1 - n**2)*(1 - r)*(1 - z)
    r1 = -tape.b_n*x2*(tape.r - 1)
    # r2 = z*(1 - z)*(h - n)
    r2 = -x0*tape.z*(tape.h_prev - tape.n)
    # r3 = r*(1 - n**2)*(1 - z)
    r3 = x2
    # r4 = (1 - n**2)*(1 - z)
    r4 = x1
    return {'r0': r0, 'r1': r1, 'r2': r2, 'r3': r3, 'r4': r4}


def rtrl(p, x, output, act=None):
    """Real-time recurrent learning: the gradients of U, W, b_U, b_W, carried forwards.

    Runs the cell over x (N, T) one step at a time, carrying for each state (h)
    its sensitivity M (N, H, P): d state / d theta for the P entries theta of U, W, b_U, b_W
    (each flattened row by row, in that order).  After step t it calls ``output(t, h)`` with
    the new state h (N, H), which returns g_t = V^T (yhat_t - y_t) (N, H), and adds
    g_t M to the gradient.  Nothing of an earlier step is kept: memory does not grow
    with T.
    """
    N, T = x.shape
    kH, D = p.U.shape
    H = p.W.shape[1]
    dtype = p.W.dtype
    # the columns of a sensitivity: the entries of U, W, b_U, b_W, each row by row
    U0, W0 = 0, kH * D
    bU0, bW0 = W0 + kH * H, W0 + kH * H + kH
    P = bW0 + kH
    rows, units = np.arange(kH), np.arange(H)
    sequences = np.arange(N)[:, None]
    W_columns = W0 + rows[:, None] * H + units  # (kH, H): the column of W[r, c]
    M_h = np.zeros((N, H, P), dtype=dtype)
    Ad = np.zeros((N, kH, P), dtype=dtype)  # adot along every direction
    Ad[:, rows, bU0 + rows] = 1  # along b_U[r]: e_r
    grad = np.zeros(P, dtype=dtype)
    state = None
    for t in range(T):
        tape = forward(p, x[:, t : t + 1], act, state)
        state = (tape.h[:, 0],)
        C = rtrl_coefficients(tape, act)
        r0 = C['r0'][:, 0, :, None]
        r1 = C['r1'][:, 0, :, None]
        r2 = C['r2'][:, 0, :, None]
        r3 = C['r3'][:, 0, :, None]
        r4 = C['r4'][:, 0, :, None]
        h_prev = tape.h_prev[:, 0]
        # bdot = W*hdot + Wdot*s_prev + b_Wdot  (along every direction at once)
        Bd = p.W @ M_h  # W*hdot
        Bd[:, rows[:, None], W_columns] += h_prev[:, None, :]  # Wdot*h_prev: along W[r, c], h_c in row r
        Bd[:, rows, bW0 + rows] += 1  # b_Wdot: along b_W[r], e_r
        # adot = Udot*x_t + b_Udot: along U[r, x_t], e_r
        U_columns = U0 + rows * D + x[:, t, None]  # (N, kH)
        Ad[sequences, rows, U_columns] = 1
        ad_r, bd_r = Ad[:, :H], Bd[:, :H]
        ad_z, bd_z = Ad[:, H:2*H], Bd[:, H:2*H]
        ad_n, bd_n = Ad[:, 2*H:], Bd[:, 2*H:]
        # dot_h' = b_n*dot_a_r*r*(1 - n**2)*(1 - r)*(1 - z) + b_n*dot_b_r*r*(1 - n**2)*(1 - r)*(1 - z) + dot_a_n*(1 - n**2)*(1 - z) + dot_a_z*z*(1 - z)*(h - n) + dot_b_n*r*(1 - n**2)*(1 - z) + dot_b_z*z*(1 - z)*(h - n) + dot_h*z
        M_h_new = ad_n*r4 + bd_n*r3 + M_h*r0 + r1*(ad_r + bd_r) + r2*(ad_z + bd_z)
        M_h = M_h_new
        Ad[sequences, rows, U_columns] = 0
        g = output(t, state[0])  # g_t = V^T (yhat_t - y_t)
        grad += np.tensordot(g, M_h, 2)  # g_t^T dh_t/dtheta
    return grad[U0:W0].reshape(kH, D), grad[W0 : W0 + kH * H].reshape(kH, H), grad[bU0:bW0], grad[bW0:]
