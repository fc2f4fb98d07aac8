"""The symbolic half of the book: SymPy derives every gradient the package computes.

Nothing here is imported by ``import bptt_book`` or by the gradient functions; it runs
when the generator writes :mod:`bptt_book.generated`, in the tests, and in the book.

The pipeline reads top to bottom, one module a stage:

- :mod:`~bptt_book.derivation.cell` and :mod:`~bptt_book.derivation.cells` -- every cell
  described once, as data (**a new cell starts in** ``cells.py``);
- :mod:`~bptt_book.derivation.activations` -- the activation table (derivative written in
  the output, largest slope gamma, LaTeX);
- :mod:`~bptt_book.derivation.checks`, :mod:`~bptt_book.derivation.forms` -- the checks every
  result passes, and the forms the book writes (``s(1 - s)``);
- :mod:`~bptt_book.derivation.symbols`, :mod:`~bptt_book.derivation.onestep` -- the matrix
  symbols and the one-step derivatives every cell shares (output layer, projections), each
  asserted;
- :mod:`~bptt_book.derivation.adjoint` -- the backward step of any cell, by reverse
  accumulation over its lines;
- :mod:`~bptt_book.derivation.recurrence` -- the plain RNN's delta recurrence in matrix form
  (chapter 3), checked against the cell pipeline;
- :mod:`~bptt_book.derivation.unrolled` -- the exact proofs against the unrolled loss;
- :mod:`~bptt_book.derivation.printer` -- NumPy and LaTeX printers;
- :mod:`~bptt_book.derivation.generate` -- writes the generated modules (one per cell), and
  compiles a reader's cell;
- :mod:`~bptt_book.derivation.equations` -- the book's equations, typeset from the above.
"""
