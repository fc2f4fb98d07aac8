"""The model: initialisation, forward pass, loss."""

import numpy as np
import pytest

import bptt_book as bb
from bptt_book.generated import activations as generated
from bptt_book.reference import forward_loop


def test_init_params_follows_the_tutorial():
    p = bb.init_params(50, 7, seed=4)
    assert (p.U.shape, p.V.shape, p.W.shape) == ((7, 50), (50, 7), (7, 7))
    assert all(a.dtype == np.float64 for a in p)
    assert np.abs(p.U).max() <= 1 / np.sqrt(50) and np.abs(p.U).max() > 0.9 / np.sqrt(50)
    assert np.abs(p.V).max() <= 1 / np.sqrt(7) and np.abs(p.W).max() <= 1 / np.sqrt(7)
    rng = np.random.default_rng(4)  # drawn in the order U, V, W
    np.testing.assert_array_equal(p.U, rng.uniform(-1 / np.sqrt(50), 1 / np.sqrt(50), (7, 50)))
    np.testing.assert_array_equal(p.V, rng.uniform(-1 / np.sqrt(7), 1 / np.sqrt(7), (50, 7)))
    np.testing.assert_array_equal(bb.init_params(50, 7, seed=4).W, p.W)
    assert not np.array_equal(bb.init_params(50, 7, seed=5).W, p.W)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_forward_matches_the_loop_reference(activation):
    p = bb.init_params(30, 6, seed=0)
    p = bb.Params(*(2 * a for a in p))
    x = np.array([3, 1, 4, 1, 5, 9, 2, 6])
    s, o = bb.forward(p, x, activation=activation)
    s_ref, o_ref = forward_loop(*p, x, activation)
    np.testing.assert_allclose(s, s_ref[:-1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(o, o_ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(o.sum(axis=1), 1, rtol=1e-12)


def test_first_state_sees_only_the_first_word():
    p = bb.init_params(10, 3, seed=0)
    s, _ = bb.forward(p, [7, 2])
    np.testing.assert_allclose(s[0], np.tanh(p.U[:, 7]), rtol=1e-14)  # s_{-1} = 0
    np.testing.assert_allclose(s[1], np.tanh(p.U[:, 2] + p.W @ s[0]), rtol=1e-14)


def test_a_batch_is_a_stack_of_sequences():
    p = bb.init_params(12, 4, seed=1)
    x = np.array([[1, 2, 3], [4, 5, 6]])
    s, o = bb.forward(p, x)
    assert s.shape == (2, 3, 4) and o.shape == (2, 3, 12)
    for b in range(2):
        s_b, o_b = bb.forward(p, x[b])
        np.testing.assert_allclose(s[b], s_b, rtol=1e-14)
        np.testing.assert_allclose(o[b], o_b, rtol=1e-14)
    y = np.array([[2, 3, 4], [5, 6, 7]])
    assert bb.loss(p, x, y) == pytest.approx(bb.loss(p, x[0], y[0]) + bb.loss(p, x[1], y[1]))


def test_loss_is_the_sum_of_negative_log_probabilities():
    p = bb.init_params(12, 4, seed=2)
    x, y = np.array([0, 5, 3]), np.array([5, 3, 11])
    _, o = bb.forward(p, x)
    assert bb.loss(p, x, y) == pytest.approx(-np.log(o[np.arange(3), y]).sum(), rel=1e-13)
    assert isinstance(bb.loss(p, x, y), float)


def test_untrained_loss_per_word_is_near_log_D():
    for D in (100, 1000, 8000):
        p = bb.init_params(D, 100, seed=0)
        x = np.arange(30) % D
        assert bb.loss(p, x, (x + 1) % D) / 30 == pytest.approx(np.log(D), rel=0.01)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_huge_logits_stay_finite(activation):
    p = bb.init_params(5, 3, seed=0)
    p = bb.Params(p.U * 1e4, p.V * 1e4, p.W * 1e4)
    x, y = [0, 1, 2, 3], [1, 2, 3, 4]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = bb.loss(p, x, y)
        grads = bb.bptt(p, x, y, activation=activation)
    assert np.isfinite(value)
    assert all(np.isfinite(g).all() for g in grads)


def test_generated_activations_against_numpy_definitions():
    """f to full relative precision; f' from the output s to absolute precision: writing
    f' in s costs the cancellation in 1 - s (or 1 - s**2) where s is near 1."""
    z = np.linspace(-50, 50, 1001)
    eps = np.finfo(float).eps
    f, fp = generated.ACTIVATIONS["sigmoid"]
    with np.errstate(over="ignore"):
        logistic = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(f(z), logistic, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(fp(f(z)), logistic * (1 - logistic), rtol=1e-9, atol=eps)
    f, fp = generated.ACTIVATIONS["relu"]
    np.testing.assert_array_equal(fp(f(z)), (z > 0).astype(float))
    f, fp = generated.ACTIVATIONS["tanh"]
    np.testing.assert_allclose(fp(f(z)), 1 / np.cosh(z) ** 2, rtol=1e-9, atol=2 * eps)
