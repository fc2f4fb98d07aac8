"""Every number in the book's prose is computed: substituted when the book is built, or shown
by an example on the same page.

The prose is what a reader reads (``tests/book_pages.py``): not the examples, code, equations,
labels, cross-references or citations.  A number in it passes when

1. it is substituted, ``{num}`name``` (its value comes from :mod:`bptt_book.figures.quoted`);
2. an example on the same page prints it: some expected output of a ``{doctest}`` block,
   rounded to the digits the prose gives, equals it (only for numbers of two or more digits,
   or with a decimal point: a lone digit would match some output by chance);
3. it is 0 or 1, the exact constants of the mathematics (the identity, a bound of 1, a norm
   of 1), never a measurement;
4. it names rather than counts: an item number of a numbered list (or a reference to one,
   "(2)"), "Algorithm 1" (the paper's
   name for it), "experiment 3" (chapter 8's sections are named by number), a year in a
   citation "(1994)", a software version "SymPy 1.14" (the pinned release the text is
   about), or the name "2-norm";
5. it is one of the few phrases of :data:`ALLOWED`, each with its reason.
"""

from __future__ import annotations

import re

import pytest
from book_pages import DOCS, pages, read, without_markup

#: (page, phrase): numbers quoted from a cited source's text, which no computation here gives.
ALLOWED = {
    ("chapters/08-long-range-dependencies", "fewer than 1% errors on 10,000 sequences"):
        "Pascanu et al.'s success criterion, quoted from their paper (section 4.1.1)",
}

_NUMBER = re.compile(r"(?<![\w.\-/^])(\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?)(?![\w])")
_NAMES = [
    re.compile(r"^\s*\d+\.\s"),  # a numbered list's item
    re.compile(r"\(\d\)"),  # a reference to such an item: "(2) follows from ..."
    re.compile(r"\b(?:Algorithm|[Ee]xperiments?)\s+\d+(?:\s*(?:,|and)\s*\d+)*"),
    re.compile(r"\(\d{4}[a-z]?\)|\b(?:19|20)\d{2}\)"),  # a year in a citation
    re.compile(r"\bSymPy \d+\.\d+"),
    re.compile(r"\b2-norm"),
]


def _value(token: str) -> float:
    return float(token.replace(",", ""))


def _decimals(token: str) -> int:
    mantissa = token.replace(",", "").split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def _printed(page) -> list[float]:
    numbers = []
    for line in page.doctest_outputs():
        for token in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?", line):
            numbers.append(_value(token))
    return numbers


def _shown(token: str, printed: list[float]) -> bool:
    if "." not in token and len(token.replace(",", "")) < 2:
        return False
    p, digits = _value(token), _decimals(token)
    if "e" in token:
        return any(abs(q - p) <= 0.5 * 10 ** (-digits) * abs(p) for q in printed)
    return any(round(abs(q), digits) == p for q in printed)


def _typed(line: str, page, printed: list[float]) -> list[str]:
    """The numbers of one line of prose that none of the rules allow."""
    text = without_markup(line)
    for name, phrase in ALLOWED:
        if page is not None and name == page.name:
            text = text.replace(phrase, " ")
    for name in _NAMES:
        text = name.sub(" ", text)
    return [token for token in _NUMBER.findall(text)
            if token not in ("0", "1") and not _shown(token, printed)]


def typed_numbers(page) -> list[tuple[int, str, str]]:
    """(line, number, line text) for every number of the prose that none of the rules allow."""
    printed = _printed(page)
    return [(number, token, line.strip()) for number, line in page.prose
            for token in _typed(line, page, printed)]


@pytest.mark.parametrize("path", pages(), ids=lambda p: p.stem)
def test_no_number_is_typed_into_the_prose(path):
    page = read(path)
    typed = typed_numbers(page)
    assert not typed, "numbers typed into the prose of {}:\n{}".format(
        page.name, "\n".join(f"  line {n}: {t!r} in: {text}" for n, t, text in typed))


@pytest.mark.parametrize("path", pages(), ids=lambda p: p.stem)
def test_every_substituted_number_exists(path):
    from bptt_book.figures import quoted

    page = read(path)
    names = [content.strip() for _, role, content in page.roles if role == "num"]
    unknown = sorted(set(names) - set(quoted.NUMBERS))
    assert not unknown, f"{page.name} quotes numbers that bptt_book.figures.quoted lacks: {unknown}"


def test_the_allowed_phrases_are_still_there():
    """An allowance whose phrase is gone is removed, so the list stays as short as it is."""
    for name, phrase in ALLOWED:
        page = read(DOCS / f"{name}.md")
        assert any(phrase in without_markup(line) for _, line in page.prose), (name, phrase)


def test_the_scan_finds_a_typed_number(tmp_path):
    """The scan itself: a number typed into prose, a caption or a solution is found; the same
    number in an example, an equation, a role, a citation year or a list marker is not."""
    page = tmp_path / "page.md"
    page.write_text("\n".join([
        "(ch-x)=", "# A page", "",
        "The loss is 224 here, and $E = 224$ in math, {num}`tutorial.D` substituted.",
        "1. an item", "Shown: 0.59 (printed below). Cited (1994).", "",
        "```{doctest}", ">>> print(0.590)", "0.59", "", "```", "",
        ":::::{solution} ex-x", "A solution says 57.", ":::::", "",
        "```{eval-rst}", ".. plot::", "   :caption: A caption with 80 words.", "",
        "   x = 12345", "```", "",
    ]), encoding="utf-8")
    found = {token for _, token, _ in typed_numbers(read(page))}
    assert found == {"224", "57", "80"}


def test_every_quoted_number_computes_and_is_written_as_its_style():
    """Each number of bptt_book.figures.quoted has a value and a written form (the slow
    ones come from results cached with the figures' data)."""
    from bptt_book.figures import quoted

    for name in quoted.NUMBERS:
        written = quoted.text(name)
        assert written and "nan" not in written.lower(), (name, written)


def test_no_number_is_typed_into_the_claims_ledger():
    """The claims of docs/claims.toml are prose of the book too (its page renders them)."""
    import tomllib

    with open(DOCS / "claims.toml", "rb") as file:
        claims = tomllib.load(file)["claim"]
    typed = []
    for claim in claims:
        page = None if claim["page"].startswith("../") else read(DOCS / f"{claim['page']}.md")
        printed = _printed(page) if page is not None else []
        typed += [f"{claim['id']}: {token!r} in: {claim['claim']}"
                  for token in _typed(claim["claim"], page, printed)]
    assert not typed, "numbers typed into docs/claims.toml:\n" + "\n".join(typed)
