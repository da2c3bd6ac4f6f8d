"""Text search in SQL: the one way a user's text reaches a ``LIKE``, and the folded search.

- ``contains(column, text)``/``ends_with``: ``column LIKE '%text%' ESCAPE '\\'`` with ``%``,
  ``_`` and ``\\`` in ``text`` escaped, so they match themselves (``q=%`` finds the rows that
  contain a "%", not every row). Every ``LIKE`` over user input goes through them.
- ``term(q)``/``matches(model, q)``: accent- and case-insensitive search over a model's stored
  ``search_text`` (``crm_app.models.search``): the term is folded by the same Python function
  that filled the column, so "garcia" finds "García" and "GARCÍA" finds "garcia" on SQLite and
  PostgreSQL alike.
- ``with_search_text(model, frame, constants)``: the bulk writer's ``search_text`` column,
  computed in polars (see its doc); ``SearchTextChunks`` computes it chunk by chunk beside the
  writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, false, select
from sqlmodel import Session

from crm_app.models.search import SECTION, Searchable, fold_char, fold_words, search_text
from crm_app.services.normalize import nif_compact

ESCAPE = "\\"


def escape_like(text: str) -> str:
    """``text`` as a literal inside a ``LIKE`` pattern whose escape character is ``\\``."""
    return (text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%")
            .replace("_", ESCAPE + "_"))


def contains(column: Any, text: str, *, before: str = "") -> ColumnElement[bool]:
    """``column`` contains ``text`` literally (no wildcards). ``before``: a literal that must
    follow the match somewhere later in the value (see ``matches(..., first_section=True)``)."""
    tail = f"%{escape_like(before)}%" if before else "%"
    return column.like(f"%{escape_like(text)}{tail}", escape=ESCAPE)


def ends_with(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` ends with ``text`` literally (no wildcards)."""
    return column.like(f"%{escape_like(text)}", escape=ESCAPE)


def nif_fragment(text: str) -> str:
    """The compact (upper-case) form of ``text`` when it could be part of a stored NIF, else
    ``""``. NIFs are stored validated (DNI, NIE, CIF: letters only first and last, digits
    between), so a digit-free fragment longer than one letter is in none of them and a
    search need not scan the column for it."""
    compact = nif_compact(text)
    if len(compact) > 1 and not any(ch.isdigit() for ch in compact):
        return ""
    return compact


def could_be_in_phone(text: str) -> bool:
    """Phones are stored in E.164 (``+`` and digits): a word with neither is in none."""
    return any(ch.isdigit() or ch == "+" for ch in text)


def term(q: str | None) -> str:
    """The folded form of a search text (empty when nothing searchable is left)."""
    return fold_words(q)


def matches(model: type[Searchable], q: str | None, *, first_section: bool = False
            ) -> ColumnElement[bool]:
    """Rows of ``model`` whose folded search text contains the folded ``q`` (none when
    ``q`` folds to nothing, e.g. a lone accent). ``first_section``: only in the first
    section of the model's ``search_fields`` (an account's name and trade name): the match
    must come before the section break (see ``crm_app.models.search``)."""
    folded = term(q)
    if not folded:
        return false()
    column = model.search_text  # type: ignore[attr-defined]
    if first_section and len(model.search_fields) > 1:
        return contains(column, folded, before=SECTION)
    return contains(column, folded)


# --- bulk writes -------------------------------------------------------------------------------

# Runs of ASCII whitespace that ``str.split()`` would split on and that are not one space.
_SPACES = r"[\t\n\x0b\x0c\r\x1c-\x1f ]{2,}|[\t\n\x0b\x0c\r\x1c-\x1f]"
_UPPER = [chr(c) for c in range(ord("A"), ord("Z") + 1)]


def _non_ascii_chars(values: pl.Series) -> list[str]:
    """The distinct non-ASCII characters of a text column."""
    odd = values.filter(values.str.len_bytes() != values.str.len_chars())
    if not odd.len():
        return []
    return sorted(ch for ch in set("".join(odd.unique().to_list())) if not ch.isascii())


def _folded(values: pl.Series) -> pl.Series:
    """``fold_words`` of every value of a text column, at polars speed: ``fold`` works
    character by character, so one Aho-Corasick pass replaces each distinct non-ASCII
    character with its fold (whitespace in it with a space), then A-Z are lower-cased, runs
    of whitespace made one space and the ends trimmed — exactly what ``fold_words`` does,
    value by value (tested). When every replacement is ASCII the text is ASCII afterwards and
    polars' ``to_lowercase`` is exactly Python's; otherwise A-Z go into the same pass."""
    chars = _non_ascii_chars(values)
    outs = ["".join(" " if c.isspace() else c for c in fold_char(ch)) for ch in chars]
    text = values
    if all(o.isascii() for o in outs):
        if chars:
            text = text.str.replace_many(chars, outs)
        text = text.str.to_lowercase()
    else:
        text = text.str.replace_many(_UPPER + chars, [c.lower() for c in _UPPER] + outs)
    return text.str.replace_all(_SPACES, " ").str.strip_chars(" ")


def _folded_column(values: pl.Series) -> pl.Series:
    """``_folded`` of a column, computed once per distinct value when values repeat (first
    names, surnames, cities: a few thousand among 100,000 rows) and mapped back."""
    distinct = values.unique()
    if distinct.len() * 4 > values.len():
        return _folded(values)
    return values.replace_strict(distinct, _folded(distinct), return_dtype=pl.String)


class SearchTextChunks:
    """The ``search_text`` of a bulk write's rows, chunk by chunk, computed on a helper thread
    one step ahead of the writer: polars folds without the GIL while the writer binds and
    inserts the previous chunk on the other core (~40 ms of CPU for 100,000 leads; this way
    the import only waits for the first chunk's). ``start`` returns ``None``
    when there is nothing to compute (not a ``Searchable`` model, or the frame already has the
    column); otherwise ``chunk(start)`` is the column for ``frame.slice(start, size)``, and
    ``close()`` must be called (the writer does, in ``finally``)."""

    def __init__(self, model: type, frame: pl.DataFrame, constants: dict[str, Any],
                 size: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-text")
        self._futures = {start: self._pool.submit(
            lambda part: with_search_text(model, part, constants)["search_text"],
            frame.slice(start, size)) for start in range(0, frame.height, size)}

    @classmethod
    def start(cls, model: type, frame: pl.DataFrame, constants: dict[str, Any],
              size: int) -> SearchTextChunks | None:
        if not (isinstance(model, type) and issubclass(model, Searchable)) \
                or "search_text" in frame.columns or frame.height == 0:
            return None
        return cls(model, frame, constants, size)

    def chunk(self, start: int) -> pl.Series:
        return self._futures[start].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def with_search_text(model: type, frame: pl.DataFrame, constants: dict[str, Any]
                     ) -> pl.DataFrame:
    """``frame`` plus the ``search_text`` column of a ``Searchable`` model's rows (each
    field from ``frame``, else ``constants``, else the model's default); any other model's
    frame, or one that already has the column, comes back unchanged. Equal to
    ``crm_app.models.search.search_text`` row by row (tested)."""
    if not (isinstance(model, type) and issubclass(model, Searchable)) \
            or "search_text" in frame.columns or frame.height == 0:
        return frame
    folded: dict[str, pl.Series] = {}
    for name in (n for fields in model.search_fields for n in fields):
        if name in frame.columns:
            folded[name] = _folded_column(frame[name].cast(pl.String).fill_null(""))
        else:
            default = model.model_fields[name].default
            value = constants.get(name, default if isinstance(default, str) else None)
            folded[name] = pl.repeat(fold_words(None if value is None else str(value)),
                                     frame.height, dtype=pl.String, eager=True)
    # each folded value is trimmed with single spaces: joining the non-empty ones with one
    # space is fold_words of the joined fields
    sections = [pl.concat_str([pl.when(pl.lit(folded[n]) != "").then(pl.lit(folded[n]))
                               for n in fields], separator=" ", ignore_nulls=True)
                .fill_null("") for fields in model.search_fields]
    text = sections[0] if len(sections) == 1 else pl.concat_str(sections, separator=SECTION)
    return frame.with_columns(pl.select(text).to_series().alias("search_text"))


def changes_with_search_text(*, session: Session, model: type,
                             changes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bulk updates (``{"id": .., field: value}``) that touch a searchable field, each with
    the row's new ``search_text`` (its other fields read from the database, 500 rows per
    query); the rest unchanged."""
    if not (isinstance(model, type) and issubclass(model, Searchable)):
        return list(changes)
    fields = [n for section in model.search_fields for n in section]
    touched = {id(c) for c in changes if any(n in c for n in fields)}
    if not touched:
        return list(changes)
    table = model.__table__  # type: ignore[attr-defined]
    ids = sorted({c["id"] for c in changes if id(c) in touched})
    current: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        stmt = select(table.c.id, *[table.c[n] for n in fields]).where(
            table.c.id.in_(ids[start:start + 500]))
        for row in session.connection().execute(stmt):
            current[row[0]] = dict(zip(fields, row[1:], strict=True))
    out = []
    for change in changes:
        if id(change) in touched and change["id"] in current:
            values = {**current[change["id"]], **change}
            change = {**change, "search_text": search_text(model.search_fields, values)}
        out.append(change)
    return out


__all__ = ["ESCAPE", "SearchTextChunks", "changes_with_search_text", "contains",
           "could_be_in_phone", "ends_with", "escape_like", "matches", "nif_fragment", "term",
           "with_search_text"]
