"""The book's bibliography styles for sphinxcontrib-bibtex.

* ``author_year_round``, a referencing style: ``{cite:t}`` writes "Pascanu et al. (2013)" and
  ``{cite:p}`` writes "(Pascanu et al., 2013)", in round brackets as the book's prose reads best
  (sphinxcontrib-bibtex's own ``author_year`` uses square ones).
* ``annotated``, a pybtex formatting style: pybtex's ``plain`` with the entry's ``annote`` field,
  what the book takes from the work, printed after it, and labelled like the citations that
  point to it ("Pascanu et al. 2013" rather than a number), so the list reads as the text does.

Both are registered as plugins when Sphinx loads this extension; select them with
``bibtex_reference_style`` and ``bibtex_default_style``.
"""

from __future__ import annotations

import dataclasses

import pybtex.plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")")


@dataclasses.dataclass
class RoundAuthorYearStyle(AuthorYearReferenceStyle):
    """Author-year citations in round brackets."""

    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_textual: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_author: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_label: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_year: BracketStyle = dataclasses.field(default_factory=_round)


def _surname(person) -> str:
    return " ".join(person.prelast_names + person.last_names)


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels "Britz 2015", "Williams and Peng 1990", "Pascanu et al. 2013"."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            people = entry.persons.get("author", [])
            if len(people) > 2:
                names = f"{_surname(people[0])} et al."
            else:
                names = " and ".join(_surname(person) for person in people)
            yield f"{names} {entry.fields.get('year', '')}".strip()


class AnnotatedStyle(PlainStyle):
    """pybtex's plain style with author-year labels, followed by the entry's ``annote`` field
    when it has one."""

    default_label_style = AuthorYearLabelStyle

    def format_entry(self, label, entry, bib_data=None):
        formatted = super().format_entry(label, entry, bib_data=bib_data)
        note = entry.fields.get("annote")
        if note:
            formatted.text = Text(formatted.text, " ", Text(note))
        return formatted


def setup(app):
    register_plugin(
        "sphinxcontrib.bibtex.style.referencing", "author_year_round", RoundAuthorYearStyle
    )
    pybtex.plugin.register_plugin("pybtex.style.formatting", "annotated", AnnotatedStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
