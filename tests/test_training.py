"""SGD with bptt: steps, the tutorial's learning-rate halving, clipping, Pascanu's Omega."""

import numpy as np
import pytest

import bptt_book as bb
from bptt_book.tasks import Recall, accuracy
from bptt_book.training import (
    ADAM_BETAS,
    ADAM_EPS,
    INITS,
    OPTIMIZERS,
    History,
    initial_params,
    omega,
    train,
)


@pytest.fixture(scope="module")
def recall():
    task = Recall(2)
    return task, task.sample(256, seed=0), task.sample(200, seed=1)


def test_initial_params_recipes():
    t = initial_params(10, 6, seed=3)
    ref = bb.init_params(10, 6, seed=3)
    for a, b in zip(t, ref, strict=True):
        np.testing.assert_array_equal(a, b)
    o = initial_params(10, 6, init="orthogonal", scale=1.3, seed=3)
    np.testing.assert_allclose(np.linalg.svd(o.W, compute_uv=False), 1.3)
    np.testing.assert_array_equal(o.U, ref.U)  # U and V as the tutorial draws them
    i = initial_params(10, 6, init="identity", input_scale=0.1, seed=3)
    np.testing.assert_array_equal(i.W, np.eye(6))
    np.testing.assert_allclose(i.U, 0.1 * ref.U)
    assert set(INITS) == {"tutorial", "orthogonal", "identity"}
    with pytest.raises(ValueError, match="init must be one of"):
        initial_params(10, 6, init="xavier")
    with pytest.raises(ValueError):
        initial_params(10, 6, scale=0.0)


def test_one_step_is_sgd_on_the_mean_loss(recall):
    task, data, _ = recall
    p = bb.init_params(task.word_dim, 8, seed=0)
    x, y = data.x[:16], data.y[:16]
    for truncate in (None, 1):
        h = train(p, x, y, epochs=1, learning_rate=0.3, batch_size=16, truncate=truncate)
        g = bb.bptt(p, x, y, truncate=truncate)
        for new, old, d in zip(h.params, p, g, strict=True):
            np.testing.assert_allclose(new, old - 0.3 * d / 16, rtol=1e-12, atol=1e-15)
    assert h.steps == 1 and h.epochs == 1 and len(h.loss) == 2


def test_params_are_not_modified(recall):
    task, data, _ = recall
    p = bb.init_params(task.word_dim, 8, seed=0)
    before = [a.copy() for a in p]
    train(p, data.x, data.y, epochs=1, learning_rate=0.5)
    for a, b in zip(p, before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_learning_rate_halves_exactly_when_the_loss_rises(recall):
    task, data, _ = recall
    p = bb.init_params(task.word_dim, 8, seed=0)
    h = train(p, data.x, data.y, epochs=12, learning_rate=8.0, seed=1)
    halvings = 0
    for e in range(1, h.epochs):
        rose = h.loss[e] > h.loss[e - 1]
        expected = h.learning_rate[e - 1] / 2 if rose else h.learning_rate[e - 1]
        assert h.learning_rate[e] == expected
        halvings += rose
    assert halvings >= 1  # a rate of 8 overshoots
    fixed = train(p, data.x, data.y, epochs=12, learning_rate=8.0, seed=1, halve=False)
    assert set(fixed.learning_rate) == {8.0}


def test_training_learns_a_short_dependency_and_stops_early(recall):
    task, data, test = recall
    p = bb.init_params(task.word_dim, 16, seed=0)
    seen = []
    h = train(p, data.x, data.y, epochs=40, learning_rate=0.5,
              evaluate=lambda q: accuracy(q, test), until=0.95, progress=seen.append)
    assert h.metric[-1] >= 0.95 and h.epochs < 40
    assert accuracy(h.params, test) == h.metric[-1]
    assert len(seen) == h.epochs and all(s is h for s in seen)
    assert h.loss[-1] < h.loss[0]


def test_clipping_caps_every_step(recall):
    task, data, _ = recall
    p = bb.init_params(task.word_dim, 8, seed=0)
    x, y = data.x[:32], data.y[:32]
    h = train(p, x, y, epochs=1, learning_rate=1.0, batch_size=32, clip=1e-3)
    step = bb.global_norm(bb.Params(*(a - b for a, b in zip(h.params, p, strict=True))))
    assert h.clipped == [1] and h.grad_norm[0] > 1e-3
    assert step == pytest.approx(1e-3)


def test_divergence_stops_training_without_an_exception(recall):
    task, data, _ = recall
    p = bb.init_params(task.word_dim, 8, seed=0)
    with np.errstate(all="ignore"):  # a step this long sends the weights past the largest float
        h = train(p, data.x, data.y, epochs=20, learning_rate=1e308)
    assert h.diverged and h.epochs < 20
    assert "DIVERGED" in h.line()


def test_verbose_prints_a_line_per_epoch(recall, capsys):
    task, data, test = recall
    p = bb.init_params(task.word_dim, 8, seed=0)
    train(p, data.x, data.y, epochs=3, learning_rate=0.1, verbose=True, clip=0.01,
          evaluate=lambda q: accuracy(q, test))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("epoch 1/3  loss ") and "clipped" in lines[0]
    assert "metric" in lines[-1]


def test_bad_arguments(recall):
    task, data, _ = recall
    p = bb.init_params(task.word_dim, 8, seed=0)
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        train(p, data.x[0], data.y[0], epochs=1, learning_rate=0.1)
    with pytest.raises(ValueError):
        train(p, data.x, data.y, epochs=1, learning_rate=-1.0)
    with pytest.raises(TypeError):
        train(p, data.x, data.y, epochs=1.5, learning_rate=0.1)
    assert History().epochs == 0


# ------------------------------------------------------------------------------- Omega


def _explicit_omega(p, x, y, W=None):
    """Omega from explicit Jacobians, with e and f' taken at the actual W."""
    s, o = bb.forward(p, x)
    F = 1 - s**2
    T = len(x)
    e = [None] * T
    g = o[-1].copy()
    g[y[-1]] -= 1
    e[-1] = g @ p.V
    for k in range(T - 2, -1, -1):
        e[k] = e[k + 1] @ (np.diag(F[k + 1]) @ p.W)
    W = p.W if W is None else W
    return sum((np.linalg.norm(e[k + 1] @ (np.diag(F[k + 1]) @ W))
                / np.linalg.norm(e[k + 1]) - 1) ** 2 for k in range(T - 1))


def test_omega_matches_explicit_jacobians_and_its_gradient():
    rng = np.random.default_rng(0)
    p = bb.init_params(7, 5, seed=1)
    p = p._replace(W=3 * p.W)
    x, y = rng.integers(0, 7, 6), rng.integers(0, 7, 6)
    value, dW = omega(p, [x], [y])
    assert value == pytest.approx(_explicit_omega(p, x, y), rel=1e-12)
    h = 1e-6
    numeric = np.zeros_like(p.W)
    for i in range(5):
        for j in range(5):
            up, down = p.W.copy(), p.W.copy()
            up[i, j] += h
            down[i, j] -= h
            numeric[i, j] = (_explicit_omega(p, x, y, up)
                             - _explicit_omega(p, x, y, down)) / (2 * h)
    np.testing.assert_allclose(dW, numeric, atol=1e-7)


def test_omega_is_summed_over_a_batch_and_zero_for_norm_keeping_steps():
    rng = np.random.default_rng(1)
    p = bb.init_params(7, 5, seed=2)
    x, y = rng.integers(0, 7, (3, 6)), rng.integers(0, 7, (3, 6))
    total, dW = omega(p, x, y)
    parts = [omega(p, x[i : i + 1], y[i : i + 1]) for i in range(3)]
    assert total == pytest.approx(sum(v for v, _ in parts))
    np.testing.assert_allclose(dW, sum(d for _, d in parts))
    # relu with W = I and positive states: every step is the identity.
    keep = bb.Params(np.ones((4, 3)), rng.normal(size=(3, 4)), np.eye(4))
    value, dW = omega(keep, [[0, 1, 2, 0]], [[1, 1, 1, 2]], activation="relu")
    assert value == pytest.approx(0.0, abs=1e-20) and np.abs(dW).max() < 1e-12


def test_omega_weight_adds_its_gradient_to_the_step(recall):
    task, data, _ = recall
    p = bb.init_params(task.word_dim, 8, seed=0)
    x, y = data.x[:8], data.y[:8]
    h = train(p, x, y, epochs=1, learning_rate=0.2, batch_size=8, omega_weight=0.5)
    g = bb.bptt(p, x, y)
    _, dW = omega(p, x, y)
    np.testing.assert_allclose(h.params.W, p.W - 0.2 * (g.W / 8 + 0.5 * dW / 8), rtol=1e-12)
    np.testing.assert_allclose(h.params.U, p.U - 0.2 * g.U / 8, rtol=1e-12)


def test_bad_input_to_train_raises_instead_of_counting_as_divergence():
    """A mistake in the data must not pass for a diverged run."""
    p = bb.init_params(10, 4, seed=0)
    x = np.zeros((3, 5), dtype=int)
    y = np.ones((3, 5), dtype=int)
    cases = [
        (dict(x=x + 10), ValueError, "x"),  # token id outside [0, D)
        (dict(activation="tanhh"), ValueError, "activation"),
        (dict(truncate=-1), ValueError, "truncate"),
        (dict(x=np.zeros((3, 0), int), y=np.zeros((3, 0), int)), ValueError, "empty"),
        (dict(omega_weight=-1.0), ValueError, "omega_weight"),
        (dict(omega_weight="a"), TypeError, "omega_weight"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(until="a"), TypeError, "until"),
        (dict(params=bb.Params(p.U, np.full_like(p.V, np.nan), p.W)), ValueError, "V"),
    ]
    for change, error, word in cases:
        kwargs = dict(params=p, x=x, y=y, epochs=2, learning_rate=0.1) | change
        with pytest.raises(error, match=word):
            train(**kwargs)


# ------------------------------------------------------------------------------- Adam


def test_the_first_adam_step_moves_every_weight_by_the_learning_rate(recall):
    """At t = 1, m_hat = g and v_hat = g**2, so each entry moves by lr * g / (|g| + eps)."""
    task, data, _ = recall
    p = bb.init_params(task.word_dim, 6, cell="lstm", seed=0)
    x, y = data.x[:16], data.y[:16]
    h = train(p, x, y, epochs=1, learning_rate=0.01, batch_size=16, optimizer="adam")
    g = bb.bptt(p, x, y)
    for new, old, d in zip(h.params, p, g, strict=True):
        d = d / 16
        np.testing.assert_allclose(new - old, -0.01 * d / (np.abs(d) + ADAM_EPS),
                                   rtol=1e-9, atol=1e-15)
    assert np.abs(h.params.W - p.W).max() == pytest.approx(0.01, rel=1e-3)


def test_adam_follows_torch_optim_adam_step_by_step(recall):
    torch = pytest.importorskip("torch")
    task, data, _ = recall
    p = bb.init_params(task.word_dim, 5, cell="gru", seed=1)
    x, y = data.x[:24], data.y[:24]
    clip = 0.5
    h = train(p, x, y, epochs=4, learning_rate=0.02, batch_size=8, optimizer="adam",
              halve=False, clip=clip, seed=3)
    # the same steps by torch.optim.Adam, on the gradients of bb.bptt in the same order
    weights = [torch.tensor(a.copy(), dtype=torch.float64, requires_grad=True) for a in p]
    adam = torch.optim.Adam(weights, lr=0.02, betas=ADAM_BETAS, eps=ADAM_EPS)
    rng = np.random.default_rng(3)
    for _ in range(4):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 8):
            rows = order[start : start + 8]
            current = type(p)(*(w.detach().numpy() for w in weights))
            g = [a / len(rows) for a in bb.bptt(current, x[rows], y[rows])]
            norm = bb.global_norm(tuple(g))
            if norm >= clip:
                g = [a * clip / norm for a in g]
            for w, d in zip(weights, g, strict=True):
                w.grad = torch.tensor(d)
            adam.step()
    for ours, theirs in zip(h.params, weights, strict=True):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
    assert h.steps == 12


def test_the_optimizer_is_checked(recall):
    task, data, _ = recall
    p = bb.init_params(task.word_dim, 4, seed=0)
    for bad in ("Adam", "rmsprop", None, 1):
        with pytest.raises(ValueError, match="optimizer must be one of"):
            train(p, data.x, data.y, epochs=1, learning_rate=0.1, optimizer=bad)
    assert OPTIMIZERS == ("sgd", "adam")
    sgd_run = train(p, data.x[:32], data.y[:32], epochs=1, learning_rate=0.1)
    explicit = train(p, data.x[:32], data.y[:32], epochs=1, learning_rate=0.1,
                     optimizer="sgd")
    for a, b in zip(sgd_run.params, explicit.params, strict=True):
        np.testing.assert_array_equal(a, b)
