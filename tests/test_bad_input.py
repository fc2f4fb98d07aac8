"""A catalogue of bad input across the whole public API: each gets a clear error that
names the argument, and never a crash from deep inside NumPy or a silently wrong answer."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt_book as bb
from bptt_book.tasks import Recall
from bptt_book.training import train

D, H = 7, 3
P = bb.init_params(D, H, seed=0)
X, Y = np.array([1, 2, 3]), np.array([2, 3, 4])


def with_param(name, value):
    return P._replace(**{name: value})


def nan_at(name, index):
    a = getattr(P, name).copy()
    a[index] = np.nan
    return with_param(name, a)


# (call, expected exception, words the message must contain)
CATALOGUE = {
    "token id too large": (lambda: bb.bptt(P, [1, D], [1, 2]), ValueError, ["x", "[0, 7)"]),
    "negative token id": (lambda: bb.loss(P, [-1, 2], [1, 2]), ValueError, ["x", "-1"]),
    "label too large": (lambda: bb.bptt(P, X, [1, 2, 99]), ValueError, ["y", "99"]),
    "negative label": (lambda: bb.loss(P, X, [1, -2, 3]), ValueError, ["y", "-2"]),
    "float tokens": (lambda: bb.bptt(P, [1.0, 2.0], [1, 2]), TypeError, ["x", "integer"]),
    "boolean tokens": (lambda: bb.forward(P, [True, False]), TypeError, ["x", "integer"]),
    "string tokens": (lambda: bb.forward(P, ["the", "cat"]), TypeError, ["x", "integer"]),
    # NumPy turns [True, 2] into the integers [1, 2]: a boolean among ids is refused anyway.
    "boolean among token ids": (lambda: bb.forward(P, [True, 2]), TypeError,
                                ["x", "integer", "boolean"]),
    "boolean among labels": (lambda: bb.bptt(P, [1, 2], [True, 2]), TypeError,
                             ["y", "integer", "boolean"]),
    "boolean in a batch": (lambda: bb.loss(P, [[1, 2], [np.True_, 3]], [[1, 2], [3, 4]]),
                           TypeError, ["x", "boolean"]),
    "boolean in a tuple": (lambda: bb.gradient_check(P, (1, 2), (2, False)), TypeError,
                           ["y", "boolean"]),
    "boolean to the Jacobian": (lambda: bb.jacobian_norms(P, [3, True, 1]), TypeError,
                                ["x", "boolean"]),
    "boolean to the contributions": (lambda: bb.gradient_contributions(P, [False, 1], [1, 2]),
                                     TypeError, ["x", "boolean"]),
    "boolean to train": (lambda: train(P, [[1, True]], [[1, 2]], epochs=1, learning_rate=0.1),
                         TypeError, ["x", "boolean"]),
    "boolean label to train": (lambda: train(P, [[1, 2]], [[1, True]], epochs=1,
                                             learning_rate=0.1), TypeError, ["y", "boolean"]),
    "boolean to the GRU": (lambda: bb.forward(bb.init_params(D, H, cell="gru", seed=0),
                                              [True, 2]), TypeError, ["x", "boolean"]),
    "boolean to a task's show": (lambda: Recall(3).show([1, True, 5, 10]), TypeError,
                                 ["x", "boolean"]),
    "float labels": (lambda: bb.bptt(P, X, [1.5, 2, 3]), TypeError, ["y", "integer"]),
    "None as tokens": (lambda: bb.forward(P, None), TypeError, ["x"]),
    "ragged batch": (lambda: bb.forward(P, [[1, 2], [3]]), ValueError, ["x"]),
    "x and y shapes differ": (lambda: bb.bptt(P, X, [1, 2]), ValueError, ["x and y", "shape"]),
    "batch and sequence mixed": (lambda: bb.loss(P, [[1, 2]], [1, 2]), ValueError, ["shape"]),
    "empty sequence": (lambda: bb.bptt(P, [], []), ValueError, ["x", "empty"]),
    "empty batch": (lambda: bb.loss(P, np.zeros((2, 0), int), np.zeros((2, 0), int)),
                    ValueError, ["empty"]),
    "3-D tokens": (lambda: bb.forward(P, np.zeros((1, 1, 2), int)), ValueError, ["x", "shape"]),
    "0-D token": (lambda: bb.forward(P, 3), ValueError, ["x"]),
    "params not a tuple": (lambda: bb.bptt([P.U, P.V], X, Y), TypeError, ["params"]),
    "params is None": (lambda: bb.loss(None, X, Y), TypeError, ["params"]),
    "V does not fit U": (lambda: bb.bptt(with_param("V", np.zeros((D, H + 1))), X, Y),
                         ValueError, ["V", "(D, H)"]),
    "W does not fit U": (lambda: bb.loss(with_param("W", np.zeros((H, H + 1))), X, Y),
                         ValueError, ["W", "(H, H)"]),
    "U is 1-D": (lambda: bb.forward(with_param("U", np.zeros(5)), X), ValueError, ["U", "2-D"]),
    "U has no columns": (lambda: bb.forward(with_param("U", np.zeros((H, 0))), [0]),
                         ValueError, ["U"]),
    "NaN in W": (lambda: bb.bptt(nan_at("W", (0, 1)), X, Y), ValueError, ["W", "NaN"]),
    "NaN in a used column of U": (lambda: bb.loss(nan_at("U", (0, 2)), X, Y),
                                  ValueError, ["U", "NaN"]),
    "infinity in V": (lambda: bb.bptt(with_param("V", np.full((D, H), np.inf)), X, Y),
                      ValueError, ["V", "infinite"]),
    "NaN in V": (lambda: bb.forward(nan_at("V", (5, 0)), X), ValueError, ["V", "NaN"]),
    "complex parameters": (lambda: bb.bptt(with_param("W", P.W.astype(complex)), X, Y),
                           TypeError, ["W", "real"]),
    "string parameters": (lambda: bb.loss(with_param("U", np.full((H, D), "a")), X, Y),
                          TypeError, ["U"]),
    "object parameters": (lambda: bb.loss(with_param("V", np.full((D, H), None)), X, Y),
                          TypeError, ["V"]),
    "negative truncate": (lambda: bb.bptt(P, X, Y, truncate=-1), ValueError, ["truncate"]),
    "float truncate": (lambda: bb.bptt(P, X, Y, truncate=2.0), TypeError, ["truncate"]),
    "boolean truncate": (lambda: bb.bptt(P, X, Y, truncate=True), TypeError, ["truncate"]),
    "unknown activation": (lambda: bb.bptt(P, X, Y, activation="swish"), ValueError,
                           ["activation", "swish"]),
    "activation not a string": (lambda: bb.loss(P, X, Y, activation=np.tanh), TypeError,
                                ["activation"]),
    "zero word_dim": (lambda: bb.init_params(0, 3), ValueError, ["word_dim"]),
    "float hidden_dim": (lambda: bb.init_params(5, 2.5), TypeError, ["hidden_dim"]),
    "string word_dim": (lambda: bb.init_params("8000", 100), TypeError, ["word_dim"]),
    "negative seed": (lambda: bb.init_params(5, 2, seed=-1), ValueError, ["seed"]),
    "negative clip threshold": (lambda: bb.clip_gradients(P, -1.0), ValueError, ["threshold"]),
    "NaN clip threshold": (lambda: bb.clip_gradients(P, float("nan")), ValueError,
                           ["threshold"]),
    "clip of a list": (lambda: bb.clip_gradients([1, 2], 1.0), TypeError, ["grads"]),
    "t out of range": (lambda: bb.jacobian(P, X, 3, 0), ValueError, ["t"]),
    "k after t": (lambda: bb.jacobian(P, X, 1, 2), ValueError, ["k"]),
    "negative k": (lambda: bb.jacobian(P, X, 2, -1), ValueError, ["k"]),
    "float t": (lambda: bb.jacobian_norms(P, X, t=1.5), TypeError, ["t"]),
    "jacobian of a batch": (lambda: bb.jacobian(P, [X], 1, 0), ValueError, ["x", "1-D"]),
    "gradient check, bad h": (lambda: bb.gradient_check(P, X, Y, h=0), ValueError, ["h"]),
    "gradient check, bad entries": (lambda: bb.gradient_check(P, X, Y, entries=0), ValueError,
                                    ["entries"]),
    "unknown activation bound": (lambda: bb.activation_bound("gelu"), ValueError,
                                 ["activation"]),
    "NaN in V for contributions": (lambda: bb.gradient_contributions(nan_at("V", (0, 0)), X, Y),
                                   ValueError, ["V", "NaN"]),
    "spectral norm of a vector": (lambda: bb.spectral_norm([3.0, 4.0]), ValueError, ["W"]),
    "spectral norm, not square": (lambda: bb.spectral_norm(np.ones((2, 3))), ValueError,
                                  ["W", "square"]),
    "spectral norm with NaN": (lambda: bb.spectral_norm(np.full((2, 2), np.nan)), ValueError,
                               ["W", "NaN"]),
    "spectral norm of text": (lambda: bb.spectral_norm("abc"), TypeError, ["W"]),
    "complex gradients": (lambda: bb.global_norm((np.array([3j]), np.ones(1), np.ones(1))),
                          TypeError, ["grads"]),
    "empty gradients": (lambda: bb.global_norm(()), TypeError, ["grads"]),
    "ragged gradients": (lambda: bb.global_norm(([[1.0], [1.0, 2.0]],)), TypeError, ["grads"]),
}


@pytest.mark.parametrize("case", sorted(CATALOGUE))
def test_bad_input_is_refused_clearly(case):
    call, error, words = CATALOGUE[case]
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{case}: {message!r} lacks {word!r}"
    assert "Traceback" not in message


def test_the_catalogue_is_large():
    assert len(CATALOGUE) >= 30


def test_unused_columns_of_U_may_hold_anything():
    """Only what the computation reads must be finite: a NaN in the column of a word that
    does not occur changes nothing, and its gradient column is exactly 0."""
    p = nan_at("U", (0, 6))
    g = bb.bptt(p, X, Y)
    clean = bb.bptt(P, X, Y)
    for a, b in zip(g, clean, strict=True):
        np.testing.assert_array_equal(a, b)


def test_only_used_columns_of_U_are_checked_when_words_repeat():
    """More steps than words (the check then looks at each used column once): a NaN in a
    used column still raises, one in a column no word selects still does not."""
    x = np.tile([1, 2, 3], 5)
    assert x.size > D
    with pytest.raises(ValueError, match="U contains NaN"):
        bb.bptt(nan_at("U", (0, 2)), x, x)
    for a, b in zip(bb.bptt(nan_at("U", (0, 6)), x, x), bb.bptt(P, x, x), strict=True):
        np.testing.assert_array_equal(a, b)


# Random valid input never raises; random invalid input always raises the documented error.

valid_tokens = st.integers(1, 6).flatmap(
    lambda T: st.tuples(st.lists(st.integers(0, D - 1), min_size=T, max_size=T),
                        st.lists(st.integers(0, D - 1), min_size=T, max_size=T)))


@settings(max_examples=80, deadline=None)
@given(tokens=valid_tokens, truncate=st.one_of(st.none(), st.integers(0, 8)),
       activation=st.sampled_from(["tanh", "sigmoid", "relu"]),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_random_valid_input_never_raises(tokens, truncate, activation, dtype):
    x, y = tokens
    p = bb.Params(*(a.astype(dtype) for a in P))
    g = bb.bptt(p, x, y, truncate=truncate, activation=activation)
    assert all(a.dtype == dtype and np.isfinite(a).all() for a in g)
    assert np.isfinite(bb.loss(p, x, y, activation=activation))


@settings(max_examples=80, deadline=None)
@given(bad=st.one_of(st.integers(D, 10**6), st.integers(-10**6, -1)),
       where=st.integers(0, 2), which=st.sampled_from(["x", "y"]))
def test_random_out_of_range_ids_always_raise_value_error(bad, where, which):
    x, y = X.copy(), Y.copy()
    (x if which == "x" else y)[where] = bad
    with pytest.raises(ValueError, match=which):
        bb.bptt(P, x, y)


@settings(max_examples=60, deadline=None)
@given(value=st.one_of(st.floats(allow_nan=True), st.text(max_size=3), st.booleans(),
                       st.complex_numbers()))
def test_random_non_integer_tokens_always_raise_type_error(value):
    with pytest.raises(TypeError, match="x"):
        bb.loss(P, [value, value], [1, 2])
