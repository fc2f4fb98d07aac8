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

Every cell starts as a description (:mod:`~bptt_book.derivation.cell`, the built-in ones in
:mod:`~bptt_book.derivation.cells`), whose backward step and step Jacobian
:mod:`~bptt_book.derivation.adjoint` derives; the activation table
:mod:`~bptt_book.derivation.activations` also gives each activation's largest slope
(chapter 5).
"""
