"""How long work reports itself: one line saying what is computed and where it is cached,
then a progress bar with the time left (tqdm) on stderr."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class Progress:
    """What :func:`bptt_book.experiments.run` shows while it computes (a result read from
    the cache shows nothing).

    ``bar``: a tqdm bar on ``stream`` (default: stderr) with the units done and an estimate
    of the time left; ``lines``: also one line per finished unit (a training run, a curve),
    written above the bar.  Either way a first line says what is computed and where the
    result will be cached.
    """

    def __init__(self, *, bar: bool = True, lines: bool = False, stream=None):
        self.bar, self.lines, self.stream = bar, lines, stream

    @contextmanager
    def __call__(self, name: str, size: str, total: int, unit: str,
                 cached_at: Path | None) -> Iterator[Callable[[str], None]]:
        from tqdm import tqdm

        stream = self.stream or sys.stderr
        where = f"cache: {cached_at}" if cached_at else "not cached"
        print(f"computing experiment {name} ({size} size, {total} {unit}), {where}",
              file=stream, flush=True)
        with tqdm(total=total, desc=name, unit=unit.split()[-1].rstrip("s"), file=stream,
                  disable=not self.bar, dynamic_ncols=True) as bar:
            def report(line: str) -> None:
                if self.lines:
                    bar.write(line, file=stream)
                bar.update()
            yield report


def lines_to(callback: Callable[[str], None]) -> Callable:
    """A progress that only hands ``callback`` one line per finished unit."""
    @contextmanager
    def progress(*args) -> Iterator[Callable[[str], None]]:
        yield callback
    return progress


@contextmanager
def silent(*args) -> Iterator[Callable[[str], None]]:
    """No progress at all."""
    yield lambda line: None


def main_progress(line: str) -> None:
    """The command line's progress report: one line to stderr."""
    print(line, file=sys.stderr, flush=True)
