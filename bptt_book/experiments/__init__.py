"""The experiments of chapters 7 to 9: long-range dependencies, their remedies and the gated
cells, by training.

Each experiment is one record (:class:`~bptt_book.experiments.record.Experiment`) in
:data:`EXPERIMENTS`: its settings schema, how it runs, its table and its figure.  It reads
its settings from ``bptt_book/conf/experiments.toml`` (checked by :mod:`bptt_book.config`
against the record's schema), runs from a seed, and returns a
:class:`~bptt_book.experiments.record.Result` whose figure :func:`plot` draws.  Settings
come in three sizes: ``"full"`` (the table itself), ``"book"`` (the figure in the book) and
``"quick"`` (seconds: the tests).  From the command line::

    python -m bptt_book experiment --list
    python -m bptt_book experiment remedies --quick --out remedies.png

The modules: :mod:`~bptt_book.experiments.grid` (the training sweeps),
:mod:`~bptt_book.experiments.gated_jacobian`, :mod:`~bptt_book.experiments.plots` (the
sweeps' figures), :mod:`~bptt_book.experiments.reach` (the table and figure of
``gated_reach``), :mod:`~bptt_book.experiments.cache` and
:mod:`~bptt_book.experiments.progress`, :mod:`~bptt_book.experiments.record`, and
:mod:`~bptt_book.experiments.parallel` (an experiment's units over several processes).  A
new experiment is a new record in :data:`EXPERIMENTS`.

>>> from bptt_book import experiments
>>> sorted(experiments.EXPERIMENTS)
['agreement', 'gated_jacobian', 'gated_length', 'gated_reach', 'recall_length', 'remedies',
 'truncation', 'truncation_schemes']
>>> result = experiments.run("recall_length", size="quick")
>>> print(experiments.table(result))
method     L  K  success  mean accuracy  mean epochs
baseline   2  -      1/1          1.000          5.0
baseline  10  -      0/1          0.240          8.0
"""

import json
import os
import time
from importlib.resources import files

from .. import config
from . import cache as _cache
from . import gated_jacobian, grid, parallel, plots, reach
from .grid import METHOD_DEFAULTS, fit
from .progress import Progress, lines_to, main_progress, silent
from .record import Experiment, Result

__all__ = ["EXPERIMENTS", "METHOD_DEFAULTS", "SETTINGS", "SIZES", "Experiment", "Progress",
           "Result", "cache_dir", "cache_key", "cache_path", "fit", "main_progress", "plot",
           "recorded", "run", "settings", "table"]

#: The sizes of the settings, from seconds (the tests) to minutes (the command line).
SIZES = ("quick", "book", "full")


def _training(name, about, plot):
    return Experiment(name, about, grid.SCHEMA, grid.run, grid.units, "training runs",
                      grid.table, plot)


#: name -> the experiment's record
EXPERIMENTS = {e.name: e for e in (
    _training("recall_length", "success of a tanh RNN against the dependency length L",
              plots.lengths),
    _training("truncation", "truncated BPTT: K < L against K >= L", plots.truncation),
    _training("truncation_schemes", "the four truncation schemes of bb.bptt at K < L, K = L "
              "and K = L + 1", plots.schemes),
    _training("remedies", "initialisation, relu, clipping and Pascanu's regulariser "
              "against the baseline", plots.lengths),
    _training("agreement", "subject-verb agreement across a relative clause", plots.lengths),
    _training("gated_length", "success of the tanh RNN, the GRU and the LSTM against the "
              "dependency length L (chapter 9)", plots.lengths),
    Experiment("gated_reach", "the share of the answer's gradient that reaches the first "
               "token during training, RNN, GRU and LSTMs with forget biases 0, 1, 3 "
               "(chapter 9)", grid.SCHEMA, grid.run, grid.units, "training runs",
               reach.table, reach.plot),
    Experiment("gated_jacobian", "||ds_t/ds_k|| of GRUs and LSTMs against a tanh RNN on the "
               "same words", gated_jacobian.SCHEMA, gated_jacobian.run, gated_jacobian.units,
               "curves", gated_jacobian.table, gated_jacobian.plot),
)}


def _sized(schema):
    """A record's schema with its optional ``[NAME.quick]`` and ``[NAME.book]`` overrides."""
    overrides = {size: (config.table_of(schema, f"{size} overrides", required=False), False)
                 for size in ("quick", "book")}
    return {**schema, **overrides}


#: The tables of ``experiments.toml``, read by :func:`bptt_book.config.load`: one per
#: experiment, each with optional ``[NAME.quick]`` and ``[NAME.book]`` overrides.
SETTINGS = {"experiments": {name: _sized(e.schema) for name, e in EXPERIMENTS.items()}}


def _plain(value):
    """Settings as plain dicts and lists (``config.load`` returns read-only mappings)."""
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _record(name):
    if not isinstance(name, str) or name not in EXPERIMENTS:
        raise ValueError(f"no experiment {name!r}; known: {sorted(EXPERIMENTS)}")
    return EXPERIMENTS[name]


def settings(name, size="full"):
    """The settings of experiment ``name`` at ``size``: its table of
    ``bptt_book/conf/experiments.toml`` with the keys of its ``[name.book]`` or
    ``[name.quick]`` sub-table put over it."""
    _record(name)
    if size not in SIZES:
        raise ValueError(f"size must be one of {list(SIZES)}; got {size!r}")
    values = _plain(config.load("experiments")[name])
    overrides = {s: values.pop(s, {}) for s in ("quick", "book")}
    if size != "full":
        values.update(overrides[size])
    return values


def cache_dir():
    """Where cached results live: ``$BPTT_BOOK_CACHE``, else ``~/.cache/bptt_book``."""
    return _cache.directory()


def cache_key(name, values):
    """A hash of the experiment, its settings and the code that runs it.

    Changing a setting, or the code of the module that runs the experiment or of any module
    of the package it imports, or a settings file, gives a new key
    (:mod:`bptt_book.experiments.cache`).  A new NumPy or BLAS can still change the numbers
    of a chaotic run without changing the key.
    """
    return _cache.key(name, values, (_record(name).source, _cache.__name__))


def cache_path(name, size="full", values=None, folder=None):
    """The file :func:`run` keeps the result of ``name`` at ``size`` in (``folder``
    defaults to :func:`cache_dir`)."""
    if values is None:
        values = settings(name, size)
    return _cache.path(name, size, cache_key(name, values), folder)


def _progress(progress):
    if progress is None:
        return Progress()
    if progress is False:
        return silent
    if isinstance(progress, Progress):
        return progress
    if callable(progress):
        return lines_to(progress)
    raise TypeError("progress must be None, False, a Progress or a function of one line; "
                    f"got {progress!r}")


def run(name, *, size="full", values=None, cache=False, progress=None, verbose=False,
        workers=None):
    """Run experiment ``name`` at ``size`` (or with the settings ``values``).

    ``cache=True`` keeps the result in :func:`cache_dir` (a path chooses another folder),
    keyed by :func:`cache_key`, and reads it back instead of running again; a new result
    replaces those of the same experiment and size made with other settings or code.

    While it computes, ``progress=None`` prints one line saying what it computes and where
    it caches, then a progress bar with the time left (both on stderr); ``False`` shows
    nothing; a :class:`~bptt_book.experiments.progress.Progress` chooses; a function
    receives one line per finished unit (a training run, a curve) and nothing else is
    shown.  ``verbose=True`` also prints a line per epoch to stderr.

    ``workers`` is how many processes compute the experiment's independent units (None:
    ``$BPTT_BOOK_WORKERS``, else every available CPU; see
    :mod:`~bptt_book.experiments.parallel`).  The result is the same for any number.
    """
    record = _record(name)
    if values is None:
        values = settings(name, size)
    else:
        if not isinstance(values, dict):
            raise TypeError(f"values must be a dict of settings; got {type(values).__name__}")
        missing = sorted(set(settings(name, size)) - set(values))
        if missing:
            raise ValueError(f"values for {name!r} lack the settings {missing}; start from "
                             f"experiments.settings({name!r}, {size!r}) and change keys")
    if not isinstance(cache, bool | str | os.PathLike):
        raise TypeError(f"cache must be True, False or a folder; got {cache!r}")
    show = _progress(progress)
    workers = parallel.worker_count(workers)  # checked (and $BPTT_BOOK_WORKERS) up front
    path = None
    if cache:
        path = cache_path(name, size, values, None if isinstance(cache, bool) else cache)
        kept = _cache.read(path)
        if kept is not None:
            return kept
    start = time.perf_counter()
    with show(name, size, record.units(values), record.unit, path) as report, \
            parallel.using(workers):
        data = record.run(values, report, verbose)
    result = Result(name, size, values, data, round(time.perf_counter() - start, 3))
    if path is not None:
        _cache.write(path, result)
    return result


#: Where the package keeps full-size results recorded from the command line (outputs, not
#: inputs: the cache key does not hash them).
RECORDED = "recorded"


def recorded(name):
    """The full-size result of experiment ``name`` as it was recorded, for the numbers the book
    quotes from runs too long to repeat at every build.

    A record is the file ``bptt_book/experiments/recorded/NAME-full.json``, written by
    ``python -m bptt_book experiment NAME --save bptt_book/experiments/recorded/NAME-full.json``.
    ``ValueError`` when ``name`` has none, or when the settings it was made with are no
    longer the full settings of ``bptt_book/conf/experiments.toml`` (record it again).
    """
    _record(name)
    file = files(__package__) / RECORDED / f"{name}-full.json"
    if not file.is_file():
        raise ValueError(f"no recorded full-size result of {name!r}; record one with "
                         f"`python -m bptt_book experiment {name} --save {RECORDED}/...`")
    result = Result.from_json(file.read_text(encoding="utf-8"))
    current = json.loads(json.dumps(settings(name, "full")))
    if result.name != name or result.size != "full" or result.settings != current:
        raise ValueError(f"the recorded result of {name!r} was made with other settings than "
                         f"today's full size; record it again with `python -m bptt_book "
                         f"experiment {name} --save ...`")
    return result


def table(result):
    """The numbers behind a figure, as text."""
    return EXPERIMENTS[result.name].table(result)


def plot(result, fig=None):
    """Draw ``result`` on the matplotlib figure ``fig`` (a new one by default); return it.

    matplotlib is imported here, never when the package is imported.
    """
    return EXPERIMENTS[result.name].plot(result, fig)
