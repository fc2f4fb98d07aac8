"""The compiled target (bptt_book/generated/numba_<cell>.py) against the NumPy reference, and
how the backend is chosen (bptt_book.backend, BPTT_BOOK_BACKEND).

The agreement tests need Numba and SciPy (the `fast` extra; ``tox -e fast``); the selection
and import tests run everywhere.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

import bptt_book as bb
from bptt_book import backend, cells
from bptt_book.derivation import numba_target
from bptt_book.derivation.adjoint import derive
from bptt_book.derivation.cells import BUILT_IN
from bptt_book.dynamics import bptt_in
from bptt_book.generated.activations import ACTIVATIONS

HAVE_NUMBA = backend.installed()
needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="needs the 'fast' extra (Numba, SciPy)")

CASES = [(name, act) for name in BUILT_IN
         for act in (ACTIVATIONS if cells.by_name(name).PLUGGABLE else [None])]
SHAPES = {"one sequence": (7,), "a batch of one": (1, 7), "a batch": (4, 7), "one step": (3, 1)}


def _problem(cell, shape, D=11, H=5, seed=0, dtype=np.float64):
    """Weights with large recurrent parts and non-zero biases, and repeated words."""
    p = bb.init_params(D, H, cell=cell, seed=seed)
    p = p._replace(W=2.0 * p.W)
    p = type(p)(*(a.astype(dtype) for a in p))
    rng = np.random.default_rng(seed + 1)
    return p, rng.integers(0, D, shape), rng.integers(0, D, shape)


def _gradients(name, p, x, y, **kwargs):
    with backend.use(name):
        return bb.bptt(p, x, y, **kwargs)


def _close(got, want, rtol=1e-9):
    assert type(got) is type(want)
    for field, a, b in zip(want._fields, got, want, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape, field
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-3 * np.abs(b).max(),
                                   err_msg=field)


class _Counting:
    """Wrap a compiled module's kernels to count the calls (the backend looks them up in
    ``KERNELS`` at every gradient)."""

    def __init__(self, monkeypatch, cell):
        from importlib import import_module

        module = import_module(f"bptt_book.generated.numba_{cell}")
        self.calls = 0
        kernels = {}
        for act, (forward, backward) in module.KERNELS.items():
            def counted(*args, _forward=forward):
                self.calls += 1
                return _forward(*args)

            kernels[act] = (counted, backward)
        monkeypatch.setattr(module, "KERNELS", kernels)


# ------------------------------------------------------------------------------ agreement


@needs_numba
@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
@pytest.mark.parametrize(("cell", "activation"), CASES)
def test_compiled_gradient_equals_the_numpy_reference(cell, activation, shape):
    p, x, y = _problem(cell, shape)
    _close(_gradients("numba", p, x, y, activation=activation),
           _gradients("numpy", p, x, y, activation=activation))


@needs_numba
@pytest.mark.parametrize(("cell", "activation"), CASES)
def test_float32_stays_float32_and_agrees(cell, activation):
    p, x, y = _problem(cell, (3, 9), dtype=np.float32)
    got = _gradients("numba", p, x, y, activation=activation)
    want = _gradients("numpy", p, x, y, activation=activation)
    assert all(a.dtype == np.float32 for a in got)
    for field, a, b in zip(want._fields, got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * np.abs(b).max(), err_msg=field)


@needs_numba
def test_half_precision_computes_on_the_numpy_reference():
    """The kernels are built for float32 and float64; a gradient in half precision
    (``dynamics.bptt_in``, which promotes nothing) falls back to the NumPy reference, since
    Numba has no float16, and is the same bit for bit under either choice."""
    p, x, y = _problem("rnn", (3, 9))
    with backend.use("numba"):
        got = bptt_in(p, x, y, np.float16)
    with backend.use("numpy"):
        want = bptt_in(p, x, y, np.float16)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype == np.float16
        np.testing.assert_array_equal(a, b)


@needs_numba
@pytest.mark.parametrize("cell", [name for name in BUILT_IN if name != "rnn"])
def test_gated_cells_compiled_agree_with_pytorch(cell):
    from test_cells import _torch_gradients

    p, x, y = _problem(cell, (3, 7), D=9, H=4, seed=3)
    _close(_gradients("numba", p, x, y), _torch_gradients(p, x, y, cell, None))


@needs_numba
@pytest.mark.parametrize("cell", list(BUILT_IN))
def test_a_long_sequence_over_a_large_vocabulary_agrees(cell):
    """Several blocks of logits, words repeated many times (the dU scatter adds them)."""
    D = 3000
    p, x, y = _problem(cell, (2, 400), D=D, H=6)
    x[:, ::3] = 7
    _close(_gradients("numba", p, x, y), _gradients("numpy", p, x, y))


@needs_numba
def test_parameters_in_any_memory_layout_and_inputs_untouched():
    p, x, y = _problem("lstm", (2, 6))
    odd = type(p)(np.asfortranarray(p.U), p.V.T.copy().T, np.asfortranarray(p.W),
                  np.repeat(p.bU, 2)[::2], p.bW)
    copies = [a.copy() for a in odd], x.copy(), y.copy()
    _close(_gradients("numba", odd, x, y), _gradients("numpy", p, x, y))
    assert all(np.array_equal(a, b) for a, b in zip(copies[0], odd, strict=True))
    assert np.array_equal(copies[1], x) and np.array_equal(copies[2], y)


@needs_numba
def test_non_finite_logits_raise_the_same_error_on_both_paths():
    p, x, y = _problem("gru", (7,))
    p = p._replace(V=p.V.copy())
    p.V[3, 0] = np.inf
    messages = []
    for name in ("numpy", "numba"):
        with pytest.raises(ValueError) as error:
            _gradients(name, p, x, y)
        messages.append(str(error.value))
    assert messages[0] == messages[1] == "V contains NaN or infinite values"


@needs_numba
def test_training_takes_the_same_steps_on_both_paths():
    from bptt_book.training import train

    p, x, y = _problem("gru", (12, 6), D=7, H=4)
    histories = []
    for name in ("numpy", "numba"):
        with backend.use(name):
            histories.append(train(p, x, y, epochs=3, learning_rate=0.1, batch_size=4))
    np.testing.assert_allclose(histories[1].loss, histories[0].loss, rtol=1e-9)
    _close(histories[1].params, histories[0].params)


# -------------------------------------------------------------------------- which path runs


@needs_numba
@pytest.mark.parametrize("cell", list(BUILT_IN))
def test_the_compiled_kernels_run_when_chosen(monkeypatch, cell):
    counter = _Counting(monkeypatch, cell)
    p, x, y = _problem(cell, (2, 5))
    _gradients("numba", p, x, y)
    assert counter.calls == 1
    _gradients("numpy", p, x, y)
    assert counter.calls == 1
    monkeypatch.setenv(backend.ENV, "auto")
    bb.bptt(p, x, y)
    assert counter.calls == 2
    monkeypatch.setenv(backend.ENV, "numpy")
    bb.bptt(p, x, y)
    assert counter.calls == 2


@needs_numba
@pytest.mark.parametrize(("cell", "activation"), CASES)
def test_truncated_gradients_agree_and_leave_v_alone(cell, activation):
    """A truncated gradient runs the compiled forward pass and output layer and the NumPy
    truncated backward pass: it equals the NumPy one, and its dV is the exact dV, bit for bit,
    as on the NumPy target."""
    p, x, y = _problem(cell, (3, 8))
    exact = _gradients("numba", p, x, y, activation=activation)
    for K in (0, 1, 3):
        got = _gradients("numba", p, x, y, truncate=K, activation=activation)
        _close(got, _gradients("numpy", p, x, y, truncate=K, activation=activation))
        np.testing.assert_array_equal(got.V, exact.V)


@needs_numba
def test_truncation_uses_the_compiled_forward_and_a_readers_cell_numpy(monkeypatch):
    from bptt_book.derivation.cell import Cell
    from bptt_book.derivation.generate import compile_cell

    counter = _Counting(monkeypatch, "rnn")
    p, x, y = _problem("rnn", (2, 6))
    _gradients("numba", p, x, y, truncate=2)
    assert counter.calls == 1
    _gradients("numba", p, x, y, truncate=5)  # K >= T - 1: exact
    assert counter.calls == 2
    mgu = compile_cell(Cell("mgutest", states=["h"], blocks=["f", "n"], equations=[
        "f = sigmoid(a_f + b_f)", "n = tanh(a_n + f*b_n)", "h' = (1 - f)*h + f*n"]))
    q, x, y = _problem(mgu, (2, 6))
    _close(_gradients("numba", q, x, y), _gradients("numpy", q, x, y))


def test_the_environment_variable_chooses(monkeypatch):
    monkeypatch.setenv(backend.ENV, "numpy")
    assert backend.requested() == "numpy" and backend.active() == "numpy"
    monkeypatch.setenv(backend.ENV, " Auto ")
    assert backend.active() == ("numba" if HAVE_NUMBA else "numpy")
    monkeypatch.setenv(backend.ENV, "")
    assert backend.requested() == "auto"
    monkeypatch.delenv(backend.ENV)
    assert backend.requested() == "auto"
    with backend.use("numpy"):
        monkeypatch.setenv(backend.ENV, "numba")
        assert backend.active() == "numpy"


def test_a_bad_choice_is_a_value_error_naming_it(monkeypatch):
    monkeypatch.setenv(backend.ENV, "cuda")
    p, x, y = _problem("rnn", (4,))
    with pytest.raises(ValueError, match="BPTT_BOOK_BACKEND must be one of auto, numpy, numba"):
        bb.bptt(p, x, y)
    monkeypatch.delenv(backend.ENV)
    with pytest.raises(ValueError, match="name must be one of"):
        with backend.use("fortran"):
            pass


def test_numba_asked_for_but_missing_says_how_to_install(monkeypatch):
    monkeypatch.setattr(backend, "installed", lambda: False)
    p, x, y = _problem("rnn", (4,))
    with backend.use("numba"), pytest.raises(ImportError, match=r"bptt_book\[fast\]"):
        bb.bptt(p, x, y)
    with backend.use("auto"):  # quietly NumPy
        _close(bb.bptt(p, x, y), _gradients("numpy", p, x, y))


@needs_numba
def test_a_broken_numba_falls_back_under_auto_and_fails_when_forced(monkeypatch):
    def broken(name):
        raise ImportError("Numba needs an older NumPy")

    monkeypatch.setattr(backend, "_modules", broken)
    monkeypatch.setattr(backend, "_broken", None)
    p, x, y = _problem("gru", (4,))
    with backend.use("numba"), pytest.raises(ImportError, match="older NumPy"):
        bb.bptt(p, x, y)
    with backend.use("auto"), pytest.warns(RuntimeWarning, match="failed to load"):
        got = bb.bptt(p, x, y)
    _close(got, _gradients("numpy", p, x, y))
    with backend.use("auto"):
        assert backend.active() == "numpy"


def _python(code, **env):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


IMPORTS = ("import sys, bptt_book as bb; {}; "
           "print('numba' in sys.modules, 'sympy' in sys.modules)")


def test_importing_the_package_imports_neither_numba_nor_sympy():
    assert _python(IMPORTS.format("pass")) == ["False", "False"]
    gradient = "bb.bptt(bb.init_params(9, 3, cell='lstm', seed=0), [1, 2], [2, 3])"
    assert _python(IMPORTS.format(gradient), BPTT_BOOK_BACKEND="numpy") == ["False", "False"]


@needs_numba
def test_the_first_compiled_gradient_imports_numba_and_still_not_sympy():
    gradient = "bb.bptt(bb.init_params(9, 3, cell='lstm', seed=0), [1, 2], [2, 3])"
    assert _python(IMPORTS.format(gradient), BPTT_BOOK_BACKEND="auto") == ["True", "False"]


# ------------------------------------------------------------------------------ the printer


@pytest.mark.parametrize("cell", list(BUILT_IN.values()), ids=list(BUILT_IN))
def test_every_printed_line_names_its_sympy_source(cell):
    """The compiled module quotes every line of the cell's equations and every coefficient
    of its backward step above the code printed from it."""
    from bptt_book.derivation.activations import NAMES, activation

    source = numba_target.sources()[f"numba_{cell.name}.py"]
    acts = [activation(n) for n in NAMES] if cell.uses_pluggable else [None]
    for act in acts:
        for target, expr in cell.program:
            assert f"# {target} = {numba_target._bind(expr, act)}\n" in source, (target, expr)
        for i, c in enumerate(derive(cell).coefficients):
            assert f"# c{i} = {numba_target._bind(c, act)}\n" in source, c


@pytest.mark.parametrize("cell", list(BUILT_IN.values()), ids=list(BUILT_IN))
def test_printed_coefficients_evaluate_to_the_derived_ones(cell):
    """Each coefficient as NumbaPrinter prints it, evaluated by Python on random numbers
    (typed constants bound to float64), equals SymPy's value of the derived expression."""
    from bptt_book.derivation.activations import NAMES, activation

    rng = np.random.default_rng(0)
    acts = [activation(n) for n in NAMES] if cell.uses_pluggable else [None]
    for act in acts:
        for c in derive(cell).coefficients:
            c = numba_target._bind(c, act)
            symbols = sorted(c.free_symbols, key=str)
            names = {s: f"v{i}" for i, s in enumerate(symbols)}
            printer = numba_target.NumbaPrinter(names)
            text = printer.doprint(c)
            values = rng.uniform(-2, 2, len(symbols))
            scope = {names[s]: float(v) for s, v in zip(symbols, values, strict=True)}
            scope.update({name: float(value) for value, name in printer.constants.items()})
            want = float(c.subs(dict(zip(symbols, values, strict=True))).evalf())
            assert eval(text, {}, scope) == pytest.approx(want, rel=1e-12), (c, text)


def test_the_printer_refuses_what_has_no_place_in_a_kernel():
    from bptt_book.derivation.checks import DerivationError

    u = sp.Symbol("u", real=True)
    printer = numba_target.NumbaPrinter({u: "u"})
    assert printer.doprint(u**3 - u**-2 + sp.Rational(3, 4)) == "(u*u*u) + c3_4 - one/(u*u)"
    assert printer.doprint(-u / 3 + 1 / u) == "-c1_3*u + one/u"
    for bad in (sp.exp(u), sp.sqrt(u), sp.Float(0.5) * u, sp.Symbol("w")):
        with pytest.raises((DerivationError, NotImplementedError)):
            printer.doprint(bad)


@needs_numba
def test_float32_kernels_do_no_float64_arithmetic():
    """Typed constants keep float32 in float32: the LSTM's kernels (tanh_, sigmoid_ and every
    constant of its adjoint) compiled for float32 hold no double-precision operation."""
    import re

    import numba

    from bptt_book.generated import numba_lstm

    p, x, y = _problem("lstm", (2, 3), dtype=np.float32)
    _gradients("numba", p, x, y)
    for kernel in (numba_lstm.forward, numba_lstm.backward):
        (sig,) = [s for s in kernel.signatures if "float32" in str(s)]
        options = {k: v for k, v in kernel.targetoptions.items()
                   if k not in ("cache", "nopython")}
        fresh = numba.njit(**options)(kernel.py_func)  # the cache keeps no IR to inspect
        fresh.compile(sig)
        ir = fresh.inspect_llvm(sig)
        assert re.search(r"<\d+ x float>", ir), "not vectorised"
        assert not re.search(r"(fadd|fsub|fmul|fdiv|fcmp \w+|fpext)[^\n]* double", ir)


def test_cached_results_are_keyed_on_the_compiled_code_too():
    """The experiments' cache hashes every module a gradient may run, the compiled ones
    included (backend imports them inside a function, where the cache's reader finds them)."""
    from bptt_book.experiments.cache import modules

    found = set(modules(["bptt_book.gradients"]))
    assert {"bptt_book.backend", "bptt_book.kernels", "bptt_book.vmath",
            "bptt_book.generated.numba_cells"} <= found
    assert {f"bptt_book.generated.numba_{name}" for name in BUILT_IN} <= found


@needs_numba
def test_the_memory_measure_of_the_book_sees_the_same_with_the_fast_extra():
    """figures.other_ways.peak_bytes measures on the NumPy reference whichever backend is
    chosen: tracemalloc does not see the compiled kernels' arrays, so chapter 7's memory
    comparisons would otherwise change with the extra installed."""
    from bptt_book.figures.other_ways import peak_bytes

    p, x, y = _problem("rnn", (200,))
    with backend.use("numba"):
        compiled = peak_bytes(lambda: bb.bptt(p, x, y))
    with backend.use("numpy"):
        reference = peak_bytes(lambda: bb.bptt(p, x, y))
    assert compiled == reference > 0
