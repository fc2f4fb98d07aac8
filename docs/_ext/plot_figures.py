"""One numbered, labelled figure per ``.. plot::``.

The plot directive writes each figure twice, once under ``only:: html`` and once under
``only:: not html``. Sphinx numbers both copies, so the second plot of a chapter would be
"Figure 5.3". It also has no ``:name:`` option; a ``.. _fig-label:`` written on the line before
it lands on the ``only`` node, not on the figure, and ``{numref}`` cannot find it. The transform
here keeps the copy meant for the current builder and moves such a label onto its figure.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform

_BUILDER_FORMAT: dict[str, str] = {}


def _is_plot(node) -> bool:
    return isinstance(node, addnodes.only) and any(
        "plot-directive" in image["classes"] for image in node.findall(nodes.image)
    )


class OnePlotFigure(SphinxTransform):
    default_priority = 300  # after docutils propagates targets, before Sphinx collects labels

    def apply(self, **kwargs) -> None:
        html = _BUILDER_FORMAT.get("format") == "html"
        for first in list(self.document.findall(addnodes.only)):
            if first.parent is None or first["expr"] != "html" or not _is_plot(first):
                continue
            second = first.parent[first.parent.index(first) + 1 :][:1]
            if not (second and _is_plot(second[0]) and second[0]["expr"] == "not html"):
                continue
            keep, drop = (first, second[0]) if html else (second[0], first)
            ids, names = first["ids"] + second[0]["ids"], first["names"] + second[0]["names"]
            drop.parent.remove(drop)
            figure = next(keep.findall(nodes.figure), None)
            if figure is None:
                continue
            for node in (first, second[0]):
                node["ids"], node["names"] = [], []
            figure["ids"] = ids + figure["ids"]
            figure["names"] = names + figure["names"]
            for node_id in ids:
                self.document.ids[node_id] = figure


def _remember_builder(app) -> None:
    _BUILDER_FORMAT["format"] = getattr(app.builder, "format", "")


def setup(app):
    app.connect("builder-inited", _remember_builder)
    app.add_transform(OnePlotFigure)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
