"""Search text: the searchable fields of a row, folded (no accents, no case) and stored.

Why a stored column and not a SQL function: SQLite's ``lower()``/``LIKE`` fold ASCII only and
it has no ``unaccent``; a Python function registered in SQLite is one call per row and column
(seconds over 200,000 leads), and PostgreSQL's ``unaccent`` is an extension whose result is
not ``IMMUTABLE``. So the fold runs in Python, once per write — the ORM listener below, the
bulk importer (``crm_app.services.search.with_search_text``, vectorised: this function on
each distinct non-ASCII character) and migration 0003's backfill — and a search folds its
term the same way and runs one plain ``LIKE`` over ``search_text``. Only Python ever folds, so
SQLite and PostgreSQL give the same answers, and a search reads one column for the names
instead of one per field.

The fold (``fold``), character by character: compatibility decomposition (NFKD: "ﬁ" → "fi",
full-width letters → ASCII), nonspacing marks dropped ("García" → "Garcia", "Muñoz" → "Munoz",
"ç" → "c"), case folded ("ß" → "ss"), then the same again (case folding can produce
decomposable letters, as in "İ"), and a few letters without a decomposition mapped to their
base (ø, ł, đ, æ, œ…). So ñ folds to n: "espana" finds "España" and "munoz" finds "Muñoz"
(and "muñoz" finds a "Munoz" typed without the tilde), as people type on foreign keyboards
and in email addresses.

``search_text`` holds the free-text fields a person types with accents (names, company,
city, subject…), their words separated by single spaces (any run of whitespace is one space,
none at either end). Email, phone and NIF are not in it: they are stored in one canonical
ASCII form already (lower-case, E.164, upper-case) and searched as they are, which keeps the
column — and the bulk import that fills it — small. A model lists its fields in sections
(``search_fields``); sections are joined by ``SECTION`` (a character that whitespace
collapsing removes from the data and from every search term, so it appears exactly once per
section break): a term never matches across a section break, and a search can be limited to
the first section (an account's name and trade name, for the lists that find a record by its
customer's name).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any, ClassVar

from sqlalchemy import event
from sqlmodel import Field, SQLModel

SECTION = "\x1f"

# Letters with no Unicode decomposition, mapped to their base letters (after case folding).
_BASE_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ı": "i",
                               "ŧ": "t", "æ": "ae", "œ": "oe", "þ": "th"})


def _drop_marks(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


@lru_cache(maxsize=8192)
def fold_char(ch: str) -> str:
    """The fold of one character (possibly several characters, or none)."""
    out = _drop_marks(unicodedata.normalize("NFKD", ch)).casefold()
    return _drop_marks(unicodedata.normalize("NFKD", out)).translate(_BASE_LETTERS)


def fold(text: str) -> str:
    """``text`` without accents and case (see the module doc), character by character (so
    the bulk importer can fold a column by replacing each distinct character). For ASCII
    text this is exactly ``text.lower()``."""
    if text.isascii():
        return text.lower()
    return "".join(ch.lower() if ch.isascii() else fold_char(ch) for ch in text)


def fold_words(text: str | None) -> str:
    """``fold(text)`` with every run of whitespace made one space, none at the ends: the
    stored form of one field and the form of a search term."""
    return " ".join(fold(text).split()) if text else ""


def search_text(sections: tuple[tuple[str, ...], ...], values: dict[str, Any]) -> str:
    """The stored search text of a row whose field values are ``values``."""
    return SECTION.join(" ".join(w for w in (fold_words(_text(values.get(f))) for f in fields)
                                 if w) for fields in sections)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class Searchable(SQLModel):
    """A row with a folded ``search_text``, filled on every ORM insert and update.

    ``exclude=True``: it never appears in ``model_dump()`` (API payloads, audit snapshots,
    the rows a page keeps in its state). No index: a substring search cannot use a B-tree."""

    search_fields: ClassVar[tuple[tuple[str, ...], ...]] = ()
    search_text: str = Field(default="", exclude=True,
                             sa_column_kwargs={"server_default": ""})


def row_search_text(row: Any) -> str:
    sections = type(row).search_fields
    return search_text(sections, {f: getattr(row, f, None) for s in sections for f in s})


@event.listens_for(Searchable, "before_insert", propagate=True)
@event.listens_for(Searchable, "before_update", propagate=True)
def _fill_search_text(_mapper: Any, _connection: Any, target: Searchable) -> None:
    target.search_text = row_search_text(target)


__all__ = ["SECTION", "Searchable", "fold", "fold_char", "fold_words", "row_search_text",
           "search_text"]
