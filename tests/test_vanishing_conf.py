"""conf/vanishing.toml (chapters 5 and 6): it loads, and a broken copy is refused by name."""

import re

import pytest

from bptt_book import config

TABLES = {"jacobian_norms", "contributions", "gradient_growth", "clipping", "powers",
          "init_spectra", "relu_tanh", "overflow", "frozen", "lyapunov", "latching"}


def test_the_settings_load_and_name_existing_models():
    settings = config.load("vanishing")
    assert set(settings) == TABLES
    for table in ("jacobian_norms", "contributions", "gradient_growth"):
        config.model(settings[table]["model"])  # raises if the model does not exist
    assert settings["jacobian_norms"]["activations"] == ["tanh", "sigmoid"]
    clipping = settings["clipping"]
    assert clipping["threshold"] > 0 and clipping["learning_rate"] > 0
    assert clipping["pattern"] <= clipping["length"]


def test_the_settings_are_read_only():
    with pytest.raises(TypeError):
        config.load("vanishing")["clipping"]["steps"] = 5


def _broken_copy(tmp_path, table, key, value):
    """conf/vanishing.toml with `key = ...` of [table] replaced (or removed when value is None)."""
    text = (config.CONF_DIR / "vanishing.toml").read_text()
    header = text.index(f"[{table}]")
    line = re.compile(rf"^{key} = .*$", re.MULTILINE).search(text, header)
    assert line, f"no {key} in [{table}]"
    new = "" if value is None else f"{key} = {value}"
    (tmp_path / "vanishing.toml").write_text(text[: line.start()] + new + text[line.end():])
    return tmp_path


@pytest.mark.parametrize(
    ("table", "key", "value", "message"),
    [
        ("jacobian_norms", "scales", "[0.5, -1.0]", "scales must be a non-empty list of positive"),
        ("jacobian_norms", "scales", "[]", "scales must be a non-empty list of positive"),
        ("jacobian_norms", "scales", "[0.5, inf]", "scales must be"),
        ("jacobian_norms", "activations", '["tanh", "swish"]', "activations must be"),
        ("jacobian_norms", "activations", '["tanh", "tanh"]', "activations must be"),
        ("jacobian_norms", "activations", "[[1]]", "activations must be"),
        ("jacobian_norms", "length", "1", "length must be an integer >= 2"),
        ("jacobian_norms", "model", '""', "model must be a non-empty string"),
        ("contributions", "activation", '"swish"', "activation must be one of"),
        ("gradient_growth", "lengths", "[10, 0]", "lengths must be a non-empty list"),
        ("clipping", "threshold", "0", "threshold must be a positive finite number"),
        ("clipping", "learning_rate", "nan", "learning_rate must be a positive finite"),
        ("clipping", "learning_rate", "true", "learning_rate must be"),
        ("clipping", "scale", '"1.5"', "scale must be"),
        ("clipping", "steps", "2.5", "steps must be an integer"),
        ("clipping", "steps", None, "missing key 'steps'"),
        ("clipping", "seed", "0\ncolour = 3", "unknown key 'colour'"),
    ],
)
def test_a_broken_copy_is_refused_naming_file_table_and_key(tmp_path, table, key, value,
                                                             message):
    directory = _broken_copy(tmp_path, table, key, value)
    with pytest.raises(config.ConfigError, match=re.escape(message)) as info:
        config.load("vanishing", directory)
    text = str(info.value)
    assert "vanishing.toml" in text and f"[{table}]" in text


def test_a_missing_table_is_refused(tmp_path):
    text = (config.CONF_DIR / "vanishing.toml").read_text()
    (tmp_path / "vanishing.toml").write_text(text.replace("[clipping]", "[clippings]"))
    with pytest.raises(config.ConfigError, match=r"unknown table \[clippings\]"):
        config.load("vanishing", tmp_path)
    (tmp_path / "vanishing.toml").write_text(text[: text.index("[clipping]")])
    with pytest.raises(config.ConfigError, match=r"vanishing\.toml: missing table \[clipping\]"):
        config.load("vanishing", tmp_path)
