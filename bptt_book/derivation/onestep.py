"""One-step derivatives: each is computed by SymPy and asserted against its expected form.

SymPy 1.14 returns silently wrong matrix derivatives for some nested forms (sums of traces,
log or exp of traces, two-step recurrences), so this module differentiates one level at a
time, and every result is checked before anything downstream uses it.  A failed check
raises :class:`DerivationError`; the generator never prints an unchecked expression.

SymPy's matrix calculus uses the *denominator layout*: ``a.diff(b)`` has one row per entry
of ``b``.  For a vector function that is the transpose of the Jacobian as the book writes
it, so ``z.applyfunc(f).diff(s_prev)`` returns ``W.T * diag(f'(z))`` where the book has
``diag(f'(z)) W``.  In that layout the chain rule composes left to right, which is what
:mod:`~bptt_book.derivation.recurrence` relies on.
"""

import functools
from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from . import symbols as sym


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


# --------------------------------------------------------------------------- activations


@dataclass(frozen=True)
class Activation:
    """An activation ``f`` and its derivative, derived by SymPy.

    ``fprime_s`` is the derivative written in the activation's *output* ``s = f(z)``: the
    backward pass has the states ``s_t`` at hand, not the pre-activations ``z_t``.
    ``f_numeric`` is a form of ``f`` proved equal to it and safe to evaluate in floating
    point: the logistic sigmoid as ``exp(-softplus(-z))`` never overflows and keeps its
    tiny values for very negative ``z``.  ``f_proof`` is a form, also proved equal, in which
    ``expand`` cancels derivatives exactly (the sigmoid as ``(1 + tanh(z/2))/2``); the exact
    proof in :mod:`~bptt_book.derivation.unrolled` uses it.
    """

    name: str
    f: sp.Expr
    f_numeric: sp.Expr
    f_proof: sp.Expr
    fprime_z: sp.Expr
    fprime_s: sp.Expr


def _tanh():
    f = sym.ACTIVATIONS["tanh"]
    fprime_z = sp.diff(f, sym.z)
    fprime_s = fprime_z.subs(sp.tanh(sym.z), sym.s)
    check(fprime_s.free_symbols == {sym.s}, f"tanh' not a function of the output: {fprime_s}")
    check(sp.expand(fprime_s - (1 - sym.s**2)) == 0, f"tanh' = {fprime_s}, expected 1 - s**2")
    return Activation("tanh", f, f, f, fprime_z, fprime_s)


def _sigmoid():
    f = sym.ACTIVATIONS["sigmoid"]
    fprime_z = sp.diff(f, sym.z)
    # Invert s = f(z) for z and substitute, so the derivative is written in s.
    (z_of_s,) = sp.solve(sp.Eq(sym.s, f), sym.z)
    fprime_s = sp.factor(sp.simplify(fprime_z.subs(sym.z, z_of_s)))
    check(fprime_s.free_symbols == {sym.s}, f"sigmoid' not a function of s: {fprime_s}")
    check(sp.expand(fprime_s - sym.s * (1 - sym.s)) == 0, f"sigmoid' = {fprime_s}")
    check(sp.simplify(fprime_s.subs(sym.s, f) - fprime_z) == 0, "sigmoid' does not round-trip")
    f_numeric = sp.exp(-sym.softplus(-sym.z))
    check(sp.simplify(f - f_numeric.rewrite(sp.log)) == 0, "sigmoid != exp(-softplus(-z))")
    f_proof = (1 + sp.tanh(sym.z / 2)) / 2
    check(sp.simplify((f - f_proof).rewrite(sp.exp)) == 0, "sigmoid != (1 + tanh(z/2))/2")
    return Activation("sigmoid", f, f_numeric, f_proof, fprime_z, fprime_s)


def _relu():
    f = sym.ACTIVATIONS["relu"]
    fprime_z = sp.diff(f, sym.z)
    check(fprime_z == sp.Heaviside(sym.z), f"relu' = {fprime_z}, expected Heaviside(z)")
    # Where z > 0, s = z; where z < 0, s = 0 and the derivative is 0.  At z = 0 relu has no
    # derivative; the book (and every ReLU library) takes 0 there, so H(0) = 0.
    fprime_s = sp.Heaviside(sym.s, 0)
    p = sp.Symbol("p", positive=True)
    check(fprime_s.subs(sym.s, f.subs(sym.z, p)) == fprime_z.subs(sym.z, p), "relu' for z > 0")
    check(fprime_s.subs(sym.s, f.subs(sym.z, -p)) == 0 == fprime_z.subs(sym.z, -p), "relu' z<0")
    return Activation("relu", f, f, f, fprime_z, fprime_s)


_ACTIVATION_DERIVATIONS = {"tanh": _tanh, "sigmoid": _sigmoid, "relu": _relu}


@functools.cache
def activation(name):
    """Derive :class:`Activation` ``name`` (one of ``"tanh"``, ``"sigmoid"``, ``"relu"``).

    >>> from bptt_book.derivation.onestep import activation
    >>> activation("tanh").fprime_s
    1 - s**2
    """
    return _ACTIVATION_DERIVATIONS[name]()


# --------------------------------------------------------------- softmax and cross-entropy


@dataclass(frozen=True)
class SoftmaxCrossEntropy:
    """``dE/do`` for ``E = -sum_i y_i log softmax(o)_i``, derived component by component."""

    K: int
    components: tuple  # dE/do_j, written with yhat_j = softmax(o)_j
    vector: sp.MatrixExpr  # the same, lifted to the column symbols yhat_t, y_t


@functools.cache
def softmax_cross_entropy(K=4):
    """Derive the gradient of softmax followed by cross-entropy with ``K`` explicit outputs.

    The labels ``y`` are any probability vector (``sum(y) = 1``); a one-hot label is one.
    Each component comes out as ``yhat_j * sum(y) - y_j``, which is ``yhat_j - y_j``.

    >>> from bptt_book.derivation.onestep import softmax_cross_entropy
    >>> softmax_cross_entropy(3).components
    (-y0 + yhat0, -y1 + yhat1, -y2 + yhat2)
    >>> softmax_cross_entropy(3).vector
    -y_t + yhat_t
    """
    o = sp.symbols(f"o0:{K}", real=True)
    y = sp.symbols(f"y0:{K}", real=True)
    yhat = sp.symbols(f"yhat0:{K}", positive=True)
    Z = sum(sp.exp(oi) for oi in o)
    E = sp.expand_log(-sum(y[i] * sp.log(sp.exp(o[i]) / Z) for i in range(K)), force=True)
    components = []
    for j in range(K):
        grad = sp.factor_terms(sp.diff(E, o[j])).subs(Z, sp.exp(o[j]) / yhat[j])
        grad = sp.expand(grad)
        check(not grad.has(*o), f"dE/do_{j} still depends on the logits: {grad}")
        # grad = yhat_j * (sum of y) - y_j: the coefficient of yhat_j is the label mass.
        mass = grad.coeff(yhat[j])
        check(sp.expand(mass - sum(y)) == 0, f"dE/do_{j}: coefficient of yhat_{j} is {mass}")
        component = sp.expand(grad - mass * yhat[j] + yhat[j])  # with sum(y) = 1
        check(component == yhat[j] - y[j], f"dE/do_{j} = {component}")
        components.append(component)
    # Every component has the same shape a - b with a = yhat_j, b = y_j; lift it to vectors.
    a, b = sp.symbols("a b")
    shapes = {c.subs({yhat[j]: a, y[j]: b}) for j, c in enumerate(components)}
    check(len(shapes) == 1, f"components differ in form: {shapes}")
    (shape,) = shapes
    vector = shape.subs({a: sym.yhat_t, b: sym.y_t})
    check(vector == sym.yhat_t - sym.y_t, f"lifted softmax-CE gradient: {vector}")
    return SoftmaxCrossEntropy(K, tuple(components), vector)


# ----------------------------------------------------------------------- step Jacobians


def name_fprime(expr, name=sym.fprime_t):
    """Replace the elementwise ``f'(...)`` inside ``expr`` by the column symbol ``name``."""

    def is_fprime(e):
        return isinstance(e, ElementwiseApplyFunction) and e.function.expr.has(sp.Derivative)

    return expr.replace(is_fprime, lambda e: name)


@dataclass(frozen=True)
class StepJacobians:
    """SymPy's one-step derivatives, in its denominator layout (``a.diff(b)``: rows index b).

    ``ds_dz`` is ``diag(f'(z_t))``; ``dz_dsprev`` is ``W.T``; ``ds_dsprev`` is
    ``W.T * diag(f'(z_t))``, the transpose of the book's ``ds_t/ds_{t-1} = diag(f'(z_t)) W``;
    ``do_ds`` is ``V.T``.
    """

    ds_dz: sp.MatrixExpr
    dz_dsprev: sp.MatrixExpr
    ds_dsprev: sp.MatrixExpr
    do_ds: sp.MatrixExpr
    raw_ds_dsprev: sp.MatrixExpr  # as SymPy printed it, with f' applied to U x_t + W s_{t-1}


@functools.cache
def step_jacobians():
    """Differentiate one step of the network, one level at a time, and check each result.

    >>> from bptt_book.derivation.onestep import step_jacobians
    >>> J = step_jacobians()
    >>> J.ds_dsprev
    W.T*DiagMatrix(fprime_t)
    """
    z_expr = sym.pre_activation()
    dz_dsprev = z_expr.diff(sym.s_prev)
    check(dz_dsprev == sym.W.T, f"dz_t/ds_(t-1) = {dz_dsprev}, expected W.T")

    raw_ds_dz = sym.z_t.applyfunc(sym.f).diff(sym.z_t)
    check(isinstance(raw_ds_dz, sp.DiagMatrix), f"ds_t/dz_t is not diagonal: {raw_ds_dz!r}")
    (inner,) = raw_ds_dz.args
    check(
        isinstance(inner, ElementwiseApplyFunction) and inner.expr == sym.z_t,
        f"ds_t/dz_t is not f' applied to z_t: {inner!r}",
    )
    d = inner.function.variables[0]
    check(inner.function.expr == sp.Derivative(sym.f(d), d), f"not f': {inner.function}")
    ds_dz = name_fprime(raw_ds_dz)
    check(ds_dz == sp.DiagMatrix(sym.fprime_t), f"ds_t/dz_t = {ds_dz}")

    raw_ds_dsprev = z_expr.applyfunc(sym.f).diff(sym.s_prev)
    ds_dsprev = name_fprime(raw_ds_dsprev)
    # The one-level chain rule must agree with SymPy's own two-level derivative.
    check(ds_dsprev == dz_dsprev * ds_dz, f"ds_t/ds_(t-1) = {ds_dsprev}")
    check(raw_ds_dsprev.has(z_expr), "ds_t/ds_(t-1): f' not evaluated at U x_t + W s_(t-1)")

    do_ds = (sym.V * sym.s_t).diff(sym.s_t)
    check(do_ds == sym.V.T, f"do_t/ds_t = {do_ds}, expected V.T")
    return StepJacobians(ds_dz, dz_dsprev, ds_dsprev, do_ds, raw_ds_dsprev)


# ---------------------------------------------------------------- parameter gradients


@dataclass(frozen=True)
class ParameterGradients:
    """Gradients with respect to U, V, W: one step (columns) and time-stacked (rows)."""

    Do: sp.MatrixExpr  # P - Y: the softmax-CE gradient of every step, stacked as rows
    dV_step: sp.MatrixExpr  # (yhat_t - y_t) s_t^T, the seed's outer product
    dW_step: sp.MatrixExpr  # delta_t s_{t-1}^T
    dU_step: sp.MatrixExpr  # delta_t x_t^T
    dV: sp.MatrixExpr  # Do^T S
    G: sp.MatrixExpr  # Do V: row t is g_t^T = (V^T (yhat_t - y_t))^T
    dW: sp.MatrixExpr  # Delta^T S_prev
    dU: sp.MatrixExpr  # Delta^T X
    Z_input: sp.MatrixExpr  # X U^T: row t is (U x_t)^T


@functools.cache
def parameter_gradients():
    """Differentiate the linear maps through which U, V, W act, holding the upstream
    gradient fixed (``E`` changes by ``trace(g^T dA)`` when ``A`` changes by ``dA``).

    >>> from bptt_book.derivation.onestep import parameter_gradients
    >>> g = parameter_gradients()
    >>> g.Do, g.dV, g.G, g.dW, g.dU
    (P - Y, Do.T*S, Do*V, Delta.T*S_prev, Delta.T*X)
    """
    e_t = softmax_cross_entropy().vector
    # Stack the steps as rows: yhat_t^T is a row of P and y_t^T a row of the one-hot Y.
    Do = e_t.xreplace({sym.yhat_t: sym.P, sym.y_t: sym.Y})
    check(same(Do, sym.P - sym.Y), f"stacked softmax-CE gradient = {Do}")
    dV_step = sp.Trace(e_t.T * sym.V * sym.s_t).diff(sym.V)
    check(dV_step == e_t * sym.s_t.T, f"dE_t/dV = {dV_step}, expected (yhat_t - y_t) s_t^T")
    linear_step = sp.Trace(sym.delta_t.T * sym.pre_activation())
    dW_step = linear_step.diff(sym.W)
    dU_step = linear_step.diff(sym.U)
    check(dW_step == sym.delta_t * sym.s_prev.T, f"dE/dW (one step) = {dW_step}")
    check(dU_step == sym.delta_t * sym.x_t.T, f"dE/dU (one step) = {dU_step}")

    # Time-stacked: row n of S is s_t^T, so the sum over t of the outer products is a GEMM.
    output = sp.Trace(sym.Do.T * sym.S * sym.V.T)
    dV = output.diff(sym.V)
    G = output.diff(sym.S)
    check(dV == sym.Do.T * sym.S, f"dE/dV (stacked) = {dV}")
    check(G == sym.Do * sym.V, f"dE/dS from the outputs (stacked) = {G}")
    Z_input = sym.X * sym.U.T
    recurrent = sp.Trace(sym.Delta.T * (Z_input + sym.S_prev * sym.W.T))
    dW = recurrent.diff(sym.W)
    dU = recurrent.diff(sym.U)
    check(dW == sym.Delta.T * sym.S_prev, f"dE/dW (stacked) = {dW}")
    check(dU == sym.Delta.T * sym.X, f"dE/dU (stacked) = {dU}")
    return ParameterGradients(Do, dV_step, dW_step, dU_step, dV, G, dW, dU, Z_input)
