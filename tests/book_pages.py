"""The book's MyST pages, read as the prose-number and claims-ledger tests need them.

A page is split into its prose (text a reader reads: paragraphs, list items, the bodies of
exercises, solutions, theorems and glossary entries, and the captions and alt texts of the
figures) and the rest (examples, code, equations, directive options).  The reading is written
here rather than taken from a library because what it needs is narrow and MyST-specific: which
fenced blocks hold prose, and where a ``{doctest}`` example's expected output is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: Directives whose body is prose.
PROSE_DIRECTIVES = {
    "exercise", "solution", "prf:theorem", "prf:proof", "prf:lemma", "prf:corollary",
    "prf:definition", "glossary", "note", "tip", "warning", "important", "admonition",
    "dropdown", "figure", "margin", "sidebar",
}
_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,}|~{3,})\s*(?:\{(?P<directive>[\w:-]+)\})?(?P<rest>.*)$")
_OPTION = re.compile(r"^\s*:[\w-]+:")
_ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<content>[^`]*)`")
_RST_ROLE = re.compile(r":(?P<role>[\w:-]+):`(?P<content>[^`]*)`")
_LABEL = re.compile(r"^\((?P<label>[\w:.-]+)\)=\s*$")
_RST_LABEL = re.compile(r"^\s*\.\. _(?P<label>[\w:.-]+):\s*$")
_OPTION_LABEL = re.compile(r"^\s*:(?:label|name):\s*(?P<label>[\w:.-]+)\s*$")


def pages() -> list[Path]:
    """Every MyST page of the book (not the build, the vendored files or the extensions)."""
    skip = {"_build", "_vendor", "_ext", "_static"}
    return sorted(p for p in DOCS.rglob("*.md") if not skip & set(p.relative_to(DOCS).parts))


@dataclass
class Page:
    """One page: its prose lines, its doctest examples and the labels and headings it has."""

    path: Path
    prose: list[tuple[int, str]] = field(default_factory=list)  # (line number, text)
    doctests: list[tuple[int, list[str]]] = field(default_factory=list)  # (first line, lines)
    labels: set[str] = field(default_factory=set)
    headings: list[str] = field(default_factory=list)
    roles: list[tuple[int, str, str]] = field(default_factory=list)  # (line, role, content)
    proofs_after: set[str] = field(default_factory=set)  # labels of statements with a proof

    @property
    def name(self) -> str:
        if not self.path.is_relative_to(DOCS):
            return self.path.stem
        return self.path.relative_to(DOCS).with_suffix("").as_posix()

    def doctest_text(self) -> str:
        return "\n".join("\n".join(lines) for _, lines in self.doctests)

    def doctest_outputs(self) -> list[str]:
        """The expected-output lines of every example (the lines a doctest compares)."""
        out = []
        for _, lines in self.doctests:
            for line in lines:
                stripped = line.strip()
                if stripped and not stripped.startswith((">>>", "...")):
                    out.append(stripped)
        return out


def slug(heading: str) -> str:
    """The anchor MyST gives a heading (``myst_heading_anchors``): the heading's text and
    inline code without its math (the spaces around the math stay), in lower case, spaces as
    hyphens, other punctuation dropped: "Choosing the step $h$" is ``choosing-the-step-``."""
    text = re.sub(r"\$[^$]*\$", "", heading.strip())
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", "", text)
    text = text.replace("`", "")
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", text.lower().replace(" ", "-"))


@cache
def read(path: Path) -> Page:
    """Split ``path`` into prose and the rest (see the module's docstring)."""
    page = Page(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    stack: list[tuple[str, str]] = []  # open fences: (fence, directive or "code")
    in_math = False
    inline_math = False
    doctest: list[str] | None = None
    doctest_start = 0
    last_statement: str | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        kind = stack[-1][1] if stack else "prose"
        match = _FENCE.match(stripped)
        if match and stack and stripped == stack[-1][0]:  # closing fence
            closed = stack.pop()[1]
            if closed == "doctest" and doctest is not None:
                page.doctests.append((doctest_start, doctest))
                doctest = None
            continue
        if match and (kind == "prose" or kind in PROSE_DIRECTIVES) and (
                match["directive"] or match["rest"].strip() or match["fence"][0] != ":"):
            directive = match["directive"] or "code"
            stack.append((match["fence"], directive))
            if directive == "doctest":
                doctest, doctest_start = [], number
            if directive.startswith("prf:") and directive != "prf:proof":
                last_statement = None
            if directive == "prf:proof" and last_statement:
                page.proofs_after.add(last_statement)
            continue
        for pattern in (_LABEL, _RST_LABEL, _OPTION_LABEL):
            found = pattern.match(line)
            if found:
                page.labels.add(found["label"])
                if pattern is _OPTION_LABEL and kind.startswith("prf:"):
                    last_statement = found["label"]
        if kind == "doctest":
            assert doctest is not None
            doctest.append(line)
            continue
        if kind == "eval-rst":
            if re.match(r"^\s*:(caption|alt):", line):
                page.prose.append((number, re.sub(r"^\s*:(caption|alt):", "", line)))
            elif (page.prose and page.prose[-1][0] == number - 1 and line.startswith("      ")
                  and not _OPTION.match(line)):
                page.prose.append((number, line))
            continue
        if kind not in PROSE_DIRECTIVES and kind != "prose":
            continue
        if stripped.startswith("$$"):
            in_math = not in_math if stripped.count("$$") == 1 else in_math
            continue
        if in_math or _OPTION.match(line) or _LABEL.match(line):
            continue
        if stripped.startswith("#") and kind == "prose":
            page.headings.append(slug(stripped.lstrip("#").strip()))
        if not stripped:
            inline_math = False
        if inline_math:  # an inline equation that began on an earlier line
            line = "$" + line
        dollars = len(re.findall(r"(?<![\\$])\$(?!\$)", line))
        inline_math = dollars % 2 == 1
        if inline_math:
            line += "$"
        page.prose.append((number, line))
        for role in _ROLE.finditer(line):
            page.roles.append((number, role["role"], role["content"]))
    for number, line in page.prose:
        for role in _RST_ROLE.finditer(line):
            page.roles.append((number, role["role"], role["content"]))
    return page


def without_markup(line: str) -> str:
    """A prose line without what is not prose: inline math, roles (their targets or
    substituted values), inline code, link targets and HTML comments."""
    line = re.sub(r"<!--.*?-->", " ", line)
    line = re.sub(r"\$\$.*?\$\$", " ", line)
    line = re.sub(r"\$[^$]*\$", " ", line)
    line = _ROLE.sub(" ", line)
    line = _RST_ROLE.sub(" ", line)
    line = re.sub(r"``[^`]*``", " ", line)
    line = re.sub(r"`[^`]*`", " ", line)
    line = re.sub(r"\]\([^)]*\)", "]", line)
    return line
