"""Equations of the EPUB edition as MathML.

E-readers do not run MathJax, so the EPUB carries its equations as MathML, which EPUB 3 readers
display natively. This extension registers a math renderer named ``mathml`` that converts each
equation's TeX with the pure-Python ``latex2mathml``; select it for the EPUB builder with
``epub_math_renderer = "mathml"`` (the HTML keeps ``html_math_renderer``). It also fixes the
EPUB's ``content.opf`` before the book is zipped (see :func:`fix_epub_content`).
"""

from __future__ import annotations

import importlib.util
import re
from html import escape
from pathlib import Path
from urllib.parse import quote

from docutils import nodes
from sphinx.errors import ConfigError
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

logger = logging.getLogger(__name__)

_ENVIRONMENTS = re.compile(
    r"\\(begin|end)\{(equation|align|aligned|gather|gathered|multline|flalign)\*?\}"
)
_DROP = re.compile(r"\\(label\{[^}]*\}|nonumber\b|notag\b)")


def tex_for_mathml(tex: str) -> str:
    """Rewrite display TeX into the subset ``latex2mathml`` turns into tables: every multi-line
    environment (and MathJax's implicit one for ``\\``-separated lines) becomes ``split``."""
    tex = _DROP.sub("", tex)
    lines = [part.strip() for part in tex.split("\n\n") if part.strip()]
    tex = r" \\ ".join(lines)

    def env(match: re.Match) -> str:
        if match.group(2) == "equation":
            return ""
        return rf"\{match.group(1)}{{split}}"

    tex = _ENVIRONMENTS.sub(env, tex)
    if r"\\" in tex and r"\begin{split}" not in tex:
        tex = rf"\begin{{split}}{tex}\end{{split}}"
    return tex


MATHML = "http://www.w3.org/1998/Math/MathML"
PRIMES = ("\u2032", "\u2033", "\u2034")  # ′ ″ ‴


def _is_prime(element) -> bool:
    return element.tag in (f"{{{MATHML}}}mi", f"{{{MATHML}}}mo") and element.text in PRIMES


def primes_inline(markup: str) -> str:
    """Write ``f'`` as f followed by a prime, not as f with a prime for its superscript.

    ``latex2mathml`` turns ``f'`` into ``<msup><mi>f</mi><mi>′</mi></msup>`` (and ``E_3'`` into
    an ``msubsup``): the prime, a raised glyph already, is raised a second time and shrunk, and
    e-readers draw it far above the letter. Here it becomes ``<mrow><mi>f</mi><mo>′</mo></mrow>``
    (``<mrow><msub>…</msub><mo>′</mo></mrow>``), which renders as TeX sets it.
    """
    import xml.etree.ElementTree as ElementTree

    ElementTree.register_namespace("", MATHML)
    root = ElementTree.fromstring(markup)
    changed = False
    for parent in root.iter():
        for index, child in enumerate(list(parent)):
            local = child.tag.removeprefix(f"{{{MATHML}}}")
            if local == "msup" and len(child) == 2 and _is_prime(child[1]):
                base, prime = child[0], child[1]
            elif local == "msubsup" and len(child) == 3 and _is_prime(child[2]):
                base = ElementTree.Element(f"{{{MATHML}}}msub")
                base.extend([child[0], child[1]])
                prime = child[2]
            else:
                continue
            prime.tag = f"{{{MATHML}}}mo"
            row = ElementTree.Element(f"{{{MATHML}}}mrow")
            row.extend([base, prime])
            row.tail = child.tail
            parent[index] = row
            changed = True
    return ElementTree.tostring(root, encoding="unicode") if changed else markup


def mathml(translator, node, display: str) -> str:
    """MathML for ``node``'s TeX, or the TeX itself (with a warning) if it cannot be converted."""
    import xml.etree.ElementTree as ElementTree

    from latex2mathml.converter import convert

    tex = node.astext()
    try:
        source = tex_for_mathml(tex) if display == "block" else tex
        markup = convert(source, display=display)
        markup = markup.replace('"negativethinmathspace"', '"-0.1667em"')
        markup = primes_inline(markup)
        ElementTree.fromstring(markup)  # the XHTML of an EPUB must stay well-formed
    except Exception as exc:  # noqa: BLE001 - any failure falls back to the TeX source
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


def visit_inline(self, node) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math"))
    self.body.append(mathml(self, node, "inline") + "</span>")
    raise nodes.SkipNode


def visit_block(self, node) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math"))
    if node["number"]:
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})</span>')
    self.body.append(mathml(self, node, "block") + "</div>\n")
    raise nodes.SkipNode


def fix_epub_content(app) -> None:
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
        opf = outdir / "content.opf"
        text = opf.read_text(encoding="utf-8")
        for page in builder.files:
            if page.endswith(builder.out_suffix) and "<math " in (outdir / page).read_text(
                encoding="utf-8"
            ):
                href = escape(quote(page))
                text = text.replace(
                    f'href="{href}" media-type="application/xhtml+xml" />',
                    f'href="{href}" media-type="application/xhtml+xml" properties="mathml" />',
                )
        opf.write_text(text, encoding="utf-8")

    builder.build_content = build_content_with_mathml


def setup(app):
    app.add_config_value("epub_math_renderer", None, "env", types=frozenset({str}))
    app.add_html_math_renderer(
        "mathml", inline_renderers=(visit_inline, None), block_renderers=(visit_block, None)
    )
    app.connect("builder-inited", fix_epub_content)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
