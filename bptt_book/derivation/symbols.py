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

# Scalars for the activations: z the input, s the output s = f(z).
z = sp.Symbol("z", real=True)
s = sp.Symbol("s", real=True)

class softplus(sp.Function):
    """``log(1 + exp(u))``; the NumPy printer writes it as ``np.logaddexp(0, u)``, which
    neither overflows for large ``u`` nor loses the small values for very negative ``u``."""

    nargs = 1

    def _eval_rewrite_as_log(self, u, **kwargs):
        return sp.log(1 + sp.exp(u))

    def fdiff(self, argindex=1):
        (u,) = self.args
        return 1 / (1 + sp.exp(-u))


#: The activations the book studies, as functions of z.
ACTIVATIONS = {
    "tanh": sp.tanh(z),
    "sigmoid": 1 / (1 + sp.exp(-z)),
    "relu": sp.Max(0, z),
}
