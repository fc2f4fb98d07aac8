"""bptt_book.dynamics and the figures of the precise results of chapters 5 and 6.

Each function is checked against a computation written here independently (matrix powers by
NumPy, products of bb.jacobian, the package's bptt, a plain loop), and each result the chapters
state is asserted on the data its figure draws."""

import numpy as np
import pytest

import bptt_book as bb
from bptt_book import config
from bptt_book.dynamics import (
    bptt_in,
    latch,
    lyapunov_exponent,
    power_norms,
    spectral_radius,
)
from bptt_book.training import orthogonal


def _random(H, seed):
    return np.random.default_rng(seed).normal(size=(H, H)) / np.sqrt(H)


# -------------------------------------------------------------- spectral radius and powers


def test_spectral_radius_is_the_largest_absolute_eigenvalue():
    W = _random(7, 0)
    assert spectral_radius(W) == pytest.approx(max(abs(np.linalg.eigvals(W))), rel=1e-12)
    Q = orthogonal(9, np.random.default_rng(1), uniform=False)
    assert spectral_radius(Q) == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(ValueError, match="W must be a square"):
        spectral_radius(np.ones((2, 3)))
    with pytest.raises(TypeError, match="W"):
        spectral_radius("W")


def test_power_norms_are_the_norms_of_matrix_powers_in_any_order():
    W = _random(6, 2)
    d = [5, 0, 3, 12, 3]
    expected = [np.linalg.norm(np.linalg.matrix_power(W, k), 2) for k in d]
    np.testing.assert_allclose(power_norms(W, d), expected, rtol=1e-10)
    with pytest.raises(ValueError, match="distances"):
        power_norms(W, [1, -1])
    with pytest.raises(ValueError, match="distances"):
        power_norms(W, [1.5])


@pytest.mark.parametrize("seed", range(5))
def test_gelfand_formula(seed):
    """||W^d|| >= rho^d for every d, and ||W^d||^(1/d) approaches rho (within 2 % at d = 400
    for these 20 x 20 matrices)."""
    W = _random(20, seed)
    rho = spectral_radius(W)
    d = np.arange(1, 401)
    norms = power_norms(W, d)
    assert (norms >= rho**d * (1 - 1e-9)).all()
    assert norms[-1] ** (1 / 400) == pytest.approx(rho, rel=0.02)


def test_the_linear_cases_of_the_corollary():
    """rho < 1 vanishes whatever sigma_max; rho = 1 grows at most polynomially (a Jordan
    block grows like d, a rotation not at all); rho > 1 grows at least like rho^d."""
    shrinking = 0.9 * np.eye(10) + np.eye(10, k=1)
    assert bb.spectral_norm(shrinking) > 1 and power_norms(shrinking, [2000])[0] < 1e-30
    jordan = np.array([[1.0, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(power_norms(jordan, [10, 100, 1000]) / [10, 100, 1000], 1,
                               rtol=0.02)
    growing = 1.1 * orthogonal(5, np.random.default_rng(0), uniform=False)
    assert power_norms(growing, [50])[0] == pytest.approx(1.1**50, rel=1e-9)


def test_tanh_with_tiny_inputs_follows_the_powers_of_W():
    """In the near-linear regime the Jacobian products are the powers of W (chapter 5)."""
    W = 1.05 * _random(8, 3)
    p = bb.Params(1e-12 * np.ones((8, 4)), np.zeros((4, 8)), W)
    r = bb.jacobian_norms(p, [0, 1, 2, 3] * 8)
    np.testing.assert_allclose(r.norm, power_norms(W, r.distance), rtol=1e-9)


# -------------------------------------------------------------- the Lyapunov exponent


def test_lyapunov_exponent_of_a_scaled_orthogonal_w_with_tiny_inputs_is_log_scale():
    Q = orthogonal(6, np.random.default_rng(4), uniform=False)
    for c in (0.5, 1.3):
        p = bb.Params(1e-12 * np.ones((6, 3)), np.zeros((3, 6)), c * Q)
        assert lyapunov_exponent(p, [0, 1, 2] * 10) == pytest.approx(np.log(c), abs=1e-9)


def test_lyapunov_exponent_is_the_growth_rate_of_the_jacobian_products():
    """Against the norm of the product of the step Jacobians applied to a vector, computed
    with bb.jacobian, and never above log(gamma sigma_max(W)) (the proposition of ch. 6)."""
    rng = np.random.default_rng(5)
    H, T = 10, 301
    p = bb.Params(rng.normal(size=(H, 7)) * 0.5, rng.normal(size=(7, H)), 2.0 * _random(H, 6))
    x = rng.integers(0, 7, T)
    rate = lyapunov_exponent(p, x, discard=50)
    v = np.ones(H) / np.sqrt(H)
    v = bb.jacobian(p, x, 50, 0) @ v  # J_50 ... J_1 v: the vector after the discarded steps
    grown = bb.jacobian(p, x, T - 1, 50) @ (v / np.linalg.norm(v))
    assert rate == pytest.approx(np.log(np.linalg.norm(grown)) / (T - 1 - 50), abs=1e-9)
    assert rate <= np.log(bb.spectral_norm(p.W)) + 1e-12
    with pytest.raises(ValueError, match="discard"):
        lyapunov_exponent(p, x[:5], discard=10)


def test_lyapunov_exponent_takes_a_gated_cell():
    p = bb.init_params(12, 4, cell="gru", seed=0)
    assert np.isfinite(lyapunov_exponent(p, np.arange(12) % 12))


# -------------------------------------------------------------- precision


def test_bptt_in_float64_and_float32_is_bb_bptt():
    p = bb.init_params(30, 6, seed=1)
    x, y = [1, 5, 9, 2, 7], [5, 9, 2, 7, 3]
    for name, a, b in zip("UVW", bptt_in(p, x, y, "float64"), bb.bptt(p, x, y), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    p32 = bb.Params(*(a.astype(np.float32) for a in p))
    for a, b in zip(bptt_in(p, x, y, np.float32), bb.bptt(p32, x, y), strict=True):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_bptt_in_float16_keeps_half_precision_and_overflows_where_float32_does_not():
    p = bb.init_params(30, 6, seed=1)
    x, y = [1, 5, 9, 2, 7], [5, 9, 2, 7, 3]
    g16 = bptt_in(p, x, y, "float16")
    assert all(a.dtype == np.float16 for a in g16)
    for a, b in zip(g16, bb.bptt(p, x, y), strict=True):
        np.testing.assert_allclose(a.astype(float), b, rtol=0.05, atol=2e-3 * np.abs(b).max())
    # an exploding gradient: W = 2 Q, small inputs, 200 words
    H, rng = 16, np.random.default_rng(0)
    big = bb.Params(0.01 * rng.normal(size=(H, 5)), 0.1 * rng.normal(size=(5, H)),
                    2.0 * orthogonal(H, np.random.default_rng(0), uniform=False))
    words = np.random.default_rng(1).integers(0, 5, 201)
    assert lyapunov_exponent(big, words, discard=20) > 0.05
    bad16 = sum(int((~np.isfinite(a)).sum()) for a in bptt_in(big, words[:-1], words[1:], "f2"))
    bad32 = sum(int((~np.isfinite(a)).sum()) for a in bptt_in(big, words[:-1], words[1:], "f4"))
    assert bad16 > 0 and bad32 == 0
    with pytest.raises(ValueError, match="dtype"):
        bptt_in(p, x, y, "int32")


# -------------------------------------------------------------- the latch


def test_latch_without_noise_sits_at_its_fixed_point():
    for w in (1.5, 3.0):
        r = latch(w, 0.0, steps=20, runs=3)
        assert np.tanh(w * r.fixed_point) == pytest.approx(r.fixed_point, abs=1e-12)
        assert r.slope == pytest.approx(w * (1 - r.fixed_point**2))
        assert r.slope < 1 and r.kept == 1.0
        assert r.gradient == pytest.approx(r.slope**20, rel=1e-9)
    r = latch(0.8, 0.0, steps=5, runs=2)
    assert r.fixed_point == 0.0 and r.gradient == pytest.approx(
        np.prod([0.8 * (1 - s**2) for s in _unit(0.8, 0.5, 5)]))
    with pytest.raises(ValueError, match="w"):
        latch(-1.0, 0.1)
    with pytest.raises(ValueError, match="noise"):
        latch(1.0, -0.1)


def _unit(w, s, steps):
    states = []
    for _ in range(steps):
        s = np.tanh(w * s)
        states.append(s)
    return states


def test_latch_trades_robustness_against_gradient():
    """Chapter 6: a latch that holds against noise passes a vanishing gradient; without a
    latch the bit is lost."""
    loose = latch(1.0, 0.2)
    assert loose.kept < 0.6
    for w in (1.5, 2.0, 3.0):
        strong = latch(w, 0.2)
        assert strong.kept > 0.99 and strong.gradient < 1e-15
    gradients = [latch(w, 0.2).gradient for w in (1.5, 2.0, 3.0, 5.0)]
    assert gradients == sorted(gradients, reverse=True)


# ------------------------------------------------------- the figures of chapters 5 and 6

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from helpers import draws  # noqa: E402

from bptt_book import figures  # noqa: E402

pytestmark = pytest.mark.usefixtures("close_figures")


def test_powers_figure():
    d = figures.powers_data(max_distance=60)
    assert len(d.distance) == 60
    for label, norms in d.norms.items():
        assert (norms >= d.rho[label] ** d.distance * (1 - 1e-9)).all()
        assert norms[0] == pytest.approx(d.sigma[label])
    draws(figures.powers(d))


def test_init_spectra_figure_and_its_limits():
    d = figures.init_spectra_data(hidden_dims=[8, 200], seeds=4)
    assert d.sigma.shape == d.rho.shape == (2, 4)
    W = bb.init_params(2, 200, seed=3).W
    assert d.sigma[1, 3] == pytest.approx(np.linalg.norm(W, 2))
    # at H = 200 both are within 5 % of their limits, and sigma_max > 1 > rho
    assert np.allclose(d.sigma[1], figures.dynamics.SIGMA_LIMIT, rtol=0.05)
    assert np.allclose(d.rho[1], figures.dynamics.RHO_LIMIT, rtol=0.05)
    assert (d.sigma[1] > 1).all() and (d.rho[1] < 1).all()
    draws(figures.init_spectra(d))


def test_relu_vanishes_faster_than_tanh_except_with_the_identity():
    d = figures.relu_tanh_data()
    for init in ("tutorial", "orthogonal"):
        assert d.norms[(init, "relu")][40] < d.norms[(init, "tanh")][40]
    assert d.norms[("identity", "relu")][40] == pytest.approx(1.0)
    assert 0.4 < d.active["tutorial"] < 0.6 < d.active["identity"]
    draws(figures.relu_tanh(d))


def test_overflow_comes_in_the_order_of_the_types_and_where_the_exponent_says():
    d = figures.overflow_data(scales=[2.0], lengths=[20, 40, 80, 160, 320, 640, 1280, 2560,
                                                     5120, 10240])
    first = {dtype: d.first_nonfinite[(2.0, dtype)] for dtype in ("float16", "float32",
                                                                   "float64")}
    assert first["float16"] < first["float32"] < first["float64"]
    norms = d.norm[(2.0, "float64")]
    finite = np.isfinite(norms)
    rate = np.polyfit(np.array(d.lengths)[finite][-4:], np.log(norms[finite][-4:]), 1)[0]
    for dtype, T in first.items():  # the last finite length is below the predicted one
        predicted = np.log(float(np.finfo(dtype).max)) / rate
        assert predicted / 3 < T and d.lengths[d.lengths.index(T) - 1] < predicted * 1.5
    draws(figures.overflow(d))


def test_one_exploded_step_freezes_w_while_the_training_loss_falls():
    d = figures.frozen_data(steps=4)
    assert d.grad_norm["W"][0] > 1e6 and (d.grad_norm["W"][1:] == 0).all()
    assert (d.grad_norm["U"][1:] == 0).all() and (d.grad_norm["V"] > 0).all()
    assert (d.saturated[1:] == 1.0).all()
    assert d.loss[-1] < 0.5 < d.log_D < d.other_loss[-1]
    draws(figures.frozen(d))


def test_the_gradient_grows_at_the_rate_of_the_lyapunov_exponent():
    d = figures.lyapunov_data(scales=[0.9, 1.5, 2.0], activations=["tanh"])
    e, g, bound = (np.array(v["tanh"]) for v in (d.exponent, d.growth, d.bound))
    assert (e <= bound + 1e-12).all()
    assert e[0] == pytest.approx(bound[0], abs=2e-3)  # tiny inputs: the bound is reached
    assert abs(g[0]) < 0.01  # below the threshold the norm per word neither grows nor vanishes
    np.testing.assert_allclose(g[1:], e[1:], atol=0.01)  # above it, at the exponent's rate
    draws(figures.lyapunov(d))


def test_latching_figure():
    d = figures.latching_data(ws=[1.0, 2.0], noises=[0.2], runs=200)
    assert d.results[(2.0, 0.2)].kept > d.results[(1.0, 0.2)].kept
    draws(figures.latching(d))


def test_the_new_settings_are_read():
    tables = config.load("vanishing")
    for name in ("powers", "init_spectra", "relu_tanh", "overflow", "frozen", "lyapunov",
                 "latching"):
        assert name in tables
