"""The book's equations, each typeset from the SymPy object the generator prints.

A chapter opens a ``derived`` directive (defined in ``docs/conf.py``) with the name
``delta`` and gets ``\\delta_t = ...`` typeset from
:func:`~bptt_book.derivation.recurrence.delta_recurrence` -- the very expression printed
into :mod:`bptt_book.generated`.  So the book and the code cannot drift apart: change
the derivation and both change.

>>> from bptt_book.derivation.equations import equation
>>> print(equation("ds_dsprev"))
\\frac{\\partial s_t}{\\partial s_{t-1}} = \\operatorname{diag}\\left(f'(z_t)\\right) W
"""

import sympy as sp

from . import symbols as sym
from .activations import activation
from .checks import check as require
from .generate import column_major
from .onestep import softmax_cross_entropy, step_jacobians
from .printer import latex
from .recurrence import derive


def _activation(name, label):
    def build():
        act = activation(name)
        return rf"{label}'(z) = {latex(act.fprime_z)} = {latex(act.fprime_s)}"
    return build


def _with(lhs, getter):
    return lambda: f"{lhs} = {latex(getter())}"


_g = lambda: derive().gradients  # noqa: E731
_r = lambda: derive().recurrence  # noqa: E731

#: name -> a function returning the LaTeX of ``lhs = derived expression``
EQUATIONS = {
    "tanh_prime": _activation("tanh", r"\tanh"),
    "sigmoid_prime": _activation("sigmoid", r"\sigma"),
    "relu_prime": _activation("relu", r"\operatorname{relu}"),
    "softmax_ce": _with(r"\frac{\partial E_t}{\partial o_t}",
                        lambda: softmax_cross_entropy().vector),
    "ds_dz": _with(r"\frac{\partial s_t}{\partial z_t}", lambda: step_jacobians().ds_dz),
    "dz_dsprev": _with(r"\frac{\partial z_t}{\partial s_{t-1}}\Big|_{\text{SymPy}}",
                       lambda: step_jacobians().dz_dsprev),
    "ds_dsprev_sympy": _with(r"\frac{\partial s_t}{\partial s_{t-1}}\Big|_{\text{SymPy}}",
                             lambda: step_jacobians().ds_dsprev),
    "ds_dsprev": _with(r"\frac{\partial s_t}{\partial s_{t-1}}",
                       lambda: sp.Transpose(step_jacobians().ds_dsprev).doit()),
    "do_ds": _with(r"\frac{\partial o_t}{\partial s_t}\Big|_{\text{SymPy}}",
                   lambda: step_jacobians().do_ds),
    "g": _with("g_t", lambda: _r().g),
    "dE_ds": _with(r"\frac{\partial E}{\partial s_t}", lambda: _r().dE_ds),
    "delta": _with(r"\delta_t", lambda: _r().delta),
    "delta_own": _with(r"\delta_t^{(t)}", lambda: _r().delta_own),
    # Truncated BPTT follows the error of one output tau back: delta_t^(tau) from step t+1.
    "delta_back": _with(r"\delta_t^{(\tau)}", lambda: _r().delta_back.xreplace(
        {sym.delta_next: sp.MatrixSymbol(r"\delta_{t+1}^{(\tau)}", sym.H, 1)})),
    "dV_step": _with(r"\frac{\partial E_t}{\partial V}", lambda: _g().dV_step),
    "dW_step": _with(r"\frac{\partial E}{\partial W}\Big|_{\text{step } t}",
                     lambda: _g().dW_step),
    "dU_step": _with(r"\frac{\partial E}{\partial U}\Big|_{\text{step } t}",
                     lambda: _g().dU_step),
    "Do": _with(r"\Delta^{o}", lambda: _g().Do),
    "dV": _with(r"\frac{\partial E}{\partial V}", lambda: _g().dV),
    "dV_printed": _with(r"\frac{\partial E}{\partial V}", lambda: column_major(_g().dV)),
    "G": _with("G", lambda: _g().G),
    "dW": _with(r"\frac{\partial E}{\partial W}", lambda: _g().dW),
    "dU": _with(r"\frac{\partial E}{\partial U}", lambda: _g().dU),
    "Z_input": _with(r"X U^{\top}", lambda: _g().Z_input),
}


# ------------------------------------------------------------------------------ any cell


def _cell(name):
    from .cells import BUILT_IN

    try:
        return BUILT_IN[name]
    except KeyError:
        raise KeyError(f"no built-in cell {name!r}; known: {sorted(BUILT_IN)}") from None


def cell_forward(cell):
    """The cell's equations as aligned vector equations, in the order and form typed (each
    checked equal to the line the generator prints)."""
    from .printer import CellLatexPrinter, cell_latex_names

    names = cell_latex_names(cell)
    printer = CellLatexPrinter(names, {"order": "none"})
    helpers = {t: e for t, e in cell.program if t not in dict(cell.typed)}
    printed = dict(cell.program)
    rows = []
    for target, typed in cell.typed:
        require(sp.expand(typed.doit() - printed[target].xreplace(helpers)) == 0,
                f"{cell.name}: {target} = {typed} differs from the printed {printed[target]}")
        rows.append(f"{names[target]} &= {printer.doprint(typed)}")
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


def cell_jacobian(cell, i=None, j=None):
    """``d(new state i)/d(previous state j)`` of ``cell`` as derived by
    :mod:`~bptt_book.derivation.adjoint` (all blocks when ``i``, ``j`` are None)."""
    from .adjoint import derive as derive_adjoint
    from .printer import CellLatexPrinter, cell_latex_names

    adj = derive_adjoint(cell)
    names = cell_latex_names(cell)
    printer = CellLatexPrinter(names)
    pairs = [(i, j)] if i is not None else list(adj.jacobian)
    rows = []
    for a, b in pairs:
        direct, through_w = adj.jacobian[(a, b)]
        lhs = rf"\frac{{\partial {names[cell.new[a]]}}}{{\partial {names[cell.previous[b]]}}}"
        terms = []
        if direct != 0:
            terms.append(rf"\operatorname{{diag}}\left({printer.doprint(direct)}\right)")
        for k, c in through_w.items():
            w = f"W_{{{cell.shown(cell.blocks[k])}}}" if cell.blocks[k] else "W"
            terms.append(rf"\operatorname{{diag}}\left({printer.doprint(c)}\right) {w}")
        rows.append(f"{lhs} &= " + (r" \\ &\quad + ".join(terms) if terms else "0"))
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


def cell_backward(cell):
    """The backward step of ``cell``: every node and block adjoint, with ``\\bar v`` for the
    adjoint of ``v`` (how the loss responds to it)."""
    from .adjoint import derive as derive_adjoint
    from .printer import CellLatexPrinter, block_latex, cell_latex_names

    adj = derive_adjoint(cell)
    names = cell_latex_names(cell)
    bars = {d: rf"\bar{{{cell.shown(state)}}}_t"
            for d, state in zip(adj.incoming, cell.states, strict=True)}
    for node in adj.nodes:
        base = cell.shown(node.symbol.name.removeprefix("adj_").replace("'", ""))
        bars[node.symbol] = rf"\bar{{{base}}}_t^{{\,\mathrm{{tot}}}}"
    printer = CellLatexPrinter({**names, **bars})

    def terms(t):
        return " + ".join(printer.doprint(node * c) for node, c in t.items()) or "0"

    rows = [f"{bars[n.symbol]} &= {terms(n.terms)}" for n in adj.nodes]
    for letter, grads in (("b", adj.grad_b), ("a", adj.grad_a)):
        for block, g in zip(cell.blocks, grads, strict=True):
            if letter == "a" and g == adj.grad_b[cell.blocks.index(block)]:
                continue
            label = block_latex(cell, letter, block)
            rows.append(rf"\overline{{{label}}} &= {terms(g)}")
    for state, g in zip(cell.states, adj.grad_prev, strict=True):
        previous = rf"\overline{{{cell.shown(state)}_{{t-1}}}}"
        rows.append(rf"{previous}\big|_{{\text{{direct}}}} &= {terms(g)}")
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


# ------------------------------------------------------------------------------ RTRL


def _tangent_latex(expr):
    """LaTeX of an RTRL expression: a direction ``Wdot`` as ``\\dot W``."""
    from . import rtrl
    from .printer import BookLatexPrinter

    dots = {rtrl.Udot: r"\dot U", rtrl.Wdot: r"\dot W", rtrl.Vdot: r"\dot V",
            rtrl.sdot_prev: r"\dot s_{t-1}", rtrl.sdot_t: r"\dot s_t"}

    class TangentPrinter(BookLatexPrinter):
        def _print_MatrixSymbol(self, e):
            return dots.get(e) or super()._print_MatrixSymbol(e)

    return TangentPrinter().doprint(expr)


def _tangent(lhs, getter):
    return lambda: f"{lhs} = {_tangent_latex(getter())}"


def _rnn_tangent():
    from .rtrl import rnn_tangent

    return rnn_tangent()


EQUATIONS.update({
    "rtrl_z_dot": _tangent(r"\dot z_t", lambda: _rnn_tangent().z_dot),
    "rtrl_s_dot": _tangent(r"\dot s_t", lambda: _rnn_tangent().s_dot),
    "rtrl_s_dot_split": _tangent(r"\dot s_t", lambda: _rnn_tangent().s_dot_split),
    "rtrl_E_dot": _tangent(r"\dot E_t", lambda: _rnn_tangent().E_dot),
    "rtrl_gradient": _tangent(r"\dot E_t\big|_{\text{through } s_t}",
                              lambda: _rnn_tangent().gradient),
})


def cell_rtrl(cell):
    """The tangent of every new state of ``cell`` (RTRL's recursion, unit by unit), with the
    blocks of the projections ``alpha_t`` and ``beta_t`` grouped where they share a
    coefficient."""
    from . import rtrl
    from .printer import CellLatexPrinter, block_latex, cell_latex_names

    tan = rtrl.derive(cell)
    names = cell_latex_names(cell)
    for dot, v in zip(tan.dot_prev, cell.states, strict=True):
        names[dot] = rf"\dot {{{cell.shown(v)}}}_{{t-1}}"
    for dot, v in zip(tan.dot_new, cell.states, strict=True):
        names[dot] = rf"\dot {{{cell.shown(v)}}}_t"
    for letter, dots in (("a", tan.dot_a), ("b", tan.dot_b)):
        for block, dot in zip(cell.blocks, dots, strict=True):
            # the projections as the cell's other equations show them: alpha^phi_t, beta^u_t
            names[dot] = r"\dot " + block_latex(cell, letter, block)
    printer = CellLatexPrinter(names, {"order": "none"})
    rows = []
    for i, line in enumerate(tan.lines):
        terms = [c * tan.dot_prev[j] for (row, j), c in tan.direct.items() if row == i]
        for k in range(cell.k):
            q, r = tan.through_b.get((i, k)), tan.through_a.get((i, k))
            if q is not None and q == r:
                terms.append(sp.Mul(q, sp.Add(tan.dot_a[k], tan.dot_b[k]), evaluate=False))
                continue
            terms += [c * d for c, d in ((q, tan.dot_b[k]), (r, tan.dot_a[k])) if c is not None]
        shown = sp.Add(*terms, evaluate=False)
        require(sp.expand(shown - line) == 0, f"{cell.name}: {shown} is not {line}")
        body = r" \\ &\quad + ".join(printer.doprint(t) for t in terms)
        rows.append(f"{names[tan.dot_new[i]]} &= {body}")
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


def equation(name):
    """The LaTeX of the book's equation ``name``: a key of :data:`EQUATIONS`, or
    ``cell:NAME:forward``, ``cell:NAME:backward``, ``cell:NAME:jacobian`` (every block of the
    state Jacobian) or ``cell:NAME:jacobian:I:J`` (one block) for a built-in cell.

    >>> from bptt_book.derivation.equations import equation
    >>> lhs, rhs = equation("cell:lstm:jacobian:1:1").split("&=")
    >>> print(rhs.split("\\\\end")[0])
     \\operatorname{diag}\\left(\\varphi_t\\right)
    """
    if isinstance(name, str) and name.startswith("cell:"):
        parts = name.split(":")
        cell = _cell(parts[1]) if len(parts) > 2 else None
        if cell is not None and parts[2] == "forward" and len(parts) == 3:
            return cell_forward(cell)
        if cell is not None and parts[2] == "backward" and len(parts) == 3:
            return cell_backward(cell)
        if cell is not None and parts[2] == "rtrl" and len(parts) == 3:
            return cell_rtrl(cell)
        if cell is not None and parts[2] == "jacobian" and len(parts) in (3, 5):
            if len(parts) == 3:
                return cell_jacobian(cell)
            return cell_jacobian(cell, int(parts[3]), int(parts[4]))
        raise KeyError(f"no derived equation {name!r}: write cell:NAME:forward, "
                       "cell:NAME:backward, cell:NAME:rtrl, cell:NAME:jacobian or "
                       "cell:NAME:jacobian:I:J")
    try:
        build = EQUATIONS[name]
    except KeyError:
        raise KeyError(f"no derived equation {name!r}; known: {sorted(EQUATIONS)}") from None
    return build()
