"""A Jupyter notebook per chapter, made from the chapter's MyST source.

Every ``{doctest}`` fence of a chapter becomes a code cell (its ``>>>`` and ``...`` lines, without
prompts or expected output; an example whose expected output is a traceback gets a cell of its
own, tagged ``raises-exception``), and the prose between them becomes markdown cells. The
chapters are the entries of the root document's numbered toctree, in its order, so the notebooks
follow the book when chapters are added or renumbered: chapter ``n`` of the toctree is written as
``NN-name.ipynb`` (``NN`` its number, ``name`` the source file's name without a leading number).

No library converts doctest blocks of MyST pages into notebook cells (jupytext reads MyST
``{code-cell}`` blocks, not doctests), so the conversion is written here; ``nbformat`` builds and
validates the notebooks. MyST markup that Jupyter does not know is turned into plain Markdown:
``{math}``, ``{derived}`` and labelled ``$$`` blocks into ``$$`` math, directives (theorems,
exercises, solutions) into a bold title and their content, roles into their text, figures drawn
by ``.. plot::`` into their caption, included files into their text.

As a Sphinx extension, an HTML build (not the EPUB) writes the notebooks to
``notebooks_outdir`` (relative to the configuration directory, which is the source directory;
``_build/notebooks``), and each chapter page links its notebook for download.
tests/test_notebooks.py runs every notebook in a fresh kernel.
"""

from __future__ import annotations

import doctest
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from docutils import nodes
from sphinx import addnodes

# An opening fence: backticks or colons, then ``{name}`` and an argument (MyST directives), or a
# language (plain code blocks).
_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})(?:\{(?P<directive>[\w:-]+)\})?\s*(?P<rest>.*)$")
_OPTION = re.compile(r"^:[\w-]+:")
_ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<content>[^`]*)`")
_TARGET = re.compile(r"^\([\w:.-]+\)=\s*$")
_LABELLED_MATH = re.compile(r"^\$\$\s*\([\w:.-]+\)\s*$")
_CODE_ROLES = ("func", "class", "mod", "meth", "attr", "data", "exc", "obj")
_TITLES = {"solution": "Solution", "exercise": "Exercise", "prf:proof": "Proof"}

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


@dataclass(frozen=True)
class Chapter:
    number: int
    docname: str
    source: Path

    @property
    def notebook_name(self) -> str:
        stem = re.sub(r"^\d+[-_]", "", PurePosixPath(self.docname).name)
        return f"{self.number:02d}-{stem}.ipynb"


def numbered_chapters(srcdir: Path, root_doc: str = "index") -> list[Chapter]:
    """The entries of the root document's ``:numbered:`` toctree(s), numbered as Sphinx does."""
    lines = (Path(srcdir) / f"{root_doc}.md").read_text(encoding="utf-8").splitlines()
    chapters: list[Chapter] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        index += 1
        if not (match and match["directive"] == "toctree"):
            continue
        body = []
        while index < len(lines) and lines[index].strip() != match["fence"]:
            body.append(lines[index].strip())
            index += 1
        index += 1
        if not any(line.startswith(":numbered:") for line in body):
            continue
        for entry in body:
            if entry and not _OPTION.match(entry):
                target = re.sub(r"^.*<(.*)>$", r"\1", entry)  # "Title <doc>" or "doc"
                source = Path(srcdir) / f"{target}.md"
                chapters.append(Chapter(len(chapters) + 1, target, source))
    return chapters


# -- Markdown ---------------------------------------------------------------------------------


_KINDS = {"fig": "the figure", "eq": "the equation", "thm": "the theorem", "ex": "the exercise"}


def _reference(label: str, chapters: dict[str, int]) -> str:
    """Text for a reference to ``label``: "Chapter 2" for a chapter, else what it names."""
    if label in chapters:
        return f"Chapter {chapters[label]}"
    kind, _, name = label.partition("-")
    return f"{_KINDS.get(kind, kind)} “{name or label}”"


def _role(match: re.Match, chapters: dict[str, int], role: str | None = None) -> str:
    if role is not None:  # a reST role of a caption: its content is the first group
        content = match[1]
    else:
        role, content = match["role"], match["content"]
    explicit = re.match(r"^(?P<text>.*?)\s*<(?P<target>[^>]*)>$", content, flags=re.DOTALL)
    if role == "math":
        return f"${content}$"
    if role == "num":  # a computed number (docs/_ext/quoted_numbers.py): its value
        from bptt_book.figures import quoted

        tex = quoted.latex(content.strip())
        return f"${tex}$" if tex is not None else quoted.text(content.strip())
    if role.split(":")[-1] in _CODE_ROLES:
        text = explicit["text"] if explicit else content.lstrip("~")
        return f"`{text}`"
    if explicit and "%s" in explicit["text"] and explicit["target"] in chapters:
        return explicit["text"].replace("%s", str(chapters[explicit["target"]]))
    if explicit:
        return explicit["text"].replace("%s", "").strip()
    if role.startswith("cite"):
        return f"[{content}]"
    if role in ("numref", "eq", "ref", "prf:ref"):
        return _reference(content, chapters)
    return content


def _prose(line: str, chapters: dict[str, int]) -> str:
    return _ROLE.sub(lambda match: _role(match, chapters), line)


def chapter_labels(chapters: list[Chapter]) -> dict[str, int]:
    """The label at the top of each chapter (``(ch-rnn)=``) and the chapter's number."""
    labels = {}
    for chapter in chapters:
        for line in chapter.source.read_text(encoding="utf-8").splitlines():
            if _TARGET.match(line):
                labels[line.strip()[1:-2]] = chapter.number
                break
            if line.strip():
                break
    return labels


def _caption(rst: list[str]) -> str:
    """The ``:caption:`` of a ``.. plot::`` block, as one line of text."""
    caption: list[str] = []
    for line in rst:
        stripped = line.strip()
        if stripped.startswith(":caption:"):
            caption.append(stripped.removeprefix(":caption:").strip())
        elif caption and line.startswith("      ") and not _OPTION.match(stripped):
            caption.append(stripped)
        elif caption:
            break
    text = " ".join(caption)
    text = re.sub(r":math:`([^`]*)`", r"$\1$", text)
    text = re.sub(r":num:`([^`]*)`", lambda m: _role(m, {}, "num"), text)
    return re.sub(r"``([^`]*)``", r"`\1`", text)


def _equation(name: str) -> str:
    from bptt_book.derivation.equations import equation

    return equation(name)


# -- Cells ------------------------------------------------------------------------------------


def _code_cells(block: str) -> list[tuple[str, list[str], str | None]]:
    """Code cells (source, tags, exception) for the examples of one ``{doctest}`` fence; the
    exception is the name of the one a ``raises-exception`` cell is expected to raise.

    A cell ends with each example that prints something, so that a notebook shows each result
    under the line that made it, as the page does."""
    cells: list[tuple[str, list[str], str | None]] = []
    run: list[str] = []
    for example in doctest.DocTestParser().get_examples(block):
        if example.exc_msg is not None:
            if run:
                cells.append(("".join(run), []))
                run = []
            cells.append((example.source, ["raises-exception"], _exception(example.exc_msg)))
            continue
        run.append(example.source)
        if example.want:
            cells.append(("".join(run), [], None))
            run = []
    if run:
        cells.append(("".join(run), [], None))
    return [(source.rstrip("\n"), tags, raises) for source, tags, raises in cells]


def _exception(message: str) -> str:
    """The exception's name from a doctest's expected ``Name: message`` line."""
    return message.split(":", 1)[0].strip().rsplit(".", 1)[-1]


def chapter_cells(
    chapter: Chapter, chapters: dict[str, int] | None = None, solutions: bool = True
) -> list[tuple[str, str, list[str], str | None]]:
    """The chapter as a list of (kind, source, tags, exception), kind "markdown" or "code";
    ``chapters`` maps the chapters' labels to their numbers (for references to them). Without
    ``solutions`` the exercises' solutions are left out (the student edition)."""
    chapters = chapters or {}
    lines = chapter.source.read_text(encoding="utf-8").splitlines()
    cells: list[tuple[str, str, list[str], str | None]] = []
    markdown: list[str] = []
    open_fences: list[str] = []  # closing fences of the directives we are inside

    def flush() -> None:
        # Roles may run over a line break: convert them in the whole cell.
        text = _prose("\n".join(markdown), chapters).strip("\n")
        text = re.sub(r"\n{3,}", "\n\n", text)
        if text.strip():
            cells.append(("markdown", text, [], None))
        markdown.clear()

    def take_block(index: int, fence: str) -> tuple[list[str], int]:
        body = []
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index])
            index += 1
        return body, index + 1

    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if open_fences and line.strip() == open_fences[-1]:
            open_fences.pop()
            continue
        match = _FENCE.match(line)
        if match is None:
            if _TARGET.match(line):
                continue
            markdown.append("$$" if _LABELLED_MATH.match(line) else line)
            continue
        fence, directive, rest = match["fence"], match["directive"], match["rest"]
        if directive is None:  # a plain code block: copied as it is
            body, index = take_block(index, fence)
            markdown.extend([line, *body, fence])
        elif directive == "doctest":
            body, index = take_block(index, fence)
            flush()
            for source, tags, raises in _code_cells("\n".join(body) + "\n"):
                cells.append(("code", source, tags, raises))
        elif directive in ("math", "derived"):
            body, index = take_block(index, fence)
            body = [row for row in body if not _OPTION.match(row)]
            tex = _equation(rest.strip()) if directive == "derived" else "\n".join(body).strip()
            markdown.extend(["$$", tex, "$$"])
        elif directive == "eval-rst":
            body, index = take_block(index, fence)
            if any(row.strip().startswith(".. plot::") for row in body):
                markdown.append(f"*Figure (drawn in the book):* {_caption(body)}")
        elif directive == "solution" and not solutions:
            depth = 1  # skip the solution, with the fences nested in it
            while index < len(lines) and depth:
                inner = _FENCE.match(lines[index])
                if lines[index].strip() == fence:
                    depth -= 1
                elif inner and inner["fence"] == fence and inner["directive"]:
                    depth += 1
                index += 1
        elif directive in ("include", "literalinclude"):
            body, index = take_block(index, fence)
            included = (chapter.source.parent / rest.strip()).read_text(encoding="utf-8")
            if directive == "include":
                markdown.append(included.strip())
            else:
                language = next(
                    (row.split(":", 2)[2].strip() for row in body if row.startswith(":language:")),
                    "",
                )
                markdown.extend([f"```{language}", included.rstrip("\n"), "```"])
        else:  # any other directive: a bold title, then its content as the page has it
            if directive == "admonition":  # its argument is the whole title
                heading = f"**{rest.strip()}**"
            else:
                title = _TITLES.get(directive, directive.split(":")[-1].capitalize())
                heading = f"**{title}.** {rest}".rstrip()
            markdown.extend(["", heading, ""])
            while index < len(lines) and _OPTION.match(lines[index]):
                index += 1
            open_fences.append(fence)
    flush()
    return cells


def chapter_notebook(
    chapter: Chapter, chapters: dict[str, int] | None = None, solutions: bool = True
):
    """The chapter as an nbformat 4 notebook (validated), with or without the solutions."""
    import nbformat
    from nbformat import v4

    notebook = v4.new_notebook()
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    for kind, source, tags, raises in chapter_cells(chapter, chapters, solutions):
        if kind == "code":
            cell = v4.new_code_cell(source)
            if tags:
                cell.metadata["tags"] = tags
            if raises:  # what the book's example shows it raising (tests/notebooks checks it)
                cell.metadata["bptt_book"] = {"raises": raises}
        else:
            cell = v4.new_markdown_cell(source)
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def write_notebooks(
    srcdir: Path, outdir: Path, root_doc: str = "index", solutions: bool = True
) -> list[Path]:
    """Write one notebook per chapter into ``outdir``; return their paths."""
    import nbformat

    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    chapters = numbered_chapters(srcdir, root_doc)
    labels = chapter_labels(chapters)
    for chapter in chapters:
        path = outdir / chapter.notebook_name
        nbformat.write(chapter_notebook(chapter, labels, solutions), path)
        written.append(path)
    return written


# -- Sphinx -----------------------------------------------------------------------------------


def _wanted(app) -> bool:
    return getattr(app.builder, "format", None) == "html" and app.builder.name != "epub"


def _write(app) -> None:
    """Write the notebooks before the pages are read, so that the pages can link them."""
    if _wanted(app):
        outdir = Path(app.confdir) / app.config.notebooks_outdir
        # The student edition (sphinx-exercise's hide_solutions) gets notebooks without them.
        solutions = not getattr(app.config, "hide_solutions", False)
        write_notebooks(Path(app.srcdir), outdir, app.config.root_doc, solutions)


def _link(app, doctree) -> None:
    """Put a download link to the chapter's notebook under the chapter's title.

    The link is Sphinx's own download reference (as the ``{download}`` role makes), so the HTML
    builder copies the notebook into ``_downloads/`` and the link downloads it."""
    if not _wanted(app):
        return
    docname = app.env.docname
    chapters = numbered_chapters(Path(app.srcdir), app.config.root_doc)
    chapter = next((c for c in chapters if c.docname == docname), None)
    section = next(iter(doctree.findall(nodes.section)), None)
    if chapter is None or section is None:
        return
    notebook = Path(app.confdir) / app.config.notebooks_outdir / chapter.notebook_name
    target = "/" + notebook.relative_to(Path(app.srcdir)).as_posix()
    link = addnodes.download_reference(
        "",
        "",
        nodes.literal("", chapter.notebook_name),
        reftarget=target,
        refdoc=docname,
        refexplicit=True,
        refdomain="",
        reftype="download",
    )
    paragraph = nodes.paragraph(
        "", "", nodes.Text("Run this chapter's examples as a Jupyter notebook: "), link
    )
    paragraph["classes"].append("notebook-download")
    section.insert(1, paragraph)


def setup(app):
    app.add_config_value("notebooks_outdir", "_build/notebooks", "env", types=frozenset({str}))
    app.connect("builder-inited", _write)
    # Before Sphinx's collector of downloads (priority 500) registers the link's file.
    app.connect("doctree-read", _link, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
