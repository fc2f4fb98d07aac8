"""The experiments of chapters 7 to 9 at their quick settings: they run, repeat, cache and draw."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bptt_book import config, experiments

NAMES = sorted(experiments.EXPERIMENTS)


@pytest.fixture(scope="module")
def quick():
    """Every experiment run once at its quick settings."""
    return {name: experiments.run(name, size="quick") for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_each_experiment_runs_and_draws_at_its_quick_setting(quick, name):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    result = quick[name]
    assert result.name == name and result.size == "quick"
    assert result.settings == experiments.settings(name, "quick")
    text = experiments.table(result)
    assert len(text.splitlines()) >= 2
    fig = experiments.plot(result)
    assert fig.axes
    plt.close(fig)


@pytest.mark.parametrize("name", NAMES)
def test_the_quick_run_repeats_exactly(quick, name):
    again = experiments.run(name, size="quick")
    assert again.data_without_times() == quick[name].data_without_times()


def test_truncation_at_the_quick_setting_shows_the_cut(quick):
    """Class columns of U at zero: K < L learns nothing, K = L learns the task."""
    (zero,) = [m for m in quick["truncation"].data["methods"] if m["name"] == "zero"]
    by_k = {c["truncate"]: c for c in zero["cells"]}
    assert by_k[1]["mean_accuracy"] < 0.4
    assert by_k[3]["success_rate"] == 1.0


def test_truncation_schemes_at_the_quick_setting(quick):
    """Below L (K = 2 < L = 3) only the randomized scheme, unbiased, learns to store the first
    token; at K = T = 4 every scheme holds the whole sequence and learns it."""
    cells = {(m["name"], c["truncate"]): c for m in quick["truncation_schemes"].data["methods"]
             for c in m["cells"]}
    for scheme in ("window", "chunk", "theano"):
        assert cells[scheme, 2]["mean_accuracy"] < 0.4, scheme
    assert cells["random", 2]["success_rate"] == 1.0
    for scheme in ("window", "chunk", "theano", "random"):
        assert cells[scheme, 4]["success_rate"] == 1.0, scheme


def test_grid_results_have_one_cell_per_length_and_truncation(quick):
    v = quick["truncation"].settings
    for m in quick["truncation"].data["methods"]:
        assert [(c["length"], c["truncate"]) for c in m["cells"]] == [
            (L, K) for L in v["lengths"] for K in v["truncations"]]
        for c in m["cells"]:
            assert len(c["runs"]) == v["runs"]
            assert set(c["runs"][0]) == {"accuracy", "epochs", "success", "diverged", "seconds"}


def test_sizes_override_the_full_settings():
    full = experiments.settings("remedies")
    book = experiments.settings("remedies", "book")
    quick = experiments.settings("remedies", "quick")
    assert "quick" not in full and "book" not in full
    assert book["methods"] == full["methods"] and book["epochs"] == full["epochs"]
    assert quick["runs"] == 1 and quick["epochs"] < full["epochs"]
    with pytest.raises(ValueError, match="no experiment"):
        experiments.settings("nonsense")
    with pytest.raises(ValueError, match="no experiment"):
        experiments.run("nonsense", values={})
    with pytest.raises(ValueError, match="lack the settings"):
        experiments.run("recall_length", values={})
    with pytest.raises(TypeError, match="values"):
        experiments.run("recall_length", values=[1])
    with pytest.raises(TypeError, match="cache"):
        experiments.run("gated_jacobian", size="quick", cache=123)
    with pytest.raises(ValueError, match="size must be"):
        experiments.settings("remedies", "huge")


def test_the_cache_is_keyed_on_the_settings(tmp_path, monkeypatch):
    first = experiments.run("gated_jacobian", size="quick", cache=tmp_path)
    (path,) = tmp_path.glob("gated_jacobian-quick-*.json")
    assert path == experiments.cache_path("gated_jacobian", "quick", folder=tmp_path)

    def refuse(*args):
        raise AssertionError("ran although the result was cached")

    monkeypatch.setitem(experiments.EXPERIMENTS["gated_jacobian"], "run", refuse)
    assert experiments.run("gated_jacobian", size="quick", cache=tmp_path) == first
    changed = {**experiments.settings("gated_jacobian", "quick"), "seed": 1}
    assert experiments.cache_key("gated_jacobian", changed) != experiments.cache_key(
        "gated_jacobian", experiments.settings("gated_jacobian", "quick"))
    with pytest.raises(AssertionError, match="ran although"):
        experiments.run("gated_jacobian", values=changed, cache=tmp_path)
    monkeypatch.setenv("BPTT_BOOK_CACHE", str(tmp_path / "elsewhere"))
    assert experiments.cache_dir() == tmp_path / "elsewhere"


def test_progress_reports_a_line_per_run():
    lines = []
    experiments.run("truncation", size="quick", progress=lines.append)
    assert len(lines) == 4 and lines[0].startswith("[1/4] random L=3 K=1 run 1: accuracy")


def test_the_settings_file_is_checked(tmp_path):
    text = (config.CONF_DIR / "experiments.toml").read_text()
    bad = {
        'label = "tanh (baseline)"\n': 'label = "tanh (baseline)"\nclip = -1.0\n',
        "success = 0.95\n": "success = 1.5\n",
        'task = "recall"\n': 'task = "copy"\n',
        "[remedies.quick]\n": "[remedies.quick]\nsuccess = 2\n",
        "[truncation.methods.zero]\n": "[truncation.methods.zero]\ncolour = 1\n",
        "update_biases = [0.0, 2.0, 4.0]\n": "update_biases = []\n",
    }
    for old, new in bad.items():
        assert old in text, old
        (tmp_path / "experiments.toml").write_text(text.replace(old, new, 1))
        with pytest.raises(config.ConfigError, match="experiments.toml"):
            config.load("experiments", tmp_path)
    loaded = config.load("experiments")
    assert set(loaded) == set(NAMES)


def _cli(*args, cache):
    env = {**os.environ, "BPTT_BOOK_CACHE": str(cache), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "bptt_book", "experiment", *args],
                          capture_output=True, text=True, timeout=300, env=env)


def test_the_command_line_runs_an_experiment(tmp_path):
    out = tmp_path / "fig.png"
    done = _cli("truncation", "--quick", "--out", str(out), cache=tmp_path)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 1000
    assert "[4/4] zero L=3 K=3" in done.stderr and "wrote" in done.stdout
    again = _cli("truncation", "--quick", "--out", str(out), cache=tmp_path)
    assert "read from" in again.stdout
    listed = _cli("--list", cache=tmp_path)
    assert listed.returncode == 0 and all(n in listed.stdout for n in NAMES)
    assert _cli(cache=tmp_path).returncode == 2
    assert _cli("nonsense", cache=tmp_path).returncode == 2


def test_importing_the_package_stays_light():
    code = ("import sys, bptt_book, bptt_book.tasks, bptt_book.training, bptt_book.cells, "
            "bptt_book.experiments; print(sorted(m for m in ('sympy', 'matplotlib') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr
