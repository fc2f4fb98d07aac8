"""The activations: GENERATED CODE, do not edit by hand.

Each activation f of :mod:`bptt_book.derivation.activations` and its derivative written in the
output s = f(z), with gamma = max f'.

Written by ``python -m bptt_book generate`` from the SymPy derivation in
:mod:`bptt_book.derivation`; ``python -m bptt_book generate --check`` fails when this file differs
from what the derivation prints today.
Every right-hand side is printed from a SymPy expression, quoted in the comment above it.
Arrays are time-stacked and batched: token ids ``x`` are (N, T) and a state is (N, T, H).  A
column vector of the derivation is a row here, so ``W.T*d_b`` is printed as ``d_b @ W``.
This module imports NumPy only.
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
    # s*(1 - s)
    return s*(1 - s)


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

#: The largest slope gamma = max f' of each activation, the factor in the bound
#: ||ds_t/ds_k|| <= (gamma sigma_max(W)) ** (t - k) of the plain RNN.
GAMMA = {
    "tanh": 1,
    "sigmoid": 1/4,
    "relu": 1,
}
