"""The bounds behind vanishing gradients, derived with SymPy.

``gamma = max_z f'(z)`` is the largest factor an activation can contribute to a step
Jacobian ``ds_t/ds_{t-1} = diag(f'(z_t)) W``: 1 for tanh (at z = 0), 1/4 for the sigmoid
(at z = 0), 1 for relu (for every z > 0).  Each value is found by SymPy and then proved
with a one-line certificate: ``gamma - f'`` written in the output ``s`` is a square.
"""

import functools
from dataclasses import dataclass

import sympy as sp
from sympy.calculus.util import maximum

from . import symbols as sym
from .onestep import activation, check


@dataclass(frozen=True)
class ActivationBound:
    """``gamma = max f'`` for one activation, with where it is attained and its proof."""

    name: str
    gamma: sp.Expr
    attained_at: str  # where f'(z) = gamma
    certificate: sp.Expr  # gamma - f'(z) written in s: a square, so never negative


@functools.cache
def activation_bound(name):
    """Derive :class:`ActivationBound` for ``name``.

    >>> from bptt_book.derivation.bounds import activation_bound
    >>> [activation_bound(n).gamma for n in ("tanh", "sigmoid", "relu")]
    [1, 1/4, 1]
    >>> activation_bound("sigmoid").certificate
    (2*s - 1)**2/4
    """
    act = activation(name)
    z, s = sym.z, sym.s
    if name == "relu":
        # f' is the step H(z): constant on each half-line, so its largest value is one of two.
        gamma = sp.Max(act.fprime_z.subs(z, -1), act.fprime_z.subs(z, 1))
        check(gamma == 1, f"relu: gamma = {gamma}")
        return ActivationBound(name, gamma, "every z > 0", sp.Integer(0))
    gamma = maximum(act.fprime_z, z, sp.S.Reals)
    (stationary,) = sp.solve(sp.diff(act.fprime_z, z), z)
    check(sp.simplify(act.fprime_z.subs(z, stationary) - gamma) == 0, f"{name}: max not at 0")
    certificate = sp.factor(gamma - act.fprime_s)
    check(certificate.is_nonnegative is True, f"{name}: gamma - f' = {certificate} not >= 0")
    check(sp.simplify(certificate.subs(s, act.f_proof).rewrite(sp.exp)
                      - (gamma - act.fprime_z).rewrite(sp.exp)) == 0,
          f"{name}: certificate does not match f'")
    return ActivationBound(name, gamma, f"z = {stationary}", certificate)
