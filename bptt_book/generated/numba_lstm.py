"""The LSTM (cell ``lstm``), compiled target: GENERATED CODE, do not edit by hand.

Its equations (bptt_book.derivation.cells), per hidden unit, with a = U x_t + b_U and
b = W h_(t-1) + b_W cut into the blocks 'i', 'f', 'g', 'o':

    i = sigmoid(a_i + b_i)
    f = sigmoid(a_f + b_f)
    g = tanh(a_g + b_g)
    o = sigmoid(a_o + b_o)
    c' = f*c + i*g
    h' = o*tanh(c')

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

NAME = 'lstm'
STATES = ('h', 'c')
BLOCKS = ('i', 'f', 'g', 'o')
BIASES = True
#: The arrays ``forward`` fills, each (T, B, H), in its argument order
TAPE = ('h', 'c', 'i', 'f', 'g', 'o', 'tanh_c')
#: True when some block's input adjoint differs from its recurrent one (dA != dB)
SEPARATE_DA = False


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def forward(U, WT, bU, bW, xT, tape_h, tape_c, tape_i, tape_f, tape_g, tape_o, tape_tanh_c):
    """The LSTM over token ids xT (T, B); fills the tape arrays, each (T, B, H):
    h, c, i, f, g, o, tanh_c.  U (kH, D), WT = W.T (H, kH), contiguous.
    """
    T, B = xT.shape
    H, kH = WT.shape
    dtype = tape_h.dtype
    zero_row = np.zeros(H, dtype)  # the states before the first step
    Z = np.empty((B, kH), dtype)  # W h_(t-1) for the whole batch
    pre = np.empty(kH, dtype)  # a + b = U x_t + b_U + W h_(t-1) + b_W
    bias = bU + bW
    for t in range(T):
        if t > 0 and B > 1:
            np.dot(tape_h[t - 1], WT, Z)  # one matrix product for the batch
        for m in range(B):
            x = xT[t, m]
            for k in range(kH):
                pre[k] = U[k, x] + bias[k]
            if t > 0 and B > 1:
                for k in range(kH):
                    pre[k] += Z[m, k]
            elif t > 0:  # one sequence: W h_(t-1) as axpy over the rows of W.T
                hp = tape_h[t - 1, 0]
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
            ab_i = pre[0:H]
            ab_f = pre[H:2*H]
            ab_g = pre[2*H:3*H]
            ab_o = pre[3*H:4*H]
            c_prev = zero_row if t == 0 else tape_c[t - 1, m]
            h_t = tape_h[t, m]
            c_t = tape_c[t, m]
            i_t = tape_i[t, m]
            f_t = tape_f[t, m]
            g_t = tape_g[t, m]
            o_t = tape_o[t, m]
            tanh_c_t = tape_tanh_c[t, m]
            # i = sigmoid(a_i + b_i)
            for u in range(H):
                i_t[u] = sigmoid_(ab_i[u])
            # f = sigmoid(a_f + b_f)
            for u in range(H):
                f_t[u] = sigmoid_(ab_f[u])
            # g = tanh(a_g + b_g)
            for u in range(H):
                g_t[u] = tanh_(ab_g[u])
            # o = sigmoid(a_o + b_o)
            for u in range(H):
                o_t[u] = sigmoid_(ab_o[u])
            # c' = c*f + g*i
            for u in range(H):
                c_t[u] = c_prev[u]*f_t[u] + g_t[u]*i_t[u]
            # tanh_c = tanh(c')
            for u in range(H):
                tanh_c_t[u] = tanh_(c_t[u])
            # h' = o*tanh_c
            for u in range(H):
                h_t[u] = o_t[u]*tanh_c_t[u]


@njit(cache=True, error_model="numpy", fastmath={"contract", "reassoc"})
def backward(W, WT, G, tape_h, tape_c, tape_i, tape_f, tape_g, tape_o, tape_tanh_c, dB):
    """Exact BPTT through the LSTM: fills dB (T, B, kH), the adjoints of
    b_t = W h_(t-1) + b_W at every step (equal to those of a_t = U x_t + b_U).
    G (T, B, H) holds g_t = V^T (yhat_t - y_t); the tape is what ``forward`` filled.
    """
    T, B, H = G.shape
    kH = W.shape[0]
    dtype = G.dtype
    zero = dtype.type(0)
    one = dtype.type(1)
    carry = np.zeros((B, H), dtype)  # what step t + 1 sends back to h_t
    next_c = np.zeros((B, H), dtype)  # what step t + 1 sends to c_t
    zero_row = np.zeros(H, dtype)  # the states before the first step
    for t in range(T - 1, -1, -1):
        for m in range(B):
            g_out = G[t, m]
            carry_m = carry[m]
            next_c_m = next_c[m]
            i_t = tape_i[t, m]
            f_t = tape_f[t, m]
            g_t = tape_g[t, m]
            o_t = tape_o[t, m]
            tanh_c_t = tape_tanh_c[t, m]
            c_prev = zero_row if t == 0 else tape_c[t - 1, m]
            db = dB[t, m]
            db_i = db[0:H]
            db_f = db[H:2*H]
            db_g = db[2*H:3*H]
            db_o = db[3*H:4*H]
            for u in range(H):
                i = i_t[u]
                f = f_t[u]
                g = g_t[u]
                o = o_t[u]
                tanh_c = tanh_c_t[u]
                c = c_prev[u]
                # c0 = o*(1 - tanh_c**2)
                c0 = -o*((tanh_c*tanh_c) - one)
                # c1 = g*i*(1 - i)
                c1 = -g*i*(i - one)
                # c2 = c*f*(1 - f)
                c2 = -c*f*(f - one)
                # c3 = i*(1 - g**2)
                c3 = -i*((g*g) - one)
                # c4 = o*tanh_c*(1 - o)
                c4 = -o*tanh_c*(o - one)
                # c5 = f
                c5 = f
                d_h = g_out[u] + carry_m[u]
                d_c = next_c_m[u]
                # adj_c' = d_c'*1 + d_h'*o*(1 - tanh_c**2)
                adj_c = d_c + c0*d_h
                # d_b_i = c1*adj_c
                db_i[u] = c1*adj_c
                # d_b_f = c2*adj_c
                db_f[u] = c2*adj_c
                # d_b_g = c3*adj_c
                db_g[u] = c3*adj_c
                # d_b_o = c4*d_h
                db_o[u] = c4*d_h
                # c_(t-1): c5*adj_c
                next_c_m[u] = c5*adj_c
        if t == 0:
            break
        # what step t sends back to h_(t-1): d_b W
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
KERNELS = {None: (forward, backward)}
