"""Tasks with a long-range dependency of a chosen length, generated from a seed.

Every task gives token ids ``x`` and targets ``y`` of shape (N, T) for the book's network,
whose inputs and outputs share one vocabulary of ``word_dim`` tokens.  Only the *last*
target carries the long-range information; every earlier target is the token ``BLANK``
(id 0), which the network learns to predict within a few steps.  Since :func:`bptt_book.bptt`
sums the loss over all outputs, almost all of the loss is then at the last output (the
blanks, many small errors, still send back a gradient of about the last output's size).

Two tasks:

- :class:`Recall`: remember the first token of a sequence for ``length`` steps of noise.
- :class:`Agreement`: a toy English grammar in which a verb must agree in number with a
  subject that a relative clause of ``length`` words separates it from (the grammar's words
  are in ``bptt_book/data/agreement.toml``).

>>> from bptt_book.tasks import Recall
>>> task = Recall(length=5)
>>> data = task.sample(2, seed=0)
>>> data.x.shape, data.y.shape
((2, 6), (2, 6))
>>> print(task.show(data.x[0], data.y[0]))
D y x x w ?  ->  D
"""

import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import _checks

#: The token id that every position before the last has as its target ("nothing yet").
BLANK = 0
_DATA = Path(__file__).resolve().parent / "data"


class Sequences(NamedTuple):
    """A batch of a task: token ids ``x`` and targets ``y`` (N, T), and the answers."""

    x: np.ndarray  # (N, T) input token ids
    y: np.ndarray  # (N, T) targets: BLANK everywhere but the last column
    answer: np.ndarray  # (N,) the last column of y: what the dependency decides


def _count(n, name):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer; got {n!r}")
    return int(n)


def _blank_but_last(x, answer):
    """Sequences whose targets are BLANK everywhere but the last step, which is ``answer``."""
    y = np.full_like(x, BLANK)
    y[:, -1] = answer
    return Sequences(x, y, answer)


def _ids(value, name, words):
    ids, single = _checks.tokens(value, name, len(words))
    if not single:
        raise ValueError(f"{name} must be one 1-D sequence of token ids; "
                         f"got shape {np.shape(value)}")
    return ids[0]


def _as_text(words, x, y=None):
    """One sequence as text, with its answer after an arrow when ``y`` is given."""
    text = " ".join(words[i] for i in _ids(x, "x", words))
    return text if y is None else f"{text}  ->  {words[_ids(y, 'y', words)[-1]]}"


@dataclass(frozen=True)
class Recall:
    """Recall the first token after ``length`` steps: ``c d_1 ... d_{L-1} ?  ->  c``.

    The first token ``c`` is one of ``classes`` signal tokens; it is followed by
    ``length - 1`` distractors drawn uniformly from ``distractors`` noise tokens and by the
    query token ``?``.  At the query (step ``t = L``) the target is ``c``, which the network
    saw ``L`` steps earlier; every other target is ``BLANK``.  Guessing gives an accuracy of
    ``1 / classes``.

    Token ids: 0 is ``BLANK`` (``-``), then the classes (``A``, ``B``, ...), then the
    distractors (``w``, ``x``, ...), then the query ``?``.

    >>> task = Recall(length=3, classes=2, distractors=3)
    >>> task.word_dim, task.words
    (7, ('-', 'A', 'B', 'w', 'x', 'y', '?'))
    """

    length: int
    classes: int = 4
    distractors: int = 4

    def __post_init__(self):
        _count(self.length, "length")
        if _count(self.classes, "classes") < 2:
            raise ValueError(f"classes must be at least 2; got {self.classes}")
        if self.classes > 26 or _count(self.distractors, "distractors") > 26:
            raise ValueError("at most 26 classes and 26 distractors")

    @property
    def word_dim(self):
        """The vocabulary size D (the blank, the classes, the distractors and the query)."""
        return self.classes + self.distractors + 2

    @property
    def query(self):
        """The id of the query token ``?``."""
        return self.word_dim - 1

    @property
    def words(self):
        """The printed form of every token id."""
        letters = "abcdefghijklmnopqrstuvwxyz"
        noise = "wxyz" if self.distractors <= 4 else letters
        return ("-", *letters.upper()[: self.classes], *noise[: self.distractors], "?")

    def sample(self, n, seed=None):
        """``n`` sequences of ``length + 1`` tokens, drawn from ``default_rng(seed)``."""
        n = _count(n, "n")
        rng = np.random.default_rng(_checks.seed(seed))
        answer = rng.integers(1, self.classes + 1, n)
        x = np.empty((n, self.length + 1), dtype=np.intp)
        x[:, 0] = answer
        x[:, 1:-1] = 1 + self.classes + rng.integers(0, self.distractors, (n, self.length - 1))
        x[:, -1] = self.query
        return _blank_but_last(x, answer)

    def show(self, x, y=None):
        """One sequence as text, with its answer after an arrow when ``y`` is given."""
        return _as_text(self.words, x, y)


# ------------------------------------------------------------------------------- agreement


@dataclass(frozen=True)
class Lexicon:
    """The words of the agreement grammar (``bptt_book/data/agreement.toml``)."""

    subjects: tuple  # (singular, plural) pairs of the subject nouns
    objects: tuple  # (singular, plural) pairs of the other nouns
    verbs: tuple  # past-tense verbs of the relative clause: they show no number
    prepositions: tuple
    adjectives: tuple
    main_verb: tuple  # (singular, plural): the verb that must agree

    @classmethod
    def load(cls, path=None):
        """Read the lexicon from ``path`` (default: the one shipped with the package)."""
        with open(path or _DATA / "agreement.toml", "rb") as handle:
            data = tomllib.load(handle)
        return cls(
            subjects=tuple(map(tuple, data["nouns"]["subjects"])),
            objects=tuple(map(tuple, data["nouns"]["objects"])),
            verbs=tuple(data["words"]["verbs"]),
            prepositions=tuple(data["words"]["prepositions"]),
            adjectives=tuple(data["words"]["adjectives"]),
            main_verb=tuple(data["words"]["main_verb"]),
        )


@dataclass(frozen=True)
class Agreement:
    """Subject-verb agreement across a relative clause of exactly ``length`` words.

    A sentence is ``the SUBJECT who VERB NP (PREP NP)* ? -> is|are``: the subject is
    singular or plural with equal probability, the clause uses only past-tense verbs (which
    show no number) and nouns whose number is drawn independently of the subject's (so the
    noun nearest to the verb is an "attractor" half the time), and ``?`` asks for the verb.
    The target at ``?`` is ``is`` after a singular subject and ``are`` after a plural one;
    every other target is ``BLANK``.  The subject is ``length + 1`` steps before the query.
    ``length`` must be at least 4 (``who VERB the NOUN``).

    >>> task = Agreement(length=7)
    >>> data = task.sample(1, seed=1)
    >>> print(task.show(data.x[0], data.y[0]))
    the teacher who liked the wigs near the key ?  ->  is
    """

    length: int

    def __post_init__(self):
        if _count(self.length, "length") < 4:
            raise ValueError(f"length must be at least 4 (who VERB the NOUN); got {self.length}")

    @cached_property
    def lexicon(self):
        return Lexicon.load()

    @cached_property
    def words(self):
        """Every token in id order (``-`` and ``?`` first, then the lexicon's words)."""
        lex = self.lexicon
        vocabulary = ["-", "?", "the", "a", "some", "who", *lex.main_verb]
        for pair in lex.subjects + lex.objects:
            vocabulary.extend(pair)
        vocabulary += [*lex.verbs, *lex.prepositions, *lex.adjectives]
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError("the agreement lexicon repeats a word")
        return tuple(vocabulary)

    @cached_property
    def ids(self):
        return {w: i for i, w in enumerate(self.words)}

    @property
    def word_dim(self):
        return len(self.words)

    def _noun_phrase(self, rng, adjectives):
        singular, plural = self.lexicon.objects[rng.integers(len(self.lexicon.objects))]
        if rng.random() < 0.5:
            det, noun = ("the", "a")[rng.integers(2)], singular
        else:
            det, noun = ("the", "some")[rng.integers(2)], plural
        picked = rng.choice(len(self.lexicon.adjectives), size=adjectives, replace=False)
        adjs = [self.lexicon.adjectives[i] for i in picked]
        return [det, *adjs, noun]

    def sentence(self, rng):
        """One sentence ``(words, plural)``: the words up to ``?`` and the subject's number."""
        lex = self.lexicon
        plural = bool(rng.random() < 0.5)
        subject = lex.subjects[rng.integers(len(lex.subjects))][int(plural)]
        rest = self.length - 2  # after "who VERB": an object and prepositional phrases
        phrases = 1 + (rest - 2) // 3  # the object, then PREP NP of three words each
        spare = rest - 2 - 3 * (phrases - 1)  # 0, 1 or 2 adjectives to place
        adjectives = np.bincount(rng.integers(phrases, size=spare), minlength=phrases)
        clause = ["who", lex.verbs[rng.integers(len(lex.verbs))]]
        clause += self._noun_phrase(rng, adjectives[0])
        for k in range(1, phrases):
            clause += [lex.prepositions[rng.integers(len(lex.prepositions))],
                       *self._noun_phrase(rng, adjectives[k])]
        return ["the", subject, *clause, "?"], plural

    def sample(self, n, seed=None):
        """``n`` sentences of ``length + 3`` tokens, drawn from ``default_rng(seed)``."""
        n = _count(n, "n")
        rng = np.random.default_rng(_checks.seed(seed))
        x = np.empty((n, self.length + 3), dtype=np.intp)
        answer = np.empty(n, dtype=np.intp)
        for i in range(n):
            words, plural = self.sentence(rng)
            x[i] = [self.ids[w] for w in words]
            answer[i] = self.ids[self.lexicon.main_verb[int(plural)]]
        return _blank_but_last(x, answer)

    def show(self, x, y=None):
        """One sentence as text, with its verb after an arrow when ``y`` is given."""
        return _as_text(self.words, x, y)


#: name -> task class, for the settings files.
TASKS = {"recall": Recall, "agreement": Agreement}


def accuracy(params, data, *, activation=None):
    """The share of sequences whose last output's most likely token is the answer.

    Only the last position counts: it is the one that needs the long-range information.
    """
    from .model import CHUNK, forward

    right = 0
    for i in range(0, len(data.x), CHUNK):
        _, o = forward(params, data.x[i : i + CHUNK], activation=activation)
        right += int(np.sum(o[:, -1].argmax(axis=-1) == data.answer[i : i + CHUNK]))
    return right / len(data.x)
