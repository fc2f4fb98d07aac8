"""Shared fixtures.

The tests compute on the NumPy reference unless ``BPTT_BOOK_BACKEND`` says otherwise, whether
or not Numba is installed: several of them compare runs to the last digits that the NumPy
code gives.  ``tox -e fast`` sets ``BPTT_BOOK_BACKEND=numba`` and runs the tests of the cells,
the gradient and training on the compiled target; ``tests/test_compiled.py`` chooses each
target explicitly.
"""

import os

os.environ.setdefault("BPTT_BOOK_BACKEND", "numpy")

import numpy as np
import pytest

import bptt_book as bb


@pytest.fixture
def small_model():
    """A model of the gradient-check size with one sentence of it."""
    return bb.init_params(100, 10, seed=10), np.array([0, 1, 2, 3]), np.array([1, 2, 3, 4])


@pytest.fixture
def close_figures():
    """Close every matplotlib figure after the test (modules that draw use it for each test:
    ``pytestmark = pytest.mark.usefixtures("close_figures")``)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
