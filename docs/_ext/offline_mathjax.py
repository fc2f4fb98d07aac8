"""MathJax 3 from a local copy: the built HTML never fetches anything from the network.

The combined component named by ``mathjax_path`` (relative, so Sphinx resolves it against
``_static``) is taken from the installed ``mathjax`` package (``pip install
django-static-mathjax``) and copied into ``_static/`` of the HTML output.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path, PurePosixPath

from sphinx.errors import ConfigError


def mathjax_source(name: str) -> Path:
    """Return the bundled MathJax 3 combined component ``name``, or fail with how to install it."""
    try:
        spec = importlib.util.find_spec("mathjax")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "static" / "mathjax" / "es5" / name
            if candidate.is_file():
                return candidate
    raise ConfigError(
        "The book typesets equations with a local copy of MathJax 3 and never loads it from a "
        f"CDN, but no MathJax was found (looked for mathjax/static/mathjax/es5/{name} in an "
        "importable 'mathjax' package). Install it with:  pip install django-static-mathjax   "
        "(or: pip install -e '.[docs]')."
    )


def _is_html(app) -> bool:
    return getattr(app.builder, "format", None) == "html"


def _component(app) -> PurePosixPath:
    return PurePosixPath(app.config.mathjax_path)


def check_mathjax(app) -> None:
    """Fail an HTML build early if MathJax is not installed."""
    if _is_html(app):
        mathjax_source(_component(app).name)


def copy_mathjax(app, exception) -> None:
    """Put the MathJax component where ``mathjax_path`` points, in the HTML output."""
    if exception is not None or not _is_html(app):
        return
    component = _component(app)
    target = Path(app.outdir) / "_static" / component.parent
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mathjax_source(component.name), target / component.name)


def setup(app):
    app.connect("builder-inited", check_mathjax)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
