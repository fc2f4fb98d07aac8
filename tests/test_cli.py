"""``python -m bptt_book``: help, generate --check, info, gradcheck."""

import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "bptt_book", *args],
                          capture_output=True, text=True, timeout=300)


def test_help_lists_the_subcommands():
    done = run("--help")
    assert done.returncode == 0
    for word in ("generate", "info", "gradcheck"):
        assert word in done.stdout


def test_no_subcommand_is_an_error():
    done = run()
    assert done.returncode == 2 and "COMMAND" in done.stderr


def test_generate_check_passes_on_the_committed_module():
    done = run("generate", "--check")
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout


def test_info_shows_the_tutorial_model():
    done = run("info")
    assert done.returncode == 0
    assert "D = 8000 words, H = 100 hidden units, 1,610,000 parameters" in done.stdout


def test_gradcheck_passes():
    done = run("gradcheck")
    assert done.returncode == 0, done.stdout
    assert "passed" in done.stdout
