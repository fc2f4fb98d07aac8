"""Sphinx configuration for the book *Backpropagation Through Time, Derived*.

The book is built from the MyST Markdown pages in this directory. Every ``>>>`` example sits in a
``{doctest}`` fence, so ``sphinx-build -b doctest`` and ``pytest --doctest-glob='*.md'`` both run
it. This file holds configuration only; the book's own Sphinx extensions are modules in
``docs/_ext/`` (one per concern), named in ``extensions`` below.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# Let autodoc import the checkout even when the package is not installed.
sys.path.insert(0, str(ROOT))
# The book's own Sphinx extensions, one module each.
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
    "sphinxcontrib.bibtex",
    "sphinx_exercise",
    "sphinx_togglebutton",
    "matplotlib.sphinxext.plot_directive",
    # docs/_ext/
    "bibliography_style",
    "offline_mathjax",
    "epub_mathml",
    "epub_toc",
    "reexport",
    "plot_figures",
    "derived",
    "scroll_cue",
    "notebooks",
    "exercise_labels",
    "explorer",
    "quoted_numbers",
    "claims_ledger",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "_ext",
    "_vendor",
    "conftest.py",
    "Thumbs.db",
    ".DS_Store",
    "**/.ipynb_checkpoints",
]
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
# Show defaults as written in the source (``path=GENERATED``), not their value on the machine
# that built the book (an absolute path).
autodoc_preserve_defaults = True
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

# -- References (sphinxcontrib-bibtex; styles in docs/_ext/bibliography_style.py) -----------------

bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "annotated"
bibtex_reference_style = "author_year_round"

# -- Exercises (sphinx-exercise; solutions fold with sphinx-togglebutton) ------------------------

# The student edition (``tox -e student``, ``-t student``) leaves the solutions out.
student_edition = tags.has("student")  # noqa: F821 - Sphinx provides ``tags``
hide_solutions = student_edition

# -- Notebooks (docs/_ext/notebooks.py) ------------------------------------------------------------

# An HTML build writes a notebook per chapter here (relative to this directory) and links it; the
# student edition's notebooks have no solutions, and a folder of their own.
notebooks_outdir = "_build/student-notebooks" if student_edition else "_build/notebooks"

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
# PNG for the HTML and EPUB editions, vector PDF for the LaTeX one (its builder takes the PDF).
plot_formats = [("png", 110), ("pdf", 110)]
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
html_static_path = ["_static"]
# Wide equations and listings scroll in their own box with a shadow at the hidden edge, and
# figure captions read as text (docs/_static/).
# (The script is added by docs/_ext/scroll_cue.py, for the HTML edition only.)
html_css_files = ["bptt-book.css"]
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

# -- Offline MathJax (docs/_ext/offline_mathjax.py) ------------------------------------------------

# MathJax 3.2.2 as vendored in docs/_vendor/mathjax/ (its README says where it comes from). A
# relative path: Sphinx resolves it against ``_static``, where the extension copies the file.
offline_mathjax_dir = "_vendor/mathjax"
mathjax_path = "mathjax/tex-svg-full.js"
mathjax3_config = {
    "tex": {
        "tags": "none",  # Sphinx numbers the equations itself (math_numfig).
    },
    "svg": {"fontCache": "global"},
    "options": {"enableMenu": True},
    "startup": {"typeset": True},
}

# -- EPUB ----------------------------------------------------------------------------------------

# ``sphinx-build -b epub docs docs/_build/epub`` (run by ``tox -e docs``) writes the book as one
# file, docs/_build/epub/bptt-book.epub, with the same chapters, equations and figures as the HTML.
# E-readers do not run MathJax, so the EPUB carries its equations as MathML
# (docs/_ext/epub_mathml.py).

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
epub_exclude_files = ["search.html", "_static/scroll-cue.js"]
# With a second math renderer registered (docs/_ext/epub_mathml.py) Sphinx no longer picks one
# by itself: name them.
html_math_renderer = "mathjax"
epub_math_renderer = "mathml"

# -- PDF (LaTeX builder + latexmk; ``tox -e pdf`` runs tests/pdf/build_pdf.py) ---------------------

latex_engine = "pdflatex"
# (The author's name is LaTeX there: its underscore escaped.)
latex_documents = [(root_doc, "bptt-book.tex", project, author.replace("_", r"\_"), "manual")]
# The book class, for \frontmatter, \mainmatter and \backmatter (set in index.md): the preface
# and the reference pages are not numbered, chapter 1 is the first chapter.
latex_docclass = {"manual": "book"}
latex_show_urls = "no"
# No index pages: a PDF reader searches the text, and the general index would print the glossary's
# math as TeX source.
latex_domain_indices = False
latex_show_pagerefs = False
# pdflatex knows the Latin letters and punctuation of UTF-8 text; the symbols that the pages'
# text and code outputs use besides are declared here, as math.
_LATEX_SYMBOLS = {
    "√": r"\surd", "−": "-", "′": "'", "θ": r"\theta", "γ": r"\gamma", "σ": r"\sigma",
    "δ": r"\delta", "η": r"\eta", "α": r"\alpha", "β": r"\beta", "λ": r"\lambda",
    "ε": r"\varepsilon", "Ω": r"\Omega", "Δ": r"\Delta", "∂": r"\partial", "∑": r"\sum",
    "≈": r"\approx", "≤": r"\le", "≥": r"\ge", "→": r"\to", "←": r"\leftarrow",
    "∞": r"\infty", "‖": r"\Vert", "⊙": r"\odot", "ₜ": "_t", "ₖ": "_k", "₀": "_0", "₁": "_1",
    "₂": "_2", "₃": "_3", "₋": "_-", "ρ": r"\rho", "ᵀ": r"^{\top}", "ᵒ": r"^{o}",
    "★": r"\bigstar", "κ": r"\kappa", "π": r"\pi", "χ": r"\chi", "φ": r"\varphi",
    "μ": r"\mu", "∇": r"\nabla", "⌈": r"\lceil", "⌉": r"\rceil", "⁻": r"^{-}",
}
latex_elements = {
    "papersize": "a4paper",
    "pointsize": "10pt",
    "classoptions": ",openany,oneside",
    "makeindex": "",
    "printindex": "",
    "figure_align": "htbp",
    "preamble": "\n".join(
        [
            rf"\DeclareUnicodeCharacter{{{ord(char):04X}}}{{\ensuremath{{{tex}}}}}"
            for char, tex in _LATEX_SYMBOLS.items()
        ]
        # Sphinx names the table of contents after the first toctree's caption ("Front matter").
        + [r"\addto\captionsenglish{\renewcommand{\contentsname}{Contents}}"]
    ),
}

# -- Re-exported names (docs/_ext/reexport.py) ----------------------------------------------------

# A reference to ``bptt_book.X`` with no target is retried under the module that defines ``X``.
reexport_package = "bptt_book"
