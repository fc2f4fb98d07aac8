"""Check the EPUB edition against the HTML edition (run by ``tox -e docs`` after both builds).

    python tests/browser/check_epub.py [EPUB] [HTML_DIR]

Defaults: docs/_build/epub/bptt-book.epub and docs/_build/html. Checks that the EPUB

* holds a well-formed XHTML page for the front page, the preface and every chapter;
* holds every image its pages show, and the same figures as the HTML pages;
* writes every equation of the HTML page as MathML (same count, none left as TeX), and declares
  ``properties="mathml"`` for those pages in content.opf.

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


def main(epub: Path, html_dir: Path) -> int:
    pages = ["index", "preface"] + [
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
            html = (html_dir / f"{page}.html").read_text(encoding="utf-8")
            # Count in the page's text only, not in the HTML theme's navigation.
            if "<article" in html:
                html = html[html.index("<article") : html.rindex("</article>")]
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
            declared = re.search(rf'href="{re.escape(name)}"[^>]*properties="mathml"', opf)
            if equations and not declared:
                problems.append(f'{name}: content.opf does not declare properties="mathml"')
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
