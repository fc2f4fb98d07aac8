"""The BPTT recurrence, assembled from the one-step Jacobians by the chain rule.

The delta vector is ``delta_t = dE/dz_t``: how the whole loss responds to the
pre-activation of step ``t``.  ``z_t`` reaches the loss along two paths, through this step's
output ``o_t`` and through the next pre-activation ``z_{t+1}``, so (in SymPy's denominator
layout, where the chain rule composes left to right)::

    dE/ds_t = do_t/ds_t * dE/do_t + dz_{t+1}/ds_t * dE/dz_{t+1}
    delta_t = ds_t/dz_t * dE/ds_t

which is ``delta_t = f'(z_t) * (V^T (yhat_t - y_t) + W^T delta_{t+1})`` with ``delta_T = 0``.

The recurrence is never obtained by calling ``diff`` on a nested expression: SymPy 1.14
gets those wrong (see :mod:`~bptt_book.derivation.onestep`).  The exact proof that this
composition is right lives in :mod:`~bptt_book.derivation.unrolled`.
"""

import functools
from dataclasses import dataclass

import sympy as sp

from . import symbols as sym
from .onestep import check, parameter_gradients, same, softmax_cross_entropy, step_jacobians


@dataclass(frozen=True)
class Recurrence:
    """The delta recurrence and the two pieces truncated BPTT is made of."""

    dE_ds: sp.MatrixExpr  # dE/ds_t = V^T (yhat_t - y_t) + W^T delta_{t+1}
    g: sp.MatrixExpr  # V^T (yhat_t - y_t), the output layer's push on s_t
    delta: sp.MatrixExpr  # delta_t, written with g_t
    delta_own: sp.MatrixExpr  # delta_t^{(t)}: output t's own error entering step t
    delta_back: sp.MatrixExpr  # delta_{k-1}^{(t)} from delta_k^{(t)}: one step further back


@functools.cache
def delta_recurrence():
    """Compose the one-step Jacobians into the BPTT recurrence.

    >>> from bptt_book.derivation.recurrence import delta_recurrence
    >>> r = delta_recurrence()
    >>> r.delta
    DiagMatrix(fprime_t)*(g_t + W.T*delta_next)
    >>> r.delta_own, r.delta_back
    (DiagMatrix(fprime_t)*g_t, DiagMatrix(fprime_t)*W.T*delta_next)
    """
    J = step_jacobians()
    e_t = softmax_cross_entropy().vector  # dE/do_t, derived
    g = J.do_ds * e_t
    check(g == sym.V.T * (sym.yhat_t - sym.y_t), f"g_t = {g}")
    dE_ds = g + J.dz_dsprev * sym.delta_next
    # Name the output term g_t, as the generated code does (it computes all g_t in one GEMM).
    delta = J.ds_dz * (sym.g_t + J.dz_dsprev * sym.delta_next)
    expected = sp.DiagMatrix(sym.fprime_t) * (sym.g_t + sym.W.T * sym.delta_next)
    check(delta == expected, f"delta_t = {delta}")
    check(same(delta.xreplace({sym.g_t: g}), J.ds_dz * dE_ds), "delta_t does not expand to dE/dz_t")

    # Truncated BPTT follows each output's error on its own: it enters at its own step with
    # no delta from the future, then moves back with no new output error.
    zero_h = sp.ZeroMatrix(sym.H, 1)
    delta_own = sp.simplify(delta.xreplace({sym.delta_next: zero_h})).doit()
    delta_back = sp.expand(delta.xreplace({sym.g_t: zero_h})).doit()
    check(delta_own == sp.DiagMatrix(sym.fprime_t) * sym.g_t, f"delta_own = {delta_own}")
    check(delta_back == J.ds_dz * J.dz_dsprev * sym.delta_next, f"delta_back = {delta_back}")
    return Recurrence(dE_ds, g, delta, delta_own, delta_back)


@dataclass(frozen=True)
class Derivation:
    """The plain RNN's derivation in matrix form, as chapter 3 builds it, in one place."""

    recurrence: Recurrence
    gradients: object  # onestep.ParameterGradients
    activations: dict  # name -> activations.Activation


def agrees_with_the_cell_pipeline():
    """The generic pipeline derives the same recurrence for the plain RNN.

    :mod:`~bptt_book.derivation.adjoint` walks the RNN's one equation ``s' = f(a + b)``
    backwards and finds that both projections receive ``fprime(s') * d_s'``, and
    :func:`~bptt_book.derivation.onestep.projection_gradients` sends ``W^T d_b`` back to
    ``s_{t-1}``.  With ``d_s' = g_t + W^T delta_{t+1}`` (the output layer's push plus what
    the next step sends back) that is :func:`delta_recurrence`'s
    ``delta_t = diag(f') (g_t + W^T delta_{t+1})``, and the stacked gradients
    ``Delta^T S_prev``, ``Delta^T X`` are ``dB^T S_prev``, ``dA^T X`` with ``dA = dB = Delta``.
    Returns True or raises ``DerivationError``.

    >>> from bptt_book.derivation.recurrence import agrees_with_the_cell_pipeline
    >>> agrees_with_the_cell_pipeline()
    True
    """
    from .adjoint import derive as derive_adjoint
    from .cell import fprime
    from .cells import RNN
    from .onestep import projection_gradients

    adj = derive_adjoint(RNN)
    (d_s,), (s_new,) = adj.incoming, RNN.new
    check(adj.grad_b == ({d_s: fprime(s_new)},), f"RNN: dE/db = {adj.grad_b}")
    check(adj.grad_a == adj.grad_b, f"RNN: dE/da = {adj.grad_a} differs from dE/db")
    check(adj.grad_prev == ({},), f"RNN: s_(t-1) reached directly: {adj.grad_prev}")
    proj = projection_gradients()
    check(proj.dh_prev == sym.W_cell.T * sym.d_b, f"RNN: back through W: {proj.dh_prev}")
    r, g = delta_recurrence(), parameter_gradients()
    as_cell = sp.DiagMatrix(sym.fprime_t) * (sym.g_t + sym.W.T * sym.delta_next)
    check(r.delta == as_cell, f"delta_t = {r.delta}, the cell pipeline gives {as_cell}")
    renamed = {sym.dB: sym.Delta, sym.dA: sym.Delta, sym.U_cell: sym.U, sym.W_cell: sym.W}
    check(proj.dW.xreplace(renamed) == g.dW and proj.dU.xreplace(renamed) == g.dU,
          "the cell pipeline's dW, dU differ from Delta^T S_prev, Delta^T X")
    return True


@functools.cache
def derive():
    """Run the whole derivation of the plain RNN (every check included) and collect it."""
    from .activations import NAMES, activation

    agrees_with_the_cell_pipeline()
    return Derivation(delta_recurrence(), parameter_gradients(),
                      {n: activation(n) for n in NAMES})
