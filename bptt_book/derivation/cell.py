"""A recurrent cell described once, as data: the start of the whole pipeline.

Every cell of the book -- the plain RNN, the GRU, the LSTM, and any cell a reader writes --
has the same outer shape.  At step ``t`` the one-hot word ``x_t`` and the state of the
previous step enter through two *projections*, each cut into ``k`` blocks of ``H`` rows::

    a = U x_t + b_U        (k H entries: blocks a_r, a_z, ... of U's row blocks)
    b = W h_{t-1} + b_W    (k H entries: blocks b_r, b_z, ...; h is the cell's first state)

and the new state comes out of a *core* that works unit by unit: every line of it is an
elementwise formula in the blocks, the previous states and the lines before it.  The output
layer ``yhat_t = softmax(V h_t)`` reads the first state, as for the plain RNN.

A :class:`Cell` is that description and nothing more::

    Cell("gru", states=["h"], blocks=["r", "z", "n"], equations=[
        "r = sigmoid(a_r + b_r)",
        "z = sigmoid(a_z + b_z)",
        "n = tanh(a_n + r*b_n)",
        "h' = (1 - z)*n + z*h",
    ])

In an equation, ``h`` is the previous state ``h_{t-1}`` and ``h'`` the new one ``h_t``;
``a_r``/``b_r`` are the blocks of the projections (``a`` and ``b`` for a single unnamed block);
products are elementwise; ``sigmoid``, ``tanh`` and ``relu`` are the activations of
:mod:`~bptt_book.derivation.activations`; and ``f`` is an activation chosen when the cell
runs (the plain RNN's ``activation="tanh"``).  Everything downstream -- the adjoint
(:mod:`~bptt_book.derivation.adjoint`), the exact proof (:mod:`~bptt_book.derivation.unrolled`),
the printed NumPy module (:mod:`~bptt_book.derivation.generate`) and the book's equations --
is derived from this description alone.  The built-in cells are in
:mod:`~bptt_book.derivation.cells`; that is where a new cell starts.

>>> from bptt_book.derivation.cell import Cell
>>> mgu = Cell("mgu", states=["h"], blocks=["f", "n"], equations=[
...     "f = sigmoid(a_f + b_f)",
...     "n = tanh(a_n + f*b_n)",
...     "h' = (1 - f)*h + f*n",
... ])
>>> mgu.k, mgu.program[1]
(2, (n, tanh(a_n + b_n*f)))
"""

import functools
import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp
from sympy.parsing.sympy_parser import parse_expr, standard_transformations

from .activations import NAMES, activation

#: The name of the activation that is chosen when a cell runs (the plain RNN's ``f``).
PLUGGABLE = "f"
#: How the pluggable activation's derivative, written in its output, appears in the adjoint.
fprime = sp.Function("fprime")
_f = sp.Function(PLUGGABLE)

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")
_PRIMED = re.compile(r"\b([A-Za-z][A-Za-z0-9]*)'")
_NEW = "__new"
#: Names a state or a line may not have (they mean something else in an equation).
_RESERVED = {"a", "b", *NAMES, "x", "U", "V", "W"}


class CellError(ValueError):
    """A cell description that cannot be derived: the message says which part and why."""


def _identifier(value, what):
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string; got {type(value).__name__}")
    if not _NAME.match(value) or keyword.iskeyword(value):
        raise CellError(f"{what} must be a name of letters and digits starting with a letter; "
                        f"got {value!r}")
    return value


def _names(values, what, *, allow_empty_name=False):
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{what} must be a list of names; got {type(values).__name__}")
    if not values:
        raise CellError(f"{what} must not be empty")
    out = []
    for v in values:
        if allow_empty_name and v == "" and len(values) == 1:
            out.append(v)
            continue
        out.append(_identifier(v, f"each of {what}"))
    if len(set(out)) != len(out):
        raise CellError(f"{what} must be distinct; got {list(values)}")
    return tuple(out)


@dataclass(frozen=True)
class Cell:
    """A recurrent cell: its states, the blocks of its projections and its equations.

    ``states`` names the state vectors (each of size H); the first is the one the output
    layer and the recurrent projection ``W h_{t-1}`` read.  ``blocks`` names the row blocks
    of ``U`` and ``W`` (``[""]``: one unnamed block, written ``a`` and ``b``).  ``equations``
    are ``"target = expression"`` lines, in order; every state ``s`` gets exactly one
    ``s' = ...`` line.  ``biases=False`` leaves out ``b_U`` and ``b_W`` (the tutorial's RNN
    has none).  ``title`` is a short human name (``"GRU"``).

    ``display`` maps names of the description to how the book typesets them, when a name would
    mean something else there: PyTorch calls the GRU's update gate ``z``, which the book keeps
    for the plain network's pre-activation, so the GRU has ``display={"z": "u"}``.  Keys are the
    names of lines, blocks or states; a block is typeset as the line of the same name.  The
    values are LaTeX (``r"\tilde h"``); the code keeps the description's names.
    """

    name: str
    states: Sequence[str]
    blocks: Sequence[str]
    equations: Sequence[str]
    biases: bool = True
    title: str = ""
    display: Mapping[str, str] | Sequence[tuple[str, str]] = ()

    def __post_init__(self):
        object.__setattr__(self, "name", _identifier(self.name, "name"))
        object.__setattr__(self, "states", _names(self.states, "states"))
        object.__setattr__(self, "blocks", _names(self.blocks, "blocks", allow_empty_name=True))
        if isinstance(self.equations, str) or not isinstance(self.equations, (list, tuple)):
            raise TypeError("equations must be a list of 'target = expression' strings")
        object.__setattr__(self, "equations", tuple(self.equations))
        if not isinstance(self.biases, bool):
            raise TypeError(f"biases must be True or False; got {self.biases!r}")
        for name in self.states:
            if name in _RESERVED:
                raise CellError(f"{name!r} cannot name a state: it means something else in "
                                "an equation")
        _ = self.program  # parse and check now, so a bad description fails where it is written
        object.__setattr__(self, "display", self._checked_display(self.display))

    def _checked_display(self, display):
        """``display`` as a sorted tuple of (name, LaTeX) pairs (hashable, like the cell)."""
        if isinstance(display, Mapping):
            pairs = list(display.items())
        elif isinstance(display, (list, tuple)) and all(
                isinstance(p, tuple) and len(p) == 2 for p in display):
            pairs = list(display)
        else:
            raise TypeError("display must map names of the cell to LaTeX strings; got "
                            f"{type(display).__name__}")
        names = {t.name for t, _ in self.program} | set(self.blocks) | set(self.states)
        for name, latex in pairs:
            if name not in names:
                raise CellError(f"display names {name!r}, which is not a line, block or state "
                                f"of the cell (those are {sorted(names - {''})})")
            if not isinstance(latex, str) or not latex.strip():
                raise TypeError(f"display[{name!r}] must be a non-empty LaTeX string; "
                                f"got {latex!r}")
        return tuple(sorted(pairs))

    def shown(self, name):
        """How the book typesets ``name`` (a line, block or state): its ``display`` entry, or
        the name itself."""
        return dict(self.display).get(name, name)

    # -------------------------------------------------------------------------- symbols

    @property
    def k(self):
        """The number of row blocks of ``U`` and ``W``."""
        return len(self.blocks)

    @property
    def output_state(self):
        """The state that ``V`` and ``W`` read (the first)."""
        return self.states[0]

    def _block_name(self, letter, block):
        return f"{letter}_{block}" if block else letter

    @functools.cached_property
    def a(self):
        """The input projection's blocks, ``(U x_t + b_U)_k``, as scalar symbols (per unit)."""
        return tuple(sp.Symbol(self._block_name("a", k), real=True) for k in self.blocks)

    @functools.cached_property
    def b(self):
        """The recurrent projection's blocks, ``(W h_{t-1} + b_W)_k``, as scalar symbols."""
        return tuple(sp.Symbol(self._block_name("b", k), real=True) for k in self.blocks)

    @functools.cached_property
    def previous(self):
        """The previous states ``h_{t-1}, ...`` as scalar symbols."""
        return tuple(sp.Symbol(name, real=True) for name in self.states)

    @functools.cached_property
    def new(self):
        """The new states ``h_t, ...`` (``h'`` in an equation) as scalar symbols."""
        return tuple(sp.Symbol(f"{name}'", real=True) for name in self.states)

    @property
    def uses_pluggable(self):
        """True when an equation calls ``f``, the activation chosen when the cell runs."""
        return any(expr.has(_f) for _, expr in self.program)

    # ------------------------------------------------------------------------- parsing

    @functools.cached_property
    def program(self):
        """The equations as ``(target symbol, SymPy expression)`` pairs, in order.

        Each target is defined once, every name is defined before it is used, and every
        state gets its new value.  A nested activation such as ``o*tanh(c')`` is given a line
        of its own (``tanh_c = tanh(c')``), so that every activation's output is a named value
        whose derivative can be written in it.
        """
        known = {s.name: s for s in self.a + self.b + self.previous}
        functions = {name: activation(name).function for name in NAMES}
        functions[PLUGGABLE] = _f
        defined = dict(known)
        program, displayed = [], []
        new_states = dict(zip(self.states, self.new, strict=True))
        for number, line in enumerate(self.equations, start=1):
            where = f"equation {number} ({line!r})"
            if not isinstance(line, str) or line.count("=") != 1:
                raise CellError(f"{where} must be one 'target = expression' line")
            left, right = (part.strip() for part in line.split("="))
            if left.endswith("'"):
                state = left[:-1]
                if state not in new_states:
                    raise CellError(f"{where}: {left!r} is not the new value of a state "
                                    f"(states: {list(self.states)})")
                target = new_states[state]
            else:
                _identifier(left, f"the target of {where}")
                if left in known or left in _RESERVED or left in self.states:
                    raise CellError(f"{where}: {left!r} is already a name of the cell")
                target = sp.Symbol(left, real=True)
            if target.name in defined and target not in known.values():
                raise CellError(f"{where}: {target.name!r} is defined twice")
            text = _PRIMED.sub(lambda m: m.group(1) + _NEW, right)
            local = {**functions}
            for name, symbol in defined.items():
                local[name.replace("'", _NEW)] = symbol
            try:
                expr = parse_expr(text, local_dict=local, transformations=standard_transformations)
            except Exception as error:  # SyntaxError, TokenError, TypeError ...
                raise CellError(f"{where}: cannot read the expression ({error})") from None
            if not isinstance(expr, sp.Expr):
                raise CellError(f"{where}: the right-hand side is not an expression")
            unknown = sorted(str(s) for s in expr.free_symbols if s not in defined.values())
            if unknown:
                raise CellError(f"{where}: unknown or not yet defined names {unknown}; known "
                                f"here: {sorted(defined)}")
            bad = sorted({str(e.func) for e in expr.atoms(sp.Function)
                          if e.func not in functions.values()})
            if bad:
                raise CellError(f"{where}: unknown functions {bad}; the activations are "
                                f"{list(NAMES)} and {PLUGGABLE!r}")
            for call in sorted(expr.atoms(sp.Function), key=sp.default_sort_key):
                if call != expr and call.func in functions.values():
                    inner = self._helper_name(call, defined)
                    helper = sp.Symbol(inner, real=True)
                    program.append((helper, call))
                    defined[inner] = helper
                    expr = expr.xreplace({call: helper})
            program.append((target, expr))
            typed = parse_expr(text, local_dict=local, transformations=standard_transformations,
                               evaluate=False)
            displayed.append((target, typed))
            defined[target.name] = target
        missing = [s for s, n in zip(self.states, self.new, strict=True) if n.name not in defined]
        if missing:
            raise CellError(f"no equation gives the new value of {missing} (write "
                            f"\"{missing[0]}' = ...\")")
        object.__setattr__(self, "_typed", tuple(displayed))
        return tuple(program)

    @property
    def typed(self):
        """The equations as written (SymPy expressions kept unevaluated, in the order typed),
        each paired with its target: what the book displays.  Each equals its line of
        :attr:`program` (checked by the tests)."""
        _ = self.program
        return self._typed

    @staticmethod
    def _helper_name(call, defined):
        (arg,) = call.args
        # tanh(c') -> tanh_c; tanh(a + b) -> tanh_a_b: named by what it reads
        names = sorted(s.name.replace("'", "") for s in arg.free_symbols)
        base = "_".join([str(call.func), *names])
        name, n = base, 1
        while name in defined:
            n += 1
            name = f"{base}{n}"
        return name

    def __repr__(self):
        return f"Cell({self.name!r}, states={list(self.states)}, blocks={list(self.blocks)})"
