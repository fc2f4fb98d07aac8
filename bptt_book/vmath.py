"""exp, tanh and sigmoid for the compiled target's loops: HAND-WRITTEN NUMERICS, not derived.

Everything else the compiled (Numba) target runs is printed from the SymPy derivation
(:mod:`bptt_book.derivation.numba_target`).  These three functions are not: they are how a
compiled loop *evaluates* an activation of the table, and the table names them
(:attr:`bptt_book.derivation.activations.Activation.compiled`).  Nothing is derived from
them; the derivation only ever sees ``tanh`` and ``sigmoid`` as SymPy functions.

Why they exist.  Numba turns ``math.tanh`` and ``math.exp`` into calls of the C library's scalar
functions (about 20 ns per element for tanh), and on a recurrence with a small vocabulary the
activations of the H units are most of a step.  No library offers Numba a vectorisable tanh
here (Numba's SVML route needs an SVML-patched llvmlite, which the wheels are not), so these
are written out in arithmetic LLVM can vectorise: inside a loop over units they compile to
SIMD code, about 1-2 ns per element.  Measured in ``benchmarks``; tested in
``tests/test_vmath.py`` (ulp error against NumPy over a wide grid, float32 and float64, NaN
and infinities).

How.  For ``x <= 0``, ``e^x = 2^k e^r`` with ``k = round(x / ln 2)`` and
``r = x - k ln 2`` (Cody and Waite: ln 2 in two parts, the first with enough trailing zero
bits that ``k * LN2_HI`` is exact), so ``|r| <= ln(2) / 2``.  ``e^r - 1`` is its Taylor
polynomial in Horner form, of the lowest degree whose remainder is below half an ulp
(13 in float64, 7 in float32).  ``2^k`` is built from its exponent bits (a table lookup
would not vectorise); where the result may be subnormal, as two factors ``2^(k//2)
2^(k - k//2)`` so that each factor stays a normal number and the underflow is gradual.

- ``tanh z = sign(z) * -u / (2 + u)`` with ``u = e^(-2|z|) - 1`` (no cancellation near 0,
  where ``u ~ -2|z|`` comes straight from the polynomial); ``|z|`` is clamped where tanh
  rounds to 1.
- ``sigmoid z = 1 / (1 + e)`` for ``z >= 0`` and ``e / (1 + e)`` for ``z < 0``, with
  ``e = e^(-|z|)``, chosen by arithmetic rather than a branch (so the loop stays one
  vectorised body).
- ``exp_neg_(x) = e^x`` for ``x <= 0`` (the softmax after subtracting the row maximum).

NaN in gives NaN out; ``±inf`` gives the limits.  The float32 versions compute in float32
throughout (their constants are float32), the float64 versions in float64.  This module
imports Numba; the package imports it only when the compiled target runs.

Editing this module: Numba's on-disk cache checks only the file of each cached kernel, not
what it calls, so delete the cached kernels afterwards (``*.nbi`` and ``*.nbc`` in
``bptt_book/generated/__pycache__`` and ``bptt_book/__pycache__``).  An installed package is
unaffected (installing writes every file anew).
"""

import math
from decimal import Decimal, getcontext

import numpy as np
from numba import njit, types
from numba.extending import intrinsic, overload

__all__ = ["exp_neg_", "sigmoid_", "tanh_"]


@intrinsic
def _float_from_bits(typingctx, bits):
    """The float whose IEEE bits are the integer ``bits`` (int64 -> float64, int32 ->
    float32): a bitcast, which vectorises."""
    target = {types.int64: types.float64, types.int32: types.float32}.get(bits)
    if target is None:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(target))

    return target(bits), codegen


# ln 2 to 40 digits; split for Cody and Waite's reduction.
getcontext().prec = 50
_LN2 = Decimal("0.6931471805599453094172321214581765680755")


def _split_ln2(dtype, zero_bits):
    """``(hi, lo)`` with ``hi + lo = ln 2`` to well beyond the precision of ``dtype`` and
    ``hi`` ending in ``zero_bits`` zero bits of its significand (so ``k * hi`` is exact for
    ``|k| < 2**zero_bits``)."""
    uint = {np.float64: np.uint64, np.float32: np.uint32}[dtype]
    hi = np.array(float(_LN2), dtype=dtype)
    bits = hi.view(uint)
    hi = (bits & ~uint((1 << zero_bits) - 1)).view(dtype)[()]
    lo = dtype(float(_LN2 - Decimal(float(hi))))
    return dtype(hi), lo


class _Format:
    """The constants of one floating-point format."""

    def __init__(self, dtype, int_type, mantissa, bias, degree, zero_bits, tanh_clamp,
                 exp_clamp):
        F = dtype
        self.F, self.I = F, int_type
        self.mantissa, self.bias = int_type(mantissa), int_type(bias)
        self.inv_ln2 = F(1 / math.log(2))
        self.ln2_hi, self.ln2_lo = _split_ln2(dtype, zero_bits)
        # e^r - 1 = r + r^2 (1/2! + r/3! + ... + r^(degree-2)/degree!): Horner from the top.
        self.coefficients = tuple(F(1 / math.factorial(n)) for n in range(degree, 1, -1))
        self.zero, self.half, self.one, self.two = F(0), F(0.5), F(1), F(2)
        self.tanh_clamp = F(tanh_clamp)  # tanh rounds to 1 beyond
        self.exp_clamp = F(exp_clamp)  # e^-x rounds to 0 beyond


# float64: |k| <= 1076 needs 11 zero bits; degree 13 leaves a remainder below 1e-17 of e^r - 1.
_F64 = _Format(np.float64, np.int64, 52, 1023, 13, 11, 22.0, 746.0)
# float32: |k| <= 150 needs 8 zero bits; degree 7 leaves a remainder below 2e-8.
_F32 = _Format(np.float32, np.int32, 23, 127, 7, 8, 10.0, 104.0)


def _format_of(z):
    if z == types.float64:
        return _F64
    if z == types.float32:
        return _F32
    return None


def _reduction(fmt):
    """``parts(x) -> (k, q)`` with ``e^x = 2^k (1 + q)`` for ``x <= 0``."""
    inv_ln2, half, hi, lo = fmt.inv_ln2, fmt.half, fmt.ln2_hi, fmt.ln2_lo
    coefficients, itype = fmt.coefficients, fmt.I
    top, rest = coefficients[0], coefficients[1:]

    @njit
    def parts(x):
        kf = np.floor(x * inv_ln2 + half)
        r = (x - kf * hi) - kf * lo
        poly = top
        for c in rest:
            poly = poly * r + c
        return itype(kf), (poly * r) * r + r

    return parts


def _power(fmt):
    """``pow2(k) = 2^k`` for a k whose power is a normal number, from its exponent bits."""
    itype, bias, mantissa = fmt.I, fmt.bias, fmt.mantissa

    @njit(inline="always")
    def pow2(k):
        return _float_from_bits(itype((k + bias) << mantissa))

    return pow2


def _exp_scaled(fmt):
    """``e^x`` for ``x <= 0`` down to the format's underflow: 2^k in two normal factors."""
    parts, pow2, clamp = _reduction(fmt), _power(fmt), -fmt.exp_clamp

    @njit(inline="always")
    def exp_neg(x):
        k, q = parts(max(x, clamp))
        first = k >> 1
        p1, p2 = pow2(first), pow2(k - first)
        return (p1 * q + p1) * p2

    return exp_neg


def tanh_(z):
    """tanh, for use inside Numba-compiled loops (float32 or float64)."""
    raise NotImplementedError("tanh_ runs only inside Numba-compiled code")


def sigmoid_(z):
    """``1 / (1 + e^-z)``, for use inside Numba-compiled loops (float32 or float64)."""
    raise NotImplementedError("sigmoid_ runs only inside Numba-compiled code")


def exp_neg_(x):
    """``e^x`` for ``x <= 0``, for use inside Numba-compiled loops (float32 or float64)."""
    raise NotImplementedError("exp_neg_ runs only inside Numba-compiled code")


@overload(tanh_, inline="always")
def _tanh_overload(z):
    fmt = _format_of(z)
    if fmt is None:
        return None
    parts, pow2 = _reduction(fmt), _power(fmt)
    clamp, one, two, minus_two = fmt.tanh_clamp, fmt.one, fmt.two, -fmt.two

    def impl(z):
        k, q = parts(minus_two * min(abs(z), clamp))
        p = pow2(k)
        u = p * q + (p - one)  # e^(-2|z|) - 1, in [-1, 0]
        return math.copysign(-u / (two + u), z)

    return impl


@overload(sigmoid_, inline="always")
def _sigmoid_overload(z):
    fmt = _format_of(z)
    if fmt is None:
        return None
    exp_neg, zero, one = _exp_scaled(fmt), fmt.zero, fmt.one

    def impl(z):
        e = exp_neg(-abs(z))
        # 1 for z >= 0, e for z < 0: selected by arithmetic, no branch in the loop
        top = one * (z >= zero) + e * (z < zero)
        return top / (one + e)

    return impl


@overload(exp_neg_, inline="always")
def _exp_neg_overload(x):
    fmt = _format_of(x)
    if fmt is None:
        return None
    exp_neg = _exp_scaled(fmt)

    def impl(x):
        return exp_neg(x)

    return impl
