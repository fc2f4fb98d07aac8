"""The hand-written numerics of the compiled target (bptt_book.vmath): ulp error against NumPy
over a wide grid, float32 and float64, the extremes, NaN and infinities.

Skipped without Numba (the `fast` extra); ``tox -e fast`` runs it.
"""

import math

import numpy as np
import pytest

numba = pytest.importorskip("numba")
pytest.importorskip("scipy")

from bptt_book import vmath  # noqa: E402
from bptt_book.derivation.activations import NAMES, activation, z  # noqa: E402
from bptt_book.derivation.numba_target import NumbaPrinter  # noqa: E402

DTYPES = [np.float64, np.float32]


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"})
def _tanh(z, out):
    for i in range(z.shape[0]):
        out[i] = vmath.tanh_(z[i])


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"})
def _sigmoid(z, out):
    for i in range(z.shape[0]):
        out[i] = vmath.sigmoid_(z[i])


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"})
def _exp_neg(z, out):
    for i in range(z.shape[0]):
        out[i] = vmath.exp_neg_(z[i])


def _grid():
    """Random and even grids at every scale, both signs, the clamps, the underflow ranges."""
    rng = np.random.default_rng(0)
    parts = [rng.standard_normal(100_000) * 3, rng.standard_normal(20_000) * 1e-3,
             rng.standard_normal(5_000) * 1e-12, rng.uniform(-800, 800, 20_000),
             np.linspace(-30, 30, 60_001), np.linspace(-760, -700, 20_001),
             np.linspace(-110, -80, 20_001),
             10.0 ** rng.uniform(-310, 300, 10_000) * rng.choice([-1, 1], 10_000),
             [0.0, -0.0, 5e-324, -5e-324, 1e-300, 22.0, -22.0, 9.5, 10.0, 87.0, 104.0,
              708.0, -708.0, 745.0, -745.0, 746.0, 1e308, -1e308]]
    return np.concatenate(parts)


GRID = _grid()


def _grid_of(dtype):
    """The grid's numbers that ``dtype`` can hold (no overflow to infinity)."""
    return GRID[np.abs(GRID) <= np.finfo(dtype).max].astype(dtype)


def _run(kernel, z):
    out = np.empty_like(z)
    kernel(z, out)
    return out


def _ulps(got, want, dtype):
    """|got - want| in units of the spacing of ``dtype`` at ``want`` (want in float64 or
    better)."""
    spacing = np.spacing(np.abs(want.astype(dtype))).astype(np.float64)
    return np.abs(got.astype(np.float64) - want.astype(np.float64)) / spacing


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh_is_within_three_ulp_of_numpy(dtype):
    z = _grid_of(dtype)
    got = _run(_tanh, z)
    assert got.dtype == dtype
    want = np.tanh(z.astype(np.float64))
    assert _ulps(got, want, dtype).max() <= 3.0
    assert np.array_equal(np.sign(got), np.sign(z))  # odd, and exact signs at 0 and -0
    assert np.all(np.abs(got) <= 1)


def _sigmoid_reference(z):
    """``(z, sigmoid(z))`` to better than float64, one branch per sign (no cancellation): in
    NumPy's extended precision where the platform has it, else with mpmath (SymPy's
    dependency) at 80 bits on a sample of the grid."""
    if np.finfo(np.longdouble).nmant >= 63:
        long = z.astype(np.longdouble)
        e = np.exp(-np.abs(long))
        return z, np.where(long >= 0, 1 / (1 + e), e / (1 + e))
    import mpmath

    mpmath.mp.prec = 80
    sample = z[:: max(1, len(z) // 30_000)]
    exact = [1 / (1 + mpmath.exp(-mpmath.mpf(float(v)))) for v in sample]
    return sample, np.array([float(v) for v in exact])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_is_within_three_ulp_down_to_underflow(dtype):
    z, ref = _sigmoid_reference(_grid_of(dtype))
    got = _run(_sigmoid, z)
    assert got.dtype == dtype
    assert _ulps(got, ref, dtype).max() <= 3.0
    assert np.all((got >= 0) & (got <= 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_of_non_positive_numbers_is_within_one_ulp_of_numpy(dtype):
    x = -np.abs(_grid_of(dtype))
    got = _run(_exp_neg, x)
    assert got.dtype == dtype
    want = np.exp(x.astype(np.float64))
    assert _ulps(got, want, dtype).max() <= 1.5
    tiny = np.finfo(dtype).smallest_subnormal
    assert np.all(got[x.astype(np.float64) < math.log(tiny) - 1] == 0)  # underflows to 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_gives_nan_and_infinities_give_the_limits(dtype):
    z = np.array([np.nan, np.inf, -np.inf, 0.0], dtype=dtype)
    tanh, sigmoid = _run(_tanh, z), _run(_sigmoid, z)
    exp = _run(_exp_neg, np.array([np.nan, -np.inf, 0.0], dtype=dtype))
    assert np.isnan(tanh[0]) and np.isnan(sigmoid[0]) and np.isnan(exp[0])
    assert tanh[1:].tolist() == [1.0, -1.0, 0.0]
    assert sigmoid[1:].tolist() == [1.0, 0.0, 0.5]
    assert exp[1:].tolist() == [0.0, 1.0]


@pytest.mark.parametrize("dtype", DTYPES)
def test_finite_input_never_gives_nan_or_infinity(dtype):
    z = _grid_of(dtype)
    for kernel in (_tanh, _sigmoid):
        assert np.isfinite(_run(kernel, z)).all()
    assert np.isfinite(_run(_exp_neg, -np.abs(z))).all()


@pytest.mark.parametrize("name", NAMES)
def test_every_activation_of_the_table_has_a_compiled_form(name):
    """An activation names a function of vmath, or prints as arithmetic (relu)."""
    act = activation(name)
    if act.compiled is None:
        printer = NumbaPrinter({z: "z"})
        assert printer.doprint(act.function(z)) == "max(zero, z)"
        assert not printer.used
    else:
        assert act.compiled in vmath.__all__


def test_called_from_python_it_says_where_it_runs():
    with pytest.raises(NotImplementedError, match="Numba"):
        vmath.tanh_(0.5)
