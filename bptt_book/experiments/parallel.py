"""An experiment's independent units (training runs, curves) spread over worker processes.

:func:`map_units` computes ``function(*arguments)`` for every tuple of a list, in up to
:func:`worker_count` processes of a ``concurrent.futures.ProcessPoolExecutor``, and hands
each result back **in the order of the list**, as soon as it and every unit before it are
done.  Every unit draws its randomness from its own seeds, so the results, and the order in
which progress is reported, are the same for any number of workers.

How many workers: the ``workers`` argument of :func:`bptt_book.experiments.run` (or of
:func:`using`), else the environment variable ``BPTT_BOOK_WORKERS``, else the number of CPUs
this process may run on.  One worker computes in the calling process, without a pool.  When
no pool can be started (a platform without process semaphores, a sandbox that forbids new
processes) or it breaks, the units not yet done are computed in the calling process, after
one line on stderr says so.

Workers are started with ``spawn`` on every platform: a fresh interpreter that imports the
package, never a ``fork`` of a process that may hold threads (a progress bar's, a notebook
kernel's).  As with every spawned pool, a worker imports the main script again, so a script
that runs an experiment must do it under ``if __name__ == "__main__":``; a main script that
cannot be imported again (read from stdin) computes in its own process.  Set
``OMP_NUM_THREADS=1`` (tox does) so that the workers do not also compete for the cores
through BLAS threads.

>>> from bptt_book.experiments import parallel
>>> with parallel.using(1):
...     parallel.map_units(pow, [(2, 3), (3, 2)])
[8, 9]
"""

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: The environment variable that sets the number of worker processes.
ENV = "BPTT_BOOK_WORKERS"

_chosen: ContextVar[int | None] = ContextVar("workers", default=None)


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number >= 1; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a whole number >= 1; got {value}")
    return value


def available() -> int:
    """The number of CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def worker_count(value: int | None = None) -> int:
    """The number of worker processes: ``value``, else the one chosen by :func:`using`,
    else ``$BPTT_BOOK_WORKERS``, else :func:`available`.

    ``TypeError``/``ValueError`` for a ``value`` that is not a whole number >= 1;
    ``ValueError`` naming the variable for a ``BPTT_BOOK_WORKERS`` that is not one.
    """
    if value is not None:
        return _count(value, "workers")
    chosen = _chosen.get()
    if chosen is not None:
        return chosen
    text = os.environ.get(ENV, "").strip()
    if not text:
        return available()
    try:
        return _count(int(text), ENV)
    except (TypeError, ValueError):
        raise ValueError(f"the environment variable {ENV} must be a whole number >= 1; "
                         f"got {text!r}") from None


@contextmanager
def using(value: int | None) -> Iterator[None]:
    """Compute with ``value`` workers inside the ``with`` block (None: the default)."""
    token = _chosen.set(None if value is None else _count(value, "workers"))
    try:
        yield
    finally:
        _chosen.reset(token)


def _main_importable() -> bool:
    """False when a spawned worker could not import the main script again (``python -``)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return getattr(main, "__spec__", None) is not None or path is None or os.path.isfile(path)


def _quiet_worker() -> None:
    """Workers leave Ctrl-C to the calling process, which stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# The pool of worker processes, kept between experiments (spawning the workers costs about a
# second, each imports NumPy and the package, and the book build runs several experiments).
_kept: dict = {}


def _pool(count: int) -> ProcessPoolExecutor:
    """A pool of ``count`` workers, the one kept from before when it has that size."""
    pool = _kept.get(count)
    if pool is None:
        _discard()
        pool = _kept[count] = ProcessPoolExecutor(
            count, mp_context=multiprocessing.get_context("spawn"), initializer=_quiet_worker)
    return pool


def _discard(stop: bool = False) -> None:
    """Shut the kept pool down; ``stop=True`` also cancels what has not started and ends
    the workers now rather than after their unit (Ctrl-C, a failure)."""
    for pool in _kept.values():
        pool.shutdown(wait=not stop, cancel_futures=True)
        if stop:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
    _kept.clear()


def map_units(function: Callable, arguments: Sequence[tuple], done: Callable | None = None,
              *, workers: int | None = None) -> list:
    """``[function(*a) for a in arguments]``, computed by up to ``workers`` processes.

    ``done(index, result)`` is called for every unit in the order of ``arguments``, as soon
    as that unit and all before it are finished.  ``function`` must be importable by name
    (a module-level function, or a ``functools.partial`` of one) and its arguments and
    result picklable.  An exception raised by ``function`` is raised here.
    """
    arguments = list(arguments)
    count = min(worker_count(workers), len(arguments)) if _main_importable() else 1
    results: list = []
    if count > 1:
        try:
            _in_pool(function, arguments, done, count, results)
        except _NoPool as error:
            print(f"bptt_book: no worker processes ({error}); computing the "
                  f"{len(arguments) - len(results)} remaining units in this process",
                  file=sys.stderr, flush=True)
    for index in range(len(results), len(arguments)):
        results.append(function(*arguments[index]))
        if done is not None:
            done(index, results[index])
    return results


class _NoPool(Exception):
    """The pool could not start, or it broke (a worker died)."""


def _in_pool(function, arguments, done, count, results) -> None:
    """Fill ``results`` in order from a pool of ``count`` processes (see :func:`map_units`).
    When the pool cannot start or breaks, ``results`` keeps the units finished before and
    :class:`_NoPool` is raised; an exception of ``function`` itself is raised as it is."""
    try:
        pool = _pool(count)
        futures = [pool.submit(function, *a) for a in arguments]  # starts the workers
    except (OSError, NotImplementedError, BrokenProcessPool) as error:
        _discard(stop=True)
        raise _NoPool(f"{type(error).__name__}: {error}") from None
    try:
        for index, future in enumerate(futures):
            try:
                results.append(future.result())
            except BrokenProcessPool as error:
                raise _NoPool(f"{type(error).__name__}: {error}") from None
            if done is not None:
                done(index, results[index])
    except BaseException:
        _discard(stop=True)
        raise
