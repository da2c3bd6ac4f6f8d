"""Custom fields: admin-only definitions, value coercion per type, filters through JSON."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from crm_app.models import AuditEvent, CustomFieldDef
from crm_app.permissions import PermissionDenied
from crm_app.services import custom_fields as cf
from crm_app.services.errors import Conflict, NotFound, ValidationFailed


def defn(kind, choices=()):
    return CustomFieldDef(entity="lead", key="k", label="K", type=kind, choices=list(choices))


@pytest.mark.parametrize("kind,raw,expected", [
    ("text", "  hola ", "hola"),
    ("number", "1.234,56", "1234.56"), ("number", "1234.50", "1234.5"), ("number", 7, "7"),
    ("number", "1,234.5", "1234.5"), ("number", Decimal("100"), "100"), ("number", "0,0", "0"),
    ("date", "27/11/2026", "2026-11-27"), ("date", "2026-11-27T10:00:00", "2026-11-27"),
    ("date", date(2026, 1, 2), "2026-01-02"), ("date", "02-01-2026", "2026-01-02"),
    ("bool", "Sí", True), ("bool", "no", False), ("bool", "1", True), ("bool", False, False),
    ("choice", "hostelería", "Hostelería"), ("choice", "HOSTELERIA", "Hostelería"),
    ("text", "", None), ("number", None, None),
])
def test_coerce_value(kind, raw, expected):
    assert cf.coerce_value(defn(kind, ["Hostelería", "Industria"]), raw) == expected


@pytest.mark.parametrize("kind,raw,msg", [
    ("number", "doce", "Número"), ("number", "NaN", "Número"), ("date", "31/02/2026", "Fecha"),
    ("bool", "quizá", "sí o no"), ("choice", "Minería", "Hostelería, Industria"),
])
def test_coerce_rejects_in_spanish(kind, raw, msg):
    with pytest.raises(ValueError, match=msg):
        cf.coerce_value(defn(kind, ["Hostelería", "Industria"]), raw)


def test_clean_values_keeps_base_and_removes_blanks(session, people):
    session.add(CustomFieldDef(entity="lead", key="a", label="A"))
    session.add(CustomFieldDef(entity="lead", key="b", label="B", type="number"))
    session.commit()
    clean, errors = cf.clean_values(session=session, entity="lead", values={"a": ""},
                                    base={"a": "x", "b": "2"})
    assert clean == {"b": "2"} and errors == {}
    _, errors = cf.clean_values(session=session, entity="lead", values={"zzz": 1})
    assert errors == {"custom.zzz": "Campo personalizado desconocido."}


def test_crud_admin_only_validated_audited(session, people):
    with pytest.raises(PermissionDenied):
        cf.create_field(session=session, actor=people.manager1, entity="lead", key="x",
                        label="X")
    with pytest.raises(ValidationFailed) as exc:
        cf.create_field(session=session, actor=people.admin, entity="factura", key="1 mal",
                        label="", type="color")
    assert set(exc.value.errors) == {"entity", "key", "label", "type"}
    with pytest.raises(ValidationFailed) as exc:
        cf.create_field(session=session, actor=people.admin, entity="lead", key="email",
                        label="Email 2")
    assert "reservada" in exc.value.errors["key"]
    with pytest.raises(ValidationFailed) as exc:
        cf.create_field(session=session, actor=people.admin, entity="lead", key="sector",
                        label="Sector", type="choice", choices=[])
    assert "choices" in exc.value.errors
    field = cf.create_field(session=session, actor=people.admin, entity="lead", key="sector",
                            label="Sector", type="choice", choices=["A", "B"])
    with pytest.raises(Conflict):
        cf.create_field(session=session, actor=people.admin, entity="lead", key="sector",
                        label="Otro")
    cf.create_field(session=session, actor=people.admin, entity="account", key="sector",
                    label="Sector")  # same key, other entity: fine
    cf.update_field(session=session, actor=people.admin, field_id=field.id, label="Sector CNAE",
                    choices=["A", "B", "C"])
    assert [f.label for f in cf.list_fields(session=session, actor=people.comercial1,
                                            entity="lead")] == ["Sector CNAE"]
    cf.delete_field(session=session, actor=people.admin, field_id=field.id)
    assert cf.list_fields(session=session, actor=people.comercial1, entity="lead") == []
    assert len(cf.list_fields(session=session, actor=people.admin, entity="lead",
                              include_inactive=True)) == 1
    with pytest.raises(NotFound):
        cf.update_field(session=session, actor=people.admin, field_id=999, label="x")
    actions = [e.action for e in session.exec(
        select(AuditEvent).where(AuditEvent.entity == "custom_field")).all()]
    assert actions == ["create", "create", "update", "update"]
