"""The model of the book written with SymPy symbols.

One time step of the recurrent network::

    z_t = U x_t + W s_{t-1}        s_t = f(z_t)
    o_t = V s_t                    yhat_t = softmax(o_t)
    E_t = -log yhat_t[y_t]

Shapes follow the tutorial: ``U`` is (H, D), ``V`` is (D, H), ``W`` is (H, H); ``x_t`` is a
one-hot column of length D and ``s_t`` a column of length H.  Time-stacked matrices
(``S``, ``X``, ...) hold one time step per row, which is how the generated NumPy code
stores them.
"""

import sympy as sp

# Sizes: H hidden units, D words in the vocabulary, N stacked rows (time steps).
H, D, N = sp.symbols("H D N", integer=True, positive=True)

# Parameters.
U = sp.MatrixSymbol("U", H, D)
V = sp.MatrixSymbol("V", D, H)
W = sp.MatrixSymbol("W", H, H)

# One time step, as columns.
x_t = sp.MatrixSymbol("x_t", D, 1)  # one-hot input word
s_prev = sp.MatrixSymbol("s_prev", H, 1)  # s_{t-1}
z_t = sp.MatrixSymbol("z_t", H, 1)  # pre-activation U x_t + W s_{t-1}
s_t = sp.MatrixSymbol("s_t", H, 1)  # hidden state f(z_t)
o_t = sp.MatrixSymbol("o_t", D, 1)  # output logits V s_t
yhat_t = sp.MatrixSymbol("yhat_t", D, 1)  # softmax(o_t)
y_t = sp.MatrixSymbol("y_t", D, 1)  # one-hot label
delta_t = sp.MatrixSymbol("delta_t", H, 1)  # dE/dz_t, the delta vector
delta_next = sp.MatrixSymbol("delta_next", H, 1)  # delta_{t+1}
g_t = sp.MatrixSymbol("g_t", H, 1)  # V^T (yhat_t - y_t): the output layer's push on s_t
fprime_t = sp.MatrixSymbol("fprime_t", H, 1)  # f'(z_t), elementwise

# An elementwise activation left abstract, so the structure of BPTT is derived once.
f = sp.Function("f")


def pre_activation():
    """``z_t = U x_t + W s_{t-1}`` as a matrix expression."""
    return U * x_t + W * s_prev


# Time-stacked matrices: row n is one time step (of one sequence in a batch).
S = sp.MatrixSymbol("S", N, H)  # hidden states s_t
S_prev = sp.MatrixSymbol("S_prev", N, H)  # s_{t-1}, with s_{-1} = 0
X = sp.MatrixSymbol("X", N, D)  # one-hot inputs
Y = sp.MatrixSymbol("Y", N, D)  # one-hot labels
P = sp.MatrixSymbol("P", N, D)  # softmax outputs yhat_t
Do = sp.MatrixSymbol("Do", N, D)  # dE/do_t = yhat_t - y_t
G = sp.MatrixSymbol("G", N, H)  # rows g_t
Delta = sp.MatrixSymbol("Delta", N, H)  # rows delta_t

# ------------------------------------------------------------------ every cell's projections
# A cell with k row blocks (bptt_book.derivation.cell) has U (kH, D) and W (kH, H), and biases
# b_U, b_W of kH entries.  Its two projections are the same for every cell; only its core
# differs.
kH = sp.Symbol("kH", integer=True, positive=True)  # k blocks of H rows
U_cell = sp.MatrixSymbol("U", kH, D)
W_cell = sp.MatrixSymbol("W", kH, H)
b_U = sp.MatrixSymbol("b_U", kH, 1)
b_W = sp.MatrixSymbol("b_W", kH, 1)
a_t = sp.MatrixSymbol("a_t", kH, 1)  # U x_t + b_U
b_t = sp.MatrixSymbol("b_t", kH, 1)  # W h_{t-1} + b_W
d_b = sp.MatrixSymbol("d_b", kH, 1)  # dE/db_t, a column
A = sp.MatrixSymbol("A", N, kH)  # rows a_t^T
dA = sp.MatrixSymbol("dA", N, kH)  # rows dE/da_t
dB = sp.MatrixSymbol("dB", N, kH)  # rows dE/db_t
ones = sp.OneMatrix(N, 1)
