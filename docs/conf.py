"""Sphinx configuration for the book *Backpropagation Through Time, Derived*.

The book is built from the MyST Markdown pages in this directory. Every ``>>>`` example sits in a
``{doctest}`` fence, so ``sphinx-build -b doctest`` and ``pytest --doctest-glob='*.md'`` both run
it. Equations are typeset by a copy of MathJax 3 that ships with the Python package
``django-static-mathjax``; the built HTML never fetches anything from the network.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import ConfigError
from sphinx.transforms import SphinxTransform

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# Let autodoc import the checkout even when the package is not installed.
sys.path.insert(0, str(ROOT))
# The book's own Sphinx extensions, one module each.
if str(DOCS / "_ext") not in sys.path:
    sys.path.insert(0, str(DOCS / "_ext"))

# -- Project -------------------------------------------------------------------------------------

project = "Backpropagation Through Time, Derived"
author = "The bptt_book authors"
copyright = "2025, the bptt_book authors"
# The version is written once, as __version__ in bptt_book/__init__.py.
release = importlib.import_module("bptt_book").__version__
version = ".".join(release.split(".")[:2])

# -- General -------------------------------------------------------------------------------------

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx_proof",
    "sphinx_copybutton",
    "matplotlib.sphinxext.plot_directive",
    "explorer",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "conftest.py", "Thumbs.db", ".DS_Store", "**/.ipynb_checkpoints"]
templates_path: list[str] = []

# Number figures and equations; with a ``:numbered:`` toctree they count per chapter (3.1, 3.2 …).
numfig = True
numfig_secnum_depth = 1
math_numfig = True
math_eqref_format = "({number})"
numfig_format = {
    "figure": "Figure %s",
    "table": "Table %s",
    "code-block": "Listing %s",
    "section": "Section %s",
}

# -- MyST ----------------------------------------------------------------------------------------

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# -- autodoc / napoleon --------------------------------------------------------------------------

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_default_options = {"show-inheritance": False}
python_use_unqualified_type_names = True

napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True

# Type names that have no target without intersphinx (and some that never have one: the
# free-text words NumPy-style docstrings use in their type fields).
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|numpy\.typing|npt)(\..*)?"),
    (r"py:.*", r"(NDArray|ArrayLike|DTypeLike)(\[.*\])?"),
    (r"py:.*", r"(sympy|sp)(\..*)?"),
    (r"py:.*", r"(typing|collections\.abc|types)\..*"),
    (r"py:.*", r"(Callable|Iterable|Iterator|Sequence|Mapping|Any|Literal|Self)(\[.*\])?"),
    (r"py:.*", r"(pathlib\.)?Path|PathLike|os\.PathLike"),
    (r"py:class", r"(optional|array[-_]like|callable|scalar|default.*|shape.*|of)"),
    (r"py:class", r"(int|float|str|bool|dict|list|tuple|None|object|bytes|type)"),
    (r"py:.*", r"matplotlib(\..*)?"),
]

# -- Doctest -------------------------------------------------------------------------------------

# Docstrings are tested by ``pytest --doctest-modules``; do not re-run autodoc'd ``>>>`` blocks
# here, where they would run in the page's namespace.
doctest_test_doctest_blocks = ""

# -- Intersphinx (needs the network, so it is opt-in) --------------------------------------------

if os.environ.get("BPTT_BOOK_INTERSPHINX"):
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sympy": ("https://docs.sympy.org/latest", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
    }

# -- Copy button ---------------------------------------------------------------------------------

# Copy only the input lines of a ``>>>`` session, without the prompts.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_remove_prompts = True

# -- Figures (matplotlib, drawn at build time) ---------------------------------------------------

plot_html_show_source_link = False
plot_html_show_formats = False
plot_include_source = False
plot_formats = [("png", 110)]
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\n"
plot_rcparams = {
    "figure.figsize": (7.0, 3.2),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "font.size": 10,
}

# -- sphinx-proof --------------------------------------------------------------------------------

proof_minimal_theme = False

# -- HTML ----------------------------------------------------------------------------------------

html_theme = "sphinx_book_theme"
html_title = project
html_static_path: list[str] = []
html_last_updated_fmt = None
html_show_sourcelink = True
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
}
# Without a mode the theme's script logs "Got invalid theme mode" as an error on every page
# (tests/browser checks the console); "auto" is what it falls back to anyway.
html_context = {"default_mode": "auto"}

# -- Offline MathJax -----------------------------------------------------------------------------

# MathJax 3 from the installed ``mathjax`` package (``pip install django-static-mathjax``) is
# copied to ``_static/mathjax/`` of the HTML output. Sphinx resolves a relative
# ``mathjax_path`` against ``_static``.
_MATHJAX_CANDIDATES = ("tex-svg-full.js", "tex-svg.js")
_MATHJAX_SUBDIR = "mathjax"


def _mathjax_source() -> Path:
    """Return the bundled MathJax 3 combined component, or fail with how to install it."""
    try:
        spec = importlib.util.find_spec("mathjax")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            es5 = Path(location) / "static" / "mathjax" / "es5"
            for name in _MATHJAX_CANDIDATES:
                if (es5 / name).is_file():
                    return es5 / name
    raise ConfigError(
        "The book typesets equations with a local copy of MathJax 3 and never loads it from a "
        "CDN, but no MathJax was found (looked for mathjax/static/mathjax/es5/"
        f"{' or '.join(_MATHJAX_CANDIDATES)} in an importable 'mathjax' package). "
        "Install it with:  pip install django-static-mathjax   "
        "(or: pip install -e '.[docs]')."
    )


def _mathjax_name() -> str:
    """File name of the MathJax component to use (without failing when none is installed)."""
    try:
        return _mathjax_source().name
    except ConfigError:
        return _MATHJAX_CANDIDATES[0]


mathjax_path = f"{_MATHJAX_SUBDIR}/{_mathjax_name()}"
mathjax3_config = {
    "tex": {
        "tags": "none",  # Sphinx numbers the equations itself (math_numfig).
    },
    "svg": {"fontCache": "global"},
    "options": {"enableMenu": True},
    "startup": {"typeset": True},
}


def _is_html(app) -> bool:
    return getattr(app.builder, "format", None) == "html"


def _check_mathjax(app) -> None:
    """Fail an HTML build early if MathJax is not installed."""
    if _is_html(app):
        _mathjax_source()


def _copy_mathjax(app, exception) -> None:
    """Put the MathJax component where ``mathjax_path`` points, in the HTML output."""
    if exception is not None or not _is_html(app):
        return
    target = Path(app.outdir) / "_static" / _MATHJAX_SUBDIR
    target.mkdir(parents=True, exist_ok=True)
    source = _mathjax_source()
    shutil.copyfile(source, target / source.name)


# -- EPUB ----------------------------------------------------------------------------------------

# ``sphinx-build -b epub docs docs/_build/epub`` (run by ``tox -e docs``) writes the book as one
# file, docs/_build/epub/bptt-book.epub, with the same chapters, equations and figures as the HTML.
# E-readers do not run MathJax, so the EPUB carries its equations as MathML (EPUB 3 readers display
# it natively): a math renderer used by the EPUB builder only converts each equation's TeX with
# the pure-Python ``latex2mathml``. The HTML keeps MathJax.
import re  # noqa: E402
from html import escape as _escape  # noqa: E402
from urllib.parse import quote  # noqa: E402

from sphinx.util import logging as sphinx_logging  # noqa: E402
from sphinx.util.math import get_node_equation_number  # noqa: E402

epub_title = project
epub_author = author
epub_publisher = author
epub_contributor = author
epub_copyright = copyright
epub_description = (
    "Backpropagation through time and the vanishing-gradient problem for a simple recurrent "
    "network, with gradients derived by SymPy and computed by the generated NumPy code."
)
epub_identifier = "bptt_book"
epub_scheme = "project"
epub_uid = "bptt_book"
epub_basename = "bptt-book"
epub_theme = "epub"
epub_show_urls = "no"
epub_use_index = False
epub_exclude_files = ["search.html"]
# With a second math renderer registered Sphinx no longer picks one by itself: name them.
html_math_renderer = "mathjax"
epub_math_renderer = "mathml"

_MATHML_ENVIRONMENTS = re.compile(
    r"\\(begin|end)\{(equation|align|aligned|gather|gathered|multline|flalign)\*?\}"
)
_MATHML_DROP = re.compile(r"\\(label\{[^}]*\}|nonumber\b|notag\b)")


def _tex_for_mathml(tex: str) -> str:
    """Rewrite display TeX into the subset ``latex2mathml`` turns into tables: every multi-line
    environment (and MathJax's implicit one for ``\\``-separated lines) becomes ``split``."""
    tex = _MATHML_DROP.sub("", tex)
    lines = [part.strip() for part in tex.split("\n\n") if part.strip()]
    tex = r" \\ ".join(lines)

    def env(match: re.Match) -> str:
        if match.group(2) == "equation":
            return ""
        return rf"\{match.group(1)}{{split}}"

    tex = _MATHML_ENVIRONMENTS.sub(env, tex)
    if r"\\" in tex and r"\begin{split}" not in tex:
        tex = rf"\begin{{split}}{tex}\end{{split}}"
    return tex


def _mathml(translator, node, display: str) -> str:
    """MathML for ``node``'s TeX, or the TeX itself (with a warning) if it cannot be converted."""
    import xml.etree.ElementTree as ElementTree

    from latex2mathml.converter import convert

    tex = node.astext()
    try:
        source = _tex_for_mathml(tex) if display == "block" else tex
        markup = convert(source, display=display)
        markup = markup.replace('"negativethinmathspace"', '"-0.1667em"')
        ElementTree.fromstring(markup)  # the XHTML of an EPUB must stay well-formed
    except Exception as exc:  # noqa: BLE001 - any failure falls back to the TeX source
        logger = sphinx_logging.getLogger(__name__)
        logger.warning(
            "EPUB: cannot write this equation as MathML (%s), it is shown as TeX: %s",
            exc,
            tex,
            location=node,
            type="epub",
            subtype="mathml",
        )
        return f'<code class="math-tex">{translator.encode(tex)}</code>'
    return markup


def _mathml_inline(self, node) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math"))
    self.body.append(_mathml(self, node, "inline") + "</span>")
    raise nodes.SkipNode


def _mathml_block(self, node) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math"))
    if node["number"]:
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})</span>')
    self.body.append(_mathml(self, node, "block") + "</div>\n")
    raise nodes.SkipNode


def _epub_content(app) -> None:
    """Two fixes to the EPUB's content.opf, made before the book is zipped.

    * Plain ``sphinx-build -b epub docs OUT`` keeps its doctrees in ``OUT/.doctrees``, and the EPUB
      builder would list (and warn about) every file it finds there: leave them out, and leave out
      the plot directive's working copies in ``OUT/plot_directive`` (pages use ``_images/``).
    * EPUB 3 wants ``properties="mathml"`` on each page that holds MathML; Sphinx's template has
      no slot for it, so add it to the written file.
    """
    builder = app.builder
    if builder.name != "epub":
        return
    if importlib.util.find_spec("latex2mathml") is None:
        raise ConfigError(
            "The EPUB edition writes its equations as MathML with the package 'latex2mathml', "
            "which is not installed. Install it with:  pip install latex2mathml"
        )
    build_content = builder.build_content

    def build_content_with_mathml() -> None:
        outdir, doctrees = Path(builder.outdir), Path(builder.doctreedir)
        unused = [path for path in (outdir / "plot_directive").rglob("*") if path.is_file()]
        if doctrees.is_relative_to(outdir):
            unused += [path for path in doctrees.rglob("*") if path.is_file()]
        app.config.epub_exclude_files = list(app.config.epub_exclude_files) + [
            path.relative_to(outdir).as_posix() for path in unused
        ]
        build_content()
        opf = Path(builder.outdir) / "content.opf"
        text = opf.read_text(encoding="utf-8")
        for page in builder.files:
            if page.endswith(builder.out_suffix) and "<math " in (
                Path(builder.outdir) / page
            ).read_text(encoding="utf-8"):
                href = _escape(quote(page))
                text = text.replace(
                    f'href="{href}" media-type="application/xhtml+xml" />',
                    f'href="{href}" media-type="application/xhtml+xml" properties="mathml" />',
                )
        opf.write_text(text, encoding="utf-8")

    builder.build_content = build_content_with_mathml


def _setup_epub(app) -> None:
    app.add_config_value("epub_math_renderer", None, "env", types=frozenset({str}))
    app.add_html_math_renderer(
        "mathml", inline_renderers=(_mathml_inline, None), block_renderers=(_mathml_block, None)
    )
    app.connect("builder-inited", _epub_content)


# -- Re-exported names -----------------------------------------------------------------------------

# autodoc documents ``bptt_book.loss`` under its defining module, ``bptt_book.model.loss``. Let the
# pages and the docstrings write the short public name anyway: a reference to ``bptt_book.X`` that
# has no target is retried with the name of the module that defines ``X``.
_PACKAGE = "bptt_book"


def _canonical_name(target: str) -> str | None:
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", None)
        if module and qualname and module.startswith(_PACKAGE):
            return f"{module}.{qualname}"
        return None
    return None


def _resolve_reexport(app, env, node, contnode):
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith(f"{_PACKAGE}."):
        return None
    canonical = _canonical_name(target)
    if canonical is None or canonical == target:
        return None
    retry = node.deepcopy()
    retry["reftarget"] = canonical
    return env.get_domain("py").resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], canonical, retry, contnode
    )


# -- Figures drawn by ``.. plot::`` --------------------------------------------------------------

# The plot directive writes each figure twice, once under ``only:: html`` and once under
# ``only:: not html``. Sphinx numbers both copies, so the second plot of a chapter would be
# "Figure 5.3". It also has no ``:name:`` option; a ``.. _fig-label:`` written on the line before
# it lands on the ``only`` node, not on the figure, and ``{numref}`` cannot find it. This
# transform keeps the copy meant for the current builder and moves such a label onto its figure.
_BUILDER_FORMAT: dict[str, str] = {}


def _is_plot(node) -> bool:
    return isinstance(node, addnodes.only) and any(
        "plot-directive" in image["classes"] for image in node.findall(nodes.image)
    )


class _OnePlotFigure(SphinxTransform):
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


# -- Equations typeset from the derivation ---------------------------------------------------------

from docutils.statemachine import StringList  # noqa: E402
from sphinx.directives.patches import MathDirective  # noqa: E402


class DerivedEquation(MathDirective):
    """```` ```{derived} NAME ```` typesets ``bptt_book.derivation.equations.equation(NAME)``:
    the LaTeX of the very SymPy expression the generator prints into the NumPy module.
    Options as for ``{math}`` (``:label:`` numbers it)."""

    has_content = False
    required_arguments = 1
    optional_arguments = 0

    def run(self):
        from bptt_book.derivation.equations import equation

        self.content = StringList([equation(self.arguments[0])])
        self.arguments = []
        return super().run()


def setup(app):
    _setup_epub(app)
    app.add_directive("derived", DerivedEquation)
    app.connect("builder-inited", _remember_builder)
    app.add_transform(_OnePlotFigure)
    app.connect("missing-reference", _resolve_reexport)
    app.connect("builder-inited", _check_mathjax)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
