"""One-step derivatives: each is computed by SymPy and asserted against its expected form.

SymPy 1.14 returns silently wrong matrix derivatives for some nested forms (sums of traces,
log or exp of traces, two-step recurrences), so this module differentiates one level at a
time, and every result is checked (:func:`~bptt_book.derivation.checks.check`) before
anything downstream uses it.

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
from .checks import check, same

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


# ------------------------------------------------------------ every cell: the projections


@dataclass(frozen=True)
class ProjectionGradients:
    """The two projections every cell has, and the gradients they pass on.

    A cell's step starts with ``a_t = U x_t + b_U`` and ``b_t = W h_{t-1} + b_W`` (k blocks
    of H rows each).  Given the adjoints ``dA`` and ``dB`` of those projections at every step
    (rows), the parameters' gradients are four products, and step ``t`` sends ``W^T d_b``
    back to ``h_{t-1}``.
    """

    A: sp.MatrixExpr  # X U^T + 1 b_U^T: the input projection of every step at once
    b_step: sp.MatrixExpr  # W h_{t-1} + b_W, one step (a column)
    dh_prev: sp.MatrixExpr  # W^T d_b: what the recurrent projection sends back to h_{t-1}
    dU: sp.MatrixExpr  # dA^T X
    dW: sp.MatrixExpr  # dB^T H_prev
    dbU: sp.MatrixExpr  # dA^T 1
    dbW: sp.MatrixExpr  # dB^T 1


@functools.cache
def projection_gradients():
    """Differentiate each projection on its own (one trace at a time: SymPy 1.14 returns 0
    for the derivative of a *sum* of traces) and check every result.

    >>> from bptt_book.derivation.onestep import projection_gradients
    >>> g = projection_gradients()
    >>> g.dU, g.dW, g.dh_prev
    (dA.T*X, dB.T*S_prev, W.T*d_b)
    """
    A = sym.X * sym.U_cell.T + sym.ones * sym.b_U.T
    b_step = sym.W_cell * sym.s_prev + sym.b_W
    dh_prev = b_step.diff(sym.s_prev) * sym.d_b
    check(dh_prev == sym.W_cell.T * sym.d_b, f"d b_t / d h_(t-1) applied to d_b = {dh_prev}")
    check(b_step.diff(sym.b_W) == sp.Identity(sym.kH) or same(b_step.diff(sym.b_W),
          sp.Identity(sym.kH)), f"d b_t / d b_W = {b_step.diff(sym.b_W)}")
    input_side = sp.Trace(sym.dA.T * A)
    recurrent_side = sp.Trace(sym.dB.T * (sym.S_prev * sym.W_cell.T + sym.ones * sym.b_W.T))
    dU, dbU = input_side.diff(sym.U_cell), input_side.diff(sym.b_U)
    dW, dbW = recurrent_side.diff(sym.W_cell), recurrent_side.diff(sym.b_W)
    check(dU == sym.dA.T * sym.X, f"dE/dU = {dU}")
    check(dW == sym.dB.T * sym.S_prev, f"dE/dW = {dW}")
    check(dbU == sym.dA.T * sym.ones, f"dE/db_U = {dbU}")
    check(dbW == sym.dB.T * sym.ones, f"dE/db_W = {dbW}")
    return ProjectionGradients(A, b_step, dh_prev, dU, dW, dbU, dbW)
