"""The cache key of an experiment follows the package's own files, found from its imports."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bptt_book
from bptt_book import experiments
from bptt_book.experiments import EXPERIMENTS, cache

PACKAGE = Path(bptt_book.__file__).resolve().parent


def test_the_key_covers_what_the_run_imports_and_nothing_else():
    found = set(cache.modules([EXPERIMENTS["remedies"].source]))
    assert {"bptt_book.experiments.grid", "bptt_book.training", "bptt_book.tasks",
            "bptt_book.model", "bptt_book.gradients", "bptt_book.generated",
            "bptt_book.vanishing", "bptt_book._checks"} <= found
    assert not found & {"bptt_book.cli", "bptt_book.experiments.plots",
                        "bptt_book.experiments.progress", "bptt_book.experiments.gated_jacobian"}
    gated = cache.modules([EXPERIMENTS["gated_jacobian"].source])
    assert {"bptt_book.experiments.gated_jacobian", "bptt_book.cells"} <= set(gated)


KEY = ("from bptt_book import experiments as e; "
       "print(e.cache_key('recall_length', e.settings('recall_length', 'quick')))")


def _key(site):
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", KEY], capture_output=True, text=True,
                          cwd=site, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _append(path, text):
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_docstrings_and_comments_keep_the_key_and_code_changes_it(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(PACKAGE, site / "bptt_book", ignore=shutil.ignore_patterns("__pycache__"))
    first = _key(site)
    training = site / "bptt_book" / "training.py"
    text = training.read_text(encoding="utf-8")
    training.write_text('"""Reworded."""\n' + text[text.index('"""', 3) + 3:], encoding="utf-8")
    _append(training, "\n# a comment\n")
    assert _key(site) == first
    _append(training, "\n\ndef _helper():\n    \"\"\"Its docstring.\"\"\"\n")
    assert _key(site) != first
    training.write_text(text, encoding="utf-8")
    assert _key(site) == first
    _append(site / "bptt_book" / "data" / "agreement.toml", "\n[more]\nwords = 1\n")
    assert _key(site) != first


def test_the_build_says_what_it_computes_and_where_it_caches(tmp_path, capsys):
    first = experiments.run("gated_jacobian", size="quick", cache=tmp_path)
    err = capsys.readouterr().err
    path = experiments.cache_path("gated_jacobian", "quick", folder=tmp_path)
    curves = experiments.EXPERIMENTS["gated_jacobian"].units(
        experiments.settings("gated_jacobian", "quick"))
    assert curves == 7  # the RNN, three update-gate and three forget-gate biases
    assert err.splitlines()[0] == (f"computing experiment gated_jacobian (quick size, "
                                   f"{curves} curves), cache: {path}")
    assert f"{curves}/{curves}" in err  # the bar, with the time left
    assert experiments.run("gated_jacobian", size="quick", cache=tmp_path) == first
    assert capsys.readouterr().err == ""  # read back: nothing to say
    experiments.run("gated_jacobian", size="quick", progress=False)
    assert capsys.readouterr().err == ""
    experiments.run("gated_jacobian", size="quick",
                    progress=experiments.Progress(bar=False, lines=True))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].endswith("not cached") and len(lines) == 1 + curves
    assert lines[1].startswith("tanh RNN: ||ds_t/ds_k||")
    with pytest.raises(TypeError, match="progress"):
        experiments.run("gated_jacobian", size="quick", progress=123)


def test_a_damaged_cache_file_is_computed_again(tmp_path):
    path = experiments.cache_path("gated_jacobian", "quick", folder=tmp_path)
    path.write_text("{not json", encoding="utf-8")
    result = experiments.run("gated_jacobian", size="quick", cache=tmp_path, progress=False)
    assert experiments.Result.from_json(path.read_text(encoding="utf-8")) == result
