"""Real-time recurrent learning: derived, proved against the unrolled loss, and equal to BPTT."""

import functools
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import sympy as sp
from helpers import assert_grads_close, large_model, sequences

import bptt_book as bb
from bptt_book import cells
from bptt_book.derivation import rtrl, unrolled
from bptt_book.derivation import symbols as sym
from bptt_book.derivation.cell import fprime
from bptt_book.derivation.cells import BUILT_IN
from bptt_book.generated.activations import ACTIVATIONS

CASES = [(name, act) for name in BUILT_IN
         for act in (ACTIVATIONS if cells.by_name(name).PLUGGABLE else [None])]

#: An expected gradient that is exactly zero must come out exactly zero.
_close = functools.partial(assert_grads_close, zero_atol=0.0)


@pytest.mark.parametrize(("cell", "activation"), CASES)
def test_rtrl_equals_exact_bptt(cell, activation):
    p = large_model(cell)
    x, y = sequences(7, T=8)
    got, want = bb.rtrl(p, x, y, activation=activation), bb.bptt(p, x, y, activation=activation)
    assert type(got) is type(want)
    _close(got, want)
    one = bb.rtrl(p, x[0], y[0], activation=activation)  # a single 1-D sequence
    np.testing.assert_allclose(one.W, bb.bptt(p, x[0], y[0], activation=activation).W,
                               rtol=1e-9, atol=1e-15)


def test_rtrl_in_float32_and_inputs_untouched():
    p = large_model("lstm")
    p32 = type(p)(*(a.astype(np.float32) for a in p))
    x, y = sequences(7, T=8)
    copies = [a.copy() for a in p32], x.copy(), y.copy()
    g32 = bb.rtrl(p32, x, y)
    assert all(a.dtype == np.float32 for a in g32)
    for a, b in zip(g32, bb.rtrl(p, x, y), strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-5 * np.abs(b).max())
    assert all(np.array_equal(a, b) for a, b in zip(copies[0], p32, strict=True))
    assert np.array_equal(copies[1], x) and np.array_equal(copies[2], y)


def test_rtrl_checks_its_arguments():
    p = large_model("rnn")
    with pytest.raises(ValueError, match="activation must be one of"):
        bb.rtrl(p, [1, 2], [2, 3], activation="gelu")
    with pytest.raises(ValueError, match="same shape"):
        bb.rtrl(p, [1, 2], [2, 3, 4])
    with pytest.raises(TypeError, match="params must be"):
        bb.rtrl([1, 2], [1], [2])


def test_rtrl_memory_does_not_grow_with_the_sequence():
    """The sensitivities replace the stored history: the peak of what NumPy allocates for a
    whole gradient is the same for 40 and for 400 steps, while BPTT's grows about tenfold."""
    p = large_model("gru", D=5, H=6)

    def peak(function, T):
        x, y = sequences(5, B=1, T=T, seed=2)
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            function(p, x, y)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    short, long = peak(bb.rtrl, 40), peak(bb.rtrl, 400)
    assert long < 1.2 * short, (short, long)
    assert peak(bb.bptt, 400) > 5 * peak(bb.bptt, 40)


def test_rtrl_never_imports_sympy():
    code = ("import sys, bptt_book as bb\n"
            "bb.rtrl(bb.init_params(6, 3, cell='lstm', seed=0), [1, 2, 3], [2, 3, 4])\n"
            "bb.bptt(bb.init_params(6, 3, seed=0), [1, 2, 3], [2, 3, 4], truncate=2, "
            "scheme='random', rng=0)\n"
            "assert 'sympy' not in sys.modules, 'sympy was imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------ the derivation


def test_the_plain_rnn_recursion_is_the_step_jacobian_plus_the_direct_derivative():
    r = rtrl.rnn_tangent()
    f = sp.DiagMatrix(sym.fprime_t)
    assert r.s_dot == f * (rtrl.Udot * sym.x_t + sym.W * rtrl.sdot_prev
                           + rtrl.Wdot * sym.s_prev)
    assert r.s_dot_split.has(f * sym.W * rtrl.sdot_prev)
    # the cell pipeline's per-unit line says the same: fprime(s') * (adot + bdot)
    t = rtrl.derive(BUILT_IN["rnn"])
    (line,) = t.lines
    (new,) = BUILT_IN["rnn"].new
    assert sp.expand(line - fprime(new) * (t.dot_a[0] + t.dot_b[0])) == 0
    assert t.b_dot == rtrl.Wdot_cell * sym.s_prev + sym.W_cell * rtrl.hdot + rtrl.b_Wdot


def test_the_lstm_cell_carries_its_own_tangent():
    t = rtrl.derive(BUILT_IN["lstm"])
    h, c = BUILT_IN["lstm"].previous
    assert t.direct[(1, 1)] == sp.Symbol("f", real=True)  # d c_t / d c_(t-1) = f_t
    assert (1, 0) not in t.direct and (0, 0) not in t.direct  # h reaches the step through W


@pytest.mark.slow
@pytest.mark.parametrize(("cell", "activation", "H"),
                         [("rnn", "tanh", 2), ("rnn", "sigmoid", 2), ("gru", None, 1),
                          ("lstm", None, 1)])
def test_rtrl_equals_the_unrolled_derivative_exactly(cell, activation, H):
    result = unrolled.prove_rtrl(BUILT_IN[cell], H, 2, x=[0, 1], y=[1, 0],
                                 activation=activation)
    assert result == dict.fromkeys(cells.by_name(cell).PARAMS._fields, True)


def test_the_rtrl_proof_catches_a_wrong_recursion(monkeypatch):
    """Forget that the state moves through b_t = W s_(t-1) (keep only fprime * adot): the
    proof fails for U and W, whose influence travels along that path, and holds for V, which
    the recursion does not carry."""
    right = rtrl.derive(BUILT_IN["rnn"])
    (line,) = right.lines
    wrong = rtrl.CellTangent(right.cell, right.dot_prev, right.dot_a, right.dot_b,
                             right.dot_new, right.direct, {}, right.through_a,
                             (line.subs(right.dot_b[0], 0),), right.b_dot, right.a_dot)
    monkeypatch.setattr(rtrl, "derive", lambda cell: wrong)
    result = unrolled.prove_rtrl(BUILT_IN["rnn"], 2, 2, x=[0, 1], y=[1, 0])
    assert result == {"U": False, "V": True, "W": False}
