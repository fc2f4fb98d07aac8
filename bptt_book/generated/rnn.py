"""The plain RNN (cell ``rnn``): GENERATED CODE, do not edit by hand.

Its equations (bptt_book.derivation.cells), per hidden unit, with a = U x_t + b_U and
b = W s_(t-1) + b_W cut into the blocks '':

    s' = f(a + b)

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

NAME = 'rnn'
STATES = ('s',)
BLOCKS = ('',)
BIASES = False
#: True when the equations call the activation f, chosen when the cell runs
PLUGGABLE = True


class Params(NamedTuple):
    """The weights of the plain RNN, or gradients of the same shapes.

    U (1H, D), W (1H, H): row blocks ''; V (D, H) is the output layer.
    """

    U: np.ndarray
    V: np.ndarray
    W: np.ndarray


PARAMS = Params  # the parameter tuple of this cell


class Tape(NamedTuple):
    """What the forward pass keeps for the backward pass, each (N, T, H)."""

    s: np.ndarray  # s'
    s_prev: np.ndarray  # s


def forward(p, x, act=None, initial=None):
    """Run the plain RNN over token ids x (N, T); return its Tape.

    ``act`` is ``(f, f')`` when the cell's equations call the activation ``f``.
    ``initial`` is (s_(-1),), the states before step 0, each (N, H); None: zeros.
    """
    f, _ = act  # the activation (and its derivative in the output)
    N, T = x.shape
    H = p.W.shape[1]
    A = input_projection(p.U, None, x)  # a_t = U x_t + b_U, every step
    s_all = np.empty((N, T, H), dtype=A.dtype)
    if initial is None:
        s = np.zeros((N, H), dtype=A.dtype)
    else:
        s, = (np.asarray(v, dtype=A.dtype) for v in initial)
    WT = p.W.T
    for t in range(T):
        # b_t = W*s
        b = s @ WT
        a = A[:, t]
        # s' = f(a + b)
        s = s_all[:, t] = f(a + b)
    s_prev_all = previous_states(s_all, None if initial is None else initial[0])
    return Tape(s_all, s_prev_all)


def coefficients(tape, act=None):
    """The factors of the backward step that depend on the forward values only,
    for every step at once: each (N, T, H), stacked (N, T, blocks, H) where a group
    of blocks shares one adjoint.
    """
    _, fprime = act  # the activation's derivative, written in its output
    # c0 = fprime(s')
    c0 = fprime(tape.s)
    return {'c0': c0}


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
    c0 = C['c0']
    dB = np.empty_like(G)
    next_s = np.zeros_like(G[:, 0])
    for t in range(T - 1, -1, -1):
        d_s = G[:, t] + next_s
        db = dB[:, t] = c0[:, t] * d_s
        # next_s = d_b @ W  (W.T*d_b as a row)
        next_s = db @ W
    return dB.reshape(N, T, -1), ()


def _window(W, G, K, C):
    """BPTT truncated at K: output t's error reaches steps t ... max(0, t-K).

    At lag j, row k of ``inc_*`` holds the adjoint that output k+j sends to step k.
    Every output moves back at once, one product with W per lag; the adjoints are
    linear in what arrives, so the lags add up first and the blocks follow once.
    """
    N, T, H = G.shape
    c0 = C['c0']
    inc_s = G
    total_s = inc_s.copy()
    for j in range(1, min(K, T - 1) + 1):
        n = T - j + 1  # rows 0 ... n-1 of the previous lag are filled
        d_s = inc_s[:, 1:n]
        db = c0[:, 1:n] * d_s
        inc_s = db @ W
        total_s[:, : n - 1] += inc_s
    d_s = total_s
    dB = c0 * d_s
    return dB.reshape(N, T, -1), (total_s,)


def jacobian_parts(p, tape, act=None):
    """The step Jacobian d(state_t)/d(state_(t-1)) = P + Q W, unit by unit.

    The state is [s] (S = 1 vector of H).  ``P`` (N, T, S, S, H) holds the
    diagonals of the direct paths: block (i, j) is diag(P[..., i, j, :]).
    ``Q`` (N, T, S, k, H), k = 1, holds the diagonals of the paths through W:
    block row i of Q W is sum_k diag(Q[..., i, k, :]) W_k, where W_k is row block k
    of W, and it acts on the first state, s_(t-1).
    """
    _, fprime = act  # the activation's derivative, written in its output
    # j0 = fprime(s')
    j0 = fprime(tape.s)
    P = np.zeros(tape.s.shape[:-1] + (1, 1) + tape.s.shape[-1:], dtype=tape.s.dtype)
    Q = np.zeros(tape.s.shape[:-1] + (1, 1) + tape.s.shape[-1:], dtype=tape.s.dtype)
    # d s' / d s, through W: diag(fprime(s'))
    Q[..., 0, 0, :] = j0
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
    the adjoints sent back to the states before step 0 (s_(-1)).  ``keep`` (N, T)
    multiplies the adjoint that step t sends back to step t-1 (0 cuts the link); None
    keeps every link.  ``carry`` holds the adjoints arriving at the last step's states
    from later steps; None: zeros.  With neither, this is ``backward`` without
    truncation.
    """
    C = coefficients(tape, act)
    N, T, H = G.shape
    W = p.W
    c0 = C['c0']
    dB = np.empty_like(G)
    next_s = np.zeros_like(G[:, 0]) if carry is None else carry[0]
    for t in range(T - 1, -1, -1):
        d_s = G[:, t] + next_s
        db = dB[:, t] = c0[:, t] * d_s
        # next_s = d_b @ W  (W.T*d_b as a row)
        next_s = db @ W
        if keep is not None:  # the link between step t-1 and step t
            next_s = keep[:, t, None] * next_s
    dB = dB.reshape(N, T, -1)
    return dB, dB, (next_s,)  # dA = dB: every block's two adjoints are equal


def rtrl_coefficients(tape, act=None):
    """The partial derivatives of each new state with respect to the inputs of its step
    (previous states, blocks of a_t and of b_t), for every step at once: each (N, T, H).
    """
    _, fprime = act  # the activation's derivative, written in its output
    # r0 = fprime(s')
    r0 = fprime(tape.s)
    return {'r0': r0}


def rtrl(p, x, output, act=None):
    """Real-time recurrent learning: the gradients of U, W, carried forwards.

    Runs the cell over x (N, T) one step at a time, carrying for each state (s)
    its sensitivity M (N, H, P): d state / d theta for the P entries theta of U, W
    (each flattened row by row, in that order).  After step t it calls ``output(t, s)`` with
    the new state s (N, H), which returns g_t = V^T (yhat_t - y_t) (N, H), and adds
    g_t M to the gradient.  Nothing of an earlier step is kept: memory does not grow
    with T.
    """
    N, T = x.shape
    kH, D = p.U.shape
    H = p.W.shape[1]
    dtype = p.W.dtype
    # the columns of a sensitivity: the entries of U, W, each row by row
    U0, W0 = 0, kH * D
    P = W0 + kH * H
    rows, units = np.arange(kH), np.arange(H)
    sequences = np.arange(N)[:, None]
    W_columns = W0 + rows[:, None] * H + units  # (kH, H): the column of W[r, c]
    M_s = np.zeros((N, H, P), dtype=dtype)
    Ad = np.zeros((N, kH, P), dtype=dtype)  # adot along every direction
    grad = np.zeros(P, dtype=dtype)
    state = None
    for t in range(T):
        tape = forward(p, x[:, t : t + 1], act, state)
        state = (tape.s[:, 0],)
        C = rtrl_coefficients(tape, act)
        r0 = C['r0'][:, 0, :, None]
        s_prev = tape.s_prev[:, 0]
        # bdot = W*hdot + Wdot*s_prev  (along every direction at once)
        Bd = p.W @ M_s  # W*hdot
        Bd[:, rows[:, None], W_columns] += s_prev[:, None, :]  # Wdot*s_prev: along W[r, c], s_c in row r
        # adot = Udot*x_t: along U[r, x_t], e_r
        U_columns = U0 + rows * D + x[:, t, None]  # (N, kH)
        Ad[sequences, rows, U_columns] = 1
        ad, bd = Ad, Bd
        # dot_s' = dot_a*fprime(s') + dot_b*fprime(s')
        M_s_new = r0*(ad + bd)
        M_s = M_s_new
        Ad[sequences, rows, U_columns] = 0
        g = output(t, state[0])  # g_t = V^T (yhat_t - y_t)
        grad += np.tensordot(g, M_s, 2)  # g_t^T ds_t/dtheta
    return grad[U0:W0].reshape(kH, D), grad[W0 : W0 + kH * H].reshape(kH, H)
