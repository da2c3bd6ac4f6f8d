"""Historic data load through the same importer: accounts, contacts and opportunities (with
their original stage, amount, owner, created and closed dates and a consistent stage history)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlmodel import Session, select

from crm_app.models import (
    Account,
    Contact,
    ImportBatch,
    ImportStatus,
    Opportunity,
    Pipeline,
    Stage,
    StageChange,
)
from crm_app.services.defaults import ensure_default_pipeline
from crm_app.services.importing import import_file, undo_batch

NOON_MADRID_WINTER = 11  # 12:00 CET in UTC


def imp(session: Session, actor, entity: str, text: str | bytes, **kw):  # noqa: ANN001, ANN201
    data = text.encode() if isinstance(text, str) else text
    return import_file(session=session, actor=actor, entity=entity, data=data, **kw)


ACCOUNTS = ("Razón social;CIF;Sector;Empleados;Dirección;CP;Provincia;Email;Teléfono;"
            "Recargo de equivalencia;Fecha de alta\n"
            "Acme S.L.;B12345674;Industria;35;Calle Mayor 1;28001;;info@acme.es;911234567;sí;"
            "04/05/2021\n"
            "Beta S.A.;A58818501;Hostelería;300;;41001;Sevilla;;;no;\n"
            "Gamma;B1234567X;;;;;;;;quizá;\n"
            ";;Sin nombre;;;;;;;;\n"
            "Acme duplicada;B-12345674;;;;;;;;;\n")


def test_accounts(session, people) -> None:  # noqa: ANN001
    result = imp(session, people.admin, "accounts", ACCOUNTS)
    assert (result.created, result.skipped) == (2, 1)
    assert [(e["row"], e["field"]) for e in result.errors] == [
        (4, "nif"), (4, "recargo_equivalencia"), (5, "name")]
    assert [(d["row"], d["field"], d["first_row"]) for d in result.duplicates] == [
        (6, "nif", 2)]
    accounts = {a.name: a for a in session.exec(select(Account)).all()}
    acme = accounts["Acme S.L."]
    assert (acme.nif, acme.size_band, acme.province, acme.postal_code, acme.phone,
            acme.recargo_equivalencia, acme.country) == (
        "B12345674", "10-49", "Madrid", "28001", "+34911234567", True, "ES")
    assert acme.created_at == datetime(2021, 5, 4, 10, 0, tzinfo=UTC)  # 12:00 CEST
    assert accounts["Beta S.A."].size_band == "250+"
    assert acme.import_batch_id == result.batch_id and acme.owner_id == people.admin.id


def test_contacts_link_to_accounts_by_name_or_cif(session, people) -> None:  # noqa: ANN001
    imp(session, people.admin, "accounts", ACCOUNTS)
    text = ("Nombre y apellidos;Empresa;CIF;Email;Móvil;Cargo\n"
            "Ana López García;acme s.l.;;ana@acme.es;600111222;Gerente\n"
            "Luis Martín;;A58818501;luis@beta.es;;\n"
            "Pedro;Nadie SL;;pedro@x.es;;\n"
            "Eva Sin Datos;Acme S.L.;;;;\n")
    result = imp(session, people.manager1, "contacts", text)
    # Acme and Beta belong to the admin (no team): out of manager1's scope, not linkable
    assert result.created == 0
    result = imp(session, people.admin, "contacts", text)
    assert result.created == 2
    assert [(e["row"], e["field"]) for e in result.errors] == [(4, "account"), (5, "email")]
    contacts = {c.email: c for c in session.exec(select(Contact)).all()}
    accounts = {a.name: a.id for a in session.exec(select(Account)).all()}
    ana = contacts["ana@acme.es"]
    assert (ana.first_name, ana.last_name, ana.account_id, ana.phone, ana.position) == (
        "Ana", "López García", accounts["Acme S.L."], "+34600111222", "Gerente")
    assert contacts["luis@beta.es"].account_id == accounts["Beta S.A."]


def test_contacts_update_policy(session, people) -> None:  # noqa: ANN001
    imp(session, people.admin, "contacts", "Nombre;Email;Cargo\nAna;ana@x.es;Compras\n")
    result = imp(session, people.admin, "contacts", "Nombre;Apellidos;Email;Cargo\n"
                 "Ana;Ruiz;ANA@x.es;\n", on_duplicate="update")
    assert (result.created, result.updated) == (0, 1)
    ana = session.exec(select(Contact)).one()
    session.refresh(ana)
    assert (ana.first_name, ana.last_name, ana.position) == ("Ana", "Ruiz", "Compras")
    undo_batch(session=session, actor=people.admin, batch_id=result.batch_id)
    session.refresh(ana)
    assert ana.last_name == ""


OPPS = ("Oportunidad;Importe;Etapa;Propietario;Fecha de alta;Fecha de cierre;Cliente\n"
        "Proyecto abierto;1.234,56;Oferta presentada;comercial1@test.crm;01/02/2024;"
        "30/06/2024;Acme S.L.\n"
        "Proyecto ganado;5000;Ganada;comercial2@test.crm;01/02/2024;15/03/2024;\n"
        "Proyecto HubSpot;99.5;Closed Lost;;2024-02-01T09:00:00Z;;Beta S.A.\n"
        "Malo;-5;Inventada;nadie@x.es;2024-13-01;;Zeta\n"
        "Al revés;10;Ganada;;01/03/2024;01/02/2024;\n"
        "Sin importe;;En análisis;;;;\n")


def test_opportunities_keep_their_history(session, people) -> None:  # noqa: ANN001
    imp(session, people.admin, "accounts", ACCOUNTS)
    result = imp(session, people.admin, "opportunities", OPPS)
    assert result.created == 3
    assert [(e["row"], e["field"]) for e in result.errors] == [
        (5, "amount"), (5, "stage"), (5, "account"), (5, "created_at"), (5, "owner"),
        (6, "closed_at"), (7, "amount")]
    stages = {s.name: s for s in session.exec(select(Stage)).all()}
    opps = {o.name: o for o in session.exec(select(Opportunity)).all()}
    accounts = {a.name: a.id for a in session.exec(select(Account)).all()}
    pipeline = session.exec(select(Pipeline).where(Pipeline.is_default == True)).one()  # noqa: E712
    feb1 = datetime(2024, 2, 1, NOON_MADRID_WINTER, tzinfo=UTC)

    open_ = opps["Proyecto abierto"]
    assert (open_.amount, open_.stage_id, open_.pipeline_id, open_.owner_id, open_.team_id,
            open_.account_id) == (Decimal("1234.56"), stages["Oferta presentada"].id,
                                  pipeline.id, people.comercial1.id, people.team_norte.id,
                                  accounts["Acme S.L."])
    assert (open_.created_at, open_.closed_at, open_.expected_close, open_.stage_entered_at) == (
        feb1, None, date(2024, 6, 30), feb1)

    won = opps["Proyecto ganado"]
    mar15 = datetime(2024, 3, 15, NOON_MADRID_WINTER, tzinfo=UTC)
    assert (won.stage_id, won.owner_id, won.created_at, won.closed_at, won.stage_entered_at) == (
        stages["Ganada"].id, people.comercial2.id, feb1, mar15, mar15)

    lost = opps["Proyecto HubSpot"]
    at9 = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
    assert (lost.stage_id, lost.amount, lost.owner_id, lost.created_at, lost.closed_at) == (
        stages["Cancelada"].id, Decimal("99.50"), people.admin.id, at9, at9)

    history = {}
    for ch in session.exec(select(StageChange).order_by(StageChange.id)).all():
        history.setdefault(ch.opportunity_id, []).append(
            (ch.from_stage_id, ch.to_stage_id, ch.changed_at, ch.owner_id))
    first = stages["En análisis"].id
    assert history[open_.id] == [(None, stages["Oferta presentada"].id, feb1,
                                  people.comercial1.id)]
    assert history[won.id] == [(None, first, feb1, people.comercial2.id),
                               (first, stages["Ganada"].id, mar15, people.comercial2.id)]
    assert history[lost.id] == [(None, stages["Cancelada"].id, at9, people.admin.id)]

    undo_batch(session=session, actor=people.admin, batch_id=result.batch_id)
    assert session.exec(select(Opportunity)).all() == []
    assert session.exec(select(StageChange)).all() == []
    assert session.get(ImportBatch, result.batch_id).status == ImportStatus.UNDONE


def test_opportunities_in_a_named_pipeline_from_xlsx(session, people) -> None:  # noqa: ANN001
    ensure_default_pipeline(session=session)
    other = Pipeline(name="Licitaciones", position=1)
    session.add(other)
    session.flush()
    session.add_all([Stage(pipeline_id=other.id, name="Presentada", position=0),
                     Stage(pipeline_id=other.id, name="Adjudicada", position=1, kind="won")])
    session.commit()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Nombre", "Importe", "Embudo", "Etapa", "Fecha de alta", "Fecha de cierre"])
    ws.append(["Concurso", 25000, "licitaciones", "Adjudicada", datetime(2023, 9, 1),
               datetime(2023, 11, 20)])
    ws.append(["Normal", 10, None, "En negociación", date(2024, 1, 10), None])
    ws.append(["Mal embudo", 10, "Otro", "Adjudicada", None, None])
    buf = io.BytesIO()
    wb.save(buf)
    result = imp(session, people.manager1, "opportunities", buf.getvalue(),
                 filename="historico.xlsx")
    assert result.created == 2
    assert [(e["row"], e["field"]) for e in result.errors] == [(4, "pipeline")]
    opps = {o.name: o for o in session.exec(select(Opportunity)).all()}
    concurso = opps["Concurso"]
    assert concurso.pipeline_id == other.id and concurso.amount == Decimal("25000.00")
    assert concurso.closed_at == datetime(2023, 11, 20, NOON_MADRID_WINTER, tzinfo=UTC)
    assert (concurso.owner_id, concurso.team_id) == (people.manager1.id, people.team_norte.id)
    changes = session.exec(select(StageChange).where(
        StageChange.opportunity_id == concurso.id).order_by(StageChange.id)).all()
    assert [(c.to_stage_id, c.changed_at.date()) for c in changes] == [
        (changes[0].to_stage_id, date(2023, 9, 1)), (concurso.stage_id, date(2023, 11, 20))]


@pytest.mark.parametrize("entity", ["accounts", "contacts", "opportunities"])
def test_dry_run_per_entity_writes_nothing(session, people, entity) -> None:  # noqa: ANN001
    text = {"accounts": ACCOUNTS, "contacts": "Nombre;Email\nAna;a@x.es\n",
            "opportunities": "Nombre;Importe;Etapa\nX;10;Ganada\n"}[entity]
    result = imp(session, people.admin, entity, text, dry_run=True)
    assert result.batch_id is None and result.created >= 1
    for model in (Account, Contact, Opportunity, StageChange, ImportBatch, Pipeline):
        assert session.exec(select(model)).all() == []
