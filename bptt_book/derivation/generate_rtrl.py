"""Print real-time recurrent learning: ``rtrl_coefficients`` and ``rtrl`` of every cell.

The printed lines come from :func:`bptt_book.derivation.rtrl.derive`: the partial derivatives
of each new state (the coefficients, printed over whole arrays as the backward pass's are),
the projections' tangents ``bdot = W hdot + Wdot h + b_Wdot`` and ``adot = Udot x + b_Udot``,
and each state's tangent as the sum the derivation found.  What the generator adds is the
bookkeeping of *every direction at once*: a sensitivity ``M`` (N, H, P) holds one tangent
per entry of U, W (and b_U, b_W), and the direct terms ``Wdot h``, ``b_Wdot``, ``Udot x`` put
``h_c``, 1 and 1 into the column of the entry they move (the unit-vector rule checked by
``rtrl._check_directions``).
"""

import sympy as sp

from . import rtrl
from .adjoint import derive as derive_adjoint
from .checks import check
from .generate import _Names, _print_coefficients
from .printer import NumPyCodePrinter


def _names(cell):
    """The code names of the sensitivities of each state: ``M_h``, ``M_c``."""
    return [f"M_{name}" for name in cell.states]


def rtrl_source(code, cell, fields):
    """Append ``rtrl_coefficients`` and ``rtrl`` of ``cell`` to ``code``."""
    tan = rtrl.derive(cell)
    coeff = {c: f"r{i}" for i, c in enumerate(tan.coefficients)}
    kept = {v for v, _ in fields}
    needed = set().union(*(c.free_symbols for c in coeff)) if coeff else set()
    check(needed <= kept, f"{cell.name}: RTRL coefficients read {needed - kept}, not kept")
    code("", "", "def rtrl_coefficients(tape, act=None):",
         '    """The partial derivatives of each new state with respect to the inputs of its step',
         "    (previous states, blocks of a_t and of b_t), for every step at once: each (N, T, H).",
         '    """')
    with code.indented():
        if cell.uses_pluggable:
            code("_, fprime = act  # the activation's derivative, written in its output")
        else:
            code("del act  # this cell's activations are fixed by its equations")
        _print_coefficients(code, fields, coeff)
        code(f"return {{{', '.join(f'{n!r}: {n}' for n in coeff.values())}}}")

    blocks = _Names(cell, derive_adjoint(cell))
    k = cell.k
    M = _names(cell)
    h = cell.output_state
    biases = cell.biases
    params = "U, W, b_U, b_W" if biases else "U, W"
    code("", "", "def rtrl(p, x, output, act=None):",
         f'    """Real-time recurrent learning: the gradients of {params}, carried forwards.', "",
         f"    Runs the cell over x (N, T) one step at a time, carrying for each state "
         f"({', '.join(cell.states)})",
         "    its sensitivity M (N, H, P): d state / d theta for the P entries theta of "
         f"{params}",
         "    (each flattened row by row, in that order).  After step t it calls "
         f"``output(t, {h})`` with",
         f"    the new state {h} (N, H), which returns g_t = V^T (yhat_t - y_t) (N, H), and adds",
         "    g_t M to the gradient.  Nothing of an earlier step is kept: memory does not grow",
         "    with T.",
         '    """')
    with code.indented():
        code("N, T = x.shape", "kH, D = p.U.shape", "H = p.W.shape[1]", "dtype = p.W.dtype",
             "# the columns of a sensitivity: the entries of "
             f"{params}, each row by row",
             "U0, W0 = 0, kH * D")
        if biases:
            code("bU0, bW0 = W0 + kH * H, W0 + kH * H + kH", "P = bW0 + kH")
        else:
            code("P = W0 + kH * H")
        code("rows, units = np.arange(kH), np.arange(H)",
             "sequences = np.arange(N)[:, None]",
             "W_columns = W0 + rows[:, None] * H + units  # (kH, H): the column of W[r, c]")
        for name in M:
            code(f"{name} = np.zeros((N, H, P), dtype=dtype)")
        code("Ad = np.zeros((N, kH, P), dtype=dtype)  # adot along every direction")
        if biases:
            code("Ad[:, rows, bU0 + rows] = 1  # along b_U[r]: e_r")
        code("grad = np.zeros(P, dtype=dtype)", "state = None", "for t in range(T):")
        with code.indented():
            code("tape = forward(p, x[:, t : t + 1], act, state)",
                 "state = (" + ", ".join(f"tape.{n}[:, 0]" for n in cell.states) + ",)",
                 "C = rtrl_coefficients(tape, act)")
            for name in coeff.values():
                code(f"{name} = C[{name!r}][:, 0, :, None]")
            code(f"{h}_prev = tape.{h}_prev[:, 0]")
            b_dot, a_dot = tan.b_dot, tan.a_dot
            if not biases:
                b_dot, a_dot = b_dot - rtrl.b_Wdot, a_dot - rtrl.b_Udot
            code(f"# bdot = {b_dot}  (along every direction at once)")
            code(f"Bd = p.W @ {M[0]}  # W*hdot")
            code(f"Bd[:, rows[:, None], W_columns] += {h}_prev[:, None, :]  # Wdot*{h}_prev: "
                 f"along W[r, c], {h}_c in row r")
            if biases:
                code("Bd[:, rows, bW0 + rows] += 1  # b_Wdot: along b_W[r], e_r")
            code(f"# adot = {a_dot}: along U[r, x_t], e_r")
            code("U_columns = U0 + rows * D + x[:, t, None]  # (N, kH)",
                 "Ad[sequences, rows, U_columns] = 1")
            printer_names = {}
            for dot, name in zip(tan.dot_prev, M, strict=True):
                printer_names[dot] = name
            for block in range(k):
                cols = blocks.block(block)
                a_name = f"ad_{cell.blocks[block]}" if cell.blocks[block] else "ad"
                b_name = f"bd_{cell.blocks[block]}" if cell.blocks[block] else "bd"
                printer_names[tan.dot_a[block]] = a_name
                printer_names[tan.dot_b[block]] = b_name
                if cols:
                    code(f"{a_name}, {b_name} = Ad[:, {cols}], Bd[:, {cols}]")
                else:
                    code(f"{a_name}, {b_name} = Ad, Bd")
            placeholders = {c: sp.Symbol(n, real=True) for c, n in coeff.items()}
            placeholders[sp.S.One] = sp.S.One
            printer = NumPyCodePrinter(names=printer_names)
            new = []
            for i, (line, name) in enumerate(zip(tan.lines, M, strict=True)):
                short = _in_placeholders(tan, i, placeholders)
                back = short.xreplace({v: c for c, v in placeholders.items()})
                check(sp.expand(back - line) == 0, f"{cell.name}: {short} is not {line}")
                short = sp.collect(short, list(placeholders.values()))
                code(f"# {tan.dot_new[i]} = {line}")
                code(f"{name}_new = {printer.doprint(short)}")
                new.append(f"{name}_new")
            code(f"{', '.join(M)} = {', '.join(new)}")
            code("Ad[sequences, rows, U_columns] = 0")
            code("g = output(t, state[0])  # g_t = V^T (yhat_t - y_t)",
                 f"grad += np.tensordot(g, {M[0]}, 2)  # g_t^T d{h}_t/dtheta")
        out = ["grad[U0:W0].reshape(kH, D)", "grad[W0 : W0 + kH * H].reshape(kH, H)"]
        if biases:
            out += ["grad[bU0:bW0]", "grad[bW0:]"]
        code(f"return {', '.join(out)}")


def _in_placeholders(tan, i, placeholders):
    """The tangent of new state ``i`` as ``sum(placeholder * input's tangent)``, the
    placeholders standing for the coefficient arrays of the generated code."""
    terms = [placeholders[c] * tan.dot_prev[j] for (row, j), c in tan.direct.items() if row == i]
    terms += [placeholders[c] * tan.dot_b[k] for (row, k), c in tan.through_b.items()
              if row == i]
    terms += [placeholders[c] * tan.dot_a[k] for (row, k), c in tan.through_a.items()
              if row == i]
    return sp.Add(*terms)
