"""The book's settings: TOML files in ``conf/``, read with :mod:`tomllib` and checked.

Every table and key is checked against the rules below; a file that breaks one raises
:class:`ConfigError` (a ``ValueError``) naming the file, the table and the key.

>>> from bptt_book import config
>>> tutorial = config.load("models")["tutorial"]
>>> tutorial["word_dim"], tutorial["hidden_dim"], tutorial["bptt_truncate"]
(8000, 100, 4)
"""

import tomllib
from pathlib import Path
from types import MappingProxyType

from .generated.activations import ACTIVATIONS

_HERE = Path(__file__).resolve().parent
#: Where the settings live: ``conf/`` of a source checkout, or the copy in an installed wheel.
CONF_DIR = _HERE.parent / "conf" if (_HERE.parent / "conf").is_dir() else _HERE / "_conf"


class ConfigError(ValueError):
    """A settings file is missing, malformed, or breaks a rule."""


def _int(low):
    def rule(v):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            return f"an integer >= {low}"
    return rule


def _ints(low):
    def rule(v):
        if not isinstance(v, list) or not v or _int(low)(v[0]) or any(_int(low)(i) for i in v):
            return f"a non-empty list of integers >= {low}"
    return rule


def _one_of(choices):
    def rule(v):
        if not isinstance(v, str) or v not in choices:
            return f"one of {sorted(choices)}"
    return rule


def _text(v):
    if not isinstance(v, str) or not v:
        return "a non-empty string"


def _number(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return "a number"


_MODEL = {
    "word_dim": (_int(1), True),
    "hidden_dim": (_int(1), True),
    "bptt_truncate": (_int(0), True),
    "activation": (_one_of(set(ACTIVATIONS)), True),
    "seed": (_int(0), True),
    "x": (_ints(0), False),
    "y": (_ints(0), False),
}


def _positive(v):
    if _number(v) or not 0 < v < float("inf"):
        return "a positive finite number"


def _positives(v):
    if not isinstance(v, list) or not v or any(_positive(i) for i in v):
        return "a non-empty list of positive finite numbers"


def _names(choices):
    def rule(v):
        if (not isinstance(v, list) or not v or len(set(map(repr, v))) != len(v)
                or any(not isinstance(i, str) or i not in choices for i in v)):
            return f"a non-empty list of distinct names from {sorted(choices)}"
    return rule


# conf/vanishing.toml: the figures and runs of chapters 5 and 6 (table -> key -> rule).
# `scale` is sigma_max(W) in units of 1/gamma; `model` names a table of conf/models.toml.
_VANISHING = {
    "jacobian_norms": {
        "model": (_text, True),
        "length": (_int(2), True),
        "seed": (_int(0), True),
        "scales": (_positives, True),
        "activations": (_names(set(ACTIVATIONS)), True),
    },
    "contributions": {
        "model": (_text, True),
        "length": (_int(2), True),
        "seed": (_int(0), True),
        "scales": (_positives, True),
        "activation": (_one_of(set(ACTIVATIONS)), True),
    },
    "gradient_growth": {
        "model": (_text, True),
        "lengths": (_ints(1), True),
        "seed": (_int(0), True),
        "scales": (_positives, True),
        "activation": (_one_of(set(ACTIVATIONS)), True),
    },
    "clipping": {
        "word_dim": (_int(2), True),
        "hidden_dim": (_int(1), True),
        "pattern": (_int(1), True),
        "length": (_int(2), True),
        "seed": (_int(0), True),
        "scale": (_positive, True),
        "learning_rate": (_positive, True),
        "steps": (_int(1), True),
        "threshold": (_positive, True),
        "thresholds": (_positives, True),
        "activation": (_one_of(set(ACTIVATIONS)), True),
    },
}

# conf/experiments.toml: the training experiments of chapter 7 (bptt_book.experiments).
# A table may carry [NAME.quick] and [NAME.book] sub-tables that override some of its keys
# (checked by the same rules); a training table's [NAME.methods.M] sub-tables describe
# methods, each a label and the settings it changes.
def _experiment_rules():
    def share(v):
        if _number(v) or not 0 < v <= 1:
            return "a number in (0, 1]"

    def non_negative(v):
        if _number(v) or not 0 <= v < float("inf"):
            return "a non-negative finite number"

    def numbers(v):
        if (not isinstance(v, list) or not v
                or any(_number(i) or not abs(i) < float("inf") for i in v)):
            return "a non-empty list of finite numbers"

    def nested(schema, what, *, required=True):
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
        return rule

    method = {
        "label": (_text, True),
        "activation": (_one_of(set(ACTIVATIONS)), False),
        "init": (_one_of({"tutorial", "orthogonal", "identity"}), False),
        "scale": (_positive, False),
        "input_scale": (_positive, False),
        "clip": (_positive, False),
        "omega_weight": (non_negative, False),
        "learning_rate": (_positive, False),
        "class_inputs": (_one_of({"random", "zero"}), False),
    }
    one_method = nested(method, "method settings")

    def methods(v):
        if not isinstance(v, dict) or not v:
            return "a non-empty table of methods, one sub-table each"
        for name, m in v.items():
            problem = one_method(m)
            if problem:
                return f"a table of methods; [methods.{name}] must be {problem}"

    training = {
        "task": (_one_of({"recall", "agreement"}), True),
        "lengths": (_ints(1), True),
        "truncations": (_ints(0), False),
        "runs": (_int(1), True),
        "seed": (_int(0), True),
        "classes": (_int(2), False),
        "distractors": (_int(1), False),
        "hidden_dim": (_int(1), True),
        "train_size": (_int(1), True),
        "test_size": (_int(1), True),
        "batch_size": (_int(1), True),
        "epochs": (_int(1), True),
        "learning_rate": (_positive, True),
        "success": (share, True),
        "methods": (methods, True),
    }
    gru_jacobian = {
        "word_dim": (_int(2), True),
        "hidden_dim": (_int(1), True),
        "length": (_int(2), True),
        "seed": (_int(0), True),
        "update_biases": (numbers, True),
    }

    def sized(schema):
        sizes = {size: (nested(schema, f"{size} overrides", required=False), False)
                 for size in ("quick", "book")}
        return {**schema, **sizes}

    return {
        "recall_length": sized(training),
        "truncation": sized(training),
        "remedies": sized(training),
        "agreement": sized(training),
        "gru_jacobian": sized(gru_jacobian),
    }


_EXPERIMENTS = _experiment_rules()

#: file name -> table name (or "*" for any table) -> key -> (rule, required)
SCHEMAS = {
    "models": {"*": _MODEL},
    "vanishing": _VANISHING,
    "experiments": _EXPERIMENTS,
    "figures": {
        "untrained_loss": {
            "word_dims": (_ints(2), True),
            "hidden_dim": (_int(1), True),
            "sentences": (_int(1), True),
            "length": (_int(1), True),
            "seed": (_int(0), True),
        },
        "hidden_states": {
            "model": (_text, True),
            "length": (_int(2), True),
            "seed": (_int(0), True),
            "activations": (_names(set(ACTIVATIONS)), True),
        },
    },
}


def _check_table(path, table, values, schema):
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [{table}] must be a table")
    for key in values:
        if key not in schema:
            raise ConfigError(f"{path}: [{table}] has unknown key {key!r}; "
                              f"allowed: {sorted(schema)}")
    for key, (rule, required) in schema.items():
        if key not in values:
            if required:
                raise ConfigError(f"{path}: [{table}] is missing key {key!r}")
            continue
        problem = rule(values[key])
        if problem:
            raise ConfigError(f"{path}: [{table}] {key} must be {problem}; "
                              f"got {values[key]!r}")


def load(name, directory=None):
    """Read ``conf/<name>.toml``, check every key, and return ``{table: settings}``.

    The result is read-only.  ``directory`` reads another folder (the tests use this).

    Raises
    ------
    ConfigError
        (a ``ValueError``) for an unknown settings name, a missing file, invalid TOML, an
        unknown or missing table or key, or a value that breaks its rule; the message
        names the file, the table and the key.
    """
    if name not in SCHEMAS:
        raise ConfigError(f"unknown settings file {name!r}; known: {sorted(SCHEMAS)}")
    path = Path(directory or CONF_DIR) / f"{name}.toml"
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: settings file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    schema = SCHEMAS[name]
    tables = {}
    for table, values in data.items():
        rules = schema.get(table, schema.get("*"))
        if rules is None:
            raise ConfigError(f"{path}: unknown table [{table}]; known: "
                              f"{sorted(k for k in schema if k != '*')}")
        _check_table(path, table, values, rules)
        if "x" in values or "y" in values:
            if len(values.get("x", ())) != len(values.get("y", ())):
                raise ConfigError(f"{path}: [{table}] x and y must have the same length")
            if max(values["x"] + values["y"]) >= values["word_dim"]:
                raise ConfigError(f"{path}: [{table}] x and y must be below word_dim")
        tables[table] = MappingProxyType(dict(values))
    for table in schema:
        if table != "*" and table not in tables:
            raise ConfigError(f"{path}: missing table [{table}]")
    return MappingProxyType(tables)


def model(name):
    """The settings of model ``name`` from ``conf/models.toml``."""
    models = load("models")
    if name not in models:
        raise ConfigError(f"no model [{name}] in {CONF_DIR / 'models.toml'}; "
                          f"known: {sorted(models)}")
    return models[name]
