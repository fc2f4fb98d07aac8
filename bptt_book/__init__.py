"""bptt_book: backpropagation through time, derived by SymPy and run by NumPy.

>>> import bptt_book as bb
>>> p = bb.init_params(100, 10, seed=0)
>>> dU, dV, dW = bb.bptt(p, [0, 1, 2], [1, 2, 3])
>>> dW.shape
(10, 10)

Importing the package or computing a gradient never imports SymPy: the gradients come from
:mod:`bptt_book.generated`, which SymPy wrote ahead of time (``python -m bptt_book
generate``).
"""

from .gradients import GradientCheck, bptt, gradient_check, rtrl
from .model import GRUParams, LSTMParams, Params, forward, init_params, loss
from .vanishing import (
    activation_bound,
    clip_gradients,
    global_norm,
    gradient_contributions,
    input_gradients,
    jacobian,
    jacobian_norms,
    spectral_norm,
)

# The one place the version is written: pyproject.toml and docs/conf.py read it from here.
__version__ = "0.1.0"

__all__ = [
    "GRUParams",
    "GradientCheck",
    "LSTMParams",
    "Params",
    "activation_bound",
    "bptt",
    "clip_gradients",
    "global_norm",
    "gradient_contributions",
    "input_gradients",
    "jacobian",
    "jacobian_norms",
    "spectral_norm",
    "forward",
    "gradient_check",
    "init_params",
    "loss",
    "rtrl",
]
