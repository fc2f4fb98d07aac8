"""The plain RNN (cell ``rnn``), compiled target: GENERATED CODE, do not edit by hand.

Its equations (bptt_book.derivation.cells), per hidden unit, with a = U x_t + b_U and
b = W s_(t-1) + b_W cut into the blocks '':

    s' = f(a + b)

Written by ``python -m bptt_book generate`` from the SymPy derivation, through
:mod:`bptt_book.derivation.numba_target`; ``python -m bptt_book generate --check`` fails when this file
differs from what the derivation prints today.  Inside every loop over hidden units ``u``
each right-hand side is printed from a SymPy expression, quoted in the comment above it.
Arrays are time-major: token ids ``xT`` are (T, B) and every stored array is (T, B, H).
This module imports Numba; ``bptt_book.backend`` imports it only when the compiled backend
runs (``import bptt_book`` never does).
"""

import numpy as np
from numba import njit

from ..vmath import sigmoid_, tanh_

NAME = 'rnn'
STATES = ('s',)
BLOCKS = ('',)
BIASES = False
#: The arrays ``forward`` fills, each (T, B, H), in its argument order
TAPE = ('s',)
#: True when some block's input adjoint differs from its recurrent one (dA != dB)
SEPARATE_DA = False


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def forward_tanh(U, WT, xT, tape_s):
    """The plain RNN with f = tanh over token ids xT (T, B); fills the tape arrays, each (T, B, H):
    s.  U (kH, D), WT = W.T (H, kH), contiguous.
    """
    T, B = xT.shape
    H, kH = WT.shape
    dtype = tape_s.dtype
    Z = np.empty((B, kH), dtype)  # W h_(t-1) for the whole batch
    pre = np.empty(kH, dtype)  # a + b = U x_t + b_U + W h_(t-1) + b_W
    for t in range(T):
        if t > 0 and B > 1:
            np.dot(tape_s[t - 1], WT, Z)  # one matrix product for the batch
        for m in range(B):
            x = xT[t, m]
            for k in range(kH):
                pre[k] = U[k, x]
            if t > 0 and B > 1:
                for k in range(kH):
                    pre[k] += Z[m, k]
            elif t > 0:  # one sequence: W h_(t-1) as axpy over the rows of W.T
                hp = tape_s[t - 1, 0]
                j = 0
                while j + 4 <= H:
                    q0 = hp[j]
                    q1 = hp[j + 1]
                    q2 = hp[j + 2]
                    q3 = hp[j + 3]
                    w0 = WT[j]
                    w1 = WT[j + 1]
                    w2 = WT[j + 2]
                    w3 = WT[j + 3]
                    for k in range(kH):
                        pre[k] += q0 * w0[k] + q1 * w1[k] + q2 * w2[k] + q3 * w3[k]
                    j += 4
                while j < H:
                    q0 = hp[j]
                    w0 = WT[j]
                    for k in range(kH):
                        pre[k] += q0 * w0[k]
                    j += 1
            ab = pre[0:H]
            s_t = tape_s[t, m]
            # s' = tanh(a + b)
            for u in range(H):
                s_t[u] = tanh_(ab[u])


@njit(cache=True, error_model="numpy", fastmath={"contract", "reassoc"})
def backward_tanh(W, WT, G, tape_s, dB):
    """Exact BPTT through the plain RNN with f = tanh: fills dB (T, B, kH), the adjoints of
    b_t = W h_(t-1) + b_W at every step (equal to those of a_t = U x_t + b_U).
    G (T, B, H) holds g_t = V^T (yhat_t - y_t); the tape is what ``forward`` filled.
    """
    T, B, H = G.shape
    kH = W.shape[0]
    dtype = G.dtype
    zero = dtype.type(0)
    one = dtype.type(1)
    carry = np.zeros((B, H), dtype)  # what step t + 1 sends back to s_t
    for t in range(T - 1, -1, -1):
        for m in range(B):
            g_out = G[t, m]
            carry_m = carry[m]
            s_t = tape_s[t, m]
            db = dB[t, m]
            for u in range(H):
                s_new = s_t[u]
                # c0 = 1 - s'**2
                c0 = one - (s_new*s_new)
                d_s = g_out[u] + carry_m[u]
                # d_b = c0*d_s
                db[u] = c0*d_s
        if t == 0:
            break
        # what step t sends back to s_(t-1): d_b W
        if B > 1:
            np.dot(dB[t], W, carry)  # one matrix product for the batch
        else:  # one sequence: dot products over the rows of W.T
            db = dB[t, 0]
            back = carry[0]
            j = 0
            while j + 4 <= H:
                w0 = WT[j]
                w1 = WT[j + 1]
                w2 = WT[j + 2]
                w3 = WT[j + 3]
                a0 = zero
                a1 = zero
                a2 = zero
                a3 = zero
                for k in range(kH):
                    d = db[k]
                    a0 += w0[k] * d
                    a1 += w1[k] * d
                    a2 += w2[k] * d
                    a3 += w3[k] * d
                back[j] = a0
                back[j + 1] = a1
                back[j + 2] = a2
                back[j + 3] = a3
                j += 4
            while j < H:
                w0 = WT[j]
                a0 = zero
                for k in range(kH):
                    a0 += w0[k] * db[k]
                back[j] = a0
                j += 1


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def forward_sigmoid(U, WT, xT, tape_s):
    """The plain RNN with f = sigmoid over token ids xT (T, B); fills the tape arrays, each (T, B, H):
    s.  U (kH, D), WT = W.T (H, kH), contiguous.
    """
    T, B = xT.shape
    H, kH = WT.shape
    dtype = tape_s.dtype
    Z = np.empty((B, kH), dtype)  # W h_(t-1) for the whole batch
    pre = np.empty(kH, dtype)  # a + b = U x_t + b_U + W h_(t-1) + b_W
    for t in range(T):
        if t > 0 and B > 1:
            np.dot(tape_s[t - 1], WT, Z)  # one matrix product for the batch
        for m in range(B):
            x = xT[t, m]
            for k in range(kH):
                pre[k] = U[k, x]
            if t > 0 and B > 1:
                for k in range(kH):
                    pre[k] += Z[m, k]
            elif t > 0:  # one sequence: W h_(t-1) as axpy over the rows of W.T
                hp = tape_s[t - 1, 0]
                j = 0
                while j + 4 <= H:
                    q0 = hp[j]
                    q1 = hp[j + 1]
                    q2 = hp[j + 2]
                    q3 = hp[j + 3]
                    w0 = WT[j]
                    w1 = WT[j + 1]
                    w2 = WT[j + 2]
                    w3 = WT[j + 3]
                    for k in range(kH):
                        pre[k] += q0 * w0[k] + q1 * w1[k] + q2 * w2[k] + q3 * w3[k]
                    j += 4
                while j < H:
                    q0 = hp[j]
                    w0 = WT[j]
                    for k in range(kH):
                        pre[k] += q0 * w0[k]
                    j += 1
            ab = pre[0:H]
            s_t = tape_s[t, m]
            # s' = sigmoid(a + b)
            for u in range(H):
                s_t[u] = sigmoid_(ab[u])


@njit(cache=True, error_model="numpy", fastmath={"contract", "reassoc"})
def backward_sigmoid(W, WT, G, tape_s, dB):
    """Exact BPTT through the plain RNN with f = sigmoid: fills dB (T, B, kH), the adjoints of
    b_t = W h_(t-1) + b_W at every step (equal to those of a_t = U x_t + b_U).
    G (T, B, H) holds g_t = V^T (yhat_t - y_t); the tape is what ``forward`` filled.
    """
    T, B, H = G.shape
    kH = W.shape[0]
    dtype = G.dtype
    zero = dtype.type(0)
    one = dtype.type(1)
    carry = np.zeros((B, H), dtype)  # what step t + 1 sends back to s_t
    for t in range(T - 1, -1, -1):
        for m in range(B):
            g_out = G[t, m]
            carry_m = carry[m]
            s_t = tape_s[t, m]
            db = dB[t, m]
            for u in range(H):
                s_new = s_t[u]
                # c0 = s'*(1 - s')
                c0 = -s_new*(s_new - one)
                d_s = g_out[u] + carry_m[u]
                # d_b = c0*d_s
                db[u] = c0*d_s
        if t == 0:
            break
        # what step t sends back to s_(t-1): d_b W
        if B > 1:
            np.dot(dB[t], W, carry)  # one matrix product for the batch
        else:  # one sequence: dot products over the rows of W.T
            db = dB[t, 0]
            back = carry[0]
            j = 0
            while j + 4 <= H:
                w0 = WT[j]
                w1 = WT[j + 1]
                w2 = WT[j + 2]
                w3 = WT[j + 3]
                a0 = zero
                a1 = zero
                a2 = zero
                a3 = zero
                for k in range(kH):
                    d = db[k]
                    a0 += w0[k] * d
                    a1 += w1[k] * d
                    a2 += w2[k] * d
                    a3 += w3[k] * d
                back[j] = a0
                back[j + 1] = a1
                back[j + 2] = a2
                back[j + 3] = a3
                j += 4
            while j < H:
                w0 = WT[j]
                a0 = zero
                for k in range(kH):
                    a0 += w0[k] * db[k]
                back[j] = a0
                j += 1


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def forward_relu(U, WT, xT, tape_s):
    """The plain RNN with f = relu over token ids xT (T, B); fills the tape arrays, each (T, B, H):
    s.  U (kH, D), WT = W.T (H, kH), contiguous.
    """
    T, B = xT.shape
    H, kH = WT.shape
    dtype = tape_s.dtype
    zero = dtype.type(0)
    Z = np.empty((B, kH), dtype)  # W h_(t-1) for the whole batch
    pre = np.empty(kH, dtype)  # a + b = U x_t + b_U + W h_(t-1) + b_W
    for t in range(T):
        if t > 0 and B > 1:
            np.dot(tape_s[t - 1], WT, Z)  # one matrix product for the batch
        for m in range(B):
            x = xT[t, m]
            for k in range(kH):
                pre[k] = U[k, x]
            if t > 0 and B > 1:
                for k in range(kH):
                    pre[k] += Z[m, k]
            elif t > 0:  # one sequence: W h_(t-1) as axpy over the rows of W.T
                hp = tape_s[t - 1, 0]
                j = 0
                while j + 4 <= H:
                    q0 = hp[j]
                    q1 = hp[j + 1]
                    q2 = hp[j + 2]
                    q3 = hp[j + 3]
                    w0 = WT[j]
                    w1 = WT[j + 1]
                    w2 = WT[j + 2]
                    w3 = WT[j + 3]
                    for k in range(kH):
                        pre[k] += q0 * w0[k] + q1 * w1[k] + q2 * w2[k] + q3 * w3[k]
                    j += 4
                while j < H:
                    q0 = hp[j]
                    w0 = WT[j]
                    for k in range(kH):
                        pre[k] += q0 * w0[k]
                    j += 1
            ab = pre[0:H]
            s_t = tape_s[t, m]
            # s' = relu(a + b)
            for u in range(H):
                s_t[u] = max(zero, ab[u])


@njit(cache=True, error_model="numpy", fastmath={"contract", "reassoc"})
def backward_relu(W, WT, G, tape_s, dB):
    """Exact BPTT through the plain RNN with f = relu: fills dB (T, B, kH), the adjoints of
    b_t = W h_(t-1) + b_W at every step (equal to those of a_t = U x_t + b_U).
    G (T, B, H) holds g_t = V^T (yhat_t - y_t); the tape is what ``forward`` filled.
    """
    T, B, H = G.shape
    kH = W.shape[0]
    dtype = G.dtype
    zero = dtype.type(0)
    one = dtype.type(1)
    carry = np.zeros((B, H), dtype)  # what step t + 1 sends back to s_t
    for t in range(T - 1, -1, -1):
        for m in range(B):
            g_out = G[t, m]
            carry_m = carry[m]
            s_t = tape_s[t, m]
            db = dB[t, m]
            for u in range(H):
                s_new = s_t[u]
                # c0 = Heaviside(s', 0)
                c0 = (one if s_new > zero else zero)
                d_s = g_out[u] + carry_m[u]
                # d_b = c0*d_s
                db[u] = c0*d_s
        if t == 0:
            break
        # what step t sends back to s_(t-1): d_b W
        if B > 1:
            np.dot(dB[t], W, carry)  # one matrix product for the batch
        else:  # one sequence: dot products over the rows of W.T
            db = dB[t, 0]
            back = carry[0]
            j = 0
            while j + 4 <= H:
                w0 = WT[j]
                w1 = WT[j + 1]
                w2 = WT[j + 2]
                w3 = WT[j + 3]
                a0 = zero
                a1 = zero
                a2 = zero
                a3 = zero
                for k in range(kH):
                    d = db[k]
                    a0 += w0[k] * d
                    a1 += w1[k] * d
                    a2 += w2[k] * d
                    a3 += w3[k] * d
                back[j] = a0
                back[j + 1] = a1
                back[j + 2] = a2
                back[j + 3] = a3
                j += 4
            while j < H:
                w0 = WT[j]
                a0 = zero
                for k in range(kH):
                    a0 += w0[k] * db[k]
                back[j] = a0
                j += 1


#: activation name (None: the cell's own) -> (forward, backward)
KERNELS = {'tanh': (forward_tanh, backward_tanh), 'sigmoid': (forward_sigmoid, backward_sigmoid), 'relu': (forward_relu, backward_relu)}
