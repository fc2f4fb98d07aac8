"""The symbolic half of the book: SymPy derives every gradient the package computes.

Nothing here is imported by ``import bptt_book`` or by the gradient functions; it runs
when the generator writes :mod:`bptt_book.generated`, in the tests, and in the book.

The pipeline reads top to bottom, one module a stage:

- :mod:`~bptt_book.derivation.symbols` -- the model written with SymPy symbols;
- :mod:`~bptt_book.derivation.onestep` -- one-step derivatives, each asserted;
- :mod:`~bptt_book.derivation.recurrence` -- the BPTT recurrence, composed by the chain rule;
- :mod:`~bptt_book.derivation.unrolled` -- the exact proof against the unrolled loss;
- :mod:`~bptt_book.derivation.printer` -- NumPy and LaTeX printers;
- :mod:`~bptt_book.derivation.generate` -- writes the generated module;
- :mod:`~bptt_book.derivation.equations` -- the book's equations, typeset from the above.

Beside them: :mod:`~bptt_book.derivation.cell` and :mod:`~bptt_book.derivation.cells` (every
cell described once, as data), :mod:`~bptt_book.derivation.activations` (the activation table,
with the largest slope of each activation for chapter 5), :mod:`~bptt_book.derivation.adjoint`
(the backward step of any cell) and :mod:`~bptt_book.derivation.forms` (the forms the printers
write).
"""
