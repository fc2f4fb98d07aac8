"""One marked section of a Markdown file per benchmark script, so that each script rewrites
only its own part of ``benchmarks/results.md``."""

from pathlib import Path


def markers(name):
    """The comment lines that open and close the section written by ``name``."""
    return f"<!-- {name}: begin -->", f"<!-- {name}: end -->"


def write(path, name, body):
    """Replace the section of ``name`` in the file ``path`` by ``body`` (markers added), or
    append it when the file has none; everything outside the section is left as it was."""
    begin, end = markers(name)
    section = f"{begin}\n\n{body.strip()}\n\n{end}"
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section + "\n"
    path.write_text(text, encoding="utf-8")
