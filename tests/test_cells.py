"""Every cell through the one pipeline: finite differences, PyTorch, the exact proof, Jacobians.

The references are independent of the pipeline: centred finite differences of the loss,
``torch.nn.GRU``/``torch.nn.LSTM`` with autograd on the same weights (the window truncation by
running each output's window with the state before it detached), and SymPy's derivative of
the fully unrolled loss.
"""

import functools

import numpy as np
import pytest
from helpers import assert_grads_close, large_model, sequences, torch_gated

import bptt_book as bb
from bptt_book import cells
from bptt_book.derivation.cell import Cell, CellError
from bptt_book.derivation.cells import BUILT_IN
from bptt_book.generated.activations import ACTIVATIONS

GATED = [name for name in BUILT_IN if name != "rnn"]

#: An expected gradient that is exactly zero must come out exactly zero.
_close = functools.partial(assert_grads_close, zero_atol=0.0)


# ------------------------------------------------------------------- finite differences


CASES = [(name, act) for name in BUILT_IN
         for act in (ACTIVATIONS if cells.by_name(name).PLUGGABLE else [None])]


@pytest.mark.parametrize(("cell", "activation"), CASES)
def test_every_cell_passes_the_gradient_check(cell, activation):
    p = large_model(cell)
    x, y = sequences(7, B=2, T=5)
    result = bb.gradient_check(p, x, y, activation=activation, threshold=1e-6)
    assert set(result.max_error) == set(p._fields)
    assert result.passed, str(result)


@pytest.mark.parametrize("cell", list(BUILT_IN))
def test_truncation_at_t_minus_one_is_exact(cell):
    p = large_model(cell)
    x, y = sequences(7, T=6)
    _close(bb.bptt(p, x, y, truncate=x.shape[1] - 1), bb.bptt(p, x, y))
    _close(bb.bptt(p, x, y, truncate=100), bb.bptt(p, x, y))


@pytest.mark.parametrize("cell", list(BUILT_IN))
def test_a_batch_is_the_sum_of_its_sequences(cell):
    p = large_model(cell)
    x, y = sequences(7, B=3, T=6)
    for K in (None, 1):
        batch = bb.bptt(p, x, y, truncate=K)
        parts = [bb.bptt(p, x[i], y[i], truncate=K) for i in range(3)]
        total = type(batch)(*(sum(g[i] for g in parts) for i in range(len(batch))))
        _close(batch, total)


@pytest.mark.parametrize("cell", list(BUILT_IN))
def test_float32_in_float32_out_and_inputs_untouched(cell):
    p = large_model(cell)
    p32 = type(p)(*(a.astype(np.float32) for a in p))
    x, y = sequences(7, T=6)
    copies = [a.copy() for a in p32], x.copy(), y.copy()
    for K in (None, 2):
        g32, g64 = bb.bptt(p32, x, y, truncate=K), bb.bptt(p, x, y, truncate=K)
        assert all(a.dtype == np.float32 for a in g32)
        for a, b in zip(g32, g64, strict=True):
            np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-5 * np.abs(b).max())
    assert all(np.array_equal(a, b) for a, b in zip(copies[0], p32, strict=True))
    assert np.array_equal(copies[1], x) and np.array_equal(copies[2], y)


# ------------------------------------------------------------------------------ PyTorch


def _torch_gradients(p, x, y, cell, truncate):
    """The gradient of the summed loss by torch.nn.GRU/LSTM + autograd on the same weights."""
    torch = pytest.importorskip("torch")
    net, V = torch_gated(p, cell)
    D = p.U.shape[1]
    X = torch.nn.functional.one_hot(torch.tensor(x), D).double()
    Y = torch.tensor(y)

    def cross_entropy(out, target):
        return torch.nn.functional.cross_entropy((out @ V.T).reshape(-1, D), target.reshape(-1),
                                                 reduction="sum")

    T = x.shape[1]
    if truncate is None:
        out, _ = net(X)
        loss = cross_entropy(out, Y)
    else:  # output t's window: steps t-K ... t, the state before it detached
        loss = 0
        for t in range(T):
            start = max(0, t - truncate)
            state = None
            if start > 0:
                with torch.no_grad():
                    _, state = net(X[:, :start])
            out, _ = net(X[:, start : t + 1], state)
            loss = loss + cross_entropy(out[:, -1:], Y[:, t : t + 1])
    loss.backward()
    grads = [net.weight_ih_l0.grad, V.grad, net.weight_hh_l0.grad, net.bias_ih_l0.grad,
             net.bias_hh_l0.grad]
    return type(p)(*(g.numpy() for g in grads))


@pytest.mark.parametrize("truncate", [None, 0, 1, 3])
@pytest.mark.parametrize("cell", GATED)
def test_gated_cells_agree_with_pytorch(cell, truncate):
    p = large_model(cell, D=9, H=4, seed=3)
    x, y = sequences(9, B=3, T=7, seed=4)
    _close(bb.bptt(p, x, y, truncate=truncate), _torch_gradients(p, x, y, cell, truncate))


@pytest.mark.parametrize("cell", GATED)
def test_gated_forward_agrees_with_pytorch(cell):
    torch = pytest.importorskip("torch")
    p = large_model(cell, D=9, H=4, seed=5)
    x, _ = sequences(9, B=2, T=6)
    net, _ = torch_gated(p, cell)
    with torch.no_grad():
        out, _ = net(torch.nn.functional.one_hot(torch.tensor(x), 9).double())
    h, _ = bb.forward(p, x)
    np.testing.assert_allclose(h, out.numpy(), rtol=1e-12, atol=1e-14)


# -------------------------------------------------------------------------- Jacobians


@pytest.mark.parametrize("cell", list(BUILT_IN))
def test_step_jacobian_equals_finite_differences_of_one_step(cell):
    """bb.jacobian(t, t-1) against a centred difference of one step of the state map, for the
    whole state ([h; c] for the LSTM)."""
    module = cells.by_name(cell)
    p = large_model(cell, D=6, H=3, seed=7)
    x = np.array([1, 4, 2, 5])
    act = ACTIVATIONS["tanh"] if module.PLUGGABLE else None
    tape = module.forward(p, x[None], act)
    t = 2
    previous = np.concatenate([getattr(tape, f"{s}_prev")[0, t] for s in module.STATES])

    def run_from(state):
        return _one_step(module, p, x[t], state, act)

    h = 1e-6
    numeric = np.column_stack([(run_from(previous + h * e) - run_from(previous - h * e)) / (2 * h)
                               for e in np.eye(len(previous))])
    J = bb.jacobian(p, x, t=t, k=t - 1)
    np.testing.assert_allclose(J, numeric, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(run_from(previous),
                               np.concatenate([getattr(tape, s)[0, t] for s in module.STATES]),
                               rtol=1e-12)


def _one_step(module, p, word, state, act):
    """One step of a built-in cell written out again with NumPy, independently of the
    generated code (the equations of bptt_book.derivation.cells, PyTorch's layout)."""
    H = p.W.shape[1]
    sig = lambda u: 1 / (1 + np.exp(-u))  # noqa: E731
    if module.NAME == "rnn":
        return act[0](p.U[:, word] + p.W @ state)
    a = p.U[:, word] + p.bU
    h_prev = state[:H]
    b = p.W @ h_prev + p.bW
    if module.NAME == "gru":
        r = sig(a[:H] + b[:H])
        z = sig(a[H : 2 * H] + b[H : 2 * H])
        n = np.tanh(a[2 * H :] + r * b[2 * H :])
        return (1 - z) * n + z * h_prev
    c_prev = state[H:]
    i, f, o = sig(a[:H] + b[:H]), sig(a[H : 2 * H] + b[H : 2 * H]), sig(a[3 * H :] + b[3 * H :])
    g = np.tanh(a[2 * H : 3 * H] + b[2 * H : 3 * H])
    c = f * c_prev + i * g
    return np.concatenate([o * np.tanh(c), c])


@pytest.mark.parametrize("cell", list(BUILT_IN))
def test_jacobian_over_several_steps_is_the_product(cell):
    p = large_model(cell, D=6, H=3, seed=2)
    x = [1, 4, 2, 5, 0]
    J = bb.jacobian(p, x, t=4, k=1)
    product = bb.jacobian(p, x, t=4, k=3) @ bb.jacobian(p, x, t=3, k=2) @ bb.jacobian(
        p, x, t=2, k=1)
    np.testing.assert_allclose(J, product, rtol=1e-12, atol=1e-15)
    norms = bb.jacobian_norms(p, x)
    np.testing.assert_allclose(norms.norm[3], np.linalg.norm(J, 2), rtol=1e-12)
    assert (norms.norm <= norms.bound * (1 + 1e-12)).all()


# ----------------------------------------------------------------------- the exact proof


@pytest.mark.slow
@pytest.mark.parametrize(("cell", "activation", "H"),
                         [("rnn", "tanh", 2), ("rnn", "sigmoid", 2), ("gru", None, 2),
                          ("lstm", None, 2)])
def test_every_cell_equals_the_unrolled_derivative_exactly(cell, activation, H):
    from bptt_book.derivation.unrolled import prove_cell

    result = prove_cell(BUILT_IN[cell], H, 2, x=[0, 1], y=[1, 0], activation=activation)
    assert result == dict.fromkeys(result, True) and set(result) == set(
        cells.by_name(cell).PARAMS._fields)


def test_the_cell_proof_catches_a_wrong_adjoint(monkeypatch):
    """Drop the direct path z * d_h' of the GRU (the gate's whole point): the proof fails for
    the parameters the lost path reaches (with two steps, U and b_U of the first step; W's
    gradient at step 0 is multiplied by h_(-1) = 0), and holds for V, which it does not."""
    from bptt_book.derivation import adjoint, unrolled

    right = adjoint.derive(BUILT_IN["gru"])
    wrong = adjoint.CellAdjoint(right.cell, right.incoming, right.nodes, right.grad_a,
                                right.grad_b, ({},), right.partials, right.jacobian)
    monkeypatch.setattr(unrolled, "derive_adjoint", lambda cell: wrong)
    result = unrolled.prove_cell(BUILT_IN["gru"], 1, 2, x=[0, 1], y=[1, 0])
    assert result["V"] is True and result["U"] is False and result["bU"] is False


# ------------------------------------------------------------------ a reader's own cell


MGU = Cell("mgu", title="MGU", states=["h"], blocks=["f", "n"], equations=[
    "f = sigmoid(a_f + b_f)",
    "n = tanh(a_n + f*b_n)",
    "h' = (1 - f)*h + f*n",
])


def test_a_new_cell_is_one_description():
    from bptt_book.derivation.generate import compile_cell

    module = compile_cell(MGU)
    assert cells.by_name("mgu") is module
    p = bb.init_params(7, 3, cell="mgu", seed=0)
    assert type(p).__name__ == "MGUParams" and p.U.shape == (6, 7)
    x, y = sequences(7, B=2, T=5)
    assert bb.gradient_check(p._replace(W=2 * p.W), x, y, threshold=1e-6).passed
    assert bb.jacobian(p, x[0], t=3, k=0).shape == (3, 3)


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    (dict(equations=["h' = tanh(a + b)", "h' = h"]), CellError, "twice"),
    (dict(equations=["r = sigmoid(a + b)"]), CellError, "no equation gives"),
    (dict(equations=["h' = tanh(a + q)"]), CellError, "unknown"),
    (dict(equations=["h' = gelu(a + b)"]), CellError, "unknown functions"),
    (dict(equations=["h' = tanh(a + b"]), CellError, "cannot read"),
    (dict(equations=["c' = tanh(a + b)"]), CellError, "not the new value"),
    (dict(states=["a"]), CellError, "cannot name a state"),
    (dict(states="h"), TypeError, "list of names"),
    (dict(equations="h' = h"), TypeError, "equations"),
    (dict(biases=1), TypeError, "biases"),
    (dict(display={"q": "x"}), CellError, "not a line, block or state"),
    (dict(display={"h": ""}), TypeError, "non-empty LaTeX"),
    (dict(display="u"), TypeError, "display"),
])
def test_a_bad_description_says_what_is_wrong(kwargs, error, words):
    settings = dict(name="bad", states=["h"], blocks=[""], equations=["h' = tanh(a + b)"])
    settings.update(kwargs)
    with pytest.raises(error, match=words):
        Cell(**settings)
