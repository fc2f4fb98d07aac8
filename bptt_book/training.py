"""Training by stochastic gradient descent with :func:`bptt_book.bptt`.

:func:`train` runs the tutorial's loop on a batch of sequences (N, T): in every epoch it
shuffles the sequences, takes one SGD step per mini-batch on the mean loss per sequence,
then measures the loss on all N sequences and **halves the learning rate when that loss went
up** -- the tutorial's only schedule.  Options add gradient clipping (the global-norm rule of
:func:`bptt_book.clip_gradients`), truncated BPTT, and Pascanu, Mikolov & Bengio's
regulariser :func:`omega` on the recurrent weights.

>>> import bptt_book as bb
>>> from bptt_book.tasks import Recall
>>> from bptt_book.training import train
>>> task = Recall(length=2)
>>> data = task.sample(256, seed=0)
>>> p = bb.init_params(task.word_dim, 16, seed=0)
>>> history = train(p, data.x, data.y, epochs=5, learning_rate=0.5, seed=0)
>>> len(history.loss), history.loss[-1] < history.loss[0]
(6, True)
"""

import sys
from dataclasses import dataclass, field

import numpy as np

from . import _checks, generated
from .gradients import bptt
from .model import Params, _probabilities, init_params, loss, output_chunks, prepare
from .vanishing import clip_gradients, global_norm

#: The ways :func:`initial_params` can set the recurrent weights W.
INITS = ("tutorial", "orthogonal", "identity")


def initial_params(word_dim, hidden_dim, *, init="tutorial", scale=1.0, input_scale=1.0,
                   seed=None):
    """Parameters for training: U and V as in :func:`bptt_book.init_params`, and W by
    the recipe ``init``.

    - ``"tutorial"``: W uniform in ±1/√H, as the tutorial draws it (``scale`` multiplies it);
    - ``"orthogonal"``: ``W = scale * Q`` with Q a random orthogonal matrix, so every
      singular value of W is ``scale``;
    - ``"identity"``: ``W = scale * I``, the IRNN of Le, Jaitly & Hinton (with ``relu``).

    ``input_scale`` multiplies U (Le et al. start the IRNN with small input weights).
    ``seed`` draws U, V, W (and then Q) from ``numpy.random.default_rng(seed)``.

    >>> import numpy as np
    >>> from bptt_book.training import initial_params
    >>> p = initial_params(10, 4, init="orthogonal", scale=0.9, seed=0)
    >>> np.round(np.linalg.svd(p.W, compute_uv=False), 6).tolist()
    [0.9, 0.9, 0.9, 0.9]
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {list(INITS)}; got {init!r}")
    scale = _checks.positive_number(scale, "scale")
    input_scale = _checks.positive_number(input_scale, "input_scale")
    p = init_params(word_dim, hidden_dim, seed=seed)
    H = p.W.shape[0]
    if init == "tutorial":
        W = scale * p.W
    elif init == "orthogonal":
        rng = np.random.default_rng(None if seed is None else [seed, 1])
        Q, R = np.linalg.qr(rng.normal(size=(H, H)))
        W = scale * Q * np.sign(np.diag(R))  # the sign fix makes Q uniformly distributed
    else:
        W = scale * np.eye(H)
    return Params(input_scale * p.U, p.V, W)


# ------------------------------------------------------------------------- Pascanu's Omega


def omega(params, x, y, *, activation="tanh"):
    """Pascanu, Mikolov & Bengio's regulariser and its gradient with respect to W.

    With ``e_k = dE/ds_k`` (a row) for the error E of the **last** output, the one that
    carries the long-range dependency, the Jacobian ``ds_{k+1}/ds_k = diag(f'_{k+1}) W``
    passes ``e_{k+1}`` back as ``v_k = e_{k+1} diag(f'_{k+1}) W = delta_{k+1} W``, and

        Omega = sum_k (||v_k|| / ||e_{k+1}|| - 1) ** 2

    is zero when every step keeps the norm of the error it passes back.  The gradient holds
    ``e_{k+1}`` and the slopes ``f'_{k+1}`` fixed (as the paper holds ``dE/ds_{k+1}``), so
    only the explicit W of each Jacobian is differentiated:

        dOmega/dW = sum_k 2 (r_k - 1) / ||e_{k+1}||  *  outer(delta_{k+1}, v_k / ||v_k||).

    ``x``, ``y`` may be (B, T) batches: Omega and its gradient are summed over the batch.
    Returns ``(Omega, dW)``.

    >>> import numpy as np
    >>> import bptt_book as bb
    >>> from bptt_book.training import omega
    >>> p = bb.Params(np.ones((2, 3)), np.ones((3, 2)), np.eye(2))
    >>> value, dW = omega(p, [[1, 2, 0]], [[0, 0, 1]], activation="relu")
    >>> float(value), float(abs(dW).max())
    (0.0, 0.0)
    """
    p, x2, y2, _, f, fprime = prepare(params, x, y, activation)
    U, V, W = p
    S = generated.hidden_states(U, W, x2, f)
    B, T, H = S.shape
    G = np.zeros_like(S)
    last = np.ascontiguousarray(S[:, -1])
    for rows, o in output_chunks(last, V):
        P = _probabilities(o, V)
        _, G[rows, -1] = generated.output_layer(V, last[rows], P, y2[rows, -1])
    Delta = generated.delta_exact(W, fprime(S), G)
    V_back = Delta[:, 1:] @ W  # v_k = delta_{k+1} W, k = 0 ... T-2
    E_next = G[:, 1:].copy()  # e_{k+1} = g_{k+1} + delta_{k+2} W
    E_next[:, :-1] += V_back[:, 1:]
    e_norm = np.linalg.norm(E_next, axis=-1)
    v_norm = np.linalg.norm(V_back, axis=-1)
    live = (e_norm > 1e-12) & (v_norm > 1e-12)
    r = np.where(live, v_norm / np.where(live, e_norm, 1.0), 1.0)
    value = float(np.sum((r - 1) ** 2))
    coeff = np.where(live, 2 * (r - 1) / np.where(live, e_norm * v_norm, 1.0), 0.0)
    dW = np.einsum("bk,bki,bkj->ij", coeff, Delta[:, 1:], V_back)
    return value, dW


# ------------------------------------------------------------------------------- training


@dataclass
class History:
    """What :func:`train` saw, one entry per epoch (``loss`` has one more: before training).

    ``loss``: the mean loss per sequence on the training set; ``learning_rate``: the rate
    used in each epoch; ``grad_norm``: the mean global norm of the mini-batch gradients before
    clipping; ``clipped``: how many steps were clipped; ``metric``: what ``evaluate`` returned
    (``nan`` when there is none).  ``diverged`` tells that training stopped because the
    weights or the loss stopped being finite; ``params`` are the weights at the end.
    """

    loss: list = field(default_factory=list)
    learning_rate: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)
    clipped: list = field(default_factory=list)
    metric: list = field(default_factory=list)
    steps: int = 0
    diverged: bool = False
    params: Params = None

    @property
    def epochs(self):
        """The number of epochs run."""
        return len(self.learning_rate)

    def line(self, total=None):
        """One line about the last epoch, as the progress report prints it."""
        e = self.epochs
        text = (f"epoch {e}{'/' + str(total) if total else ''}  loss {self.loss[-1]:.4f}  "
                f"lr {self.learning_rate[-1]:.4g}  |g| {self.grad_norm[-1]:.3g}")
        if self.clipped[-1]:
            text += f" (clipped {self.clipped[-1]})"
        if not np.isnan(self.metric[-1]):
            text += f"  metric {self.metric[-1]:.3f}"
        return text + ("  DIVERGED" if self.diverged else "")


#: Sequences scored at once when measuring the loss.  Small blocks keep every matrix product
#: below the size at which OpenBLAS starts threads, which on a busy machine cost more than
#: they save.
CHUNK = 128


def _mean_loss(params, x, y, activation):
    try:
        total = sum(loss(params, x[i : i + CHUNK], y[i : i + CHUNK], activation=activation)
                    for i in range(0, len(x), CHUNK))
    except _checks.NonFinite:  # the weights have blown up
        return float("inf")
    return total / len(x)


def train(params, x, y, *, epochs, learning_rate, batch_size=32, truncate=None,
          activation="tanh", clip=None, omega_weight=0.0, halve=True, seed=0,
          evaluate=None, until=None, progress=None, verbose=False):
    """Train ``params`` on the sequences ``x``, ``y`` (N, T) by SGD; return a :class:`History`.

    Each epoch visits the N sequences once, in an order drawn from ``default_rng(seed)``,
    ``batch_size`` at a time.  A step is ``theta -= learning_rate * g`` with ``g`` the
    gradient of the mean loss per sequence of the mini-batch (:func:`bptt_book.bptt`, with
    ``truncate`` and ``activation``), plus ``omega_weight`` times the gradient of
    :func:`omega` per sequence, and then clipped to a global norm of ``clip`` if given.

    After each epoch the loss on all N sequences is measured; when it is higher than after
    the epoch before, the learning rate is halved (``halve=False`` turns this off).
    ``evaluate(params)`` (e.g. the accuracy on fresh sequences) is recorded every epoch, and
    training stops early once it reaches ``until``.  ``progress(history)`` is called after
    every epoch; ``verbose=True`` prints :meth:`History.line` to stderr instead.

    Training also stops, with ``history.diverged``, when the loss or the weights stop being
    finite.  ``params`` is not modified.
    """
    p = Params(*(np.array(a, dtype=np.float64) for a in _checks.params(params)))
    x = np.asarray(_checks.no_booleans(x, "x"))
    y = np.asarray(_checks.no_booleans(y, "y"))
    if x.ndim != 2 or x.shape != y.shape:
        raise ValueError(f"x and y must be (N, T) arrays of one shape; got {x.shape}, {y.shape}")
    # Every argument is checked here, once: during training a ValueError can then only mean
    # that the weights diverged (NonFinite), and it is reported as such, never a bad input.
    prepare(p, x, y, activation)
    _checks.finite_params(p)
    truncate = _checks.truncate(truncate)
    omega_weight = _checks.non_negative_number(omega_weight, "omega_weight")
    seed = _checks.seed(seed)
    if until is not None:
        until = _checks.non_negative_number(until, "until")
    epochs = _checks.size(epochs, "epochs")
    batch_size = _checks.size(batch_size, "batch_size")
    lr = _checks.positive_number(learning_rate, "learning_rate")
    if clip is not None:
        clip = _checks.positive_number(clip, "clip")
    if verbose and progress is None:
        def progress(h):
            print(h.line(epochs), file=sys.stderr, flush=True)
    rng = np.random.default_rng(seed)
    history = History(params=p)
    history.loss.append(_mean_loss(p, x, y, activation))
    N = len(x)
    for _ in range(epochs):
        norms, clipped = [], 0
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            rows = order[start : start + batch_size]
            xb, yb = x[rows], y[rows]
            try:
                g = bptt(p, xb, yb, truncate=truncate, activation=activation)
                g = Params(*(a / len(rows) for a in g))
                if omega_weight:
                    _, dW = omega(p, xb, yb, activation=activation)
                    g = g._replace(W=g.W + omega_weight * dW / len(rows))
            except _checks.NonFinite:  # the weights have blown up
                history.diverged = True
                break
            norm = global_norm(g)
            if not np.isfinite(norm):
                history.diverged = True
                break
            norms.append(norm)
            if clip is not None and norm >= clip:
                g = clip_gradients(g, clip)
                clipped += 1
            p = Params(*(a - lr * d for a, d in zip(p, g, strict=True)))
            history.steps += 1
        history.params = p
        history.learning_rate.append(lr)
        history.grad_norm.append(float(np.mean(norms)) if norms else float("nan"))
        history.clipped.append(clipped)
        current = _mean_loss(p, x, y, activation) if not history.diverged else float("inf")
        history.diverged |= not np.isfinite(current)
        history.loss.append(current)
        metric = float(evaluate(p)) if evaluate and not history.diverged else float("nan")
        history.metric.append(metric)
        if progress:
            progress(history)
        if history.diverged or (until is not None and metric >= until):
            break
        if halve and history.loss[-1] > history.loss[-2]:
            lr /= 2
    return history
