"""Readable headings in the EPUB's table of contents.

The tables of contents of an EPUB (nav.xhtml and toc.ncx) hold plain text, and Sphinx writes a
heading's equation there as its TeX source (``\\partial E_3 / \\partial V``). For the EPUB builder
this extension rewrites the math in the headings that the tables of contents copy (Sphinx's
``env.tocs``) as Unicode text, ``∂E₃ / ∂V``: macros through ``pylatexenc``, sub- and
superscripts through Unicode's subscript and superscript letters where every character has one
(``s_{t-1}`` → ``sₜ₋₁``), primes as ``′``. The headings in the pages keep their MathML.
"""

from __future__ import annotations

import re

from docutils import nodes

# Unicode has sub- and superscript forms for these characters only (no subscript b, c, d, ...).
SUBSCRIPT = dict(
    zip(
        "0123456789+-−=()aehijklmnoprstuvxβγρφχ",
        "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ",
        strict=True,
    )
)
SUPERSCRIPT = dict(zip("0123456789+-−=()inT⊤", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁱⁿᵀᵀ", strict=True))
PRIMES = {"'": "′", "''": "″", "'''": "‴"}

# ``_x``, ``_\alpha`` or ``_{...}`` (one level of braces), and the same with ``^``.
_SCRIPT = re.compile(r"([_^])(\{(?:[^{}]|\{[^{}]*\})*\}|\\[A-Za-z]+|[^\s\\{}])")


def _plain(tex: str) -> str:
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text").latex_to_text(tex)


def _script(match: re.Match) -> str:
    kind, body = match.groups()
    text = _plain(body[1:-1] if body.startswith("{") else body).replace(" ", "")
    table = SUBSCRIPT if kind == "_" else SUPERSCRIPT
    # The empty group ends a macro name before it: ``\sigma{}ₘₐₓ``, not ``\sigmaₘₐₓ``.
    if text and all(char in table for char in text):
        return "{}" + "".join(table[char] for char in text)
    return "{}" + kind + (text if len(text) == 1 else f"({text})")


def tex_to_text(tex: str) -> str:
    """A plain-text rendering of inline TeX: ``\\hat y - y`` → ``ŷ − y``."""
    tex = re.sub(r"'+", lambda m: PRIMES.get(m.group(0), m.group(0)), tex)
    tex = _SCRIPT.sub(_script, tex)
    text = _plain(tex).replace(" - ", " − ")
    return re.sub(r"\s+", " ", text).strip()


def unicode_headings(app, doctree) -> None:
    """Replace the math in the headings the tables of contents copy (EPUB builds only)."""
    if app.builder.name != "epub":
        return
    docname = app.env.docname
    for tree in (app.env.tocs.get(docname), app.env.titles.get(docname)):
        if tree is None:
            continue
        for math in list(tree.findall(nodes.math)):
            math.parent.replace(math, nodes.Text(tex_to_text(math.astext())))


def setup(app):
    # After Sphinx's TocTreeCollector (priority 500) has copied the headings into env.tocs.
    app.connect("doctree-read", unicode_headings, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
