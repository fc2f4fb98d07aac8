"""The cells the package runs, found from their parameters (NumPy only).

Each cell is a module of :mod:`bptt_book.generated` -- printed from its description in
:mod:`bptt_book.derivation.cells` -- with the same functions (``forward``, ``backward``,
``step_jacobians``) and its own parameter tuple (``Params`` for the plain RNN, ``GRUParams``,
``LSTMParams``).  The public functions look the cell up by the type of the parameters they are
given, so ``bb.bptt`` works for every cell.  A reader's own cell joins the table when
:func:`bptt_book.derivation.generate.compile_cell` prints it.

>>> from bptt_book import cells
>>> sorted(cells.names())
['gru', 'lstm', 'rnn']
>>> cells.by_name("gru").PARAMS.__name__
'GRUParams'
"""

from .generated import CELLS as _BUILT_IN

_BY_NAME = {}
_BY_TYPE = {}


def register(module):
    """Make the cell module ``module`` known by its name and its parameter type."""
    _BY_NAME[module.NAME] = module
    _BY_TYPE[module.PARAMS] = module
    return module


for _module in _BUILT_IN.values():
    register(_module)


def names():
    """The names of the cells the package can run now."""
    return tuple(_BY_NAME)


def by_name(name):
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


def of(params):
    """The module of the cell whose parameters ``params`` are, or None for a plain tuple."""
    return _BY_TYPE.get(type(params))
