"""The exact proof: the recurrence equals ``sympy.diff`` of the fully unrolled loss.

For small sizes every parameter becomes a matrix of scalar symbols, the loss of a whole
sequence is written out as one scalar expression, and SymPy differentiates it with respect
to each symbol.  Independently, the *derived* expressions that the generator prints
(``P - Y``, ``Do.T*S``, the delta recurrence, ``Delta.T*S_prev``, ...) are evaluated on the
same symbol matrices.  The difference of the two, expanded, must be exactly 0.

The unrolled expression grows about (H+2)-fold per time step, so this is a proof for small
cases only, never a way to compute gradients.  ReLU is left out: ``Max(0, z)`` has no
derivative at 0, and SymPy cannot cancel ``Heaviside(Max(0, z)) - Heaviside(z)``
symbolically; the tests check ReLU numerically instead.
"""

import sympy as sp

from . import symbols as sym
from .onestep import activation as derive_activation
from .recurrence import derive

#: Activations for which the proof is exact.
PROVABLE = ("tanh", "sigmoid")


def symbol_matrix(name, rows, cols):
    """A matrix of real scalar symbols ``name_i_j``."""
    return sp.ImmutableMatrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i}_{j}", real=True))


def _one_hot(indices, width):
    return sp.ImmutableMatrix(len(indices), width, lambda t, j: int(indices[t] == j))


def _states(U, W, x, f):
    """Explicit states s_0 ... s_{T-1} (columns) for the activation expression ``f(z)``."""
    s = sp.zeros(U.shape[0], 1)
    states = []
    for t in x:
        z_t = U[:, t] + W * s
        s = z_t.applyfunc(lambda e: f.subs(sym.z, e))
        states.append(s)
    return states


def unrolled_loss(U, V, W, x, y, name):
    """``E = sum_t -log softmax(V s_t)[y_t]`` written out in full.

    ``-log(exp(o_c) / sum_i exp(o_i))`` is entered as ``log(sum_i exp(o_i)) - o_c``, the
    same function for real logits, so that SymPy's derivative needs no log-of-quotient
    rewriting.
    """
    f = derive_activation(name).f_proof
    E = 0
    for s_t, c in zip(_states(U, W, x, f), y, strict=True):
        o = V * s_t
        E += sp.log(sum(sp.exp(o_i) for o_i in o)) - o[c]
    return E


def recurrence_gradients(U, V, W, x, y, name, delta=None):
    """Evaluate the derived (generated) expressions on explicit symbol matrices.

    ``delta`` replaces the derived recurrence; the tests pass a wrong one to see the proof
    fail.
    """
    d = derive()
    g, r = d.gradients, d.recurrence
    delta = r.delta if delta is None else delta
    act = d.activations[name]
    states = _states(U, W, x, act.f_proof)
    T, (H, D) = len(x), U.shape
    S = sp.ImmutableMatrix.vstack(*(s.T for s in states))
    S_prev = sp.ImmutableMatrix.vstack(sp.zeros(1, H), *(s.T for s in states[:-1]))
    rows = []
    for s_t in states:
        o = V * s_t
        total = sum(sp.exp(o_i) for o_i in o)
        rows.append(o.applyfunc(lambda o_i, total=total: sp.exp(o_i) / total).T)
    P = sp.ImmutableMatrix.vstack(*rows)
    X, Y = _one_hot(x, D), _one_hot(y, D)

    def evaluate(expr, values):
        return sp.ImmutableMatrix(expr.xreplace(values).doit().as_explicit())

    Do = evaluate(g.Do, {sym.P: P, sym.Y: Y})
    dV = evaluate(g.dV, {sym.Do: Do, sym.S: S})
    G = evaluate(g.G, {sym.Do: Do, sym.V: V})
    F = S.applyfunc(lambda s: act.fprime_s.subs(sym.s, s))
    delta_next = sp.zeros(H, 1)
    deltas = [None] * T
    for t in reversed(range(T)):
        values = {sym.fprime_t: F[t, :].T, sym.g_t: G[t, :].T, sym.W: W,
                  sym.delta_next: sp.ImmutableMatrix(delta_next)}
        delta_next = deltas[t] = evaluate(delta, values)
    Delta = sp.ImmutableMatrix.vstack(*(delta.T for delta in deltas))
    dW = evaluate(g.dW, {sym.Delta: Delta, sym.S_prev: S_prev})
    dU = evaluate(g.dU, {sym.Delta: Delta, sym.X: X})
    return {"U": dU, "V": dV, "W": dW}


def prove(H, D, x, y, name="tanh", delta=None):
    """Return ``{parameter: True}`` when recurrence and unrolled derivative agree exactly.

    >>> from bptt_book.derivation.unrolled import prove
    >>> prove(2, 3, x=[0, 2, 0], y=[1, 0, 2])
    {'U': True, 'V': True, 'W': True}
    """
    if name not in PROVABLE:
        raise ValueError(f"the exact proof covers {PROVABLE}; got {name!r}")
    U, V, W = symbol_matrix("U", H, D), symbol_matrix("V", D, H), symbol_matrix("W", H, H)
    E = unrolled_loss(U, V, W, x, y, name)
    derived = recurrence_gradients(U, V, W, x, y, name, delta)
    result = {}
    for pname, theta in (("U", U), ("V", V), ("W", W)):
        unrolled = theta.applyfunc(lambda entry: sp.diff(E, entry))
        difference = (unrolled - derived[pname]).applyfunc(sp.expand)
        result[pname] = difference.is_zero_matrix is True
    return result
