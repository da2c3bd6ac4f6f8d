"""The pure helpers behind the leads screens: display rows, route ids, rule conditions as the
editor shows them and back, custom values as the form shows them, field keys from labels."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_app.formatting import phone_es
from crm_app.services.custom_fields import key_from_label
from crm_app.state import events
from pages.leads.rows import custom_display, custom_text, lead_row, timeline_rows
from pages.settings.rules_text import cond_data, cond_row


def test_a_lead_becomes_display_strings():
    row = lead_row({"id": 7, "name": "", "company": "Talleres Sur S.L.", "email": "a@b.es",
                    "phone": "+34600123456", "status": "cualificado", "province": "Sevilla",
                    "source": "Feria", "owner_name": "Ana",
                    "created_at": "2026-11-26T23:30:00+00:00"})
    assert row["name"] == "Talleres Sur S.L."  # no person: the company names the lead
    assert row["company"] == ""  # … and is not repeated under it
    assert row["meta"] == "Ana · Sevilla · 27/11/2026"
    assert row["phone"] == "+34 600 12 34 56"
    assert row["status"] == "Cualificado" and row["status_key"] == "cualificado"
    assert row["created_at"] == "27/11/2026"  # Madrid's day, not UTC's
    assert row["href"] == "/leads/7" and all(isinstance(v, str) for v in row.values())


def test_phones_read_as_people_write_them():
    assert phone_es("+34600123456") == "+34 600 12 34 56"
    assert phone_es("") == "" and phone_es("no") == "no"


def test_events_drop_the_none_of_helpers():
    assert events(None, "a", [None, "b"], None) == ["a", "b"]


def test_rule_conditions_round_trip_through_the_editor():
    for cond in ({"field": "province", "op": "province_in", "value": ["Madrid", "Toledo"]},
                 {"field": "custom.empleados", "op": "between", "value": ["10", None]},
                 {"field": "source", "op": "eq", "value": "Feria"},
                 {"field": "company", "op": "empty", "value": None}):
        assert cond_data(cond_row(cond)) == cond
    assert cond_data({"field": "source", "op": "contains", "value": "feria, web"})["value"] == [
        "feria", "web"]


def test_custom_values_as_the_form_shows_them():
    assert custom_display("date", "2026-03-01") == "01/03/2026"
    assert custom_display("number", "1234.5") == "1234,5"
    assert custom_display("bool", True) == "true"
    assert custom_display("text", None) == ""
    assert custom_text("bool", "true") == "Sí" and custom_text("bool", None) == ""


def test_field_keys_from_labels():
    assert key_from_label("Sector de actividad") == "sector_de_actividad"
    assert key_from_label("Nº empleados") == "no_empleados"
    assert key_from_label("2024 ventas") == "c_2024_ventas"


def test_timeline_shows_status_names_and_hides_internal_fields():
    at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC).isoformat()
    rows = timeline_rows([{"kind": "event", "id": 3, "at": at, "action": "status",
                           "title": "Estado: nuevo → descartado", "actor_name": "Ana",
                           "detail": "", "changes": [
                               {"field": "status", "before": "nuevo", "after": "descartado"},
                               {"field": "discard_reason", "before": "", "after": "Caro"},
                               {"field": "first_contacted_at", "before": None, "after": at}]}])
    assert rows[0]["title"] == "Estado: Nuevo → Descartado"
    assert rows[0]["changes"] == "Motivo de descarte: — → Caro"
    assert rows[0]["when"] == "27/11/2026 10:00"
