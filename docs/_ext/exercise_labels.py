"""Cross-references to exercises in the PDF.

sphinx-exercise labels an exercise in LaTeX as ``exercise:LABEL``, while the references to it
(a ``{numref}``, the "Solution to Exercise 2.1" heading) point at Sphinx's usual
``DOCNAME:LABEL``, so LaTeX reports them undefined and prints "??". For the LaTeX builder this
extension puts the second label next to the first.
"""

from __future__ import annotations

from docutils import nodes


def add_labels(app, doctree) -> None:
    if app.builder.name != "latex":
        return
    docname = app.env.docname
    for node in list(doctree.findall(nodes.Element)):
        if type(node).__name__ not in ("exercise_node", "exercise_enumerable_node"):
            continue
        label = node.get("label")
        if label:
            anchor = rf"\phantomsection\label{{\detokenize{{{docname}:{label}}}}}"
            node.parent.insert(node.parent.index(node), nodes.raw("", anchor, format="latex"))


def setup(app):
    app.connect("doctree-read", add_labels)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
