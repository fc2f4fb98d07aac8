"""The generated code: GENERATED CODE, do not edit by hand.

One module per cell (rnn, gru, lstm), the activations, and the layers they share.

Written by ``python -m bptt_book generate`` from the SymPy derivation in
:mod:`bptt_book.derivation`; ``python -m bptt_book generate --check`` fails when this file differs
from what the derivation prints today.
Every right-hand side is printed from a SymPy expression, quoted in the comment above it.
Arrays are time-stacked and batched: token ids ``x`` are (N, T) and a state is (N, T, H).  A
column vector of the derivation is a row here, so ``W.T*d_b`` is printed as ``d_b @ W``.
This module imports NumPy only.
"""

from . import activations, gru, layers, lstm, rnn  # noqa: F401

#: name -> the module of every built-in cell
CELLS = {'rnn': rnn, 'gru': gru, 'lstm': lstm}
