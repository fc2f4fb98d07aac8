"""bptt against independent references: the tutorial's loop and finite differences."""

import subprocess
import sys

import numpy as np
import pytest
from helpers import assert_grads_close
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt_book as bb
from bptt_book.generated import activations as generated_activations
from bptt_book.reference import bptt_loop

# Every activation of the table (bptt_book.derivation.activations), in its order.
ACTIVATIONS = list(generated_activations.ACTIVATIONS)


def random_case(rng, D, H, T, scale=1.0):
    p = bb.init_params(D, H, seed=int(rng.integers(1 << 30)))
    p = bb.Params(*(scale * a for a in p))
    return p, rng.integers(0, D, T), rng.integers(0, D, T)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("truncate", [None, 0, 1, 3, 100])
def test_matches_the_tutorial_loop(activation, truncate):
    rng = np.random.default_rng(7)
    p, x, y = random_case(rng, D=30, H=6, T=12, scale=3.0)
    K = 10**6 if truncate is None else truncate
    assert_grads_close(bb.bptt(p, x, y, truncate=truncate, activation=activation),
                       bptt_loop(*p, x, y, K, activation))


@settings(max_examples=60, deadline=None)
@given(
    D=st.integers(1, 25), H=st.integers(1, 8), T=st.integers(1, 15),
    truncate=st.one_of(st.none(), st.integers(0, 16)),
    activation=st.sampled_from(ACTIVATIONS), seed=st.integers(0, 2**32 - 1),
    scale=st.floats(0.1, 4.0),
)
def test_matches_the_tutorial_loop_on_random_cases(D, H, T, truncate, activation, seed, scale):
    rng = np.random.default_rng(seed)
    p, x, y = random_case(rng, D, H, T, scale)
    K = 10**6 if truncate is None else truncate
    assert_grads_close(bb.bptt(p, x, y, truncate=truncate, activation=activation),
                       bptt_loop(*p, x, y, K, activation))


@settings(max_examples=25, deadline=None)
@given(B=st.integers(1, 4), T=st.integers(1, 9), truncate=st.one_of(st.none(), st.integers(0, 9)),
       activation=st.sampled_from(ACTIVATIONS), seed=st.integers(0, 2**32 - 1))
def test_a_batch_gives_the_sum_of_its_sequences(B, T, truncate, activation, seed):
    rng = np.random.default_rng(seed)
    p = bb.init_params(20, 5, seed=seed % 1000)
    x, y = rng.integers(0, 20, (B, T)), rng.integers(0, 20, (B, T))
    per_sequence = [bb.bptt(p, x[b], y[b], truncate=truncate, activation=activation)
                    for b in range(B)]
    total = bb.Params(*(sum(g[i] for g in per_sequence) for i in range(3)))
    assert_grads_close(bb.bptt(p, x, y, truncate=truncate, activation=activation), total)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_exact_gradient_matches_finite_differences(activation):
    p, x, y = bb.init_params(40, 6, seed=3), [5, 9, 5, 31, 2, 7], [9, 5, 31, 2, 7, 0]
    result = bb.gradient_check(p, x, y, activation=activation)
    assert result.passed, str(result)
    assert max(result.max_error.values()) < 1e-5


def test_truncation_is_exact_once_it_reaches_the_start():
    p, x, y = bb.init_params(30, 5, seed=1), np.arange(8), np.arange(1, 9)
    exact = bb.bptt(p, x, y)
    for K in (7, 8, 50):
        assert_grads_close(bb.bptt(p, x, y, truncate=K), exact)
    short = bb.bptt(p, x, y, truncate=2)
    assert not np.allclose(short.W, exact.W)
    np.testing.assert_array_equal(short.V, exact.V)  # V sees no recurrence


def test_gradient_check_reports_truncation_bias():
    p, x, y = bb.init_params(30, 5, seed=1), np.arange(8), np.arange(1, 9)
    assert not bb.gradient_check(p, x, y, truncate=1).passed


def test_gradient_check_treats_both_zero_entries_as_exact_agreement(small_model):
    p, x, y = small_model
    result = bb.gradient_check(p, x, y)
    # 96 of 100 words never occur: their columns of U have gradient exactly 0 both ways.
    assert result.both_zero == {"U": 960, "V": 0, "W": 0}
    assert result.passed and "passed" in str(result)


def test_gradient_check_fails_a_wrong_gradient(small_model, monkeypatch):
    p, x, y = small_model
    real = bb.gradients.gradients_of

    def wrong(*args, **kwargs):
        dU, dV, dW = real(*args, **kwargs)
        return bb.Params(dU, dV, 1.01 * dW)

    monkeypatch.setattr(bb.gradients, "gradients_of", wrong)
    result = bb.gradient_check(p, x, y)
    assert result.max_error["W"] > 1e-3 and not result.passed


@pytest.mark.parametrize("truncate", [None, 2])
def test_float32_parameters_give_float32_gradients(truncate):
    p64, x, y = bb.init_params(50, 8, seed=2), np.arange(10), np.arange(1, 11)
    p32 = bb.Params(*(a.astype(np.float32) for a in p64))
    g32 = bb.bptt(p32, x, y, truncate=truncate)
    g64 = bb.bptt(p64, x, y, truncate=truncate)
    for a, b in zip(g32, g64, strict=True):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=1e-5 * np.abs(b).max())


@pytest.mark.parametrize("truncate", [None, 1])
def test_inputs_are_never_modified(truncate):
    p, x, y = bb.init_params(20, 4, seed=5), np.array([1, 2, 3, 2]), np.array([2, 3, 2, 1])
    copies = [a.copy() for a in (*p, x, y)]
    for a in (*p, x, y):
        a.flags.writeable = False  # any write raises
    bb.bptt(p, x, y, truncate=truncate)
    bb.forward(p, x)
    bb.loss(p, x, y)
    for a, b in zip((*p, x, y), copies, strict=True):
        np.testing.assert_array_equal(a, b)


def test_computing_a_gradient_never_imports_sympy():
    code = (
        "import sys, numpy as np, bptt_book as bb\n"
        "p = bb.init_params(20, 4, seed=0)\n"
        "bb.bptt(p, [1, 2, 3], [2, 3, 4]); bb.bptt(p, [1, 2, 3], [2, 3, 4], truncate=1)\n"
        "bb.loss(p, [1], [2]); bb.forward(p, [1])\n"
        "assert 'sympy' not in sys.modules, 'sympy was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
