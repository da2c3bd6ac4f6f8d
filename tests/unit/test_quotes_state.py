"""The quotes screens' states (the list, the editor), driven in-process like a browser tab of
each user would drive them: the list's search, status filter and sorts; the editor's lines
and live totals (the service's preview: quantity 0 refused inline exactly as the save refuses
it), the save with the service's errors inline, the decisions, the e-mail in the background;
forged events on another team's quote refused with nothing written; tabs without session."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sales_support as build
from smtp_inbox import local_smtp
from sqlmodel import Session, func, select
from state_harness import names, run, run_bg, tab

from crm_app import db
from crm_app.formatting import money
from crm_app.i18n import t
from crm_app.models import AuditEvent, Opportunity, Quote, QuoteLine, Stage
from crm_app.services import contacts, mailer
from crm_app.services import quotes as svc
from crm_app.services.overview import overview
from pages.quotes import QuoteEditorState, QuotesState


def _toast(events) -> str:
    return " ".join(str(e) for e in events if "toast" in str(e).lower())


def _stored(session, quote_id) -> Quote:
    session.expire_all()
    return session.get(Quote, int(quote_id))


def _writes(session) -> tuple[int, int, int]:
    session.expire_all()
    return tuple(session.exec(select(func.count()).select_from(m)).one()
                 for m in (Quote, QuoteLine, AuditEvent))


@pytest.fixture
def world(session, people):
    """comercial1 (Norte): a customer with a contact and an opportunity, a borrador and a
    sent quote; comercial3 (Sur): one quote of their own. A catalog product."""
    c1 = people.comercial1
    acc = build.account(session, c1, name="Talleres Ruiz S.L.", email="compras@ruiz.es")
    ana = contacts.create_contact(session=session, actor=c1, data={
        "first_name": "Ana", "last_name": "Ruiz", "email": "ana@ruiz.es", "account_id": acc.id})
    opp = build.opportunity(session, c1, acc.id, name="Renovación", contact_id=ana.id)
    monitor = build.product(session, people.admin, name="Monitor 27", unit_price="279",
                            tax_rate="21", unit="ud")
    draft = build.quote(session, c1, acc.id, opportunity_id=opp.id, irpf_pct="0")
    big = build.quote(session, c1, acc.id, irpf_pct="0", lines=[
        {"description": "Obra", "quantity": "10", "unit_price": "1000", "tax_rate": "21"}])
    svc.reject_quote(session=session, actor=c1, quote_id=big.id)
    south = build.quote(session, people.comercial3, build.account(session, people.comercial3).id)
    return {"acc": acc, "ana": ana, "opp": opp, "monitor": monitor, "draft": draft, "big": big,
            "south": south}


# --- the list ---------------------------------------------------------------------------------


def test_the_list_searches_filters_and_sorts(world, people):
    s = tab(QuotesState, people.comercial1, path="/presupuestos")
    assert run(s.open_list()) == [] and s.loaded
    assert (s.total, s.sort, s.desc, s.count_label) == (2, "number", True, "presupuestos")
    assert [r["id"] for r in s.rows] == [str(world["big"].id), str(world["draft"].id)]
    row = s.rows[1]
    assert (row["account"], row["status"], row["owner"]) == ("Talleres Ruiz S.L.", "borrador",
                                                             "Comercial1")
    assert row["total"] == "121,00\u00a0€" and row["href"] == f"/presupuestos/{world['draft'].id}"
    run(s.sort_by("total"))
    assert (s.sort, s.desc) == ("total", False)
    assert [r["total"] for r in s.rows] == ["121,00\u00a0€", "12.100,00\u00a0€"]
    run(s.set_sort("total:desc"))
    assert s.rows[0]["total"] == "12.100,00\u00a0€"
    run(s.sort_by("owner_id; drop table"))  # not a declared sort: ignored
    assert s.sort == "total"
    run(s.set_filter("status", "rechazado"))
    assert [r["id"] for r in s.rows] == [str(world["big"].id)] and s.count_label == "presupuesto"
    assert s.chips == [{"key": "status", "label": "Estado: Rechazado"}]
    run(s.set_filter("status", "abiertos"))
    assert [r["id"] for r in s.rows] == [str(world["draft"].id)]
    assert s.chips == [{"key": "status", "label": "Estado: Pendientes (borrador o enviado)"}]
    run(s.set_filter("status", "todo' OR 1=1"))  # not a status: no filter
    assert s.filters == {} and s.total == 2
    run(s.set_filter("owner_id", "1"))  # not a filter of this list: ignored
    assert s.filters == {}
    run(s.search("ruiz"))
    assert s.total == 2 and s.has_filters
    run(s.search(world["south"].number))  # comercial3's quote is out of scope
    assert s.total == 0
    run(s.clear_filters())
    assert s.total == 2


def test_inicio_opens_the_list_filtered_to_the_open_quotes(world, people):
    s = tab(QuotesState, people.comercial1, path="/presupuestos?estado=abiertos")
    run(s.open_list())
    assert s.filters == {"status": "abiertos"} and s.total == 1
    with Session(db.get_engine()) as session:  # the card's count is the list's total
        assert overview(session=session, actor=people.comercial1)["open_quotes"] == s.total
    other = tab(QuotesState, people.director, path="/presupuestos?estado=nada")
    run(other.open_list())
    assert other.filters == {} and other.total == 3


# --- the editor: lines, the service's preview, the save -------------------------------------


def _new_quote_tab(world, user):
    return tab(QuoteEditorState, user,
               path=f"/presupuestos/nuevo?oportunidad={world['opp'].id}")


def test_a_new_quote_from_an_opportunity_takes_its_customer_and_contact(world, people):
    e = _new_quote_tab(world, people.comercial1)
    assert run(e.load()) == [] and e.loaded and e.found and e.quote_id == 0
    assert (e.account_id, e.account_name) == (str(world["acc"].id), "Talleres Ruiz S.L.")
    assert (e.opportunity_id, e.contact_id) == (str(world["opp"].id), str(world["ana"].id))
    assert [o["label"] for o in e.opportunity_options] == ["Renovación"]
    assert [o["label"] for o in e.contact_options] == ["Ana Ruiz"]
    assert e.lines == [] and e.totals["total"] == "0,00\u00a0€" and e.errors == {}
    assert not e.dirty and e.editable and e.head["label"] == "Nuevo presupuesto"


def test_lines_and_totals_come_from_the_service_preview(world, people, session):
    e = _new_quote_tab(world, people.comercial1)
    run(e.load())
    e.irpf = "0"
    run(e.search_products("monitor"))
    assert [o["label"] for o in e.product_options] == ["Monitor 27"]
    run(e.add_product(e.product_options[0]["value"]))
    assert e.product_options == [] and e.dirty
    assert (e.lines[0]["description"], e.lines[0]["unit_price"], e.lines[0]["tax_rate"]) == (
        "Monitor 27", "279", "21")
    run(e.set_line(0, "quantity", "3"))
    assert e.lines[0]["base"] == "837,00\u00a0€" and e.totals["total"] == "1.012,77\u00a0€"
    run(e.add_free_line())
    assert e.errors == {}  # an empty new line is not an error until the save
    run(e.set_line(1, "description", "Instalación en oficina"))
    run(e.set_line(1, "unit_price", "250,50"))
    run(e.set_line(1, "discount_pct", "10"))
    run(e.set_global_discount("5"))
    preview = svc.preview_quote(session=session, actor=people.comercial1, **e._terms())
    assert preview.errors == {}
    assert e.totals["total"] == money(preview.totals.total)
    assert e.totals["base"] == money(preview.totals.base)
    assert [ln["base"] for ln in e.lines] == [money(b) for b in preview.totals.line_bases]
    assert e.totals["has_discount"] == "1" and e.totals["discount_label"] == \
        "Descuento global (5\u00a0%)"
    run(e.set_recargo(True))
    assert e.recargos and e.recargos[0]["label"] == "5,2\u00a0% (sobre IVA 21\u00a0%)"
    run(e.set_recargo(False))
    run(e.remove_line(1))
    assert len(e.lines) == 1 and e.totals["base"] == "795,15\u00a0€"  # 837 − 5 %
    run(e.set_line(7, "quantity", "2"))  # no such line: ignored
    run(e.set_line(0, "password_hash", "x"))  # not a line field: ignored
    assert set(e.lines[0]) == {"key", "product_id", "description", "quantity", "unit",
                               "unit_price", "discount_pct", "tax_rate", "base"}


def test_quantity_0_is_refused_inline_exactly_as_the_save_refuses_it(world, people, session):
    e = _new_quote_tab(world, people.comercial1)
    run(e.load())
    run(e.add_free_line())
    run(e.set_line(0, "description", "Montaje"))
    run(e.set_line(0, "unit_price", "50"))
    total_before = e.totals["total"]
    run(e.set_line(0, "quantity", "0"))
    message = "La cantidad debe ser mayor que 0."
    assert e.errors == {"lines.0.quantity": message}
    assert e.lines[0]["base"] == "0,00\u00a0€" and e.totals["total"] != total_before
    writes = _writes(session)
    out = run(e.save())
    assert e.errors == {"lines.0.quantity": message}  # the save says the same, same field
    assert t("common.check_fields") in _toast(out) and not e.saving
    assert 'getElementById("line-0-quantity-error")' in str(out)  # brought into view
    assert _writes(session) == writes  # nothing written
    run(e.set_line(0, "quantity", "2"))
    assert e.errors == {} and e.lines[0]["base"] == "100,00\u00a0€"


def test_the_save_shows_the_services_errors_inline_then_creates(world, people, session):
    e = tab(QuoteEditorState, people.comercial1, path="/presupuestos/nuevo")
    run(e.load())
    assert e.account_id == "" and e.irpf == "0"
    writes = _writes(session)
    out = run(e.save())
    assert e.errors == {"account_id": "Elige el cliente.", "lines": "Añade al menos una línea."}
    assert 'getElementById("quote-account-search-error")' in str(out)
    run(e.add_free_line())
    run(e.set_irpf("150"))
    assert e.errors["irpf_pct"] == "El IRPF no puede ser mayor que 100."
    assert e.errors["account_id"] == "Elige el cliente."  # kept until the next save
    e.valid_until = "31/02/2026"
    run(e.save())
    assert set(e.errors) == {"account_id", "irpf_pct", "valid_until", "lines.0.description",
                             "lines.0.unit_price"}
    assert _writes(session) == writes
    run(e.pick_account(str(world["acc"].id)))
    assert e.account_name == "Talleres Ruiz S.L." and e.opportunity_options
    run(e.set_irpf("15"))
    run(e.set_line(0, "description", "Auditoría"))
    run(e.set_line(0, "unit_price", "1000"))
    e.set_text("valid_until", "")
    shown = dict(e.totals)
    out = run(e.save())
    assert e.errors == {} and names(out)[-1] == "_redirect"
    new_id = int(str(out[-1].args).split("/presupuestos/")[1].split('"')[0].split("'")[0])
    stored = _stored(session, new_id)
    assert shown["total"] == money(stored.total) == "1.060,00\u00a0€"  # 1000 + 21 % − 15 %
    assert stored.irpf_pct == Decimal("15.00") and stored.owner_id == people.comercial1.id


def test_an_existing_draft_loads_saves_and_is_accepted(world, people, session):
    q = world["draft"]
    e = tab(QuoteEditorState, people.comercial1, path=f"/presupuestos/{q.id}")
    run(e.load())
    assert e.quote_id == q.id and e.editable and e.head["status"] == "borrador"
    assert e.head["opportunity_name"] == "Renovación" and e.head["pdf"] == \
        f"/api/v1/quotes/{q.id}/pdf"
    assert e.totals["total"] == "121,00\u00a0€" and e.lines[0]["description"] == "Servicio"
    run(e.set_line(0, "quantity", "2"))
    assert e.dirty and e.totals["total"] == "242,00\u00a0€"
    out = run(e.accept())  # unsaved changes: save first
    assert t("sui.quote.save_first") in _toast(out) and _stored(session, q.id).status == \
        "borrador"
    e.set_text("notes", "Entrega en marzo")
    e.set_text("password_hash", "x")  # not a field of the editor: ignored
    assert not hasattr(e, "password_hash")
    out = run(e.save())
    assert t("sui.quotes.saved") in _toast(out) and not e.dirty
    assert _stored(session, q.id).total == Decimal("242.00")
    assert _stored(session, q.id).notes == "Entrega en marzo"
    out = run(e.accept())
    assert t("sui.quote.accepted") in _toast(out)
    assert e.head["status"] == "aceptado" and not e.editable
    session.expire_all()
    opp = session.get(Opportunity, world["opp"].id)
    assert session.get(Stage, opp.stage_id).kind == "won" and opp.amount == Decimal("200.00")
    run(e.set_line(0, "quantity", "5"))  # no longer a borrador: the inputs are read-only
    assert e.lines[0]["quantity"] == "2" and not e.dirty


def test_a_rejected_quote_gets_a_new_version(world, people):
    e = tab(QuoteEditorState, people.comercial1, path=f"/presupuestos/{world['big'].id}")
    run(e.load())
    assert not e.editable and e.head["status"] == "rechazado"
    out = run(e.revise())
    assert t("sui.quote.revised", version=2) in _toast(out) and names(out)[-1] == "_redirect"


# --- forged events: another team's quote ------------------------------------------------------


def test_another_teams_quote_does_not_open(world, people):
    e = tab(QuoteEditorState, people.comercial3, path=f"/presupuestos/{world['draft'].id}")
    out = run(e.load())
    assert "Presupuesto no encontrado." in _toast(out)
    assert not e.found and not e.loaded and e.lines == []


def test_a_forged_accept_or_edit_of_another_teams_quote_is_refused(world, people, session):
    theirs = world["draft"]
    e = tab(QuoteEditorState, people.comercial3, path=f"/presupuestos/{world['south'].id}")
    run(e.load())
    assert e.found and e.quote_id == world["south"].id
    e.quote_id = theirs.id  # events sent as if the tab held comercial1's quote
    writes = _writes(session)
    for event in (e.accept, e.reject, e.delete, e.revise):
        out = run(event())
        assert "Presupuesto no encontrado." in _toast(out), event
    e.lines = [{**e.lines[0], "quantity": "9"}]
    out = run(e.save())
    assert "Presupuesto no encontrado." in _toast(out)
    assert _writes(session) == writes
    stored = _stored(session, theirs.id)
    assert (stored.status, stored.total, stored.deleted_at) == ("borrador", Decimal("121.00"),
                                                                None)


def test_the_send_handlers_check_permission_and_send_off_the_event_loop(world, people,
                                                                         session, monkeypatch):
    q = world["draft"]
    with local_smtp("Ventas <ventas@norte.test>") as (inbox, settings):
        monkeypatch.setattr(mailer, "get_settings", lambda: settings)
        # comercial3 forging the dialog and the send on comercial1's quote: refused, nothing sent
        e = tab(QuoteEditorState, people.comercial3, path=f"/presupuestos/{world['south'].id}")
        run(e.load())
        e.quote_id = q.id
        out = run(e.open_send())
        assert "Presupuesto no encontrado." in _toast(out) and not e.send_open
        e.send_open, e.send_to = True, "x@y.es"
        out = run_bg(e, "send")
        assert "Presupuesto no encontrado." in _toast(out) and not e.sending
        assert inbox.messages == [] and _stored(session, q.id).status == "borrador"
        # The owner: the dialog starts with the contact and the default message.
        s = tab(QuoteEditorState, people.comercial1, path=f"/presupuestos/{q.id}")
        run(s.load())
        run(s.open_send())
        assert s.send_open and s.send_to == "ana@ruiz.es" and "Hola, Ana:" in s.send_message
        s.set_send_to("ana@ruiz.es, no-es-correo")
        out = run_bg(s, "send")
        assert s.send_errors == {"to": "Correo no válido: no-es-correo"} and s.send_open
        assert inbox.messages == [] and not s.sending
        s.set_send_to("ana@ruiz.es; compras@ruiz.es")
        out = run_bg(s, "send")
        assert t("sui.quote.sent", to="ana@ruiz.es; compras@ruiz.es") in _toast(out)
        assert not s.send_open and s.head["status"] == "enviado" and s.head["sent_at"]
        [(rcpts, msg)] = inbox.messages
        assert rcpts == ["ana@ruiz.es", "compras@ruiz.es"]
        assert msg.get_content_type() == "multipart/mixed"
    assert _stored(session, q.id).status == "enviado"


# --- no session -------------------------------------------------------------------------------


def test_a_tab_without_session_goes_to_the_login_page(world):
    s = tab(QuotesState, None, path="/presupuestos")
    out = run(s.open_list())
    assert names(out) == ["_redirect"] and "/login?next=/presupuestos" in str(out[0].args)
    assert s.rows == []
    e = tab(QuoteEditorState, None, path=f"/presupuestos/{world['draft'].id}")
    out = run(e.load())
    assert names(out) == ["_redirect"] and not e.loaded and not e.signed_in
    for event in (e.save(), e.accept(), e.set_line(0, "quantity", "0"), e.open_send()):
        assert names(run(event)) == ["_redirect"]
    assert names(run_bg(e, "send")) == ["_redirect"]


# events that only change what the tab shows (a choice kept for the save, a dialog) and read
# no data
UI_ONLY = {"setvar", "toggle_filters", "toggle_row", "toggle_page", "set_text",
           "set_send_open", "set_send_to", "set_send_message",
           # the "Registrar" dialog (``state_mixins.activity_log``): its fields and kind chips
           "set_log_open", "set_log_subject", "set_log_outcome", "set_log_notes", "set_log_due",
           "set_log_owner", "set_log_reminder", "pick_log_kind"}


@pytest.mark.parametrize("state", [QuotesState, QuoteEditorState])
def test_every_other_event_is_a_handler(state):
    """Each event that reads or changes data (the preview included) goes through
    ``@handler``: session, signed-in user, permission, error mapping."""
    plain = {name for name, h in state.event_handlers.items()
             if not hasattr(h.fn, "__crm_handler__")}
    assert plain <= UI_ONLY, plain - UI_ONLY


# --- the asesor: reads every quote, changes none ---------------------------------------------


@pytest.fixture
def asesor(session):
    from factories import fixture_hash

    from crm_app.models import Role, User, utcnow
    user = User(email="asesor@test.crm", name="Gestoría", role=Role.ASESOR,
                password_hash=fixture_hash(), created_at=utcnow())
    session.add(user)
    session.commit()
    return user


def test_the_asesor_reads_every_quote_read_only(world, people, session, asesor):
    lst = tab(QuotesState, asesor, path="/presupuestos")
    assert run(lst.open_list()) == [] and lst.total == 3  # every team's quotes
    e = tab(QuoteEditorState, asesor, path=f"/presupuestos/{world['draft'].id}")
    assert run(e.load()) == [] and e.found and e.loaded
    assert e.editable is False  # a borrador, but not the asesor's to change
    assert e.account_name == "Talleres Ruiz S.L." and len(e.lines) == 1
    assert e.opportunity_options == [] and e.contact_options == []  # no commercial records
    writes = _writes(session)
    for event in (e.accept, e.reject, e.delete, e.revise, e.save, e.open_send):
        out = run(event())
        assert "No tienes permiso" in _toast(out), event
    assert _writes(session) == writes
    new = tab(QuoteEditorState, asesor, path="/presupuestos/nuevo")
    assert "No tienes permiso" in _toast(run(new.load())) and not new.loaded
