"""One step of any cell, backwards: its adjoint, derived from the cell's equations.

The core of a cell (:mod:`~bptt_book.derivation.cell`) is a short program of elementwise
lines.  Reverse accumulation walks it from the last line to the first: the adjoint of a
value -- how the loss responds to it -- is the sum, over the lines that use it, of the
adjoint of the line's result times the line's *local partial derivative*.  SymPy computes each
local partial with scalar ``diff`` (one level, no matrix calculus), and an activation's
derivative is written in its output (``1 - n**2`` for ``n = tanh(...)``, ``r*(1 - r)`` for
``r = sigmoid(...)``): the backward pass has the outputs at hand.

The result is arranged for computing:

- the adjoints arriving at the new states (``d_h'``, ``d_c'``) are *incoming*; an adjoint
  with two or more contributions is a *node* computed once per step (the LSTM's
  ``d_c' + d_h' o (1 - tanh(c')^2)``);
- every other adjoint is a sum of ``node * coefficient`` terms, where each coefficient is a
  product of local partials: a formula in the forward values only.  The coefficients of all
  time steps are computed at once before the backward loop, which is left with a handful of
  multiply-adds per step;
- the matrix part is the same for every cell: the recurrent projection ``b = W h + b_W`` sends
  ``d_b W`` (``W^T d_b`` as a column) back to ``h_{t-1}``, and the parameter gradients are the
  products of :func:`~bptt_book.derivation.onestep.projection_gradients`.

:func:`derive` checks the result against SymPy's own derivative of the composed step (every
line substituted into the next), entry by entry, before anything is printed.
"""

import functools
from dataclasses import dataclass

import sympy as sp

from .activations import by_function, s
from .cell import PLUGGABLE, fprime
from .checks import check
from .forms import tidy

#: A value's adjoint: ``{node symbol: coefficient}``, meaning ``sum(node * coefficient)``.
Terms = dict


@dataclass(frozen=True)
class Node:
    """An adjoint computed once per step: ``symbol = sum(node * coefficient)``."""

    symbol: sp.Symbol
    terms: Terms


@dataclass(frozen=True)
class CellAdjoint:
    """The backward step of a cell, derived and checked.

    ``incoming[i]`` is the adjoint arriving at new state ``i`` (``d_h'``): for the first
    state, ``g_t`` from the output layer plus what step ``t + 1`` sends back.  ``nodes`` are
    computed in order; ``grad_a[k]``, ``grad_b[k]`` are the adjoints of the projection blocks
    and ``grad_prev[i]`` the *direct* adjoint of previous state ``i`` (not through ``W``), each
    as ``Terms``.  ``partials[(v, u)]`` is the local partial derivative of line ``v`` with
    respect to ``u``.  ``jacobian[(i, j)]`` is ``d(new state i)/d(previous state j)`` as
    ``(direct, {block k: coefficient of W_k})``: ``diag(direct) + sum_k diag(c_k) W_k``.
    """

    cell: object
    incoming: tuple
    nodes: tuple
    grad_a: tuple
    grad_b: tuple
    grad_prev: tuple
    partials: dict
    jacobian: dict

    @property
    def coefficients(self):
        """Every distinct coefficient expression the backward step uses, in a fixed order."""
        seen = {}
        groups = [n.terms for n in self.nodes] + list(self.grad_b) + list(self.grad_prev)
        groups += list(self.grad_a)
        for terms in groups:
            for c in terms.values():
                if c not in (sp.S.One,) and c not in seen:
                    seen[c] = None
        return tuple(seen)

    def expand(self, terms):
        """``terms`` written in the incoming adjoints only (nodes substituted)."""
        return sum((d * self.coefficient(terms, d) for d in self.incoming), sp.S.Zero)

    def coefficient(self, terms, d):
        """The factor of the incoming adjoint ``d`` in ``terms`` (nodes followed through)."""
        values = {n.symbol: n for n in self.nodes}
        total = sp.S.Zero
        for node, c in terms.items():
            if node == d:
                total += c
            elif node in values:
                total += self.coefficient(values[node].terms, d) * c
        return tidy(sp.factor_terms(total))


def local_partial(target, expr, u):
    """``d expr / d u`` for the line ``target = expr``, written in the outputs.

    For an activation line ``v = act(arg)`` the derivative of ``act`` is the table's
    ``f'`` written in its output ``v``; the pluggable ``f`` gives ``fprime(v)``.  Any other
    line is a polynomial in its names, which SymPy differentiates directly.
    """
    if isinstance(expr, sp.Function):
        (arg,) = expr.args
        inner = sp.diff(arg, u)
        if inner == 0:
            return sp.S.Zero
        if expr.func.__name__ == PLUGGABLE:
            return fprime(target) * inner
        act = by_function(expr.func)
        check(act is not None, f"no activation for {expr.func} in {target} = {expr}")
        return act.fprime_s.subs(s, target) * inner
    check(not expr.atoms(sp.Function), f"{target} = {expr}: a function inside a line")
    return sp.diff(expr, u)


def _add(terms, extra, factor):
    """``terms += extra * factor`` (in place), merging equal nodes."""
    for node, c in extra.items():
        product = tidy(sp.factor_terms(c * factor))
        total = terms.get(node, sp.S.Zero) + product
        if total == 0:
            terms.pop(node, None)
        else:
            terms[node] = tidy(sp.factor_terms(total))


@functools.cache
def derive(cell):
    """Derive :class:`CellAdjoint` for ``cell`` by reverse accumulation, and check it.

    >>> from bptt_book.derivation.adjoint import derive
    >>> from bptt_book.derivation.cells import GRU
    >>> adj = derive(GRU)
    >>> for terms in adj.grad_b:
    ...     print(dict(terms))
    {d_h': b_n*r*(1 - n**2)*(1 - r)*(1 - z)}
    {d_h': z*(1 - z)*(h - n)}
    {d_h': r*(1 - n**2)*(1 - z)}
    >>> dict(adj.grad_prev[0])
    {d_h': z}
    """
    incoming = tuple(sp.Symbol(f"d_{v.name}", real=True) for v in cell.new)
    adjoints = {v: {d: sp.S.One} for v, d in zip(cell.new, incoming, strict=True)}
    nodes, partials = [], {}
    for target, expr in reversed(cell.program):
        terms = adjoints.pop(target, {})
        if len(terms) >= 2:  # used twice or more: compute once per step, then reuse
            node = sp.Symbol(f"adj_{target.name}", real=True)
            nodes.append(Node(node, terms))
            terms = {node: sp.S.One}
        for u in sorted(expr.free_symbols, key=sp.default_sort_key):
            partial = local_partial(target, expr, u)
            partials[(target, u)] = partial
            if partial != 0 and terms:
                _add(adjoints.setdefault(u, {}), terms, partial)
    # After the walk only the inputs of the step are left: blocks and previous states.
    grad_a = tuple(adjoints.pop(a, {}) for a in cell.a)
    grad_b = tuple(adjoints.pop(b, {}) for b in cell.b)
    grad_prev = tuple(adjoints.pop(h, {}) for h in cell.previous)
    check(not adjoints, f"{cell.name}: adjoints left for {sorted(map(str, adjoints))}")
    result = CellAdjoint(cell, incoming, tuple(nodes), grad_a, grad_b, grad_prev, partials, {})
    jacobian = {}
    for i, d in enumerate(incoming):
        for j in range(len(cell.states)):
            direct = result.coefficient(grad_prev[j], d)
            through_w = {}
            if j == 0:  # the recurrent projection reads the first state
                for k, terms in enumerate(grad_b):
                    c = result.coefficient(terms, d)
                    if c != 0:
                        through_w[k] = c
            jacobian[(i, j)] = (direct, through_w)
    result = CellAdjoint(cell, incoming, tuple(nodes), grad_a, grad_b, grad_prev, partials,
                         jacobian)
    _check(result)
    return result


def composed(cell, act_form=None):
    """The new states as explicit formulas in the blocks and previous states.

    Every line is substituted into the next, with each activation written as ``act_form``
    gives it (default: the elementary ``f``; the exact proofs pass the proof forms).  The
    pluggable ``f`` is left as the abstract function ``f``.
    """
    values = {}
    for target, expr in cell.program:
        expr = expr.xreplace(values)
        act = activation_of(expr)
        if act is not None:
            form = act_form(act) if act_form else act.f
            expr = form.subs(sp.Symbol("z", real=True), expr.args[0])
        values[target] = expr
    return {v: values[v] for v in cell.new}, values


def proof_step(cell):
    """The step of ``cell`` ready for an exact proof: ``(new, values, pluggable)``, where
    ``new`` and ``values`` are :func:`composed` with every activation in its proof form and
    ``pluggable`` writes each ``fprime(v)`` -- the pluggable f' in its output v = f(u) -- as
    f'(u) in SymPy's terms."""
    f = sp.Function(PLUGGABLE)
    new, values = composed(cell, lambda a: a.f_proof)
    pluggable = {}
    for target, expr in cell.program:
        if isinstance(expr, sp.Function) and expr.func.__name__ == PLUGGABLE:
            u = expr.args[0].xreplace(values)
            dummy = sp.Dummy("u")
            pluggable[fprime(target)] = sp.diff(f(dummy), dummy).subs(dummy, u)
    return new, values, pluggable


def proof_difference(derived, want, values, pluggable):
    """``derived`` (a line in the forward values) minus ``want`` (SymPy's derivative of the
    composed step), with every forward value written out (``values`` and ``pluggable`` of
    :func:`proof_step`) and simplified: zero when the two agree exactly."""
    got = derived.xreplace(pluggable).xreplace(values).xreplace(pluggable)
    if got == want:
        return sp.S.Zero
    difference = sp.expand((got - want).rewrite(sp.tanh))
    return sp.simplify(difference) if difference != 0 else difference


def _check(adj):
    """Every adjoint equals SymPy's derivative of the composed step, term by term.

    Each new state is written as one formula in the blocks and previous states (the proof
    form of every activation, in which ``expand`` cancels exactly); its derivative with respect
    to each input, weighted by the incoming adjoints, must equal the derived adjoint with every
    forward value substituted.
    """
    cell = adj.cell
    new, values, pluggable = proof_step(cell)
    inputs = list(cell.a) + list(cell.b) + list(cell.previous)
    derived = list(adj.grad_a) + list(adj.grad_b) + list(adj.grad_prev)
    for u, terms in zip(inputs, derived, strict=True):
        want = sum((sp.diff(expr, u) * d for d, expr in
                    zip(adj.incoming, new.values(), strict=True)), sp.S.Zero)
        difference = proof_difference(adj.expand(terms), want, values, pluggable)
        check(difference == 0, f"{cell.name}: the adjoint of {u} differs from SymPy's "
                               f"derivative of the composed step by {difference}")


def activation_of(expr):
    """The :class:`~bptt_book.derivation.activations.Activation` a line applies, or None."""
    if isinstance(expr, sp.Function) and expr.func.__name__ != PLUGGABLE:
        return by_function(expr.func)
    return None


__all__ = ["CellAdjoint", "Node", "activation_of", "composed", "derive", "local_partial",
           "proof_difference", "proof_step"]
