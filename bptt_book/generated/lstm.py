"""The LSTM (cell ``lstm``): GENERATED CODE, do not edit by hand.

Its equations (bptt_book.derivation.cells), per hidden unit, with a = U x_t + b_U and
b = W h_(t-1) + b_W cut into the blocks 'i', 'f', 'g', 'o':

    i = sigmoid(a_i + b_i)
    f = sigmoid(a_f + b_f)
    g = tanh(a_g + b_g)
    o = sigmoid(a_o + b_o)
    c' = f*c + i*g
    h' = o*tanh(c')

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

NAME = 'lstm'
STATES = ('h', 'c')
BLOCKS = ('i', 'f', 'g', 'o')
BIASES = True
#: True when the equations call the activation f, chosen when the cell runs
PLUGGABLE = False


class LSTMParams(NamedTuple):
    """The weights of the LSTM, or gradients of the same shapes.

    U (4H, D), W (4H, H), bU and bW (4H,): row blocks 'i', 'f', 'g', 'o'; V (D, H) is the output layer.
    """

    U: np.ndarray
    V: np.ndarray
    W: np.ndarray
    bU: np.ndarray
    bW: np.ndarray


PARAMS = LSTMParams  # the parameter tuple of this cell


class Tape(NamedTuple):
    """What the forward pass keeps for the backward pass, each (N, T, H)."""

    h: np.ndarray  # h'
    c: np.ndarray  # c'
    h_prev: np.ndarray  # h
    c_prev: np.ndarray  # c
    i: np.ndarray  # i
    f: np.ndarray  # f
    g: np.ndarray  # g
    o: np.ndarray  # o
    tanh_c: np.ndarray  # tanh_c


def forward(p, x, act=None, initial=None):
    """Run the LSTM over token ids x (N, T); return its Tape.

    ``act`` is ``(f, f')`` when the cell's equations call the activation ``f``.
    ``initial`` is (h_(-1), c_(-1),), the states before step 0, each (N, H); None: zeros.
    """
    del act  # this cell's activations are fixed by its equations
    N, T = x.shape
    H = p.W.shape[1]
    A = input_projection(p.U, p.bU, x)  # a_t = U x_t + b_U, every step
    h_all = np.empty((N, T, H), dtype=A.dtype)
    c_all = np.empty((N, T, H), dtype=A.dtype)
    i_all = np.empty((N, T, H), dtype=A.dtype)
    f_all = np.empty((N, T, H), dtype=A.dtype)
    g_all = np.empty((N, T, H), dtype=A.dtype)
    o_all = np.empty((N, T, H), dtype=A.dtype)
    tanh_c_all = np.empty((N, T, H), dtype=A.dtype)
    if initial is None:
        h = np.zeros((N, H), dtype=A.dtype)
        c = np.zeros((N, H), dtype=A.dtype)
    else:
        h, c = (np.asarray(v, dtype=A.dtype) for v in initial)
    WT = p.W.T
    bW = p.bW
    for t in range(T):
        # b_t = W*h + b_W
        b = h @ WT + bW
        a = A[:, t]
        # i = sigmoid(a_i + b_i)
        i = i_all[:, t] = np.exp(-np.logaddexp(0, -a[:, :H] - b[:, :H]))
        # f = sigmoid(a_f + b_f)
        f = f_all[:, t] = np.exp(-np.logaddexp(0, -a[:, H:2*H] - b[:, H:2*H]))
        # g = tanh(a_g + b_g)
        g = g_all[:, t] = np.tanh(a[:, 2*H:3*H] + b[:, 2*H:3*H])
        # o = sigmoid(a_o + b_o)
        o = o_all[:, t] = np.exp(-np.logaddexp(0, -a[:, 3*H:] - b[:, 3*H:]))
        # c' = c*f + g*i
        c = c_all[:, t] = c*f + g*i
        # tanh_c = tanh(c')
        tanh_c = tanh_c_all[:, t] = np.tanh(c)
        # h' = o*tanh_c
        h = h_all[:, t] = o*tanh_c
    h_prev_all = previous_states(h_all, None if initial is None else initial[0])
    c_prev_all = previous_states(c_all, None if initial is None else initial[1])
    return Tape(h_all, c_all, h_prev_all, c_prev_all, i_all, f_all, g_all, o_all, tanh_c_all)


def coefficients(tape, act=None):
    """The factors of the backward step that depend on the forward values only,
    for every step at once: each (N, T, H), stacked (N, T, blocks, H) where a group
    of blocks shares one adjoint.
    """
    del act  # this cell's activations are fixed by its equations
    # c0 = o*(1 - tanh_c**2)
    c0 = -tape.o*(tape.tanh_c**2 - 1)
    # c1 = g*i*(1 - i)
    c1 = -tape.g*tape.i*(tape.i - 1)
    # c2 = c*f*(1 - f)
    c2 = -tape.c_prev*tape.f*(tape.f - 1)
    # c3 = i*(1 - g**2)
    c3 = -tape.i*(tape.g**2 - 1)
    # c4 = o*tanh_c*(1 - o)
    c4 = -tape.o*tape.tanh_c*(tape.o - 1)
    # c5 = f
    c5 = tape.f
    cb03 = np.stack((c1, c2, c3,), axis=-2)
    return {'c0': c0, 'c1': c1, 'c2': c2, 'c3': c3, 'c4': c4, 'c5': c5, 'cb03': cb03}


def backward(p, tape, G, truncate=None, act=None):
    """The adjoints dA, dB (N, T, kH) of the two projections at every step.

    ``G`` holds g_t = V^T (yhat_t - y_t), the output layer's push on the first state
    (N, T, H).  ``truncate=None`` is exact BPTT; ``truncate=K`` carries the error of
    output t back through steps t, t-1, ..., t-K only (the tutorial's window).
    """
    C = coefficients(tape, act)
    N, T, H = G.shape
    W = p.W
    if truncate is None or truncate >= T - 1:
        dB, inc = _exact(W, G, C)
    else:
        dB, inc = _window(W, G, truncate, C)
    return dB, dB  # dA = dB: every block's two adjoints are equal


def _exact(W, G, C):
    """Exact BPTT: one sweep from t = T-1 down to 0; returns dB and the incoming
    adjoints of every step (for the blocks computed afterwards).
    """
    N, T, H = G.shape
    c0, c4, c5, cb03 = C['c0'], C['c4'], C['c5'], C['cb03']
    dB = np.empty((N, T, 4, H), dtype=G.dtype)
    next_h = np.zeros_like(G[:, 0])
    next_c = np.zeros_like(G[:, 0])
    for t in range(T - 1, -1, -1):
        d_h = G[:, t] + next_h
        d_c = next_c
        # adj_c' = d_c'*1 + d_h'*o*(1 - tanh_c**2)
        adj_c = d_c + c0[:, t] * d_h
        db = dB[:, t]
        db[..., 0:3, :] = cb03[:, t] * adj_c[..., None, :]
        db[..., 3, :] = c4[:, t] * d_h
        # next_h = d_b @ W  (W.T*d_b as a row)
        next_h = db.reshape(N, -1) @ W
        next_c = c5[:, t] * adj_c
    return dB.reshape(N, T, -1), ()


def _window(W, G, K, C):
    """BPTT truncated at K: output t's error reaches steps t ... max(0, t-K).

    At lag j, row k of ``inc_*`` holds the adjoint that output k+j sends to step k.
    Every output moves back at once, one product with W per lag; the adjoints are
    linear in what arrives, so the lags add up first and the blocks follow once.
    """
    N, T, H = G.shape
    c0, c4, c5, cb03 = C['c0'], C['c4'], C['c5'], C['cb03']
    inc_h = G
    total_h = inc_h.copy()
    inc_c = np.zeros_like(G)
    total_c = inc_c.copy()
    for j in range(1, min(K, T - 1) + 1):
        n = T - j + 1  # rows 0 ... n-1 of the previous lag are filled
        d_h = inc_h[:, 1:n]
        d_c = inc_c[:, 1:n]
        # adj_c' = d_c'*1 + d_h'*o*(1 - tanh_c**2)
        adj_c = d_c + c0[:, 1:n] * d_h
        db = np.empty((N, n - 1, 4, H), dtype=G.dtype)
        db[..., 0:3, :] = cb03[:, 1:n] * adj_c[..., None, :]
        db[..., 3, :] = c4[:, 1:n] * d_h
        inc_h = db.reshape(N, n - 1, -1) @ W
        total_h[:, : n - 1] += inc_h
        inc_c = c5[:, 1:n] * adj_c
        total_c[:, : n - 1] += inc_c
    d_h = total_h
    d_c = total_c
    # adj_c' = d_c'*1 + d_h'*o*(1 - tanh_c**2)
    adj_c = d_c + c0 * d_h
    dB = np.empty((N, T, 4, H), dtype=G.dtype)
    dB[..., 0:3, :] = cb03 * adj_c[..., None, :]
    dB[..., 3, :] = c4 * d_h
    return dB.reshape(N, T, -1), (total_h, total_c,)


def jacobian_parts(p, tape, act=None):
    """The step Jacobian d(state_t)/d(state_(t-1)) = P + Q W, unit by unit.

    The state is [h; c] (S = 2 vectors of H).  ``P`` (N, T, S, S, H) holds the
    diagonals of the direct paths: block (i, j) is diag(P[..., i, j, :]).
    ``Q`` (N, T, S, k, H), k = 4, holds the diagonals of the paths through W:
    block row i of Q W is sum_k diag(Q[..., i, k, :]) W_k, where W_k is row block k
    of W, and it acts on the first state, h_(t-1).
    """
    del act  # this cell's activations are fixed by its equations
    x0 = tape.o*(tape.tanh_c**2 - 1)
    x1 = tape.g*tape.i*(tape.i - 1)
    x2 = tape.f*x0
    x3 = tape.c_prev*(tape.f - 1)
    x4 = tape.i*(tape.g**2 - 1)
    # j0 = g*i*o*(1 - i)*(1 - tanh_c**2)
    j0 = x0*x1
    # j1 = c*f*o*(1 - f)*(1 - tanh_c**2)
    j1 = x2*x3
    # j2 = i*o*(1 - g**2)*(1 - tanh_c**2)
    j2 = x0*x4
    # j3 = o*tanh_c*(1 - o)
    j3 = -tape.o*tape.tanh_c*(tape.o - 1)
    # j4 = f*o*(1 - tanh_c**2)
    j4 = -x2
    # j5 = g*i*(1 - i)
    j5 = -x1
    # j6 = c*f*(1 - f)
    j6 = -tape.f*x3
    # j7 = i*(1 - g**2)
    j7 = -x4
    # j8 = f
    j8 = tape.f
    P = np.zeros(tape.h.shape[:-1] + (2, 2) + tape.h.shape[-1:], dtype=tape.h.dtype)
    Q = np.zeros(tape.h.shape[:-1] + (2, 4) + tape.h.shape[-1:], dtype=tape.h.dtype)
    # d h' / d h, through W_i: diag(g*i*o*(1 - i)*(1 - tanh_c**2))
    Q[..., 0, 0, :] = j0
    # d h' / d h, through W_f: diag(c*f*o*(1 - f)*(1 - tanh_c**2))
    Q[..., 0, 1, :] = j1
    # d h' / d h, through W_g: diag(i*o*(1 - g**2)*(1 - tanh_c**2))
    Q[..., 0, 2, :] = j2
    # d h' / d h, through W_o: diag(o*tanh_c*(1 - o))
    Q[..., 0, 3, :] = j3
    # d h' / d c, direct: diag(f*o*(1 - tanh_c**2))
    P[..., 0, 1, :] = j4
    # d c' / d h, through W_i: diag(g*i*(1 - i))
    Q[..., 1, 0, :] = j5
    # d c' / d h, through W_f: diag(c*f*(1 - f))
    Q[..., 1, 1, :] = j6
    # d c' / d h, through W_g: diag(i*(1 - g**2))
    Q[..., 1, 2, :] = j7
    # d c' / d c, direct: diag(f)
    P[..., 1, 1, :] = j8
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
    the adjoints sent back to the states before step 0 (h_(-1), c_(-1)).  ``keep`` (N, T)
    multiplies the adjoint that step t sends back to step t-1 (0 cuts the link); None
    keeps every link.  ``carry`` holds the adjoints arriving at the last step's states
    from later steps; None: zeros.  With neither, this is ``backward`` without
    truncation.
    """
    C = coefficients(tape, act)
    N, T, H = G.shape
    W = p.W
    c0, c4, c5, cb03 = C['c0'], C['c4'], C['c5'], C['cb03']
    dB = np.empty((N, T, 4, H), dtype=G.dtype)
    next_h = np.zeros_like(G[:, 0]) if carry is None else carry[0]
    next_c = np.zeros_like(G[:, 0]) if carry is None else carry[1]
    for t in range(T - 1, -1, -1):
        d_h = G[:, t] + next_h
        d_c = next_c
        # adj_c' = d_c'*1 + d_h'*o*(1 - tanh_c**2)
        adj_c = d_c + c0[:, t] * d_h
        db = dB[:, t]
        db[..., 0:3, :] = cb03[:, t] * adj_c[..., None, :]
        db[..., 3, :] = c4[:, t] * d_h
        # next_h = d_b @ W  (W.T*d_b as a row)
        next_h = db.reshape(N, -1) @ W
        next_c = c5[:, t] * adj_c
        if keep is not None:  # the link between step t-1 and step t
            next_h = keep[:, t, None] * next_h
            next_c = keep[:, t, None] * next_c
    dB = dB.reshape(N, T, -1)
    return dB, dB, (next_h, next_c,)  # dA = dB: every block's two adjoints are equal


def rtrl_coefficients(tape, act=None):
    """The partial derivatives of each new state with respect to the inputs of its step
    (previous states, blocks of a_t and of b_t), for every step at once: each (N, T, H).
    """
    del act  # this cell's activations are fixed by its equations
    x0 = tape.o*(tape.tanh_c**2 - 1)
    x1 = tape.f*x0
    x2 = tape.g*tape.i*(tape.i - 1)
    x3 = tape.c_prev*(tape.f - 1)
    x4 = tape.i*(tape.g**2 - 1)
    # r0 = f*o*(1 - tanh_c**2)
    r0 = -x1
    # r1 = f
    r1 = tape.f
    # r2 = g*i*o*(1 - i)*(1 - tanh_c**2)
    r2 = x0*x2
    # r3 = c*f*o*(1 - f)*(1 - tanh_c**2)
    r3 = x1*x3
    # r4 = i*o*(1 - g**2)*(1 - tanh_c**2)
    r4 = x0*x4
    # r5 = o*tanh_c*(1 - o)
    r5 = -tape.o*tape.tanh_c*(tape.o - 1)
    # r6 = g*i*(1 - i)
    r6 = -x2
    # r7 = c*f*(1 - f)
    r7 = -tape.f*x3
    # r8 = i*(1 - g**2)
    r8 = -x4
    return {'r0': r0, 'r1': r1, 'r2': r2, 'r3': r3, 'r4': r4, 'r5': r5, 'r6': r6, 'r7': r7, 'r8': r8}


def rtrl(p, x, output, act=None):
    """Real-time recurrent learning: the gradients of U, W, b_U, b_W, carried forwards.

    Runs the cell over x (N, T) one step at a time, carrying for each state (h, c)
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
    M_c = np.zeros((N, H, P), dtype=dtype)
    Ad = np.zeros((N, kH, P), dtype=dtype)  # adot along every direction
    Ad[:, rows, bU0 + rows] = 1  # along b_U[r]: e_r
    grad = np.zeros(P, dtype=dtype)
    state = None
    for t in range(T):
        tape = forward(p, x[:, t : t + 1], act, state)
        state = (tape.h[:, 0], tape.c[:, 0],)
        C = rtrl_coefficients(tape, act)
        r0 = C['r0'][:, 0, :, None]
        r1 = C['r1'][:, 0, :, None]
        r2 = C['r2'][:, 0, :, None]
        r3 = C['r3'][:, 0, :, None]
        r4 = C['r4'][:, 0, :, None]
        r5 = C['r5'][:, 0, :, None]
        r6 = C['r6'][:, 0, :, None]
        r7 = C['r7'][:, 0, :, None]
        r8 = C['r8'][:, 0, :, None]
        h_prev = tape.h_prev[:, 0]
        # bdot = W*hdot + Wdot*s_prev + b_Wdot  (along every direction at once)
        Bd = p.W @ M_h  # W*hdot
        Bd[:, rows[:, None], W_columns] += h_prev[:, None, :]  # Wdot*h_prev: along W[r, c], h_c in row r
        Bd[:, rows, bW0 + rows] += 1  # b_Wdot: along b_W[r], e_r
        # adot = Udot*x_t + b_Udot: along U[r, x_t], e_r
        U_columns = U0 + rows * D + x[:, t, None]  # (N, kH)
        Ad[sequences, rows, U_columns] = 1
        ad_i, bd_i = Ad[:, :H], Bd[:, :H]
        ad_f, bd_f = Ad[:, H:2*H], Bd[:, H:2*H]
        ad_g, bd_g = Ad[:, 2*H:3*H], Bd[:, 2*H:3*H]
        ad_o, bd_o = Ad[:, 3*H:], Bd[:, 3*H:]
        # dot_h' = c*dot_a_f*f*o*(1 - f)*(1 - tanh_c**2) + c*dot_b_f*f*o*(1 - f)*(1 - tanh_c**2) + dot_a_g*i*o*(1 - g**2)*(1 - tanh_c**2) + dot_a_i*g*i*o*(1 - i)*(1 - tanh_c**2) + dot_a_o*o*tanh_c*(1 - o) + dot_b_g*i*o*(1 - g**2)*(1 - tanh_c**2) + dot_b_i*g*i*o*(1 - i)*(1 - tanh_c**2) + dot_b_o*o*tanh_c*(1 - o) + dot_c*f*o*(1 - tanh_c**2)
        M_h_new = M_c*r0 + r2*(ad_i + bd_i) + r3*(ad_f + bd_f) + r4*(ad_g + bd_g) + r5*(ad_o + bd_o)
        # dot_c' = c*dot_a_f*f*(1 - f) + c*dot_b_f*f*(1 - f) + dot_a_g*i*(1 - g**2) + dot_a_i*g*i*(1 - i) + dot_b_g*i*(1 - g**2) + dot_b_i*g*i*(1 - i) + dot_c*f
        M_c_new = M_c*r1 + r6*(ad_i + bd_i) + r7*(ad_f + bd_f) + r8*(ad_g + bd_g)
        M_h, M_c = M_h_new, M_c_new
        Ad[sequences, rows, U_columns] = 0
        g = output(t, state[0])  # g_t = V^T (yhat_t - y_t)
        grad += np.tensordot(g, M_h, 2)  # g_t^T dh_t/dtheta
    return grad[U0:W0].reshape(kH, D), grad[W0 : W0 + kH * H].reshape(kH, H), grad[bU0:bW0], grad[bW0:]
