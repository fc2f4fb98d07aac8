"""One notation (docs/notation.md): the typeset equations of the gated cells use none of the
letters the plain network keeps for itself, and a cell's display names reach every equation."""

import re

import pytest

from bptt_book.derivation.cell import Cell
from bptt_book.derivation.equations import equation

# The plain network's symbols that a cell's own quantities must not be typeset as: the
# pre-activation z_t, the output push g_t, the logits o_t, the activation f (as f_t), and the
# letters a and b (a bias is b_U, b_W; the projections are alpha_t and beta_t).
RESERVED = re.compile(r"(?<![A-Za-z\\])(?:[zgofn]_\{?t|[ab]\^\{|[ab]_\{?t)")


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("part", ["forward", "jacobian", "backward", "rtrl"])
def test_cell_equations_keep_the_plain_networks_letters_free(cell, part):
    tex = equation(f"cell:{cell}:{part}")
    assert not RESERVED.findall(tex), (cell, part, RESERVED.findall(tex), tex)


def test_display_names_reach_every_equation_of_a_readers_cell():
    mgu = Cell("mgushown", states=["h"], blocks=["f", "n"], equations=[
        "f = sigmoid(a_f + b_f)",
        "n = tanh(a_n + f*b_n)",
        "h' = (1 - f)*h + f*n",
    ], display={"f": r"\varphi", "n": r"\tilde{h}"})
    from bptt_book.derivation.equations import cell_backward, cell_forward, cell_jacobian

    for tex in (cell_forward(mgu), cell_jacobian(mgu), cell_backward(mgu)):
        assert r"\varphi" in tex and not RESERVED.findall(tex), tex
    assert r"W_{\varphi}" in cell_jacobian(mgu)
    assert r"\beta^{\tilde{h}}_t" in cell_forward(mgu)
    # The code keeps the description's names.
    assert [t.name for t, _ in mgu.program] == ["f", "n", "h'"]


def test_no_control_characters_in_the_packages_strings():
    """A docstring's ``\\b`` or ``\\t`` written without a raw string becomes a control
    character, which breaks the PDF edition (pdflatex stops at U+0008)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "bptt_book"
    bad = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if any(ord(c) < 32 and c not in "\n\t" for c in node.value):
                    bad.append(f"{path.name}:{node.lineno}")
    assert not bad, bad
