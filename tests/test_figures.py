"""The figures and diagrams of bptt_book.figures: each draws at small settings, and its numbers
are checked against a computation written here independently (a hand-written loop, the
tutorial's loop in bptt_book.reference, finite differences, or bb.jacobian entry by entry)."""

import json
import subprocess
import sys

import numpy as np
import pytest

import bptt_book as bb
from bptt_book import config
from bptt_book.reference import bptt_loop

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from helpers import draws  # noqa: E402

from bptt_book import figures  # noqa: E402

pytestmark = pytest.mark.usefixtures("close_figures")


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [
        ax.get_title() for ax in fig.axes]


def _tanh_states(p, x):
    s, states = np.zeros(p.W.shape[0]), []
    for word in x:
        s = np.tanh(p.U[:, word] + p.W @ s)
        states.append(s)
    return np.array(states)


def _g(p, s, y):
    """g_t = V^T (yhat_t - y_t) for every t, from the states s."""
    o = s @ p.V.T
    yhat = np.exp(o - o.max(axis=1, keepdims=True))
    yhat /= yhat.sum(axis=1, keepdims=True)
    yhat[np.arange(len(y)), y] -= 1
    return yhat @ p.V


def test_importing_the_figures_does_not_import_matplotlib():
    code = ("import sys, bptt_book, bptt_book.figures; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_drawing_without_matplotlib_says_how_to_install_it():
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "import bptt_book.figures as f\n"
            "d = f.walks_data(3)\n"  # the numbers need no matplotlib
            "for draw in (f.walks_vs_sweep, f.operator_graph, f.truncation_windows):\n"
            "    try:\n"
            "        draw()\n"
            "    except ModuleNotFoundError as e:\n"
            "        print(e.name, 'bptt_book[plot]' in str(e))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["matplotlib", "True"] * 3


# -------------------------------------------------------------------- the chapter figures


def test_hidden_states_against_a_hand_written_loop():
    d = figures.hidden_states_data(model="gradient_check", length=6, seed=3,
                                   activations=["tanh", "relu"])
    m = config.model("gradient_check")
    p = bb.init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"])
    x = np.random.default_rng(3).integers(0, m["word_dim"], 6)
    assert d.x.tolist() == x.tolist() and d.x_changed[0] == (x[0] + 1) % m["word_dim"]
    np.testing.assert_allclose(d.states, _tanh_states(p, x), rtol=1e-12)
    changed = _tanh_states(p, d.x_changed)
    np.testing.assert_allclose(d.distance["tanh"],
                               np.linalg.norm(_tanh_states(p, x) - changed, axis=1), rtol=1e-9)
    assert (d.distance["relu"] > 0).all()  # the first word reaches every later state
    fig = draws(figures.hidden_states(d))
    assert len(fig.axes[1].get_lines()) == 2


def test_untrained_loss_against_log_softmax_by_hand():
    d = figures.untrained_loss_data(word_dims=[2, 7], hidden_dim=3, sentences=4, length=5,
                                    seed=1)
    for D, value in zip([2, 7], d.per_word, strict=True):
        p = bb.init_params(D, 3, seed=1)
        rng = np.random.default_rng(1)
        x, y = rng.integers(0, D, (4, 5)), rng.integers(0, D, (4, 5))
        total = 0.0
        for xs, ys in zip(x, y, strict=True):
            o = _tanh_states(p, xs) @ p.V.T
            total -= (o[np.arange(5), ys] - np.log(np.exp(o).sum(axis=1))).sum()
        assert value == pytest.approx(total / 20, rel=1e-12)
        assert abs(value - np.log(D)) < 0.1  # an untrained model guesses about uniformly
    draws(figures.untrained_loss(d))


def test_truncation_error_against_the_tutorials_loop():
    d = figures.truncation_error_data(length=7, seed=2)
    m = config.model("gradient_check")
    p = bb.init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"])
    words = np.random.default_rng(2).integers(0, m["word_dim"], size=8)
    x, y = words[:-1], words[1:]
    exact = bptt_loop(*p, x, y, 1000)
    assert d.K.tolist() == list(range(5))
    for K, row in zip(d.K, d.error, strict=True):
        loop = bptt_loop(*p, x, y, int(K))
        expected = [np.linalg.norm(a - b) / np.linalg.norm(b)
                    for a, b in zip(loop, exact, strict=True)]
        np.testing.assert_allclose(row, expected, rtol=1e-7, atol=1e-15)
    assert (d.error[:, 1] == 0).all()  # V involves no walk: never truncated
    assert (np.diff(d.error[:, 0]) < 0).all()  # U: less error with every longer window
    draws(figures.truncation_error(d))


def test_gradcheck_step_falls_like_h_squared():
    d = figures.gradcheck_step_data(steps=[1e-2, 1e-3])
    for name in "UW":  # truncation error dominates: a hundredfold for a tenfold smaller h
        assert d.error[name][0] / d.error[name][1] == pytest.approx(100, rel=0.05)
    m = config.model("gradient_check")
    p = bb.init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"])
    assert d.error["W"][1] == bb.gradient_check(p, m["x"], m["y"], h=1e-3).max_error["W"]
    assert d.threshold == bb.gradient_check(p, m["x"], m["y"]).threshold
    draws(figures.gradcheck_step(d))
    h = 10.0 ** -np.arange(1.0, 5.01, 0.5)  # enough steps for the two guides (made-up errors)
    wide = figures.GradcheckStep(h, {name: h**2 + 1e-16 / h for name in "UVW"}, 1e-5)
    assert len(draws(figures.gradcheck_step(wide)).axes[0].get_lines()) == 6  # 3 + 2 + 1
    with pytest.raises(ValueError, match="steps"):
        figures.gradcheck_step_data(steps=[])


def test_activations_and_their_slopes():
    z = np.linspace(-3, 3, 61)
    d = figures.activations_data(z)
    np.testing.assert_allclose(d.curves["tanh"].slope, 1 / np.cosh(z) ** 2, atol=1e-12)
    sig = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(d.curves["sigmoid"].s, sig, rtol=1e-12)
    np.testing.assert_allclose(d.curves["sigmoid"].slope, sig * (1 - sig), atol=1e-12)
    assert {n: c.gamma_text for n, c in d.curves.items()} == {
        "tanh": "1", "sigmoid": "1/4", "relu": "1"}
    for c in d.curves.values():
        assert c.slope.max() <= c.gamma + 1e-12
    draws(figures.activations(d))


def _book_setting(table, model, seed, words):
    """The chapters' draws, written out: the sentence first, then NumPy's Q."""
    m = config.model(model)
    p = bb.init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"])
    rng = np.random.default_rng(seed)
    x = rng.integers(0, m["word_dim"], size=words)
    Q, _ = np.linalg.qr(rng.normal(size=(m["hidden_dim"], m["hidden_dim"])))
    return p, x, Q


def test_jacobian_norms_entry_by_entry():
    d = figures.jacobian_norms_data(model="gradient_check", length=7, seed=4,
                                    scales=[0.5, 1.5], activations=["tanh", "sigmoid"])
    p, x, Q = _book_setting("jacobian_norms", "gradient_check", 4, 7)
    for (name, scale), r in d.norms.items():
        gamma = {"tanh": 1.0, "sigmoid": 0.25}[name]
        q = bb.Params(p.U, p.V, scale / gamma * Q)
        for dist in range(7):
            J = bb.jacobian(q, x, t=6, k=6 - dist, activation=name)
            assert r.norm[dist] == pytest.approx(np.linalg.norm(J, 2), rel=1e-10)
        assert (r.norm <= r.bound * (1 + 1e-12)).all()
        np.testing.assert_allclose(r.bound[1], scale, rtol=1e-12)  # gamma sigma_max = scale
    fig = draws(figures.jacobian_norms(d))
    assert len(fig.axes) == 2 and len(fig.axes[0].get_lines()) == 4


def test_contributions_against_jacobian_products():
    d = figures.contributions_data(model="gradient_check", length=6, seed=5, scales=[0.9, 1.5])
    p, words, Q = _book_setting("contributions", "gradient_check", 5, 7)
    x, y = words[:-1], words[1:]
    t = len(x) - 1
    for scale, c in d.contributions.items():
        q = bb.Params(p.U, p.V, scale * Q)
        s = _tanh_states(q, x)
        g = _g(q, s, y)[t]
        for dist in range(t):  # k = t - dist >= 1; the term of k = 0 is zero (s_{-1} = 0)
            k = t - dist
            delta = (1 - s[k] ** 2) * (bb.jacobian(q, x, t, k).T @ g)
            expected = np.linalg.norm(np.outer(delta, s[k - 1]))
            assert c[dist] == pytest.approx(expected, rel=1e-9)
        assert c[t] == 0.0
    draws(figures.contributions(d))


def test_gradient_growth_against_the_tutorials_loop():
    d = figures.gradient_growth_data(model="gradient_check", lengths=[2, 5], seed=6,
                                     scales=[0.5, 2.0])
    p, words, Q = _book_setting("gradient_growth", "gradient_check", 6, 6)
    for scale, row in d.norm_per_word.items():
        for T, value in zip([2, 5], row, strict=True):
            g = bptt_loop(p.U, p.V, scale * Q, words[:T], words[1:T + 1], 1000)
            assert value == pytest.approx(np.sqrt(sum((a**2).sum() for a in g)) / T,
                                          rel=1e-9)
    assert d.norm_per_word[2.0][1] > d.norm_per_word[0.5][1]
    fig = draws(figures.gradient_growth(d))
    assert [line.get_linestyle() for line in fig.axes[0].get_lines()] == ["-", "--"]


def test_clipping_against_the_chapters_loop():
    d = figures.clipping_data(steps=6)
    c = config.load("vanishing")["clipping"]
    rng = np.random.default_rng(c["seed"])
    sequence = np.resize(rng.integers(0, c["word_dim"], size=c["pattern"]), c["length"] + 1)
    x, y = sequence[:-1], sequence[1:]
    Q, _ = np.linalg.qr(rng.normal(size=(c["hidden_dim"], c["hidden_dim"])))
    U, V, _ = bb.init_params(c["word_dim"], c["hidden_dim"], seed=c["seed"])
    for threshold, label in ((None, "plain SGD"), (c["threshold"], "clipped")):
        params, losses, norms = bb.Params(U, V, c["scale"] * Q), [], []
        for _ in range(6):
            losses.append(bb.loss(params, x, y))
            g = bb.bptt(params, x, y)
            norms.append(np.sqrt(sum((a**2).sum() for a in g)))
            if threshold is not None and norms[-1] >= threshold:
                g = [a * threshold / norms[-1] for a in g]
            lr = c["learning_rate"]
            params = bb.Params(*(w - lr * dw for w, dw in zip(params, g, strict=True)))
        history = d.runs[label]
        # The norm is summed in another order here, and the run amplifies rounding: 1e-9.
        np.testing.assert_allclose(history.loss[:6], losses, rtol=1e-9)
        np.testing.assert_allclose(history.grad_norm, norms, rtol=1e-9)
    assert sum(d.runs["clipped"].clipped) == 6  # the gradient is above the threshold here
    draws(figures.clipping(d))


# --------------------------------------------------------------------------- the diagrams


def _delta_sweep(p, x, y):
    """delta_t = f'(z_t) * (g_t + W^T delta_{t+1}), delta_T = 0 (tanh): the diagrams' rule."""
    s = _tanh_states(p, x)
    g = _g(p, s, y)
    delta, deltas = np.zeros(len(p.W)), [None] * len(x)
    for t in range(len(x) - 1, -1, -1):
        nxt = p.W.T @ delta if t < len(x) - 1 else 0.0
        delta = (1 - s[t] ** 2) * (g[t] + nxt)
        deltas[t] = delta
    return s, np.array(deltas)


def test_unrolled_and_folded_diagrams_draw_every_step():
    for steps in (3, 4):
        texts = _texts(draws(figures.unrolled(steps)))
        assert [f"$x_{t}$" in texts for t in range(steps)] == [True] * steps
        assert texts.count("$W$") == steps and texts.count("$U$") == steps
        texts = _texts(draws(figures.folded_unrolled(steps)))
        assert sum(t.startswith("$x_{") for t in texts) == steps + 1  # the folded cell too
        assert texts.count("$W$") == steps + 1


def test_operator_graph_and_backward_step_state_what_bptt_computes():
    """The diagrams say: g_t = V^T (yhat_t - y_t); delta_t = f'(z_t) (g_t + W^T delta_{t+1})
    is dE/dz_t, gives column x_t of dE/dU and sum_t delta_t s_{t-1}^T = dE/dW."""
    texts = _texts(draws(figures.operator_graph()))
    assert any("g_t" in t for t in texts) and any(r"\delta_t" in t for t in texts)
    texts = _texts(draws(figures.backward_step()))
    assert any(r"f'(z_t) \odot" in t for t in texts)
    p = bb.init_params(12, 5, seed=2)
    x, y = [3, 1, 4, 0, 5], [1, 4, 0, 5, 9]  # distinct words: column x_t of dU is delta_t
    s, delta = _delta_sweep(p, x, y)
    dU, _, dW = bb.bptt(p, x, y)
    np.testing.assert_allclose(dU[:, x], delta.T, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(sum(np.outer(delta[t], s[t - 1]) for t in range(1, 5)), dW,
                               rtol=1e-10, atol=1e-14)


def test_walks_and_sweep_count_their_products():
    d = figures.walks_data(7)
    assert d.walk_products == 21 and d.sweep_products == 6
    p = bb.init_params(9, 4, seed=1)
    x, y = [1, 2, 3, 4, 5, 6, 7], [2, 3, 4, 5, 6, 7, 8]
    s = _tanh_states(p, x)
    g = _g(p, s, y)
    products, dW = 0, np.zeros_like(p.W)
    for t, walk in enumerate(d.walks):  # each output's error walked back on its own
        delta = (1 - s[t] ** 2) * g[t]
        for k in walk:
            if k > 0:
                dW += np.outer(delta, s[k - 1])
                delta = (1 - s[k - 1] ** 2) * (p.W.T @ delta)
                products += 1
    assert products == d.walk_products
    np.testing.assert_allclose(dW, bb.bptt(p, x, y).W, rtol=1e-10, atol=1e-14)
    fig = draws(figures.walks_vs_sweep(d))
    assert str(d.walk_products) in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="T must be"):
        figures.walks_data(0)


def _pair_terms(p, x, y):
    """term[t, k] = delta_k^(t) s_{k-1}^T, the (output t, step k) term of dE/dW."""
    s = _tanh_states(p, x)
    g = _g(p, s, y)
    T, H = len(x), len(p.W)
    terms = np.zeros((T, T, H, H))
    for t in range(T):
        for k in range(1, t + 1):
            delta = (1 - s[k] ** 2) * (bb.jacobian(p, x, t, k).T @ g[t])
            terms[t, k] = np.outer(delta, s[k - 1])
    return s, terms


def _cut_sweep(p, x, y, factor, first=0):
    """dE/dW from the delta sweep with the link into step j scaled by factor[j] (0 cuts it),
    and no delta at all before step ``first``."""
    s = _tanh_states(p, x)
    g = _g(p, s, y)
    delta, dW = np.zeros(len(p.W)), np.zeros_like(p.W)
    for t in range(len(x) - 1, first - 1, -1):
        nxt = factor[t + 1] * (p.W.T @ delta) if t < len(x) - 1 else 0.0
        delta = (1 - s[t] ** 2) * (g[t] + nxt)
        if t > 0:
            dW += np.outer(delta, s[t - 1])
    return dW


def test_truncation_windows_match_what_each_scheme_computes():
    p = bb.init_params(10, 3, seed=4)
    x, y = [1, 2, 3, 4, 5, 6, 7], [2, 3, 4, 5, 6, 7, 8]
    T, K = 7, 3
    _, terms = _pair_terms(p, x, y)

    def weighted(w):
        return np.einsum("tk,tkij->ij", w, terms)

    w = figures.truncation_window("window", T, K)
    np.testing.assert_allclose(weighted(w), bb.bptt(p, x, y, truncate=K).W, atol=1e-14)
    np.testing.assert_allclose(weighted(np.tril(np.ones((T, T)))), bb.bptt(p, x, y).W,
                               atol=1e-14)
    chunked = np.ones(T + 1)
    chunked[np.arange(K, T, K)] = 0.0  # the backward pass stops at every chunk boundary
    w = figures.truncation_window("chunk", T, K)
    np.testing.assert_allclose(weighted(w), _cut_sweep(p, x, y, chunked), atol=1e-14)
    w = figures.truncation_window("theano", T, K)
    np.testing.assert_allclose(weighted(w), _cut_sweep(p, x, y, np.ones(T + 1), T - K),
                               atol=1e-14)
    assert not w[:, : T - K].any()  # the early steps get nothing, not even from their own output
    for seed in range(5):
        w = figures.truncation_window("random", T, K, rng=np.random.default_rng(seed))
        cut = np.random.default_rng(seed).random(T - 1) < 1 / K  # the same draw
        factor = np.ones(T + 1)
        factor[1:T] = np.where(cut, 0.0, 1 / (1 - 1 / K))
        np.testing.assert_allclose(weighted(w), _cut_sweep(p, x, y, factor), atol=1e-13)


def test_chunked_window_is_the_gradient_with_the_state_held_at_each_cut():
    """Finite differences of the loss in which the state entering each chunk is a constant
    (computed with the unperturbed W): the gradient truncated BPTT by chunks computes."""
    p = bb.init_params(6, 2, seed=7)
    x, y = np.array([1, 2, 3, 4, 5]), np.array([2, 3, 4, 5, 0])
    T, K = 5, 2
    held = _tanh_states(p, x)

    def loss(W):
        total, s = 0.0, np.zeros(2)
        for t in range(T):
            if t % K == 0 and t > 0:
                s = held[t - 1]  # carried forward as a number, not a function of W
            s = np.tanh(p.U[:, x[t]] + W @ s)
            o = p.V @ s
            total -= o[y[t]] - np.log(np.exp(o).sum())
        return total

    h, numeric = 1e-6, np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            e = np.zeros((2, 2))
            e[i, j] = h
            numeric[i, j] = (loss(p.W + e) - loss(p.W - e)) / (2 * h)
    _, terms = _pair_terms(p, x, y)
    w = figures.truncation_window("chunk", T, K)
    np.testing.assert_allclose(np.einsum("tk,tkij->ij", w, terms), numeric, atol=1e-8)


def test_randomized_window_is_unbiased():
    T, K, n = 8, 4, 20000
    rng = np.random.default_rng(0)
    draws = np.array([figures.truncation_window("random", T, K, rng=rng) for _ in range(n)])
    t, k = np.indices((T, T))
    mean, err = draws.mean(axis=0), draws.std(axis=0) / np.sqrt(n)
    below = k <= t
    assert (np.abs(mean - 1)[below] <= 5 * err[below] + 1e-12).all()
    assert (draws[:, ~below] == 0).all()
    kept = (draws > 0).mean(axis=0)  # a term survives when none of its t - k links was cut
    np.testing.assert_allclose(kept[below], (1 - 1 / K) ** (t - k)[below], atol=0.02)


def test_truncation_windows_diagram_and_bad_input():
    d = figures.truncation_windows_data(T=6, K=2, seed=1)
    assert set(d.weights) == set(figures.SCHEMES)
    fig = draws(figures.truncation_windows(d))
    assert sum("terms kept" in ax.get_title() for ax in fig.axes) == 4
    with pytest.raises(ValueError, match="scheme"):
        figures.truncation_window("sometimes", 4, 2)
    with pytest.raises(ValueError, match="K must be"):
        figures.truncation_window("chunk", 4, 0)
    with pytest.raises(TypeError, match="rng"):
        figures.truncation_window("random", 4, 2)


def test_eigenvalues_of_the_models_w_and_of_a_scaled_orthogonal_w():
    d = figures.eigenvalues_data(model="gradient_check")
    m = config.model("gradient_check")
    W = bb.init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"]).W
    np.testing.assert_allclose(np.sort_complex(d.eigenvalues),
                               np.sort_complex(np.linalg.eigvals(W)), atol=1e-12)
    assert d.rho <= d.sigma_max  # |lambda| <= sigma_max for every eigenvalue
    assert d.sigma_max == pytest.approx(np.linalg.svd(W, compute_uv=False)[0])
    d2 = figures.eigenvalues_data(model="gradient_check", scale=0.8, activation="sigmoid")
    np.testing.assert_allclose(np.abs(d2.eigenvalues), 0.8 * 4, rtol=1e-10)
    assert d2.gamma == 0.25
    draws(figures.eigenvalues(d))


def test_jacobian_heatmap_entries_are_jacobian_norms():
    d = figures.jacobian_heatmap_data(model="gradient_check", length=6, seed=8)
    p, x, Q = _book_setting("jacobian_norms", "gradient_check", 8, 6)
    for table, q in zip(d.norms, (p, bb.Params(p.U, p.V, 1.5 * Q)), strict=True):
        for t in range(6):
            for k in range(6):
                if k > t:
                    assert np.isnan(table[t, k])
                else:
                    expected = np.linalg.norm(bb.jacobian(q, x, t, k), 2)
                    assert table[t, k] == pytest.approx(expected, rel=1e-10)
    draws(figures.jacobian_heatmap(d))


def test_cliff_is_steep_and_the_plain_step_jumps_off():
    d = figures.cliff_data(alpha=np.linspace(1.5, 1.7, 81))

    def loss(a):  # the one-unit network by hand
        s, total = 0.0, 0.0
        for word, target in zip(d.x, d.y, strict=True):
            s = np.tanh(d.params.U[0, word] + a * d.params.W[0, 0] * s)
            o = d.params.V[:, 0] * s
            total -= o[target] - np.log(np.exp(o).sum())
        return total

    np.testing.assert_allclose(d.loss[::10], [loss(a) for a in d.alpha[::10]], rtol=1e-10)
    E0, slope = figures.cliff_step(d, d.start)
    h = 1e-6
    assert slope == pytest.approx((loss(d.start + h) - loss(d.start - h)) / (2 * h), rel=1e-5)
    assert abs(slope) == np.abs(d.slope).max() > 100 * d.threshold  # an exploding gradient
    rise = max(d.loss[j] / d.loss[i] for i in range(len(d.alpha)) for j in range(len(d.alpha))
               if abs(d.alpha[j] - d.alpha[i]) <= 0.1)
    assert rise > 10  # a cliff: the loss grows tenfold within 0.1 in alpha
    assert d.plain - d.start == pytest.approx(-d.learning_rate * slope)
    assert abs(d.clipped - d.start) == pytest.approx(d.learning_rate * d.threshold)
    E_plain, _ = figures.cliff_step(d, d.plain)
    E_clipped, _ = figures.cliff_step(d, d.clipped)
    assert E_plain > E0 > E_clipped  # the plain step makes things worse, the clipped better
    assert d.wide_alpha[0] < d.plain  # the wide view shows where the plain step lands
    draws(figures.cliff(d))


# ------------------------------------------------------------------------------ the explorer


def test_explorer_data_is_the_packages_numbers_and_backs_the_pages_claims(tmp_path):
    from bptt_book.figures.explorer import SCALES, explorer_data, write_explorer

    d = explorer_data(scales=(0.5, 0.9, 1.1, 1.5), activations=("tanh", "sigmoid"))
    c = config.load("vanishing")["contributions"]
    T = c["length"]
    assert d["length"] == T and d["K"] == list(range(T)) and d["scales"] == [0.5, 0.9, 1.1, 1.5]
    p, words, Q = _book_setting("contributions", c["model"], c["seed"], T + 1)
    x, y = words[:-1], words[1:]
    cell = d["results"]["tanh"][1]  # 0.9 / gamma, gamma = 1
    q = bb.Params(p.U, p.V, 0.9 * Q)
    for dist in (0, 7, T - 1):
        J = bb.jacobian(q, x, T - 1, T - 1 - dist)
        assert cell["norm"][dist] == pytest.approx(np.linalg.norm(J, 2), rel=1e-5)
        assert cell["bound"][dist] == pytest.approx(0.9**dist, rel=1e-5)
    exact, cut = bptt_loop(*q, x, y, 1000)[2], bptt_loop(*q, x, y, 4)[2]
    assert cell["truncation_error"][4] == pytest.approx(
        np.linalg.norm(cut - exact) / np.linalg.norm(exact), rel=1e-5)
    for name in ("tanh", "sigmoid"):
        for cell in d["results"][name]:
            assert sum(cell["share"]) == pytest.approx(1, rel=1e-5)
            assert cell["truncation_error"][-1] == 0.0  # K >= T - 1: exact
    # The page's "things to try": tanh turns from falling to rising across the threshold ...
    tanh = {s: cell for s, cell in zip(d["scales"], d["results"]["tanh"], strict=True)}
    assert tanh[0.9]["norm"][-1] < 1 < tanh[1.1]["norm"][-1]
    far = [sum(cell["share"][6:]) for cell in d["results"]["tanh"]]
    assert far == sorted(far)  # ... and with it the share from far back grows;
    sigmoid = {s: cell for s, cell in zip(d["scales"], d["results"]["sigmoid"], strict=True)}
    assert sigmoid[1.1]["norm"][-1] < 1 and sigmoid[1.5]["norm"][-1] < 1  # above it, yet
    top = explorer_data(scales=(max(SCALES),), activations=("sigmoid",))  # the slider's end
    assert top["results"]["sigmoid"][0]["norm"][-1] < 1
    # truncation at K costs more exactly where more of the gradient lies beyond K.
    cells = [cell for name in ("tanh", "sigmoid") for cell in d["results"][name]]
    beyond = [sum(cell["share"][5:]) for cell in cells]
    error = [cell["truncation_error"][4] for cell in cells]
    assert np.argsort(beyond).tolist() == np.argsort(error).tolist()
    written = write_explorer(tmp_path / "results.json", d)
    assert json.loads((tmp_path / "results.json").read_text(),
                      parse_constant=lambda name: pytest.fail(f"{name} in the JSON")) == written
    with pytest.raises(ValueError, match="scales"):
        explorer_data(scales=(0.5, -1.0))


def test_scheme_bias_is_each_schemes_error_against_exact_bptt():
    d = figures.scheme_bias_data(length=8, scales=(0.8,), Ks=(2, 7, 8), draws=30, seed=1)
    (scale,) = d.scales
    window, chunk, theano = (d.error[scale, s] for s in ("window", "chunk", "theano"))
    assert window[1] < 1e-12 and window[0] > 0.01  # K = T - 1 is exact, K = 2 is not
    assert chunk[2] < 1e-12 < chunk[1] and theano[2] < 1e-12 < theano[1]  # exact from K = T
    assert theano[0] > chunk[0] > window[0]  # fewer terms kept, larger error
    assert (d.spread[scale] > 0).all()  # the random scheme's draws differ from exact
    # an independent recomputation of one point: the window at K = 2
    from bptt_book.figures._settings import orthogonal_setting

    setting = orthogonal_setting({"model": "gradient_check", "seed": 1}, 9)
    p, x, y = setting.params(0.8), setting.words[:-1], setting.words[1:]
    g, e = bb.bptt(p, x, y, truncate=2), bb.bptt(p, x, y)
    num = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(g, e, strict=True)))
    den = np.sqrt(sum(np.sum(b**2) for b in e))
    np.testing.assert_allclose(window[0], num / den, rtol=1e-12)
    fig = draws(figures.scheme_bias(d))
    assert "0.8" in fig.axes[0].get_title()


def test_gradient_costs_measure_time_and_memory():
    d = figures.gradient_costs_data(Ts=(20, 600), Hs=(4, 16), T_fixed=20, H_fixed=4,
                                    repeats=1)
    assert set(d.seconds) == set(d.peak)
    assert all(v > 0 for v in d.seconds.values())
    # BPTT stores every step; RTRL carries sensitivities whose size does not depend on T, and
    # grows only by the token ids it was given (x and y as 8-byte integers, 16 bytes a step)
    bptt_growth = d.peak["BPTT", "T", 600] - d.peak["BPTT", "T", 20]
    rtrl_growth = d.peak["RTRL", "T", 600] - d.peak["RTRL", "T", 20]
    assert rtrl_growth < 20 * 580 < 4 * 20 * 580 < bptt_growth
    assert d.peak["RTRL", "H", 16] > 8 * d.peak["RTRL", "H", 4]  # H P numbers, P ~ H^2 + H D
    fig = draws(figures.gradient_costs(d))
    assert len(fig.axes) == 4


def test_quoted_defaults_survive_a_signature_rewritten_by_autodoc(monkeypatch):
    """Sphinx's autodoc (autodoc_preserve_defaults) gives a documented function a
    ``__signature__`` whose defaults are source text; the quoted numbers read the function's
    own defaults, so the EPUB build, which reads the API page first, quotes numbers still."""
    import inspect

    from bptt_book.figures import cliff_data, jacobian_heatmap_data, quoted

    for f in (cliff_data, jacobian_heatmap_data):
        sig = inspect.signature(f)
        text = sig.replace(parameters=[p.replace(default=type("DefaultValue", (), {})())
                                       if p.default is not p.empty else p
                                       for p in sig.parameters.values()])
        monkeypatch.setattr(f, "__signature__", text, raising=False)
    quoted.value.cache_clear()
    try:
        assert quoted.text("heatmap.length") == str(jacobian_heatmap_data.__kwdefaults__["length"])
        assert quoted.text("cliff.switch") == str(cliff_data.__kwdefaults__["switch"])
    finally:
        quoted.value.cache_clear()
