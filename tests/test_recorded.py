"""Full-size results recorded from the command line (bptt_book/experiments/recorded/): they
load, they were made with today's full settings, the book's quoted numbers read them, and a
record made with other settings is refused."""

import json
import subprocess
import sys
from importlib.resources import files

import pytest

from bptt_book import experiments
from bptt_book.figures import quoted

RECORDED = sorted(p.name.removesuffix("-full.json")
                  for p in (files("bptt_book.experiments") / "recorded").iterdir()
                  if p.name.endswith("-full.json"))


def test_the_chapter_9_experiments_are_recorded():
    assert {"gated_length", "gated_reach"} <= set(RECORDED)


@pytest.mark.parametrize("name", RECORDED)
def test_a_record_holds_todays_full_settings_and_a_table(name):
    result = experiments.recorded(name)
    assert result.name == name and result.size == "full"
    assert result.settings == json.loads(json.dumps(experiments.settings(name, "full")))
    lines = experiments.table(result).splitlines()
    assert len(lines) > 1


def test_the_quoted_full_size_numbers_come_from_the_records():
    lengths = experiments.recorded("gated_length").data
    gru = next(m for m in lengths["methods"] if m["name"] == "gru")
    wins = [sum(r["success"] for r in c["runs"]) for c in gru["cells"]]
    assert quoted.value("gated_length.full.successes.gru") == wins
    reach = experiments.recorded("gated_reach").data["methods"]
    assert len(quoted.value("gated_reach.full.successes")) == len(reach)


def test_a_record_made_with_other_settings_is_refused(monkeypatch):
    real = experiments.settings

    def changed(name, size="full"):
        values = real(name, size)
        values["epochs"] = values["epochs"] + 1
        return values

    monkeypatch.setattr(experiments, "settings", changed)
    with pytest.raises(ValueError, match="other settings"):
        experiments.recorded("gated_length")


def test_an_experiment_without_a_record_says_how_to_make_one():
    with pytest.raises(ValueError, match="--save"):
        experiments.recorded("remedies")


def test_the_command_line_saves_a_result_that_loads(tmp_path):
    out = tmp_path / "recall.json"
    run = subprocess.run([sys.executable, "-m", "bptt_book", "experiment", "recall_length",
                          "--quick", "--no-cache", "--out", str(tmp_path / "r.png"),
                          "--save", str(out)], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    saved = experiments.Result.from_json(out.read_text())
    assert saved.name == "recall_length" and saved.size == "quick"


def test_saving_into_a_missing_folder_is_one_line_before_computing(tmp_path):
    run = subprocess.run([sys.executable, "-m", "bptt_book", "experiment", "recall_length",
                          "--quick", "--save", str(tmp_path / "nowhere" / "r.json")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "--save" in run.stderr
    assert "computing" not in run.stderr
