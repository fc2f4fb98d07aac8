"""Training sweeps over cells: the methods' cell, gate bias and optimiser, and the gradient
share that reaches the first token (grid.reach, recorded every epoch with ``reach``)."""

import re

import numpy as np
import pytest

import bptt_book as bb
from bptt_book import config, experiments
from bptt_book.experiments import grid
from bptt_book.tasks import Recall

VALUES = {"task": "recall", "classes": 4, "distractors": 4, "seed": 0, "hidden_dim": 6,
          "train_size": 48, "test_size": 30, "batch_size": 16, "epochs": 3,
          "learning_rate": 0.03, "success": 0.95}


def test_a_gated_run_starts_from_the_cell_with_the_plain_networks_V_and_its_gate_bias():
    task = Recall(5)
    plain = grid.starting_params(VALUES, {"label": "r"}, task, 2)
    lstm = grid.starting_params(VALUES, {"label": "l", "cell": "lstm", "gate": "f",
                                         "gate_bias": 1.5}, task, 2)
    assert type(lstm).__name__ == "LSTMParams" and lstm.U.shape == (4 * 6, task.word_dim)
    np.testing.assert_array_equal(lstm.V, plain.V)
    np.testing.assert_array_equal((lstm.bU + lstm.bW)[6:12], 1.5)
    drawn = bb.init_params(task.word_dim, 6, cell="lstm", seed=grid._seed(0, 0, 2))
    np.testing.assert_array_equal(lstm.W, drawn.W)
    np.testing.assert_array_equal(lstm.bU[:6], drawn.bU[:6])  # the other gates as drawn
    zero = grid.starting_params(VALUES, {"label": "g", "cell": "gru",
                                         "class_inputs": "zero"}, task, 2)
    assert not zero.U[:, 1 : task.classes + 1].any() and zero.U[:, task.classes + 1:].any()


def test_the_share_that_reaches_the_first_token():
    task = Recall(6)
    data = task.sample(20, seed=1)
    p = bb.init_params(task.word_dim, 5, seed=0)
    share = grid.reach(p, data)
    assert 0 < share < 1
    norms = bb.input_gradients(p, data.x, data.y)
    assert share == pytest.approx(norms[:, 0].sum() / norms.sum(), rel=1e-12)
    # Without recurrent weights nothing reaches back: the answer sees the query only.
    assert grid.reach(p._replace(W=np.zeros_like(p.W)), data) == 0.0


def test_a_run_with_reach_records_it_before_training_and_after_every_epoch():
    values = {**VALUES, "reach": 10}
    for method in ({"label": "r", "optimizer": "adam"},
                   {"label": "g", "cell": "gru", "optimizer": "adam"}):
        out = grid.fit(values, method, 4, None, 0)
        assert set(out) == {"accuracy", "epochs", "success", "diverged", "seconds", "curve",
                            "reach"}
        assert len(out["curve"]) == len(out["reach"]) == out["epochs"] + 1
        assert out["curve"][-1] == out["accuracy"]
        assert all(0 <= r <= 1 for r in out["reach"])
        task = Recall(4)
        start = grid.starting_params(values, method, task, 0)
        test = task.sample(values["test_size"], seed=grid._seed(0, 2, 4, 0))
        first = grid.reach(start, test._replace(x=test.x[:10], y=test.y[:10]))
        assert out["reach"][0] == pytest.approx(first, rel=1e-5)
    plain = grid.fit(VALUES, {"label": "r"}, 4, None, 0)
    assert "reach" not in plain and "curve" not in plain


def test_the_optimizer_of_a_method_is_used(monkeypatch):
    seen = []
    real = grid.train

    def spy(*args, **kwargs):
        seen.append(kwargs["optimizer"])
        return real(*args, **kwargs)

    monkeypatch.setattr(grid, "train", spy)
    grid.fit(VALUES, {"label": "g", "cell": "gru"}, 4, None, 0)
    adam = grid.fit(VALUES, {"label": "g", "cell": "gru", "optimizer": "adam"}, 4, None, 0)
    again = grid.fit(VALUES, {"label": "g", "cell": "gru", "optimizer": "adam"}, 4, None, 0)
    assert seen == ["sgd", "adam", "adam"]
    assert {k: v for k, v in adam.items() if k != "seconds"} == {
        k: v for k, v in again.items() if k != "seconds"}


@pytest.mark.parametrize(
    "method, words",
    [
        ('cell = "lstm"\ngate = "f"\n', "both gate and gate_bias"),
        ('cell = "gru"\ngate = "f"\ngate_bias = 1.0\n', "gates ['r', 'z', 'n']"),
        ('gate = "f"\ngate_bias = 1.0\n', "the rnn cell's gates []"),
        ('cell = "lstm"\nactivation = "relu"\n', "without 'activation'"),
        ('cell = "lstm"\ninit = "orthogonal"\n', "without 'init'"),
        ('cell = "transformer"\n', "one of ['gru', 'lstm', 'rnn']"),
        ('optimizer = "rmsprop"\n', "one of ['adam', 'sgd']"),
        ('cell = "lstm"\ngate = "f"\ngate_bias = "high"\n', "a finite number"),
    ],
)
def test_bad_methods_are_refused_by_the_settings_file(tmp_path, method, words):
    text = (config.CONF_DIR / "experiments.toml").read_text()
    old = '[gated_length.methods.rnn]\nlabel = "tanh RNN"\noptimizer = "adam"\n'
    assert old in text
    (tmp_path / "experiments.toml").write_text(text.replace(
        old, '[gated_length.methods.rnn]\nlabel = "tanh RNN"\n' + method))
    with pytest.raises(config.ConfigError, match="experiments.toml") as error:
        config.load("experiments", tmp_path)
    assert "[methods.rnn]" in str(error.value) and words in str(error.value), str(error.value)


def test_the_gated_experiments_compare_the_cells_on_the_same_budget():
    for name in ("gated_length", "gated_reach"):
        for size in experiments.SIZES:
            v = experiments.settings(name, size)
            cells = {m.get("cell", "rnn") for m in v["methods"].values()}
            assert cells == {"rnn", "gru", "lstm"}
            # one optimiser and one learning rate for every cell
            assert {m.get("optimizer") for m in v["methods"].values()} == {"adam"}
            assert not any("learning_rate" in m for m in v["methods"].values())
    reach = experiments.settings("gated_reach")
    biases = sorted(m["gate_bias"] for m in reach["methods"].values() if "gate" in m)
    assert biases == [0.0, 1.0, 3.0]
    assert re.fullmatch(r"\d+", str(reach["reach"]))
