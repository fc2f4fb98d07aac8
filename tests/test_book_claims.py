"""Claims of the book's pages that no example on the page prints, each computed here (their
entries in docs/claims.toml name these tests)."""

import numpy as np

import bptt_book as bb
from bptt_book import tasks
from bptt_book.cells import by_name, with_bias


def test_the_tutorials_sentence_puts_went_eight_words_after_man():
    """Chapter 8: in "The man who wore a wig on his head went inside" the verb is eight words
    after its subject, with seven words in between."""
    words = "The man who wore a wig on his head went inside".split()
    assert words.index("went") - words.index("man") == 8


def test_the_blanks_leave_the_loss_to_the_last_output_but_not_the_gradient():
    """Chapter 8 and bptt_book.tasks: once the blanks are learnt almost all of the loss is at
    the last output, yet the blanks' outputs still send back a gradient of about the last
    output's size.  The blanks' gradient is the gradient of the sentences without their last
    word (the loss of output t depends on the words up to t only)."""
    task = tasks.Recall(length=12)
    data = task.sample(512, seed=1)
    p = bb.init_params(task.word_dim, 32, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(100):
        batch = rng.choice(512, 32, replace=False)
        g = bb.bptt(p, data.x[batch], data.y[batch])
        p = bb.Params(*(a - 0.1 / 32 * b for a, b in zip(p, g, strict=True)))
    x, y = data.x[:256], data.y[:256]
    _, yhat = bb.forward(p, x)
    losses = -np.log(np.take_along_axis(yhat, y[..., None], axis=-1)[..., 0]).sum(axis=0)
    assert losses[-1] / losses.sum() > 0.9
    total = bb.bptt(p, x, y)
    blanks = bb.bptt(p, x[:, :-1], y[:, :-1])
    last = bb.Params(*(a - b for a, b in zip(total, blanks, strict=True)))
    ratio = bb.global_norm(blanks) / bb.global_norm(last)
    assert 0.5 < ratio < 2.0, ratio


def test_gated_cell_claims_of_chapter_9():
    """Chapter 9, "Measured": along the chapter's sentence the GRU with an update-gate bias of
    4 keeps its norm within a factor of two of its bound over 40 steps; the LSTM's output
    gate is about half open whatever the forget bias; and with a large forget bias the direct
    part of its step Jacobian has norm above 1."""
    D, H = 8000, 100
    words = np.random.default_rng(0).integers(0, D, 41)
    gru = with_bias(bb.init_params(D, H, cell="gru", seed=0), "z", 4.0)
    r = bb.jacobian_norms(gru, words)
    assert ((r.norm / r.bound)[1:] > 0.5).all() and r.norm[40] > 0.6
    for bias in (0.0, 1.0, 3.0):
        lstm = with_bias(bb.init_params(D, H, cell="lstm", seed=0), "f", bias)
        tape = by_name("lstm").forward(lstm, np.asarray([words]))
        assert abs(float(tape.o.mean()) - 0.5) < 0.01
    P, _ = by_name("lstm").jacobian_parts(lstm, tape, None)
    per_unit = np.linalg.norm(np.moveaxis(P[0], -1, 1), 2, axis=(-2, -1))
    assert (per_unit.max(axis=-1)[1:] > 1).all()
