"""Build the PDF edition: docs/_build/pdf/bptt-book.pdf (run by ``tox -e pdf``).

    python tests/pdf/build_pdf.py

Sphinx's LaTeX builder writes docs/_build/latex (``-W --keep-going -n``, figures as vector PDF),
latexmk runs pdflatex there until the cross-references settle, and the PDF is copied to
docs/_build/pdf/. It needs Debian's latexmk and TeX Live (``apt-get install latexmk
texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended tex-gyre``, which
.ci/run installs when it can). Without them it says what is missing and exits 0: the PDF test
(tests/pdf) then skips with the same reason.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
LATEX = DOCS / "_build" / "latex"
PDF = DOCS / "_build" / "pdf" / "bptt-book.pdf"
TOOLS = ("latexmk", "pdflatex")
INSTALL = (
    "apt-get install latexmk texlive-latex-recommended texlive-latex-extra "
    "texlive-fonts-recommended tex-gyre"
)


def main() -> int:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        print(f"SKIP: no PDF edition: {', '.join(missing)} not found. Install with: {INSTALL}")
        return 0
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-E", "-q", "-b", "latex"]
        + [str(DOCS), str(LATEX)],
        check=True,
    )
    sphinx_done = time.perf_counter()
    subprocess.run(
        ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "bptt-book.tex"],
        cwd=LATEX,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    PDF.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(LATEX / "bptt-book.pdf", PDF)
    print(
        f"{PDF}: {PDF.stat().st_size / 1e6:.1f} MB; LaTeX sources {sphinx_done - started:.0f} s, "
        f"latexmk {time.perf_counter() - sphinx_done:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
