"""The compiled target's cells: GENERATED CODE, do not edit by hand.

Written by ``python -m bptt_book generate`` (:mod:`bptt_book.derivation.numba_target`).  Importing this module
imports Numba; ``bptt_book.backend`` does so at the first compiled gradient.
"""

from . import numba_gru, numba_lstm, numba_rnn

#: name -> the compiled module of every built-in cell
CELLS = {'rnn': numba_rnn, 'gru': numba_gru, 'lstm': numba_lstm}
