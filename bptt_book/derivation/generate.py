"""Write :mod:`bptt_book.generated` from the derivation.

The module text is a fixed skeleton (function signatures, loops, reshapes) with every
right-hand side printed from a derived SymPy expression by
:class:`~bptt_book.derivation.printer.NumPyCodePrinter`.  Each printed line carries the
SymPy expression it came from in a comment, so the book, the derivation and the code can be
compared line by line.

``python -m bptt_book generate`` writes the file; ``--check`` compares instead.
"""

import textwrap
from pathlib import Path

import sympy as sp
from sympy.codegen.ast import AddAugmentedAssignment, Assignment

from . import symbols as sym
from .onestep import check as require
from .onestep import step_jacobians
from .printer import NumPyCodePrinter
from .recurrence import derive

TARGET = Path(__file__).resolve().parent.parent / "generated.py"
COMMAND = "python -m bptt_book generate"

HEADER = f'''\
"""BPTT for the book's recurrent network: GENERATED CODE, do not edit by hand.

Written by ``{COMMAND}`` from the SymPy derivation in
:mod:`bptt_book.derivation` (activations and one-step gradients: ``onestep.py``; the
delta recurrence: ``recurrence.py``), printed by ``derivation/printer.py`` into the
skeleton in ``derivation/generate.py``.  ``{COMMAND} --check`` fails when
this file differs from what the derivation prints today.

Every right-hand side is printed from a SymPy expression, quoted in the comment above it.
Arrays are time-stacked and batched: token ids ``x`` are (B, T) and states ``S`` are
(B, T, H).  A column vector of the derivation is a row here, so ``W.T*delta`` is printed as
``delta @ W``.  This module imports NumPy only.
"""

import numpy as np
'''


def _line(printer, lhs, rhs, *, augmented=False, indent=4):
    """Printed statements for ``lhs = rhs`` preceded by the SymPy source as a comment."""
    node = (AddAugmentedAssignment if augmented else Assignment)(lhs, rhs)
    code = printer.doprint(node)
    pad = " " * indent
    return f"{pad}# {node.lhs} {'+=' if augmented else '='} {rhs}\n" + textwrap.indent(code, pad)


def _activation_functions(derivation):
    printer = NumPyCodePrinter()
    parts, table = [], []
    for name, act in derivation.activations.items():
        parts.append(
            f'''

def f_{name}(z):
    """{name}: f(z) = {act.f}."""
    # {act.f_numeric}
    return {printer.doprint(act.f_numeric)}


def fprime_{name}(s):
    """{name}: f'(z) written in the output s = f(z).

    SymPy differentiates f to {act.fprime_z}.
    """
    # {act.fprime_s}
    return {printer.doprint(act.fprime_s)}
'''
        )
        table.append(f'    "{name}": (f_{name}, fprime_{name}),')
    parts.append(
        "\n\n#: name -> (f, f' written in the output)\nACTIVATIONS = {\n"
        + "\n".join(table)
        + "\n}\n"
    )
    return "".join(parts)


def _hidden_states(derivation):
    ux_t = sp.MatrixSymbol("UX_t", sym.H, 1)
    step = sym.pre_activation()
    printer = NumPyCodePrinter(names={ux_t: "UX[:, t]"}, onehot={sym.X: "x"})
    UX = sp.MatrixSymbol("UX", sym.N, sym.H)
    return f'''

def hidden_states(U, W, x, f):
    """States s_t = f(U x_t + W s_(t-1)), t = 0 ... T-1, with s_(-1) = 0: (B, T, H)."""
    B, T = x.shape
{_line(printer, UX, derivation.gradients.Z_input)}
    S = np.empty_like(UX)
    s_prev = np.zeros_like(UX[:, 0])
    for t in range(T):
        # f({step})
        s_prev = S[:, t] = f({printer.doprint(step.xreplace({sym.U * sym.x_t: ux_t}))})
    return S
'''


def column_major(product):
    """``A.T*B`` rewritten as the unevaluated ``(B.T*A).T``, checked equal.

    For dV = Do.T*S (Do is T x D, tall and thin after transposing) OpenBLAS is about a third
    faster computing the (H, D) product S.T @ Do; its transpose is the (D, H) result, stored
    column-major.
    """
    (a_t, b) = product.args
    require(isinstance(a_t, sp.Transpose), f"not of the form A.T*B: {product}")
    rewritten = sp.Transpose(sp.MatMul(b.T, a_t.arg))  # Transpose does not evaluate itself
    require(rewritten.doit() == product, f"{rewritten} != {product}")
    return rewritten


def _output_layer(derivation):
    printer = NumPyCodePrinter(onehot={sym.Y: "y"})
    dV = sp.MatrixSymbol("dV", sym.D, sym.H)
    g = derivation.gradients
    dV_expr = column_major(g.dV)
    return f'''

def output_layer(V, S, P, y, dV=None):
    """Rows g_t of V^T (yhat_t - y_t) for rows S of states, P of softmax outputs and
    labels y, with dV (added to ``dV`` when one is given).  P is overwritten.
    """
{_line(printer, sym.Do, g.Do)}
    if dV is None:
{_line(printer, dV, dV_expr, indent=8)}
    else:
{_line(printer, dV, dV_expr, augmented=True, indent=8)}
{_line(printer, sym.G, g.G)}
    return dV, G
'''


def _delta_exact(derivation):
    printer = NumPyCodePrinter(
        names={sym.fprime_t: "F[:, t]", sym.g_t: "G[:, t]", sym.delta_next: "delta_next"}
    )
    r = derivation.recurrence
    return f'''

def delta_exact(W, F, G):
    """All delta_t = dE/dz_t, from t = T-1 down to 0 with delta_T = 0: (B, T, H).

    F holds f'(z_t) and G the rows g_t, both (B, T, H).
    """
    T = G.shape[1]
    Delta = np.empty_like(G)
    delta_next = np.zeros_like(G[:, 0])
    for t in range(T - 1, -1, -1):
        # delta_t = {r.delta}
        delta_next = Delta[:, t] = {printer.doprint(r.delta)}
    return Delta
'''


def _weights(name, shape):
    return sp.MatrixSymbol(name, *shape)


def _recurrent_gradients(derivation):
    printer = NumPyCodePrinter(onehot={sym.X: "x"})
    g = derivation.gradients
    dU, dW = _weights("dU", (sym.H, sym.D)), _weights("dW", (sym.H, sym.H))
    return f'''

def previous_states(S):
    """s_(t-1) for every t, with s_(-1) = 0: (B, T, H)."""
    S_prev = np.zeros_like(S)
    S_prev[:, 1:] = S[:, :-1]
    return S_prev


def recurrent_gradients(U, x, S, Delta):
    """dU and dW from all the deltas (B, T, H)."""
    H, D = U.shape
    S_prev = previous_states(S).reshape(-1, H)
    Delta = Delta.reshape(-1, H)
    x = x.reshape(-1)
{_line(printer, dW, g.dW)}
{_line(printer, dU, g.dU)}
    return dU, dW
'''


def _truncated(derivation):
    step = NumPyCodePrinter(
        names={sym.fprime_t: "F[:, :n - 1]", sym.delta_next: "delta_lag[:, 1:]"}
    )
    own = NumPyCodePrinter(names={sym.fprime_t: "F", sym.g_t: "G"})
    r = derivation.recurrence
    return f'''

def delta_truncated(W, F, G, K):
    """The deltas of BPTT truncated at K: output t's error reaches steps t ... max(0, t-K).

    At lag j, row k of ``delta_lag`` holds delta_k^(k+j): the error of output k+j after
    travelling back j steps.  Every output moves back at once, one product with W per lag,
    and the lags add up row by row into the deltas of the steps they reached.
    """
    T = G.shape[1]
    # delta_t^(t) = {r.delta_own}
    delta_lag = {own.doprint(r.delta_own)}
    Delta = delta_lag.copy()
    for j in range(1, min(K, T - 1) + 1):
        n = T - j + 1
        # delta_(k-1)^(t) = {r.delta_back}
        delta_lag = {step.doprint(r.delta_back)}
        Delta[:, : n - 1] += delta_lag
    return Delta
'''


def _gamma_table():
    from .bounds import activation_bound

    printer = NumPyCodePrinter()
    rows = "\n".join(
        f'    "{name}": {printer.doprint(activation_bound(name).gamma)},'
        for name in sym.ACTIVATIONS
    )
    return f'''

#: gamma = max f' of each activation, from :mod:`bptt_book.derivation.bounds`: the factor in
#: the bound ||ds_t/ds_k|| <= (gamma sigma_max(W)) ** (t - k).
GAMMA = {{
{rows}
}}
'''


def _step_jacobians(derivation):
    printer = NumPyCodePrinter(names={sym.fprime_t: "F"})
    book_layout = sp.Transpose(step_jacobians().ds_dsprev).doit()
    require(book_layout == sp.DiagMatrix(sym.fprime_t) * sym.W, f"ds_t/ds_(t-1) = {book_layout}")
    J = sp.MatrixSymbol("J", sym.H, sym.H)
    return f'''

def step_jacobians(W, F):
    """ds_t/ds_(t-1) for every step, rows indexing s_t: (..., H, H) from F = f'(z_t) (..., H).

    SymPy's denominator layout gives the transpose, W.T*diag(f'); this is the book's layout.
    """
{_line(printer, J, book_layout)}
    return J
'''


def module_source():
    """The full text of :mod:`bptt_book.generated` as the derivation prints it today."""
    derivation = derive()
    return (
        HEADER
        + _activation_functions(derivation)
        + _hidden_states(derivation)
        + _output_layer(derivation)
        + _delta_exact(derivation)
        + _recurrent_gradients(derivation)
        + _truncated(derivation)
        + _step_jacobians(derivation)
        + _gamma_table()
    )


def write(path=TARGET):
    """Write the generated module; return its path."""
    path = Path(path)
    path.write_text(module_source(), encoding="utf-8")
    return path


def check(path=TARGET):
    """True when the file at ``path`` is exactly what :func:`module_source` prints."""
    path = Path(path)
    return path.exists() and path.read_text(encoding="utf-8") == module_source()
