"""The truncation schemes of bb.bptt and gradient checkpointing, against independent references.

References: a plain NumPy loop over (output t, step k) pairs weighted by the figure's own
encoding of each scheme (bptt_book.figures.truncation_window); PyTorch autograd with the
state detached every K steps (chunks), the first T - K steps run without a graph (Theano),
and every link scaled in the backward pass only (the randomized scheme) -- a hand-written
RNN, torch.nn.GRU and torch.nn.LSTM; and, for the randomized scheme, the exact gradient,
which its mean over many draws must match within its measured standard error.
"""

import functools

import numpy as np
import pytest
from helpers import assert_grads_close, large_model, sequences, torch_gated

import bptt_book as bb
from bptt_book import cells, figures
from bptt_book.derivation.cells import BUILT_IN
from bptt_book.generated.activations import ACTIVATIONS
from bptt_book.schemes import SCHEMES, link_weights

GATED = [name for name in BUILT_IN if name != "rnn"]

#: An expected gradient that is exactly zero must come out exactly zero.
_close = functools.partial(assert_grads_close, zero_atol=0.0)


# ------------------------------------------------------- a plain loop over (t, k) pairs


def _pair_loop(p, x, y, w, outputs=None):
    """dU, dV, dW of the plain tanh RNN as sum over pairs (t, k) of w[t, k] times the error
    of output t carried back to step k, one pair at a time; ``outputs`` are the steps whose
    output reaches V (all by default)."""
    T, H = len(x), p.W.shape[0]
    s, prev = np.zeros((T, H)), np.zeros(H)
    for t, word in enumerate(x):
        prev = s[t] = np.tanh(p.U[:, word] + p.W @ prev)
    o = s @ p.V.T
    e = np.exp(o - o.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    e[np.arange(T), y] -= 1
    dU, dV, dW = np.zeros_like(p.U), np.zeros_like(p.V), np.zeros_like(p.W)
    for t in range(T) if outputs is None else outputs:
        dV += np.outer(e[t], s[t])
    for t in range(T):
        delta = (1 - s[t] ** 2) * (p.V.T @ e[t])  # output t's error entering step t
        for k in range(t, -1, -1):
            if w[t, k]:
                dU[:, x[k]] += w[t, k] * delta
                if k > 0:
                    dW += w[t, k] * np.outer(delta, s[k - 1])
            if k > 0:
                delta = (1 - s[k - 1] ** 2) * (p.W.T @ delta)
    return bb.Params(dU, dV, dW)


@pytest.mark.parametrize("K", [1, 2, 3, 6, 8])
@pytest.mark.parametrize("scheme", ["window", "chunk", "theano"])
def test_each_scheme_is_the_weighted_sum_the_figure_draws(scheme, K):
    p = large_model("rnn", D=9, H=4, seed=3, scale=1.5)
    x, y = sequences(9, B=1, T=7, seed=2)
    T = x.shape[1]
    w = figures.truncation_window(scheme, T, K)
    outputs = range(max(T - K, 0), T) if scheme == "theano" else None
    _close(bb.bptt(p, x[0], y[0], truncate=K, scheme=scheme), _pair_loop(p, x[0], y[0], w, outputs))


def test_the_random_scheme_is_the_weighted_sum_of_the_figures_draw():
    p = large_model("rnn", D=9, H=4, seed=3, scale=1.5)
    x, y = sequences(9, B=1, T=9, seed=2)
    for seed in range(6):
        w = figures.truncation_window("random", 9, 3, rng=np.random.default_rng(seed))
        _close(bb.bptt(p, x[0], y[0], truncate=3, scheme="random", rng=seed),
               _pair_loop(p, x[0], y[0], w))


# ---------------------------------------------------------------------------- PyTorch


def _torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


def _torch_net(p, cell):
    """(step function, parameters in bb's order) for ``cell`` on p's weights, in float64."""
    torch = _torch()
    if cell == "rnn":
        U, V, W = (torch.tensor(a, requires_grad=True) for a in p)

        def run(X, state):  # the tutorial's network, written out by hand
            s = torch.zeros(X.shape[0], W.shape[0], dtype=W.dtype) if state is None else state
            out = []
            for t in range(X.shape[1]):
                s = torch.tanh(X[:, t] @ U.T + s @ W.T)
                out.append(s)
            return torch.stack(out, 1), s

        return run, V, [U, V, W]
    net, V = torch_gated(p, cell)
    return net, V, [net.weight_ih_l0, V, net.weight_hh_l0, net.bias_ih_l0, net.bias_hh_l0]


def _detached(state):
    return None if state is None else (
        tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach())


def _torch_gradient(p, x, y, cell, scheme, K, keep=None):
    """The gradient PyTorch autograd computes for the loss summed over the outputs a scheme
    trains, with the graph cut where the scheme cuts it."""
    torch = _torch()
    run, V, params = _torch_net(p, cell)
    D, T = p.U.shape[1], x.shape[1]
    X = torch.nn.functional.one_hot(torch.tensor(x), D).double()
    Y = torch.tensor(y)

    def loss_of(out, target):
        return torch.nn.functional.cross_entropy((out @ V.T).reshape(-1, D), target.reshape(-1),
                                                 reduction="sum")

    loss, state = 0, None
    if scheme == "chunk":  # the state carried across, detached every K steps
        for start in range(0, T, K):
            out, state = run(X[:, start : start + K], _detached(state))
            loss = loss + loss_of(out, Y[:, start : start + K])
    elif scheme == "theano":  # the first T - K steps run without a graph
        with torch.no_grad():
            if T > K:
                _, state = run(X[:, : T - K], None)
        out, _ = run(X[:, max(T - K, 0) :], state)
        loss = loss_of(out, Y[:, max(T - K, 0) :])
    else:  # random: one step at a time, the link into step t scaled by keep[:, t] backwards
        for t in range(T):
            if state is not None:
                w = torch.tensor(keep[:, t : t + 1])

                def scale(s, w=w):  # the value of s, its gradient times w
                    return w * s + (1 - w) * s.detach()

                state = tuple(map(scale, state)) if isinstance(state, tuple) else scale(state)
            out, state = run(X[:, t : t + 1], state)
            loss = loss + loss_of(out, Y[:, t : t + 1])
    loss.backward()
    return type(p)(*(a.grad.numpy() for a in params))


def _agrees_with_pytorch(cell, scheme, K, B, seed):
    """bb.bptt with ``scheme`` at ``K`` equals PyTorch's gradient on B sentences of 7 words
    (the weights drawn from ``seed``, the words from ``seed + 1``)."""
    p = large_model(cell, D=9, H=4, seed=seed)
    x, y = sequences(9, B=B, T=7, seed=seed + 1)
    _close(bb.bptt(p, x, y, truncate=K, scheme=scheme), _torch_gradient(p, x, y, cell,
                                                                         scheme, K))


@pytest.mark.parametrize("K", [1, 2, 3, 7])
@pytest.mark.parametrize("cell", list(BUILT_IN))
def test_chunks_equal_pytorch_with_the_state_detached_every_k_steps(cell, K):
    _agrees_with_pytorch(cell, "chunk", K, B=3, seed=3)


@pytest.mark.parametrize("K", [1, 3, 7])
@pytest.mark.parametrize("cell", list(BUILT_IN))
def test_theano_equals_pytorch_on_the_last_k_steps(cell, K):
    _agrees_with_pytorch(cell, "theano", K, B=2, seed=5)


@pytest.mark.parametrize("cell", list(BUILT_IN))
def test_random_equals_pytorch_with_the_same_links_scaled(cell):
    p = large_model(cell, D=9, H=4, seed=7)
    x, y = sequences(9, B=3, T=8, seed=8)
    keep = link_weights("random", 3, 8, 3, np.random.default_rng(11))
    assert (keep == 0).any() and np.isclose(keep, 1.5).any()
    _close(bb.bptt(p, x, y, truncate=3, scheme="random", rng=np.random.default_rng(11)),
           _torch_gradient(p, x, y, cell, "random", 3, keep))


# ------------------------------------------------------------------------ exact cases


@pytest.mark.parametrize("cell", list(BUILT_IN))
def test_each_scheme_is_exact_exactly_when_nothing_is_cut(cell):
    p = large_model(cell)
    x, y = sequences(7, B=2, T=6)
    T, exact = 6, bb.bptt(p, x, y)
    for scheme, first_exact in (("window", T - 1), ("chunk", T), ("theano", T)):
        for K in (first_exact, first_exact + 3):
            _close(bb.bptt(p, x, y, truncate=K, scheme=scheme), exact)
        shorter = bb.bptt(p, x, y, truncate=first_exact - 1, scheme=scheme)
        assert not np.allclose(shorter.U, exact.U), scheme
    one = bb.bptt(p, x[:, :1], y[:, :1], truncate=2, scheme="random", rng=0)
    _close(one, bb.bptt(p, x[:, :1], y[:, :1]))  # a single step has no link to cut


def test_theano_gives_the_early_steps_nothing_not_even_their_own_output():
    p = large_model("rnn", D=9, H=4)
    x = np.array([1, 2, 3, 4, 5, 6])
    y = np.array([2, 3, 4, 5, 6, 7])
    g = bb.bptt(p, x, y, truncate=2, scheme="theano")
    assert not g.U[:, [1, 2, 3, 4]].any() and g.U[:, [5, 6]].any()
    w = bb.bptt(p, x, y, truncate=1, scheme="window")
    assert w.U[:, [1, 2, 3, 4]].all()


# -------------------------------------------------------------------- the random scheme


def test_the_random_mean_is_the_exact_gradient_within_its_standard_error():
    p = large_model("rnn", D=6, H=3, seed=1, scale=1.5)
    x, y = sequences(6, B=1, T=10, seed=3)
    exact = bb.bptt(p, x, y)
    rng = np.random.default_rng(0)
    n = 4000
    draws = [bb.bptt(p, x, y, truncate=3, scheme="random", rng=rng) for _ in range(n)]
    for i, name in enumerate(exact._fields):
        sample = np.array([d[i] for d in draws])
        mean, error = sample.mean(axis=0), sample.std(axis=0, ddof=1) / np.sqrt(n)
        assert (np.abs(mean - exact[i]) <= 4.5 * error + 1e-12).all(), name
    # the draws do differ, and their spread shrinks as cuts get rarer
    spread = {K: np.std([bb.bptt(p, x, y, truncate=K, scheme="random", rng=rng).W
                         for _ in range(400)], axis=0).mean() for K in (2, 20)}
    assert spread[2] > spread[20] > 0


def test_a_seed_repeats_its_draw_and_a_generator_moves_on():
    p = large_model("gru")
    x, y = sequences(7, B=2, T=9)
    a = bb.bptt(p, x, y, truncate=2, scheme="random", rng=5)
    b = bb.bptt(p, x, y, truncate=2, scheme="random", rng=5)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    rng = np.random.default_rng(5)
    first = bb.bptt(p, x, y, truncate=2, scheme="random", rng=rng)
    second = bb.bptt(p, x, y, truncate=2, scheme="random", rng=rng)
    assert all(np.array_equal(u, v) for u, v in zip(first, a, strict=True))
    assert not np.array_equal(first.W, second.W)


# ---------------------------------------------------------------------- checkpointing


@pytest.mark.parametrize("cell", list(BUILT_IN))
def test_checkpointing_gives_the_exact_gradient(cell):
    p = large_model(cell)
    x, y = sequences(7, B=2, T=11)
    exact = bb.bptt(p, x, y)
    for checkpoint in (True, 1, 2, 3, 11, 20):
        _close(bb.bptt(p, x, y, checkpoint=checkpoint), exact, rtol=1e-12)
    p32 = type(p)(*(a.astype(np.float32) for a in p))
    g32 = bb.bptt(p32, x, y, checkpoint=True)
    assert all(a.dtype == np.float32 for a in g32)


def test_the_forward_pass_continues_from_a_given_state():
    for cell in BUILT_IN:
        module = cells.by_name(cell)
        p = large_model(cell)
        act = ACTIVATIONS["tanh"] if module.PLUGGABLE else None
        x, _ = sequences(7, B=2, T=8)
        whole = module.forward(p, x, act)
        head = module.forward(p, x[:, :3], act)
        state = tuple(getattr(head, name)[:, -1] for name in module.STATES)
        tail = module.forward(p, x[:, 3:], act, state)
        for field, a, b in zip(whole._fields, whole, tail, strict=True):
            np.testing.assert_allclose(a[:, 3:], b, rtol=1e-13, atol=1e-15, err_msg=field)


# ------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    (dict(scheme="sometimes", truncate=2), ValueError, "scheme must be one of"),
    (dict(scheme=3, truncate=2), TypeError, "scheme must be one of"),
    (dict(scheme="chunk"), ValueError, "needs truncate=K"),
    (dict(scheme="chunk", truncate=0), ValueError, "truncate >= 1"),
    (dict(scheme="theano", truncate=0), ValueError, "truncate >= 1"),
    (dict(scheme="random", truncate=1, rng=0), ValueError, "truncate >= 2"),
    (dict(scheme="random", truncate=3), TypeError, "needs rng"),
    (dict(scheme="random", truncate=3, rng="seed"), TypeError, "rng must be"),
    (dict(scheme="random", truncate=3, rng=-1), ValueError, "non-negative seed"),
    (dict(scheme="random", truncate=3, rng=True), TypeError, "rng must be"),
    (dict(truncate=3, rng=0), ValueError, "rng applies to scheme='random'"),
    (dict(scheme="chunk", truncate=3, rng=0), ValueError, "rng applies"),
    (dict(checkpoint=True, truncate=3), ValueError, "checkpoint applies to exact"),
    (dict(checkpoint=0), ValueError, "checkpoint must be"),
    (dict(checkpoint=1.5), TypeError, "checkpoint must be"),
    (dict(checkpoint="sqrt"), TypeError, "checkpoint must be"),
])
def test_bad_combinations_say_what_is_wrong(kwargs, error, words):
    p = large_model("rnn")
    with pytest.raises(error, match=words):
        bb.bptt(p, [1, 2, 3], [2, 3, 4], **kwargs)


def test_the_schemes_are_the_figures_schemes_and_inputs_stay_untouched():
    assert SCHEMES == figures.SCHEMES
    p = large_model("lstm")
    x, y = sequences(7, T=7)
    copies = [a.copy() for a in p], x.copy(), y.copy()
    for kwargs in (dict(truncate=2, scheme="chunk"), dict(truncate=2, scheme="theano"),
                   dict(truncate=2, scheme="random", rng=0), dict(checkpoint=2)):
        bb.bptt(p, x, y, **kwargs)
    assert all(np.array_equal(a, b) for a, b in zip(copies[0], p, strict=True))
    assert np.array_equal(copies[1], x) and np.array_equal(copies[2], y)


# ------------------------------------------------------------------------------ training


def test_training_takes_a_scheme():
    from bptt_book.tasks import Recall
    from bptt_book.training import train

    task = Recall(length=3)
    data = task.sample(64, seed=0)
    p = bb.init_params(task.word_dim, 8, seed=0)
    settings = dict(epochs=2, learning_rate=0.1, batch_size=16, seed=3)
    exact = train(p, data.x, data.y, **settings)
    whole = train(p, data.x, data.y, truncate=4, scheme="chunk", **settings)  # K = T
    np.testing.assert_allclose(whole.loss, exact.loss, rtol=1e-12)
    first = train(p, data.x, data.y, truncate=2, scheme="random", **settings)
    again = train(p, data.x, data.y, truncate=2, scheme="random", **settings)
    assert first.loss == again.loss and first.loss != exact.loss
    with pytest.raises(ValueError, match="scheme must be one of"):
        train(p, data.x, data.y, truncate=2, scheme="chunks", **settings)
    with pytest.raises(ValueError, match="needs truncate=K"):
        train(p, data.x, data.y, scheme="theano", **settings)
