"""The claims ledger (docs/claims.toml, rendered in docs/claims.md): every claim has a check,
and every check still exists.

A check is one of

- ``doctest: TEXT``: an example on the claim's page whose code or expected output contains
  TEXT (the example itself runs under pytest and Sphinx's doctest builder);
- ``test: tests/FILE.py::NAME``: a test function (or ``Class::method``) that exists;
- ``figure: LABEL``: a figure of the page, drawn by a function of ``bptt_book.figures`` that a
  test calls;
- ``proof: LABEL``: a theorem, lemma, corollary or proposition of the page followed by its
  proof;
- ``number: NAME``: a number of :mod:`bptt_book.figures.quoted` that the page substitutes;
- ``docstring: MODULE.NAME``: an object whose docstring has an example (run by
  ``--doctest-modules``);
- ``benchmark: benchmarks/FILE.py``: a benchmark script (speed is measured there, never by a
  test).
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
import tomllib
from functools import cache

import pytest
from book_pages import DOCS, ROOT, pages, read

KINDS = {"theorem", "number", "correction", "source", "result", "caption", "code"}
CHECKS = {"doctest", "test", "figure", "proof", "number", "docstring", "benchmark"}


@cache
def ledger() -> list[dict]:
    with open(DOCS / "claims.toml", "rb") as file:
        return tomllib.load(file)["claim"]


def _page(name: str):
    return read(DOCS / f"{name}.md")


@cache
def _test_names(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{f.name}" for f in node.body
                         if isinstance(f, ast.FunctionDef))
    return names


@cache
def _tests_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py"))


def _figure_function(page, label: str) -> str | None:
    """The function of bptt_book.figures (or experiments.plot) that draws figure ``label``."""
    lines = page.path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.strip() == f".. _{label}:":
            for body in lines[i + 1:i + 40]:
                found = re.search(r"figures\.(\w+)\(|experiments\.run\(\"(\w+)\"", body)
                if found:
                    return found[1] or found[2]
    return None


def check_problem(claim: dict, check: str) -> str | None:
    """None when ``check`` of ``claim`` exists, else what is wrong."""
    kind, _, value = (part.strip() for part in check.partition(":"))
    page = None if claim["page"].startswith("../") else _page(claim["page"])
    if kind not in CHECKS:
        return f"unknown kind of check {kind!r}"
    if kind == "doctest":
        if page is None or not page.doctests:
            return "no example on that page"
        if value and value not in page.doctest_text():
            return f"no example on the page contains {value!r}"
    elif kind == "test":
        path, _, name = value.partition("::")
        if not (ROOT / path).is_file():
            return f"no test file {path}"
        if name.split("[")[0] not in _test_names(path):
            return f"no test {name} in {path}"
    elif kind == "figure":
        if "#" in value:  # a figure of another page
            other, _, value = value.partition("#")
            page = _page(other) if (DOCS / f"{other}.md").is_file() else None
        if page is None or value not in page.labels:
            return f"no figure {value} on the page"
        function = _figure_function(page, value)
        if function is None:
            return f"figure {value} is not drawn by a function of the package"
        if (f"figures.{function}" not in _tests_text()
                and f'"{function}"' not in _tests_text()):
            return f"no test draws figure {value} ({function})"
    elif kind == "proof":
        if page is None or value not in page.proofs_after:
            return f"no statement {value} followed by its proof on the page"
    elif kind == "number":
        from bptt_book.figures import quoted

        if value not in quoted.NUMBERS:
            return f"no quoted number {value}"
        if page is not None and not any(r == "num" and c.strip() == value
                                        for _, r, c in page.roles):
            return f"the page does not quote {value}"
    elif kind == "docstring":
        module, _, name = value.rpartition(".")
        try:
            obj = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            return f"no object {value}"
        if ">>>" not in (obj.__doc__ or ""):
            return f"{value} has no example in its docstring"
    elif kind == "benchmark":
        if not (ROOT / value).is_file():
            return f"no benchmark {value}"
    return None


def _where_problem(claim: dict) -> str | None:
    name, at = claim["page"], claim.get("at", "")
    if name.startswith("../"):
        return None if (ROOT / name.removeprefix("../")).exists() else f"no file {name}"
    if not (DOCS / f"{name}.md").is_file():
        return f"no page {name}"
    page = _page(name)
    if at and at not in page.labels and at not in page.headings:
        return f"no label or heading {at!r} on {name}"
    return None


def test_the_ledger_is_well_formed():
    claims = ledger()
    ids = [c["id"] for c in claims]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for c in claims:
        assert set(c) <= {"id", "page", "at", "claim", "kind", "checks", "audit"}, c["id"]
        assert c["claim"].strip(), c["id"]
        assert c["kind"] in KINDS, (c["id"], c["kind"])


def test_every_claim_has_a_check_and_every_check_exists():
    problems = []
    for c in ledger():
        if not c.get("checks"):
            problems.append(f"{c['id']}: no check")
        where = _where_problem(c)
        if where:
            problems.append(f"{c['id']}: {where}")
        for check in c.get("checks", []):
            problem = check_problem(c, check)
            if problem:
                problems.append(f"{c['id']}: {check!r}: {problem}")
    assert not problems, "\n".join(problems)


def test_every_theorem_and_figure_of_the_chapters_is_in_the_ledger():
    """The statements with a proof and the figures of every page are claims; each appears in
    the ledger (as the place of a claim or as one of its checks)."""
    named = {c.get("at", "") for c in ledger()} | {
        check.partition(":")[2].strip().rpartition("#")[2] for c in ledger()
        for check in c["checks"]}
    missing = []
    for path in pages():
        page = read(path)
        for label in page.labels:
            is_statement = label.startswith(("thm-", "lem-", "cor-", "prop-"))
            is_figure = label.startswith("fig-") and _figure_function(page, label)
            if (is_statement or is_figure) and label not in named:
                missing.append(f"{page.name}: {label}")
    assert not missing, "not in docs/claims.toml:\n" + "\n".join(sorted(missing))


def test_the_ledger_page_renders_the_ledger():
    text = (DOCS / "claims.md").read_text(encoding="utf-8")
    assert "```{claims-ledger}" in text and "```{quoted-numbers}" in text
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    reference = index[index.index(":caption: Reference"):]
    assert "\nclaims\n" in reference.split("```")[0]


def test_a_missing_check_is_reported(tmp_path, monkeypatch):
    """The checks themselves: a test, a label, a doctest text and a number that do not exist
    are each reported."""
    claim = {"id": "x", "page": "chapters/05-vanishing-gradients", "claim": "c",
             "kind": "theorem"}
    for found, missing in [
        ("test: tests/test_dynamics.py::test_gelfand_formula",
         "test: tests/test_dynamics.py::test_gone"),
        ("proof: thm-gelfand", "proof: thm-gone"),
        ("doctest: sigma_max 1.139  rho 0.590", "doctest: sigma_max 7.0"),
        ("number: sigmoid.threshold", "number: no.such.number"),
        ("figure: fig-powers", "figure: fig-gone"),
        ("docstring: bptt_book.dynamics.latch", "docstring: bptt_book.dynamics.gone"),
    ]:
        assert check_problem(claim, found) is None, found
        assert check_problem(claim, missing), missing
    assert check_problem(claim, "benchmark: benchmarks/bench_column_major.py") is None
    assert check_problem(claim, "wish: it is true")
    assert _where_problem({**claim, "at": "no-such-heading"})
    assert _where_problem({**claim, "at": "thm-gelfand"}) is None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))


def test_no_ledger_text_holds_a_control_character():
    """TOML's basic strings read \\t, \\b, \\f, \\r, \\n as escapes: a claim written with
    "\\times" or "\\frac" (one backslash) loses its TeX to a tab or a form feed, silently."""
    found = [(claim["id"], key) for claim in ledger() for key, value in claim.items()
             for text in (value if isinstance(value, list) else [value])
             if isinstance(text, str) and re.search(r"[\x00-\x1f]", text)]
    assert not found, f"control characters (a single backslash before TeX?) in {found}"
