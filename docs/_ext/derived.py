"""The ``derived`` directive: an equation typeset from the SymPy derivation itself.

```` ```{derived} NAME ```` typesets ``bptt_book.derivation.equations.equation(NAME)``, the LaTeX of
the very SymPy expression the generator prints into the NumPy module. It takes the options of
``{math}`` (``:label:`` numbers it).
"""

from __future__ import annotations

from docutils.statemachine import StringList
from sphinx.directives.patches import MathDirective


class DerivedEquation(MathDirective):
    """A ``{math}`` block whose content is the named equation of the derivation."""

    has_content = False
    required_arguments = 1
    optional_arguments = 0

    def run(self):
        from bptt_book.derivation.equations import equation

        self.content = StringList([equation(self.arguments[0])])
        self.arguments = []
        return super().run()


def setup(app):
    app.add_directive("derived", DerivedEquation)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
