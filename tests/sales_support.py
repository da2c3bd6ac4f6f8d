"""Builders shared by the customer/sales tests (accounts, opportunities, products, quotes)."""

from __future__ import annotations

from decimal import Decimal
from itertools import count
from typing import Any

from sqlmodel import Session, select

from crm_app.models import Stage, User
from crm_app.services import accounts, opportunities, products, quotes
from crm_app.services.defaults import ensure_default_pipeline

# Valid CIFs (python-stdnum checks them): used in turn so each account gets its own NIF.
CIFS = ["B12345674", "A58818501", "B65410011", "A28017895", "B87654323", "A08000143",
        "B83504738", "A15075062", "B95758389", "A39000013"]
_n = count()


def account(session: Session, actor: User | None, **kw: Any):
    i = next(_n)
    data = {"name": f"Cliente {i} S.L.", "nif": "", "province": "Madrid",
            "postal_code": "28001", "city": "Madrid", "email": f"cliente{i}@example.com"}
    data.update(kw)
    return accounts.create_account(session=session, actor=actor, data=data)


def stage(session: Session, name: str) -> Stage:
    pipeline = ensure_default_pipeline(session=session)
    session.commit()
    return session.exec(select(Stage).where(Stage.pipeline_id == pipeline.id,
                                            Stage.name == name)).one()


def opportunity(session: Session, actor: User | None, account_id: int | None = None, **kw: Any):
    data = {"name": "Proyecto", "account_id": account_id, "amount": "1000.00"}
    data.update(kw)
    return opportunities.create_opportunity(session=session, actor=actor, data=data)


def product(session: Session, actor: User | None, **kw: Any):
    i = next(_n)
    data = {"name": f"Producto {i}", "sku": f"SKU-{i}", "unit_price": "100.00",
            "tax_rate": "21"}
    data.update(kw)
    return products.create_product(session=session, actor=actor, data=data)


def quote(session: Session, actor: User | None, account_id: int, **kw: Any):
    args: dict[str, Any] = {"account_id": account_id,
                            "lines": [{"description": "Servicio", "quantity": "1",
                                       "unit_price": "100", "tax_rate": "21"}]}
    args.update(kw)
    return quotes.create_quote(session=session, actor=actor, **args)


D = Decimal
