"""The cells the package runs, found from their parameters (NumPy only).

Each cell is a module of :mod:`bptt_book.generated` -- printed from its description in
:mod:`bptt_book.derivation.cells` -- with the same functions (``forward``, ``backward``,
``step_jacobians``) and its own parameter tuple (``Params`` for the plain RNN, ``GRUParams``,
``LSTMParams``).  The public functions look the cell up by the type of the parameters they are
given, so ``bb.bptt`` works for every cell.  A reader's own cell joins the table when
:func:`bptt_book.derivation.generate.compile_cell` prints it.

>>> from bptt_book import cells
>>> [name for name in cells.names() if name in ("rnn", "gru", "lstm")]
['rnn', 'gru', 'lstm']
>>> cells.by_name("gru").PARAMS.__name__
'GRUParams'
"""

from collections.abc import Iterator
from types import ModuleType
from typing import Protocol

import numpy as np

from .generated import CELLS as _BUILT_IN


class CellParams(Protocol):
    """What every cell's parameter tuple (and gradient tuple) offers: a named tuple of arrays
    with at least ``U``, ``V`` and ``W`` (the gated cells add ``bU`` and ``bW``)."""

    @property
    def _fields(self) -> tuple[str, ...]: ...

    @property
    def U(self) -> np.ndarray: ...

    @property
    def V(self) -> np.ndarray: ...

    @property
    def W(self) -> np.ndarray: ...

    def __iter__(self) -> Iterator[np.ndarray]: ...

    def __len__(self) -> int: ...

_BY_NAME: dict[str, ModuleType] = {}
_BY_TYPE: dict[type, ModuleType] = {}


def register(module: ModuleType) -> ModuleType:
    """Make the cell module ``module`` known by its name and its parameter type."""
    _BY_NAME[module.NAME] = module
    _BY_TYPE[module.PARAMS] = module
    return module


for _module in _BUILT_IN.values():
    register(_module)


def names() -> tuple[str, ...]:
    """The names of the cells the package can run now."""
    return tuple(_BY_NAME)


def by_name(name: str | ModuleType) -> ModuleType:
    """The module of the cell called ``name``; ``ValueError`` for an unknown one."""
    if not isinstance(name, str):
        module = getattr(name, "PARAMS", None) and name
        if module is not None and getattr(module, "NAME", None) in _BY_NAME:
            return module
        raise TypeError(f"cell must be a cell name such as 'gru' or a cell module; got "
                        f"{type(name).__name__}")
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"cell must be one of {sorted(_BY_NAME)}; got {name!r}") from None


def of(params: object) -> ModuleType | None:
    """The module of the cell whose parameters ``params`` are, or None for a plain tuple."""
    return _BY_TYPE.get(type(params))


def with_bias(params: CellParams, block: str, value: float) -> CellParams:
    """A copy of a gated cell's parameters whose total bias on ``block`` is ``value``:
    ``b_U`` of that block set to ``value`` and ``b_W`` of it to 0 (the two always add).

    A large forget-gate bias (``with_bias(p, "f", 1.0)`` for an LSTM) or update-gate bias
    (``"z"`` for a GRU) starts the cell remembering.

    >>> import bptt_book as bb
    >>> from bptt_book.cells import with_bias
    >>> p = with_bias(bb.init_params(5, 2, cell="lstm", seed=0), "f", 1.0)
    >>> (p.bU + p.bW).reshape(4, 2).tolist()[1]
    [1.0, 1.0]
    """
    from . import _checks

    cell, p = _checks.params(params)
    p = cell.PARAMS(*p)
    if not cell.BIASES:
        raise TypeError(f"the {cell.NAME} cell has no biases")
    if block not in cell.BLOCKS:
        raise ValueError(f"block must be one of {list(cell.BLOCKS)}; got {block!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise TypeError(f"value must be a number; got {value!r}")
    H = p.W.shape[1]
    i = cell.BLOCKS.index(block)
    bU, bW = p.bU.copy(), p.bW.copy()
    bU[i * H : (i + 1) * H] = value
    bW[i * H : (i + 1) * H] = 0.0
    return p._replace(bU=bU, bW=bW)
