"""The command line never shows a traceback: every bad argument and every broken settings
file ends in exactly one line on stderr and a non-zero exit status."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bptt_book

PACKAGE = Path(bptt_book.__file__).resolve().parent


def cli(*args, cwd=None, site=None, env=None, code=None):
    """Run ``python -m bptt_book ARGS`` (or ``python -c CODE``) in a fresh process."""
    environ = {**os.environ, "MPLBACKEND": "Agg", **(env or {})}
    if site is not None:
        environ["PYTHONPATH"] = str(site)
    command = ["-c", code] if code else ["-m", "bptt_book", *args]
    return subprocess.run([sys.executable, *command], capture_output=True, text=True,
                          cwd=cwd, env=environ, timeout=300)


def assert_one_line_error(done, status=None):
    assert done.returncode != 0, done.stdout
    if status is not None:
        assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "error" in lines[0]


BAD_ARGUMENTS = [
    (),
    ("nonsense",),
    ("--bogus",),
    ("info", "extra"),
    ("generate", "--bogus"),
    ("gradcheck", "--model", "foo"),
    ("gradcheck", "--model", ""),
    ("gradcheck", "--entries", "-3"),
    ("gradcheck", "--entries", "0"),
    ("gradcheck", "--entries", "x"),
    ("gradcheck", "--entries", "1.5"),
    ("gradcheck", "--entries"),
    ("gradcheck", "--model"),
    ("experiment",),
    ("experiment", "nonsense"),
    ("experiment", "recall_length", "gated_jacobian"),
    ("experiment", "recall_length", "--size", "huge"),
    ("experiment", "recall_length", "--quick", "--out", "/nonexistent/folder/fig.png"),
    ("experiment", "recall_length", "--quick", "--out", "fig.unknown"),
    ("experiment", "recall_length", "--quick", "--out", "fig"),
    ("experiment", "recall_length", "--quick", "--out", "."),
]


@pytest.mark.parametrize("args", BAD_ARGUMENTS, ids=" ".join)
def test_a_bad_argument_is_one_line_and_status_2(tmp_path, args):
    done = cli(*args, cwd=tmp_path, env={"BPTT_BOOK_CACHE": str(tmp_path / "cache")})
    assert_one_line_error(done, 2)
    assert not (tmp_path / "cache").exists()  # refused before any computing


@pytest.fixture
def site(tmp_path):
    """A copy of the package in a folder of its own, as pip would install it."""
    folder = tmp_path / "site"
    shutil.copytree(PACKAGE, folder / "bptt_book", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def _edit(site, name, old, new):
    path = site / "bptt_book" / "conf" / f"{name}.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN_SETTINGS = [
    ("models", "[tutorial]", "[tutorial", ("info",)),
    ("models", "word_dim = 8000", 'word_dim = "many"', ("info",)),
    ("models", "hidden_dim = 10\n", "", ("gradcheck",)),
    ("models", "x = [0, 3, 1, 4]", "x = [0, 3, 1, 40]", ("gradcheck", "--model", "tutorial")),
    ("experiments", "runs = 8", "runs = 0", ("experiment", "recall_length", "--quick")),
    ("experiments", '[recall_length]\ntask = "recall"', '[recall_length]\ntask = "copy"',
     ("experiment", "recall_length", "--quick")),
    ("experiments", "[gated_jacobian.quick]", "[gated_jacobian.quick]\ncolour = 1",
     ("experiment", "gated_jacobian", "--quick")),
]


@pytest.mark.parametrize(("name", "old", "new", "args"), BROKEN_SETTINGS,
                         ids=[f"{b[0]}: {b[2]!r}" for b in BROKEN_SETTINGS])
def test_a_broken_settings_file_is_one_line_naming_it(tmp_path, site, name, old, new, args):
    _edit(site, name, old, new)
    done = cli(*args, cwd=tmp_path, site=site,
               env={"BPTT_BOOK_CACHE": str(tmp_path / "cache")})
    assert_one_line_error(done, 1)
    assert f"{name}.toml" in done.stderr


def test_a_missing_settings_file_is_one_line(tmp_path, site):
    (site / "bptt_book" / "conf" / "models.toml").unlink()
    done = cli("info", cwd=tmp_path, site=site)
    assert_one_line_error(done, 1)
    assert "models.toml: settings file not found" in done.stderr


def test_an_unrelated_conf_folder_changes_nothing(tmp_path, site):
    """Empty folders named conf beside the installed package, in the current folder and on
    sys.path: the settings come from inside the package all the same."""
    (site / "conf").mkdir()
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "conf").mkdir(parents=True)
    done = cli("info", cwd=elsewhere, site=site, env={"PYTHONPATH": f"{site}:{elsewhere}"})
    assert done.returncode == 0, done.stderr
    assert "D = 8000 words, H = 100 hidden units" in done.stdout
    assert f"settings: {site / 'bptt_book' / 'conf'}" in done.stdout


WITHOUT_MATPLOTLIB = ("import sys; sys.modules['matplotlib'] = None; "
                      "from bptt_book.cli import main; sys.exit(main({args!r}))")


def test_without_matplotlib_the_table_comes_and_one_line_names_the_extra(tmp_path):
    args = ["experiment", "gated_jacobian", "--quick"]
    done = cli(cwd=tmp_path, code=WITHOUT_MATPLOTLIB.format(args=args),
               env={"BPTT_BOOK_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    assert "tanh RNN" in done.stdout and "GRU b_z=4" in done.stdout
    assert done.stderr.splitlines()[-1] == ("no figure: drawing it needs matplotlib; "
                                            "pip install 'bptt_book[plot]'")
    assert not list(tmp_path.glob("*.png"))
    done = cli(cwd=tmp_path, code=WITHOUT_MATPLOTLIB.format(args=[*args, "--out", "f.png"]))
    assert_one_line_error(done, 2)
    assert "bptt_book[plot]" in done.stderr


def test_gradcheck_explains_a_failure():
    """The tutorial's model truncates at K = 4, and V's entries are mostly below the size at
    which float64 rounding of the finite differences reaches the threshold."""
    done = cli("gradcheck", "--model", "tutorial")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    out = done.stdout
    assert "FAILED (threshold 1e-05)" in out
    assert "W: the largest relative error, 1.00e+00, is 100,000 times the threshold" in out
    assert "truncates BPTT at K = 4" in out and "not the gradient of the loss" in out
    assert "V: the largest relative error" in out and "rounding" in out
    exact = cli("gradcheck", "--model", "tutorial", "--exact")
    assert exact.returncode == 1
    assert "truncates" not in exact.stdout and "W: the largest" not in exact.stdout
    assert "V: the largest relative error" in exact.stdout
