"""The exact proof: the recurrence equals ``sympy.diff`` of the fully unrolled loss.

For small sizes every parameter becomes a matrix of scalar symbols, the loss of a whole
sequence is written out as one scalar expression, and SymPy differentiates it with respect
to each symbol.  Independently, the *derived* expressions that the generator prints
(``P - Y``, ``Do.T*S``, the delta recurrence, ``Delta.T*S_prev``, ...) are evaluated on the
same symbol matrices.  The difference of the two, expanded, must be exactly 0.

The unrolled loss grows about H-fold per time step (its operation count; measured in
tests/test_derivation.py), so this is a proof for small cases only, never a way to compute
gradients.  ReLU is left out: ``Max(0, z)`` has no derivative at 0, and SymPy cannot cancel
``Heaviside(Max(0, z)) - Heaviside(z)`` symbolically; the tests check ReLU numerically instead.
"""

import sympy as sp

from . import symbols as sym
from .activations import activation as derive_activation
from .activations import s as _s
from .activations import z as _z
from .adjoint import activation_of
from .adjoint import derive as derive_adjoint
from .cell import PLUGGABLE, fprime
from .onestep import parameter_gradients, projection_gradients
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
        s = z_t.applyfunc(lambda e: f.subs(_z, e))
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
    F = S.applyfunc(lambda s: act.fprime_s.subs(_s, s))
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


# ------------------------------------------------------------------------------ any cell


def _cell_symbols(cell, H, D):
    k = cell.k
    out = {"U": symbol_matrix("U", k * H, D), "V": symbol_matrix("V", D, H),
           "W": symbol_matrix("W", k * H, H)}
    if cell.biases:
        out["bU"] = symbol_matrix("bU", k * H, 1)
        out["bW"] = symbol_matrix("bW", k * H, 1)
    return out


def _unit_values(cell, theta, x_t, previous, act_name):
    """One step of ``cell`` with explicit symbols, unit by unit: ``{symbol: [value per unit]}``
    for every block, previous state and line of the program (activations in proof form)."""
    H = theta["W"].shape[1]
    a = theta["U"][:, x_t] + (theta["bU"] if cell.biases else sp.zeros(cell.k * H, 1))
    b = theta["W"] * previous[0] + (theta["bW"] if cell.biases else sp.zeros(cell.k * H, 1))
    values = {}
    for i, (a_sym, b_sym) in enumerate(zip(cell.a, cell.b, strict=True)):
        values[a_sym] = [a[i * H + j] for j in range(H)]
        values[b_sym] = [b[i * H + j] for j in range(H)]
    for v, column in zip(cell.previous, previous, strict=True):
        values[v] = [column[j] for j in range(H)]
    pluggable = derive_activation(act_name) if act_name else None
    for target, expr in cell.program:
        act = activation_of(expr)
        per_unit = []
        for j in range(H):
            unit = {s: vals[j] for s, vals in values.items()}
            if act is not None:
                arg = expr.args[0].xreplace(unit)
                per_unit.append(act.f_proof.xreplace({_z: arg}))
            elif isinstance(expr, sp.Function) and expr.func.__name__ == PLUGGABLE:
                arg = expr.args[0].xreplace(unit)
                per_unit.append(pluggable.f_proof.xreplace({_z: arg}))
            else:
                per_unit.append(expr.xreplace(unit))
        values[target] = per_unit
    return values


def cell_unrolled(cell, H, D, x, y, activation=None):
    """The loss of ``cell`` over ``x``, ``y`` written out in full, and the explicit forward
    values of every step (what the derived backward pass reads)."""
    theta = _cell_symbols(cell, H, D)
    previous = [sp.zeros(H, 1) for _ in cell.states]
    steps, E = [], 0
    for x_t, y_t in zip(x, y, strict=True):
        values = _unit_values(cell, theta, x_t, previous, activation)
        previous = [sp.Matrix(values[v]) for v in cell.new]
        o = theta["V"] * previous[0]
        E += sp.log(sum(sp.exp(o_i) for o_i in o)) - o[y_t]
        steps.append(values)
    return theta, steps, E


def cell_recurrence_gradients(cell, theta, steps, x, y, activation=None):
    """Evaluate the derived backward pass of ``cell`` -- the node, block and state adjoints
    that the generator prints, and the output layer's and projections' products -- on the
    explicit forward values ``steps``."""
    adj = derive_adjoint(cell)
    g, proj = parameter_gradients(), projection_gradients()
    H, D = theta["W"].shape[1], theta["U"].shape[1]
    k, T = cell.k, len(x)
    pluggable = derive_activation(activation) if activation else None

    def evaluate(expr, values, j):
        unit = {s: vals[j] for s, vals in values.items()}
        if pluggable is not None:  # f' written in the output, for the chosen f
            expr = expr.replace(lambda e: isinstance(e, sp.Function) and e.func == fprime,
                                lambda e: pluggable.fprime_s.subs(_s, e.args[0]))
        return expr.xreplace(unit)

    # Output layer: P - Y, G = Do V, dV = Do^T S (derived, stacked over the steps).
    S = sp.ImmutableMatrix.vstack(*(sp.Matrix(v[cell.new[0]]).T for v in steps))
    rows = []
    for t in range(T):
        o = theta["V"] * S[t, :].T
        total = sum(sp.exp(o_i) for o_i in o)
        rows.append(o.applyfunc(lambda o_i, total=total: sp.exp(o_i) / total).T)
    P = sp.ImmutableMatrix.vstack(*rows)
    Y = _one_hot(y, D)
    X = _one_hot(x, D)

    def explicit(expr, values):
        return sp.ImmutableMatrix(expr.xreplace(values).doit().as_explicit())

    Do = explicit(g.Do, {sym.P: P, sym.Y: Y})
    dV = explicit(g.dV, {sym.Do: Do, sym.S: S})
    G = explicit(g.G, {sym.Do: Do, sym.V: theta["V"]})
    # The backward sweep, unit by unit, with the derived adjoints.
    nxt = [[0] * H for _ in cell.states]
    dA_rows, dB_rows = [None] * T, [None] * T
    for t in reversed(range(T)):
        values = steps[t]
        incoming = {d: [(G[t, j] if i == 0 else 0) + nxt[i][j] for j in range(H)]
                    for i, d in enumerate(adj.incoming)}
        node_values = dict(incoming)

        def terms_value(terms, j, node_values=node_values, values=values):
            return sum((node_values[n][j] * evaluate(c, values, j) for n, c in terms.items()),
                       sp.S.Zero)

        for node in adj.nodes:
            node_values[node.symbol] = [terms_value(node.terms, j) for j in range(H)]
        db = sp.Matrix([terms_value(adj.grad_b[i], j) for i in range(k) for j in range(H)])
        da = sp.Matrix([terms_value(adj.grad_a[i], j) for i in range(k) for j in range(H)])
        dB_rows[t], dA_rows[t] = db.T, da.T
        back = explicit(proj.dh_prev, {sym.W_cell: theta["W"], sym.d_b: db})
        nxt = [[(back[j] if i == 0 else 0) + terms_value(adj.grad_prev[i], j) for j in range(H)]
               for i in range(len(cell.states))]
    dA, dB = sp.ImmutableMatrix.vstack(*dA_rows), sp.ImmutableMatrix.vstack(*dB_rows)
    S_prev = sp.ImmutableMatrix.vstack(sp.zeros(1, H), *(S[t, :] for t in range(T - 1)))
    out = {"U": explicit(proj.dU, {sym.dA: dA, sym.X: X}), "V": dV,
           "W": explicit(proj.dW, {sym.dB: dB, sym.S_prev: S_prev})}
    if cell.biases:
        ones = sp.ones(T, 1)
        out["bU"] = explicit(proj.dbU.xreplace({sym.ones: ones}), {sym.dA: dA})
        out["bW"] = explicit(proj.dbW.xreplace({sym.ones: ones}), {sym.dB: dB})
    return out


def _compare(gradients, cell, H, D, x, y, activation):
    """``{parameter: True}`` when ``gradients(cell, theta, steps, x, y, activation)`` equals
    ``sympy.diff`` of ``cell``'s unrolled loss exactly (the proofs below)."""
    if cell.uses_pluggable:
        activation = activation or "tanh"
        if activation not in PROVABLE:
            raise ValueError(f"the exact proof covers {PROVABLE}; got {activation!r}")
    theta, steps, E = cell_unrolled(cell, H, D, x, y, activation)
    derived = gradients(cell, theta, steps, x, y, activation)
    result = {}
    for name, matrix in theta.items():
        unrolled = matrix.applyfunc(lambda entry: sp.diff(E, entry))
        difference = (unrolled - derived[name]).applyfunc(sp.expand)
        result[name] = difference.is_zero_matrix is True
    return result


def prove_cell(cell, H, D, x, y, activation=None):
    """``{parameter: True}`` when ``cell``'s derived backward pass equals ``sympy.diff`` of
    its unrolled loss exactly.  ``activation`` chooses ``f`` for a cell that calls it.

    >>> from bptt_book.derivation.cells import GRU
    >>> from bptt_book.derivation.unrolled import prove_cell
    >>> prove_cell(GRU, 1, 2, x=[0, 1], y=[1, 0])
    {'U': True, 'V': True, 'W': True, 'bU': True, 'bW': True}
    """
    return _compare(cell_recurrence_gradients, cell, H, D, x, y, activation)


# ------------------------------------------------------------------- RTRL, forwards


def rtrl_gradients(cell, theta, steps, x, y, activation=None):
    """Evaluate the derived forward sensitivity recursion of ``cell``
    (:func:`bptt_book.derivation.rtrl.derive`) on the explicit forward values ``steps``, one
    parameter entry at a time: move that entry alone (its direction is 1, every other 0),
    carry the states' tangents forwards with the derived lines and the projections' derived
    tangents, and add up how the loss moves, ``Edot_t = (yhat_t - y_t)^T (V sdot_t + Vdot s_t)``
    (:func:`~bptt_book.derivation.rtrl.rnn_tangent`'s ``E_dot``).  Returns ``{name: matrix}``
    of those derivatives, shaped as the parameters."""
    from . import rtrl

    tan, loss = rtrl.derive(cell), rtrl.rnn_tangent()
    H, D = theta["W"].shape[1], theta["U"].shape[1]
    kH = theta["W"].shape[0]
    pluggable = derive_activation(activation) if activation else None
    X, Y = _one_hot(x, D), _one_hot(y, D)

    def explicit(expr, values):
        return sp.ImmutableMatrix(expr.xreplace(values).doit().as_explicit())

    def unit(expr, values, j):
        if pluggable is not None:  # f' written in the output, for the chosen f
            expr = expr.replace(lambda e: isinstance(e, sp.Function) and e.func == fprime,
                                lambda e: pluggable.fprime_s.subs(_s, e.args[0]))
        return expr.xreplace({s: vals[j] for s, vals in values.items()})

    first = cell.new[0]
    out = {}
    for name, matrix in theta.items():
        derivative = sp.zeros(*matrix.shape)
        for r in range(matrix.shape[0]):
            for c in range(matrix.shape[1]):
                move = {n: sp.zeros(*m.shape) for n, m in theta.items()}
                move[name][r, c] = 1
                dots = [sp.zeros(H, 1) for _ in cell.states]
                total = sp.S.Zero
                for t, values in enumerate(steps):
                    h_prev = sp.Matrix(values[cell.previous[0]])
                    b_dot = explicit(tan.b_dot, {
                        sym.W_cell: theta["W"], rtrl.Wdot_cell: move["W"], rtrl.hdot: dots[0],
                        sym.s_prev: h_prev,
                        rtrl.b_Wdot: move["bW"] if cell.biases else sp.zeros(kH, 1)})
                    a_dot = explicit(tan.a_dot, {
                        rtrl.Udot_cell: move["U"], sym.x_t: X[t, :].T,
                        rtrl.b_Udot: move["bU"] if cell.biases else sp.zeros(kH, 1)})
                    tangents = {}
                    for i, dot in enumerate(tan.dot_prev):
                        tangents[dot] = list(dots[i])
                    for k, (da, db) in enumerate(zip(tan.dot_a, tan.dot_b, strict=True)):
                        tangents[da] = [a_dot[k * H + j] for j in range(H)]
                        tangents[db] = [b_dot[k * H + j] for j in range(H)]
                    dots = [sp.Matrix([unit(line, {**values, **tangents}, j) for j in range(H)])
                            for line in tan.lines]
                    s_t = sp.Matrix(values[first])
                    o = theta["V"] * s_t
                    norm = sum(sp.exp(o_i) for o_i in o)
                    yhat = o.applyfunc(lambda o_i, norm=norm: sp.exp(o_i) / norm)
                    total += explicit(loss.E_dot, {
                        sym.yhat_t: yhat, sym.y_t: Y[t, :].T, sym.V: theta["V"],
                        rtrl.Vdot: move["V"], rtrl.sdot_t: dots[0], sym.s_t: s_t})[0, 0]
                derivative[r, c] = total
        out[name] = sp.ImmutableMatrix(derivative)
    return out


def prove_rtrl(cell, H, D, x, y, activation=None):
    """``{parameter: True}`` when ``cell``'s derived forward sensitivity recursion (RTRL)
    equals ``sympy.diff`` of its unrolled loss exactly.

    >>> from bptt_book.derivation.cells import RNN
    >>> from bptt_book.derivation.unrolled import prove_rtrl
    >>> prove_rtrl(RNN, 2, 2, x=[0, 1], y=[1, 0])
    {'U': True, 'V': True, 'W': True}
    """
    return _compare(rtrl_gradients, cell, H, D, x, y, activation)
