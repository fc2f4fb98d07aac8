"""Check the package as a new user gets it: the wheel installed without extras.

``tox -e wheel`` builds the wheel, installs it with no extras into a fresh environment, and
runs this script from a folder outside the checkout.  It checks that the package imported
is the installed one, that no extra (matplotlib) came along, that importing the package and
computing a gradient imports no SymPy, and that the command line works from another folder
(with empty folders named ``conf`` beside the package and in the current folder): help, info,
gradcheck, generate --check, the experiments' list and a quick experiment (its table, and one
line naming the ``plot`` extra for the figure), and answers bad arguments with one line on
stderr.  Prints one line per check and exits 1 on the first failure.
"""

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

CHECKS = []


def check(what):
    def register(function):
        CHECKS.append((what, function))
        return function
    return register


def run(*args, cwd, env=None):
    return subprocess.run(list(args), capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=600)


def one_line_error(done):
    lines = done.stderr.splitlines()
    assert done.returncode != 0, f"exit status 0 for a bad argument: {done.args}"
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert len(lines) == 1, f"{done.args}: {len(lines)} lines on stderr:\n{done.stderr}"
    return lines[0]


@check("the package imported is the installed wheel, without extras")
def installed(folder):
    spec = importlib.util.find_spec("bptt_book")
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    where = Path(spec.origin).resolve()
    assert site in where.parents, f"bptt_book comes from {where}, not from {site}"
    assert importlib.util.find_spec("matplotlib") is None, "matplotlib is installed"
    files = importlib.metadata.files("bptt_book")
    names = {str(f) for f in files}
    assert not any(n.endswith(".pth") for n in names), "an editable install"
    for needed in ("bptt_book/conf/models.toml", "bptt_book/conf/experiments.toml",
                   "bptt_book/data/agreement.toml", "bptt_book/py.typed"):
        assert needed in names, f"{needed} is not in the wheel"
    assert any(n.endswith("licenses/LICENSE") for n in names), "no LICENSE in the wheel"
    meta = importlib.metadata.metadata("bptt_book")
    assert meta["License-Expression"] == "MIT"
    assert meta["Version"] == run(sys.executable, "-c", "import bptt_book; "
                                  "print(bptt_book.__version__)", cwd=folder).stdout.strip()
    assert {"plot", "fast"} <= set(meta.get_all("Provides-Extra"))


@check("import bptt_book and a gradient import no SymPy (and, without the extra, no Numba)")
def no_sympy(folder):
    code = ("import sys, bptt_book as bb; p = bb.init_params(50, 5, seed=0); "
            "bb.bptt(p, [1, 2, 3], [2, 3, 4]); bb.gradient_check(p, [1, 2], [2, 3]); "
            "print(sorted(m for m in ('sympy', 'matplotlib', 'numba') if m in sys.modules), "
            "bb.backend.active())")
    done = run(sys.executable, "-c", code, cwd=folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] numpy", done.stdout


@check("bptt-book --help")
def help_(folder):
    done = run("bptt-book", "--help", cwd=folder)
    assert done.returncode == 0 and "gradcheck" in done.stdout, done.stderr


@check("bptt-book info, with empty conf folders beside the package and here")
def info(folder):
    site = Path(sysconfig.get_paths()["purelib"])
    (site / "conf").mkdir(exist_ok=True)
    (folder / "conf").mkdir(exist_ok=True)
    done = run("bptt-book", "info", cwd=folder, env={"PYTHONPATH": str(folder)})
    assert done.returncode == 0, done.stderr
    assert "D = 8000 words, H = 100 hidden units" in done.stdout, done.stdout


@check("bptt-book gradcheck")
def gradcheck(folder):
    done = run("bptt-book", "gradcheck", cwd=folder)
    assert done.returncode == 0 and "passed" in done.stdout, done.stdout + done.stderr


@check("bptt-book generate --check: the derivation ships and agrees with generated.py")
def generate(folder):
    done = run("bptt-book", "generate", "--check", cwd=folder)
    assert done.returncode == 0 and "up to date" in done.stdout, done.stdout + done.stderr


@check("bptt-book experiment --list")
def experiment_list(folder):
    done = run("bptt-book", "experiment", "--list", cwd=folder)
    assert done.returncode == 0 and "gated_jacobian" in done.stdout, done.stderr


@check("bptt-book experiment recall_length --quick: the table, then one line naming the extra")
def experiment(folder):
    done = run("bptt-book", "experiment", "recall_length", "--quick", cwd=folder,
               env={"BPTT_BOOK_CACHE": str(folder / "cache")})
    assert done.returncode == 0, done.stderr
    assert "mean accuracy" in done.stdout, done.stdout
    assert "bptt_book[plot]" in done.stderr.splitlines()[-1], done.stderr
    assert "Traceback" not in done.stderr
    assert list((folder / "cache").glob("recall_length-quick-*.json"))


BAD = [
    ["nonsense"],
    ["gradcheck", "--model", "foo"],
    ["gradcheck", "--entries", "-3"],
    ["experiment", "nonsense"],
    ["experiment", "recall_length", "--quick", "--out", "figure.png"],  # needs matplotlib
]


@check(f"{len(BAD)} bad invocations: one line on stderr each, non-zero exit")
def bad(folder):
    for args in BAD:
        line = one_line_error(run("bptt-book", *args, cwd=folder))
        assert "error" in line, line


def main():
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for what, function in CHECKS:
            try:
                function(folder)
            except AssertionError as error:
                print(f"FAILED  {what}: {error}")
                return 1
            print(f"ok      {what}")
    print(f"{len(CHECKS)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
