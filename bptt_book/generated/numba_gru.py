"""The GRU (cell ``gru``), compiled target: GENERATED CODE, do not edit by hand.

Its equations (bptt_book.derivation.cells), per hidden unit, with a = U x_t + b_U and
b = W h_(t-1) + b_W cut into the blocks 'r', 'z', 'n':

    r = sigmoid(a_r + b_r)
    z = sigmoid(a_z + b_z)
    n = tanh(a_n + r*b_n)
    h' = (1 - z)*n + z*h

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

NAME = 'gru'
STATES = ('h',)
BLOCKS = ('r', 'z', 'n')
BIASES = True
#: The arrays ``forward`` fills, each (T, B, H), in its argument order
TAPE = ('h', 'b_n', 'r', 'z', 'n')
#: True when some block's input adjoint differs from its recurrent one (dA != dB)
SEPARATE_DA = True


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def forward(U, WT, bU, bW, xT, tape_h, tape_b_n, tape_r, tape_z, tape_n):
    """The GRU over token ids xT (T, B); fills the tape arrays, each (T, B, H):
    h, b_n, r, z, n.  U (kH, D), WT = W.T (H, kH), contiguous.
    """
    T, B = xT.shape
    H, kH = WT.shape
    dtype = tape_h.dtype
    one = dtype.type(1)
    zero_row = np.zeros(H, dtype)  # the states before the first step
    Z = np.empty((B, kH), dtype)  # W h_(t-1) for the whole batch
    ga = np.empty(kH, dtype)  # a = U x_t + b_U
    gb = np.empty(kH, dtype)  # b = W h_(t-1) + b_W
    for t in range(T):
        if t > 0 and B > 1:
            np.dot(tape_h[t - 1], WT, Z)  # one matrix product for the batch
        for m in range(B):
            x = xT[t, m]
            for k in range(kH):
                ga[k] = U[k, x] + bU[k]
                gb[k] = bW[k]
            if t > 0 and B > 1:
                for k in range(kH):
                    gb[k] += Z[m, k]
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
                        gb[k] += q0 * w0[k] + q1 * w1[k] + q2 * w2[k] + q3 * w3[k]
                    j += 4
                while j < H:
                    q0 = hp[j]
                    w0 = WT[j]
                    for k in range(kH):
                        gb[k] += q0 * w0[k]
                    j += 1
            a_r = ga[0:H]
            b_r = gb[0:H]
            a_z = ga[H:2*H]
            b_z = gb[H:2*H]
            a_n = ga[2*H:3*H]
            b_n = gb[2*H:3*H]
            h_prev = zero_row if t == 0 else tape_h[t - 1, m]
            h_t = tape_h[t, m]
            b_n_t = tape_b_n[t, m]
            r_t = tape_r[t, m]
            z_t = tape_z[t, m]
            n_t = tape_n[t, m]
            # b_n kept for the backward step
            for u in range(H):
                b_n_t[u] = b_n[u]
            # r = sigmoid(a_r + b_r)
            for u in range(H):
                r_t[u] = sigmoid_(a_r[u] + b_r[u])
            # z = sigmoid(a_z + b_z)
            for u in range(H):
                z_t[u] = sigmoid_(a_z[u] + b_z[u])
            # n = tanh(a_n + b_n*r)
            for u in range(H):
                n_t[u] = tanh_(a_n[u] + b_n[u]*r_t[u])
            # h' = h*z + n*(1 - z)
            for u in range(H):
                h_t[u] = h_prev[u]*z_t[u] + n_t[u]*(one - z_t[u])


@njit(cache=True, error_model="numpy", fastmath={"contract", "reassoc"})
def backward(W, WT, G, tape_h, tape_b_n, tape_r, tape_z, tape_n, dA, dB):
    """Exact BPTT through the GRU: fills dB (T, B, kH), the adjoints of
    b_t = W h_(t-1) + b_W at every step, and dA, those of a_t = U x_t + b_U.
    G (T, B, H) holds g_t = V^T (yhat_t - y_t); the tape is what ``forward`` filled.
    """
    T, B, H = G.shape
    kH = W.shape[0]
    dtype = G.dtype
    one = dtype.type(1)
    carry = np.zeros((B, H), dtype)  # what step t + 1 sends back to h_t
    direct = np.zeros((B, H), dtype)  # the part of it not through W
    zero_row = np.zeros(H, dtype)  # the states before the first step
    for t in range(T - 1, -1, -1):
        for m in range(B):
            g_out = G[t, m]
            carry_m = carry[m]
            direct_m = direct[m]
            b_n_t = tape_b_n[t, m]
            r_t = tape_r[t, m]
            z_t = tape_z[t, m]
            n_t = tape_n[t, m]
            h_prev = zero_row if t == 0 else tape_h[t - 1, m]
            db = dB[t, m]
            da = dA[t, m]
            db_r = db[0:H]
            da_r = da[0:H]
            db_z = db[H:2*H]
            da_z = da[H:2*H]
            db_n = db[2*H:3*H]
            da_n = da[2*H:3*H]
            for u in range(H):
                b_n = b_n_t[u]
                r = r_t[u]
                z = z_t[u]
                n = n_t[u]
                h = h_prev[u]
                x0 = z - one
                x1 = x0*((n*n) - one)
                x2 = r*x1
                # c0 = b_n*r*(1 - n**2)*(1 - r)*(1 - z)
                c0 = -b_n*x2*(r - one)
                # c1 = z*(1 - z)*(h - n)
                c1 = -x0*z*(h - n)
                # c2 = r*(1 - n**2)*(1 - z)
                c2 = x2
                # c3 = z
                c3 = z
                # c4 = (1 - n**2)*(1 - z)
                c4 = x1
                d_h = g_out[u] + carry_m[u]
                # d_b_r = c0*d_h
                db_r[u] = da_r[u] = c0*d_h
                # d_b_z = c1*d_h
                db_z[u] = da_z[u] = c1*d_h
                # d_a_n = c4*d_h
                da_n[u] = c4*d_h
                # d_b_n = c2*d_h
                db_n[u] = c2*d_h
                # h_(t-1), not through W: c3*d_h
                direct_m[u] = c3*d_h
        if t == 0:
            break
        # what step t sends back to h_(t-1): d_b W + the direct part
        if B > 1:
            np.dot(dB[t], W, carry)  # one matrix product for the batch
            for m in range(B):
                for j in range(H):
                    carry[m, j] += direct[m, j]
        else:  # one sequence: dot products over the rows of W.T
            db = dB[t, 0]
            back = carry[0]
            j = 0
            while j + 4 <= H:
                w0 = WT[j]
                w1 = WT[j + 1]
                w2 = WT[j + 2]
                w3 = WT[j + 3]
                a0 = direct[0, j]
                a1 = direct[0, j + 1]
                a2 = direct[0, j + 2]
                a3 = direct[0, j + 3]
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
                a0 = direct[0, j]
                for k in range(kH):
                    a0 += w0[k] * db[k]
                back[j] = a0
                j += 1


#: activation name (None: the cell's own) -> (forward, backward)
KERNELS = {None: (forward, backward)}
