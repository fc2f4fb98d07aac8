"""Gradient checkpointing: exact BPTT that stores every L-th state and recomputes the rest.

Plain BPTT keeps everything the forward pass computed -- the states and the gates of every
step, about a dozen arrays of T x H numbers -- because the backward sweep reads them in reverse
order.  Checkpointing (Chen et al. 2016, "Training deep nets with sublinear memory cost")
keeps only the states at the start of every segment of L steps.  The backward pass then
takes the segments from the last to the first: it runs the forward pass of one segment again
from its stored state, computes that segment's outputs and the exact sweep through it
(starting from the adjoint the later segments sent back), and adds the segment's share to
every gradient.  Memory falls from O(T) to O(T / L + L) arrays of H numbers, smallest at
``L = sqrt(T)``; the price is a second forward pass.  The gradient is the exact one (the
sums are only taken in another order).

>>> import numpy as np
>>> import bptt_book as bb
>>> p = bb.init_params(20, 5, seed=0)
>>> rng = np.random.default_rng(0)
>>> x, y = rng.integers(0, 20, 50), rng.integers(0, 20, 50)
>>> plain, kept = bb.bptt(p, x, y), bb.bptt(p, x, y, checkpoint=True)
>>> all(np.allclose(a, b, rtol=1e-12, atol=0) for a, b in zip(plain, kept))
True
"""

import math

from .generated import layers


def segment_length(checkpoint, T):
    """Steps per segment: ``ceil(sqrt(T))`` for ``checkpoint=True``, else ``checkpoint``."""
    return max(1, math.isqrt(T - 1) + 1) if checkpoint is True else int(checkpoint)


def gradients(prepared, L):
    """Exact BPTT of a checked call (a ``bptt_book.model.Prepared``), keeping the
    states at the start of every segment of ``L`` steps and recomputing the rest."""
    from .gradients import _output_layer

    cell, p, act = prepared.cell, prepared.params, prepared.act
    x, y = prepared.x, prepared.y
    T = x.shape[1]
    h = cell.STATES[0]
    starts = list(range(0, T, L))
    # Forward: the states entering each segment, nothing else.
    marks, state = [], None
    for start in starts:
        marks.append(state)
        tape = cell.forward(p, x[:, start : start + L], act, state)
        state = tuple(getattr(tape, name)[:, -1].copy() for name in cell.STATES)
        del tape
    # Backward: segment by segment, last first, each recomputed from its stored state.
    carry, dV, totals = None, None, None
    for start, state in zip(reversed(starts), reversed(marks), strict=True):
        rows = slice(start, start + L)
        tape = cell.forward(p, x[:, rows], act, state)
        part, G = _output_layer(p.V, getattr(tape, h), y[:, rows])
        dA, dB, carry = cell.sweep(p, tape, G, act, None, carry)
        grads = layers.projection_gradients(p.U, x[:, rows], getattr(tape, f"{h}_prev"), dA,
                                            dB, cell.BIASES)
        del tape, G, dA, dB
        if totals is None:
            dV, totals = part, list(grads)
        else:
            dV += part
            for total, g in zip(totals, grads, strict=True):
                total += g
    return cell.PARAMS(totals[0], dV, totals[1], *totals[2:])
