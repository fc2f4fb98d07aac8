"""The activation table: every elementwise nonlinearity the book uses, derived once.

Each entry of :data:`NAMES` is derived by SymPy into an :class:`Activation` that every part of
the package reads: the cell equations call it (``tanh(a + b)``), the adjoint derivation takes
its derivative *written in its output* (the backward pass has ``s = f(z)`` at hand, not
``z``), the generator prints its NumPy form, chapter 5 uses its bound ``gamma = max f'``, and
the book typesets it with its LaTeX name.  Nothing is typed twice: adding an activation is one
builder function below and one line in :data:`NAMES`.

Every entry is checked: the derivative in the output round-trips to SymPy's own derivative,
the floating-point-safe form and the proof form equal ``f``, and ``gamma`` comes with a
certificate (``gamma - f'`` written in ``s`` is a square, so never negative).
"""

import functools
from dataclasses import dataclass

import sympy as sp
from sympy.calculus.util import maximum

from .checks import check
from .forms import tidy

#: The activation's input z and output s, as scalars, with ``s = f(z)``.
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


class sigmoid(sp.Function):
    """The logistic function ``1 / (1 + exp(-u))`` as one symbol, for the cell equations."""

    nargs = 1

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return 1 / (1 + sp.exp(-u))

    def _eval_rewrite_as_tanh(self, u, **kwargs):
        return (1 + sp.tanh(u / 2)) / 2

    def _latex(self, printer, exp=None):
        (u,) = self.args
        text = rf"\sigma\left({printer._print(u)}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"


class relu(sp.Function):
    """``max(0, u)`` as one symbol, for the cell equations."""

    nargs = 1

    def fdiff(self, argindex=1):
        (u,) = self.args
        return sp.Heaviside(u, 0)

    def _eval_rewrite_as_Max(self, u, **kwargs):
        return sp.Max(0, u)

    def _latex(self, printer, exp=None):
        (u,) = self.args
        text = rf"\operatorname{{relu}}\left({printer._print(u)}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"


@dataclass(frozen=True)
class Activation:
    """One activation ``s = f(z)``, derived and checked.

    ``function`` is the SymPy function a cell's equations call.  ``f`` is ``f(z)`` in
    elementary functions; ``f_numeric`` a form proved equal to it that is safe in floating
    point (the sigmoid as ``exp(-softplus(-z))`` never overflows); ``f_proof`` a form, also
    proved equal, in which ``expand`` cancels derivatives exactly (the sigmoid as
    ``(1 + tanh(z/2))/2``), used by the exact proofs.  ``fprime_s`` is ``f'`` written in the
    output ``s``.  ``gamma = max f'`` is the largest factor the activation can put into a step
    Jacobian; ``certificate`` is ``gamma - f'`` written in ``s``, a square.
    """

    name: str
    function: type
    f: sp.Expr
    f_numeric: sp.Expr
    f_proof: sp.Expr
    fprime_z: sp.Expr
    fprime_s: sp.Expr
    gamma: sp.Expr
    attained_at: str
    certificate: sp.Expr
    latex: str


def _in_output(f, fprime_z):
    """``f'`` written in the output ``s``: invert ``s = f(z)`` and substitute."""
    (z_of_s,) = sp.solve(sp.Eq(s, f), z)
    return sp.factor(sp.simplify(fprime_z.subs(z, z_of_s)))


def _bound(f, fprime_z, fprime_s, f_proof):
    """``gamma = max f'``, where it is attained, and its certificate."""
    gamma = maximum(fprime_z, z, sp.S.Reals)
    (stationary,) = sp.solve(sp.diff(fprime_z, z), z)
    check(sp.simplify(fprime_z.subs(z, stationary) - gamma) == 0,
          f"{f}: max f' not at {stationary}")
    certificate = sp.factor(gamma - fprime_s)
    check(certificate.is_nonnegative is True, f"{f}: gamma - f' = {certificate} is not >= 0")
    check(sp.simplify(certificate.subs(s, f_proof).rewrite(sp.exp)
                      - (gamma - fprime_z).rewrite(sp.exp)) == 0,
          f"{f}: the certificate does not match f'")
    return gamma, f"z = {stationary}", certificate


def _tanh():
    f = sp.tanh(z)
    fprime_z = sp.diff(f, z)
    fprime_s = fprime_z.subs(sp.tanh(z), s)
    check(fprime_s.free_symbols == {s}, f"tanh' not a function of the output: {fprime_s}")
    check(sp.expand(fprime_s - (1 - s**2)) == 0, f"tanh' = {fprime_s}, expected 1 - s**2")
    gamma, where, certificate = _bound(f, fprime_z, fprime_s, f)
    return Activation("tanh", sp.tanh, f, f, f, fprime_z, fprime_s, gamma, where, certificate,
                      r"\tanh")


def _sigmoid():
    f = 1 / (1 + sp.exp(-z))
    check(sigmoid(z).rewrite(sp.exp) == f, "the sigmoid function is not 1/(1 + exp(-z))")
    fprime_z = sp.diff(f, z)
    fprime_s = tidy(_in_output(f, fprime_z))
    check(fprime_s.free_symbols == {s}, f"sigmoid' not a function of s: {fprime_s}")
    check(sp.expand(fprime_s - s * (1 - s)) == 0, f"sigmoid' = {fprime_s}")
    check(sp.simplify(fprime_s.subs(s, f) - fprime_z) == 0, "sigmoid' does not round-trip")
    check(sp.expand(sp.diff(sigmoid(z), z).subs(sigmoid(z), s) - fprime_s) == 0,
          "the sigmoid function's own derivative is not s(1 - s)")
    f_numeric = sp.exp(-softplus(-z))
    check(sp.simplify(f - f_numeric.rewrite(sp.log)) == 0, "sigmoid != exp(-softplus(-z))")
    f_proof = (1 + sp.tanh(z / 2)) / 2
    check(sigmoid(z).rewrite(sp.tanh) == f_proof, "sigmoid(z).rewrite(tanh) changed form")
    check(sp.simplify((f - f_proof).rewrite(sp.exp)) == 0, "sigmoid != (1 + tanh(z/2))/2")
    gamma, where, certificate = _bound(f, fprime_z, fprime_s, f_proof)
    return Activation("sigmoid", sigmoid, f, f_numeric, f_proof, fprime_z, fprime_s, gamma,
                      where, certificate, r"\sigma")


def _relu():
    f = sp.Max(0, z)
    check(relu(z).rewrite(sp.Max) == f, "the relu function is not Max(0, z)")
    fprime_z = sp.diff(f, z)
    check(fprime_z == sp.Heaviside(z), f"relu' = {fprime_z}, expected Heaviside(z)")
    # Where z > 0, s = z; where z < 0, s = 0 and the derivative is 0.  At z = 0 relu has no
    # derivative; the book (and every ReLU library) takes 0 there, so H(0) = 0.
    fprime_s = sp.Heaviside(s, 0)
    p = sp.Symbol("p", positive=True)
    check(fprime_s.subs(s, f.subs(z, p)) == fprime_z.subs(z, p), "relu' for z > 0")
    check(fprime_s.subs(s, f.subs(z, -p)) == 0 == fprime_z.subs(z, -p), "relu' for z < 0")
    # f' is the step H(z): constant on each half-line, so its largest value is one of two.
    gamma = sp.Max(fprime_z.subs(z, -1), fprime_z.subs(z, 1))
    check(gamma == 1, f"relu: gamma = {gamma}")
    return Activation("relu", relu, f, f, f, fprime_z, fprime_s, gamma, "every z > 0",
                      sp.Integer(0), r"\operatorname{relu}")


#: name -> the builder that derives its :class:`Activation`.  One line per activation.
_BUILDERS = {"tanh": _tanh, "sigmoid": _sigmoid, "relu": _relu}

#: The names of the activations, in the book's order.
NAMES = tuple(_BUILDERS)


@functools.cache
def activation(name):
    """Derive :class:`Activation` ``name`` (one of :data:`NAMES`).

    >>> from bptt_book.derivation.activations import activation
    >>> activation("tanh").fprime_s
    1 - s**2
    >>> [activation(n).gamma for n in ("tanh", "sigmoid", "relu")]
    [1, 1/4, 1]
    >>> activation("sigmoid").certificate
    (2*s - 1)**2/4
    """
    try:
        build = _BUILDERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"no activation {name!r}; known: {list(NAMES)}") from None
    return build()


def by_function(function):
    """The :class:`Activation` whose SymPy function is ``function`` (``sp.tanh``, ...)."""
    for name in NAMES:
        act = activation(name)
        if act.function is function:
            return act
    return None
