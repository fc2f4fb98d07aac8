"""The exercises of every chapter: each carries a grade from one to three stars in its title,
the grades never go down within a chapter (ordered by difficulty), and the grade survives into
the chapter's notebook, the student edition's included (docs/_ext/notebooks.py)."""

import re
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import notebooks  # noqa: E402  (docs/_ext/notebooks.py: the chapters of the toctree)

CHAPTERS = notebooks.numbered_chapters(DOCS)
EXERCISE = re.compile(r"^:{3,}\{exercise\}(?P<title>.*)$", re.MULTILINE)
GRADE = re.compile(r"^ (?P<stars>★{1,3}) · (?P<kind>\S.*)$")
#: The kinds of exercise that the book must have somewhere (issue 17).
KINDS = ("derive on paper", "prove", "find the bug", "predict, then run")


def _exercises(chapter):
    return [m["title"] for m in EXERCISE.finditer(chapter.source.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.docname for c in CHAPTERS])
def test_every_exercise_is_graded_and_the_grades_rise(chapter):
    titles = _exercises(chapter)
    assert titles, f"{chapter.docname} has no exercises"
    grades = []
    for title in titles:
        match = GRADE.match(title)
        assert match, f"{chapter.docname}: exercise title {title!r} has no grade"
        grades.append(len(match["stars"]))
    assert grades == sorted(grades), f"{chapter.docname}: grades {grades} are not in order"


def test_the_book_has_every_kind_of_exercise_more_than_once():
    kinds = [GRADE.match(t)["kind"] for c in CHAPTERS for t in _exercises(c)]
    for kind in KINDS:
        assert sum(k.startswith(kind) for k in kinds) >= 2, (kind, kinds)


@pytest.mark.parametrize("solutions", [True, False], ids=["book", "student"])
def test_notebooks_keep_the_grades_and_the_titles_of_folded_checks(solutions):
    for chapter in CHAPTERS:
        cells = notebooks.chapter_cells(chapter, {}, solutions=solutions)
        markdown = "\n".join(source for kind, source, _, _ in cells if kind == "markdown")
        for title in _exercises(chapter):
            assert f"**Exercise.** {title.strip()}" in markdown, (chapter.docname, title)
        text = chapter.source.read_text(encoding="utf-8")
        for check in re.findall(r"^:{3,}\{admonition\} (.*)$", text, re.MULTILINE):
            assert f"**{check}**" in markdown, (chapter.docname, check)
