"""The claims ledger: ``docs/claims.toml`` rendered into the page ``docs/claims.md``.

The ledger is data: one ``[[claim]]`` table per claim of the book, with the page and the label
or heading where it is made, the claim in a sentence, its kind, and the checks that back it
(``doctest: TEXT`` for an example on that page whose code or output contains TEXT,
``test: tests/FILE.py::NAME``, ``figure: LABEL``, ``proof: LABEL``, ``number: NAME`` for a
number substituted from :mod:`bptt_book.figures.quoted`, ``docstring: MODULE.NAME``,
``benchmark: benchmarks/FILE.py``).  ``tests/test_claims_ledger.py`` fails when a claim has
no check or a check no longer exists.

The directive ``{claims-ledger}`` writes one table per page, in the order of the pages, and
``{quoted-numbers}`` a table of every number the prose has substituted, with what it is.
The tables are written as MyST text and parsed, so the cross-references resolve like any other.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

#: The kinds of claim, as the table names them.
KINDS = {
    "theorem": "theorem",
    "number": "number",
    "correction": "corrects the source",
    "source": "the source's setting",
    "result": "measured result",
    "caption": "figure",
    "code": "code",
}

_PRF = ("thm-", "lem-", "cor-", "prop-", "def-")


def load(srcdir: str | Path) -> list[dict]:
    """The claims of ``docs/claims.toml``."""
    with open(Path(srcdir) / "claims.toml", "rb") as file:
        return tomllib.load(file)["claim"]


def heading_slug(heading: str) -> str:
    """The anchor MyST gives a heading (``myst_heading_anchors``): its text and inline code
    without its math, in lower case, spaces as hyphens, other punctuation dropped."""
    text = re.sub(r"\$[^$]*\$", "", heading.strip())
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", "", text).replace("`", "")
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", text.lower().replace(" ", "-"))


def _headings(srcdir: Path, page: str) -> dict[str, str]:
    """slug -> heading text, for the headings of ``page``."""
    path = srcdir / f"{page}.md"
    if not path.is_file():
        return {}
    titles = [line.lstrip("#").strip() for line in path.read_text(encoding="utf-8").splitlines()
              if re.match(r"^#{1,6} ", line)]
    return {heading_slug(title): title for title in titles}


def _where(page: str, at: str, headings: dict[str, str] | None = None) -> str:
    """MyST for a link to the label or heading ``at`` of ``page``."""
    if at.startswith(_PRF):
        return f"{{prf:ref}}`{at}`"
    if at.startswith("fig-"):
        return f"{{numref}}`{at}`"
    if at.startswith("eq-"):
        return f"{{eq}}`{at}`"
    if at.startswith(("ex-", "sol-")):
        return f"{{ref}}`{at}`"
    if at.startswith("ch-"):
        return f"{{numref}}`Chapter %s <{at}>`"
    if page.startswith("../"):  # a file outside the book: named, not linked
        return f"`{page.removeprefix('../')}`"
    title = (headings or {}).get(at, at.replace("-", " "))
    return f"[{title}]({page}.md#{at})" if at else f"{{doc}}`{page}`"


def _check(text: str) -> str:
    kind, _, value = (part.strip() for part in text.partition(":"))
    value = value.replace("|", "\\|")
    if kind == "proof":
        return f"proof of {{prf:ref}}`{value}`"
    if kind == "figure":
        return f"{{numref}}`{value.rpartition('#')[2]}`"
    if kind == "number":
        return f"computed number `{value}`"
    if kind == "doctest":
        return f"example printing `{value}`" if value else "example"
    return f"{kind} `{value}`"


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("|", "\\|")).strip()


class ClaimsLedger(SphinxDirective):
    """One table per page of the claims of ``claims.toml``."""

    has_content = False

    def run(self):
        claims = load(self.env.srcdir)
        self.env.note_dependency(str(Path(self.env.srcdir) / "claims.toml"))
        pages: dict[str, list[dict]] = {}
        for claim in claims:
            pages.setdefault(claim["page"], []).append(claim)
        result: list[nodes.Node] = []
        for page, entries in pages.items():
            headings = _headings(Path(self.env.srcdir), page)
            title = (f"{{doc}}`{page}`" if not page.startswith("../")
                     else f"`{page.removeprefix('../')}`")
            lines = [f"**{title}** ({len(entries)} claims)", "",
                     "| id | claim | kind | where | checked by |",
                     "|---|---|---|---|---|"]
            for c in entries:
                checks = "; ".join(_check(check) for check in c["checks"])
                lines.append(f"| {c['id']} | {_cell(c['claim'])} | {KINDS[c['kind']]} | "
                             f"{_where(page, c.get('at', ''), headings)} | {checks} |")
            lines.append("")
            container = nodes.container(classes=["claims-ledger"])
            self.state.nested_parse(StringList(lines), self.content_offset, container)
            result.extend(container.children)
        return result


class QuotedNumbers(SphinxDirective):
    """A table of every number :mod:`bptt_book.figures.quoted` substitutes into the prose."""

    has_content = False

    def run(self):
        from bptt_book.figures import quoted

        lines = ["| name | what it is | value |", "|---|---|---|"]
        for name, entry in quoted.NUMBERS.items():
            about = _cell(entry.about).replace("`", "")
            lines.append(f"| `{name}` | `{about}` | {{num}}`{name}` |")
        container = nodes.container(classes=["quoted-numbers"])
        self.state.nested_parse(StringList(lines), self.content_offset, container)
        return list(container.children)


def setup(app):
    app.add_directive("claims-ledger", ClaimsLedger)
    app.add_directive("quoted-numbers", QuotedNumbers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
