"""Real-time recurrent learning: the gradient carried forwards, derived from the one-step pieces.

BPTT sends the error of the outputs backwards through the stored states.  Williams & Zipser's
real-time recurrent learning (1989) carries instead, forwards in time, how every state
depends on every parameter: the *sensitivities* ``ds_t/dtheta``.  The derivation is forward
mode: move the parameters along a direction, ``theta + eps * thetadot``, and follow how each
quantity moves, ``sdot = d s / d eps`` at ``eps = 0`` (a *tangent*).  One step of the plain
RNN gives::

    zdot_t = Udot x_t + Wdot s_{t-1} + W sdot_{t-1}      (the pre-activation's tangent)
    sdot_t = diag(f'(z_t)) zdot_t                        (composed with ds_t/dz_t)
           = (ds_t/ds_{t-1}) sdot_{t-1} + diag(f'(z_t)) (Udot x_t + Wdot s_{t-1})

-- the step Jacobian of chapter 5 applied to the previous tangent, plus the parameters'
direct one-step derivative.  With ``sdot_{-1} = 0`` the loss moves by
``Edot = sum_t (yhat_t - y_t)^T (V sdot_t + Vdot s_t) = sum_t g_t^T sdot_t + ...``, the same
``g_t = V^T (yhat_t - y_t)`` as in BPTT.  Choosing as direction each entry of a parameter in
turn, ``sdot_t`` becomes the column of ``ds_t/dtheta`` for that entry: carried for all
entries at once, that is RTRL, and ``dE/dtheta = sum_t g_t^T ds_t/dtheta``.

For any cell (:mod:`~bptt_book.derivation.cell`) the same holds unit by unit: the tangent of
a new state is a sum over the step's inputs -- previous states, the blocks of ``a_t`` and of
``b_t`` -- of the input's tangent times the partial derivative of the state with respect to
it.  Those partials are the coefficients the adjoint derivation already has
(:mod:`~bptt_book.derivation.adjoint`: the step Jacobian ``P + Q W`` and ``d state/d a``),
and the projections move as ``bdot = W hdot + Wdot h + b_Wdot`` and
``adot = Udot x + b_Udot``.  Every piece is checked against SymPy's own derivative along
``eps`` of the composed step.
"""

import functools
from dataclasses import dataclass

import sympy as sp

from . import symbols as sym
from .activations import NAMES
from .adjoint import derive as derive_adjoint
from .adjoint import proof_difference, proof_step
from .checks import check
from .onestep import name_fprime, projection_gradients, softmax_cross_entropy, step_jacobians

#: The direction's size: ``theta + eps * thetadot``.
eps = sp.Symbol("epsilon", real=True)

# Directions (tangents) of the plain RNN's parameters and states, as columns.
Udot = sp.MatrixSymbol("Udot", sym.H, sym.D)
Wdot = sp.MatrixSymbol("Wdot", sym.H, sym.H)
Vdot = sp.MatrixSymbol("Vdot", sym.D, sym.H)
sdot_prev = sp.MatrixSymbol("sdot_prev", sym.H, 1)  # sdot_{t-1}
sdot_t = sp.MatrixSymbol("sdot_t", sym.H, 1)

# Directions of any cell's projections.
Udot_cell = sp.MatrixSymbol("Udot", sym.kH, sym.D)
Wdot_cell = sp.MatrixSymbol("Wdot", sym.kH, sym.H)
b_Udot = sp.MatrixSymbol("b_Udot", sym.kH, 1)
b_Wdot = sp.MatrixSymbol("b_Wdot", sym.kH, 1)
hdot = sp.MatrixSymbol("hdot", sym.H, 1)  # the tangent of the state that W reads


def along(expr, moves):
    """The tangent of the matrix expression ``expr`` when every symbol ``X`` of ``moves``
    becomes ``X + eps * moves[X]``: ``d expr / d eps`` at ``eps = 0``."""
    moved = expr.xreplace({x: x + eps * d for x, d in moves.items()})
    return moved.diff(eps).subs(eps, 0).doit()


# -------------------------------------------------------------------- the plain RNN


@dataclass(frozen=True)
class RNNTangent:
    """One step of the plain RNN, moved along a direction (``Udot``, ``Wdot``, ``Vdot``)."""

    z_dot: sp.MatrixExpr  # Udot x_t + Wdot s_{t-1} + W sdot_{t-1}
    s_dot: sp.MatrixExpr  # diag(f'(z_t)) zdot_t: the forward sensitivity recursion
    s_dot_split: sp.MatrixExpr  # (ds_t/ds_{t-1}) sdot_{t-1} + diag(f') (Udot x_t + Wdot s_{t-1})
    o_dot: sp.MatrixExpr  # V sdot_t + Vdot s_t
    E_dot: sp.MatrixExpr  # (yhat_t - y_t)^T o_dot: how E_t moves
    gradient: sp.MatrixExpr  # g_t^T sdot_t: the part of E_dot that flows through the states


@functools.cache
def rnn_tangent():
    """Derive the plain RNN's forward sensitivity recursion from the one-step pieces.

    >>> from bptt_book.derivation.rtrl import rnn_tangent
    >>> r = rnn_tangent()
    >>> r.z_dot
    Udot*x_t + W*sdot_prev + Wdot*s_prev
    >>> r.s_dot
    DiagMatrix(fprime_t)*(Udot*x_t + W*sdot_prev + Wdot*s_prev)
    """
    J = step_jacobians()
    moves = {sym.U: Udot, sym.W: Wdot, sym.s_prev: sdot_prev}
    z_dot = along(sym.pre_activation(), moves)
    check(z_dot == Udot * sym.x_t + sym.W * sdot_prev + Wdot * sym.s_prev, f"zdot = {z_dot}")
    s_dot = J.ds_dz * z_dot  # the chain rule, one level: ds_t/dz_t applied to zdot_t
    # SymPy's own derivative of the composed step s_t = f(z_t) along eps must agree.
    direct = name_fprime(along(sym.pre_activation().applyfunc(sym.f), moves))
    check(isinstance(direct, sp.HadamardProduct)
          and set(direct.args) == {z_dot, sym.fprime_t},
          f"d f(z_t(eps)) / d eps = {direct}, expected f'(z_t) * ({z_dot})")
    # Split: the step Jacobian (the book's layout: the transpose of SymPy's) on the previous
    # tangent, plus the parameters' direct one-step derivative.
    jacobian = sp.Transpose(J.ds_dsprev).doit()
    check(jacobian == sp.DiagMatrix(sym.fprime_t) * sym.W, f"ds_t/ds_(t-1) = {jacobian}")
    split = jacobian * sdot_prev + J.ds_dz * (Udot * sym.x_t + Wdot * sym.s_prev)
    check(sp.expand(s_dot - split).doit() == sp.ZeroMatrix(sym.H, 1),
          f"sdot = {s_dot} does not split into {split}")
    o_dot = along(sym.V * sym.s_t, {sym.V: Vdot, sym.s_t: sdot_t})
    check(o_dot == sym.V * sdot_t + Vdot * sym.s_t, f"odot = {o_dot}")
    e_t = softmax_cross_entropy().vector  # dE_t/do_t, derived
    E_dot = e_t.T * o_dot
    g = J.do_ds * e_t  # V^T (yhat_t - y_t), as in BPTT
    gradient = g.T * sdot_t
    rest = e_t.T * Vdot * sym.s_t
    check(sp.expand(E_dot - gradient - rest).doit() == sp.ZeroMatrix(1, 1),
          f"Edot_t = {E_dot} is not g_t^T sdot_t + (yhat_t - y_t)^T Vdot s_t")
    return RNNTangent(z_dot, s_dot, split, o_dot, E_dot, gradient)


# ------------------------------------------------------------------------------ any cell


@dataclass(frozen=True)
class CellTangent:
    """One step of ``cell`` moved along a direction, unit by unit, derived and checked.

    ``dot_prev[j]``, ``dot_a[k]``, ``dot_b[k]`` are the tangents of the step's inputs (previous
    state j, block k of ``a_t`` and of ``b_t``) and ``dot_new[i]`` that of new state i.
    ``direct[(i, j)]``, ``through_b[(i, k)]``, ``through_a[(i, k)]`` are the partial
    derivatives of new state i with respect to each input (only the non-zero ones): the
    direct diagonal ``P`` and the ``Q`` of the step Jacobian ``P + Q W``, and
    ``d state / d a``.  ``lines[i]`` is ``dot_new[i]`` as their sum.  ``b_dot`` and ``a_dot``
    are the projections' tangents (matrix expressions).
    """

    cell: object
    dot_prev: tuple
    dot_a: tuple
    dot_b: tuple
    dot_new: tuple
    direct: dict
    through_b: dict
    through_a: dict
    lines: tuple
    b_dot: sp.MatrixExpr
    a_dot: sp.MatrixExpr

    @property
    def coefficients(self):
        """Every distinct partial derivative the recursion uses (not 0 or 1), in order."""
        seen = {}
        for table in (self.direct, self.through_b, self.through_a):
            for c in table.values():
                if c != 1:
                    seen.setdefault(c, None)
        return tuple(seen)


def _dot(symbol):
    return sp.Symbol(f"dot_{symbol.name}", real=True)


@functools.cache
def derive(cell):
    """Derive :class:`CellTangent` for ``cell`` and check it against SymPy.

    >>> from bptt_book.derivation.cells import GRU
    >>> from bptt_book.derivation.rtrl import derive
    >>> t = derive(GRU)
    >>> t.direct  # d h_t / d h_(t-1), not through W: the update gate
    {(0, 0): z}
    >>> t.through_b[(0, 2)], t.through_a[(0, 2)]  # the candidate's two inputs differ
    (r*(1 - n**2)*(1 - z), (1 - n**2)*(1 - z))
    """
    adj = derive_adjoint(cell)
    dot_prev = tuple(_dot(v) for v in cell.previous)
    dot_a = tuple(_dot(a) for a in cell.a)
    dot_b = tuple(_dot(b) for b in cell.b)
    dot_new = tuple(_dot(v) for v in cell.new)
    direct, through_b, through_a, lines = {}, {}, {}, []
    for i, d in enumerate(adj.incoming):
        terms = []
        for j, dot in enumerate(dot_prev):
            c = adj.coefficient(adj.grad_prev[j], d)
            if c != 0:
                direct[(i, j)] = c
                terms.append(c * dot)
        for k, (dot_ak, dot_bk) in enumerate(zip(dot_a, dot_b, strict=True)):
            c = adj.coefficient(adj.grad_b[k], d)
            if c != 0:
                through_b[(i, k)] = c
                terms.append(c * dot_bk)
            c = adj.coefficient(adj.grad_a[k], d)
            if c != 0:
                through_a[(i, k)] = c
                terms.append(c * dot_ak)
        lines.append(sp.Add(*terms))
    # The step Jacobian is the same partial derivatives: P direct, Q through W.
    for (i, j), (p, through_w) in adj.jacobian.items():
        check(direct.get((i, j), sp.S.Zero) == p, f"{cell.name}: P[{i},{j}] = {p} differs")
        if j == 0:
            for k in range(cell.k):
                check(through_b.get((i, k), sp.S.Zero) == through_w.get(k, sp.S.Zero),
                      f"{cell.name}: Q[{i},{k}] differs from d state/d b")
    proj = projection_gradients()
    b_dot = along(proj.b_step, {sym.W_cell: Wdot_cell, sym.s_prev: hdot, sym.b_W: b_Wdot})
    want = sym.W_cell * hdot + Wdot_cell * sym.s_prev + b_Wdot
    check(sp.expand(b_dot - want).doit() == sp.ZeroMatrix(sym.kH, 1), f"bdot = {b_dot}")
    a_step = sym.U_cell * sym.x_t + sym.b_U
    a_dot = along(a_step, {sym.U_cell: Udot_cell, sym.b_U: b_Udot})
    check(sp.expand(a_dot - (Udot_cell * sym.x_t + b_Udot)).doit()
          == sp.ZeroMatrix(sym.kH, 1), f"adot = {a_dot}")
    result = CellTangent(cell, dot_prev, dot_a, dot_b, dot_new, direct, through_b, through_a,
                         tuple(lines), want, Udot_cell * sym.x_t + b_Udot)
    _check_along_eps(result)
    _check_directions()
    return result


def _check_along_eps(tangent):
    """Each ``lines[i]``, with every forward value written out, equals SymPy's derivative
    along ``eps`` of the composed step ``new_i(a + eps adot, b + eps bdot, prev + eps prevdot)``.
    """
    cell = tangent.cell
    new, values, pluggable = proof_step(cell)
    inputs = list(cell.a) + list(cell.b) + list(cell.previous)
    dots = list(tangent.dot_a) + list(tangent.dot_b) + list(tangent.dot_prev)
    for v, line in zip(cell.new, tangent.lines, strict=True):
        moved = new[v].xreplace({u: u + eps * d for u, d in zip(inputs, dots, strict=True)})
        want = sp.diff(moved, eps).subs(eps, 0)
        difference = proof_difference(line, want, values, pluggable)
        check(difference == 0, f"{cell.name}: the tangent of {v} differs from SymPy's "
                               f"derivative along eps by {difference}")


@functools.cache
def _check_directions():
    """Moving one entry of a parameter moves the projections by a unit vector: along
    ``W[r, c]``, ``b = W h + b_W`` moves by ``e_r h_c``; along ``b_W[r]`` by ``e_r``; along
    ``U[r, d]``, ``a = U x + b_U`` moves by ``e_r x_d``; along ``b_U[r]`` by ``e_r``.  Checked
    entry by entry on explicit symbol matrices (3 rows, H = 2, D = 3); this is how the
    generated RTRL writes every direction at once."""
    rows, H, D = 3, 2, 3
    W = sp.Matrix(rows, H, lambda i, j: sp.Symbol(f"W_{i}_{j}"))
    U = sp.Matrix(rows, D, lambda i, j: sp.Symbol(f"U_{i}_{j}"))
    bW = sp.Matrix(rows, 1, lambda i, j: sp.Symbol(f"bW_{i}"))
    bU = sp.Matrix(rows, 1, lambda i, j: sp.Symbol(f"bU_{i}"))
    h = sp.Matrix(H, 1, lambda i, j: sp.Symbol(f"h_{i}"))
    x = sp.Matrix(D, 1, lambda i, j: sp.Symbol(f"x_{i}"))
    b, a = W * h + bW, U * x + bU
    for r in range(rows):
        e = sp.Matrix(rows, 1, lambda i, j, r=r: int(i == r))
        check(b.diff(bW[r]) == e and a.diff(bU[r]) == e, f"bias direction {r}")
        for c in range(H):
            check(b.diff(W[r, c]) == e * h[c], f"direction W[{r}, {c}]")
        for d in range(D):
            check(a.diff(U[r, d]) == e * x[d], f"direction U[{r}, {d}]")
    return True


__all__ = ["CellTangent", "RNNTangent", "along", "derive", "rnn_tangent", "NAMES"]
