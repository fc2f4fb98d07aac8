"""The step Jacobian of a gated recurrent unit (GRU), derived by SymPy.

The GRU of Cho et al. (2014), in the book's names (U acts on the input, W on the state)::

    z_t = sigmoid(U_z x_t + W_z s_{t-1} + b_z)          update gate
    r_t = sigmoid(U_r x_t + W_r s_{t-1} + b_r)          reset gate
    h_t = tanh(U_h x_t + W_h (r_t * s_{t-1}) + b_h)     candidate state
    s_t = z_t * s_{t-1} + (1 - z_t) * h_t

(``*`` is elementwise.)  Its Jacobian ``ds_t/ds_{t-1}``, rows indexing ``s_t``, is claimed to be

    diag(z_t)
    + diag((s_{t-1} - h_t) * z_t * (1 - z_t)) W_z
    + diag((1 - z_t) * (1 - h_t**2)) W_h (diag(r_t) + diag(s_{t-1} * r_t * (1 - r_t)) W_r)

:func:`derive` proves it: it writes one step with explicit ``n x n`` matrices of symbols,
lets SymPy compute the Jacobian entry by entry (``Matrix.jacobian``, no matrix calculus,
whose nested derivatives SymPy 1.14 gets wrong), substitutes the same symbols into the
closed form above, and checks that every entry of the difference expands to zero.  The
sigmoid is written as ``(1 + tanh(u/2)) / 2`` -- proved equal to ``1 / (1 + exp(-u))`` in
:mod:`~bptt_book.derivation.onestep` -- so that ``expand`` cancels the derivatives exactly.

The first term is the point of the gate: where ``z_t`` is near 1 the Jacobian is near the
identity *whatever W is*, so the gradient can pass many steps without shrinking.  The NumPy
version is :func:`bptt_book.gru.step_jacobians`; the tests compare the two numerically.
"""

import functools
from dataclasses import dataclass

import sympy as sp

from .onestep import activation, check

#: The size of the symbolic matrices in the closed form.
H = sp.Symbol("H", integer=True, positive=True)
z_t, r_t, h_t = (sp.MatrixSymbol(name, H, 1) for name in ("z_t", "r_t", "h_t"))
s_prev = sp.MatrixSymbol("s_prev", H, 1)
W_z, W_r, W_h = (sp.MatrixSymbol(name, H, H) for name in ("W_z", "W_r", "W_h"))


def closed_form():
    """The claimed ``ds_t/ds_{t-1}`` as a matrix expression in ``z_t, r_t, h_t, s_prev``.

    >>> from bptt_book.derivation.gru import closed_form
    >>> closed_form().shape
    (H, H)
    """
    one = sp.OneMatrix(H, 1)
    had = sp.HadamardProduct
    keep = sp.DiagMatrix(z_t)
    through_z = sp.DiagMatrix(had(s_prev - h_t, z_t, one - z_t)) * W_z
    through_r = sp.DiagMatrix(r_t) + sp.DiagMatrix(had(s_prev, r_t, one - r_t)) * W_r
    through_h = sp.DiagMatrix(had(one - z_t, one - had(h_t, h_t))) * W_h * through_r
    return keep + through_z + through_h


@dataclass(frozen=True)
class ExplicitStep:
    """One GRU step with ``n`` units written with explicit symbols.

    ``a_z, a_r, a_h`` stand for the input terms ``U x_t + b`` of the three pre-activations
    (the Jacobian with respect to ``s_{t-1}`` does not depend on how they are made).
    """

    n: int
    s_prev: sp.Matrix
    a_z: sp.Matrix
    a_r: sp.Matrix
    a_h: sp.Matrix
    W_z: sp.Matrix
    W_r: sp.Matrix
    W_h: sp.Matrix
    z: sp.Matrix
    r: sp.Matrix
    h: sp.Matrix
    s: sp.Matrix

    @property
    def inputs(self):
        """The symbols in the order :func:`numeric` takes them."""
        return (self.s_prev, self.a_z, self.a_r, self.a_h, self.W_z, self.W_r, self.W_h)


def explicit_step(n=2, *, sigmoid=None):
    """One GRU step with explicit ``n``-vectors and ``n x n`` matrices of real symbols.

    ``sigmoid`` maps a SymPy expression ``u`` to the gate value; by default the form
    ``(1 + tanh(u/2)) / 2`` proved equal to the logistic sigmoid.
    """
    if sigmoid is None:
        form = activation("sigmoid").f_proof
        (variable,) = form.free_symbols

        def sigmoid(u):
            return form.subs(variable, u)

    def vector(name):
        return sp.Matrix(sp.symbols(f"{name}0:{n}", real=True))

    def matrix(name):
        return sp.Matrix(n, n, lambda i, j: sp.Symbol(f"{name}{i}{j}", real=True))

    s0, a_z, a_r, a_h = (vector(v) for v in ("s", "a_z", "a_r", "a_h"))
    Wz, Wr, Wh = (matrix(m) for m in ("w_z", "w_r", "w_h"))
    z = (a_z + Wz * s0).applyfunc(sigmoid)
    r = (a_r + Wr * s0).applyfunc(sigmoid)
    h = (a_h + Wh * r.multiply_elementwise(s0)).applyfunc(sp.tanh)
    s = z.multiply_elementwise(s0) + (sp.ones(n, 1) - z).multiply_elementwise(h)
    return ExplicitStep(n, s0, a_z, a_r, a_h, Wz, Wr, Wh, z, r, h, s)


@dataclass(frozen=True)
class GRUJacobian:
    """SymPy's Jacobian of an explicit step, and the closed form, proved equal."""

    step: ExplicitStep
    jacobian: sp.Matrix  # SymPy's, entry by entry: n x n
    closed_form: sp.MatrixExpr  # the claim, H x H
    explicit_closed_form: sp.Matrix  # the claim with the step's explicit symbols


def instantiate(expr, step):
    """``expr`` (in ``z_t, r_t, h_t, s_prev, W_*``) with the explicit matrices of ``step``."""
    n = step.n
    explicit = {
        z_t: step.z, r_t: step.r, h_t: step.h, s_prev: step.s_prev,
        W_z: step.W_z, W_r: step.W_r, W_h: step.W_h,
    }
    sized = expr.subs(H, n)
    sized = sized.xreplace({sp.MatrixSymbol(k.name, n, k.shape[1].subs(H, n)): v
                            for k, v in explicit.items()})
    return sp.Matrix(sized.doit().as_explicit())


@functools.cache
def derive(n=2):
    """Differentiate one explicit step of ``n`` units and prove the closed form.

    >>> from bptt_book.derivation.gru import derive
    >>> result = derive(2)
    >>> result.jacobian.shape
    (2, 2)
    """
    step = explicit_step(n)
    J = step.s.jacobian(step.s_prev)
    claim = closed_form()
    J_claim = instantiate(claim, step)
    for i in range(n):
        for j in range(n):
            difference = sp.expand(J[i, j] - J_claim[i, j])
            check(difference == 0, f"GRU ds_t/ds_(t-1)[{i}, {j}]: SymPy and the closed form "
                                   f"differ by {difference}")
    return GRUJacobian(step, J, claim, J_claim)


def numeric(n=2):
    """SymPy's Jacobian of :func:`explicit_step` as a NumPy function (for the tests):
    ``f(s_prev, a_z, a_r, a_h, W_z, W_r, W_h)`` with vectors of length ``n`` and ``n x n``
    matrices, returning the ``n x n`` Jacobian."""
    result = derive(n)
    flat = [list(v) for v in result.step.inputs]
    fn = sp.lambdify(flat, result.jacobian, modules="numpy")

    def jacobian(*values):
        import numpy as np

        return np.asarray(fn(*(np.ravel(v).tolist() for v in values)), dtype=float)

    return jacobian
