"""The settings loader is generic: each file's tables are declared by the module that owns
them, and the allowed choices are read from the modules that own the choices."""

import re

import pytest

from bptt_book import config, experiments, tasks, training
from bptt_book.experiments import grid
from bptt_book.generated.activations import ACTIVATIONS


def test_every_settings_file_is_declared_by_its_owner():
    for name in config.OWNERS:
        tables = config.schema(name)
        assert tables, name
        loaded = config.load(name)
        assert set(loaded) <= set(tables) or "*" in tables
    assert set(config.schema("experiments")) == set(experiments.EXPERIMENTS)
    for name, record in experiments.EXPERIMENTS.items():
        declared = config.schema("experiments")[name]
        assert set(record.schema) <= set(declared)
        assert set(declared) - set(record.schema) == {"quick", "book"}


def _broken_experiments(tmp_path, old, new):
    text = (config.CONF_DIR / "experiments.toml").read_text(encoding="utf-8")
    assert old in text, old
    (tmp_path / "experiments.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(config.ConfigError) as info:
        config.load("experiments", tmp_path)
    return str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "choices"),
    [
        ('task = "recall"\n', 'task = "copy"\n', sorted(tasks.TASKS)),
        ('init = "orthogonal"\n', 'init = "xavier"\n', sorted(training.INITS)),
        ('class_inputs = "zero"\n', 'class_inputs = "ones"\n', sorted(grid.CLASS_INPUTS)),
        ('activation = "relu"\n', 'activation = "swish"\n', sorted(ACTIVATIONS)),
    ],
)
def test_the_choices_are_those_of_the_owning_module(tmp_path, old, new, choices):
    message = _broken_experiments(tmp_path, old, new)
    assert "experiments.toml" in message and str(choices) in message


def test_an_unknown_experiment_table_names_the_records(tmp_path):
    message = _broken_experiments(tmp_path, "[agreement]\n", "[agreements]\n")
    assert re.search(r"unknown table \[agreements\]", message)
    assert str(sorted(experiments.EXPERIMENTS)) in message


def test_config_copies_no_choice_list():
    """The names that training, tasks and the experiments own are not spelled in config.py."""
    with open(config.__file__, encoding="utf-8") as handle:
        source = handle.read()
    models = set(config.load("models"))  # "tutorial" is a model as well as an init
    owned = {*training.INITS, *tasks.TASKS, *grid.CLASS_INPUTS, *experiments.EXPERIMENTS}
    for name in owned - models:
        assert f'"{name}"' not in source, name


def test_method_defaults_cover_the_method_settings():
    """Every setting a method may change has a default, and every default can be set."""
    settable = {k for k in grid._METHOD if k not in ("label", "learning_rate")}
    assert settable == set(grid.METHOD_DEFAULTS)
