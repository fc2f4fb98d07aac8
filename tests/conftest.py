import numpy as np
import pytest

import bptt_book as bb


@pytest.fixture
def small_model():
    """A model of the gradient-check size with one sentence of it."""
    return bb.init_params(100, 10, seed=10), np.array([0, 1, 2, 3]), np.array([1, 2, 3, 4])
