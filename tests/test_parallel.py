"""Experiments' units over worker processes: the same results and lines for any number."""

import operator
import os
import subprocess
import sys

import pytest

from bptt_book import experiments
from bptt_book.experiments import parallel


def test_units_come_back_in_order_from_any_number_of_workers():
    arguments = [(b, e) for b in range(2, 6) for e in range(4)]
    expected = [b**e for b, e in arguments]
    for workers in (1, 2, 3):
        seen = []
        out = parallel.map_units(pow, arguments, lambda i, r, seen=seen: seen.append((i, r)),
                                 workers=workers)
        assert out == expected
        assert seen == list(enumerate(expected))


def test_an_error_of_a_unit_is_raised_as_it_is():
    with pytest.raises(ZeroDivisionError):
        parallel.map_units(operator.truediv, [(1, 2), (1, 0), (3, 4)], workers=2)
    # the pool is usable again afterwards
    assert parallel.map_units(operator.add, [(1, 2), (3, 4)], workers=2) == [3, 7]


def test_without_a_pool_the_units_are_computed_here(monkeypatch, capsys):
    def no_processes(count):
        raise OSError("no semaphores here")

    monkeypatch.setattr(parallel, "_pool", no_processes)
    seen = []
    out = parallel.map_units(pow, [(2, 1), (2, 2), (2, 3)], lambda i, r: seen.append(i),
                             workers=2)
    assert out == [2, 4, 8] and seen == [0, 1, 2]
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no worker processes (OSError: no semaphores here)" in err
    assert "computing the 3 remaining units in this process" in err


def test_the_number_of_workers(monkeypatch):
    monkeypatch.delenv(parallel.ENV, raising=False)
    assert parallel.worker_count() == parallel.available() >= 1
    monkeypatch.setenv(parallel.ENV, "3")
    assert parallel.worker_count() == 3
    with parallel.using(1):
        assert parallel.worker_count() == 1
        assert parallel.worker_count(2) == 2
    assert parallel.worker_count() == 3
    for bad in ("0", "two", "1.5", "-1"):
        monkeypatch.setenv(parallel.ENV, bad)
        with pytest.raises(ValueError, match=f"{parallel.ENV} must be a whole number >= 1"):
            parallel.worker_count()
    with pytest.raises(ValueError, match="workers must be"):
        parallel.worker_count(0)
    for bad in (True, 2.0, "2"):
        with pytest.raises(TypeError, match="workers must be"):
            parallel.worker_count(bad)


def test_a_training_experiment_is_the_same_for_one_and_two_workers():
    runs = {}
    for workers in (1, 2):
        lines = []
        result = experiments.run("remedies", size="quick", workers=workers,
                                 progress=lines.append)
        runs[workers] = result.data_without_times(), [line.rsplit(")", 1)[0]
                                                      for line in lines]
    assert runs[1] == runs[2]
    assert runs[1][1][0].startswith("[1/5] baseline L=6 run 1: accuracy")


def test_bad_workers_are_refused_before_computing(monkeypatch):
    def refuse(*args):
        raise AssertionError("computed with bad workers")

    monkeypatch.setitem(experiments.EXPERIMENTS["gated_jacobian"], "run", refuse)
    with pytest.raises(ValueError, match="workers must be"):
        experiments.run("gated_jacobian", size="quick", workers=0)
    monkeypatch.setenv(parallel.ENV, "many")
    with pytest.raises(ValueError, match=parallel.ENV):
        experiments.run("gated_jacobian", size="quick")


def test_the_command_line_takes_workers(tmp_path):
    def cli(*args, **env):
        return subprocess.run(
            [sys.executable, "-m", "bptt_book", "experiment", "truncation", "--quick",
             "--no-cache", *args], capture_output=True, text=True, timeout=300,
            env={**os.environ, "BPTT_BOOK_CACHE": str(tmp_path), "MPLBACKEND": "Agg", **env})

    bad = cli("--workers", "0")
    assert bad.returncode == 2 and "--workers" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    env_bad = cli(**{parallel.ENV: "x"})
    assert env_bad.returncode == 1 and parallel.ENV in env_bad.stderr
    assert len(env_bad.stderr.strip().splitlines()) == 1
    one, two = cli("--workers", "1", "--out", str(tmp_path / "a.png")), cli(
        "--workers", "2", "--out", str(tmp_path / "b.png"))
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert one.stdout.splitlines()[:5] == two.stdout.splitlines()[:5]  # the table
