"""Wide equations and code listings scroll in their own box, with a cue at the hidden edge.

Adds ``_static/scroll-cue.js`` (which marks the boxes) to the pages of the HTML edition; the
styles are in ``_static/bptt-book.css``. E-readers get no script: the EPUB builder is left out.
"""

from __future__ import annotations

SCRIPT = "scroll-cue.js"


def add_script(app) -> None:
    if getattr(app.builder, "format", None) == "html" and app.builder.name != "epub":
        app.add_js_file(SCRIPT)


def setup(app):
    app.connect("builder-inited", add_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
