"""The tasks of chapter 8: reproducible from a seed, shaped as the book says."""

from importlib import resources

import numpy as np
import pytest

import bptt_book as bb
from bptt_book.tasks import BLANK, TASKS, Agreement, Lexicon, Recall, accuracy


@pytest.mark.parametrize("task", [Recall(7), Recall(3, classes=2, distractors=6), Agreement(9)])
def test_a_seed_fixes_the_sample(task):
    a, b, c = task.sample(50, seed=3), task.sample(50, seed=3), task.sample(50, seed=4)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


@pytest.mark.parametrize("task", [Recall(1), Recall(9), Agreement(4), Agreement(13)])
def test_only_the_last_target_carries_the_answer(task):
    data = task.sample(200, seed=0)
    N, T = data.x.shape
    assert N == 200 and data.y.shape == (N, T)
    assert (data.y[:, :-1] == BLANK).all()
    np.testing.assert_array_equal(data.y[:, -1], data.answer)
    assert data.x.min() >= 0 and data.x.max() < task.word_dim
    assert (data.x != BLANK).all()  # the blank is a target, never an input


def test_recall_layout():
    task = Recall(5, classes=3, distractors=4)
    data = task.sample(400, seed=1)
    assert data.x.shape == (400, 6)
    np.testing.assert_array_equal(data.answer, data.x[:, 0])
    assert set(np.unique(data.answer)) == {1, 2, 3}
    assert set(np.unique(data.x[:, 1:-1])) == {4, 5, 6, 7}
    assert (data.x[:, -1] == task.query).all()
    assert task.words[task.query] == "?" and len(task.words) == task.word_dim


@pytest.mark.parametrize("kwargs", [{"length": 0}, {"length": 3, "classes": 1},
                                    {"length": 3, "distractors": 0},
                                    {"length": 2.5}, {"length": 3, "classes": 27}])
def test_recall_refuses_bad_settings(kwargs):
    with pytest.raises(ValueError):
        Recall(**kwargs)


@pytest.mark.parametrize("length", [4, 5, 6, 7, 10, 16])
def test_agreement_sentences_have_the_clause_length_asked(length):
    task = Agreement(length)
    lex = task.lexicon
    singular = {s for s, _ in lex.subjects}
    data = task.sample(100, seed=length)
    for x, answer in zip(data.x, data.answer, strict=True):
        words = [task.words[i] for i in x]
        assert words[0] == "the" and words[2] == "who" and words[-1] == "?"
        clause = words[2:-1]
        assert len(clause) == length
        verb = "is" if words[1] in singular else "are"
        assert task.words[answer] == verb
        assert not set(clause) & {"is", "are", words[1]}


def test_agreement_has_attractors_and_both_numbers():
    task = Agreement(8)
    lex = task.lexicon
    plural_nouns = {p for _, p in lex.objects}
    data = task.sample(300, seed=0)
    last_noun_plural = np.array([task.words[x[-2]] in plural_nouns for x in data.x])
    subject_plural = data.answer == task.ids["are"]
    assert 0.35 < subject_plural.mean() < 0.65
    # The noun next to the verb disagrees with the subject about half the time.
    assert 0.35 < np.mean(last_noun_plural != subject_plural) < 0.65


def test_the_lexicon_ships_inside_the_package():
    shipped = resources.files("bptt_book") / "data" / "agreement.toml"
    assert shipped.is_file()
    lex = Lexicon.load()
    assert ("man", "men") in lex.subjects and lex.main_verb == ("is", "are")
    assert len(set(Agreement(4).words)) == Agreement(4).word_dim
    assert not any(a[0] in "aeiou" for a in lex.adjectives)  # "a" never meets a vowel


def test_agreement_refuses_a_clause_too_short():
    with pytest.raises(ValueError, match="at least 4"):
        Agreement(3)


def test_show_prints_words():
    task = Recall(3, classes=2, distractors=2)
    x = np.array([2, 3, 4, task.query])
    assert task.show(x) == "B w x ?"
    assert task.show(x, [0, 0, 0, 2]) == "B w x ?  ->  B"
    assert set(TASKS) == {"recall", "agreement"}


def test_accuracy_reads_the_last_output_only():
    task = Recall(4)
    data = task.sample(300, seed=0)
    H = 5
    # All weights zero: every output is uniform and argmax picks token 0, the blank.
    zero = bb.Params(np.zeros((H, task.word_dim)), np.zeros((task.word_dim, H)), np.zeros((H, H)))
    assert accuracy(zero, data) == 0.0
    # A network that answers class 1 whatever it reads.
    V = np.zeros((task.word_dim, H))
    V[1] = 1.0
    U = np.ones((H, task.word_dim))
    always_one = bb.Params(U, V, np.zeros((H, H)))
    assert accuracy(always_one, data) == pytest.approx(np.mean(data.answer == 1))
