"""The shared record steps (``services.records``, ``sales_common``'s list and edit helpers)
as the services use them: one create/update/bin path, so one behaviour everywhere."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from crm_app.models import Account, AuditEvent, Product, Stage
from crm_app.services import accounts, contacts, pipelines, products
from crm_app.services import report_schedules as rs
from crm_app.services.errors import NotFound, ValidationFailed
from crm_app.services.links import required
from crm_app.services.records import get_existing
from crm_app.services.sales_common import unknown_fields, where_equal


def events(session: Session, entity: str, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.entity == entity,
                                                      AuditEvent.action == action)).all())


def test_a_save_that_changes_nothing_leaves_no_event(session: Session, people: Any) -> None:
    """The report schedules wrote an empty ``update`` event for a save without changes (the
    only edit that did); through ``record_changes`` none of them does."""
    row = rs.create_schedule(session=session, actor=people.admin, roles=["director"])
    rs.update_schedule(session=session, actor=people.admin, schedule_id=row.id,
                       roles=["director"])
    assert events(session, "report_schedule", "update") == []
    rs.update_schedule(session=session, actor=people.admin, schedule_id=row.id, active=False)
    [event] = events(session, "report_schedule", "update")
    assert event.before == {"active": True} and event.after == {"active": False}

    product = products.create_product(session=session, actor=people.admin,
                                      data={"name": "Cable", "sku": "cab-1", "unit_price": 3})
    products.update_product(session=session, actor=people.admin, product_id=product.id,
                            data={"name": "Cable"})
    assert events(session, "product", "update") == []


def test_a_create_event_names_the_row_it_made(session: Session, people: Any) -> None:
    """The event is written after the flush: it names the new id, and so does a snapshot
    taken by the service's own picture of the row (a stage's)."""
    pipeline = pipelines.create_pipeline(session=session, actor=people.admin, name="Obras")
    stage_events = events(session, "stage", "create")
    stages = session.exec(select(Stage).where(Stage.pipeline_id == pipeline.id)).all()
    assert len(stage_events) == len(stages) > 0
    assert {e.entity_id for e in stage_events} == {s.id for s in stages}
    assert all(e.after["id"] == e.entity_id for e in stage_events)
    account = accounts.create_account(session=session, actor=people.comercial1,
                                      data={"name": "Alta S.L.", "province": "Teruel"})
    [event] = [e for e in events(session, "account", "create") if e.entity_id == account.id]
    assert event.after["name"] == "Alta S.L." and event.actor_id == people.comercial1.id


def test_the_bin_round_trip_is_audited_once_each_way(session: Session, people: Any) -> None:
    contact = contacts.create_contact(session=session, actor=people.comercial1,
                                      data={"first_name": "Rosa", "last_name": "Gil"})
    contacts.delete_contact(session=session, actor=people.comercial1, contact_id=contact.id)
    assert contact.deleted_at is not None
    contacts.restore_contact(session=session, actor=people.comercial1, contact_id=contact.id)
    contacts.restore_contact(session=session, actor=people.comercial1, contact_id=contact.id)
    assert contact.deleted_at is None
    assert len(events(session, "contact", "delete")) == 1
    assert len(events(session, "contact", "restore")) == 1  # restoring twice is harmless
    with pytest.raises(NotFound):  # another comercial's contact: not found, not refused
        contacts.delete_contact(session=session, actor=people.comercial2, contact_id=contact.id)


def test_an_edit_that_changes_the_owner_is_checked_with_the_other_fields(
        session: Session, people: Any) -> None:
    account = accounts.create_account(session=session, actor=people.comercial1,
                                      data={"name": "Dueño S.L.", "province": "Madrid"})
    with pytest.raises(ValidationFailed) as caught:
        accounts.update_account(session=session, actor=people.comercial1,
                                account_id=account.id,
                                data={"city": "Getafe", "owner_id": people.comercial2.id,
                                      "color": "rojo"})
    assert set(caught.value.errors) == {"owner_id", "color"}
    session.refresh(account)
    assert account.city == "" and account.owner_id == people.comercial1.id  # nothing written
    accounts.update_account(session=session, actor=people.comercial1, account_id=account.id,
                            data={"city": "Getafe", "owner_id": people.comercial1.id})
    assert account.city == "Getafe" and account.owner_id == people.comercial1.id


def test_the_small_helpers(session: Session, people: Any) -> None:
    assert unknown_fields(data={"name": 1, "zz": 2, "aa": 3}, allowed=("name",)) == {
        "aa": "Campo desconocido.", "zz": "Campo desconocido."}
    stmt = where_equal(select(Account), Account, owner_id=0, team_id=None, channel="",
                       sector="Hostelería")
    assert str(stmt.whereclause) == "account.sector = :sector_1"
    with pytest.raises(NotFound, match="No está"):
        get_existing(session=session, model=Product, record_id=987_654, missing="No está.")
    with pytest.raises(ValidationFailed) as caught:
        required(session, people.admin, Account, 987_654, field="account_id")
    assert caught.value.errors == {"account_id": "Cliente no encontrado."}
