"""Shared assertions for the tests."""

import numpy as np

import bptt_book as bb


def assert_grads_close(actual, expected, rtol=1e-9):
    """Gradients agree to ``rtol`` with ``atol`` scaled to the largest entry of each."""
    for name, a, b in zip(bb.Params._fields, actual, expected, strict=True):
        scale = float(np.abs(b).max()) or 1.0
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12 * scale, err_msg=name)
