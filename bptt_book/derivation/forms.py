"""Canonical forms: derived expressions arranged the way the book writes them.

SymPy keeps a product's minus sign in front (``-s*(s - 1)``); the book writes ``s(1 - s)``.
:func:`tidy` moves pairs of minus signs into factors and checks that the value is unchanged,
so the generated code, its comments and the book's equations all read as the prose does.

Two more rules only decide the order in which the printers write what SymPy keeps sorted:
:func:`positive_first` puts the terms of a sum with a plus sign before those with a minus
sign (``-y + yhat`` reads ``yhat - y``), and :func:`paired_factors` writes a factor ``s`` and
its complement ``1 - s`` side by side (a sigmoid's slope, ``s(1 - s)``, wherever SymPy's sort
put the two apart).  Neither changes an expression; they return its parts in the book's order.
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


def positive_first(terms):
    """The terms of a sum, those SymPy would print with a plus sign first, each group in its
    given order: ``[-y, yhat]`` becomes ``[yhat, -y]``, so ``yhat - y`` reads as in the prose.

    >>> import sympy as sp
    >>> y, yhat = sp.symbols("y yhat")
    >>> positive_first([-y, yhat])
    [yhat, -y]
    """
    terms = list(terms)
    return ([t for t in terms if not t.could_extract_minus_sign()]
            + [t for t in terms if t.could_extract_minus_sign()])


def _complement_of(factor):
    """``s`` when ``factor`` is ``1 - s`` (for any non-constant ``s``), else None."""
    if not isinstance(factor, sp.Add):
        return None
    constant, rest = factor.as_coeff_Add()
    if constant != 1 or not rest.could_extract_minus_sign():
        return None
    return -rest


def paired_factors(factors):
    """The factors of a product with every ``1 - s`` moved right after its ``s``, the rest in
    the given order: ``[r, 1 - n**2, 1 - r]`` becomes ``[r, 1 - r, 1 - n**2]``, so a sigmoid's
    slope prints as ``r(1 - r)`` however SymPy sorted the product.

    >>> import sympy as sp
    >>> n, r = sp.symbols("n r")
    >>> paired_factors([r, 1 - n**2, 1 - r])
    [r, 1 - r, 1 - n**2]
    """
    factors = list(factors)
    partner = {}
    for f in factors:
        s = _complement_of(f)
        if s is not None and s in factors and s not in partner:
            partner[s] = f
    moved = set(partner.values())
    out = []
    for f in factors:
        if f in moved:
            continue
        out.append(f)
        if f in partner:
            out.append(partner[f])
    return out
