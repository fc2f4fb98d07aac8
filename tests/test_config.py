"""Settings files: loaded, checked, and refused with the file and key named."""

import pytest

from bptt_book import config


def test_the_tutorial_settings():
    t = config.model("tutorial")
    assert (t["word_dim"], t["hidden_dim"], t["bptt_truncate"]) == (8000, 100, 4)
    g = config.model("gradient_check")
    assert (g["word_dim"], g["hidden_dim"], g["seed"]) == (100, 10, 10)
    assert (g["x"], g["y"]) == ([0, 1, 2, 3], [1, 2, 3, 4])


def test_settings_are_read_only():
    with pytest.raises(TypeError):
        config.model("tutorial")["word_dim"] = 5


def _write(tmp_path, text, name="models"):
    (tmp_path / f"{name}.toml").write_text(text)
    return tmp_path


GOOD = 'word_dim = 10\nhidden_dim = 3\nbptt_truncate = 2\nactivation = "tanh"\nseed = 0\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[m]\n" + GOOD.replace("word_dim = 10", "word_dim = 0"), r"\[m\] word_dim must be"),
        ("[m]\n" + GOOD.replace("word_dim = 10", 'word_dim = "10"'), "word_dim must be"),
        ("[m]\n" + GOOD.replace('"tanh"', '"swish"'), "activation must be one of"),
        ("[m]\n" + GOOD.replace('"tanh"', '["tanh"]'), "activation must be one of"),
        ("[m]\n" + GOOD.replace("seed = 0\n", ""), "missing key 'seed'"),
        ("[m]\n" + GOOD + "colour = 3\n", "unknown key 'colour'"),
        ("[m]\n" + GOOD + "x = [1, 2]\ny = [1]\n", "same length"),
        ("[m]\n" + GOOD + "x = [1, 20]\ny = [1, 2]\n", "below word_dim"),
        ("[m]\nword_dim = 10\n[m", "not valid TOML"),
        ("[m]\n" + GOOD.replace("bptt_truncate = 2", "bptt_truncate = true"), "bptt_truncate"),
    ],
)
def test_bad_settings_name_file_and_key(tmp_path, text, message):
    directory = _write(tmp_path, text)
    with pytest.raises(config.ConfigError, match=message) as info:
        config.load("models", directory)
    assert "models.toml" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_and_unknown_files(tmp_path):
    with pytest.raises(config.ConfigError, match="not found"):
        config.load("models", tmp_path)
    with pytest.raises(config.ConfigError, match="unknown settings file"):
        config.load("nonsense")
    with pytest.raises(config.ConfigError, match="no model"):
        config.model("nonexistent")


def test_figures_file_requires_its_tables(tmp_path):
    table = "[hidden_states]\nmodel = 'tutorial'\nlength = 3\nseed = 0\n"
    _write(tmp_path, table + "activations = ['tanh']\n", "figures")
    with pytest.raises(config.ConfigError, match=r"missing table \[untrained_loss\]"):
        config.load("figures", tmp_path)
    for bad in ("[]", "['tanh', 'tanh']", "['swish']", "'tanh'", "[1]"):
        _write(tmp_path, table + f"activations = {bad}\n", "figures")
        with pytest.raises(config.ConfigError, match="activations must be a non-empty list"):
            config.load("figures", tmp_path)
    _write(tmp_path, table, "figures")
    with pytest.raises(config.ConfigError, match="missing key 'activations'"):
        config.load("figures", tmp_path)
