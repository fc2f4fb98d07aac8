"""The book's settings: TOML files inside the package, read with ``tomllib`` and checked.

The files live in ``bptt_book/conf/`` and are read with ``importlib.resources.files``, so
an installed package finds exactly its own copy whatever else lies on ``sys.path`` or in the
current folder.  Each file's tables are declared by the module that owns them, in its
``SETTINGS`` mapping ``{file: {table: {key: (rule, required)}}}`` (``"*"`` for a table of
any name), and checks that tie keys of a table together in its ``CHECKS`` mapping
``{file: check}``; ``OWNERS`` says which module that is.  A rule is a function that
returns ``None`` for a good value and otherwise what the value must be; the rules below are
the vocabulary, and their choices are read from the modules that own them (the activation
table of :mod:`bptt_book.generated`, :data:`bptt_book.training.INITS`,
:data:`bptt_book.tasks.TASKS`, ...).  A file that breaks a rule raises :class:`ConfigError`
(a ``ValueError``) naming the file, the table and the key.

>>> from bptt_book import config
>>> tutorial = config.load("models")["tutorial"]
>>> tutorial["word_dim"], tutorial["hidden_dim"], tutorial["bptt_truncate"]
(8000, 100, 4)
"""

import importlib
import tomllib
from collections.abc import Callable, Collection, Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .generated.activations import ACTIVATIONS

#: Where the settings live: the folder ``conf`` inside the installed package.
CONF_DIR: Traversable = files("bptt_book") / "conf"

#: settings file -> the module whose ``SETTINGS`` declares its tables (imported when read)
OWNERS = {
    "models": "bptt_book.config",
    "figures": "bptt_book.config",
    "vanishing": "bptt_book.vanishing",
    "experiments": "bptt_book.experiments",
}

#: A rule: ``None`` for a good value, else the words "must be ..." ends with.
Rule = Callable[[Any], str | None]


class ConfigError(ValueError):
    """A settings file is missing, malformed, or breaks a rule."""


# ------------------------------------------------------------------------------------ rules


def _is_number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, int | float)


def integer(low: int) -> Rule:
    """An integer ``>= low`` (booleans are not integers here)."""
    def rule(v):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            return f"an integer >= {low}"
    return rule


def integers(low: int) -> Rule:
    """A non-empty list of integers ``>= low``."""
    one = integer(low)

    def rule(v):
        if not isinstance(v, list) or not v or any(one(i) for i in v):
            return f"a non-empty list of integers >= {low}"
    return rule


def one_of(choices: Collection[str]) -> Rule:
    """One of the names in ``choices`` (read from the module that owns them)."""
    def rule(v):
        if not isinstance(v, str) or v not in choices:
            return f"one of {sorted(choices)}"
    return rule


def names(choices: Collection[str]) -> Rule:
    """A non-empty list of distinct names from ``choices``."""
    def rule(v):
        if (not isinstance(v, list) or not v or len(set(map(repr, v))) != len(v)
                or any(not isinstance(i, str) or i not in choices for i in v)):
            return f"a non-empty list of distinct names from {sorted(choices)}"
    return rule


def text(v: Any) -> str | None:
    """A non-empty string."""
    if not isinstance(v, str) or not v:
        return "a non-empty string"
    return None


def positive(v: Any) -> str | None:
    """A finite number > 0."""
    if not _is_number(v) or not 0 < v < float("inf"):
        return "a positive finite number"
    return None


def positives(v: Any) -> str | None:
    """A non-empty list of finite numbers > 0."""
    if not isinstance(v, list) or not v or any(positive(i) for i in v):
        return "a non-empty list of positive finite numbers"
    return None


def non_negative(v: Any) -> str | None:
    """A finite number >= 0."""
    if not _is_number(v) or not 0 <= v < float("inf"):
        return "a non-negative finite number"
    return None


def share(v: Any) -> str | None:
    """A number in (0, 1]."""
    if not _is_number(v) or not 0 < v <= 1:
        return "a number in (0, 1]"
    return None


def numbers(v: Any) -> str | None:
    """A non-empty list of finite numbers."""
    if not isinstance(v, list) or not v or any(
            not _is_number(i) or not abs(i) < float("inf") for i in v):
        return "a non-empty list of finite numbers"
    return None


def table_of(schema: Mapping[str, tuple[Rule, bool]], what: str, *,
             required: bool = True) -> Rule:
    """A sub-table whose keys follow ``schema``; ``required=False`` lets it leave out keys
    that ``schema`` requires (a table of overrides)."""
    def rule(v):
        if not isinstance(v, dict):
            return f"a table of {what}"
        for key, value in v.items():
            if key not in schema:
                return f"a table of {what} with keys from {sorted(schema)} (not {key!r})"
            problem = schema[key][0](value)
            if problem:
                return f"a table of {what} whose {key} is {problem} (not {value!r})"
        missing = [k for k, (_, needed) in schema.items() if needed and k not in v]
        if required and missing:
            return f"a table of {what} with {missing[0]!r}"
        return None
    return rule


ACTIVATION = one_of(ACTIVATIONS)
ACTIVATION_NAMES = names(ACTIVATIONS)


# ------------------------------------------------------- the settings this module owns

def _same_length_and_in_range(values: Mapping) -> str | None:
    if "x" in values or "y" in values:
        if len(values.get("x", ())) != len(values.get("y", ())):
            return "x and y must have the same length"
        if max(values["x"] + values["y"]) >= values["word_dim"]:
            return "x and y must be below word_dim"
    return None


#: Checks that tie keys of one table together: settings file -> check(values) -> problem.
CHECKS = {"models": _same_length_and_in_range}

_MODEL = {
    "word_dim": (integer(1), True),
    "hidden_dim": (integer(1), True),
    "bptt_truncate": (integer(0), True),
    "activation": (ACTIVATION, True),
    "seed": (integer(0), True),
    "x": (integers(0), False),
    "y": (integers(0), False),
}

# Chapter 1's figures are drawn by code on the book's pages, so this module declares their
# settings; the schema belongs beside the figure functions once the package draws them.
_FIGURES = {
    "untrained_loss": {
        "word_dims": (integers(2), True),
        "hidden_dim": (integer(1), True),
        "sentences": (integer(1), True),
        "length": (integer(1), True),
        "seed": (integer(0), True),
    },
    "hidden_states": {
        "model": (text, True),
        "length": (integer(2), True),
        "seed": (integer(0), True),
        "activations": (ACTIVATION_NAMES, True),
    },
}

#: The tables of the files this module owns (``models.toml``, ``figures.toml``).
SETTINGS = {"models": {"*": _MODEL}, "figures": _FIGURES}


# ----------------------------------------------------------------------------- loading


def _owner(name: str):
    if not isinstance(name, str) or name not in OWNERS:
        raise ConfigError(f"unknown settings file {name!r}; known: {sorted(OWNERS)}")
    return importlib.import_module(OWNERS[name])


def schema(name: str) -> Mapping:
    """The tables of settings file ``name`` as the module that owns it declares them."""
    return _owner(name).SETTINGS[name]


def _check_table(path, table, values, rules):
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [{table}] must be a table")
    for key in values:
        if key not in rules:
            raise ConfigError(f"{path}: [{table}] has unknown key {key!r}; "
                              f"allowed: {sorted(rules)}")
    for key, (rule, required) in rules.items():
        if key not in values:
            if required:
                raise ConfigError(f"{path}: [{table}] is missing key {key!r}")
            continue
        problem = rule(values[key])
        if problem:
            raise ConfigError(f"{path}: [{table}] {key} must be {problem}; "
                              f"got {values[key]!r}")


def load(name: str, directory: str | PathLike | None = None) -> Mapping[str, Mapping[str, Any]]:
    """Read ``bptt_book/conf/<name>.toml``, check every key, and return ``{table: settings}``.

    The result is read-only.  ``directory`` reads another folder (the tests use this).

    Raises
    ------
    ConfigError
        (a ``ValueError``) for an unknown settings name, a missing file, invalid TOML, an
        unknown or missing table or key, or a value that breaks its rule; the message
        names the file, the table and the key.
    """
    tables_schema = schema(name)
    folder = CONF_DIR if directory is None else directory
    path = (Path(folder) if isinstance(folder, str | PathLike) else folder) / f"{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: settings file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    check = getattr(_owner(name), "CHECKS", {}).get(name)
    tables = {}
    for table, values in data.items():
        rules = tables_schema.get(table, tables_schema.get("*"))
        if rules is None:
            raise ConfigError(f"{path}: unknown table [{table}]; known: "
                              f"{sorted(k for k in tables_schema if k != '*')}")
        _check_table(path, table, values, rules)
        problem = check and check(values)
        if problem:
            raise ConfigError(f"{path}: [{table}] {problem}")
        tables[table] = MappingProxyType(dict(values))
    for table in tables_schema:
        if table != "*" and table not in tables:
            raise ConfigError(f"{path}: missing table [{table}]")
    return MappingProxyType(tables)


def model(name: str) -> Mapping[str, Any]:
    """The settings of model ``name`` from ``bptt_book/conf/models.toml``."""
    models = load("models")
    if name not in models:
        raise ConfigError(f"no model [{name}] in {CONF_DIR / 'models.toml'}; "
                          f"known: {sorted(models)}")
    return models[name]
