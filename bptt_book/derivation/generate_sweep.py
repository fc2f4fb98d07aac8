"""Print ``sweep``: the exact backward sweep of a cell, with cuts and a carried adjoint.

The other truncation schemes and gradient checkpointing all run the exact sweep of
:mod:`~bptt_book.derivation.generate` with one of two changes:

- the adjoint that step ``t`` sends back to step ``t - 1`` is multiplied by a weight
  ``keep[:, t]``: 0 cuts the link (truncation by chunks), ``1 / (1 - c)`` reweights a link
  that a random draw kept (the randomized scheme of Tallec & Ollivier);
- the sweep starts from the adjoints ``carry`` that arrive at the last step's states from
  beyond the steps at hand (a later segment, when checkpointing recomputes the states
  segment by segment), and hands back what it sends to the states before its first step.

Every right-hand side is the one the exact sweep prints -- the nodes, block adjoints and
direct state adjoints of :func:`~bptt_book.derivation.adjoint.derive` -- so the function is a
second skeleton around the same derived lines, kept apart from ``backward`` so that the
default path stays exactly as it was.
"""

from .generate import (
    _coefficient_names,
    _Names,
    _node_statements,
    _single_block,
    _stacks,
    _unpack_coefficients,
    _write_blocks,
)


def sweep_source(code, cell, adj):
    """Append the generated ``sweep`` of ``cell`` (with its derived adjoint ``adj``) to
    ``code``."""
    names = _Names(cell, adj)
    coeff = _coefficient_names(adj)
    k = cell.k
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
        code(f"dB = np.empty((N, T, {k}, H), dtype=G.dtype)" if k > 1 else
             "dB = np.empty_like(G)")
        for i, name in enumerate(cell.states):
            code(f"next_{name} = np.zeros_like(G[:, 0]) if carry is None else carry[{i}]")
            if keep_inc:
                code(f"inc_{name} = np.empty_like(G)")
        code("for t in range(T - 1, -1, -1):")
        with code.indented():
            incoming = {}
            for i, (d, name) in enumerate(zip(adj.incoming, cell.states, strict=True)):
                var = names.incoming[d]
                code(f"{var} = G[:, t] + next_{name}" if i == 0 else f"{var} = next_{name}")
                if keep_inc:
                    code(f"inc_{name}[:, t] = {var}")
                incoming[d] = var
            lines, values, term_text = _node_statements(adj, names, coeff, "[:, t]", incoming)
            code(*lines)
            single = _single_block(adj, coeff, "[:, t]", values)
            if single:
                code(f"db = dB[:, t] = {single}")
            else:
                code("db = dB[:, t]")
                _write_blocks(code, cell, adj, adj.grad_b, coeff, "[:, t]", values, "db",
                              b_stacks)
            for j, name in enumerate(cell.states):
                direct = term_text(adj.grad_prev[j])
                if name == cell.output_state:
                    back = "db.reshape(N, -1) @ W" if k > 1 else "db @ W"
                    code(f"# next_{name} = d_b @ W  (W.T*d_b as a row)"
                         + (f" + {direct}" if direct else ""))
                    code(f"next_{name} = {back}" + (f" + {direct}" if direct else ""))
                else:
                    code(f"next_{name} = {direct or 'np.zeros_like(G[:, 0])'}")
            code("if keep is not None:  # the link between step t-1 and step t")
            with code.indented():
                for name in cell.states:
                    code(f"next_{name} = keep[:, t, None] * next_{name}")
        code("dB = dB.reshape(N, T, -1)")
        out = ", ".join(f"next_{name}" for name in cell.states) + ","
        if all(same_a):
            code(f"return dB, dB, ({out})  # dA = dB: every block's two adjoints are equal")
        else:
            code("# blocks whose input adjoint differs from the recurrent one: from the "
                 "adjoints that arrived")
            values = {d: f"inc_{name}" for d, name in zip(adj.incoming, cell.states,
                                                          strict=True)}
            lines, values, _ = _node_statements(adj, names, coeff, "", values)
            code(*lines)
            code(f"dA = dB.copy().reshape(N, T, {k}, H)" if k > 1 else "dA = dB.copy()")
            for i, (terms, same) in enumerate(zip(adj.grad_a, same_a, strict=True)):
                if same:
                    continue
                text = " + ".join(values[n] if c == 1 else f"{coeff[c]} * {values[n]}"
                                  for n, c in terms.items()) or "0"
                code(f"dA[..., {i}, :] = {text}" if k > 1 else f"dA[...] = {text}")
            code(f"return dA.reshape(N, T, -1), dB, ({out})")
        _unpack_coefficients(code, mark)
