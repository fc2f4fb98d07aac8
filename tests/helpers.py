"""Shared assertions and inputs for the tests."""

import numpy as np

import bptt_book as bb


def assert_grads_close(actual, expected, rtol=1e-9, zero_atol=1e-12):
    """Gradients agree to ``rtol`` with ``atol`` 1e-12 times the largest entry of each
    expected one, or ``zero_atol`` where an expected gradient is exactly zero.  The fields are
    named after ``expected``'s (a parameter tuple of any cell) or ``bb.Params``'s."""
    fields = getattr(expected, "_fields", bb.Params._fields)
    for name, a, b in zip(fields, actual, expected, strict=True):
        scale = float(np.abs(b).max())
        atol = 1e-12 * scale if scale else zero_atol
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=name)


def large_model(cell, D=7, H=3, seed=0, scale=2.0):
    """Parameters of ``cell`` with large recurrent weights (``scale`` times the usual) and
    non-zero biases, so that no term of the gradient is small."""
    p = bb.init_params(D, H, cell=cell, seed=seed)
    return p._replace(W=scale * p.W)


def sequences(D, B=3, *, T, seed=1):
    """``B`` random input and target sentences of ``T`` words from ``D``."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, D, (B, T)), rng.integers(0, D, (B, T))


def torch_gated(p, cell):
    """``torch.nn.GRU`` or ``torch.nn.LSTM`` (float64, batch first) carrying the weights of
    ``p`` (a ``"gru"`` or ``"lstm"`` parameter tuple), and ``p.V`` as a tensor that takes a
    gradient.  Skips the test when PyTorch is not installed; one thread."""
    import pytest

    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    D, H = p.U.shape[1], p.W.shape[1]
    net = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](D, H, batch_first=True).double()
    with torch.no_grad():
        for name, value in (("weight_ih_l0", p.U), ("weight_hh_l0", p.W),
                            ("bias_ih_l0", p.bU), ("bias_hh_l0", p.bW)):
            getattr(net, name).copy_(torch.tensor(value))
    return net, torch.tensor(p.V, requires_grad=True)


def draws(fig):
    """``fig`` after drawing it: a matplotlib figure that renders (every text parses as
    mathtext) and has something on it."""
    from matplotlib.figure import Figure

    assert isinstance(fig, Figure)
    fig.canvas.draw()
    assert fig.axes
    return fig
