"""Write the package :mod:`bptt_book.generated` from the derivation, one module per cell.

Every cell of :mod:`~bptt_book.derivation.cells` becomes a module
``bptt_book/generated/<name>.py`` with the same functions -- ``forward``, ``coefficients``,
``backward`` and ``step_jacobians`` -- whose every right-hand side
:class:`~bptt_book.derivation.printer.NumPyCodePrinter` prints from a derived SymPy expression.
Above each printed line is the expression it came from, as a comment, so the book, the
derivation and the code can be compared line by line.  Two modules are shared by all cells:
``activations`` (the activation table) and ``layers`` (the output layer and the projections'
gradients, which are the same for every cell).

The skeleton around the printed lines -- function signatures, loops over time, allocations --
is the same for every cell; it lives in the small builders below, one per function, and reads
nothing but the cell's derivation.

``python -m bptt_book generate`` writes the files; ``--check`` compares instead.
:func:`compile_cell` runs the same generator on a reader's own cell and imports the result
without writing a file (chapter 9 does this with the minimal gated unit).
"""

import functools
import importlib.util
import sys
import types
from pathlib import Path

import sympy as sp
from sympy.codegen.ast import AddAugmentedAssignment, Assignment

from . import symbols as sym
from .activations import NAMES, activation
from .adjoint import derive as derive_adjoint
from .cell import PLUGGABLE, Cell
from .cells import BUILT_IN
from .checks import check as require
from .onestep import parameter_gradients, projection_gradients
from .printer import NumPyCodePrinter

PACKAGE = Path(__file__).resolve().parent.parent / "generated"
COMMAND = "python -m bptt_book generate"


class Code:
    """Lines of Python with an indentation level."""

    def __init__(self):
        self.lines = []
        self.level = 0

    def __call__(self, *lines):
        for text in lines:
            for line in text.split("\n"):
                self.lines.append(("    " * self.level + line).rstrip())
        return self

    def indented(self, by=1):
        code = self

        class _Block:
            def __enter__(self):
                code.level += by

            def __exit__(self, *exc):
                code.level -= by

        return _Block()

    def text(self):
        return "\n".join(self.lines) + "\n"


def _header(title, what):
    return f'''"""{title}: GENERATED CODE, do not edit by hand.

{what}

Written by ``{COMMAND}`` from the SymPy derivation in
:mod:`bptt_book.derivation`; ``{COMMAND} --check`` fails when this file differs
from what the derivation prints today.
Every right-hand side is printed from a SymPy expression, quoted in the comment above it.
Arrays are time-stacked and batched: token ids ``x`` are (N, T) and a state is (N, T, H).  A
column vector of the derivation is a row here, so ``W.T*d_b`` is printed as ``d_b @ W``.
This module imports NumPy only.
"""
'''


def _assign(code, printer, lhs, rhs, *, augmented=False):
    """Printed statements for ``lhs = rhs`` preceded by the SymPy source as a comment."""
    node = (AddAugmentedAssignment if augmented else Assignment)(lhs, rhs)
    code(f"# {node.lhs} {'+=' if augmented else '='} {rhs}")
    code(printer.doprint(node))


# ------------------------------------------------------------------------------ activations


def activations_source():
    """``generated/activations.py``: every activation of the table and its derivative."""
    printer = NumPyCodePrinter()
    code = Code()
    code(_header("The activations", "Each activation f of "
                 ":mod:`bptt_book.derivation.activations` and its derivative written in the\n"
                 "output s = f(z), with gamma = max f'."), "import numpy as np")
    table, gamma = [], []
    for name in NAMES:
        act = activation(name)
        code("", "", f"def f_{name}(z):", f'    """{name}: f(z) = {act.f}."""')
        with code.indented():
            code(f"# {act.f_numeric}", f"return {printer.doprint(act.f_numeric)}")
        code("", "", f"def fprime_{name}(s):",
             f'    """{name}: f\'(z) written in the output s = f(z).', "",
             f"    SymPy differentiates f to {act.fprime_z}.", '    """')
        with code.indented():
            code(f"# {act.fprime_s}", f"return {printer.doprint(act.fprime_s)}")
        table.append(f'    "{name}": (f_{name}, fprime_{name}),')
        gamma.append(f'    "{name}": {printer.doprint(act.gamma)},')
    code("", "", "#: name -> (f, f' written in the output)", "ACTIVATIONS = {", *table, "}",
         "", "#: The largest slope gamma = max f' of each activation, the factor in the bound",
         "#: ||ds_t/ds_k|| <= (gamma sigma_max(W)) ** (t - k) of the plain RNN.",
         "GAMMA = {", *gamma, "}")
    return code.text()


# ---------------------------------------------------------------------------------- layers


def column_major(product):
    """``A.T*B`` rewritten as the unevaluated ``(B.T*A).T``, checked equal.

    For dV = Do.T*S (Do is T x D, tall and thin after transposing) OpenBLAS is faster
    computing the (H, D) product S.T @ Do (benchmarks/bench_column_major.py measures the
    ratio); its transpose is the (D, H) result, stored column-major.
    """
    (a_t, b) = product.args
    require(isinstance(a_t, sp.Transpose), f"not of the form A.T*B: {product}")
    rewritten = sp.Transpose(sp.MatMul(b.T, a_t.arg))  # Transpose does not evaluate itself
    require(rewritten.doit() == product, f"{rewritten} != {product}")
    return rewritten


def layers_source():
    """``generated/layers.py``: the output layer and the projections' gradients."""
    g, proj = parameter_gradients(), projection_gradients()
    code = Code()
    code(_header("The layers every cell shares",
                 "The output layer yhat_t = softmax(V h_t) and the gradients of the two\n"
                 "projections a_t = U x_t + b_U and b_t = W h_(t-1) + b_W."), "import numpy as np")
    out = NumPyCodePrinter(onehot={sym.Y: "y"})
    dV = sp.MatrixSymbol("dV", sym.D, sym.H)
    code("", "", "def output_layer(V, S, P, y, dV=None):",
         '    """Rows g_t of V^T (yhat_t - y_t) for rows S of states, P of softmax outputs and',
         "    labels y, with dV (added to ``dV`` when one is given).  P is overwritten.",
         '    """')
    with code.indented():
        _assign(code, out, sym.Do, g.Do)
        code("if dV is None:")
        with code.indented():
            _assign(code, out, dV, column_major(g.dV))
        code("else:")
        with code.indented():
            _assign(code, out, dV, column_major(g.dV), augmented=True)
        _assign(code, out, sym.G, g.G)
        code("return dV, G")
    names = {sym.U_cell: "U", sym.b_U: "bU", sym.W_cell: "W", sym.kH: "kH", sym.D: "D"}
    printer = NumPyCodePrinter(names=names, onehot={sym.X: "x"})
    dU, dW = (sp.MatrixSymbol(n, *s) for n, s in (("dU", (sym.kH, sym.D)),
                                                   ("dW", (sym.kH, sym.H))))
    dbU, dbW = (sp.MatrixSymbol(n, sym.kH, 1) for n in ("dbU", "dbW"))
    code("", "", "def input_projection(U, bU, x):",
         '    """a_t = U x_t + b_U for every step at once: (N, T, kH).  ``bU`` may be None."""')
    with code.indented():
        (A_rows,) = [term for term in proj.A.args if not term.has(sym.b_U)]
        code("if bU is None:")
        with code.indented():
            _assign(code, printer, sym.A, A_rows)
        code("else:")
        with code.indented():
            _assign(code, printer, sym.A, proj.A)
        code("return A")
    code("", "", "def previous_states(S, first=None):",
         '    """s_(t-1) for every t: (N, T, H), with s_(-1) = 0, or ``first`` (N, H)."""',
         "    S_prev = np.zeros_like(S)", "    S_prev[:, 1:] = S[:, :-1]",
         "    if first is not None:", "        S_prev[:, 0] = first", "    return S_prev")
    code("", "", "def projection_gradients(U, x, S_prev, dA, dB, biases):",
         '    """dU, dW (and db_U, db_W when ``biases``) from the adjoints dA, dB (N, T, kH) of',
         "    the two projections at every step and the previous states S_prev (N, T, H).",
         '    """')
    with code.indented():
        code("kH, D = U.shape", "H = S_prev.shape[-1]", "S_prev = S_prev.reshape(-1, H)",
             "dA = dA.reshape(-1, kH)", "dB = dB.reshape(-1, kH)", "x = x.reshape(-1)")
        _assign(code, printer, dW, proj.dW)
        _assign(code, printer, dU, proj.dU)
        code("if not biases:")
        code("    return dU, dW")
        _assign(code, printer, dbU, proj.dbU)
        _assign(code, printer, dbW, proj.dbW)
        code("return dU, dW, dbU, dbW")
    return code.text()


# ------------------------------------------------------------------------------------ cells


class _Names:
    """How a cell's symbols are spelled in its generated module."""

    def __init__(self, cell, adj):
        self.cell, self.adj = cell, adj
        self.state = {v: name for v, name in zip(cell.new, cell.states, strict=True)}
        self.prev = {v: f"{name}_prev" for v, name in zip(cell.previous, cell.states,
                                                          strict=True)}
        self.incoming = {d: f"d_{name}" for d, name in zip(adj.incoming, cell.states,
                                                           strict=True)}
        self.nodes = {n.symbol: n.symbol.name.replace("'", "") for n in adj.nodes}

    @staticmethod
    def plain(symbol):
        return symbol.name.replace("'", "")

    def block(self, index):
        """The columns of block ``index`` in a (..., kH) array, with H the hidden size."""
        k = self.cell.k
        if k == 1:
            return ""
        start = "" if index == 0 else ("H" if index == 1 else f"{index}*H")
        stop = "" if index == k - 1 else ("H" if index == 0 else f"{index + 1}*H")
        return f"{start}:{stop}"


def _tape_fields(cell, adj):
    """The values the forward pass keeps, as ``(symbol, field name)``: the new states, the
    previous states, and every other value a coefficient reads, in program order."""
    needed = set()
    for c in adj.coefficients:
        needed |= c.free_symbols
    for direct, through_w in adj.jacobian.values():
        needed |= direct.free_symbols
        for c in through_w.values():
            needed |= c.free_symbols
    fields = [(v, name) for v, name in zip(cell.new, cell.states, strict=True)]
    fields += [(v, f"{name}_prev") for v, name in zip(cell.previous, cell.states, strict=True)]
    taken = {v for v, _ in fields}
    for symbol in list(cell.a) + list(cell.b) + [t for t, _ in cell.program]:
        if symbol in needed and symbol not in taken:
            fields.append((symbol, _Names.plain(symbol)))
            taken.add(symbol)
    missing = needed - taken
    require(not missing, f"{cell.name}: coefficients read {missing}, which no step keeps")
    return fields


def _unpack_coefficients(code, mark, source="C"):
    """Insert, at line ``mark``, one line taking from ``source`` the coefficient arrays that
    the lines after it use (``c0``, ``cb03``, ...)."""
    import re

    used = []
    for line in code.lines[mark:]:
        for name in re.findall(r"\b(c\d+|cb\d+)\b", line.split("#")[0]):
            if name not in used:
                used.append(name)
    if used:
        indent = code.lines[mark][: len(code.lines[mark]) - len(code.lines[mark].lstrip())]
        used.sort(key=lambda n: (n.startswith("cb"), int(re.sub(r"\D", "", n))))
        left = ", ".join(used)
        right = ", ".join(f"{source}[{n!r}]" for n in used)
        code.lines.insert(mark, f"{indent}{left} = {right}" if len(used) > 1 else
                          f"{indent}{left} = {right}")


def _coefficient_names(adj):
    return {c: f"c{i}" for i, c in enumerate(adj.coefficients)}


def _jacobian_coefficients(adj):
    out = {}
    for direct, through_w in adj.jacobian.values():
        for c in [direct, *through_w.values()]:
            if c not in (sp.S.Zero, sp.S.One) and c not in out:
                out[c] = f"j{len(out)}"
    return out


def _print_coefficients(code, fields, exprs):
    """Assignments computing ``exprs`` ({expr: name}) over whole arrays, sharing common
    subexpressions."""
    names = {v: f"tape.{name}" for v, name in fields}
    printer = NumPyCodePrinter(names=names)
    items = list(exprs.items())
    replacements, reduced = sp.cse([e for e, _ in items], symbols=sp.numbered_symbols("x"),
                                   optimizations="basic")
    for temp, value in replacements:
        printer.names[temp] = temp.name
        code(f"{temp.name} = {printer.doprint(value)}")
    for (expr, name), value in zip(items, reduced, strict=True):
        code(f"# {name} = {expr}", f"{name} = {printer.doprint(value)}")


def _params_class(cell):
    fields = ["U", "V", "W"] + (["bU", "bW"] if cell.biases else [])
    return cell_params_name(cell), fields


def cell_params_name(cell):
    """The name of the cell's parameter tuple: ``Params`` for the plain RNN (the tutorial's
    network), ``GRUParams``, ``LSTMParams``, ``MGUParams`` ... for the others."""
    return "Params" if cell.name == "rnn" else f"{cell.name.upper()}Params"


def _act_unpack(code, cell, which):
    """The line taking ``f`` (``which = 0``) or ``fprime`` (``1``) out of ``act``."""
    if cell.uses_pluggable:
        code(("f, _ = act  # the activation (and its derivative in the output)",
              "_, fprime = act  # the activation's derivative, written in its output")[which])
    else:
        code("del act  # this cell's activations are fixed by its equations")


def _forward(code, cell, adj, fields):
    names = _Names(cell, adj)
    kept = dict(fields)
    code("", "", "def forward(p, x, act=None, initial=None):",
         f'    """Run the {cell.title or cell.name} over token ids x (N, T); return its '
         "Tape.", "",
         "    ``act`` is ``(f, f')`` when the cell's equations call the activation ``f``.",
         f"    ``initial`` is ({', '.join(f'{n}_(-1)' for n in cell.states)},), the states "
         "before step 0, each (N, H); None: zeros.",
         '    """')
    with code.indented():
        _act_unpack(code, cell, 0)
        proj = projection_gradients()
        code("N, T = x.shape", "H = p.W.shape[1]",
             f"A = input_projection(p.U, {'p.bU' if cell.biases else 'None'}, x)"
             "  # a_t = U x_t + b_U, every step")
        store = [(v, name) for v, name in fields if not name.endswith("_prev")]
        for _, name in store:
            code(f"{name}_all = np.empty((N, T, H), dtype=A.dtype)")
        code("if initial is None:")
        with code.indented():
            for name in cell.states:
                code(f"{name} = np.zeros((N, H), dtype=A.dtype)")
        code("else:")
        with code.indented():
            code(f"{', '.join(cell.states)}{',' if len(cell.states) == 1 else ''} = "
                 "(np.asarray(v, dtype=A.dtype) for v in initial)")
        code("WT = p.W.T")
        if cell.biases:
            code("bW = p.bW")
        code("for t in range(T):")
        with code.indented():
            h = cell.output_state
            h_sym = sp.MatrixSymbol(h, sym.H, 1)
            printer = NumPyCodePrinter(names={sym.W_cell: "W", sym.b_W: "bW"})
            b_expr = (proj.b_step if cell.biases else proj.b_step - sym.b_W).xreplace(
                {sym.s_prev: h_sym})
            code(f"# b_t = {b_expr}",
                 f"b = {printer.doprint(b_expr).replace('W.T', 'WT')}", "a = A[:, t]")
            values = {}
            for i, (a, b) in enumerate(zip(cell.a, cell.b, strict=True)):
                cols = names.block(i)
                values[a] = f"a[:, {cols}]" if cols else "a"
                values[b] = f"b[:, {cols}]" if cols else "b"
            values.update({v: name for v, name in zip(cell.previous, cell.states, strict=True)})
            step = NumPyCodePrinter(names=values)
            if cell.uses_pluggable:
                step.names[sp.Function(PLUGGABLE)] = "f"
            for symbol in list(cell.a) + list(cell.b):
                if symbol in kept:
                    code(f"{kept[symbol]}_all[:, t] = {values[symbol]}")
            program = list(cell.program)
            renames = []
            for line, (target, expr) in enumerate(program):
                text = step.doprint(expr)
                var = _Names.plain(target)
                if target in cell.new:
                    old = cell.previous[cell.new.index(target)]
                    later = any(old in e.free_symbols for _, e in program[line + 1:])
                    if later:  # the old state is still read: keep both until the step ends
                        renames.append((var, f"{var}_new"))
                        var = f"{var}_new"
                code(f"# {target} = {expr}")
                if target in kept:
                    code(f"{var} = {kept[target]}_all[:, t] = {text}")
                else:
                    code(f"{var} = {text}")
                step.names[target] = var
            for name, new_name in renames:
                code(f"{name} = {new_name}")
        for i, (v, name) in enumerate(zip(cell.previous, cell.states, strict=True)):
            if v in kept:
                code(f"{kept[v]}_all = previous_states({name}_all, "
                     f"None if initial is None else initial[{i}])")
        code("return Tape(" + ", ".join(f"{name}_all" for _, name in fields) + ")")


def _node_statements(adj, names, coeff, at, incoming):
    """The statements computing every node and the projection adjoints of one step (or of a
    slab of steps): ``coeff`` names the coefficient arrays, ``at`` indexes them in time
    (``"[:, t]"``, ``"[:, 1:n]"`` or ``""``) and ``incoming`` names the incoming adjoints."""
    values = {**incoming}
    lines = []

    def term_text(terms):
        parts = []
        for node, c in terms.items():
            factor = values[node]
            parts.append(factor if c == 1 else f"{coeff[c]}{at} * {factor}")
        return " + ".join(parts) if parts else None

    for node in adj.nodes:
        name = names.nodes[node.symbol]
        lines.append(f"# {node.symbol} = {' + '.join(f'{k}*{v}' for k, v in node.terms.items())}")
        lines.append(f"{name} = {term_text(node.terms)}")
        values[node.symbol] = name
    return lines, values, term_text


def _arrived_nodes(code, cell, adj, names, coeff, at, arrived):
    """Statements naming the adjoints that arrive at the states of a step or slab (the
    array ``arrived.format(state=name)`` for each state) and computing its nodes; returns
    ``values`` and ``term_text`` of :func:`_node_statements`."""
    incoming = {}
    for d, name in zip(adj.incoming, cell.states, strict=True):
        code(f"{names.incoming[d]} = {arrived.format(state=name)}")
        incoming[d] = names.incoming[d]
    lines, values, term_text = _node_statements(adj, names, coeff, at, incoming)
    code(*lines)
    return values, term_text


def _block_groups(adj, which):
    """Consecutive blocks whose adjoint is ``coefficient * the same node``: one product each
    group.  Returns ``[(first, stop, node, [coefficients])]``; a block with no adjoint is
    ``(k, k + 1, None, [])``."""
    groups = []
    for k, terms in enumerate(which):
        if len(terms) != 1:
            groups.append((k, k + 1, None, list(terms.items())))
            continue
        ((node, c),) = terms.items()
        if groups and groups[-1][2] == node and groups[-1][1] == k:
            first, _, _, cs = groups[-1]
            groups[-1] = (first, k + 1, node, cs + [c])
        else:
            groups.append((k, k + 1, node, [c]))
    return groups


def _stacks(adj, which, coeff):
    """``{group: name}`` of the stacked coefficient arrays the block groups of ``which`` need."""
    out = {}
    for first, stop, node, _ in _block_groups(adj, which):
        if node is not None and stop - first > 1:
            out[(first, stop)] = ("cb" if which is adj.grad_b else "ca") + f"{first}{stop}"
    return out


def _single_block(adj, coeff, at, values):
    """For a cell with one block whose adjoint is one term: that term's text, else None."""
    if len(adj.grad_b) != 1 or len(adj.grad_b[0]) != 1:
        return None
    ((node, c),) = adj.grad_b[0].items()
    return values[node] if c == 1 else f"{coeff[c]}{at} * {values[node]}"


def _write_blocks(code, cell, adj, which, coeff, at, values, target, stacks):
    """Statements writing the block adjoints ``which`` of one step or slab into ``target``
    (an array (..., k, H), or (..., H) when k = 1)."""
    k = cell.k
    for first, stop, node, cs in _block_groups(adj, which):
        if node is None:
            if not cs:
                code(f"{target}[..., {first}, :] = 0" if k > 1 else f"{target}[...] = 0")
                continue
            text = " + ".join(values[n] if c == 1 else f"{coeff[c]}{at} * {values[n]}"
                              for n, c in cs)
            code(f"{target}[..., {first}, :] = {text}" if k > 1 else f"{target}[...] = {text}")
            continue
        if k == 1:
            (c,) = cs
            text = values[node] if c == 1 else f"{coeff[c]}{at} * {values[node]}"
            code(f"{target}[...] = {text}")
        elif stop - first == 1:
            (c,) = cs
            text = values[node] if c == 1 else f"{coeff[c]}{at} * {values[node]}"
            code(f"{target}[..., {first}, :] = {text}")
        else:
            code(f"{target}[..., {first}:{stop}, :] = {stacks[(first, stop)]}{at} * "
                 f"{values[node]}[..., None, :]")


def _block_adjoints(code, cell, adj, coeff, at, values, stacks, target, allocate,
                    single_target=None):
    """Statements computing the block adjoints d_b of one step or slab into ``target``: for a
    cell with one block of one term, one assignment (to ``single_target``, by default
    ``target``); else ``allocate`` (a statement creating ``target``, or naming a view of a
    larger array) and the blocks written into it."""
    single = _single_block(adj, coeff, at, values)
    if single:
        code(f"{single_target or target} = {single}")
    else:
        code(allocate)
        _write_blocks(code, cell, adj, adj.grad_b, coeff, at, values, target, stacks)


def _exact_sweep(code, cell, adj, names, coeff, stacks, keep_inc, start, keep=False):
    """The exact backward sweep, t = T-1 down to 0, into ``dB`` (N, T, k, H): ``start(i)``
    is the text of the adjoint arriving at state i after the last step; with ``keep_inc``
    the adjoints arriving at every step are kept in ``inc_<state>``; with ``keep`` the
    adjoint each step sends back is multiplied by ``keep[:, t]``.  The sweep leaves in
    ``next_<state>`` the adjoints sent back to the states before step 0."""
    k = cell.k
    code(f"dB = np.empty((N, T, {k}, H), dtype=G.dtype)" if k > 1 else
         "dB = np.empty_like(G)")
    for i, name in enumerate(cell.states):
        code(f"next_{name} = {start(i)}")
        if keep_inc:
            code(f"inc_{name} = np.empty_like(G)")
    code("for t in range(T - 1, -1, -1):")
    with code.indented():
        incoming = {}
        for i, (d, name) in enumerate(zip(adj.incoming, cell.states, strict=True)):
            var = names.incoming[d]
            code(f"{var} = G[:, t] + next_{name}" if i == 0 else f"{var} = next_{name}")
            if keep_inc:
                code(f"inc_{name}[:, t] = {var}")
            incoming[d] = var
        lines, values, term_text = _node_statements(adj, names, coeff, "[:, t]", incoming)
        code(*lines)
        _block_adjoints(code, cell, adj, coeff, "[:, t]", values, stacks, "db",
                        "db = dB[:, t]", single_target="db = dB[:, t]")
        for j, name in enumerate(cell.states):
            direct = term_text(adj.grad_prev[j])
            if name == cell.output_state:
                back = "db.reshape(N, -1) @ W" if k > 1 else "db @ W"
                code(f"# next_{name} = d_b @ W  (W.T*d_b as a row)"
                     + (f" + {direct}" if direct else ""))
                code(f"next_{name} = {back}" + (f" + {direct}" if direct else ""))
            else:
                code(f"next_{name} = {direct or 'np.zeros_like(G[:, 0])'}")
        if keep:
            code("if keep is not None:  # the link between step t-1 and step t")
            with code.indented():
                for name in cell.states:
                    code(f"next_{name} = keep[:, t, None] * next_{name}")


def _input_adjoints(code, cell, adj, names, coeff, same_a, incoming):
    """Statements computing ``dA`` (N, T, k, H; or (N, T, H) when k = 1) from ``dB`` and the
    adjoints that arrived at every step (``incoming``: {adjoint symbol: array name}), for a
    cell in which some block's input adjoint differs from its recurrent one."""
    k = cell.k
    code("# blocks whose input adjoint differs from the recurrent one: from the "
         "adjoints that arrived")
    lines, values, _ = _node_statements(adj, names, coeff, "", incoming)
    code(*lines)
    code(f"dA = dB.copy().reshape(N, T, {k}, H)" if k > 1 else "dA = dB.copy()")
    for i, (terms, same) in enumerate(zip(adj.grad_a, same_a, strict=True)):
        if same:
            continue
        text = " + ".join(values[n] if c == 1 else f"{coeff[c]} * {values[n]}"
                          for n, c in terms.items()) or "0"
        code(f"dA[..., {i}, :] = {text}" if k > 1 else f"dA[...] = {text}")


def _backward(code, cell, adj, fields):
    names = _Names(cell, adj)
    coeff = _coefficient_names(adj)
    k = cell.k
    same_a = [ta == tb for ta, tb in zip(adj.grad_a, adj.grad_b, strict=True)]
    b_stacks = _stacks(adj, adj.grad_b, coeff)

    # -- the coefficients, all steps at once
    code("", "", "def coefficients(tape, act=None):",
         '    """The factors of the backward step that depend on the forward values only,',
         "    for every step at once: each (N, T, H), stacked (N, T, blocks, H) where a group",
         "    of blocks shares one adjoint.",
         '    """')
    with code.indented():
        _act_unpack(code, cell, 1)
        _print_coefficients(code, fields, coeff)
        for (first, stop), name in b_stacks.items():
            parts = [coeff[next(iter(adj.grad_b[i].values()))] for i in range(first, stop)]
            code(f"{name} = np.stack(({', '.join(parts)},), axis=-2)")
        outs = list(coeff.values()) + list(b_stacks.values())
        code(f"return {{{', '.join(f'{n!r}: {n}' for n in outs)}}}")

    # -- the backward pass
    code("", "", "def backward(p, tape, G, truncate=None, act=None):",
         '    """The adjoints dA, dB (N, T, kH) of the two projections at every step.', "",
         "    ``G`` holds g_t = V^T (yhat_t - y_t), the output layer's push on the first state",
         "    (N, T, H).  ``truncate=None`` is exact BPTT; ``truncate=K`` carries the error of",
         "    output t back through steps t, t-1, ..., t-K only (the tutorial's window).",
         '    """')
    with code.indented():
        code("C = coefficients(tape, act)", "N, T, H = G.shape", "W = p.W")
        mark = len(code.lines)
        code("if truncate is None or truncate >= T - 1:")
        with code.indented():
            code("dB, inc = _exact(W, G, C)")
        code("else:")
        with code.indented():
            code("dB, inc = _window(W, G, truncate, C)")
        if all(same_a):
            code("return dB, dB  # dA = dB: every block's two adjoints are equal")
        else:
            _input_adjoints(code, cell, adj, names, coeff, same_a,
                            {d: f"inc[{i}]" for i, d in enumerate(adj.incoming)})
            code("return dA.reshape(N, T, -1), dB")
        _unpack_coefficients(code, mark)

    # -- the exact sweep
    code("", "", "def _exact(W, G, C):",
         '    """Exact BPTT: one sweep from t = T-1 down to 0; returns dB and the incoming',
         "    adjoints of every step (for the blocks computed afterwards).",
         '    """')
    with code.indented():
        code("N, T, H = G.shape")
        mark = len(code.lines)
        keep_inc = not all(same_a)
        _exact_sweep(code, cell, adj, names, coeff, b_stacks, keep_inc,
                     lambda i: "np.zeros_like(G[:, 0])")
        inc = ", ".join(f"inc_{n}" for n in cell.states) if keep_inc else ""
        code(f"return dB.reshape(N, T, -1), ({inc}{',' if keep_inc else ''})")
        _unpack_coefficients(code, mark)

    # -- the tutorial's window
    code("", "", "def _window(W, G, K, C):",
         '    """BPTT truncated at K: output t\'s error reaches steps t ... max(0, t-K).', "",
         "    At lag j, row k of ``inc_*`` holds the adjoint that output k+j sends to step k.",
         "    Every output moves back at once, one product with W per lag; the adjoints are",
         "    linear in what arrives, so the lags add up first and the blocks follow once.",
         '    """')
    with code.indented():
        code("N, T, H = G.shape")
        mark = len(code.lines)
        for i, name in enumerate(cell.states):
            code(f"inc_{name} = G" if i == 0 else f"inc_{name} = np.zeros_like(G)")
            code(f"total_{name} = inc_{name}.copy()")
        code("for j in range(1, min(K, T - 1) + 1):")
        with code.indented():
            code("n = T - j + 1  # rows 0 ... n-1 of the previous lag are filled")
            values, term_text = _arrived_nodes(code, cell, adj, names, coeff, "[:, 1:n]",
                                               "inc_{state}[:, 1:n]")
            _block_adjoints(code, cell, adj, coeff, "[:, 1:n]", values, b_stacks, "db",
                            f"db = np.empty((N, n - 1, {k}, H), dtype=G.dtype)")
            h = cell.output_state
            for j, name in enumerate(cell.states):
                direct = term_text(adj.grad_prev[j])
                if name == h:
                    back = "db.reshape(N, n - 1, -1) @ W" if k > 1 else "db @ W"
                    code(f"inc_{name} = {back}" + (f" + {direct}" if direct else ""))
                else:
                    code(f"inc_{name} = {direct or 'np.zeros_like(G[:, 1:n])'}")
                code(f"total_{name}[:, : n - 1] += inc_{name}")
        values, _ = _arrived_nodes(code, cell, adj, names, coeff, "", "total_{state}")
        _block_adjoints(code, cell, adj, coeff, "", values, b_stacks, "dB",
                        f"dB = np.empty((N, T, {k}, H), dtype=G.dtype)")
        totals = ", ".join(f"total_{n}" for n in cell.states)
        code(f"return dB.reshape(N, T, -1), ({totals},)")
        _unpack_coefficients(code, mark)


def _jacobians(code, cell, adj, fields):
    jc = _jacobian_coefficients(adj)
    S, k = len(cell.states), cell.k
    code("", "", "def jacobian_parts(p, tape, act=None):",
         '    """The step Jacobian d(state_t)/d(state_(t-1)) = P + Q W, unit by unit.', "",
         f"    The state is [{'; '.join(cell.states)}] (S = {S} vector{'s' if S > 1 else ''} "
         "of H).  ``P`` (N, T, S, S, H) holds the",
         "    diagonals of the direct paths: block (i, j) is diag(P[..., i, j, :]).",
         f"    ``Q`` (N, T, S, k, H), k = {k}, holds the diagonals of the paths through W:",
         "    block row i of Q W is sum_k diag(Q[..., i, k, :]) W_k, where W_k is row block k",
         f"    of W, and it acts on the first state, {cell.states[0]}_(t-1).",
         '    """')
    with code.indented():
        _act_unpack(code, cell, 1)
        _print_coefficients(code, fields, jc)
        first = f"tape.{cell.states[0]}"
        code(f"P = np.zeros({first}.shape[:-1] + ({S}, {S}) + {first}.shape[-1:], "
             f"dtype={first}.dtype)",
             f"Q = np.zeros({first}.shape[:-1] + ({S}, {k}) + {first}.shape[-1:], "
             f"dtype={first}.dtype)")
        for (i, j), (direct, through_w) in adj.jacobian.items():
            label = f"d {cell.new[i]} / d {cell.previous[j]}"
            if direct != 0:
                code(f"# {label}, direct: diag({direct})",
                     f"P[..., {i}, {j}, :] = {'1' if direct == 1 else jc[direct]}")
            for blk, c in through_w.items():
                w = f"W_{cell.blocks[blk]}" if cell.blocks[blk] else "W"
                code(f"# {label}, through {w}: diag({c})",
                     f"Q[..., {i}, {blk}, :] = {'1' if c == 1 else jc[c]}")
        code("return P, Q")
    code("", "", "def step_jacobians(p, tape, act=None):",
         '    """d(state_t)/d(state_(t-1)) = P + Q W for every step, as matrices',
         "    (N, T, S*H, S*H) whose rows index the new state (see ``jacobian_parts``).",
         '    """')
    with code.indented():
        code("P, Q = jacobian_parts(p, tape, act)",
             "S, k, H = Q.shape[-3:]",
             "W = p.W.reshape(k, H, H)  # the row blocks W_k",
             "J = np.zeros(P.shape[:-3] + (S * H, S * H), dtype=P.dtype)",
             "units = np.arange(H)",
             "for i in range(S):",
             "    rows = slice(i * H, (i + 1) * H)",
             "    J[..., rows, :H] = np.einsum(\"...ku,kuv->...uv\", Q[..., i, :, :], W)",
             "    for j in range(S):",
             "        J[..., i * H + units, j * H + units] += P[..., i, j, :]",
             "return J")


def cell_source(cell):
    """The text of the generated module of ``cell`` (a :class:`~.cell.Cell`)."""
    adj = derive_adjoint(cell)
    fields = _tape_fields(cell, adj)
    code = Code()
    lines = "\n".join(f"    {line}" for line in cell.equations)
    code(_header(f"The {cell.title or cell.name} (cell ``{cell.name}``)",
                 f"Its equations (bptt_book.derivation.cells), per hidden unit, with a = U x_t + "
                 f"b_U and\nb = W {cell.output_state}_(t-1) + b_W cut into the blocks "
                 f"{', '.join(repr(b) for b in cell.blocks)}:\n\n{lines}"))
    code("from typing import NamedTuple", "", "import numpy as np", "",
         "from .layers import input_projection, previous_states", "")
    pname, pfields = _params_class(cell)
    code(f"NAME = {cell.name!r}", f"STATES = {tuple(cell.states)!r}",
         f"BLOCKS = {tuple(cell.blocks)!r}", f"BIASES = {cell.biases!r}",
         "#: True when the equations call the activation f, chosen when the cell runs",
         f"PLUGGABLE = {cell.uses_pluggable!r}")
    code("", "", f"class {pname}(NamedTuple):",
         f'    """The weights of the {cell.title or cell.name}, or gradients of the same '
         "shapes.", "",
         f"    U ({cell.k}H, D), W ({cell.k}H, H)"
         + (f", bU and bW ({cell.k}H,)" if cell.biases else "")
         + f": row blocks {', '.join(repr(b) for b in cell.blocks)};"
         " V (D, H) is the output layer.",
         '    """', "")
    for f in pfields:
        code(f"    {f}: np.ndarray")
    code("", "", f"PARAMS = {pname}  # the parameter tuple of this cell")
    code("", "", "class Tape(NamedTuple):",
         '    """What the forward pass keeps for the backward pass, each (N, T, H)."""', "")
    for v, name in fields:
        code(f"    {name}: np.ndarray  # {v}")
    _forward(code, cell, adj, fields)
    _backward(code, cell, adj, fields)
    _jacobians(code, cell, adj, fields)
    from .generate_rtrl import rtrl_source  # these two import the helpers of this module
    from .generate_sweep import sweep_source

    sweep_source(code, cell, adj)
    rtrl_source(code, cell, fields)
    return code.text()


def package_init_source(cells):
    names = ", ".join(c.name for c in cells)
    code = Code()
    code(_header("The generated code", "One module per cell "
                 f"({names}), the activations, and the layers they share."))
    modules = ", ".join(sorted(["activations", "layers", *(c.name for c in cells)]))
    code(f"from . import {modules}  # noqa: F401", "",
         "#: name -> the module of every built-in cell",
         "CELLS = {" + ", ".join(f"{c.name!r}: {c.name}" for c in cells) + "}")
    return code.text()


@functools.cache
def sources():
    """``{file name: text}`` of every file of :mod:`bptt_book.generated`, as derived today."""
    out = {
        "__init__.py": package_init_source(BUILT_IN.values()),
        "activations.py": activations_source(),
        "layers.py": layers_source(),
    }
    for cell in BUILT_IN.values():
        out[f"{cell.name}.py"] = cell_source(cell)
    from .numba_target import sources as compiled_sources  # the compiled target's modules

    out.update(compiled_sources())
    return out


def write(directory=None):
    """Write every generated file into ``directory`` (default: the package's
    ``bptt_book/generated``); return their paths."""
    directory = Path(directory) if directory is not None else PACKAGE
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in sources().items():
        (directory / name).write_text(text, encoding="utf-8")
        paths.append(directory / name)
    return paths


def differences(directory=None):
    """The generated files in ``directory`` that differ from what the derivation prints today
    (or are missing)."""
    directory = Path(directory) if directory is not None else PACKAGE
    return [directory / name for name, text in sources().items()
            if not (directory / name).exists()
            or (directory / name).read_text(encoding="utf-8") != text]


def check(directory=None):
    """True when every generated file is exactly what :func:`sources` prints."""
    return not differences(directory)


def compile_cell(cell):
    """Derive, check and print ``cell`` and import the printed module without writing a file.

    The module is registered as ``bptt_book.generated.<name>`` for the session, so the
    package's functions (``bb.init_params(..., cell=...)``, ``bb.bptt``) accept its
    parameters.  Returns the module.  SymPy runs here; the built-in cells never need this.
    """
    if not isinstance(cell, Cell):
        raise TypeError(f"cell must be a bptt_book.derivation.cell.Cell; got "
                        f"{type(cell).__name__}")
    if cell.name in BUILT_IN and BUILT_IN[cell.name] != cell:
        raise ValueError(f"the name {cell.name!r} belongs to a built-in cell; choose another")
    name = f"bptt_book.generated.{cell.name}"
    module = types.ModuleType(name)
    module.__file__ = f"<generated {cell.name}>"
    source = cell_source(cell)
    spec = importlib.util.spec_from_loader(name, loader=None)
    module.__spec__ = spec
    module.__source__ = source
    sys.modules[name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102
    from .. import cells as runtime

    runtime.register(module)
    return module

