"""The GRU: SymPy's step Jacobian equals the closed form, and the NumPy code equals both."""

import numpy as np
import pytest

import bptt_book as bb
from bptt_book import gru
from bptt_book.derivation import gru as derivation
from bptt_book.derivation.onestep import DerivationError


def _random_gru(D=6, H=3, seed=1):
    """A GRU with large recurrent weights and non-zero biases, so that no term is small."""
    rng = np.random.default_rng(seed)
    p = gru.init_gru(D, H, update_bias=0.4, seed=seed)
    return p._replace(W_z=3 * p.W_z, W_r=3 * p.W_r, W_h=3 * p.W_h,
                      b_r=rng.normal(size=H), b_h=rng.normal(size=H))


def _step(p, s, word):
    """One GRU step written out again, independently of bptt_book.gru."""
    sig = lambda u: 1 / (1 + np.exp(-u))  # noqa: E731
    z = sig(p.U_z[:, word] + p.W_z @ s + p.b_z)
    r = sig(p.U_r[:, word] + p.W_r @ s + p.b_r)
    h = np.tanh(p.U_h[:, word] + p.W_h @ (r * s) + p.b_h)
    return z * s + (1 - z) * h


@pytest.mark.parametrize("n", [1, 2, 3])
def test_sympy_jacobian_equals_the_closed_form(n):
    result = derivation.derive(n)
    assert result.jacobian.shape == (n, n)
    assert (result.jacobian - result.explicit_closed_form).expand() == 0 * result.jacobian


def test_a_wrong_closed_form_is_caught(monkeypatch):
    import sympy as sp

    wrong = derivation.closed_form() - sp.DiagMatrix(derivation.z_t)  # drop the identity path
    monkeypatch.setattr(derivation, "closed_form", lambda: wrong)
    with pytest.raises(DerivationError, match="differ"):
        derivation.derive.__wrapped__(2)


def test_numpy_step_jacobians_equal_sympy():
    p = _random_gru()
    x = [1, 4, 2, 5, 0, 3]
    states = gru.forward(p, x)
    J = gru.step_jacobians(p, states)
    sympy_jacobian = derivation.numeric(3)
    for t, w in enumerate(x):
        expected = sympy_jacobian(states.s_prev[t], p.U_z[:, w] + p.b_z, p.U_r[:, w] + p.b_r,
                                  p.U_h[:, w] + p.b_h, p.W_z, p.W_r, p.W_h)
        np.testing.assert_allclose(J[t], expected, rtol=1e-12, atol=1e-14)


def test_numpy_step_jacobians_equal_finite_differences():
    p = _random_gru(D=9, H=5, seed=4)
    x = [3, 8, 1, 1, 7]
    states = gru.forward(p, x)
    J = gru.step_jacobians(p, states)
    h = 1e-6
    for t, w in enumerate(x):
        s = states.s_prev[t]
        numeric = np.column_stack([(_step(p, s + h * e, w) - _step(p, s - h * e, w)) / (2 * h)
                                   for e in np.eye(5)])
        np.testing.assert_allclose(J[t], numeric, atol=1e-9)


def test_forward_follows_the_equations():
    p = _random_gru()
    x = [0, 5, 5, 2]
    states = gru.forward(p, x)
    s = np.zeros(3)
    for t, w in enumerate(x):
        np.testing.assert_allclose(states.s_prev[t], s, rtol=1e-14, atol=1e-16)
        s = _step(p, s, w)
        np.testing.assert_allclose(states.s[t], s, rtol=1e-14)
    np.testing.assert_allclose(states.s, states.z * states.s_prev + (1 - states.z) * states.h)


def test_jacobian_norms_are_norms_of_the_products():
    p = _random_gru(D=9, H=4, seed=2)
    x = [1, 2, 3, 4, 5, 6]
    r = gru.jacobian_norms(p, x)
    J = gru.step_jacobians(p, gru.forward(p, x))
    assert r.norm[0] == 1.0 and np.isnan(r.bound).all()
    product = np.eye(4)
    for d in range(1, 6):
        product = product @ J[6 - d]
        assert r.norm[d] == pytest.approx(np.linalg.norm(product, 2), rel=1e-12)


def test_an_open_update_gate_keeps_the_gradient():
    D, H, T = 200, 16, 40
    x = np.random.default_rng(0).integers(0, D, T)
    rnn = bb.jacobian_norms(bb.init_params(D, H, seed=0), x).norm[-1]
    closed = gru.jacobian_norms(gru.init_gru(D, H, update_bias=0.0, seed=0), x).norm[-1]
    opened = gru.jacobian_norms(gru.init_gru(D, H, update_bias=4.0, seed=0), x).norm[-1]
    assert rnn < 1e-4 and closed < 1e-4
    assert opened > 0.3


def test_init_gru():
    p = gru.init_gru(10, 4, update_bias=2.0, seed=0)
    assert p.U_z.shape == (4, 10) and p.W_h.shape == (4, 4)
    np.testing.assert_array_equal(p.b_z, 2.0)
    np.testing.assert_array_equal(p.b_r, 0.0)
    assert np.abs(p.U_r).max() <= 1 / np.sqrt(10) and np.abs(p.W_r).max() <= 1 / 2
    with pytest.raises(ValueError):
        gru.init_gru(10, 4, update_bias=float("nan"))
    with pytest.raises(ValueError, match="one 1-D sequence"):
        gru.forward(p, [[1, 2], [3, 4]])


def test_gru_parameters_are_checked():

    p = gru.init_gru(6, 3, seed=0)
    with pytest.raises(TypeError, match="GRUParams"):
        gru.forward(p[:8], [1, 2])
    with pytest.raises(ValueError, match="W_h"):
        gru.forward(p._replace(W_h=np.ones((3, 4))), [1, 2])
    with pytest.raises(ValueError, match="b_z"):
        gru.forward(p._replace(b_z=np.ones((3, 3))), [1, 2])
    with pytest.raises(ValueError, match="U_r.*NaN"):
        gru.forward(p._replace(U_r=np.full((3, 6), np.nan)), [1, 2])
    with pytest.raises(TypeError, match="update_bias"):
        gru.init_gru(6, 3, update_bias="a")
