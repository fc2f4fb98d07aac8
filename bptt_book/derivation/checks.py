"""Checks that every derived result passes before anything downstream uses it.

SymPy 1.14 returns silently wrong matrix derivatives for some nested forms (sums of traces,
log or exp of traces, two-step recurrences), so the derivation asserts each result against
the form it must have.  A failed check raises :class:`DerivationError`; the generator never
prints an unchecked expression.
"""

import sympy as sp


class DerivationError(AssertionError):
    """A derived expression did not have the form the book says it has."""


def same(a, b):
    """True when the matrix or scalar expressions ``a`` and ``b`` are equal once expanded."""
    if a == b:
        return True
    difference = sp.expand(a - b).doit()
    return difference == 0 or isinstance(difference, sp.ZeroMatrix)


def check(condition, what):
    """Raise :class:`DerivationError` with ``what`` unless ``condition`` holds."""
    if not condition:
        raise DerivationError(what)
