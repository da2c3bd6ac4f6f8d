"""The importer on PostgreSQL: the bulk writer (``%s`` parameters, literals, JSON, booleans,
datetimes, money), the duplicate lookup through a temporary table, updates and undo."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from factories import make_people
from sqlmodel import Session, SQLModel, select

from crm_app.db import make_engine
from crm_app.models import Account, ImportBatch, ImportStatus, Lead, Opportunity, StageChange
from crm_app.services.importing import import_file, undo_batch

pytestmark = pytest.mark.postgres


def test_import_update_and_undo_on_postgresql(pg_server) -> None:  # noqa: ANN001
    engine = make_engine(pg_server.create_database("crm_import"))
    SQLModel.metadata.create_all(engine)
    try:
        with Session(engine, expire_on_commit=False) as session:
            people = make_people(session)
            admin = people.admin
            leads = ("Nombre;Email;Teléfono;Fecha de alta;Notas\n"
                     "Ana;ana@x.es;600123456;15/01/2024;50% de 'descuento'\n"
                     "Luis;luis@x.es;;;\n")
            first = import_file(session=session, actor=admin, entity="leads",
                                data=leads.encode())
            assert (first.created, first.errors) == (2, [])
            again = import_file(session=session, actor=admin, entity="leads",
                                data=b"Nombre;Email;Cargo\nAna Mar\xc3\xada;ANA@x.es;CEO\n",
                                on_duplicate="update")
            assert (again.created, again.updated) == (0, 1)
            ana = session.exec(select(Lead).where(Lead.email == "ana@x.es")).one()
            session.refresh(ana)
            assert (ana.first_name, ana.position, ana.notes, ana.phone) == (
                "Ana María", "CEO", "50% de 'descuento'", "+34600123456")
            assert ana.created_at == datetime(2024, 1, 15, 11, 0, tzinfo=UTC)
            undo_batch(session=session, actor=admin, batch_id=again.batch_id)
            session.refresh(ana)
            assert (ana.first_name, ana.position) == ("Ana", "")

            accounts = import_file(session=session, actor=admin, entity="accounts",
                                   data="Razón social;CIF;Recargo\nAcme S.L.;B12345674;sí\n"
                                        .encode())
            assert accounts.created == 1
            assert session.exec(select(Account)).one().recargo_equivalencia is True
            opps = import_file(session=session, actor=admin, entity="opportunities",
                               data=(b"Nombre;Importe;Etapa;Cliente;Fecha de alta;"
                                     b"Fecha de cierre\n"
                                     b"Venta;1.234,5;Ganada;Acme S.L.;01/02/2024;01/03/2024\n")
)
            assert (opps.created, opps.errors) == (1, [])
            opp = session.exec(select(Opportunity)).one()
            assert opp.amount == Decimal("1234.50")
            assert opp.closed_at == datetime(2024, 3, 1, 11, 0, tzinfo=UTC)
            assert len(session.exec(select(StageChange)).all()) == 2
            undo_batch(session=session, actor=admin, batch_id=opps.batch_id)
            assert session.exec(select(Opportunity)).all() == []
            assert session.get(ImportBatch, opps.batch_id).status == ImportStatus.UNDONE
    finally:
        engine.dispose()
