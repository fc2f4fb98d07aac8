"""The ``num`` role: a number of the prose, computed when the book is built.

``{num}`tutorial.D``` in a MyST page (``:num:`tutorial.D``` in reST, such as a figure's
caption) is replaced by the value of ``bptt_book.figures.quoted.NUMBERS["tutorial.D"]``,
formatted as that entry says: as text, or as inline math for a number written
:math:`a \\times 10^{b}`.  Each number is computed once per build process, from the same
results the figures draw (``bptt_book.figures._settings.default_data``), and only when a page
uses it.

Why a role and not MyST's ``substitutions``: a role reaches the reST captions of the
``.. plot::`` figures, where MyST substitutions do not, and it computes only the numbers a
page names, when the page is read, where ``myst_substitutions`` would need every value in
``conf.py`` before any page is parsed (and so for every builder, the doctest one too).  An
unknown name is an error of the page that uses it.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes


def num_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    from bptt_book.figures import quoted

    key = text.strip()
    env = inliner.document.settings.env
    env.note_dependency(str(Path(quoted.__file__)))
    if key not in quoted.NUMBERS:
        message = inliner.reporter.error(
            f"no quoted number {key!r} (bptt_book/figures/quoted.py)", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    tex = quoted.latex(key)
    if tex is not None:
        return [nodes.math(rawtext, tex)], []
    return [nodes.inline(rawtext, quoted.text(key), classes=["quoted-number"])], []


def setup(app):
    app.add_role("num", num_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
