"""MathJax 3 from a local copy: the built HTML never fetches anything from the network.

The MathJax component named by ``mathjax_path`` (relative, so Sphinx resolves it against
``_static``) is copied from the folder ``offline_mathjax_dir`` (relative to the configuration
directory) into ``_static/`` of the HTML output. The book vendors the upstream file there, with
its licence and a README that records its version and source.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from sphinx.errors import ConfigError


def _is_html(app) -> bool:
    # The EPUB builder is an HTML builder too; it writes MathML instead (epub_mathml.py).
    return getattr(app.builder, "format", None) == "html" and app.builder.name != "epub"


def _component(app) -> PurePosixPath:
    return PurePosixPath(app.config.mathjax_path)


def mathjax_source(app) -> Path:
    """The vendored file that ``mathjax_path`` names; fail with what is missing."""
    folder = Path(app.confdir) / app.config.offline_mathjax_dir
    source = folder / _component(app).name
    if not source.is_file():
        raise ConfigError(
            f"The book typesets equations with a local copy of MathJax 3 and never loads it from "
            f"a CDN, but {source} does not exist. mathjax_path is {app.config.mathjax_path!r}; "
            f"see {folder / 'README.md'} for how the copy is made."
        )
    return source


def check_mathjax(app) -> None:
    """Fail an HTML build early if the vendored MathJax is missing."""
    if _is_html(app):
        if "://" in app.config.mathjax_path or app.config.mathjax_path.startswith("/"):
            raise ConfigError(
                f"mathjax_path must name the vendored copy (a relative path), not "
                f"{app.config.mathjax_path!r}"
            )
        mathjax_source(app)


def copy_mathjax(app, exception) -> None:
    """Put the MathJax component where ``mathjax_path`` points, in the HTML output."""
    if exception is not None or not _is_html(app):
        return
    component = _component(app)
    target = Path(app.outdir) / "_static" / component.parent
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mathjax_source(app), target / component.name)


def setup(app):
    app.add_config_value("offline_mathjax_dir", "_vendor/mathjax", "env", types=frozenset({str}))
    app.connect("builder-inited", check_mathjax)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
