"""Canonical forms: derived expressions arranged the way the book writes them.

SymPy keeps a product's minus sign in front (``-s*(s - 1)``); the book writes ``s(1 - s)``.
:func:`tidy` moves pairs of minus signs into factors and checks that the value is unchanged,
so the generated code, its comments and the book's equations all read as the prose does.
"""

import sympy as sp

from .checks import check


def _negative_constant(factor):
    """True for a sum such as ``r - 1`` whose constant term is negative."""
    if not isinstance(factor, sp.Add):
        return False
    constant, _ = factor.as_coeff_Add()
    return constant < 0


def tidy(expr):
    """``expr`` with its signs arranged as the book writes them: ``-r*(r - 1)`` becomes
    ``r*(1 - r)`` and ``(r - 1)*(z - 1)`` becomes ``(1 - r)*(1 - z)``.  Only pairs of minus
    signs move, so the value is unchanged (and checked)."""
    if not isinstance(expr, sp.Mul):
        return expr
    coeff, factors = expr.as_coeff_mul()
    flip = [i for i, f in enumerate(factors) if _negative_constant(f)]
    # An odd number of flips moves the minus sign of a negative coefficient into a factor;
    # an even number leaves the sign alone.  Flip as many as that allows.
    wanted_parity = 1 if coeff < 0 else 0
    if len(flip) % 2 != wanted_parity:
        flip = flip[:-1]
    if not flip:
        return expr
    sign = -1 if len(flip) % 2 else 1
    new = sp.Mul(sign * coeff, *[-f if i in flip else f for i, f in enumerate(factors)])
    check(sp.expand(new - expr) == 0, f"tidy changed the value of {expr}")
    return new
