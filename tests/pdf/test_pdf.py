"""The PDF edition (``tox -e pdf``, after tests/pdf/build_pdf.py has written it).

Checks docs/_build/pdf/bptt-book.pdf with pypdf:

* it has a plausible number of pages for the chapters of the book's numbered toctree;
* each chapter's title is a bookmark of the PDF's outline, in the toctree's order, and begins a
  page;
* every figure the chapters draw with ``.. plot::`` is embedded, as vector graphics (a PDF form
  XObject), not as a bitmap;
* equations, theorem blocks and listings are typeset: no TeX source, and the theorems' titles
  and the listings' prompts are in the text.

Skips, saying why, when the PDF was not built (no TeX on this machine).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PDF = DOCS / "_build" / "pdf" / "bptt-book.pdf"
sys.path.insert(0, str(DOCS / "_ext"))

import notebooks  # noqa: E402  (docs/_ext/notebooks.py: the chapters of the toctree)

CHAPTERS = notebooks.numbered_chapters(DOCS)


def _title(source: Path) -> str:
    return next(
        line[2:].strip()
        for line in source.read_text(encoding="utf-8").splitlines()
        if line.startswith("# ")
    )


@pytest.fixture(scope="module")
def pdf():
    pypdf = pytest.importorskip("pypdf", reason="pypdf is not installed (tox -e pdf has it)")
    if not PDF.is_file():
        tools = [tool for tool in ("latexmk", "pdflatex") if shutil.which(tool) is None]
        why = f"{', '.join(tools)} not installed" if tools else "run tests/pdf/build_pdf.py"
        pytest.skip(f"no PDF at {PDF} ({why})")
    return pypdf.PdfReader(PDF)


@pytest.fixture(scope="module")
def text(pdf) -> list[str]:
    return [page.extract_text() or "" for page in pdf.pages]


def _outline(pdf, items=None) -> list[tuple[str, int]]:
    found = []
    for item in pdf.outline if items is None else items:
        if isinstance(item, list):
            found += _outline(pdf, item)
        else:
            found.append((item.title, pdf.get_destination_page_number(item)))
    return found


def test_page_count(pdf):
    pages = len(pdf.pages)
    print(f"{PDF}: {pages} pages, {len(CHAPTERS)} chapters")
    assert CHAPTERS
    assert 5 * len(CHAPTERS) <= pages <= 60 * len(CHAPTERS), pages


def test_chapters_are_bookmarked_in_order(pdf, text):
    outline = _outline(pdf)
    titles = [title for title, _ in outline]
    pages = []
    for chapter in CHAPTERS:
        title = _title(chapter.source)
        assert title in titles, f"chapter {chapter.number} {title!r} is not in the outline"
        page = outline[titles.index(title)][1]
        assert title.upper() in text[page].upper(), f"{title!r} is not on its page {page + 1}"
        pages.append(page)
    assert pages == sorted(pages), f"chapters out of order: {pages}"


def test_figures_are_embedded_as_vector_graphics(pdf):
    plots = sum(
        len(re.findall(r"^\s*\.\. plot::", c.source.read_text(encoding="utf-8"), re.MULTILINE))
        for c in CHAPTERS
    )
    forms, bitmaps = set(), 0
    for page in pdf.pages:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        for name in xobjects:
            xobject = xobjects[name].get_object()
            if xobject.get("/Subtype") == "/Form":
                forms.add(xobject.indirect_reference.idnum)
            elif xobject.get("/Subtype") == "/Image":
                bitmaps += 1
    print(f"{plots} figures drawn; {len(forms)} vector figures and {bitmaps} bitmaps in the PDF")
    assert plots > 0
    assert len(forms) >= plots, f"{plots} figures drawn, {len(forms)} embedded as vector graphics"


def test_equations_theorems_and_listings_are_typeset(text):
    body = "\n".join(text)
    # A listing may print TeX (chapter 3 prints an equation's source): leave out each line that
    # follows a prompt.
    lines = body.splitlines()
    before = ["", *lines[:-1]]
    prose = "\n".join(
        line for last, line in zip(before, lines, strict=True) if not last.startswith(">>>")
    )
    raw = re.findall(r"\\(?:frac|partial|begin|end|sigma|mathbf|operatorname)\b|\$\$", prose)
    assert not raw, f"TeX source in the PDF's text: {raw[:5]}"
    theorems = re.findall(r"Theorem \d+\.\d+", body)
    assert theorems, "no theorem block"
    assert body.count(">>>") > 100, "the listings' prompts are missing"
    print(f"{len(set(theorems))} theorems, {body.count('>>>')} prompts in listings")


def test_exercise_grades_and_folded_checks_are_printed(text):
    """The PDF has no buttons: each exercise prints its grade and kind in its title, and each
    check that the HTML folds away prints as a box with its title."""
    body = " ".join(" ".join(text).replace("\u2019", "'").split())
    sources = [chapter.source.read_text(encoding="utf-8") for chapter in CHAPTERS]
    kinds = {m for s in sources for m in re.findall(r"^:{3,}\{exercise\} ★+ · (.+)$", s, re.M)}
    checks = {m for s in sources
              for m in re.findall(r"^:{3,}\{admonition\} (Check: [^$\n]+)$", s, re.M)}
    assert kinds and checks
    # A title's inline code prints in a code font, without its backticks.
    checks = {c.replace("`", "") for c in checks}
    missing = [k for k in kinds if k not in body] + [c for c in checks if c not in body]
    assert not missing, f"not in the PDF's text: {missing[:5]}"
    print(f"{len(kinds)} kinds of exercise, {len(checks)} folded checks found in the PDF")
