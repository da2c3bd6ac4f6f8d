"""Custom fields: admin-only definitions, value coercion per type, filters through JSON."""

from __future__ import annotations

import json
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


# --- bounded values (issue 10: 5 MB of JSON were accepted) -----------------------------------


@pytest.mark.parametrize("kind,raw,msg", [
    ("text", "x" * 2001, "máximo 2000 caracteres"),  # an error, never a silent cut
    ("text", {"nested": "x" * 100}, "texto, un número o sí/no"),
    ("text", ["a", "b"], "texto, un número o sí/no"),
    ("text", "roto \ud800 aquí", "no válido"),  # a lone surrogate from JSON
    ("number", "1e400", "fuera de rango"), ("number", 1e16, "fuera de rango"),
    ("number", "-1000000000000000", "fuera de rango"), ("number", float("inf"), "Número"),
    ("number", "0,0000001", "decimales"), ("choice", ["Hostelería"], "texto, un número"),
    ("bool", {"a": 1}, "texto, un número"), ("date", [2026, 1, 1], "texto, un número"),
])
def test_coerce_rejects_oversized_and_nested_values(kind, raw, msg):
    with pytest.raises(ValueError, match=msg):
        cf.coerce_value(defn(kind, ["Hostelería", "Industria"]), raw)


def test_coerce_accepts_the_largest_legal_values():
    assert cf.coerce_value(defn("text"), "ñ" * 2000) == "ñ" * 2000
    assert cf.coerce_value(defn("number"), "999999999999999,999999") == "999999999999999.999999"
    assert cf.coerce_value(defn("number"), "-0,000001") == "-0.000001"


def _defs(session, entity="lead"):  # noqa: ANN001, ANN202
    session.add_all([CustomFieldDef(entity=entity, key="nota", label="Nota"),
                     CustomFieldDef(entity=entity, key="nota2", label="Nota 2"),
                     CustomFieldDef(entity=entity, key="nota3", label="Nota 3"),
                     CustomFieldDef(entity=entity, key="vieja", label="Vieja", active=False),
                     CustomFieldDef(entity=entity, key="n", label="N", type="number")])
    session.commit()


def test_clean_values_caps_the_object_and_names_the_field(session, people):
    _defs(session)
    huge = {f"k{i}": "x" * 50 for i in range(100_000)}  # ~5 MB, as in the attack
    clean, errors = cf.clean_values(session=session, entity="lead", values=huge)
    assert errors == {"custom": "Los campos personalizados ocupan demasiado: como mucho 16 KB."}
    assert clean == {}
    # deactivated fields take no new values (a blank changes nothing: the value waits)
    _, errors = cf.clean_values(session=session, entity="lead", values={"vieja": "x"})
    assert errors == {"custom.vieja": "Campo personalizado desactivado: no admite valores "
                                      "nuevos."}
    clean, errors = cf.clean_values(session=session, entity="lead", values={"vieja": ""},
                                    base={"vieja": "guardado"})
    assert (clean, errors) == ({"vieja": "guardado"}, {})
    # a key that cannot be a field's is not echoed back as an error key
    _, errors = cf.clean_values(session=session, entity="lead", values={"<script>": 1})
    assert errors == {"custom": "Campo personalizado desconocido."}
    # three texts at the maximum (3-byte €) are legal one by one, not together (18 KB)
    full = {"nota": "€" * 2000, "nota2": "€" * 2000, "nota3": "€" * 2000}
    clean, errors = cf.clean_values(session=session, entity="lead", values=full)
    assert set(errors) == {"custom"}
    clean, errors = cf.clean_values(session=session, entity="lead",
                                    values={"nota": "€" * 2000, "nota2": "€" * 2000})
    assert errors == {} and len(json.dumps(clean, ensure_ascii=False).encode()) < 16 * 1024
    # older data already over the limit may still shrink
    clean, errors = cf.clean_values(session=session, entity="lead", values={"nota3": ""},
                                    base=full)
    assert errors == {} and set(clean) == {"nota", "nota2"}


@pytest.mark.parametrize("entity", ["account", "contact", "opportunity"])
def test_every_service_validates_custom_against_the_definitions(session, people, entity):
    """Accounts, contacts and opportunities stored any JSON given; now the same rules as
    leads: known active keys, typed values, bounded size; the stored value is canonical."""
    import sales_support as build

    from crm_app.services import accounts, contacts, opportunities

    _defs(session, entity)
    create, update, key, payload = {
        "account": (lambda d: accounts.create_account(session=session, actor=people.comercial1,
                                                      data={"name": "Cf S.L.",
                                                            "province": "Madrid", **d}),
                    accounts.update_account, "account_id", {}),
        "contact": (lambda d: contacts.create_contact(session=session, actor=people.comercial1,
                                                      data={"first_name": "Cf", **d}),
                    contacts.update_contact, "contact_id", {}),
        "opportunity": (lambda d: build.opportunity(session, people.comercial1, **d),
                        opportunities.update_opportunity, "opportunity_id", {}),
    }[entity]
    for bad, fields in [({"colour": "red"}, {"custom.colour"}),
                        ({"n": "doce"}, {"custom.n"}), ({"n": "1e400"}, {"custom.n"}),
                        ({"nota": "x" * 2001}, {"custom.nota"}),
                        ({"nota": {"a": "b"}}, {"custom.nota"}),
                        ({f"k{i}": "x" * 100 for i in range(1000)}, {"custom"})]:
        with pytest.raises(ValidationFailed) as exc:
            create({"custom": bad, **payload})
        assert set(exc.value.errors) == fields, (bad, exc.value.errors)
    record = create({"custom": {"n": "1.234,5", "nota": " hola "}, **payload})
    assert record.custom == {"n": "1234.5", "nota": "hola"}
    changed = update(session=session, actor=people.comercial1, **{key: record.id},
                     data={"custom": {"nota": ""}})
    assert changed.custom == {"n": "1234.5"}  # merged: blank removes, the rest stays
    with pytest.raises(ValidationFailed) as exc:
        update(session=session, actor=people.comercial1, **{key: record.id},
               data={"custom": {"vieja": "x"}})
    assert set(exc.value.errors) == {"custom.vieja"}


def test_move_field_swaps_neighbours_among_the_active_ones_in_one_commit(session, people):
    made = [cf.create_field(session=session, actor=people.admin, entity="lead", key=k,
                            label=k.capitalize()) for k in ("uno", "dos", "tres", "cuatro")]
    cf.delete_field(session=session, actor=people.admin, field_id=made[1].id)  # "dos" off
    other = cf.create_field(session=session, actor=people.admin, entity="account", key="uno",
                            label="Uno")

    def order():
        return [f.key for f in cf.list_fields(session=session, actor=people.admin,
                                              entity="lead")]

    with pytest.raises(PermissionDenied):
        cf.move_field(session=session, actor=people.manager1, field_id=made[2].id, delta=-1)
    moved = cf.move_field(session=session, actor=people.admin, field_id=made[2].id, delta=-1)
    assert [f.key for f in moved] == order() == ["tres", "uno", "cuatro"]
    assert cf.move_field(session=session, actor=people.admin, field_id=made[2].id,
                         delta=-1)[0].key == "tres"  # already first: nothing moves
    cf.move_field(session=session, actor=people.admin, field_id=made[0].id, delta=1)
    assert order() == ["tres", "cuatro", "uno"]
    assert other.position == 0  # another entity's fields are not touched
    with pytest.raises(NotFound):  # an inactive field has no place in the order
        cf.move_field(session=session, actor=people.admin, field_id=made[1].id, delta=1)
    with pytest.raises(ValidationFailed):
        cf.move_field(session=session, actor=people.admin, field_id=made[0].id, delta=5)
    reorders = session.exec(select(AuditEvent).where(AuditEvent.entity == "custom_field")
                            .where(AuditEvent.action == "reorder")).all()
    assert len(reorders) == 2


def test_field_keys_suggested_from_labels():
    assert cf.key_from_label("Sector de actividad") == "sector_de_actividad"
    assert cf.key_from_label("Nº empleados") == "no_empleados"
    assert cf.key_from_label("2024 ventas") == "c_2024_ventas"
    assert cf.key_from_label("  ¿Cliente VIP?  ") == "cliente_vip"
    assert cf.key_from_label("") == ""
    long = cf.key_from_label("a " * 80)
    assert len(long) <= 60 and cf.KEY_RE.match(long) and not long.endswith("_")
