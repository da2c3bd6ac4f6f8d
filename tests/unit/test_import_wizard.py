"""The import wizard's file I/O and mapping as services (issue 11): the upload kept under a
token, the analysis of a file, a check with its reports for the paged error table, an import
that deletes its file when it ends, templates applied over the current choices, recent
batches. Real files in the test session's data directory, a real SQLite database."""

from __future__ import annotations

import io
import json

import pytest
import xlsx_files
from aio import run_async
from sqlmodel import select

from crm_app.models import ImportBatch, Lead, Role
from crm_app.permissions import ROLE_PERMS, Perm, PermissionDenied
from crm_app.services import custom_fields
from crm_app.services.errors import NotFound, ValidationFailed
from crm_app.services.importing import (
    FileGone,
    FileTooBig,
    FileUnreadable,
    ImportLimits,
    list_batches,
    save_template,
    undo_batch,
    uploads,
    wizard,
)
from crm_app.services.importing.mapping import IGNORE, apply_template, taken_by, targets
from crm_app.services.importing.service import rejected_rows

CSV = ("Nombre;Apellidos;Empresa;E-mail de contacto;Provincia\r\n"
       "Ana;Núñez;Cerámicas Núñez;ana@ceramicas.es;Castellón\r\n"
       "Luis;Peña;;luis@pena.es;Madrid\r\n"
       "Pedro;Gómez;Gómez e Hijos;pedro@@mal;Sevilla\r\n"
       ";;;;Madrid\r\n").encode("cp1252")


def _names() -> set[str]:
    return {p.name for p in uploads.import_dir().iterdir()}


def _keep(data: bytes, filename: str = "leads.csv") -> str:
    stream = io.BytesIO(data)

    async def read(n: int) -> bytes:
        return stream.read(n)

    token, name = run_async(uploads.receive(read, filename))
    assert name == filename.replace("\\", "/").rsplit("/", 1)[-1]
    return token


@pytest.fixture
def clean_dir():
    """The imports folder holds exactly what it held before the test."""
    before = _names()
    yield
    assert _names() == before


# --- uploads under a token --------------------------------------------------------------------


def test_an_upload_is_kept_under_a_token_that_names_only_its_file(clean_dir):
    stream = io.BytesIO(b"Nombre\nAna\n")

    async def read(n: int) -> bytes:
        return stream.read(n)

    token, name = run_async(uploads.receive(read, "C:\\Users\\ana\\Ferias 2026.CSV"))
    assert name == "Ferias 2026.CSV" and token.endswith(".csv") and "/" not in token
    assert uploads.path_of(token).read_bytes() == b"Nombre\nAna\n"
    uploads.forget(token)
    with pytest.raises(FileGone, match="ya no está disponible"):
        uploads.path_of(token)
    for forged in ["../../etc/passwd", "/etc/passwd", "", "leads.db", token + "/..", None]:
        with pytest.raises(FileGone):
            uploads.path_of(forged)  # type: ignore[arg-type]
    uploads.forget("../../etc/passwd", "", "0" * 32 + ".csv")  # no error, nothing deleted


def test_the_browser_cap_is_the_lower_of_50_mb_and_the_import_limit(clean_dir, monkeypatch):
    monkeypatch.setattr(ImportLimits, "current", classmethod(lambda cls: cls(max_bytes=10)))
    stream = io.BytesIO(b"x" * 11)

    async def read(n: int) -> bytes:
        return stream.read(n)

    with pytest.raises(FileTooBig):
        run_async(uploads.receive(read, "big.csv"))
    assert uploads.BROWSER_MAX_BYTES == 50 * 1024 * 1024


# --- analysis ---------------------------------------------------------------------------------


def test_analyse_proposes_a_mapping_with_samples_and_targets(session, people, clean_dir):
    custom_fields.create_field(session=session, actor=people.admin, entity="lead", key="sector",
                               label="Sector", type="text")
    token = _keep(CSV)
    got = wizard.analyse(session=session, actor=people.comercial1, entity="leads", token=token,
                         filename="leads.csv")
    assert [(c.header, c.target, c.sample) for c in got.columns] == [
        ("Nombre", "first_name", "Ana"), ("Apellidos", "last_name", "Núñez"),
        ("Empresa", "company", "Cerámicas Núñez"),
        ("E-mail de contacto", IGNORE, "ana@ceramicas.es"), ("Provincia", "province",
                                                              "Castellón")]
    assert (got.rows, got.encoding, got.delimiter) == (4, "cp1252", ";"), got
    assert got.targets[0].value == "first_name" and got.targets[-1].custom
    assert (got.targets[-1].value, got.targets[-1].label) == ("custom.sector", "Sector")
    assert uploads.path_of(token)  # still there for the next steps
    uploads.forget(token)


def test_an_unreadable_file_is_deleted_when_analysed(session, people, clean_dir):
    token = _keep(b"\x00\x01\x02binary\x00" * 50, "x.csv")
    with pytest.raises(FileUnreadable):
        wizard.analyse(session=session, actor=people.admin, entity="lead", token=token,
                       filename="x.csv")
    with pytest.raises(FileGone):
        uploads.path_of(token)


def test_a_sheet_over_the_limits_is_deleted_when_analysed(session, people, clean_dir,
                                                         monkeypatch):
    token = _keep(xlsx_files.sparse("Z1000"), "x.xlsx")
    monkeypatch.setattr(ImportLimits, "current", classmethod(lambda cls: cls(max_rows=100)))
    with pytest.raises(FileTooBig):
        wizard.analyse(session=session, actor=people.admin, entity="lead", token=token,
                       filename="x.xlsx")
    assert token not in _names()


# --- check and import -------------------------------------------------------------------------

MAPPING = {"Nombre": "first_name", "Apellidos": "last_name", "Empresa": "company",
           "E-mail de contacto": "email", "Provincia": "province"}


def test_a_check_keeps_its_error_rows_for_the_pages_and_its_csv(session, people, clean_dir):
    token = _keep(CSV)
    report = wizard.run(session=session, actor=people.comercial1, entity="lead", token=token,
                        filename="leads.csv", mapping=MAPPING, on_duplicate="skip",
                        dry_run=True)
    assert (report.result.created, report.result.rejected) == (2, 2)
    assert session.exec(select(Lead)).all() == []  # a check writes nothing
    assert report.owners == [("Comercial1", 2)]
    rows = wizard.error_rows(report.errors, offset=0, limit=50)
    assert rows[0] == {"row": "4", "column": "E-mail de contacto",
                       "field": "Correo electrónico", "message": rows[0]["message"]}
    assert "no válido" in rows[0]["message"] and rows[1]["row"] == "5"
    assert wizard.error_rows(report.errors, offset=1, limit=1) == rows[1:2]
    assert wizard.error_rows(report.errors, offset=50, limit=50) == []
    assert "pedro@@mal" in wizard.rejected_csv(report.rejected_csv).decode("utf-8-sig")
    assert uploads.path_of(token)  # the file stays for the import
    uploads.forget(token, report.errors, report.rejected_csv)
    with pytest.raises(FileGone):
        wizard.error_rows(report.errors, offset=0, limit=50)
    with pytest.raises(FileGone):
        wizard.rejected_csv(report.rejected_csv)


def test_an_import_deletes_its_file_when_it_ends(session, people, clean_dir):
    token = _keep(CSV)
    report = wizard.run(session=session, actor=people.admin, entity="lead", token=token,
                        filename="leads.csv", mapping=MAPPING, on_duplicate="skip",
                        dry_run=False)
    assert report.result.batch_id and report.result.created == 2 and not report.rejected_csv
    assert token not in _names()
    with pytest.raises(FileGone):  # a second import of the same upload: nothing to read
        wizard.run(session=session, actor=people.admin, entity="lead", token=token,
                   filename="leads.csv", mapping=MAPPING, on_duplicate="skip", dry_run=False)
    assert len(session.exec(select(Lead)).all()) == 2
    assert json.loads(uploads.path_of(report.errors).read_text("utf-8"))[0]["row"] == "4"
    uploads.forget(report.errors)


def test_a_mapping_the_user_can_fix_keeps_the_file(session, people, clean_dir):
    token = _keep(CSV)
    with pytest.raises(ValidationFailed):
        wizard.run(session=session, actor=people.admin, entity="lead", token=token,
                   filename="leads.csv", mapping={"Nombre": "password_hash"},
                   on_duplicate="skip", dry_run=False)
    with pytest.raises(FileUnreadable, match="No se reconoce ninguna columna"):
        wizard.run(session=session, actor=people.admin, entity="lead", token=token,
                   filename="leads.csv", mapping=dict.fromkeys(MAPPING, IGNORE),
                   on_duplicate="skip", dry_run=False)
    assert uploads.path_of(token)
    assert session.exec(select(ImportBatch)).all() == []
    uploads.forget(token)


def test_a_failed_import_deletes_its_file_a_failed_check_does_not(session, people, clean_dir,
                                                                  monkeypatch):
    def boom(**_kw):  # noqa: ANN003, ANN202 - the database going away half-way
        raise OSError("disk I/O error")

    monkeypatch.setattr(wizard, "import_file", boom)
    token = _keep(CSV)
    with pytest.raises(OSError):
        wizard.run(session=session, actor=people.admin, entity="lead", token=token,
                   filename="leads.csv", mapping=MAPPING, on_duplicate="skip", dry_run=True)
    assert uploads.path_of(token)
    with pytest.raises(OSError):
        wizard.run(session=session, actor=people.admin, entity="lead", token=token,
                   filename="leads.csv", mapping=MAPPING, on_duplicate="skip", dry_run=False)
    assert token not in _names()


def test_over_a_limit_at_the_check_the_file_is_deleted(session, people, clean_dir,
                                                      monkeypatch):
    token = _keep(CSV)
    monkeypatch.setattr(ImportLimits, "current", classmethod(lambda cls: cls(max_rows=2)))
    with pytest.raises(FileTooBig):
        wizard.run(session=session, actor=people.admin, entity="lead", token=token,
                   filename="leads.csv", mapping=MAPPING, on_duplicate="skip", dry_run=True)
    assert token not in _names()


def test_the_wizard_services_need_import_run(session, people, clean_dir, monkeypatch):
    monkeypatch.setitem(ROLE_PERMS, Role.COMERCIAL, ROLE_PERMS[Role.COMERCIAL] - {Perm.IMPORT})
    token = _keep(CSV)
    with pytest.raises(PermissionDenied):
        wizard.analyse(session=session, actor=people.comercial1, entity="lead", token=token,
                       filename="leads.csv")
    with pytest.raises(PermissionDenied):
        wizard.run(session=session, actor=people.comercial1, entity="lead", token=token,
                   filename="leads.csv", mapping=MAPPING, on_duplicate="skip", dry_run=False)
    assert session.exec(select(Lead)).all() == []
    uploads.forget(token)


# --- mapping choices and templates ------------------------------------------------------------


def test_taken_by_names_the_earlier_column_that_keeps_a_field():
    assert taken_by([("Correo", "email"), ("Nombre", "first_name"), ("E-mail", "email"),
                     ("Otro", IGNORE), ("Mail 2", "email"), ("Nada", IGNORE)]) == {
        "E-mail": "Correo", "Mail 2": "Correo"}
    assert taken_by([]) == {}


def test_a_template_applies_over_the_current_choices_by_folded_header(session, people):
    tpl = save_template(session=session, actor=people.comercial1, entity="lead", name="Feria",
                        mapping={"E-MAIL DE CONTACTO": "email", "Provincia": IGNORE,
                                 "Columna que no está": "city"})
    got, choices = apply_template(session=session, actor=people.comercial2, entity="leads",
                                  template_id=tpl.id,
                                  choices={"Nombre": "first_name",
                                           "E-mail de contacto": IGNORE,
                                           "Provincia": "province"})
    assert got.name == "Feria"
    assert choices == {"Nombre": "first_name", "E-mail de contacto": "email",
                       "Provincia": IGNORE}
    with pytest.raises(NotFound):  # a template of another kind of record
        apply_template(session=session, actor=people.admin, entity="account",
                       template_id=tpl.id, choices={})
    with pytest.raises(NotFound):
        apply_template(session=session, actor=people.admin, entity="lead",
                       template_id=tpl.id + 100, choices={})
    assert [t.value for t in targets("lead", [])][:3] == ["first_name", "last_name",
                                                          "full_name"]


# --- recent batches ---------------------------------------------------------------------------


def test_recent_batches_of_one_kind_and_their_rejected_rows(session, people, clean_dir):
    token = _keep(CSV)
    lead = wizard.run(session=session, actor=people.comercial1, entity="lead", token=token,
                      filename="leads.csv", mapping=MAPPING, on_duplicate="skip",
                      dry_run=False)
    other = _keep("Razón social;CIF\nAcme;\n".encode())
    account = wizard.run(session=session, actor=people.comercial1, entity="account",
                         token=other, filename="c.csv", mapping={}, on_duplicate="skip",
                         dry_run=False)
    uploads.forget(lead.errors, account.errors)
    mine = list_batches(session=session, actor=people.comercial1, entity="leads")
    assert [b.id for b in mine] == [lead.result.batch_id]
    assert rejected_rows(mine[0]) == 2
    assert len(list_batches(session=session, actor=people.comercial1)) == 2
    assert list_batches(session=session, actor=people.comercial2, entity="lead") == []
    undo_batch(session=session, actor=people.comercial1, batch_id=lead.result.batch_id)
    assert rejected_rows(ImportBatch(entity="lead", errors=[])) == 0
