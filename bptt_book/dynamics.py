"""The forward dynamics behind vanishing and exploding gradients (chapters 5 and 6).

- :func:`spectral_radius` and :func:`power_norms`: the largest ``|eigenvalue|`` of W and the
  norms ``||W^d||_2``, which by Gelfand's formula satisfy ``||W^d|| ** (1/d) -> rho(W)``;
- :func:`lyapunov_exponent`: the largest Lyapunov exponent of the state map along a
  sequence, the rate at which nearby state trajectories separate, and the rate at which the
  products of step Jacobians grow;
- :func:`bptt_in`: the package's exact BPTT carried out in a chosen floating-point type
  (float16 included, which :func:`bptt_book.bptt` computes in float32), to see where an
  exploding gradient turns into ``inf`` and ``nan``;
- :func:`latch`: one tanh unit holding a bit against noise, and the gradient that reaches
  back to the step that set it (Bengio, Simard & Frasconi's trade-off).

Written here rather than taken from a library: each is a few lines of NumPy on the package's
own step Jacobians and generated code.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import _checks
from .cells import CellParams
from .gradients import gradients_of
from .model import prepare
from .vanishing import _one_sequence


def _square(W: ArrayLike) -> np.ndarray:
    matrix = _checks.real_matrix(W, "W").astype(float)
    if matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"W must be a square matrix; got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ValueError("W contains NaN or infinite values")
    return matrix


def spectral_radius(W: ArrayLike) -> float:
    """``rho(W)``, the largest absolute value of an eigenvalue of the square matrix ``W``.

    >>> import numpy as np
    >>> from bptt_book.dynamics import spectral_radius
    >>> spectral_radius([[0.0, 2.0], [0.5, 0.0]])    # eigenvalues +1 and -1
    1.0
    """
    return float(np.abs(np.linalg.eigvals(_square(W))).max())


def power_norms(W: ArrayLike, distances: ArrayLike) -> np.ndarray:
    """``||W^d||_2`` for every ``d`` of ``distances`` (non-negative integers, any order).

    >>> import numpy as np
    >>> from bptt_book.dynamics import power_norms
    >>> power_norms([[1.0, 1.0], [0.0, 1.0]], [0, 1, 10, 100]).round(2).tolist()
    [1.0, 1.62, 10.1, 100.01]
    """
    matrix = _square(W)
    d = _checks.real_vector(distances, "distances")
    if not np.issubdtype(d.dtype, np.integer) or (d < 0).any():
        raise ValueError(f"distances must be non-negative integers; got {distances!r}")
    wanted = {int(v) for v in d}
    norms: dict[int, float] = {}
    power = np.eye(len(matrix))
    for step in range(max(wanted, default=0) + 1):
        if step:
            power = matrix @ power
        if step in wanted:
            norms[step] = float(np.linalg.norm(power, 2))
    return np.array([norms[int(v)] for v in d])


def lyapunov_exponent(params: CellParams | tuple, x: ArrayLike, *,
                      activation: str | None = None, discard: int = 0) -> float:
    """The largest Lyapunov exponent of the state map along the sequence ``x``, per step.

    A unit vector is carried forward by the step Jacobians ``J_t = ds_t/ds_(t-1)``
    (:func:`bptt_book.jacobian` multiplies the same matrices) and renormalised at every step;
    the exponent is the mean of the logarithms of the growth factors, without the first
    ``discard`` steps.  Positive: nearby trajectories separate and the products of
    Jacobians, and with them the gradient, grow like ``exp(exponent * d)``; negative: they
    shrink.  Always at most ``log(gamma sigma_max(W))`` for the plain RNN.

    >>> import numpy as np
    >>> import bptt_book as bb
    >>> from bptt_book.dynamics import lyapunov_exponent
    >>> Q = np.linalg.qr(np.random.default_rng(0).normal(size=(4, 4)))[0]
    >>> tiny = bb.Params(1e-9 * np.ones((4, 3)), np.zeros((3, 4)), 0.5 * Q)
    >>> round(lyapunov_exponent(tiny, [0, 1, 2] * 10), 4)    # log 0.5: tanh' = 1 at 0
    -0.6931

    Raises as :func:`bptt_book.jacobian`; ``ValueError`` when ``discard`` leaves no step.
    """
    discard = _checks._whole(discard, "discard", 0, "a non-negative integer")
    _, _, steps = _one_sequence(params, x, activation)
    if discard >= len(steps) - 1:
        raise ValueError(f"discard must leave at least one step of the {len(steps) - 1} "
                         f"transitions; got {discard}")
    v = np.ones(steps.shape[-1]) / np.sqrt(steps.shape[-1])
    logs = []
    for J in steps[1:]:  # J_1 ... J_(T-1): s_0 is the start, J_0 multiplies s_(-1) = 0
        v = J @ v
        n = float(np.linalg.norm(v))
        if n == 0.0:
            return float("-inf")
        logs.append(np.log(n))
        v /= n
    return float(np.mean(logs[discard:]))


def bptt_in(params: CellParams | tuple, x: ArrayLike, y: ArrayLike,
            dtype: DTypeLike, *, activation: str | None = None) -> CellParams:
    """The exact gradient of :func:`bptt_book.bptt`, with every step computed in ``dtype``
    (``float16``, ``float32`` or ``float64``), float16 included: the parameters are rounded to
    ``dtype`` and nothing is promoted.  Overflow is not an error here: it gives ``inf`` and
    ``nan`` entries, as it would in a program that trains in that precision.

    >>> import numpy as np
    >>> import bptt_book as bb
    >>> from bptt_book.dynamics import bptt_in
    >>> g = bptt_in(bb.init_params(20, 5, seed=0), [1, 2, 3], [2, 3, 4], np.float16)
    >>> g.W.dtype
    dtype('float16')
    """
    kind = np.dtype(dtype)
    if kind not in (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float16, float32 or float64; got {kind}")
    prepared = prepare(params, x, y, activation)
    cast = type(prepared.params)(*(a.astype(kind) for a in prepared.params))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return gradients_of(prepared._replace(params=cast))


class Latch(NamedTuple):
    """What :func:`latch` measured for one self-connection ``w``."""

    fixed_point: float  # s* > 0 with s* = tanh(w s*) (0 when w <= 1: no latch)
    slope: float  # w (1 - s*^2): one step's derivative at the fixed point
    kept: float  # the share of runs that still hold the bit (s_T > 0) after the steps
    gradient: float  # the median |ds_T/ds_0| over the runs


def latch(w: float, noise: float, *, steps: int = 50, runs: int = 2000,
          seed: int | None = 0) -> Latch:
    """One tanh unit ``s_t = tanh(w s_(t-1) + n_t)`` with Gaussian noise ``n_t`` of standard
    deviation ``noise`` holds the bit "+" for ``steps`` steps, in ``runs`` runs.

    With ``w > 1`` the unit has two stable fixed points ``+-s*``; the bit starts at ``+s*``
    and is kept when the state is still positive at the end.  With ``w <= 1`` there is no
    latch, and the state starts at 0.5.  Returned beside the share kept: the median of
    ``|ds_T/ds_0| = prod_t w (1 - s_t^2)`` over the runs, the factor by which the gradient of
    a loss at step T reaches the step that set the bit.

    >>> from bptt_book.dynamics import latch
    >>> strong = latch(3.0, 0.2)
    >>> strong.kept, strong.gradient < 1e-50
    (1.0, True)
    """
    w = _checks.positive_number(w, "w")
    noise = _checks.non_negative_number(noise, "noise")
    steps = _checks.size(steps, "steps")
    runs = _checks.size(runs, "runs")
    rng = np.random.default_rng(_checks.seed(seed))
    fixed = 0.0
    if w > 1:
        fixed = 1.0
        for _ in range(10_000):  # the iteration s -> tanh(w s) contracts near s*
            fixed, previous = float(np.tanh(w * fixed)), fixed
            if fixed == previous:
                break
    s = np.full(runs, fixed if w > 1 else 0.5)
    gradient = np.ones(runs)
    for _ in range(steps):
        s = np.tanh(w * s + noise * rng.standard_normal(runs))
        gradient *= w * (1 - s**2)
    return Latch(fixed, w * (1 - fixed**2), float(np.mean(s > 0)),
                 float(np.median(np.abs(gradient))))
