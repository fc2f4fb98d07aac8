"""The book's cells, each described once: **a new cell starts here.**

Adding a cell to the package is one description below, one line in :data:`BUILT_IN`, then
``python -m bptt_book generate`` (which derives, checks and prints its module
``bptt_book/generated/<name>.py``), its tests (``tests/test_cells.py`` runs every built-in
cell against finite differences, the exact proof and, where PyTorch has it, PyTorch) and its
text in the book.  Nothing else in the package names a cell.

The gated cells use the equations, gate order and weight layout of ``torch.nn.GRU`` and
``torch.nn.LSTM``, so weights port one to one: ``U`` is PyTorch's ``weight_ih_l0``, ``W`` its
``weight_hh_l0``, ``b_U`` and ``b_W`` its ``bias_ih_l0`` and ``bias_hh_l0``.

>>> from bptt_book.derivation.cells import BUILT_IN
>>> [(c.name, c.k, c.states) for c in BUILT_IN.values()]
[('rnn', 1, ('s',)), ('gru', 3, ('h',)), ('lstm', 4, ('h', 'c'))]
"""

from .cell import Cell

#: The tutorial's network, ``s_t = f(U x_t + W s_{t-1})``, with the activation ``f`` chosen
#: when it runs (tanh, sigmoid or relu) and no biases.
RNN = Cell(
    "rnn",
    title="plain RNN",
    states=["s"],
    blocks=[""],
    biases=False,
    equations=["s' = f(a + b)"],
)

#: The gated recurrent unit of Cho et al. (2014) in the form PyTorch computes.  The reset
#: gate scales the recurrent projection *after* the product with W (so all of W acts in one
#: product per step), and ``z`` near 1 keeps the old state.  The book typesets the update
#: gate ``z`` as u_t (z_t is the plain network's pre-activation) and the candidate ``n`` as
#: the tilde of the state it proposes.
GRU = Cell(
    "gru",
    title="GRU",
    states=["h"],
    blocks=["r", "z", "n"],
    display={"z": "u", "n": r"\tilde{h}"},
    equations=[
        "r = sigmoid(a_r + b_r)",
        "z = sigmoid(a_z + b_z)",
        "n = tanh(a_n + r*b_n)",
        "h' = (1 - z)*n + z*h",
    ],
)

#: The long short-term memory of Hochreiter & Schmidhuber (1997) with the forget gate of
#: Gers et al. (2000), in the form PyTorch computes, with input, forget, cell and output blocks.
#: The book typesets the forget gate ``f`` as phi (f is the activation), the candidate ``g``
#: as the tilde of the cell (g_t is the output layer's push) and the output gate ``o`` as q
#: (o_t are the logits).
LSTM = Cell(
    "lstm",
    title="LSTM",
    states=["h", "c"],
    blocks=["i", "f", "g", "o"],
    display={"f": r"\varphi", "g": r"\tilde{c}", "o": "q"},
    equations=[
        "i = sigmoid(a_i + b_i)",
        "f = sigmoid(a_f + b_f)",
        "g = tanh(a_g + b_g)",
        "o = sigmoid(a_o + b_o)",
        "c' = f*c + i*g",
        "h' = o*tanh(c')",
    ],
)

#: name -> description of every cell the package ships.
BUILT_IN = {cell.name: cell for cell in (RNN, GRU, LSTM)}
