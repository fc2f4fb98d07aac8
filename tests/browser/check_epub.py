"""Check the EPUB edition against the HTML edition (run by ``tox -e docs`` after both builds).

    python tests/browser/check_epub.py [EPUB] [HTML_DIR]

Defaults: docs/_build/epub/bptt-book.epub and docs/_build/html. Checks that the EPUB

* holds a well-formed XHTML page for the front page, the preface, the notation page and every
  chapter, with the grades of the exercises (the stars of their titles) as text;
* holds every image its pages show, and the same figures as the HTML pages;
* writes every equation of the HTML page as MathML (same count, none left as TeX), and declares
  ``properties="mathml"`` for those pages in content.opf;
* sets a prime next to its letter, never as a superscript (``f′``, not ``f`` with a raised ``′``);
* has tables of contents (nav.xhtml and toc.ncx) with no TeX in them: a heading's math is
  Unicode text there (``∂E₃ / ∂V``), and every chapter is listed.

Prints one line per page and exits non-zero on the first kind of failure it finds.
"""

from __future__ import annotations

import posixpath
import re
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
XHTML = "{http://www.w3.org/1999/xhtml}"
MATHML = "{http://www.w3.org/1998/Math/MathML}"
NCX = "{http://www.daisy.org/z3986/2005/ncx/}"
PRIMES = ("\u2032", "\u2033", "\u2034")
# TeX in a table of contents: a backslash command, a dollar sign, or a braced sub/superscript.
TOC_TEX = re.compile(r"\\[A-Za-z]+|\\[{}]|\$|[_^]\{")


def check_tables_of_contents(book: zipfile.ZipFile, pages: list[str]) -> list[str]:
    """No TeX in nav.xhtml or toc.ncx, and every page listed in both."""
    problems = []
    nav = ElementTree.fromstring(book.read("nav.xhtml"))
    ncx = ElementTree.fromstring(book.read("toc.ncx"))
    tables = {
        "nav.xhtml": (
            ["".join(a.itertext()) for a in nav.iter(f"{XHTML}a")],
            [a.get("href", "") for a in nav.iter(f"{XHTML}a")],
        ),
        "toc.ncx": (
            [text.text or "" for text in ncx.iter(f"{NCX}text")],
            [content.get("src", "") for content in ncx.iter(f"{NCX}content")],
        ),
    }
    for name, (titles, targets) in tables.items():
        tex = [title for title in titles if TOC_TEX.search(title)]
        with_math = [title for title in titles if any(c in title for c in "∂ŷₜ₃σ")]
        listed = {target.split("#")[0].removesuffix(".xhtml") for target in targets}
        missing = [page for page in pages if page != "index" and page not in listed]
        print(f"{name}: {len(titles)} entries, headings with math: {with_math}")
        if not titles:
            problems.append(f"{name}: no entries")
        if tex:
            problems.append(f"{name}: TeX in the table of contents: {tex}")
        if missing:
            problems.append(f"{name}: pages not listed: {missing}")
    return problems


def main(epub: Path, html_dir: Path) -> int:
    pages = ["index", "preface", "notation"] + [
        f"chapters/{source.stem}" for source in sorted((DOCS / "chapters").glob("*.md"))
    ]
    problems: list[str] = []
    with zipfile.ZipFile(epub) as book:
        names = set(book.namelist())
        opf = book.read("content.opf").decode("utf-8")
        for page in pages:
            name = f"{page}.xhtml"
            if name not in names:
                problems.append(f"{name}: missing from the EPUB")
                continue
            tree = ElementTree.fromstring(book.read(name))  # raises if not well-formed
            images = [img.get("src", "") for img in tree.iter(f"{XHTML}img")]
            missing = [
                src
                for src in images
                if posixpath.normpath(posixpath.join(posixpath.dirname(name), src)) not in names
            ]
            equations = sum(1 for _ in tree.iter(f"{MATHML}math"))
            as_tex = [
                element.text
                for element in tree.iter(f"{XHTML}code")
                if "math-tex" in element.get("class", "")
            ]
            raised_primes = [
                element
                for element in tree.iter()
                if element.tag in (f"{MATHML}msup", f"{MATHML}msubsup")
                and (element[-1].text or "").strip() in PRIMES
            ]
            if raised_primes:
                problems.append(f"{name}: {len(raised_primes)} primes set as superscripts")
            html = (html_dir / f"{page}.html").read_text(encoding="utf-8")
            # Count in the page's text only, not in the HTML theme's navigation.
            if "<article" in html:
                html = html[html.index("<article") : html.rindex("</article>")]
            # A table of contents in a page (the front page's) shows headings' math as text in
            # the EPUB, as nav.xhtml does: count the equations outside it.
            html = re.sub(r'<div class="toctree-wrapper.*?</div>', "", html, flags=re.DOTALL)
            html_equations = len(re.findall(r'class="math notranslate nohighlight"', html))
            html_figures = sorted(
                Path(src).name
                for src in re.findall(r'<img [^>]*class="plot-directive"[^>]*>', html)
                for src in re.findall(r'src="([^"]*)"', src)
            )
            epub_figures = sorted(
                Path(img.get("src", "")).name
                for img in tree.iter(f"{XHTML}img")
                if "plot-directive" in img.get("class", "")
            )
            print(
                f"{name}: {equations} equations as MathML (HTML: {html_equations}), "
                f"{len(images)} images, figures {epub_figures}"
            )
            if missing:
                problems.append(f"{name}: images not in the EPUB: {missing}")
            if as_tex:
                problems.append(f"{name}: equations left as TeX: {as_tex[:3]}")
            if equations != html_equations:
                problems.append(
                    f"{name}: {equations} equations, the HTML page has {html_equations}"
                )
            if epub_figures != html_figures:
                problems.append(f"{name}: figures {epub_figures}, the HTML page has {html_figures}")
            # The exercises' grades (stars in their titles) are text, so an e-reader shows them.
            source = DOCS / f"{page}.md"
            stars = source.read_text(encoding="utf-8").count("★") if source.is_file() else 0
            if book.read(name).decode("utf-8").count("★") < stars:
                problems.append(f"{name}: the exercises' grades are missing")
            declared = re.search(rf'href="{re.escape(name)}"[^>]*properties="mathml"', opf)
            if equations and not declared:
                problems.append(f'{name}: content.opf does not declare properties="mathml"')
        problems += check_tables_of_contents(book, pages)
    for problem in problems:
        print("FAIL", problem)
    if problems:
        return 1
    print(f"{epub}: {len(pages)} pages checked, OK")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    epub = Path(args[0]) if args else DOCS / "_build" / "epub" / "bptt-book.epub"
    html_dir = Path(args[1]) if len(args) > 1 else DOCS / "_build" / "html"
    sys.exit(main(epub, html_dir))
