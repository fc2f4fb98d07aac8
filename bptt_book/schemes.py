"""Truncation schemes: four ways to cut BPTT short, all through ``bb.bptt(..., scheme=...)``.

Every term of the exact gradient of U and W belongs to a pair (output t, step k), ``k <= t``:
the error of output t carried back to step k.  A scheme keeps some of the terms (and may
weigh them); ``truncate=K`` sets its length.

- ``"window"`` (the default): the tutorial's per-output window.  Output t's error reaches
  steps t, t-1, ..., t-K; exact when ``K >= T - 1``.  Cost O(T K).
- ``"chunk"``: the sequence is cut into chunks of K steps, [0, K), [K, 2K), ...; the forward
  pass carries the state across a cut, the backward pass stops there (Williams & Peng's
  BPTT(K, K); PyTorch's language-model example and min-char-rnn train so, detaching the
  state every K steps).  A term is kept when t and k lie in one chunk; exact when ``K >= T``.
- ``"theano"``: what ``theano.scan(..., truncate_gradient=K)`` computes, the truncation of the
  tutorial's Theano code.  The gradient of scan is itself a scan over the reversed sequence,
  cut to its first K elements, so only the *last K steps* of the sequence take part: a term
  is kept when ``k >= T - K``, steps before ``T - K`` get nothing, not even from their own
  output, and because that code computes the outputs inside the scan, V gets the gradient of
  the last K outputs only.  It is exact BPTT of the loss of the last K outputs with the
  state before them held fixed; exact when ``K >= T``.
- ``"random"``: the randomized truncation of Tallec & Ollivier (2017), with a constant
  probability: every link between step t-1 and step t is cut with probability ``c = 1/K``
  (cuts lie K steps apart on average), independently for every link and sequence, and the
  adjoint crossing a link that was not cut is divided by ``1 - c``.  A term (t, k) survives
  when none of its t - k links is cut, which has probability ``(1 - c)^(t-k)``, and then
  weighs ``(1 - c)^-(t-k)``: its expected weight is 1, so the estimate is unbiased.  (Tallec &
  Ollivier allow the probability to change from step to step; the d2l book's forward-mode
  "randomized truncation" draws the same weights, with ``pi = 1 - c``.)  Needs ``K >= 2`` and
  ``rng``.

>>> import numpy as np
>>> import bptt_book as bb
>>> p = bb.init_params(10, 4, seed=0)
>>> x, y = [1, 2, 3, 4, 5], [2, 3, 4, 5, 6]
>>> exact = bb.bptt(p, x, y)
>>> [np.allclose(bb.bptt(p, x, y, truncate=5, scheme=s).W, exact.W)
...  for s in ("window", "chunk", "theano")]
[True, True, True]
>>> g = bb.bptt(p, x, y, truncate=2, scheme="random", rng=0)
>>> type(g).__name__
'Params'
"""

import numbers

import numpy as np

from .generated import layers

#: The schemes ``bb.bptt`` knows, the default first.
SCHEMES = ("window", "chunk", "theano", "random")


def check(scheme, truncate, rng):
    """Check a scheme with its truncation length and random generator, all together.

    Returns ``(scheme, K, generator)`` with ``generator`` a ``numpy.random.Generator`` for
    ``"random"`` (an integer seed becomes ``numpy.random.default_rng(seed)``) and None
    otherwise.  ``truncate`` has already been checked to be None or an integer >= 0.
    """
    if not isinstance(scheme, str):
        raise TypeError(f"scheme must be one of {list(SCHEMES)}; got {type(scheme).__name__}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {list(SCHEMES)}; got {scheme!r}")
    if scheme != "random" and rng is not None:
        raise ValueError(f"rng applies to scheme='random' only; scheme={scheme!r} draws nothing")
    if scheme == "window":
        return scheme, truncate, None
    low = 2 if scheme == "random" else 1
    what = {"chunk": "the length of a chunk", "theano": "the number of last steps kept",
            "random": "the mean distance between cuts, so that each link is cut with "
                      "probability 1/K < 1"}[scheme]
    if truncate is None:
        raise ValueError(f"scheme={scheme!r} needs truncate=K, an integer >= {low} ({what}); "
                         "got truncate=None")
    if truncate < low:
        raise ValueError(f"scheme={scheme!r} needs truncate >= {low} ({what}); got {truncate}")
    if scheme != "random":
        return scheme, truncate, None
    if rng is None:
        raise TypeError("scheme='random' needs rng, a numpy.random.Generator or an integer "
                        "seed, so that its cuts can be drawn again")
    if isinstance(rng, np.random.Generator):
        return scheme, truncate, rng
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral):
        raise TypeError(f"rng must be a numpy.random.Generator or an integer seed; got "
                        f"{type(rng).__name__}")
    if rng < 0:
        raise ValueError(f"rng must be a non-negative seed; got {rng}")
    return scheme, truncate, np.random.default_rng(int(rng))


def link_weights(scheme, N, T, K, generator=None):
    """``keep`` (N, T) for ``"chunk"`` and ``"random"``: the weight of the link between step
    t-1 and step t of each sequence (``keep[:, 0]`` is the link into step 0, which leads
    nowhere and is 0).

    >>> from bptt_book.schemes import link_weights
    >>> link_weights("chunk", 1, 7, 3).tolist()
    [[0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0]]
    """
    keep = np.ones((N, T))
    if scheme == "chunk":
        keep[:, ::K] = 0.0
        return keep
    c = 1.0 / K
    cut = generator.random((N, T - 1)) < c  # cut[:, t - 1]: the link into step t
    keep[:, 1:] = np.where(cut, 0.0, 1.0 / (1.0 - c))
    keep[:, 0] = 0.0
    return keep


def gradients(prepared, scheme, K, generator=None):
    """The gradient of a checked call (a ``bptt_book.model.Prepared``) by
    ``"chunk"``, ``"theano"`` or ``"random"`` (``"window"`` is
    ``bptt_book.gradients.gradients_of``)."""
    from .gradients import _output_layer
    from .model import run

    cell, p = prepared.cell, prepared.params
    tape, S = run(prepared)
    N, T = prepared.x.shape
    h = cell.STATES[0]
    if scheme == "theano":
        start = max(T - K, 0)  # the backward scan sees the last K steps only
        tape = type(tape)(*(a[:, start:] for a in tape))
        x, y = prepared.x[:, start:], prepared.y[:, start:]
        dV, G = _output_layer(p.V, getattr(tape, h), y)
        dA, dB, _ = cell.sweep(p, tape, G, prepared.act)
    else:
        x = prepared.x
        dV, G = _output_layer(p.V, S, prepared.y)
        keep = link_weights(scheme, N, T, K, generator).astype(G.dtype, copy=False)
        dA, dB, _ = cell.sweep(p, tape, G, prepared.act, keep)
    grads = layers.projection_gradients(p.U, x, getattr(tape, f"{h}_prev"), dA, dB,
                                             cell.BIASES)
    return cell.PARAMS(grads[0], dV, grads[1], *grads[2:])
