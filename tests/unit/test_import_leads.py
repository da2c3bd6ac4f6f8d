"""Importing leads: validation messages per spreadsheet row, duplicates and their policies,
assignment rules and ownership, one transaction, dry run, undo, rejected-rows CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.models import (
    Account,
    Activity,
    AssignmentAction,
    AssignmentRule,
    AuditEvent,
    Contact,
    ImportBatch,
    ImportStatus,
    Lead,
    Organisation,
    utcnow,
)
from crm_app.permissions import PermissionDenied
from crm_app.services.errors import Conflict
from crm_app.services.importing import FileUnreadable, import_file, undo_batch
from crm_app.services.importing import service as import_service
from crm_app.services.importing import writer as import_writer
from crm_app.services.normalize import EMAIL_INVALID, NIF_BAD_LETTER, PHONE_INVALID

HEADER = "Nombre;Apellidos;Empresa;CIF/NIF;Correo electrónico;Teléfono;Provincia;Origen;" \
         "Fecha de alta"


def imp(session: Session, actor, text: str, **kw):  # noqa: ANN001, ANN201
    return import_file(session=session, actor=actor, entity="leads",
                       data=text.encode(kw.pop("encoding", "utf-8")), filename="leads.csv", **kw)


def imp_rows(session: Session, actor, rows: list[str]):  # noqa: ANN001, ANN201
    """Import a file of ``HEADER`` and ``rows``, one line each."""
    return imp(session, actor, "".join(f"{line}\n" for line in [HEADER, *rows]))


def count(session: Session, model) -> int:  # noqa: ANN001
    return session.exec(select(func.count()).select_from(model)).one()


def leads_by_email(session: Session) -> dict[str, Lead]:
    session.expire_all()
    return {lead.email: lead for lead in session.exec(select(Lead)).all()}


def test_valid_rows_are_normalised_and_stamped(session, people) -> None:  # noqa: ANN001
    result = imp_rows(session, people.admin, [
        "Ana;García;Acme S.L.;b-1234567-4;  Ana@Acme.ES ;600 12 34 56;madrid;web;15/03/2024",
        ";;Beta S.A.;;;+34 91 123 45 67;La Coruña;feria;"])
    assert (result.rows, result.created, result.errors) == (2, 2, [])
    batch = session.get(ImportBatch, result.batch_id)
    assert batch.status == ImportStatus.COMMITTED and batch.created == 2
    ana = leads_by_email(session)["ana@acme.es"]
    assert (ana.nif, ana.phone, ana.province, ana.source, ana.status) == (
        "B12345674", "+34600123456", "Madrid", "web", "nuevo")
    assert ana.created_at.date().isoformat() == "2024-03-15"
    assert ana.import_batch_id == batch.id and ana.owner_id is not None
    beta = leads_by_email(session)[""]
    assert (beta.company, beta.phone, beta.province) == ("Beta S.A.", "+34911234567", "A Coruña")
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "import_batch")).one()
    assert (event.action, event.entity_id, event.after["created"]) == ("import", batch.id, 2)


def test_errors_name_the_spreadsheet_row_and_field(session, people) -> None:  # noqa: ANN001
    text = (HEADER + ";Notas\n"
            'Ana;;;;ana@@x.es;;;;;"dos\nlíneas"\n'       # row 2 (two physical lines)
            "\n"                                          # row 3: blank, skipped
            ";;;;luis@x.es;;;;;\n"                        # row 4: no name, no company
            "Eva;;;;;;;;;\n"                              # row 5: no email, no phone
            "Pepe;;;12345678A;;123;;;31/02/2024;\n"       # row 6: NIF, phone, date
            "Rosa;;;;rosa@x.es;;;;2024-01-15;\n")         # row 7: fine
    result = imp(session, people.admin, text)
    assert result.blank_rows == [3]
    assert result.rows == 5 and result.created == 1
    got = [(e["row"], e["field"]) for e in result.errors]
    assert got == [(2, "email"), (4, "first_name"), (5, "email"), (6, "nif"), (6, "phone"),
                   (6, "created_at")]
    messages = {(e["row"], e["field"]): e["message"] for e in result.errors}
    assert messages[(2, "email")].startswith(EMAIL_INVALID.rstrip("."))
    assert "«ana@@x.es»" in messages[(2, "email")]
    assert messages[(4, "first_name")] == "Falta el nombre o la empresa: indica al menos uno."
    assert messages[(5, "email")] == ("Falta el correo electrónico o el teléfono: indica al "
                                      "menos uno.")
    assert messages[(6, "nif")].startswith(NIF_BAD_LETTER.rstrip("."))
    assert messages[(6, "phone")].startswith(PHONE_INVALID.rstrip("."))
    assert messages[(6, "created_at")].startswith("Fecha no válida")
    assert list(leads_by_email(session)) == ["rosa@x.es"]


def test_rejected_rows_csv_keeps_original_values(session, people) -> None:  # noqa: ANN001
    result = imp_rows(session, people.admin, [
        "Ana;;;;ana@@x.es;;;;", "Rosa;;;;rosa@x.es;;;;", "Pepe;;;;;123;;;31/02/2024"])
    rows = list(csv.reader(io.StringIO(result.rejected_csv().decode("utf-8-sig")),
                           delimiter=";"))
    assert rows[0] == ["Fila", *HEADER.split(";"), "Campo", "Error"]
    assert [r[0] for r in rows[1:]] == ["2", "4"]
    assert rows[1][1:10] == ["Ana", "", "", "", "ana@@x.es", "", "", "", ""]
    assert rows[1][10] == "Correo electrónico"
    assert rows[2][10] == "Teléfono, Fecha de alta" and " | " in rows[2][11]
    from crm_app.services.importing import batch_rejected_csv

    again = batch_rejected_csv(session=session, actor=people.admin, batch_id=result.batch_id)
    assert again == result.rejected_csv()


def test_duplicates_within_the_file_first_occurrence_wins(session, people) -> None:  # noqa: ANN001
    result = imp_rows(session, people.admin, [
        "Ana;;;;ana@x.es;;;;", "Ana bis;;;;ANA@x.es ;600111222;;;",
        "Otro;;;;otro@x.es;600 111 222;;;", "Nuevo;;;B12345674;nuevo@x.es;;;;",
        "Mismo CIF;;;B-12345674;cif@x.es;;;;"])
    assert (result.created, result.skipped) == (3, 2)
    assert [(d["row"], d["field"], d["existing_id"], d["first_row"])
            for d in result.duplicates] == [(3, "email", None, 2), (6, "nif", None, 5)]
    # row 4 repeats row 3's phone, but row 3 was skipped: nobody imported that phone yet
    assert set(leads_by_email(session)) == {"ana@x.es", "otro@x.es", "nuevo@x.es"}
    assert leads_by_email(session)["otro@x.es"].phone == "+34600111222"


@pytest.fixture
def existing(session, people):  # noqa: ANN001, ANN201
    lead = Lead(first_name="Viejo", email="dup@x.es", phone="+34600000001", source="web",
                owner_id=people.comercial1.id, team_id=people.team_norte.id,
                created_at=utcnow())
    contact = Contact(first_name="Contacto", email="contacto@x.es",
                      owner_id=people.comercial3.id, team_id=people.team_sur.id,
                      created_at=utcnow())
    account = Account(name="Cliente S.L.", nif="B12345674", owner_id=people.admin.id,
                      created_at=utcnow())
    session.add_all([lead, contact, account])
    session.commit()
    return lead, contact, account


DUP_FILE = (HEADER + ";Cargo\n"
            "Nuevo;Nombre;;;dup@x.es;;Sevilla;feria;;Gerente\n"       # lead by email
            "Otro;;;;nuevo2@x.es;600000001;;;;\n"                      # lead by phone
            "Con;;;;CONTACTO@x.es;;;;;\n"                              # contact by email
            "Cif;;;B12345674;cif@x.es;;;;;\n"                          # account by NIF
            "Limpio;;;;limpio@x.es;;;;;\n")


def test_duplicates_against_the_database_skip(session, people, existing) -> None:  # noqa: ANN001
    lead, contact, account = existing
    result = imp(session, people.admin, DUP_FILE)
    assert (result.created, result.updated, result.skipped) == (1, 0, 4)
    assert [(d["row"], d["field"], d["existing_id"], d["existing_entity"])
            for d in result.duplicates] == [
        (2, "email", lead.id, "lead"), (3, "phone", lead.id, "lead"),
        (4, "email", contact.id, "contact"), (5, "nif", account.id, "account")]
    assert result.summary()["duplicates"][0] == {"row": 2, "field": "email",
                                                 "existing_id": lead.id}
    assert count(session, Lead) == 2


def test_duplicates_out_of_scope_are_reported_without_id(session, people, existing) -> None:  # noqa: ANN001
    lead, _contact, _account = existing
    result = imp(session, people.manager1, DUP_FILE)  # team Norte: sees comercial1's lead
    ids = {d["row"]: d["existing_id"] for d in result.duplicates}
    assert ids == {2: lead.id, 3: lead.id, 4: None, 5: None}


def test_duplicates_update_and_undo_restores(session, people, existing) -> None:  # noqa: ANN001
    lead, _contact, _account = existing
    result = imp(session, people.admin, DUP_FILE, on_duplicate="update")
    # row 2 updates the lead; row 3 matches the same lead (already updated): skipped;
    # rows 4-5 match a contact/account: a lead import does not rewrite those: skipped.
    assert (result.created, result.updated, result.skipped) == (1, 1, 3)
    session.expire_all()
    updated = session.get(Lead, lead.id)
    assert (updated.first_name, updated.last_name, updated.position, updated.province,
            updated.source, updated.email, updated.phone) == (
        "Nuevo", "Nombre", "Gerente", "Sevilla", "feria", "dup@x.es", "+34600000001")
    assert updated.owner_id == people.comercial1.id  # owner kept: no owner column
    assert updated.import_batch_id is None  # it was not created by the batch
    batch = session.get(ImportBatch, result.batch_id)
    assert batch.previous_values[str(lead.id)]["first_name"] == "Viejo"
    assert batch.previous_values[str(lead.id)]["last_name"] == ""

    undo_batch(session=session, actor=people.admin, batch_id=result.batch_id)
    session.expire_all()
    restored = session.get(Lead, lead.id)
    assert (restored.first_name, restored.last_name, restored.position, restored.province,
            restored.source) == ("Viejo", "", "", "", "web")
    assert set(leads_by_email(session)) == {"dup@x.es"}  # "limpio" removed
    assert session.get(ImportBatch, result.batch_id).status == ImportStatus.UNDONE


def test_duplicates_create_policy_imports_them_all(session, people, existing) -> None:  # noqa: ANN001
    result = imp(session, people.admin, DUP_FILE, on_duplicate="create")
    assert (result.created, result.skipped, len(result.duplicates)) == (5, 0, 4)
    assert count(session, Lead) == 6


def test_assignment_rules_apply_unless_an_owner_column_says(session, people) -> None:  # noqa: ANN001
    session.add_all([
        AssignmentRule(name="Ferias", position=0, action=AssignmentAction.FIXED_USER,
                       conditions=[{"field": "source", "op": "eq", "value": "Feria"}],
                       config={"user_id": people.comercial3.id}),
        AssignmentRule(name="Norte rotatorio", position=1, action=AssignmentAction.ROUND_ROBIN,
                       conditions=[], config={"user_ids": [people.comercial1.id,
                                                           people.comercial2.id]}),
    ])
    session.commit()
    text = ("Nombre;Email;Origen;Propietario\n"
            "A;a@x.es;feria;\n"
            "B;b@x.es;web;\n"
            "C;c@x.es;web;\n"
            "D;d@x.es;FERIA;comercial2@test.crm\n"
            "E;e@x.es;web;\n")
    result = imp(session, people.manager1, text)
    assert result.created == 5
    rules = {r.name: r.id for r in session.exec(select(AssignmentRule)).all()}
    got = {lead.first_name: (lead.owner_id, lead.team_id, lead.assigned_rule_id)
           for lead in leads_by_email(session).values()}
    assert got == {
        "A": (people.comercial3.id, people.team_sur.id, rules["Ferias"]),
        "B": (people.comercial1.id, people.team_norte.id, rules["Norte rotatorio"]),
        "C": (people.comercial2.id, people.team_norte.id, rules["Norte rotatorio"]),
        "D": (people.comercial2.id, people.team_norte.id, None),
        "E": (people.comercial1.id, people.team_norte.id, rules["Norte rotatorio"]),
    }
    # the round-robin cursor moved and was saved with the batch
    assert session.get(AssignmentRule, rules["Norte rotatorio"]).cursor == 1


def test_without_rules_the_fallback_or_the_importer_owns(session, people) -> None:  # noqa: ANN001
    text = "Nombre;Email\nA;a@x.es\n"
    imp(session, people.director, text)
    assert leads_by_email(session)["a@x.es"].owner_id == people.director.id
    org = session.exec(select(Organisation)).one()
    org.lead_fallback_owner_id = people.comercial2.id
    session.add(org)
    session.commit()
    imp(session, people.director, "Nombre;Email\nB;b@x.es\n")
    b = leads_by_email(session)["b@x.es"]
    assert (b.owner_id, b.team_id) == (people.comercial2.id, people.team_norte.id)


def test_a_comercial_owns_what_they_import(session, people) -> None:  # noqa: ANN001
    session.add(AssignmentRule(name="Todo a comercial3", position=0,
                               action=AssignmentAction.FIXED_USER, conditions=[],
                               config={"user_id": people.comercial3.id}))
    session.commit()
    text = "Nombre;Email;Propietario\nA;a@x.es;admin@test.crm\nB;b@x.es;\n"
    result = imp(session, people.comercial1, text)
    assert result.created == 2 and result.errors == []
    assert any("comercial" in w for w in result.warnings)
    assert {(lead.owner_id, lead.team_id) for lead in leads_by_email(session).values()} == {
        (people.comercial1.id, people.team_norte.id)}


def test_owner_column_must_name_an_existing_user(session, people) -> None:  # noqa: ANN001
    result = imp(session, people.admin, "Nombre;Email;Owner\nA;a@x.es;nadie@test.crm\n")
    assert [(e["row"], e["field"]) for e in result.errors] == [(2, "owner")]
    assert result.created == 0


def test_a_manager_gives_imported_rows_only_to_their_team(session, people) -> None:  # noqa: ANN001
    """The owner column follows the rule of forms and API: a manager may not hand records
    to another team (they would vanish from the manager's scope into someone else's)."""
    text = ("Nombre;Email;Propietario\nA;a@x.es;comercial2@test.crm\n"
            "B;b@x.es;comercial3@test.crm\nC;c@x.es;MANAGER2@test.crm\n")
    result = imp(session, people.manager1, text)
    assert [(e["row"], e["field"]) for e in result.errors] == [(3, "owner"), (4, "owner")]
    assert "Solo puedes asignar a personas de tu equipo" in result.errors[0]["message"]
    assert {lead.first_name: lead.owner_id for lead in leads_by_email(session).values()} == {
        "A": people.comercial2.id}


def test_dry_run_writes_nothing(session, people) -> None:  # noqa: ANN001
    session.add(AssignmentRule(name="RR", position=0, action=AssignmentAction.ROUND_ROBIN,
                               conditions=[], config={"user_ids": [people.comercial1.id,
                                                                   people.comercial2.id]}))
    session.commit()
    result = imp(session, people.admin, "Nombre;Email\nA;a@x.es\nB;b@@x\n", dry_run=True)
    assert (result.batch_id, result.created, len(result.errors)) == (None, 1, 1)
    assert result.owners == {people.comercial1.id: 1}
    assert count(session, Lead) == count(session, ImportBatch) == 0
    assert session.exec(select(AssignmentRule)).one().cursor == 0
    assert count(session, AuditEvent) == 0


def test_progress_goes_from_zero_to_one(session, people, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(import_writer, "CHUNK", 2)
    seen: list[float] = []
    rows = "".join(f"N{i};n{i}@x.es\n" for i in range(7))
    imp(session, people.admin, "Nombre;Email\n" + rows, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen) and len(seen) >= 6


def _fresh_counts(engine) -> tuple[int, int, int]:  # noqa: ANN001
    with Session(engine) as fresh:
        return (count(fresh, Lead), count(fresh, ImportBatch), count(fresh, AuditEvent))


def test_a_failure_mid_import_leaves_nothing(session, people, engine, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(import_writer, "CHUNK", 2)
    calls: list[float] = []

    def crash(fraction: float) -> None:
        calls.append(fraction)
        if 0.4 < fraction < 1.0:  # after the first chunk of rows is in the database
            raise RuntimeError("se cae el servidor")

    rows = "".join(f"N{i};n{i}@x.es\n" for i in range(6))
    with pytest.raises(RuntimeError):
        imp(session, people.admin, "Nombre;Email\n" + rows, progress=crash)
    assert _fresh_counts(engine) == (0, 0, 0)


def test_a_database_error_mid_import_leaves_nothing(session, people, engine,  # noqa: ANN001
                                                    monkeypatch) -> None:
    """A real constraint violation in the second chunk (an owner that does not exist)."""
    monkeypatch.setattr(import_writer, "CHUNK", 2)
    real = import_service._owners

    def bad_owner(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        frame = real(*args, **kwargs)
        owners = frame["owner_id"].to_list()
        owners[-1] = 999_999
        import polars as pl

        return frame.with_columns(pl.Series("owner_id", owners, dtype=pl.Int64))

    monkeypatch.setattr(import_service, "_owners", bad_owner)
    rows = "".join(f"N{i};n{i}@x.es\n" for i in range(5))
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        imp(session, people.admin, "Nombre;Email\n" + rows)
    assert _fresh_counts(engine) == (0, 0, 0)


def test_unreadable_or_unmapped_files_import_nothing(session, people) -> None:  # noqa: ANN001
    with pytest.raises(FileUnreadable):
        import_file(session=session, actor=people.admin, entity="leads", data=b"\x00\x01junk")
    with pytest.raises(FileUnreadable) as exc:
        imp(session, people.admin, "ana@x.es;600123456\nluis@x.es;611223344\n")
    assert "columna" in exc.value.message
    assert count(session, Lead) == count(session, ImportBatch) == 0


def test_import_needs_permission(session, people) -> None:  # noqa: ANN001
    people.comercial1.active = False
    with pytest.raises(PermissionDenied):
        imp(session, people.comercial1, "Nombre;Email\nA;a@x.es\n")


def test_undo_permissions_and_only_once(session, people) -> None:  # noqa: ANN001
    result = imp(session, people.comercial1, "Nombre;Email\nA;a@x.es\n")
    with pytest.raises(PermissionDenied):
        undo_batch(session=session, actor=people.comercial2, batch_id=result.batch_id)
    with pytest.raises(PermissionDenied):
        undo_batch(session=session, actor=people.director, batch_id=result.batch_id)
    undo_batch(session=session, actor=people.admin, batch_id=result.batch_id)
    with pytest.raises(Conflict):
        undo_batch(session=session, actor=people.comercial1, batch_id=result.batch_id)
    assert count(session, Lead) == 0
    actions = [e.action for e in session.exec(select(AuditEvent).where(
        AuditEvent.entity == "import_batch")).all()]
    assert actions == ["import", "undo"]


def test_undo_refuses_when_later_records_depend_on_the_import(session, people) -> None:  # noqa: ANN001
    result = imp(session, people.admin, "Nombre;Email\nA;a@x.es\nB;b@x.es\n")
    lead = leads_by_email(session)["a@x.es"]
    session.add(Activity(subject="Llamar", lead_id=lead.id, owner_id=people.admin.id,
                         created_at=utcnow()))
    session.commit()
    with pytest.raises(Conflict):
        undo_batch(session=session, actor=people.admin, batch_id=result.batch_id)
    assert count(session, Lead) == 2
    assert session.get(ImportBatch, result.batch_id).status == ImportStatus.COMMITTED


def test_windows_1252_file_with_custom_fields(session, people) -> None:  # noqa: ANN001
    from crm_app.services.custom_fields import create_field

    create_field(session=session, actor=people.admin, entity="lead", key="sector",
                 label="Sector", type="choice", choices=["Hostelería", "Industria"])
    create_field(session=session, actor=people.admin, entity="lead", key="empleados",
                 label="Empleados", type="number")
    text = ("Nombre;Email;Sector;Empleados\n"
            "Ángel;angel@x.es;hosteleria;1.234\n"
            "Íñigo;inigo@x.es;Minería;12\n")
    result = imp(session, people.admin, text, encoding="cp1252")
    assert result.encoding == "cp1252"
    assert [(e["row"], e["field"]) for e in result.errors] == [(3, "custom.sector")]
    angel = leads_by_email(session)["angel@x.es"]
    assert angel.first_name == "Ángel"
    assert angel.custom == {"sector": "Hostelería", "empleados": "1.234"}


def test_rule_assignment_matches_the_assigner_row_by_row(session, people) -> None:  # noqa: ANN001
    """The importer reuses answers of stateless rules for repeated values; the result must be
    exactly what calling the Assigner on every row in file order gives."""
    import random

    from crm_app.services.assignment import Assigner

    people.comercial2.available = False  # on holiday: skipped by the rules
    session.add(people.comercial2)
    session.add_all([
        AssignmentRule(name="Madrid", position=0, action=AssignmentAction.TERRITORY,
                       conditions=[{"field": "source", "op": "eq", "value": "web"}],
                       config={"territory": {"Madrid": people.comercial1.id,
                                             "Sevilla": people.comercial2.id},
                               "default_user_id": people.manager1.id}),
        AssignmentRule(name="Ferias RR", position=1, action=AssignmentAction.ROUND_ROBIN,
                       conditions=[{"field": "source", "op": "in", "value": ["feria", "partner"]}],
                       config={"team_id": people.team_norte.id}),
        AssignmentRule(name="Sur", position=2, action=AssignmentAction.LEAST_LOADED,
                       conditions=[{"field": "province", "op": "region_in",
                                    "value": ["Andalucía"]}],
                       config={"team_id": people.team_sur.id}),
        AssignmentRule(name="Fijo", position=3, action=AssignmentAction.FIXED_USER,
                       conditions=[{"field": "status", "op": "eq", "value": "cualificado"}],
                       config={"user_id": people.comercial3.id}),
    ])
    org = session.exec(select(Organisation)).one()
    org.lead_fallback_owner_id = people.director.id
    session.add(org)
    session.commit()
    rnd = random.Random(5)
    rows = []
    for i in range(400):
        rows.append({"first_name": f"N{i}", "email": f"n{i}@x.es",
                     "province": rnd.choice(["Madrid", "Sevilla", "Málaga", "Lugo"]),
                     "source": rnd.choice(["web", "feria", "partner", "otro"]),
                     "status": rnd.choice(["nuevo", "cualificado", "contactado"])})
    expected = Assigner.load(session=session)
    want = {r["email"]: expected.assign(dict(r))[0] for r in rows}
    text = "Nombre;Email;Provincia;Origen;Estado\n" + "".join(
        f"{r['first_name']};{r['email']};{r['province']};{r['source']};{r['status']}\n"
        for r in rows)
    result = imp(session, people.admin, text)
    assert result.created == 400
    got = {email: lead.owner_id for email, lead in leads_by_email(session).items()}
    assert got == want
    assert len(set(want.values())) >= 5  # every kind of rule took part


def test_a_bulk_load_rebuilds_indexes_and_commits_without_waiting_for_the_checkpoint(
        session, people, engine, monkeypatch) -> None:  # noqa: ANN001
    """Large loads (lowered here) drop and rebuild the lead indexes inside the transaction
    and commit with the automatic checkpoint off; the setting comes back and a background
    checkpoint copies the whole log into the database, then analyses the table."""
    monkeypatch.setattr(import_writer, "REBUILD_MIN_ROWS", 3)
    monkeypatch.setattr(import_writer, "CHUNK", 2)

    def indexes() -> list[str]:
        with engine.connect() as conn:
            return sorted(r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'lead'"))

    before = indexes()
    rows = "".join(f"N{i};n{i}@x.es\n" for i in range(7))
    result = imp(session, people.admin, "Nombre;Email\n" + rows)
    assert result.created == 7
    import_writer.wait_for_checkpoints()
    assert indexes() == before and "ix_lead_email" in before
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 1000
        busy, log, done = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        assert busy == 0 and log == done
        stats = dict(conn.exec_driver_sql(  # and the planner's statistics were refreshed
            "SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'lead'").all())
        assert stats["ix_lead_email"].split()[0] == "7"
    assert _fresh_counts(engine)[0] == 7
    with Session(engine) as fresh:  # the email index answers the duplicate lookup
        plan = fresh.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM lead WHERE email = 'n3@x.es'").all()
        assert any("ix_lead_email" in str(r[-1]) for r in plan)
        plan = fresh.connection().exec_driver_sql(  # the recycle bin: its partial index
            "EXPLAIN QUERY PLAN SELECT id FROM lead WHERE deleted_at IS NOT NULL").all()
        assert any("ix_lead_in_bin" in str(r[-1]) for r in plan)


def test_foreign_keys_are_checked_by_the_import_then_sqlite_again(
        session, people, engine, monkeypatch) -> None:  # noqa: ANN001
    """During an import SQLite's per-row foreign-key checks are off and the importer checks
    each distinct value itself; the connection goes back to the pool with them on."""
    from sqlalchemy.exc import IntegrityError

    seen: list[int] = []
    real_check = import_writer.check_references

    def spy(conn, table, values):  # noqa: ANN001, ANN202
        seen.append(conn.exec_driver_sql("PRAGMA foreign_keys").scalar())
        return real_check(conn, table, values)

    monkeypatch.setattr(import_writer, "check_references", spy)
    imp(session, people.admin, "Nombre;Email\nAna;ana@fk.es\n")
    assert seen and set(seen) == {0}
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with Session(engine) as other, pytest.raises(IntegrityError):
        other.connection().exec_driver_sql(
            "INSERT INTO lead (first_name, owner_id, created_at, status, custom) "
            "VALUES ('x', 999999, '2026-01-01 00:00:00', 'nuevo', '{}')")
    with engine.connect() as conn:
        with pytest.raises(IntegrityError, match=r"lead\.owner_id -> user\.id"):
            import_writer.check_references(conn, Lead.__table__,
                                           {"owner_id": [people.admin.id, 999_999]})
        import_writer.check_references(conn, Lead.__table__, {"owner_id": [people.admin.id]})


def test_custom_values_are_bounded_like_in_forms(session, people) -> None:  # noqa: ANN001
    """A long text is a row error, not a silent cut; a row whose custom fields together pass
    16 KB is refused like the API refuses it; a huge number too."""
    from crm_app.services.custom_fields import create_field

    for key in ("a", "b", "c"):
        create_field(session=session, actor=people.admin, entity="lead", key=key,
                     label=key.upper())
    create_field(session=session, actor=people.admin, entity="lead", key="n", label="N",
                 type="number")
    long = "€" * 2000
    text = ("Nombre;Email;A;B;C;N\n"
            f"Uno;uno@x.es;{'x' * 2001};;;1\n"
            f"Dos;dos@x.es;{long};{long};{long};2\n"
            f"Tres;tres@x.es;{long};{long};;1e400\n"
            f"Cuatro;cuatro@x.es;{long};{long};;3\n")
    result = imp(session, people.admin, text)
    assert [(e["row"], e["field"]) for e in result.errors] == [
        (2, "custom.a"), (3, "custom"), (4, "custom.n")]
    assert "máximo 2000" in result.errors[0]["message"]
    assert leads_by_email(session)["cuatro@x.es"].custom == {"a": long, "b": long, "n": "3"}
    assert result.created == 1
