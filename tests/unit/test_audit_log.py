"""Ajustes → Auditoría's service (issue 12): the log filtered by user, entity, record and Madrid
days, paged on the server, the CSV a Spanish spreadsheet opens (UTF-8 BOM, ``;``), admins only,
and secrets that never enter the trail nor leave it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import sales_support as ss
from sqlmodel import Session, select

from crm_app.models import AuditEvent
from crm_app.permissions import PermissionDenied
from crm_app.services import audit, audit_log, auth, organisation
from crm_app.services.actors import SYSTEM
from crm_app.services.errors import ValidationFailed


def _event(session: Session, *, actor_id: int | None, entity: str, entity_id: int | None,
           at: datetime, action: str = "update", before: dict | None = None,
           after: dict | None = None, note: str = "") -> AuditEvent:
    ev = AuditEvent(actor_id=actor_id, at=at, entity=entity, entity_id=entity_id,
                    action=action, before=before, after=after, note=note)
    session.add(ev)
    session.commit()
    return ev


@pytest.fixture
def log(session: Session, people):  # noqa: ANN001, ANN201
    """Five entries: two days either side of a Madrid midnight, two users and the system."""
    a, c = people.admin.id, people.comercial1.id
    # 22:30 UTC on 31 March is 00:30 on 1 April in Madrid (summer time, UTC+2)
    evs = [
        _event(session, actor_id=c, entity="lead", entity_id=7, action="create",
               at=datetime(2026, 3, 30, 9, 0, tzinfo=UTC), after={"company": "Frutas Ruiz"}),
        _event(session, actor_id=c, entity="lead", entity_id=7,
               at=datetime(2026, 3, 31, 21, 59, tzinfo=UTC),
               before={"status": "nuevo", "notes": "x"},
               after={"status": "contactado", "notes": "x"}),
        _event(session, actor_id=a, entity="account", entity_id=3,
               at=datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
               before={"name": "Ebro"}, after={"name": "Ebro Motor"}),
        _event(session, actor_id=None, entity="quote", entity_id=9, action="expire",
               at=datetime(2026, 4, 2, 8, 0, tzinfo=UTC)),
        _event(session, actor_id=a, entity="user", entity_id=c, action="update",
               at=datetime(2026, 4, 3, 8, 0, tzinfo=UTC),
               before={"role": "comercial", "password_hash": "$argon2id$viejo"},
               after={"role": "manager", "password_hash": "$argon2id$nuevo"}),
    ]
    return evs


def _ids(page) -> list[int]:  # noqa: ANN001
    return [r["id"] for r in page.items]


def test_filters_page_and_order(session: Session, people, log) -> None:  # noqa: ANN001
    every = audit_log.list_events(session=session, actor=people.admin)
    assert every.total == 5 and _ids(every) == [e.id for e in reversed(log)]  # newest first
    by_user = audit_log.list_events(session=session, actor=people.admin,
                                    user_id=people.comercial1.id)
    assert _ids(by_user) == [log[1].id, log[0].id]
    by_entity = audit_log.list_events(session=session, actor=people.admin, entity="lead",
                                      entity_id=7)
    assert by_entity.total == 2
    assert audit_log.list_events(session=session, actor=people.admin, entity="lead",
                                 entity_id=8).total == 0
    # Madrid days: 31/03 holds 21:59 UTC (23:59 Madrid), not 22:30 UTC (00:30 on 1 April)
    day = audit_log.list_events(session=session, actor=people.admin, date_from="31/03/2026",
                                date_to="31/03/2026")
    assert _ids(day) == [log[1].id]
    april = audit_log.list_events(session=session, actor=people.admin, date_from="2026-04-01")
    assert _ids(april) == [log[4].id, log[3].id, log[2].id]
    page2 = audit_log.list_events(session=session, actor=people.admin, offset=2, limit=2)
    assert page2.total == 5 and _ids(page2) == [log[2].id, log[1].id]


def test_rows_read_as_the_screen_shows_them(session: Session, people, log) -> None:  # noqa: ANN001
    rows = {r["id"]: r for r in audit_log.list_events(session=session, actor=people.admin).items}
    acc = rows[log[2].id]
    assert acc["at_text"] == "01/04/2026 00:30"  # Madrid, dd/mm/aaaa HH:MM
    assert acc["actor_name"] == people.admin.name and acc["entity_label"] == "Cliente"
    assert acc["href"] == "/clientes/3" and acc["action_label"] == "Modificación"
    assert acc["changes"] == [{"field": "name", "before": "Ebro", "after": "Ebro Motor"}]
    assert acc["changes_text"] == "name: Ebro → Ebro Motor"
    assert rows[log[1].id]["changes_text"] == "status: nuevo → contactado"  # notes unchanged
    assert audit_log._value_text("2026-03-31T22:30:00+00:00") == "01/04/2026 00:30"
    assert audit_log._value_text("2026-04-01") == "01/04/2026"
    assert audit_log._value_text({"a": 1}) == '{"a": 1}'
    created = rows[log[0].id]["changes"]
    assert created == [{"field": "company", "before": "", "after": "Frutas Ruiz"}]
    assert rows[log[3].id]["actor_name"] == "Sistema" and rows[log[3].id]["href"] == \
        "/presupuestos/9"
    user_row = rows[log[4].id]
    assert user_row["href"] == ""  # no page for a user record
    # a hash written before the writer redacted (a raw row) is hidden on the way out too
    assert "argon2" not in str(user_row)
    assert {"field": "password_hash", "before": "(oculto)", "after": "(oculto)"} \
        in user_row["changes"]


@pytest.mark.parametrize(("filters", "field"), [
    ({"date_from": "31/02/2026"}, "from"), ({"date_to": "mañana"}, "to"),
    ({"date_from": "02/04/2026", "date_to": "01/04/2026"}, "to"),
    ({"date_to": "31/12/9999"}, "to"), ({"date_from": "0001-01-01"}, "from"),
    ({"entity": "lead; drop table"}, "entity"), ({"user_id": "-1"}, "user_id"),
    ({"entity_id": 2**40}, "entity_id")])
def test_bad_filters_name_the_field(session: Session, people, log, filters, field) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed) as exc:
        audit_log.list_events(session=session, actor=people.admin, **filters)
    assert set(exc.value.errors) == {field}


@pytest.mark.parametrize("who", ["director", "manager1", "comercial1"])
def test_only_admins_read_the_log(session: Session, people, log, who: str) -> None:  # noqa: ANN001
    actor = getattr(people, who)
    for call in (audit_log.list_events, audit_log.export_csv, audit_log.filter_options):
        with pytest.raises(PermissionDenied):
            call(session=session, actor=actor)


def test_csv_opens_in_a_spanish_spreadsheet(session: Session, people, log) -> None:  # noqa: ANN001
    name, data = audit_log.export_csv(session=session, actor=people.admin, entity="lead")
    assert name.startswith("auditoria-") and name.endswith(".csv")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the accents
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Cuándo", "Quién", "Registro", "Nº", "Acción", "Cambios", "Nota"]
    assert [r[0] for r in rows[1:]] == ["31/03/2026 23:59", "30/03/2026 11:00"]
    assert rows[1][2:6] == ["Lead", "7", "Modificación", "status: nuevo → contactado"]


def test_csv_cells_never_start_a_formula(session: Session, people) -> None:  # noqa: ANN001
    _event(session, actor_id=people.admin.id, entity="lead", entity_id=1,
           at=datetime(2026, 1, 1, tzinfo=UTC), note="=HYPERLINK(\"http://x\")")
    _, data = audit_log.export_csv(session=session, actor=people.admin)
    assert "\n=HYPERLINK" not in data.decode("utf-8-sig")
    assert ";=HYPERLINK" not in data.decode("utf-8-sig")


def test_csv_is_bounded(session: Session, people, log, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(audit_log, "MAX_EXPORT_ROWS", 4)
    with pytest.raises(ValidationFailed) as exc:
        audit_log.export_csv(session=session, actor=people.admin)
    assert "acota las fechas" in exc.value.errors["from"]
    assert audit_log.export_csv(session=session, actor=people.admin, entity="lead")[1]


def test_the_writer_redacts_secrets_at_any_depth(session: Session, people) -> None:  # noqa: ANN001
    ev = audit.record(session=session, actor=SYSTEM, entity="user", entity_id=1,
                      action="update",
                      before={"password_hash": "$argon2id$a", "nested": {"token_hash": "ab"}},
                      after={"smtp_password_enc": "gAAAA", "password": "", "name": "Ana"})
    session.commit()
    stored = session.get(AuditEvent, ev.id)
    assert stored.before == {"password_hash": "***", "nested": {"token_hash": "***"}}
    assert stored.after == {"smtp_password_enc": "***", "password": "", "name": "Ana"}


def test_real_writes_leave_no_secret_in_the_trail(session: Session, people) -> None:  # noqa: ANN001
    """A token, a password and the company's SMTP password, written by the real services:
    not a byte of them in any audit row nor in the CSV."""
    raw = auth.create_api_token(session=session, actor=SYSTEM, user=people.admin)
    organisation.update_company(session=session, actor=people.admin,
                                data={"legal_name": "Talleres Ebro, S.L.", "nif": "B12345674",
                                      "smtp_host": "smtp.ebromotor.es",
                                      "smtp_user": "crm@ebromotor.es",
                                      "smtp_from": "crm@ebromotor.es",
                                      "smtp_password": "clave-smtp-1"})
    ss.account(session, people.comercial1)
    trail = " ".join(f"{e.before} {e.after} {e.note}"
                     for e in session.exec(select(AuditEvent)).all())
    assert raw not in trail and raw[8:] not in trail and "clave-smtp-1" not in trail
    assert "argon2" not in trail and "gAAAA" not in trail
    _, data = audit_log.export_csv(session=session, actor=people.admin)
    text = data.decode("utf-8-sig")
    assert "clave-smtp-1" not in text and raw not in text and "gAAAA" not in text


def test_filter_options(session: Session, people, log) -> None:  # noqa: ANN001
    opts = audit_log.filter_options(session=session, actor=people.admin)
    assert {o["value"] for o in opts["entities"]} == {"lead", "account", "quote", "user"}
    assert [o["label"] for o in opts["entities"]] == ["Cliente", "Lead", "Presupuesto",
                                                      "Usuario"]
    assert str(people.comercial1.id) in {o["value"] for o in opts["users"]}
