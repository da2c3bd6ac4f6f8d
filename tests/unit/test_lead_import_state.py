"""The import wizard's state, driven in-process like a browser tab would drive it: upload →
mapping → preview with errors (paged) → import → undo; the upload deleted when the batch
ends, or purged mid-wizard (back to the first step); templates; forged events; a tab without
session. Background handlers run to their end through ``state_harness.run_bg``."""

from __future__ import annotations

import base64
import io
import os
import time
from pathlib import Path

import pytest
import reflex as rx
from sqlmodel import select
from state_harness import names, run, run_bg, tab

from crm_app.i18n import t
from crm_app.models import ImportBatch, ImportStatus, ImportTemplate, Lead, Role
from crm_app.permissions import ROLE_PERMS, Perm
from crm_app.services.importing import ImportLimits, uploads
from pages.lead_import import LeadImportState

HEADER = "Nombre;Apellidos;Empresa;E-mail de contacto;Provincia;Canal de entrada"


def _csv(*rows: str) -> bytes:
    """A ;-separated Windows-1252 file as Spanish Excel saves it; "E-mail de contacto" is a
    header the automatic mapping does not know."""
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp1252")


GOOD_AND_BAD = _csv("Ana;Núñez;Cerámicas Núñez;ana@ceramicas.es;Castellón;Feria",
                    "Luis;Peña;Peña Asesores;luis@pena.es;Madrid;Web",
                    "María;Ibáñez;;maria@gmail.com;La Rioja;Referido",
                    "Pedro;Gómez;Gómez e Hijos;pedro@@mal;Sevilla;Web",
                    ";;;;Madrid;Web")


def _file(data: bytes, name: str = "leads-feria.csv") -> rx.UploadFile:
    return rx.UploadFile(file=io.BytesIO(data), path=Path(name))


def _toast(events) -> str:  # noqa: ANN001
    return " ".join(str(e) for e in events if "toast" in str(e).lower())


def _downloaded(events) -> str:  # noqa: ANN001
    """The text of the file an ``rx.download`` event hands the browser."""
    url = dict((str(k), v._var_value) for k, v in events[0].args)["url"]
    return base64.b64decode(url.split("base64,", 1)[1]).decode("utf-8-sig")


def _in_dir() -> set[str]:
    return {p.name for p in uploads.import_dir().iterdir()}


def _upload(s, data: bytes = GOOD_AND_BAD, name: str = "leads-feria.csv") -> list:  # noqa: ANN001
    out = run_bg(s, "upload", [_file(data, name)])
    if s._file:  # kept: the upload chains the background read
        assert [e.fn.__name__ for e in out] == ["analyse"] and s.busy
        out = run_bg(s, "analyse")
    return out


def _leads(session) -> list[Lead]:  # noqa: ANN001
    session.expire_all()
    return list(session.exec(select(Lead)).all())


@pytest.fixture
def no_leftovers():
    """Whatever a test's wizard kept in the imports folder is gone when it ends."""
    before = _in_dir()
    yield
    assert _in_dir() == before


def test_upload_mapping_preview_import_and_undo(session, people, no_leftovers):
    s = tab(LeadImportState, people.comercial1, path="/leads/importar")
    assert run(s.open_page()) == [] and s.step == "upload" and s.batches == []
    _upload(s)
    assert (s.step, s.busy, s.filename) == ("mapping", False, "leads-feria.csv")
    assert s.file_info == "5 filas · Windows-1252 · separador «;»"
    targets = {r["header"]: r["target"] for r in s.mapping_rows}
    assert targets["E-mail de contacto"] == "ignore" and targets["Canal de entrada"] == "source"
    assert s.mapping_rows[0]["sample"] == "Ana"
    assert s.target_options[-1] == {"value": "ignore", "label": "Ignorar esta columna"}
    upload = s._file
    assert upload in _in_dir()

    s.set_target("E-mail de contacto", "email")
    s.set_target("Apellidos", "email")  # an earlier column takes it: the later is ignored
    assert [r["warn"] for r in s.mapping_rows[1:4]] == [
        "", "", "La columna «Apellidos» ya va a este campo; esta se ignorará."]
    s.set_target("Apellidos", "last_name")
    assert all(r["warn"] == "" for r in s.mapping_rows)

    out = run_bg(s, "preview")
    assert out == [] and (s.step, s.busy, s.progress) == ("preview", False, 100)
    assert (s.counts["rows"], s.counts["created"], s.counts["rejected"]) == ("5", "3", "2")
    assert s.counts["owners"] == "Comercial1 (3)"
    assert s.total == 3 and [e["row"] for e in s.error_rows] == ["5", "6", "6"]
    assert s.error_rows[0]["column"] == "E-mail de contacto" and \
        "no válido" in s.error_rows[0]["message"]
    assert _leads(session) == []  # a preview writes nothing
    assert "pedro@@mal" in _downloaded(run(s.download_preview_errors()))

    out = run_bg(s, "run_import")
    assert (s.step, s.busy) == ("result", False) and "3 creados" in _toast(out)
    assert upload not in _in_dir()  # the batch ended: its file is gone
    assert s._file == "" and s.batch_id and len(_leads(session)) == 3
    assert [e["row"] for e in s.error_rows] == ["5", "6", "6"]  # the rejected rows
    assert s.batches[0]["id"] == str(s.batch_id) and s.batches[0]["rejected"] == "2"
    rejected = _downloaded(run(s.download_rejected("")))
    assert rejected.startswith("Fila;Nombre;Apellidos") and "pedro@@mal" in rejected

    out = run_bg(s, "undo", str(s.batch_id))
    assert s.batch_undone and not s.undoing and t("import_ui.undone", id=s.batch_id) in \
        _toast(out)
    assert _leads(session) == []
    assert s.batches[0]["status_key"] == ImportStatus.UNDONE
    run(s.restart())  # "Importar otro archivo": the reports go too
    assert s.step == "upload" and s.total == 0


def test_the_error_rows_are_paged_from_the_report_on_disk(session, people, no_leftovers):
    rows = [f"Persona{i};X;Empresa {i};mal{i}@@x;Madrid;Web" for i in range(120)]
    s = tab(LeadImportState, people.manager1, path="/leads/importar")
    run(s.open_page())
    _upload(s, _csv(*rows))
    s.set_target("E-mail de contacto", "email")
    run_bg(s, "preview")
    assert (s.total, s.pages, s.page, len(s.error_rows)) == (120, 3, 1, 50)
    assert s.error_rows[0]["row"] == "2" and not s.has_prev and s.has_next
    run(s.next_page())
    run(s.next_page())
    run(s.next_page())  # past the end: stays on the last page
    assert (s.page, len(s.error_rows), s.error_rows[-1]["row"]) == (3, 20, "121")
    run(s.prev_page())
    assert s.page == 2 and s.error_rows[0]["row"] == "52"
    run(s.restart())


def test_a_file_purged_mid_wizard_sends_the_wizard_back_to_the_first_step(session, people,
                                                                           no_leftovers):
    s = tab(LeadImportState, people.comercial1, path="/leads/importar")
    run(s.open_page())
    _upload(s)
    stamp = time.time() - 25 * 3600  # the tab was left open for a day…
    os.utime(uploads.import_dir() / s._file, (stamp, stamp))
    assert uploads.purge_abandoned() == 1  # … and the hourly task purged its file
    out = run_bg(s, "preview")
    assert (s.step, s.busy, s.filename) == ("upload", False, "")
    assert s.upload_error == t("import_limits.file_gone") and s.upload_error in _toast(out)
    assert _leads(session) == []


def test_a_mapping_that_reads_no_column_stays_on_the_mapping_step_with_its_file(
        session, people, no_leftovers):
    s = tab(LeadImportState, people.comercial1, path="/leads/importar")
    run(s.open_page())
    _upload(s)
    for header in [r["header"] for r in s.mapping_rows]:
        s.set_target(header, "ignore")
    out = run_bg(s, "run_import")
    assert (s.step, s.busy) == ("mapping", False)
    assert "No se reconoce ninguna columna" in s.mapping_error and _toast(out)
    assert s._file in _in_dir()  # kept: the mapping can be corrected
    s.set_target("Nombre", "first_name")
    assert s.mapping_error == ""
    s.set_target("E-mail de contacto", "email")
    run_bg(s, "run_import")
    assert s.step == "result" and len(_leads(session)) == 3
    assert {lead.company for lead in _leads(session)} == {""}  # only what was mapped
    run(s.restart())


def test_a_file_over_the_limits_or_unreadable_goes_back_to_the_first_step(
        session, people, no_leftovers, monkeypatch):
    s = tab(LeadImportState, people.comercial1, path="/leads/importar")
    run(s.open_page())
    _upload(s, b"\x00\x01binary\x00" * 40, "datos.csv")
    assert s.step == "upload" and s.upload_error and not s.busy
    monkeypatch.setattr(ImportLimits, "current", classmethod(lambda cls: cls(max_rows=2)))
    out = _upload(s)
    assert s.step == "upload" and "2" in s.upload_error and s.upload_error in _toast(out)
    monkeypatch.setattr(ImportLimits, "current", classmethod(lambda cls: cls(max_bytes=100)))
    run_bg(s, "upload", [_file(GOOD_AND_BAD)])  # refused while it is copied
    assert s.step == "upload" and "máximo" in s.upload_error and s._file == ""


def test_templates_saved_with_inline_errors_loaded_and_deleted(session, people, no_leftovers):
    s = tab(LeadImportState, people.comercial1, path="/leads/importar")
    run(s.open_page())
    _upload(s)
    s.set_target("E-mail de contacto", "email")
    s.set_template_open(True)
    out = run(s.save_template())
    assert s.template_errors == {"name": "Pon un nombre a la plantilla."}
    assert s.template_error == "Pon un nombre a la plantilla." and s.template_open and out
    s.set_template_name("Feria")
    run(s.save_template())
    assert not s.template_open and s.templates[0]["label"] == "Feria"
    tpl_id = s.templates[0]["value"]

    other = tab(LeadImportState, people.comercial2, path="/leads/importar")
    run(other.open_page())
    _upload(other, GOOD_AND_BAD.replace("E-mail de contacto".encode("cp1252"),
                                        "E-MAIL DE CONTACTO".encode("cp1252")))
    assert other.mapping_rows[3]["target"] == "ignore"
    out = run(other.load_template(tpl_id))
    assert other.mapping_rows[3]["target"] == "email" and "Feria" in _toast(out)
    assert other.template_id == tpl_id
    out = run(other.delete_template())  # not theirs: refused, kept
    assert "Solo quien creó la plantilla" in _toast(out)
    assert session.exec(select(ImportTemplate)).all()
    run(s.load_template(tpl_id))
    run(s.delete_template())
    assert s.templates == [] and s.template_id == ""
    out = run(other.load_template(tpl_id))
    assert "no encontrada" in _toast(out)
    run(s.restart())
    run(other.restart())


def test_a_forged_run_by_a_user_without_import_run_is_refused(session, people, no_leftovers,
                                                               monkeypatch):
    s = tab(LeadImportState, people.comercial1, path="/leads/importar")
    run(s.open_page())
    _upload(s)
    s.set_target("E-mail de contacto", "email")
    monkeypatch.setitem(ROLE_PERMS, Role.COMERCIAL, ROLE_PERMS[Role.COMERCIAL] - {Perm.IMPORT})
    for event in ("preview", "run_import", "analyse"):
        out = run_bg(s, event)
        assert t("common.denied") in _toast(out) and not s.busy
    out = run_bg(s, "upload", [_file(GOOD_AND_BAD)])
    assert t("common.denied") in _toast(out)
    assert names(run(s.open_page()))[0] == "_redirect"  # the page sends them to /leads
    assert _leads(session) == [] and session.exec(select(ImportBatch)).all() == []
    monkeypatch.undo()
    run(s.restart())


def test_a_forged_undo_of_another_users_import_is_refused(session, people, no_leftovers):
    s = tab(LeadImportState, people.comercial1, path="/leads/importar")
    run(s.open_page())
    _upload(s)
    s.set_target("E-mail de contacto", "email")
    run_bg(s, "run_import")
    other = tab(LeadImportState, people.comercial2, path="/leads/importar")
    run(other.open_page())
    assert other.batches == []  # not theirs to see
    out = run_bg(other, "undo", str(s.batch_id))
    assert "Solo quien hizo la importación" in _toast(out) and not other.undoing
    assert len(_leads(session)) == 3
    out = run(other.download_rejected(str(s.batch_id)))
    assert t("common.denied") in _toast(out) or "permiso" in _toast(out)
    run(s.restart())


def test_a_tab_without_session_goes_to_the_login_page(engine):
    s = tab(LeadImportState, None, path="/leads/importar")
    out = run(s.open_page())
    assert names(out) == ["_redirect"] and "/login?next=/leads/importar" in str(out[0].args)
    out = run_bg(s, "preview")
    assert names(out) == ["_redirect"] and not s.busy
    out = run_bg(s, "upload", [_file(GOOD_AND_BAD)])
    assert names(out) == ["_redirect"] and s._file == ""
