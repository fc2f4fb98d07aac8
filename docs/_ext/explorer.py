"""Sphinx extension: the interactive explorer page (docs/explorer.md).

A page places the widget with the ``explorer`` directive (in MyST, a ``{explorer}`` fence).
When the HTML builder finishes, the results are computed in Python by
:func:`bptt_book.figures.explorer.explorer_data` and written to
``_static/explorer/results.json``, and again as ``results.js`` (the same JSON assigned to
``window.bpttExplorerResults``, so that the page also works when opened from the disk, where a
browser will not fetch a JSON file). The page's script, ``explorer.js`` beside this module, is
copied next to them; it is small hand-written JavaScript (no library, no network) that draws
the results as SVG. The results are computed once and reused while the package and the
settings files are unchanged (a hash of them is kept in ``results.key``).

The EPUB edition, whose readers may not run scripts, shows a note pointing to the HTML edition.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

HERE = Path(__file__).resolve().parent
STATIC = "explorer"  # the folder under _static
ASSETS = ("explorer.js", "explorer.css")

logger = logging.getLogger(__name__)


class explorer_node(nodes.General, nodes.Element):  # noqa: N801 - docutils' naming
    """Where the explorer goes."""


class Explorer(SphinxDirective):
    """``{explorer}``: the interactive explorer, drawn by the page's script."""

    has_content = False

    def run(self):
        return [explorer_node()]


def _visit_html(self, node) -> None:
    if self.builder.name != "html":  # the EPUB uses the HTML writer too
        self.body.append(
            '<p class="explorer-offline">The explorer runs in the HTML edition of this book: '
            "it needs a web browser with JavaScript (no network, no server).</p>")
        raise nodes.SkipNode
    self.body.append(
        '<div id="bptt-explorer" class="bptt-explorer">'
        '<p class="explorer-noscript">The explorer is drawn by a script; it needs a browser '
        "with JavaScript switched on.</p></div>")
    raise nodes.SkipNode


def _skip(self, node) -> None:
    raise nodes.SkipNode


def _key() -> str:
    """A hash of the package's source and settings, on which the results depend."""
    import bptt_book
    from bptt_book import config

    digest = hashlib.sha256()
    package = Path(bptt_book.__file__).resolve().parent
    files = sorted(package.rglob("*.py")) + sorted(Path(config.CONF_DIR).glob("*.toml"))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _add_assets(app, pagename, templatename, context, doctree) -> None:
    if app.builder.name != "html" or doctree is None:
        return
    if next(iter(doctree.findall(explorer_node)), None) is None:
        return
    app.add_css_file(f"{STATIC}/explorer.css")
    app.add_js_file(f"{STATIC}/results.js", loading_method="defer")
    app.add_js_file(f"{STATIC}/explorer.js", loading_method="defer")


def _write_results(app, exception) -> None:
    if exception is not None or app.builder.name != "html":
        return
    from bptt_book.figures.explorer import explorer_data

    folder = Path(app.outdir) / "_static" / STATIC
    folder.mkdir(parents=True, exist_ok=True)
    key, saved = _key(), folder / "results.key"
    results = folder / "results.json"
    if results.is_file() and saved.is_file() and saved.read_text() == key:
        text = results.read_text(encoding="utf-8").strip()
        logger.info("explorer: results unchanged, reused %s", results)
    else:
        logger.info("explorer: computing the results (bptt_book.figures.explorer)")
        text = json.dumps(explorer_data(), separators=(",", ":"), allow_nan=False)
        results.write_text(text + "\n", encoding="utf-8")
        saved.write_text(key)
    (folder / "results.js").write_text(
        f"window.bpttExplorerResults = {text};\n", encoding="utf-8")
    for name in ASSETS:
        shutil.copyfile(HERE / name, folder / name)


def setup(app):
    app.add_node(explorer_node, html=(_visit_html, None), latex=(_skip, None),
                 text=(_skip, None), man=(_skip, None), texinfo=(_skip, None))
    app.add_directive("explorer", Explorer)
    app.connect("html-page-context", _add_assets)
    app.connect("build-finished", _write_results)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
