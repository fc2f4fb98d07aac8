"""Every chapter as a Jupyter notebook, run top to bottom in a fresh kernel (``tox -e notebooks``).

The notebooks are made the way ``tox -e docs`` makes them (docs/_ext/notebooks.py), one per entry
of the book's numbered toctree, into a temporary folder, and each is executed there with
nbclient in a new ``python3`` kernel (ipykernel). Checked for each chapter:

* the notebook is valid nbformat 4, and holds every ``>>>`` example of the chapter: as many
  statements in its code cells as the chapter's examples have;
* it runs without an error, except in the cells tagged ``raises-exception``, and each of those
  raises the exception that the book's example shows.
"""

from __future__ import annotations

import ast
import doctest
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import notebooks  # noqa: E402  (docs/_ext/notebooks.py)

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

CHAPTERS = notebooks.numbered_chapters(DOCS)
LABELS = notebooks.chapter_labels(CHAPTERS)
TIMEOUT = 900  # seconds for one cell


def test_every_chapter_of_the_toctree_has_a_notebook(tmp_path):
    assert CHAPTERS, "the root document has no numbered toctree"
    written = notebooks.write_notebooks(DOCS, tmp_path)
    assert [path.name for path in written] == [c.notebook_name for c in CHAPTERS]
    assert all(re.fullmatch(r"\d\d-[a-z0-9-]+\.ipynb", path.name) for path in written)
    print(f"{len(written)} notebooks: {', '.join(path.name for path in written)}")


def test_student_notebooks_have_the_exercises_but_no_solutions(tmp_path):
    for chapter in CHAPTERS:
        text = chapter.source.read_text(encoding="utf-8")
        full = notebooks.chapter_notebook(chapter, LABELS)
        student = notebooks.chapter_notebook(chapter, LABELS, solutions=False)
        markdown = "\n".join(c.source for c in student.cells if c.cell_type == "markdown")
        exercises = len(re.findall(r"^:+\{exercise\}", text, re.MULTILINE))
        assert markdown.count("**Exercise.**") == exercises
        assert "**Solution.**" not in markdown
        if re.search(r"^:+\{solution\}", text, re.MULTILINE):
            assert len(student.cells) < len(full.cells)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.notebook_name for c in CHAPTERS])
def test_notebook_runs_top_to_bottom(chapter, tmp_path):
    notebook = notebooks.chapter_notebook(chapter, LABELS)
    nbformat.validate(notebook)
    path = tmp_path / chapter.notebook_name
    nbformat.write(notebook, path)
    notebook = nbformat.read(path, as_version=4)

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    statements = sum(len(ast.parse(cell.source).body) for cell in code)
    examples = doctest.DocTestParser().get_examples(chapter.source.read_text(encoding="utf-8"))
    in_book = sum(len(ast.parse(example.source).body) for example in examples)
    assert statements == in_book, f"{statements} statements in the notebook, {in_book} in the book"

    client = nbclient.NotebookClient(
        notebook,
        timeout=TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError on an error in an untagged cell

    for cell in code:
        errors = [out for out in cell.outputs if out.output_type == "error"]
        expected = cell.metadata.get("bptt_book", {}).get("raises")
        if "raises-exception" in cell.metadata.get("tags", []):
            assert [e.ename for e in errors] == [expected], (
                f"{chapter.notebook_name}: the cell\n{cell.source}\nshould raise {expected}, "
                f"it raised {[e.ename for e in errors]}"
            )
        else:
            assert not errors, f"{chapter.notebook_name}: {cell.source}: {errors}"
    print(f"{chapter.notebook_name}: {len(notebook.cells)} cells, {len(code)} code cells ran")
