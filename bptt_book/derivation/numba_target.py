"""The compiled target: every built-in cell's derivation printed a second time, as Numba kernels.

:mod:`~bptt_book.derivation.generate` prints each cell as NumPy code over whole arrays, with a
Python loop over time.  At a small vocabulary that loop *is* the gradient (a few microseconds
of interpreter per step, against a few hundred nanoseconds of arithmetic), so this module
prints the same derivation as two compiled kernels per cell, into
``bptt_book/generated/numba_<cell>.py``:

``forward``
    the recurrence over time, storing what the backward step reads: the new states and every
    forward value a coefficient of the adjoint names (the same fields as the NumPy ``Tape``,
    less the previous states, which are the new states one step back).
``backward``
    the exact BPTT sweep: at every step the adjoints ``dB`` of the recurrent projection
    ``b = W h_(t-1) + b_W`` (and ``dA`` of the input projection where a block's differ), and
    what the step sends back to the previous states.

Every right-hand side inside the loops over hidden units -- the cell's equations in the
forward kernel, the coefficients, nodes and block adjoints of
:class:`~bptt_book.derivation.adjoint.CellAdjoint` in the backward kernel -- is printed by
:class:`NumbaPrinter` from the derived SymPy expression, which is quoted above it.  What is
not printed from an expression is the skeleton every cell shares (loops, buffers, and the two
matrix products ``W h`` and ``d_b W``), exactly as in the NumPy generator.  The activations'
compiled implementations (``bptt_book.vmath``) are hand-written numerics named by the
activation table; nothing is derived from them.

The shapes of the printed code are the ones measured fastest (the notes of issue 16):

- ``@njit(cache=True, error_model="numpy", fastmath={"contract"})``: no division checks (they
  stop vectorisation), fused multiply-adds, no reassociation -- except in the backward
  kernels, which sum ``W^T d_b`` as dot products over the rows of ``W^T``, where ``reassoc``
  lets those sums vectorise;
- constants typed by the arrays' dtype (``one = dtype.type(1)``), so float32 stays float32;
- one simple loop per line over contiguous 1-D rows, the previous state read from its own
  row (zeros at t = 0), no test of ``t`` inside a loop over units;
- time-major arrays ``(T, B, H)``: for a batch (B > 1) the recurrent product of a step is one
  matrix product (``np.dot`` with ``out=``, BLAS through SciPy); for one sequence it is an
  axpy loop over the rows of ``W^T`` (forward) or dot products over them (backward), four
  rows at a time (:data:`UNROLL`).

For a cell whose equations call the pluggable ``f`` (the plain RNN) the kernels are printed
once per activation of the table (``forward_tanh``, ``backward_tanh``, ...).  The truncated
backward pass, the Jacobians and a reader's own cells stay on the NumPy target.
"""

from dataclasses import dataclass

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter

from .activations import NAMES, activation, by_function
from .activations import s as _s
from .activations import z as _z
from .adjoint import derive
from .cell import PLUGGABLE, fprime
from .cells import BUILT_IN
from .checks import check as require
from .generate import COMMAND, Code

#: The decorators of the printed kernels.
JIT = '@njit(cache=True, error_model="numpy", fastmath={"contract"})'
JIT_REASSOC = '@njit(cache=True, error_model="numpy", fastmath={"contract", "reassoc"})'

#: Names the kernels use for themselves; a cell whose symbols print to one of them is refused.
_INTERNAL = {"T", "B", "H", "kH", "t", "m", "u", "j", "k", "x", "U", "W", "WT", "bU", "bW",
             "xT", "G", "dA", "dB", "Z", "pre", "ga", "gb", "rec", "hp", "hj", "row", "acc",
             "np", "njit", "dtype", "bias", "carry", "direct", "zero_row", "db", "da", "g_out",
             "carry_m", "direct_m", "back", "d", "q0", "q1", "q2", "q3", "w0", "w1", "w2", "w3",
             "a0", "a1", "a2", "a3"}


class NumbaPrinter(PythonCodePrinter):
    """Scalar SymPy expressions as Numba source, for the body of a loop over hidden units.

    ``names`` maps each symbol to the code that holds it (``{r: "r_t[u]"}``).  Numbers print
    as typed constants (``one``, ``two``, ``half``, ``c3``, ...), collected in
    ``constants`` so the kernel can define them once in its dtype: an integer literal
    would turn float32 arithmetic into float64.  Integer powers print as products, an
    activation of the table as its compiled implementation (``tanh_(...)``) or, when it has
    none, as its derived floating-point form (relu as ``max(zero, ...)``).

    >>> import sympy as sp
    >>> from bptt_book.derivation.numba_target import NumbaPrinter
    >>> n, z = sp.symbols("n z", real=True)
    >>> p = NumbaPrinter({n: "n", z: "z"})
    >>> p.doprint((1 - n**2) * (1 - z) / 2)
    '(half)*(one - (n*n))*(one - z)'
    >>> sorted(p.constants.values())
    ['half', 'one']
    >>> p.doprint(sp.tanh(n + z)), p.used
    ('tanh_(n + z)', {'tanh_'})
    """

    _NAMED = {sp.Integer(0): "zero", sp.Integer(1): "one", sp.Integer(2): "two",
              sp.Rational(1, 2): "half"}

    def __init__(self, names, constants=None):
        super().__init__({"fully_qualified_modules": False})
        self.names = dict(names)
        self.constants = constants if constants is not None else {}
        self.used = set()  # the compiled activation helpers the printed code calls

    def constant(self, value):
        """The name of the typed constant ``value`` (a non-negative SymPy rational)."""
        value = sp.Rational(value)
        require(value >= 0, f"negative constant {value}")
        if value not in self.constants:
            name = self._NAMED.get(value)
            if name is None:
                name = f"c{value.p}" if value.q == 1 else f"c{value.p}_{value.q}"
            self.constants[value] = name
        return self.constants[value]

    def _print_rational(self, expr):
        return f"-{self.constant(-expr)}" if expr < 0 else self.constant(expr)

    _print_Integer = _print_Rational = _print_rational
    _print_Zero = _print_One = _print_NegativeOne = _print_Half = _print_rational

    def _print_Float(self, expr):
        raise NotImplementedError(f"a floating-point number in a derived expression: {expr}")

    def _print_Symbol(self, expr):
        require(expr in self.names, f"no array holds {expr} here")
        return self.names[expr]

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.args
        require(exp.is_Integer and exp != 0, f"only integer powers print: {expr}")
        factor = self.parenthesize(base, PRECEDENCE["Mul"], strict=True)
        product = "*".join([factor] * abs(int(exp)))
        if abs(int(exp)) > 1:  # a product in the place of a power: keep it one operand
            product = f"({product})"
        return product if exp > 0 else f"{self.constant(1)}/{product}"

    def _print(self, expr, **kwargs):
        # An activation of the table (tanh is SymPy's own function, which the stock printer
        # would print as the C library's math.tanh) prints through the table; any other
        # function of one argument has no place in the kernels.
        if isinstance(expr, sp.Function) and not isinstance(expr, (sp.Heaviside, sp.Max)):
            return self._print_activation(expr)
        return super()._print(expr, **kwargs)

    def _print_activation(self, expr):
        act = by_function(expr.func)
        require(act is not None, f"no activation for {expr.func} in {expr}")
        (u,) = expr.args
        if act.compiled is None:
            return self._print(act.f_numeric.xreplace({_z: u}))
        self.used.add(act.compiled)
        return f"{act.compiled}({self._print(u)})"

    def _print_Heaviside(self, expr):
        arg, at_zero = (expr.args + (None,))[:2]
        require(at_zero == 0, f"Heaviside with H(0) = {at_zero}")
        return f"({self.constant(1)} if {self._print(arg)} > {self.constant(0)} else " \
               f"{self.constant(0)})"

    def _print_Max(self, expr):
        require(len(expr.args) == 2, f"Max of {len(expr.args)} arguments")
        return f"max({', '.join(self._print(a) for a in expr.args)})"


# ------------------------------------------------------------------------------ the plan


def _plain(symbol):
    return symbol.name.replace("'", "")


@dataclass(frozen=True)
class Plan:
    """How a cell's values live in the kernels: what the forward pass stores, whether the two
    projections of every block can be added up front, and each value's name."""

    cell: object
    adj: object
    #: ``(symbol, field)`` of every stored array: the new states, then what a coefficient reads
    tape: tuple
    #: True when every block enters only as ``a_k + b_k`` and no block is stored: one buffer
    fused: bool
    #: True when some block's input adjoint differs from its recurrent one (dA != dB)
    separate_da: bool

    @property
    def fields(self):
        return tuple(name for _, name in self.tape)


def _sum_symbol(cell, index):
    block = cell.blocks[index]
    return sp.Symbol(f"ab_{block}" if block else "ab", real=True)


def _fused_program(cell):
    """The program with ``a_k`` replaced by ``ab_k - b_k`` (``ab_k`` = the sum of the two
    projections), or None when some ``b_k`` is still left (the GRU's ``r*b_n``)."""
    swap = {a: _sum_symbol(cell, i) - b for i, (a, b) in enumerate(zip(cell.a, cell.b,
                                                                       strict=True))}
    program = [(target, expr.xreplace(swap)) for target, expr in cell.program]
    left = set().union(*(expr.free_symbols for _, expr in program)) & set(cell.a + cell.b)
    return None if left else program


def plan(cell):
    """The :class:`Plan` of ``cell``, checked against its adjoint."""
    adj = derive(cell)
    needed = set()
    for c in adj.coefficients:
        needed |= c.free_symbols
    tape = [(v, name) for v, name in zip(cell.new, cell.states, strict=True)]
    taken = {v for v, _ in tape} | set(cell.previous)
    for symbol in list(cell.a) + list(cell.b) + [t for t, _ in cell.program]:
        if symbol in needed and symbol not in taken:
            tape.append((symbol, _plain(symbol)))
            taken.add(symbol)
    require(not needed - taken, f"{cell.name}: the coefficients read {needed - taken}, "
                                "which no kernel stores")
    stored_blocks = any(v in set(cell.a + cell.b) for v, _ in tape)
    fused = not stored_blocks and _fused_program(cell) is not None
    separate = any(ta != tb for ta, tb in zip(adj.grad_a, adj.grad_b, strict=True))
    names = {_plain(v) for v in list(cell.a) + list(cell.b) + list(cell.previous)}
    names |= {_plain(t) for t, _ in cell.program} | {f"{n}_t" for _, n in tape}
    clash = sorted(names & _INTERNAL)
    require(not clash, f"{cell.name}: the names {clash} are used by the kernels themselves")
    return Plan(cell, adj, tuple(tape), fused, separate)


def _activations(cell):
    """The activations to print kernels for: every one of the table for a cell that calls
    the pluggable ``f``, else ``[None]`` (the cell's activations are fixed)."""
    return [activation(name) for name in NAMES] if cell.uses_pluggable else [None]


def _bind(expr, act):
    """``expr`` with the pluggable ``f`` and its ``fprime`` replaced by activation ``act``:
    ``f(u)`` by the activation's function and ``fprime(v)`` by f' written in the output v."""
    if act is None:
        return expr
    f = sp.Function(PLUGGABLE)
    expr = expr.replace(lambda e: isinstance(e, sp.Function) and e.func == f,
                        lambda e: act.function(*e.args))
    return expr.replace(lambda e: isinstance(e, sp.Function) and e.func == fprime,
                        lambda e: act.fprime_s.xreplace({_s: e.args[0]}))


def _suffix(act):
    return f"_{act.name}" if act is not None else ""


def _block_range(cell, index):
    """The slice of block ``index`` in a kH-long buffer."""
    k = cell.k
    start = "0" if index == 0 else ("H" if index == 1 else f"{index}*H")
    stop = "H" if index == 0 else f"{index + 1}*H"
    return f"{start}:{stop}" if k > 1 else "0:H"


def _constants_at(code, mark, printer, dtype):
    """Insert, at line ``mark``, the definitions of the typed constants the printer used."""
    indent = code.lines[mark][: len(code.lines[mark]) - len(code.lines[mark].lstrip())]
    lines = [f"{indent}{name} = {dtype}.type({value})"
             for value, name in sorted(printer.constants.items(), key=lambda kv: kv[0])]
    code.lines[mark:mark] = lines


# ---------------------------------------------------------------------------- the forward


def _forward(code, pl, act):
    cell = pl.cell
    k = cell.k
    tape_args = [f"tape_{name}" for name in pl.fields]
    args = ["U", "WT"] + (["bU", "bW"] if cell.biases else []) + ["xT"] + tape_args
    first = f"tape_{cell.states[0]}"
    what = f" with f = {act.name}" if act is not None else ""
    code("", "", JIT, f"def forward{_suffix(act)}({', '.join(args)}):",
         f'    """The {cell.title or cell.name}{what} over token ids xT (T, B); fills the '
         "tape arrays, each (T, B, H):",
         f"    {', '.join(pl.fields)}.  U (kH, D), WT = W.T (H, kH), contiguous.",
         '    """')
    with code.indented():
        code("T, B = xT.shape", "H, kH = WT.shape", f"dtype = {first}.dtype")
        mark = len(code.lines)
        printer = NumbaPrinter({})
        read = set().union(*(e.free_symbols for _, e in cell.program))
        if read & set(cell.previous):
            code("zero_row = np.zeros(H, dtype)  # the states before the first step")
        code("Z = np.empty((B, kH), dtype)  # W h_(t-1) for the whole batch")
        if pl.fused:
            code("pre = np.empty(kH, dtype)  # a + b = U x_t + b_U + W h_(t-1) + b_W")
            if cell.biases:
                code("bias = bU + bW")
            rec = "pre"
        else:
            code("ga = np.empty(kH, dtype)  # a = U x_t + b_U",
                 "gb = np.empty(kH, dtype)  # b = W h_(t-1) + b_W")
            rec = "gb"
        stored = dict(pl.tape)
        scratch = [t for t, _ in cell.program if t not in stored]
        for target in scratch:
            code(f"{_plain(target)}_t = np.empty(H, dtype)  # not kept for the backward step")
        code("for t in range(T):")
        with code.indented():
            code("if t > 0 and B > 1:")
            code(f"    np.dot({first}[t - 1], WT, Z)  # one matrix product for the batch")
            code("for m in range(B):")
            with code.indented():
                code("x = xT[t, m]", "for k in range(kH):")
                if pl.fused:
                    code("    pre[k] = U[k, x] + bias[k]" if cell.biases else
                         "    pre[k] = U[k, x]")
                else:
                    if cell.biases:
                        code("    ga[k] = U[k, x] + bU[k]", "    gb[k] = bW[k]")
                    else:
                        code("    ga[k] = U[k, x]", f"    gb[k] = {printer.constant(0)}")
                code("if t > 0 and B > 1:",
                     "    for k in range(kH):", f"        {rec}[k] += Z[m, k]",
                     "elif t > 0:  # one sequence: W h_(t-1) as axpy over the rows of W.T")
                with code.indented():
                    code(f"hp = {first}[t - 1, 0]")
                    _axpy_rows(code, rec)
                names = printer.names
                for i in range(k):
                    rng = _block_range(cell, i)
                    if pl.fused:
                        view = _plain(_sum_symbol(cell, i))
                        code(f"{view} = pre[{rng}]")
                        names[_sum_symbol(cell, i)] = f"{view}[u]"
                    else:
                        for sym_, buf in ((cell.a[i], "ga"), (cell.b[i], "gb")):
                            code(f"{_plain(sym_)} = {buf}[{rng}]")
                            names[sym_] = f"{_plain(sym_)}[u]"
                for prev, state in zip(cell.previous, cell.states, strict=True):
                    if prev in read:
                        code(f"{state}_prev = zero_row if t == 0 else tape_{state}[t - 1, m]")
                        names[prev] = f"{state}_prev[u]"
                for v, name in pl.tape:
                    code(f"{name}_t = tape_{name}[t, m]")
                    if v in cell.new:
                        names[v] = f"{name}_t[u]"
                for target in scratch:
                    names[target] = f"{_plain(target)}_t[u]"
                for v, name in pl.tape:  # stored blocks (the GRU's b_n) are copied
                    if v in set(cell.a + cell.b):
                        code(f"# {name} kept for the backward step", "for u in range(H):",
                             f"    {name}_t[u] = {printer.doprint(v)}")
                program = _fused_program(cell) if pl.fused else list(cell.program)
                for (target, expr), (_, original) in zip(program, cell.program, strict=True):
                    expr = _bind(expr, act)
                    rhs = printer.doprint(expr)
                    if target not in cell.new:
                        names[target] = f"{_plain(target)}_t[u]"
                    code(f"# {target} = {_bind(original, act)}", "for u in range(H):",
                         f"    {names[target]} = {rhs}")
        _constants_at(code, mark, printer, "dtype")
    return printer.used


# ------------------------------------------------------------- the products with W, unrolled

#: How many rows of W^T the products of one sequence take together.  A pass over the long
#: vector then reads (and writes) it once for ``UNROLL`` rows, whose values stay in registers
#: (1.3 to 2.7 times faster than one row at a time at H = 50 and 100, measured).
UNROLL = 4


def _axpy_rows(code, target):
    """``target += hp @ WT``: the rows of ``WT`` (H, kH) scaled by ``hp`` and added, UNROLL
    rows at a time, then the rest one by one."""
    n = UNROLL
    code("j = 0", f"while j + {n} <= H:")
    with code.indented():
        code(*(f"q{i} = hp[j + {i}]" if i else "q0 = hp[j]" for i in range(n)),
             *(f"w{i} = WT[j + {i}]" if i else "w0 = WT[j]" for i in range(n)),
             "for k in range(kH):",
             f"    {target}[k] += " + " + ".join(f"q{i} * w{i}[k]" for i in range(n)),
             f"j += {n}")
    code("while j < H:")
    with code.indented():
        code("q0 = hp[j]", "w0 = WT[j]", "for k in range(kH):",
             f"    {target}[k] += q0 * w0[k]", "j += 1")


def _dot_rows(code, start):
    """``back[j] = start + WT[j] . db`` for every j: dot products over the rows of ``WT``
    (H, kH), UNROLL at a time so that each ``db[k]`` is read once for all of them."""
    n = UNROLL

    def first(j):
        return start.format(j=j)

    code("j = 0", f"while j + {n} <= H:")
    with code.indented():
        code(*(f"w{i} = WT[j + {i}]" if i else "w0 = WT[j]" for i in range(n)),
             *(f"a{i} = {first(f'j + {i}' if i else 'j')}" for i in range(n)),
             "for k in range(kH):", "    d = db[k]",
             *(f"    a{i} += w{i}[k] * d" for i in range(n)),
             *(f"back[j + {i}] = a{i}" if i else "back[j] = a0" for i in range(n)),
             f"j += {n}")
    code("while j < H:")
    with code.indented():
        code("w0 = WT[j]", f"a0 = {first('j')}", "for k in range(kH):",
             "    a0 += w0[k] * db[k]", "back[j] = a0", "j += 1")


# --------------------------------------------------------------------------- the backward


def _terms_text(terms, values, coeff):
    """``sum(node * coefficient)`` as code: ``values`` names the nodes, ``coeff`` the
    coefficients (a coefficient 1 prints as the node alone)."""
    parts = [values[n] if c == 1 else f"{coeff[c]}*{values[n]}" for n, c in terms.items()]
    return " + ".join(parts)


def _backward(code, pl, act):
    cell, adj = pl.cell, pl.adj
    k = cell.k
    tape_args = [f"tape_{name}" for name in pl.fields]
    args = ["W", "WT", "G"] + tape_args + (["dA"] if pl.separate_da else []) + ["dB"]
    what = f" with f = {act.name}" if act is not None else ""
    code("", "", JIT_REASSOC,
         f"def backward{_suffix(act)}({', '.join(args)}):",
         f'    """Exact BPTT through the {cell.title or cell.name}{what}: fills dB (T, B, kH), '
         "the adjoints of",
         "    b_t = W h_(t-1) + b_W at every step"
         + (", and dA, those of a_t = U x_t + b_U." if pl.separate_da else
            " (equal to those of a_t = U x_t + b_U)."),
         "    G (T, B, H) holds g_t = V^T (yhat_t - y_t); the tape is what ``forward`` filled.",
         '    """')
    with code.indented():
        code("T, B, H = G.shape", "kH = W.shape[0]", "dtype = G.dtype")
        mark = len(code.lines)
        state0 = cell.states[0]
        direct0 = bool(adj.grad_prev[0])
        code(f"carry = np.zeros((B, H), dtype)  # what step t + 1 sends back to {state0}_t")
        if direct0:
            code("direct = np.zeros((B, H), dtype)  # the part of it not through W")
        for state in cell.states[1:]:
            code(f"next_{state} = np.zeros((B, H), dtype)  # what step t + 1 sends to "
                 f"{state}_t")
        # the coefficients: formulas in forward values only, shared subexpressions once
        coefficients = list(adj.coefficients)
        coeff = {c: f"c{i}" for i, c in enumerate(coefficients)}
        bound = [_bind(c, act) for c in coefficients]
        replacements, reduced = sp.cse(bound, symbols=sp.numbered_symbols("x"),
                                       optimizations="basic")
        free = set().union(*(e.free_symbols for e in bound)) if bound else set()
        loads, names = [], {}
        for v, name in pl.tape:
            if v in free:
                local = f"{name}_new" if v in cell.new else _plain(v)
                loads.append(f"{local} = {name}_t[u]")
                names[v] = local
        for prev, state in zip(cell.previous, cell.states, strict=True):
            if prev in free:
                loads.append(f"{_plain(prev)} = {state}_prev[u]")
                names[prev] = _plain(prev)
        printer = NumbaPrinter(names)

        def zero():
            return printer.constant(0)

        if free & set(cell.previous):
            code("zero_row = np.zeros(H, dtype)  # the states before the first step")
        code("for t in range(T - 1, -1, -1):")
        with code.indented():
            code("for m in range(B):")
            with code.indented():
                code("g_out = G[t, m]", "carry_m = carry[m]")
                if direct0:
                    code("direct_m = direct[m]")
                for state in cell.states[1:]:
                    code(f"next_{state}_m = next_{state}[m]")
                for v, name in pl.tape:
                    if v in free:
                        code(f"{name}_t = tape_{name}[t, m]")
                for prev, state in zip(cell.previous, cell.states, strict=True):
                    if prev in free:
                        code(f"{state}_prev = zero_row if t == 0 else tape_{state}[t - 1, m]")
                code("db = dB[t, m]")
                if pl.separate_da:
                    code("da = dA[t, m]")
                for i, block in enumerate(cell.blocks):
                    if k == 1:  # one block: the whole row
                        break
                    code(f"db_{block} = db[{_block_range(cell, i)}]")
                    if pl.separate_da:
                        code(f"da_{block} = da[{_block_range(cell, i)}]")
                code("for u in range(H):")
                with code.indented():
                    code(*loads)
                    for temp, value in replacements:
                        printer.names[temp] = temp.name
                        code(f"{temp.name} = {printer.doprint(value)}")
                    for c, value in zip(coefficients, reduced, strict=True):
                        code(f"# {coeff[c]} = {_bind(c, act)}",
                             f"{coeff[c]} = {printer.doprint(value)}")
                    values = {}
                    for i, (d, state) in enumerate(zip(adj.incoming, cell.states,
                                                       strict=True)):
                        name = _plain(d)
                        code(f"{name} = g_out[u] + carry_m[u]" if i == 0 else
                             f"{name} = next_{state}_m[u]")
                        values[d] = name
                    for node in adj.nodes:
                        name = _plain(node.symbol)
                        code(f"# {node.symbol} = "
                             + " + ".join(f"{n}*{c}" for n, c in node.terms.items()),
                             f"{name} = {_terms_text(node.terms, values, coeff)}")
                        values[node.symbol] = name
                    for i, (block, b_sym) in enumerate(zip(cell.blocks, cell.b, strict=True)):
                        suffix = f"_{block}" if block else ""
                        text = _terms_text(adj.grad_b[i], values, coeff) or zero()
                        target = f"db{suffix}[u]"
                        if pl.separate_da:
                            if adj.grad_a[i] == adj.grad_b[i]:
                                target = f"db{suffix}[u] = da{suffix}[u]"
                            else:
                                a_text = _terms_text(adj.grad_a[i], values, coeff) or zero()
                                code(f"# d_{_plain(cell.a[i])} = {a_text}",
                                     f"da{suffix}[u] = {a_text}")
                        code(f"# d_{_plain(b_sym)} = {text}", f"{target} = {text}")
                    for j, state in enumerate(cell.states):
                        text = _terms_text(adj.grad_prev[j], values, coeff)
                        if j == 0:
                            if direct0:
                                code(f"# {state}_(t-1), not through W: {text}",
                                     f"direct_m[u] = {text}")
                        else:
                            code(f"# {state}_(t-1): {text or 0}",
                                 f"next_{state}_m[u] = {text or zero()}")
            code("if t == 0:", "    break")
            code(f"# what step t sends back to {state0}_(t-1): d_b W"
                 + (" + the direct part" if direct0 else ""))
            code("if B > 1:")
            with code.indented():
                code("np.dot(dB[t], W, carry)  # one matrix product for the batch")
                if direct0:
                    code("for m in range(B):", "    for j in range(H):",
                         "        carry[m, j] += direct[m, j]")
            code("else:  # one sequence: dot products over the rows of W.T")
            with code.indented():
                code("db = dB[t, 0]", "back = carry[0]")
                _dot_rows(code, "direct[0, {j}]" if direct0 else zero())
        _constants_at(code, mark, printer, "dtype")
    return printer.used


# ---------------------------------------------------------------------------- the module


def cell_source(cell):
    """The text of ``bptt_book/generated/numba_<name>.py`` for the built-in ``cell``."""
    pl = plan(cell)
    acts = _activations(cell)
    body = Code()
    used = set()
    for act in acts:
        used |= _forward(body, pl, act)
        used |= _backward(body, pl, act)
    code = Code()
    lines = "\n".join(f"    {line}" for line in cell.equations)
    title = f"The {cell.title or cell.name} (cell ``{cell.name}``), compiled target"
    code(f'''"""{title}: GENERATED CODE, do not edit by hand.

Its equations (bptt_book.derivation.cells), per hidden unit, with a = U x_t + b_U and
b = W {cell.output_state}_(t-1) + b_W cut into the blocks {', '.join(repr(b) for b in cell.blocks)}:

{lines}

Written by ``{COMMAND}`` from the SymPy derivation, through
:mod:`bptt_book.derivation.numba_target`; ``{COMMAND} --check`` fails when this file
differs from what the derivation prints today.  Inside every loop over hidden units ``u``
each right-hand side is printed from a SymPy expression, quoted in the comment above it.
Arrays are time-major: token ids ``xT`` are (T, B) and every stored array is (T, B, H).
This module imports Numba; ``bptt_book.backend`` imports it only when the compiled backend
runs (``import bptt_book`` never does).
"""
''')
    code("import numpy as np", "from numba import njit", "")
    helpers = sorted(used)
    if helpers:
        code(f"from ..vmath import {', '.join(helpers)}", "")
    code(f"NAME = {cell.name!r}", f"STATES = {tuple(cell.states)!r}",
         f"BLOCKS = {tuple(cell.blocks)!r}", f"BIASES = {cell.biases!r}",
         "#: The arrays ``forward`` fills, each (T, B, H), in its argument order",
         f"TAPE = {pl.fields!r}",
         "#: True when some block's input adjoint differs from its recurrent one (dA != dB)",
         f"SEPARATE_DA = {pl.separate_da!r}")
    code.lines.extend(body.lines)
    table = ", ".join(f"{(act.name if act else None)!r}: (forward{_suffix(act)}, "
                      f"backward{_suffix(act)})" for act in acts)
    code("", "", "#: activation name (None: the cell's own) -> (forward, backward)",
         f"KERNELS = {{{table}}}")
    return code.text()


def module_name(cell):
    """The generated module's file name for ``cell``."""
    return f"numba_{cell.name}.py"


def registry_source(cells):
    """``generated/numba_cells.py``: the compiled modules by cell name, imported together (the
    first compiled gradient imports this module, and with it Numba)."""
    names = sorted(cell.name for cell in cells)
    code = Code()
    code(f'''"""The compiled target's cells: GENERATED CODE, do not edit by hand.

Written by ``{COMMAND}`` (:mod:`bptt_book.derivation.numba_target`).  Importing this module
imports Numba; ``bptt_book.backend`` does so at the first compiled gradient.
"""
''')
    code(f"from . import {', '.join(f'numba_{n}' for n in names)}", "",
         "#: name -> the compiled module of every built-in cell",
         "CELLS = {" + ", ".join(f"{c.name!r}: numba_{c.name}" for c in cells) + "}")
    return code.text()


def sources():
    """``{file name: text}`` of the compiled target's files in :mod:`bptt_book.generated`."""
    out = {module_name(cell): cell_source(cell) for cell in BUILT_IN.values()}
    out["numba_cells.py"] = registry_source(BUILT_IN.values())
    return out


__all__ = ["NumbaPrinter", "Plan", "cell_source", "module_name", "plan", "registry_source",
           "sources"]

