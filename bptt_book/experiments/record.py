"""What an experiment is (:class:`Experiment`) and what running it gives (:class:`Result`)."""

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Result:
    """What an experiment produced: its settings, its numbers, and how long it took."""

    name: str
    size: str
    settings: dict
    data: dict
    seconds: float

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Result":
        return cls(**json.loads(text))

    def data_without_times(self) -> dict:
        """A copy of ``data`` without the wall-clock times (every ``"seconds"`` entry),
        which vary from run to run: two runs of the same settings agree on the rest exactly,
        whatever the number of worker processes."""
        return _without_times(self.data)


def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


@dataclass(eq=False, repr=False)
class Experiment(Mapping):
    """One experiment of the book: everything about it in one record.

    ``schema``: its keys in ``bptt_book/conf/experiments.toml`` (``{key: (rule, required)}``,
    see :mod:`bptt_book.config`); ``run(values, report, verbose)``: computes the result's data
    from the settings, calling ``report(line)`` once per finished unit;
    ``units``: how many units of work (``unit``: "training runs", ...) the settings ask for,
    one ``report`` each; ``table`` and ``plot``: show a :class:`Result`.  The cache key
    hashes the code of the module that ``run`` comes from and everything it imports.

    A record also reads as the dict it used to be: ``EXPERIMENTS[name]["about"]``.
    """

    name: str
    about: str
    schema: Mapping[str, tuple[Callable, bool]]
    run: Callable[[dict, Callable[[str], None], bool], dict]
    units: Callable[[dict], int]
    unit: str
    table: Callable[[Result], str]
    plot: Callable[..., Any]
    source: str = field(init=False)

    def __post_init__(self):
        self.source = self.run.__module__

    def __repr__(self) -> str:
        return f"<experiment {self.name}: {self.about}>"

    def __getitem__(self, key: str) -> Any:
        if key not in _FIELDS:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        self[key]  # only the record's own fields
        setattr(self, key, value)

    def __iter__(self) -> Iterator[str]:
        return iter(_FIELDS)

    def __len__(self) -> int:
        return len(_FIELDS)


_FIELDS = tuple(f.name for f in fields(Experiment))
