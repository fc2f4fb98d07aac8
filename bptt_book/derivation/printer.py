"""Printers: SymPy expressions to NumPy source, and to LaTeX for the book.

:class:`NumPyCodePrinter` differs from SymPy's stock ``NumPyPrinter`` where the stock one
prints code that is slow, wrong or not valid Python for this derivation:

- matrix products print as ``@``; a chain applied to a column vector prints right to left
  on *rows*, so ``W.T*delta`` becomes ``delta @ W``: the generated code keeps vectors as
  rows of time-stacked (and batched) arrays;
- ``DiagMatrix(d)*v`` prints as the broadcast ``d * v`` and ``DiagMatrix(d)*A`` as
  ``d[..., :, None] * A``, never as a dense diagonal;
- a product with a one-hot matrix prints as indexing (``X*U.T`` gathers ``U.T[x]``) or as
  ``np.add.at`` (``Delta.T*X`` scatters rows of ``Delta`` into columns), and ``P - Y``
  subtracts 1 at the labels in place;
- ``Heaviside``, two-argument ``Max`` and ``softplus`` print as ``np.heaviside``,
  ``np.maximum`` and ``np.logaddexp(0, u)``.
"""

import sympy as sp
from sympy.codegen.ast import AddAugmentedAssignment, Assignment
from sympy.printing.latex import LatexPrinter
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE

from . import symbols as sym
from .activations import by_function
from .activations import z as _z
from .forms import paired_factors, positive_first


def _is_column(expr):
    return expr.shape[1] == 1


class NumPyCodePrinter(NumPyPrinter):
    """Print the derivation's matrix expressions as NumPy code on row-stacked arrays.

    ``names`` maps symbols to the code that holds them (``{fprime_t: "F[:, t]"}``);
    ``onehot`` maps one-hot matrix symbols to the integer index array they encode
    (``{X: "x"}``).

    >>> from bptt_book.derivation import symbols as sym
    >>> from bptt_book.derivation.printer import NumPyCodePrinter
    >>> p = NumPyCodePrinter(names={sym.delta_next: "delta"})
    >>> p.doprint(sym.W.T * sym.delta_next)
    'delta @ W'
    >>> p.doprint(sym.Delta.T * sym.S_prev)
    'Delta.T @ S_prev'
    >>> import sympy as sp
    >>> p.doprint(sp.Transpose(sym.S.T * sym.Do))
    '(S.T @ Do).T'
    """

    def __init__(self, names=None, onehot=None, settings=None):
        super().__init__(settings or {})
        self.names = dict(names or {})
        self.onehot = dict(onehot or {})

    def _module_format(self, fqn, register=True):
        if fqn.startswith("numpy."):
            fqn = "np." + fqn[len("numpy.") :]
        return fqn

    # --- symbols and simple operators
    def _print_MatrixSymbol(self, expr):
        return self.names.get(expr, expr.name)

    def _print_Symbol(self, expr):
        return self.names.get(expr, super()._print_Symbol(expr))

    def _operand(self, expr):
        text = self._print(expr)
        if isinstance(expr, (sp.MatAdd, sp.Add)) or text.startswith("-"):
            return f"({text})"
        return text

    def _transposed(self, expr):
        if isinstance(expr, sp.Transpose):
            return self._operand(expr.arg)
        text = self._print(expr)
        return f"{text}.T" if isinstance(expr, sp.MatrixSymbol) else f"({text}).T"

    def _print_Transpose(self, expr):
        return self._transposed(expr.arg)

    def _print_MatAdd(self, expr):
        text = ""
        for term in expr.args:
            if term.could_extract_minus_sign():
                text += f" - {self._operand(-term)}" if text else f"-{self._operand(-term)}"
            else:
                text += f" + {self._print(term)}" if text else self._print(term)
        return text

    def _print_MatMul(self, expr):
        coeff, factors = expr.as_coeff_matrices()
        if coeff != 1:
            raise NotImplementedError(f"scalar factor {coeff} in {expr}")
        first, rest = factors[0], factors[1:]
        if len(factors) == 2 and isinstance(first, sp.OneMatrix):
            # 1 b^T: the row b^T repeated down the rows -- NumPy broadcasts it.
            return self._transposed(rest[0])
        if len(factors) == 2 and isinstance(factors[1], sp.OneMatrix):
            # M^T 1: the sums of the columns of M.
            if not isinstance(first, sp.Transpose):
                raise NotImplementedError(f"column sums of {expr}")
            return f"{self._operand(first.arg)}.sum(axis=0)"
        if _is_column(expr):
            return self._column_chain(factors)
        if first in self.onehot and len(rest) == 1:
            # X*A: row n of the product is row x[n] of A.
            return f"{self._operand(rest[0])}[{self.onehot[first]}]"
        if any(f in self.onehot for f in factors):
            raise NotImplementedError(f"one-hot product {expr} has no inline form")
        if isinstance(first, sp.DiagMatrix):
            # diag(d) A scales the rows of A: broadcast d down the columns (stacks too).
            (diagonal,) = first.args
            rest_text = " @ ".join(self._operand(f) for f in rest)
            return f"{self._operand(diagonal)}[..., :, None] * {self._paren(rest_text)}"
        return " @ ".join(self._operand(f) for f in factors)

    def _column_chain(self, factors):
        """``A*B*v`` for a column ``v`` stored as rows: apply A, B right to left."""
        *matrices, vector = factors
        text = self._print(vector)
        for m in reversed(matrices):
            if isinstance(m, sp.DiagMatrix):
                (diagonal,) = m.args
                text = f"{self._operand(diagonal)} * {self._paren(text)}"
            else:
                text = f"{text} @ {self._transposed(m)}"
        return text

    @staticmethod
    def _paren(text):
        return f"({text})" if (" + " in text or " - " in text or " @ " in text) else text

    def _print_OneMatrix(self, expr):
        raise NotImplementedError(f"a matrix of ones has no inline form here: {expr}")

    def _print_Function(self, expr):
        """An activation of the table prints as its floating-point-safe form; any other
        applied function (the pluggable ``f`` and ``fprime``) as a call of that name."""
        act = by_function(expr.func)
        if act is not None:
            (u,) = expr.args
            return self._print(act.f_numeric.xreplace({_z: u}))
        name = self.names.get(expr.func, str(expr.func))
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Heaviside(self, expr):
        arg, at_zero = expr.args
        return f"{self._module_format('numpy.heaviside')}({self._print(arg)}, {at_zero})"

    def _print_softplus(self, expr):
        (u,) = expr.args
        return f"{self._module_format('numpy.logaddexp')}(0, {self._print(u)})"

    def _print_Max(self, expr):
        if len(expr.args) != 2:
            return super()._print_Max(expr)
        a, b = (self._print(arg) for arg in expr.args)
        return f"{self._module_format('numpy.maximum')}({a}, {b})"

    # --- statements
    def statements(self, lhs, rhs, augmented=False):
        """The lines that compute ``lhs = rhs`` (or ``lhs += rhs``)."""
        target = self._print(lhs)
        op = "+=" if augmented else "="
        if isinstance(rhs, sp.MatAdd):
            onehot_terms = [t for t in rhs.args if (-t) in self.onehot]
            if onehot_terms and not augmented:
                (term,) = onehot_terms
                (other,) = [t for t in rhs.args if t is not term]
                rows = f"{self._module_format('numpy.arange')}({target}.shape[0])"
                return [
                    f"{target} = {self._print(other)}  # overwritten in place",
                    f"{target}[{rows}, {self.onehot[-term]}] -= 1",
                ]
        if isinstance(rhs, sp.MatMul):
            _, factors = rhs.as_coeff_matrices()
            if len(factors) == 2 and factors[1] in self.onehot:
                # A.T*X: column x[n] of the product collects row n of A.
                a, onehot = factors
                if not isinstance(a, sp.Transpose):
                    raise NotImplementedError(f"one-hot product {rhs}")
                lines = []
                if not augmented:
                    # Column-major, so each scattered column is contiguous: writing the
                    # columns of the words that occur touches one memory page per word.
                    shape = ", ".join(self._print(n) for n in reversed(lhs.shape))
                    zeros = self._module_format("numpy.zeros")
                    dtype = f"{self._operand(a.arg)}.dtype"
                    lines.append(f"{target} = {zeros}(({shape}), dtype={dtype}).T")
                add_at = self._module_format("numpy.add.at")
                lines.append(f"{add_at}({target}.T, {self.onehot[onehot]}, {self._print(a.arg)})")
                return lines
        return [f"{target} {op} {self._print(rhs)}"]

    def _print_Assignment(self, expr):
        return "\n".join(self.statements(expr.lhs, expr.rhs))

    def _print_AddAugmentedAssignment(self, expr):
        return "\n".join(self.statements(expr.lhs, expr.rhs, augmented=True))


#: How the book typesets the derivation's symbols.
LATEX_NAMES = {
    sym.s_prev: "s_{t-1}",
    sym.delta_next: r"\delta_{t+1}",
    sym.delta_t: r"\delta_t",
    sym.yhat_t: r"\hat{y}_t",
    sym.fprime_t: "f'(z_t)",
    sym.S_prev: r"S_{\mathrm{prev}}",
    sym.Do: r"{\Delta^{o}}",
    sym.Delta: r"\Delta",
    sym.P: r"\hat{Y}",
}


#: The book's name for the step function, SymPy's ``Heaviside``: 1 for a positive argument,
#: 0 for a negative one, and (the book's choice, ``Heaviside(s, 0)``) 0 at 0.  The letter
#: theta is left to the clipping threshold of chapter 6.
STEP_FUNCTION = r"\operatorname{step}"


class BookLatexPrinter(LatexPrinter):
    """LaTeX for the book: ``diag`` for diagonal matrices, ``^\\top`` for transposes, the terms
    of a sum with a plus sign first (``\\hat y_t - y_t``), and the step function by the name
    ``STEP_FUNCTION``.

    >>> import sympy as sp
    >>> from bptt_book.derivation import symbols as sym
    >>> print(BookLatexPrinter().doprint(sym.yhat_t - sym.y_t))
    \\hat{y}_t - y_{t}
    >>> print(BookLatexPrinter().doprint(sp.Heaviside(sp.Symbol("s"), 0)))
    \\operatorname{step}\\left(s\\right)
    """

    def _as_ordered_terms(self, expr, order=None):
        return positive_first(super()._as_ordered_terms(expr, order=order))

    def _print_Heaviside(self, expr, exp=None):
        # The value at 0 is the book's convention (stated in the prose), not an argument.
        tex = rf"{STEP_FUNCTION}\left({self._print(expr.args[0])}\right)"
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"

    def _print_MatrixSymbol(self, expr):
        return LATEX_NAMES.get(expr) or super()._print_MatrixSymbol(expr)

    def _print_DiagMatrix(self, expr):
        (diagonal,) = expr.args
        return rf"\operatorname{{diag}}\left({self._print(diagonal)}\right)"

    def _print_Transpose(self, expr):
        arg = expr.arg
        base = self._print(arg)
        if not isinstance(arg, sp.MatrixSymbol):
            base = rf"\left({base}\right)"
        if "^" in base:  # a name with a superscript of its own, such as Delta^o
            base = f"{{{base}}}"
        return rf"{base}^{{\top}}"


def latex(expr):
    """Typeset ``expr`` as the book does.

    >>> from bptt_book.derivation import symbols as sym
    >>> from bptt_book.derivation.printer import latex
    >>> print(latex(sym.W.T * sym.delta_next))
    W^{\\top} \\delta_{t+1}
    """
    return BookLatexPrinter().doprint(expr)


__all__ = ["AddAugmentedAssignment", "Assignment", "BookLatexPrinter", "NumPyCodePrinter", "latex"]


class CellLatexPrinter(LatexPrinter):
    """LaTeX for a cell's per-unit equations read as vector equations.

    Every symbol of a cell's equations stands for a vector of H units and every product is
    elementwise, so a product prints with ``\\odot``; ``names`` gives each symbol's LaTeX
    (``{r: "r_t", h: "h_{t-1}"}``).  A power is an elementwise power.
    """

    def __init__(self, names, settings=None):
        super().__init__({"mul_symbol": r" \odot ", **(settings or {})})
        self.names = dict(names)

    def _print_Mul(self, expr):
        """A product of units as the book writes it: a factor and its complement side by side,
        ``r_t \\odot (1 - r_t)`` (:func:`~bptt_book.derivation.forms.paired_factors`); any
        product with a number or a quotient in it as SymPy prints it."""
        if self._settings["order"] == "none":
            return super()._print_Mul(expr)
        factors = expr.as_ordered_factors()
        if any(f.is_number or (f.is_Pow and not (f.exp.is_Integer and f.exp > 0))
               for f in factors):
            return super()._print_Mul(expr)
        return self._settings["mul_symbol_latex"].join(
            self.parenthesize(f, PRECEDENCE["Mul"]) for f in paired_factors(factors))

    def _print_Symbol(self, expr, style="plain"):
        return self.names.get(expr) or super()._print_Symbol(expr)

    def _print_Function(self, expr, exp=None):
        if expr in self.names:  # an applied function with a name of its own
            text = self.names[expr]
            return text if exp is None else rf"{text}^{{{exp}}}"
        name = self.names.get(expr.func)
        if name is None:
            return super()._print_Function(expr, exp)
        text = rf"{name}\left({', '.join(self._print(a) for a in expr.args)}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"


#: How the book typesets a cell's two projections, ``U x_t + b_U`` and ``W h_{t-1} + b_W``
#: (``a`` and ``b`` in a description): the letters a and b mean other things in the book
#: (a bias is b).
PROJECTION_LETTERS = {"a": r"\alpha", "b": r"\beta"}


def block_latex(cell, letter, block):
    """The LaTeX of one block of a projection: ``\\alpha^{r}_t`` for block ``r`` of ``a``, with
    the block named as the cell displays its line (``display``), ``\\alpha_t`` for a single
    unnamed block."""
    base = PROJECTION_LETTERS[letter]
    return f"{base}^{{{cell.shown(block)}}}_t" if block else f"{base}_t"


def cell_latex_names(cell):
    """The LaTeX of every symbol of ``cell``: blocks ``\\alpha^r_t``, ``\\beta^r_t``, previous
    states ``h_{t-1}``, new states ``h_t``, lines ``r_t``, and a helper line such as ``tanh_c``
    as the call it stands for, ``\\tanh(c_t)``.  A name in the cell's ``display`` is typeset as
    given there (the GRU's ``z`` as ``u_t``).

    >>> from bptt_book.derivation.cells import GRU
    >>> from bptt_book.derivation.printer import cell_latex_names
    >>> names = {s.name: latex for s, latex in cell_latex_names(GRU).items()}
    >>> print(names["z"], names["n"], names["b_z"])
    u_t \\tilde{h}_t \\beta^{u}_t
    """
    from .cell import fprime

    names = {}
    for letter, symbols in (("a", cell.a), ("b", cell.b)):
        for block, symbol in zip(cell.blocks, symbols, strict=True):
            names[symbol] = block_latex(cell, letter, block)
    for prev, new, state in zip(cell.previous, cell.new, cell.states, strict=True):
        names[prev] = f"{cell.shown(state)}_{{t-1}}"
        names[new] = f"{cell.shown(state)}_t"
    printer = CellLatexPrinter(names)
    for target, expr in cell.program:
        if isinstance(expr, sp.Function) and expr.func.__name__ == "f":
            # f' of this line, written in its output, is f' at the line's input
            names[fprime(target)] = rf"f'\left({printer.doprint(expr.args[0])}\right)"
        if target in names:
            continue
        if target.name.startswith(tuple(f"{f}_" for f in ("tanh", "sigmoid", "relu", "f"))) \
                and isinstance(expr, sp.Function):
            names[target] = printer.doprint(expr)
        else:
            names[target] = f"{cell.shown(target.name)}_t"
        printer.names[target] = names[target]
    return names
