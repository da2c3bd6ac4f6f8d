"""Search on every list: LIKE wildcards match themselves, accents and case are ignored, on
SQLite and on a real PostgreSQL; the fold is one function (Python, the bulk importer's polars
version, the ORM listener and the stored column agree)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import polars as pl
import pytest
from factories import People, make_people
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from crm_app.models import Account, Activity, Contact, Document, Lead, Opportunity, Product
from crm_app.models.search import (
    SECTION,
    fold,
    fold_char,
    fold_words,
    row_search_text,
    search_text,
)
from crm_app.services import accounts, contacts, leads, opportunities, products, quotes
from crm_app.services.browse import browse
from crm_app.services.importing import import_file, undo_batch
from crm_app.services.search import escape_like, with_search_text

# --- the fold --------------------------------------------------------------------------------


def test_fold_rules() -> None:
    assert fold("García") == fold("GARCÍA") == fold("garcia") == "garcia"
    assert fold("Muñoz") == fold("MUNOZ") == "munoz"  # ñ folds to n (see crm_app.models.search)
    assert fold("España") == "espana"
    assert fold("Straße") == "strasse" and fold("ÇA") == "ca"
    assert fold("ﬁnca ＡＢ") == "finca ab" and fold("İstanbul") == "istanbul"
    assert fold("Łódź Ærø") == "lodz aero"
    assert fold("e\u0301") == "e" and fold("\u0301") == ""  # a combining accent alone
    assert fold("100% a_b c\\d") == "100% a_b c\\d"  # wildcards are kept, as text
    assert fold_words("  José \t Luis\u00a0 ") == "jose luis"
    assert fold_words(None) == "" and fold_words("") == ""


@given(st.text())
@settings(max_examples=400, deadline=None)
def test_fold_is_idempotent_and_character_wise(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert fold(text) == "".join(ch.lower() if ch.isascii() else fold_char(ch) for ch in text)
    assert fold_words(text) == " ".join(fold(text).split())


# Every alphabet, symbol and compatibility block a name could hold (the rest of Unicode is
# mostly ideographs and syllables, which fold to themselves; hypothesis samples it above).
BLOCKS = (range(0x0000, 0x3400), range(0xA000, 0xD800), range(0xF900, 0x10000),
          range(0x1D400, 0x1D800), range(0x1F100, 0x1F200))


def test_fold_of_every_character_is_stable() -> None:
    """Every such code point: folding twice changes nothing and leaves no accent."""
    for cp in (cp for block in BLOCKS for cp in block):
        ch = chr(cp)
        once = fold(ch)
        assert fold(once) == once, hex(cp)
        assert not any(unicodedata.category(c) == "Mn" for c in once), hex(cp)


_ALPHABET = st.sampled_from([*"aZ ñÑáÉüçß\t\n\x1f.%_\\-ﬁİøŁ½\u0301", "\u00a0", "\u2028", "\x85",
                             "\u3000", "ᏸ", "Ꭰ", "ς", "µ", "\U0001d165"])
_VALUE = st.one_of(st.none(), st.text(_ALPHABET, max_size=12), st.text(max_size=8))


@given(st.lists(st.tuples(_VALUE, _VALUE, _VALUE), min_size=1, max_size=40),
       st.one_of(st.none(), st.text(max_size=6)))
@settings(max_examples=100, deadline=None)
def test_bulk_fold_equals_the_python_fold(rows: list, city: str | None) -> None:
    """The importer's polars ``search_text`` is the ORM's, row by row (any Unicode), whether
    each column is folded value by value or once per distinct value (repeated rows)."""
    check_bulk_fold(rows, city)
    check_bulk_fold(rows * 5, city)


def check_bulk_fold(rows: list, city: str | None) -> None:
    frame = pl.DataFrame(rows, schema={"first_name": pl.String, "last_name": pl.String,
                                       "company": pl.String}, orient="row")
    got = with_search_text(Lead, frame, {})["search_text"].to_list()
    assert got == [search_text(Lead.search_fields, dict(zip(
        ("first_name", "last_name", "company"), r, strict=True))) for r in rows]
    names = frame.rename({"first_name": "name", "last_name": "trade_name"}).drop("company")
    got = with_search_text(Account, names, {"city": city})["search_text"].to_list()
    assert got == [search_text(Account.search_fields, {"name": r[0], "trade_name": r[1],
                                                       "city": city}) for r in rows]
    assert all(t.count(SECTION) == 1 for t in got)


def test_escape_like() -> None:
    assert escape_like("100%") == "100\\%"
    assert escape_like("a_b") == "a\\_b"
    assert escape_like("c\\d") == "c\\\\d"
    assert escape_like("plain") == "plain"


# --- every list, on SQLite and PostgreSQL ---------------------------------------------------

NAMES = {
    "accent": "García Pérez",   # "garcia" and "GARCÍA" find it
    "plain": "garcia lopez",    # "GARCÍA" finds it
    "tilde": "Muñoz Hermanos",  # "munoz" and "muñoz" find it
    "no_tilde": "Munoz Viajes",  # and this one
    "percent": "Ahorro 100% Seguro",
    "underscore": "Red_Norte",
    "backslash": "Barra\\Inversa",
    "other": "Zapatería Luz",
}
QUERIES = {  # q -> the NAMES keys it must find, exactly
    "garcia": {"accent", "plain"},
    "GARCÍA": {"accent", "plain"},
    "García Pérez": {"accent"},
    "munoz": {"tilde", "no_tilde"},
    "MUÑOZ": {"tilde", "no_tilde"},
    "zapateria": {"other"},
    "%": {"percent"},
    "100%": {"percent"},
    "_": {"underscore"},
    "r_d": set(),  # "_" is not "any character" (it would match "Red")
    "\\": {"backslash"},
    "a\\i": {"backslash"},
    "\u0301": set(),  # a lone accent folds to nothing: it finds nothing, not everything
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Session:
    """A session on a fresh database of each backend (conftest's ``session``, ``pg_session``)."""
    return request.getfixturevalue("session" if request.param == "sqlite" else "pg_session")


Lister = Callable[[str], list[str]]


def _lists(s: Session, p: People) -> dict[str, Lister]:
    """Create one record per NAMES entry on every list; return ``q -> names found``."""
    admin = p.admin
    for i, name in enumerate(NAMES.values()):
        leads.create_lead(session=s, actor=admin, data={
            "company": name, "phone": f"6000000{i:02d}", "email": f"l{i}@empresa.es"})
        acc = accounts.create_account(session=s, actor=admin, data={
            "name": name, "email": f"c{i}@cliente.es", "city": "Ávila", "province": "Ávila"})
        contacts.create_contact(session=s, actor=admin, data={
            "first_name": "Ana", "last_name": name, "email": f"a{i}@contacto.es"})
        opportunities.create_opportunity(session=s, actor=admin, data={
            "name": name, "amount": "100.00"})
        products.create_product(session=s, actor=admin, data={
            "name": name, "sku": f"SKU-{i}", "unit_price": "10", "tax_rate": "21"})
        quotes.create_quote(session=s, actor=admin, account_id=acc.id, lines=[
            {"description": "Servicio", "quantity": "1", "unit_price": "100",
             "tax_rate": "21"}])
        s.add(Activity(subject=name, owner_id=admin.id))
        s.add(Document(filename=name, storage_key=f"k{i}", owner_id=admin.id))
    s.commit()
    account_names = {a.id: a.name for a in s.exec(select(Account)).all()}

    def lead_list(q: str) -> list[str]:
        rows, total = leads.list_leads(session=s, actor=admin, q=q, page_size=200)
        assert total == len(rows)
        return [r["company"] for r in rows]

    def page(fn: Callable, attr: Callable) -> Lister:
        def run(q: str) -> list[str]:
            got = fn(session=s, actor=admin, q=q, limit=200)
            assert got.total == len(got.items)
            return [attr(x) for x in got.items]
        return run

    def browsed(model: type, field: str) -> Lister:
        def run(q: str) -> list[str]:
            rows, total = browse(session=s, actor=admin, model=model, q=q, search=(field,),
                                 limit=200)
            assert total == len(rows)
            return [getattr(r, field) for r in rows]
        return run

    return {
        "leads": lead_list,
        "accounts": page(accounts.list_accounts, lambda a: a.name),
        "contacts": page(contacts.list_contacts, lambda c: c.last_name),
        "opportunities": page(opportunities.list_opportunities, lambda o: o.name),
        "products": page(products.list_products, lambda x: x.name),
        "quotes": page(quotes.list_quotes, lambda q: account_names[q.account_id]),
        "tasks": browsed(Activity, "subject"),
        "documents": browsed(Document, "filename"),
    }


def test_every_list_ignores_accents_and_case_and_escapes_wildcards(db: Session) -> None:
    lists = _lists(db, make_people(db))
    failures = []
    for list_name, found in lists.items():
        assert sorted(found("")) == sorted(NAMES.values()), list_name
        for q, keys in QUERIES.items():
            got = sorted(found(q))
            want = sorted(NAMES[k] for k in keys)
            if got != want:
                failures.append(f"{list_name} q={q!r}: {got} != {want}")
    assert not failures, "\n".join(failures)


def test_related_lists_match_the_customers_name_only(db: Session) -> None:
    """Contacts, opportunities and quotes are found by their customer's name (accents
    ignored), not by its city: the account's second ``search_text`` section."""
    p = make_people(db)
    acc = accounts.create_account(session=db, actor=p.admin, data={
        "name": "Óptica Ruiz", "trade_name": "Visión Clara", "city": "Cádiz",
        "province": "Cádiz"})
    contacts.create_contact(session=db, actor=p.admin, data={
        "account_id": acc.id, "first_name": "Eva", "last_name": "Sanz"})
    opportunities.create_opportunity(session=db, actor=p.admin, data={
        "name": "Gafas", "account_id": acc.id, "amount": "10"})
    quotes.create_quote(session=db, actor=p.admin, account_id=acc.id, lines=[
        {"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "21"}])
    assert acc.search_text == "optica ruiz vision clara" + SECTION + "cadiz"
    for fn in (contacts.list_contacts, opportunities.list_opportunities, quotes.list_quotes):
        assert fn(session=db, actor=p.admin, q="OPTICA").total == 1, fn
        assert fn(session=db, actor=p.admin, q="vision").total == 1, fn
        assert fn(session=db, actor=p.admin, q="cadiz").total == 0, fn
    assert accounts.list_accounts(session=db, actor=p.admin, q="cadiz").total == 1
    assert accounts.list_accounts(session=db, actor=p.admin, q="ruiz cadiz").total == 0
    # "-" compacts to an empty NIF, which used to match every account
    assert accounts.list_accounts(session=db, actor=p.admin, q="-").total == 0


def test_search_text_follows_every_write(db: Session) -> None:
    """ORM create and update (the listener), then a bulk import, an import that updates
    existing rows, and its undo: the search always sees the current names."""
    p = make_people(db)

    def companies(q: str) -> list[str]:
        return sorted(r["company"] for r in leads.list_leads(
            session=db, actor=p.admin, q=q)[0])

    lead = leads.create_lead(session=db, actor=p.admin, data={
        "first_name": "Íñigo", "company": "Cerámicas Úbeda", "phone": "600111222"})
    assert companies("inigo ubeda") == ["Cerámicas Úbeda"]
    leads.update_lead(session=db, actor=p.admin, lead_id=lead.id,
                      data={"company": "Forjas Ñandú"})
    assert companies("ubeda") == [] and companies("nandu") == ["Forjas Ñandú"]
    assert "search_text" not in leads.get_lead_dict(session=db, actor=p.admin, lead_id=lead.id)

    header = "Nombre;Apellidos;Empresa;Correo electrónico;Teléfono\n"
    result = import_file(session=db, actor=p.admin, entity="leads", filename="l.csv", data=(
        header + "Begoña;Ibáñez;Panadería Ñu;bego@panaderia.es;611222333\n"
                 "Raúl;Gómez;Talleres Gómez;raul@correo.es;622333444\n").encode())
    assert result.created == 2
    assert companies("ibanez") == ["Panadería Ñu"] and companies("GOMEZ") == ["Talleres Gómez"]
    update = import_file(session=db, actor=p.admin, entity="leads", filename="u.csv",
                         on_duplicate="update", data=(
                             header + "Raúl;Gómez;Hermanos Ruíz;raul@correo.es;\n").encode())
    assert update.updated == 1
    assert companies("talleres") == [] and companies("ruiz") == ["Hermanos Ruíz"]
    undo_batch(session=db, actor=p.admin, batch_id=update.batch_id)
    assert companies("talleres") == ["Talleres Gómez"] and companies("ruiz") == []
    db.expire_all()
    for row in db.exec(select(Lead)).all():
        assert row.search_text == row_search_text(row)


def test_stored_search_text_is_never_exposed(db: Session) -> None:
    p = make_people(db)
    acc = accounts.create_account(session=db, actor=p.admin, data={"name": "Ñandú",
                                                                   "province": "Lugo"})
    assert "search_text" not in acc.model_dump()
    for model in (Lead, Account, Contact, Opportunity, Product, Activity, Document):
        assert "search_text" in model.__table__.c, model


def test_bulk_fold_chunk_by_chunk_beside_the_writer() -> None:
    """``SearchTextChunks`` (the writer's helper thread) gives the same column, in order."""
    from crm_app.services.search import SearchTextChunks

    names = ["García", None, "  Muñoz\tS.L. ", "", "ÆØ ß", "plain"] * 9
    frame = pl.DataFrame({"company": names, "first_name": names[::-1]})
    chunks = SearchTextChunks.start(Lead, frame, {}, 7)
    assert chunks is not None
    try:
        got = [v for start in range(0, frame.height, 7) for v in chunks.chunk(start).to_list()]
    finally:
        chunks.close()
    assert got == with_search_text(Lead, frame, {})["search_text"].to_list()
    assert SearchTextChunks.start(Lead, frame.with_columns(search_text=pl.lit("")), {}, 7) \
        is None
    assert SearchTextChunks.start(object, frame, {}, 7) is None  # not a searchable model
