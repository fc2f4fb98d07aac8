"""Training by stochastic gradient descent with :func:`bptt_book.bptt`.

:func:`train` follows the tutorial's loop on a batch of sequences (N, T), with mini-batches
where the tutorial steps on one sequence at a time and a loss check after every epoch where
the tutorial checks every few: in every epoch it shuffles the sequences, takes one SGD step
per mini-batch on the mean loss per sequence, then measures the loss on all N sequences and
**halves the learning rate when that loss went up** -- the tutorial's only schedule.
Options add gradient clipping (the global-norm rule of :func:`bptt_book.clip_gradients`),
truncated BPTT (by any scheme), Pascanu, Mikolov & Bengio's regulariser :func:`omega` on the
recurrent weights, and Adam in place of plain SGD (``optimizer="adam"``).

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

from . import _checks, schemes
from .cells import CellParams
from .generated import layers
from .gradients import gradients_of
from .model import (
    CHUNK,
    Params,
    Prepared,
    _probabilities,
    init_params,
    loss_of,
    output_chunks,
    prepare,
    run,
)
from .vanishing import _global_norm

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
        W = scale * orthogonal(H, np.random.default_rng(None if seed is None else [seed, 1]))
    else:
        W = scale * np.eye(H)
    return Params(input_scale * p.U, p.V, W)


def orthogonal(size, rng, *, uniform=True):
    """A random orthogonal (size, size) matrix Q: the Q of the QR decomposition of a matrix of
    standard normal numbers drawn from the NumPy generator ``rng``.

    With ``uniform=True`` column j of Q is multiplied by the sign of ``R[j, j]``, which makes Q
    uniformly distributed over the orthogonal matrices; :func:`initial_params` draws it so.
    ``uniform=False`` returns NumPy's Q unchanged: the matrix chapters 5 and 6 draw, the same
    up to the signs of its columns.  Either way every singular value of ``scale * Q`` is
    ``scale``, which is how the book puts sigma_max(W) where it wants it
    (``W = scale / gamma * Q``).

    >>> import numpy as np
    >>> from bptt_book.training import orthogonal
    >>> Q = orthogonal(4, np.random.default_rng(0), uniform=False)
    >>> bool(np.allclose(Q.T @ Q, np.eye(4)))
    True
    >>> R = orthogonal(4, np.random.default_rng(0))  # the same draw, signs made uniform
    >>> bool(np.allclose(np.abs(Q), np.abs(R)))
    True

    Raises
    ------
    TypeError
        ``size`` is not an integer; ``rng`` is not a ``numpy.random.Generator``.
    ValueError
        ``size`` is below 1.
    """
    size = _checks.size(size, "size")
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator (numpy.random.default_rng(seed)); "
                        f"got {type(rng).__name__}")
    Q, R = np.linalg.qr(rng.normal(size=(size, size)))
    if uniform:
        Q = Q * np.sign(np.diag(R))
    return Q


# ------------------------------------------------------------------------- Pascanu's Omega


def omega(params, x, y, *, activation=None):
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
    return _omega(prepare(params, x, y, activation))


def _omega(prepared):
    """:func:`omega` of checked arguments."""
    if prepared.cell.NAME != "rnn":
        raise TypeError("omega is defined for the plain RNN's Params; got "
                        f"{prepared.cell.PARAMS.__name__}")
    p = prepared.params
    V, W = p.V, p.W
    tape, S = run(prepared)
    G = np.zeros_like(S)
    last = np.ascontiguousarray(S[:, -1])
    for rows, o in output_chunks(last, V):
        P = _probabilities(o, V)
        _, G[rows, -1] = layers.output_layer(V, last[rows], P, prepared.y[rows, -1])
    _, Delta = prepared.cell.backward(p, tape, G, None, prepared.act)  # delta_t, exact
    V_back = Delta[:, 1:] @ W  # v_k = delta_{k+1} W, k = 0 ... T-2
    E_next = G[:, 1:].copy()  # e_{k+1} = g_{k+1} + delta_{k+2} W
    E_next[:, :-1] += V_back[:, 1:]
    e_norm = np.linalg.norm(E_next, axis=-1)
    v_norm = np.linalg.norm(V_back, axis=-1)
    live = (e_norm > 1e-12) & (v_norm > 1e-12)
    r = np.where(live, v_norm / np.where(live, e_norm, 1.0), 1.0)
    value = float(np.sum((r - 1) ** 2))
    coeff = np.where(live, 2 * (r - 1) / np.where(live, e_norm * v_norm, 1.0), 0.0)
    # sum over sequences b and steps k of coeff * outer(delta_{k+1}, v_k): one matrix product
    H = W.shape[0]
    dW = (coeff[..., None] * Delta[:, 1:]).reshape(-1, H).T @ V_back.reshape(-1, H)
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
    params: CellParams | None = None

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


def _mean_loss(prepared):
    """The mean loss per sequence of checked arguments, scored CHUNK sequences at a time;
    infinity once the weights have blown up."""
    x, y = prepared.x, prepared.y
    try:
        total = sum(loss_of(prepared._replace(x=x[i : i + CHUNK], y=y[i : i + CHUNK]))
                    for i in range(0, len(x), CHUNK))
    except _checks.NonFinite:
        return float("inf")
    return total / len(x)


#: The optimisers :func:`train` can take steps with.
OPTIMIZERS = ("sgd", "adam")

#: The decay rates of Adam's two moving averages, beta_1 and beta_2 (Kingma & Ba's defaults,
#: which ``torch.optim.Adam`` shares).
ADAM_BETAS = (0.9, 0.999)
#: Adam's epsilon, added to the root of the mean square (Kingma & Ba's default).
ADAM_EPS = 1e-8


class _Adam:
    """Adam (Kingma & Ba 2015) over a cell's parameter tuple.

    Written here rather than taken from a library: the package's only dependency for
    computing is NumPy, and the rule is four lines.  ``tests/test_training.py`` checks it
    against ``torch.optim.Adam`` step by step.
    """

    def __init__(self, params):
        self.m = [np.zeros_like(a) for a in params]  # the moving mean of the gradient
        self.v = [np.zeros_like(a) for a in params]  # ... and of its square
        self.t = 0

    def step(self, params, grads, lr):
        """The parameters after one step at learning rate ``lr``."""
        (b1, b2), self.t = ADAM_BETAS, self.t + 1
        new = []
        for a, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            m_hat = m / (1 - b1**self.t)
            v_hat = v / (1 - b2**self.t)
            new.append(a - lr * m_hat / (np.sqrt(v_hat) + ADAM_EPS))
        return type(params)(*new)


def train(params, x, y, *, epochs, learning_rate, batch_size=32, truncate=None,
          scheme="window", activation=None, clip=None, omega_weight=0.0, halve=True, seed=0,
          evaluate=None, until=None, progress=None, verbose=False, optimizer="sgd"):
    """Train ``params`` (any cell's) on the sequences ``x``, ``y`` (N, T) by SGD or Adam;
    return a :class:`History`.

    Each epoch visits the N sequences once, in an order drawn from ``default_rng(seed)``,
    ``batch_size`` at a time.  The step follows ``g``, the gradient of the mean loss per
    sequence of the mini-batch (:func:`bptt_book.bptt`, with ``truncate``, ``scheme`` and
    ``activation``; the randomized scheme draws its cuts from ``default_rng([seed, 1])``, a
    stream of its own), plus ``omega_weight`` times the gradient of :func:`omega` per
    sequence (plain RNN only), clipped to a global norm of ``clip`` if given.  With
    ``optimizer="sgd"`` the step is ``theta -= learning_rate * g``; with ``"adam"`` it is
    Adam's (Kingma & Ba 2015; :data:`ADAM_BETAS`, :data:`ADAM_EPS`):
    ``theta -= learning_rate * m_hat / (sqrt(v_hat) + eps)``, where ``m_hat`` and ``v_hat``
    are the bias-corrected moving averages of ``g`` and ``g**2``, so every parameter moves
    by about ``learning_rate`` at most, whatever the size of its gradient.

    After each epoch the loss on all N sequences is measured; when it is higher than after
    the epoch before, the learning rate is halved (``halve=False`` turns this off).
    ``evaluate(params)`` (e.g. the accuracy on fresh sequences) is recorded every epoch, and
    training stops early once it reaches ``until``.  ``progress(history)`` is called after
    every epoch; ``verbose=True`` prints :meth:`History.line` to stderr instead.

    Training also stops, with ``history.diverged``, when the loss or the weights stop being
    finite.  ``params`` is not modified.

    >>> import bptt_book as bb
    >>> from bptt_book.tasks import Recall
    >>> from bptt_book.training import train
    >>> data = Recall(length=2).sample(64, seed=0)
    >>> p = bb.init_params(10, 8, cell="gru", seed=0)
    >>> h = train(p, data.x, data.y, epochs=3, learning_rate=0.01, optimizer="adam")
    >>> type(h.params).__name__, h.loss[-1] < h.loss[0]
    ('GRUParams', True)
    """
    cell, p = _checks.params(params)
    p = cell.PARAMS(*(np.array(a, dtype=np.float64) for a in p))
    x = np.asarray(_checks.no_booleans(x, "x"))
    y = np.asarray(_checks.no_booleans(y, "y"))
    if x.ndim != 2 or x.shape != y.shape:
        raise ValueError(f"x and y must be (N, T) arrays of one shape; got {x.shape}, {y.shape}")
    # Every argument is checked here, once: during training a ValueError can then only mean
    # that the weights diverged (NonFinite), and it is reported as such, never a bad input.
    data = prepare(p, x, y, activation)
    _checks.finite_params(p)
    truncate = _checks.truncate(truncate)
    cuts = np.random.default_rng([_checks.seed(seed), 1]) if scheme == "random" else None
    scheme, truncate, cuts = schemes.check(scheme, truncate, cuts)
    omega_weight = _checks.non_negative_number(omega_weight, "omega_weight")
    if omega_weight and cell.NAME != "rnn":
        raise ValueError(f"omega_weight applies to the plain RNN; got {cell.PARAMS.__name__}")
    seed = _checks.seed(seed)
    if until is not None:
        until = _checks.non_negative_number(until, "until")
    epochs = _checks.size(epochs, "epochs")
    batch_size = _checks.size(batch_size, "batch_size")
    lr = _checks.positive_number(learning_rate, "learning_rate")
    if clip is not None:
        clip = _checks.positive_number(clip, "clip")
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}; got {optimizer!r}")
    adam = _Adam(p) if optimizer == "adam" else None
    if verbose and progress is None:
        def progress(h):
            print(h.line(epochs), file=sys.stderr, flush=True)
    rng = np.random.default_rng(seed)
    history = History(params=p)
    history.loss.append(_mean_loss(data))
    N = len(x)
    for _ in range(epochs):
        norms, clipped = [], 0
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            rows = order[start : start + batch_size]
            batch = Prepared(cell, p, data.x[rows], data.y[rows], False, data.act)
            try:
                g = gradients_of(batch, truncate, scheme=scheme, rng=cuts)
                g = cell.PARAMS(*(a / len(rows) for a in g))
                if omega_weight:
                    _, dW = _omega(batch)
                    g = g._replace(W=g.W + omega_weight * dW / len(rows))
            except _checks.NonFinite:  # the weights have blown up
                history.diverged = True
                break
            norm = _global_norm(g)
            if not np.isfinite(norm):
                history.diverged = True
                break
            norms.append(norm)
            if clip is not None and norm >= clip:
                g = cell.PARAMS(*(a * (clip / norm) for a in g))  # as clip_gradients(g, clip)
                clipped += 1
            if adam is None:
                p = cell.PARAMS(*(a - lr * d for a, d in zip(p, g, strict=True)))
            else:
                p = adam.step(p, g, lr)
            history.steps += 1
        history.params = p
        history.learning_rate.append(lr)
        history.grad_norm.append(float(np.mean(norms)) if norms else float("nan"))
        history.clipped.append(clipped)
        current = _mean_loss(data._replace(params=p)) if not history.diverged else float("inf")
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


def sgd(params, x, y, *, steps, learning_rate, clip=None, activation=None):
    """Plain gradient descent on one sequence, the loop of chapter 6: ``steps`` updates
    ``theta -= learning_rate * g`` with ``g`` the gradient of the loss of ``x``, ``y`` (1-D),
    clipped to a global norm of ``clip`` first if given, at a fixed learning rate.

    This is :func:`train` on a batch of that one sequence, one step per epoch, with
    ``halve=False``; the :class:`History` it returns holds the loss before every step and
    after the last (``steps + 1`` values, unless the run diverged) and, in ``grad_norm``, the
    norm of every raw gradient, before clipping.

    >>> import bptt_book as bb
    >>> from bptt_book.training import sgd
    >>> p = bb.init_params(10, 4, seed=0)
    >>> history = sgd(p, [1, 2, 3], [2, 3, 4], steps=20, learning_rate=0.5, clip=1.0)
    >>> len(history.loss), history.loss[-1] < history.loss[0]
    (21, True)

    Raises
    ------
    TypeError, ValueError
        ``steps`` is not a whole number >= 1; ``x`` or ``y`` is not one 1-D sequence; or as
        :func:`train`.
    """
    steps = _checks.size(steps, "steps")
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"x and y must be 1-D sequences; got shapes {x.shape}, {y.shape}")
    return train(params, x[None], y[None], epochs=steps, learning_rate=learning_rate,
                 batch_size=1, clip=clip, activation=activation, halve=False)
