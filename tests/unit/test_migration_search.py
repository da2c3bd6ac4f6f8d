"""Migration 0003: rows that exist before it are searchable after it (the backfill), on SQLite
and PostgreSQL; models and migrations stay equal (``alembic check``); it downgrades cleanly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.config import Config
from factories import make_people
from sqlmodel import Session

from alembic import command
from crm_app.db import make_engine
from crm_app.models import (
    Account,
    Activity,
    Contact,
    Document,
    Lead,
    Opportunity,
    Pipeline,
    Product,
    Stage,
)
from crm_app.models.search import SECTION, row_search_text
from crm_app.services import accounts, contacts, leads, opportunities, products
from crm_app.services.browse import browse
from crm_app.services.importing.writer import model_defaults
from crm_app.settings import PROJECT_ROOT

ROWS: dict[type, list[dict[str, Any]]] = {
    Lead: [{"first_name": "José", "last_name": "GARCÍA", "company": "Muñoz  S.L.",
            "email": "jose@munoz.es"},
           {"first_name": "", "last_name": "", "company": "", "phone": "+34600111222"}],
    Account: [{"name": "Óptica Ruiz", "city": "Cádiz"}, {"name": "Sin ciudad"}],
    Contact: [{"first_name": "Íñigo", "last_name": "Ibáñez", "position": "Gerente"}],
    Opportunity: [{"name": "Reforma Ñandú"}],
    Product: [{"name": "Consultoría", "sku": "CÓD-1", "description": "Análisis\tcompleto"}],
    Activity: [{"subject": "Llamar a Begoña"}],
    Document: [{"filename": "Presupuesto_Año.pdf", "storage_key": "k1"}],
}


def config(url: str) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    return cfg


def insert_before_0003(url: str) -> None:
    """Rows written by the code of revision 0002 (no ``search_text`` column yet)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        pipeline = conn.execute(sa.insert(Pipeline.__table__).values(
            name="Ventas", is_default=True, position=0, active=True)).inserted_primary_key[0]
        stage = conn.execute(sa.insert(Stage.__table__).values(
            pipeline_id=pipeline, name="Nueva", position=0, probability=10, kind="open",
            required_fields=[])).inserted_primary_key[0]
        for model, rows in ROWS.items():
            # the table as revision 0002 left it (later revisions add columns today's
            # models have: only today's defaults for the columns that exist then)
            old = sa.Table(model.__tablename__, sa.MetaData(), autoload_with=conn)
            defaults = {k: v for k, v in model_defaults(model).items()
                        if k in old.columns and k != "id"}
            extra = {"pipeline_id": pipeline, "stage_id": stage} if model is Opportunity else {}
            conn.execute(sa.insert(old), [{**defaults, **extra, **row} for row in rows])
    engine.dispose()


def assert_backfilled(url: str) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            for model, rows in ROWS.items():
                stored = list(s.execute(sa.select(model)).scalars())
                assert len(stored) == len(rows), model
                for row in stored:
                    assert row.search_text == row_search_text(row), (model, row)
            lead = s.execute(sa.select(Lead).where(Lead.email == "jose@munoz.es")).scalar_one()
            assert lead.search_text == "jose garcia munoz s.l."
            assert {a.name: a.search_text for a in s.execute(sa.select(Account)).scalars()} == {
                "Óptica Ruiz": "optica ruiz" + SECTION + "cadiz",
                "Sin ciudad": "sin ciudad" + SECTION}
            p = make_people(s)
            s.commit()
            assert leads.list_leads(session=s, actor=p.admin, q="garcia munoz")[1] == 1
            assert accounts.list_accounts(session=s, actor=p.admin, q="OPTICA").total == 1
            assert contacts.list_contacts(session=s, actor=p.admin, q="inigo ibanez").total == 1
            assert opportunities.list_opportunities(session=s, actor=p.admin,
                                                    q="nandu").total == 1
            assert products.list_products(session=s, actor=p.admin, q="analisis").total == 1
            assert browse(session=s, actor=p.admin, model=Activity, q="BEGONA",
                          search=("subject",))[1] == 1
            assert browse(session=s, actor=p.admin, model=Document, q="ano.pdf",
                          search=("filename",))[1] == 1
    finally:
        engine.dispose()


def roundtrip(url: str) -> None:
    cfg = config(url)
    command.upgrade(cfg, "0002")
    insert_before_0003(url)
    command.upgrade(cfg, "0003_search_fold")  # the backfill
    command.upgrade(cfg, "head")  # today's models and services read the rows
    assert_backfilled(url)
    command.check(cfg)  # the models and the migrations describe the same schema
    command.downgrade(cfg, "0002")
    engine = sa.create_engine(url)
    try:
        for model in ROWS:
            columns = {c["name"] for c in sa.inspect(engine).get_columns(model.__tablename__)}
            assert "search_text" not in columns, model
        with engine.connect() as conn:  # the rows themselves are untouched by the downgrade
            assert conn.execute(sa.select(sa.func.count()).select_from(
                sa.table("lead"))).scalar_one() == 2
    finally:
        engine.dispose()
    command.upgrade(cfg, "head")


def test_backfill_on_sqlite(tmp_path: Path) -> None:
    roundtrip(f"sqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
def test_backfill_on_postgres(pg_server) -> None:  # noqa: ANN001
    roundtrip(pg_server.create_database("crm_migration_search"))
