"""Jacobians, their bound, gradient contributions and clipping."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt_book as bb
from bptt_book.derivation.activations import activation
from bptt_book.generated import activations as generated_activations

# Every activation of the table (bptt_book.derivation.activations), in its order.
ACTIVATIONS = list(generated_activations.ACTIVATIONS)


def run_from(p, x, k, s_k, activation):
    """s_{T-1} when the state at step k is replaced by s_k (a finite-difference oracle)."""
    f = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
         "relu": lambda z: np.maximum(z, 0)}[activation]
    s = s_k
    for t in range(k + 1, len(x)):
        s = f(p.U[:, x[t]] + p.W @ s)
    return s


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_jacobian_matches_finite_differences(activation):
    p = bb.init_params(12, 5, seed=3)
    p = bb.Params(p.U * 3, p.V, p.W * 3)
    x = [1, 4, 7, 2, 9, 3]
    s, _ = bb.forward(p, x, activation=activation)
    k, t = 1, len(x) - 1
    h = 1e-6
    numeric = np.column_stack([
        (run_from(p, x, k, s[k] + h * e, activation) - run_from(p, x, k, s[k] - h * e,
                                                                activation)) / (2 * h)
        for e in np.eye(5)
    ])
    np.testing.assert_allclose(bb.jacobian(p, x, t, k, activation=activation), numeric,
                               rtol=1e-6, atol=1e-9)


def test_jacobian_is_a_chain_and_the_identity_at_zero_distance():
    p, x = bb.init_params(10, 4, seed=1), [1, 2, 3, 4, 5, 6]
    np.testing.assert_array_equal(bb.jacobian(p, x, 3, 3), np.eye(4))
    np.testing.assert_allclose(bb.jacobian(p, x, 5, 1),
                               bb.jacobian(p, x, 5, 3) @ bb.jacobian(p, x, 3, 1), rtol=1e-12)


def test_jacobian_norms_agree_with_jacobian():
    p, x = bb.init_params(10, 4, seed=2), [1, 2, 3, 4, 5, 6]
    r = bb.jacobian_norms(p, x, t=4)
    for d in range(5):
        assert r.norm[d] == pytest.approx(np.linalg.norm(bb.jacobian(p, x, 4, 4 - d), 2),
                                          rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(activation=st.sampled_from(ACTIVATIONS), scale=st.floats(0.05, 8.0),
       H=st.integers(1, 8), T=st.integers(1, 12), seed=st.integers(0, 2**31))
def test_bound_holds_on_random_cases(activation, scale, H, T, seed):
    rng = np.random.default_rng(seed)
    p = bb.Params(rng.normal(size=(H, 9)), rng.normal(size=(9, H)),
                  scale * rng.normal(size=(H, H)) / np.sqrt(H))
    r = bb.jacobian_norms(p, rng.integers(0, 9, T), activation=activation)
    assert (r.norm <= r.bound * (1 + 1e-10) + 1e-300).all()


@pytest.mark.parametrize("c", [0.5, 0.9, 1.3])
def test_bound_is_tight_for_a_scaled_orthogonal_W_in_the_linear_regime(c):
    """tanh near 0 is the identity: with W = c Q and tiny inputs, ||J|| = c^d = bound."""
    H = 6
    Q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(H, H)))
    p = bb.Params(1e-7 * np.ones((H, 3)), np.zeros((3, H)), c * Q)
    r = bb.jacobian_norms(p, [0, 1, 2, 0, 1, 2, 0, 1], activation="tanh")
    np.testing.assert_allclose(r.norm, r.bound, rtol=1e-9)
    relu = bb.Params(np.ones((H, 3)), np.zeros((3, H)), c * np.eye(H))  # z > 0: f' = 1
    r = bb.jacobian_norms(relu, [0, 1, 2, 0, 1], activation="relu")
    np.testing.assert_allclose(r.norm, r.bound, rtol=1e-12)


def test_the_seeds_bound_of_one_does_not_hold():
    """The seed says ||ds_t/ds_{t-1}|| <= 1; that holds for diag(f') only, not with W."""
    p = bb.Params(np.zeros((3, 2)), np.zeros((2, 3)), 3 * np.eye(3))
    J = bb.jacobian(p, [0, 1], t=1, k=0)
    assert np.linalg.norm(J, 2) == pytest.approx(3.0)  # s = 0, so f' = 1 and J = W


def test_pascanu_regimes():
    H = 8
    Q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(H, H)))
    x = list(range(5)) * 4
    small_U = 1e-4 * np.random.default_rng(2).normal(size=(H, 5))
    # sigma_max(W) < 1/gamma is sufficient: every Jacobian shrinks at least geometrically.
    for name, gamma in (("tanh", 1.0), ("sigmoid", 0.25)):
        W = 0.8 / gamma * Q
        r = bb.jacobian_norms(bb.Params(small_U, np.zeros((5, H)), W), x, activation=name)
        assert (r.norm <= 0.8 ** r.distance * (1 + 1e-9)).all() and r.norm[-1] < 1e-1
    # sigma_max(W) > 1/gamma is necessary for growth; with tanh near 0 it also happens.
    r = bb.jacobian_norms(bb.Params(small_U, np.zeros((5, H)), 1.2 * Q), x[:10])
    assert r.norm[-1] > 4 and (np.diff(r.norm) > 0).all()


def test_gradient_contributions_are_the_pieces_of_dEt_dW():
    p = bb.init_params(15, 5, seed=4)
    p = bb.Params(p.U * 2, p.V, p.W * 2)
    x, y = np.array([1, 5, 3, 8, 2, 9]), np.array([5, 3, 8, 2, 9, 4])
    c = bb.gradient_contributions(p, x, y)

    def dW_last_output(K):  # dE_{T-1}/dW truncated at K, by the difference trick
        return (bb.bptt(p, x, y, truncate=K).W - bb.bptt(p, x[:-1], y[:-1], truncate=K).W)

    previous = np.zeros_like(p.W)
    for d in range(len(x)):
        now = dW_last_output(d)
        assert np.linalg.norm(now - previous) == pytest.approx(c[d], rel=1e-9, abs=1e-15)
        previous = now
    assert c[-1] == 0.0  # k = 0 multiplies s_{-1} = 0


def test_activation_bounds_are_exact():
    assert [bb.activation_bound(n) for n in ACTIVATIONS] == [1, sp.Rational(1, 4), 1]
    s = sp.Symbol("s", real=True)
    assert activation("sigmoid").certificate == (2 * s - 1) ** 2 / 4
    assert activation("tanh").certificate == s**2
    z = np.linspace(-20, 20, 4001)
    sig = 1 / (1 + np.exp(-z))
    assert (sig * (1 - sig)).max() == pytest.approx(0.25) and (1 - np.tanh(z) ** 2).max() == 1


def test_clip_gradients():
    rng = np.random.default_rng(0)
    g = bb.Params(rng.normal(size=(3, 4)), rng.normal(size=(4, 3)), rng.normal(size=(3, 3)))
    copies = [a.copy() for a in g]
    norm = bb.global_norm(g)
    assert norm == pytest.approx(np.sqrt(sum((a**2).sum() for a in g)))
    clipped = bb.clip_gradients(g, norm / 2)
    assert bb.global_norm(clipped) == pytest.approx(norm / 2)
    for a, b in zip(clipped, g, strict=True):
        np.testing.assert_allclose(a, b / 2)  # same direction
    assert all(np.array_equal(a, b) for a, b in zip(bb.clip_gradients(g, 2 * norm), g,
                                                     strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(g, copies, strict=True))


def test_global_norm_does_not_overflow():
    g = bb.Params(np.full((2, 2), 1e200), np.zeros((2, 2)), np.zeros((2, 2)))
    assert bb.global_norm(g) == pytest.approx(2e200)
    assert bb.global_norm(bb.clip_gradients(g, 5.0)) == pytest.approx(5.0)


@pytest.mark.parametrize(("threshold", "error"), [(-1.0, ValueError), (0, ValueError),
                                                 (float("nan"), ValueError), ("1", TypeError),
                                                 (True, TypeError)])
def test_clip_gradients_rejects_bad_thresholds(threshold, error):
    g = bb.Params(np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(error, match="threshold"):
        bb.clip_gradients(g, threshold)


def test_clip_gradients_rejects_nan():
    g = bb.Params(np.array([[np.nan]]), np.ones((1, 1)), np.ones((1, 1)))
    with pytest.raises(ValueError, match="NaN"):
        bb.clip_gradients(g, 1.0)


@pytest.mark.parametrize(("t", "k", "error"), [(5, 0, ValueError), (2, 3, ValueError),
                                              (-1, 0, ValueError), (1.0, 0, TypeError)])
def test_jacobian_rejects_bad_positions(t, k, error):
    with pytest.raises(error, match="t|k"):
        bb.jacobian(bb.init_params(5, 2, seed=0), [0, 1, 2], t, k)


def test_measuring_norms_never_imports_sympy():
    import subprocess
    import sys

    code = (
        "import sys, bptt_book as bb\n"
        "p = bb.init_params(10, 3, seed=0)\n"
        "bb.jacobian_norms(p, [1, 2, 3]); bb.gradient_contributions(p, [1, 2], [2, 3])\n"
        "bb.spectral_norm(p.W); bb.clip_gradients(bb.bptt(p, [1, 2], [2, 3]), 1.0)\n"
        "assert 'sympy' not in sys.modules, 'sympy was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_generated_gamma_is_the_derived_bound():
    from bptt_book.generated import activations as generated

    for name in ACTIVATIONS:
        assert generated.GAMMA[name] == float(bb.activation_bound(name))


# ------------------------------------------------------------------ input gradients


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_input_gradients_are_the_columns_of_dU_of_the_words(cell):
    """Each word occurs once, so dE/da_t is the gradient of U's column x_t (all blocks)."""
    p = bb.init_params(12, 4, cell=cell, seed=2)
    x, y = [3, 7, 1, 9, 4], [0, 2, 5, 0, 6]
    every = bb.input_gradients(p, x, y, output=None)
    dU = bb.bptt(p, x, y).U
    np.testing.assert_allclose(every, np.linalg.norm(dU[:, x], axis=0), rtol=1e-12)
    # The last output alone: the network is causal, so E_last = E(x, y) - E(x[:-1], y[:-1]),
    # and its gradient the difference of the two gradients.
    last = bb.input_gradients(p, x, y)
    dU_last = dU - bb.bptt(p, x[:-1], y[:-1]).U
    np.testing.assert_allclose(last, np.linalg.norm(dU_last[:, x], axis=0), rtol=1e-9)
    # output=t is the loss of output t alone, here through the prefix that ends at t
    np.testing.assert_allclose(bb.input_gradients(p, x, y, output=2)[:3],
                               bb.input_gradients(p, x[:3], y[:3]), rtol=1e-12)
    assert not bb.input_gradients(p, x, y, output=2)[3:].any()


def test_input_gradients_of_a_batch_and_bad_outputs():
    p = bb.init_params(10, 4, cell="gru", seed=0)
    x = np.array([[1, 2, 3], [4, 5, 6]])
    batch = bb.input_gradients(p, x, x)
    assert batch.shape == (2, 3)
    np.testing.assert_allclose(batch[1], bb.input_gradients(p, x[1], x[1]), rtol=1e-12)
    with pytest.raises(ValueError, match="output must be a step"):
        bb.input_gradients(p, x, x, output=3)
    with pytest.raises(TypeError, match="output must be"):
        bb.input_gradients(p, x, x, output=True)
    with pytest.raises(ValueError, match="same shape"):
        bb.input_gradients(p, x, x[:, :2])
