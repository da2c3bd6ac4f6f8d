"""``crm company set`` / ``crm company show`` (issue 12): a real company without demo data sets
its data from a script, validated like the screen and the API, audited as the system; the SMTP
password is read from stdin and never printed. In process (``cli_runner``) on a migrated
SQLite file of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import crm
from live_api import prepare_database
from sqlmodel import Session, select

from crm_app.db import make_engine
from crm_app.models import AuditEvent, Organisation
from crm_app.services import organisation as org_service
from crm_app.services import secret_box

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101005d8d7a4c0000000049454e44ae426082")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    prepare_database(f"sqlite:///{folder / 'crm.db'}")  # an empty install: no company row
    return folder


def _rows(data_dir: Path, model):  # noqa: ANN001, ANN202
    engine = make_engine(f"sqlite:///{data_dir / 'crm.db'}")
    try:
        with Session(engine) as s:
            return s.exec(select(model)).all()
    finally:
        engine.dispose()


def test_set_then_show_on_an_empty_install(data_dir: Path, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    done = crm("company", "set", "--legal-name", "Talleres Ebro, S.L.", "--nif", "b12345674",
               "--address", "Calle del Coso, 42", "--postal-code", "50001", "--city",
               "Zaragoza", "--fiscal-year-start-month", "7", "--iban",
               "ES91 2100 0418 4502 0005 1332", "--quote-series", "PR", "--smtp-host",
               "smtp.ebromotor.es", "--smtp-from", "crm@ebromotor.es", "--no-smtp-starttls",
               "--smtp-password-stdin", "--logo", str(logo),
               data_dir=data_dir, stdin="clave-secreta\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Empresa guardada: Talleres Ebro, S.L. (B12345674)."
    [org] = _rows(data_dir, Organisation)
    assert (org.province, org.quote_series, org.smtp_starttls) == ("Zaragoza", "PR", False)
    assert (data_dir / "company" / "logo.png").read_bytes() == PNG
    key = (data_dir / "secret_key").read_text().strip()  # the install's own generated key
    assert secret_box.decrypt(org.smtp_password_enc, purpose=org_service.SMTP_PURPOSE,
                              secret_key=key) == "clave-secreta"
    events = _rows(data_dir, AuditEvent)
    assert {e.entity for e in events} == {"organisation"}
    assert all(e.actor_id is None for e in events)  # the system, "Sistema"

    shown = crm("company", "show", data_dir=data_dir)
    assert shown.returncode == 0, shown.stderr
    assert "Razón social: Talleres Ebro, S.L." in shown.stdout
    assert "IBAN: ES91 2100 0418 4502 0005 1332" in shown.stdout
    assert "Inicio del ejercicio (mes): 7" in shown.stdout
    assert "SMTP contraseña: (guardada)" in shown.stdout
    assert "Logotipo: sí" in shown.stdout
    assert "clave-secreta" not in shown.stdout
    as_json = json.loads(crm("company", "show", "--json", data_dir=data_dir).stdout)
    assert as_json["nif"] == "B12345674" and as_json["smtp_password_set"] is True
    assert "smtp_password" not in as_json and "smtp_password_enc" not in as_json

    # only what is given changes
    assert crm("company", "set", "--city", "Zaragoza", "--trade-name", "Ebro Motor",
               data_dir=data_dir).returncode == 0
    [org] = _rows(data_dir, Organisation)
    assert (org.legal_name, org.trade_name) == ("Talleres Ebro, S.L.", "Ebro Motor")
    assert org.smtp_password_enc


@pytest.mark.parametrize(("args", "needle"), [
    (["--legal-name", "X S.L.", "--nif", "B12345678"], "--nif: NIF/CIF/NIE no válido"),
    (["--legal-name", "X S.L.", "--iban", "ES00 1234"], "--iban: IBAN no válido"),
    (["--legal-name", "X S.L.", "--sepa-creditor-id", "ES00ZZZB12345674"],
     "--sepa-creditor-id: Identificador de acreedor SEPA no válido"),
    (["--legal-name", "X S.L.", "--fiscal-year-start-month", "13"],
     "--fiscal-year-start-month: El mes debe ser un número del 1 al 12."),
    (["--nif", "B12345674"], "--legal-name: Obligatorio."),
    ([], "no hay nada que cambiar"),
])
def test_bad_input_fails_cleanly_and_changes_nothing(data_dir: Path, args: list[str],
                                                     needle: str) -> None:
    result = crm("company", "set", *args, data_dir=data_dir)
    assert result.returncode == 1
    assert needle in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert _rows(data_dir, Organisation) == [] and _rows(data_dir, AuditEvent) == []


def test_a_logo_that_is_not_an_image_is_refused(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "logo.png"
    bad.write_text("no soy una imagen")
    result = crm("company", "set", "--logo", str(bad), data_dir=data_dir)
    assert result.returncode == 1
    assert "--logo: El logotipo debe ser una imagen PNG o JPEG." in result.stderr
    missing = crm("company", "set", "--logo", str(tmp_path / "no.png"), data_dir=data_dir)
    assert missing.returncode == 1 and "no se puede leer" in missing.stderr
