"""Print ``sweep``: the exact backward sweep of a cell, with cuts and a carried adjoint.

The other truncation schemes and gradient checkpointing all run the exact sweep of
:mod:`~bptt_book.derivation.generate` with one of two changes:

- the adjoint that step ``t`` sends back to step ``t - 1`` is multiplied by a weight
  ``keep[:, t]``: 0 cuts the link (truncation by chunks), ``1 / (1 - c)`` reweights a link
  that a random draw kept (the randomized scheme of Tallec & Ollivier);
- the sweep starts from the adjoints ``carry`` that arrive at the last step's states from
  beyond the steps at hand (a later segment, when checkpointing recomputes the states
  segment by segment), and hands back what it sends to the states before its first step.

Both are switches of the one loop that prints the exact sweep (``_exact_sweep`` in
:mod:`~bptt_book.derivation.generate`), so every right-hand side is the one ``backward``
prints -- the nodes, block adjoints and direct state adjoints of
:func:`~bptt_book.derivation.adjoint.derive`.  ``sweep`` is a function apart from
``backward`` so that the default path stays exactly as it was.
"""

from .generate import (
    _coefficient_names,
    _exact_sweep,
    _input_adjoints,
    _Names,
    _stacks,
    _unpack_coefficients,
)


def sweep_source(code, cell, adj):
    """Append the generated ``sweep`` of ``cell`` (with its derived adjoint ``adj``) to
    ``code``."""
    names = _Names(cell, adj)
    coeff = _coefficient_names(adj)
    same_a = [ta == tb for ta, tb in zip(adj.grad_a, adj.grad_b, strict=True)]
    b_stacks = _stacks(adj, adj.grad_b, coeff)
    keep_inc = not all(same_a)
    states = ", ".join(f"{name}_(-1)" for name in cell.states)
    code("", "", "def sweep(p, tape, G, act=None, keep=None, carry=None):",
         '    """Exact BPTT over the steps of ``tape``, with cuts and a carried adjoint.', "",
         "    Returns dA, dB (N, T, kH), the adjoints of the two projections at every step, and",
         f"    the adjoints sent back to the states before step 0 ({states}).  ``keep`` (N, T)",
         "    multiplies the adjoint that step t sends back to step t-1 (0 cuts the link); None",
         "    keeps every link.  ``carry`` holds the adjoints arriving at the last step's states",
         "    from later steps; None: zeros.  With neither, this is ``backward`` without",
         "    truncation.",
         '    """')
    with code.indented():
        code("C = coefficients(tape, act)", "N, T, H = G.shape", "W = p.W")
        mark = len(code.lines)
        _exact_sweep(code, cell, adj, names, coeff, b_stacks, keep_inc,
                     lambda i: f"np.zeros_like(G[:, 0]) if carry is None else carry[{i}]",
                     keep=True)
        code("dB = dB.reshape(N, T, -1)")
        out = ", ".join(f"next_{name}" for name in cell.states) + ","
        if all(same_a):
            code(f"return dB, dB, ({out})  # dA = dB: every block's two adjoints are equal")
        else:
            _input_adjoints(code, cell, adj, names, coeff, same_a,
                            {d: f"inc_{name}" for d, name in zip(adj.incoming, cell.states,
                                                                 strict=True)})
            code(f"return dA.reshape(N, T, -1), dB, ({out})")
        _unpack_coefficients(code, mark)
