import numpy as np
import pytest

import bptt_book as bb


def assert_grads_close(actual, expected, rtol=1e-9):
    """Gradients agree to ``rtol`` with ``atol`` scaled to the largest entry of each."""
    for name, a, b in zip(bb.Params._fields, actual, expected, strict=True):
        scale = float(np.abs(b).max()) or 1.0
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12 * scale, err_msg=name)


@pytest.fixture
def small_model():
    """A model of the gradient-check size with one sentence of it."""
    return bb.init_params(100, 10, seed=10), np.array([0, 1, 2, 3]), np.array([1, 2, 3, 4])
