"""The book's equations, each typeset from the SymPy object the generator prints.

A chapter opens a ``derived`` directive (defined in ``docs/conf.py``) with the name
``delta`` and gets ``\\delta_t = ...`` typeset from
:func:`~bptt_book.derivation.recurrence.delta_recurrence` -- the very expression printed
into :mod:`bptt_book.generated`.  So the book and the code cannot drift apart: change
the derivation and both change.

>>> from bptt_book.derivation.equations import equation
>>> print(equation("ds_dsprev"))
\\frac{\\partial s_t}{\\partial s_{t-1}} = \\operatorname{diag}\\left(f'(z_t)\\right) W
"""

import sympy as sp

from . import symbols as sym
from .generate import column_major
from .activations import activation
from .onestep import softmax_cross_entropy, step_jacobians
from .printer import latex
from .recurrence import derive


def _activation(name, label):
    def build():
        act = activation(name)
        return rf"{label}'(z) = {sp.latex(act.fprime_z)} = {sp.latex(act.fprime_s)}"
    return build


def _with(lhs, getter):
    return lambda: f"{lhs} = {latex(getter())}"


_g = lambda: derive().gradients  # noqa: E731
_r = lambda: derive().recurrence  # noqa: E731

#: name -> a function returning the LaTeX of ``lhs = derived expression``
EQUATIONS = {
    "tanh_prime": _activation("tanh", r"\tanh"),
    "sigmoid_prime": _activation("sigmoid", r"\sigma"),
    "relu_prime": _activation("relu", r"\operatorname{relu}"),
    "softmax_ce": _with(r"\frac{\partial E_t}{\partial o_t}",
                        lambda: softmax_cross_entropy().vector),
    "ds_dz": _with(r"\frac{\partial s_t}{\partial z_t}", lambda: step_jacobians().ds_dz),
    "dz_dsprev": _with(r"\frac{\partial z_t}{\partial s_{t-1}}\Big|_{\text{SymPy}}",
                       lambda: step_jacobians().dz_dsprev),
    "ds_dsprev_sympy": _with(r"\frac{\partial s_t}{\partial s_{t-1}}\Big|_{\text{SymPy}}",
                             lambda: step_jacobians().ds_dsprev),
    "ds_dsprev": _with(r"\frac{\partial s_t}{\partial s_{t-1}}",
                       lambda: sp.Transpose(step_jacobians().ds_dsprev).doit()),
    "do_ds": _with(r"\frac{\partial o_t}{\partial s_t}\Big|_{\text{SymPy}}",
                   lambda: step_jacobians().do_ds),
    "g": _with("g_t", lambda: _r().g),
    "dE_ds": _with(r"\frac{\partial E}{\partial s_t}", lambda: _r().dE_ds),
    "delta": _with(r"\delta_t", lambda: _r().delta),
    "delta_own": _with(r"\delta_t^{(t)}", lambda: _r().delta_own),
    # Truncated BPTT follows the error of one output tau back: delta_t^(tau) from step t+1.
    "delta_back": _with(r"\delta_t^{(\tau)}", lambda: _r().delta_back.xreplace(
        {sym.delta_next: sp.MatrixSymbol(r"\delta_{t+1}^{(\tau)}", sym.H, 1)})),
    "dV_step": _with(r"\frac{\partial E_t}{\partial V}", lambda: _g().dV_step),
    "dW_step": _with(r"\frac{\partial E}{\partial W}\Big|_{\text{step } t}",
                     lambda: _g().dW_step),
    "dU_step": _with(r"\frac{\partial E}{\partial U}\Big|_{\text{step } t}",
                     lambda: _g().dU_step),
    "Do": _with(r"\Delta^{o}", lambda: _g().Do),
    "dV": _with(r"\frac{\partial E}{\partial V}", lambda: _g().dV),
    "dV_printed": _with(r"\frac{\partial E}{\partial V}", lambda: column_major(_g().dV)),
    "G": _with("G", lambda: _g().G),
    "dW": _with(r"\frac{\partial E}{\partial W}", lambda: _g().dW),
    "dU": _with(r"\frac{\partial E}{\partial U}", lambda: _g().dU),
    "Z_input": _with(r"X U^{\top}", lambda: _g().Z_input),
}


def equation(name):
    """The LaTeX of the book's equation ``name`` (a key of :data:`EQUATIONS`)."""
    try:
        build = EQUATIONS[name]
    except KeyError:
        raise KeyError(f"no derived equation {name!r}; known: {sorted(EQUATIONS)}") from None
    return build()
