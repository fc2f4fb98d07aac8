"""The recipes the chapters call instead of re-typing them: training.orthogonal (the random
orthogonal Q behind W = scale / gamma * Q) and training.sgd (chapter 6's loop)."""

import numpy as np
import pytest

import bptt_book as bb
from bptt_book.training import initial_params, orthogonal, sgd


def test_orthogonal_is_numpys_q_of_a_normal_draw():
    Q = orthogonal(5, np.random.default_rng(3), uniform=False)
    expected, _ = np.linalg.qr(np.random.default_rng(3).normal(size=(5, 5)))
    np.testing.assert_array_equal(Q, expected)  # the chapters' draw, number for number
    np.testing.assert_allclose(Q.T @ Q, np.eye(5), atol=1e-14)


def test_uniform_orthogonal_fixes_the_signs_and_initial_params_is_unchanged():
    rng = np.random.default_rng([4, 1])
    A, R = np.linalg.qr(rng.normal(size=(6, 6)))
    Q = orthogonal(6, np.random.default_rng([4, 1]))
    np.testing.assert_array_equal(Q, A * np.sign(np.diag(R)))
    p = initial_params(9, 6, init="orthogonal", scale=0.7, seed=4)
    np.testing.assert_array_equal(p.W, 0.7 * A * np.sign(np.diag(R)))  # as before the refactor
    np.testing.assert_allclose(np.linalg.svd(p.W, compute_uv=False), 0.7, rtol=1e-12)


def test_orthogonal_rejects_bad_arguments():
    with pytest.raises(TypeError, match="rng"):
        orthogonal(3, 0)
    with pytest.raises(ValueError, match="size"):
        orthogonal(0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="size"):
        orthogonal(2.5, np.random.default_rng(0))


@pytest.mark.parametrize("clip", [None, 0.5])
def test_sgd_is_chapter_6s_loop(clip):
    p = bb.init_params(8, 5, seed=2)
    p = bb.Params(p.U, p.V, 2.0 * orthogonal(5, np.random.default_rng(1)))
    x, y = [1, 2, 3, 1, 2, 3, 1], [2, 3, 1, 2, 3, 1, 2]
    params, losses, norms = p, [], []
    for _ in range(10):
        losses.append(bb.loss(params, x, y))
        g = bb.bptt(params, x, y)
        norms.append(bb.global_norm(g))
        if clip is not None:
            g = bb.clip_gradients(g, clip)
        params = bb.Params(*(w - 0.3 * dw for w, dw in zip(params, g, strict=True)))
    losses.append(bb.loss(params, x, y))
    history = sgd(p, x, y, steps=10, learning_rate=0.3, clip=clip)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-12)
    np.testing.assert_allclose(history.grad_norm, norms, rtol=1e-12)
    assert history.learning_rate == [0.3] * 10  # never halved
    for a, b in zip(history.params, params, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert sum(history.clipped) == (0 if clip is None else sum(n >= clip for n in norms))


def test_sgd_rejects_bad_arguments():
    p = bb.init_params(5, 3, seed=0)
    with pytest.raises(ValueError, match="1-D"):
        sgd(p, [[1, 2]], [[2, 3]], steps=2, learning_rate=0.1)
    with pytest.raises(ValueError, match="steps"):
        sgd(p, [1, 2], [2, 3], steps=0, learning_rate=0.1)
    with pytest.raises(TypeError, match="steps"):
        sgd(p, [1, 2], [2, 3], steps="3", learning_rate=0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        sgd(p, [1, 2], [2, 3], steps=2, learning_rate=-1.0)
