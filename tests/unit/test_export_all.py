"""``crm export all`` and ``services.export_all`` (issue 12): every table of SQLModel.metadata as
CSV (BOM, ``;``, decimal comma, dd/mm/aaaa) and XLSX, custom fields as columns, the documents'
files, never a secret. The CLI in process (``cli_runner``) on a migrated SQLite file of its own;
the service on empty tables, all-NULL columns and the XLSX row limit."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cli_runner import crm
from factories import make_people
from live_api import migrated_session
from openpyxl import load_workbook
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlmodel import Session, SQLModel, select

from crm_app.db import make_engine
from crm_app.models import (
    Account,
    ApiToken,
    AuditEvent,
    CustomFieldDef,
    Document,
    Lead,
    Opportunity,
    Organisation,
    Pipeline,
    Quote,
    Stage,
    User,
    UserSession,
    utcnow,
)
from crm_app.services import export_all as export_service
from crm_app.services.actors import SYSTEM
from crm_app.settings import Settings

DOC_BYTES = b"%PDF-1.4 contrato firmado\n" + bytes(range(256))
SECRETS = {"password_hash": "", "api_token": "a" * 64, "session": "b" * 64,
           "smtp": "gAAAA-cifrado-smtp-que-no-debe-salir",
           "totp": "gAAAA-secreto-totp-cifrado-que-no-debe-salir"}


def _seed(session: Session, data_dir: Path) -> dict[str, object]:
    people = make_people(session)
    org = session.exec(select(Organisation)).one()
    org.smtp_password_enc = SECRETS["smtp"]
    people.admin.totp_secret_enc = SECRETS["totp"]
    session.add(people.admin)
    session.add_all([
        CustomFieldDef(entity="lead", key="presupuesto", label="Presupuesto", type="number",
                       position=1),
        CustomFieldDef(entity="lead", key="alta", label="Fecha de alta", type="date",
                       position=2),
        CustomFieldDef(entity="lead", key="vip", label="VIP", type="bool", position=3),
        CustomFieldDef(entity="lead", key="origen", label="Origen", type="text", position=4,
                       active=False),
    ])
    lead = Lead(company="=HYPERLINK(\"http://x\",\"Factura\")", first_name="Ana",
                email="ana@talleres.es", owner_id=people.admin.id,
                custom={"presupuesto": "1234.5", "alta": "2026-03-05", "vip": True,
                        "origen": "feria"},
                created_at=datetime(2026, 7, 1, 22, 30, 15, tzinfo=UTC))  # 2 July 00:30 Madrid
    empty = Lead()  # every optional column NULL
    account = Account(name="Talleres Ebro, S.L.", owner_id=people.admin.id)
    session.add_all([lead, empty, account])
    session.flush()
    pipeline = Pipeline(name="Ventas")
    session.add(pipeline)
    session.flush()
    stage = Stage(pipeline_id=pipeline.id, name="Nueva", position=1)
    session.add(stage)
    session.flush()
    session.add(Opportunity(name="Flota 2027", pipeline_id=pipeline.id, stage_id=stage.id,
                            account_id=account.id, amount=Decimal("-1234.50"),
                            owner_id=people.admin.id))
    session.add(Quote(number="P-2026-0001", year=2026, seq=1, account_id=account.id,
                      issue_date=date(2026, 11, 27), valid_until=date(2026, 12, 27),
                      total=Decimal("1512.50"), owner_id=people.admin.id))
    session.add(ApiToken(name="BI", prefix="crm_abcd", token_hash=SECRETS["api_token"],
                         user_id=people.admin.id, created_at=utcnow()))
    session.add(UserSession(token_hash=SECRETS["session"], user_id=people.admin.id,
                            created_at=utcnow(), expires_at=utcnow()))
    docs = data_dir / "documents"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "k1.pdf").write_bytes(DOC_BYTES)
    session.add(Document(filename="contrato/../firmado.pdf", storage_key="k1.pdf",
                         account_id=account.id, owner_id=people.admin.id))
    session.add(Document(filename="perdido.pdf", storage_key="no-existe.pdf",
                         owner_id=people.admin.id))
    session.add(Document(filename="fuera.txt", storage_key="../secret_key",
                         owner_id=people.admin.id))
    session.commit()
    SECRETS["password_hash"] = people.admin.password_hash
    return {"lead_id": lead.id, "admin": people.admin}


def _csv(zf: zipfile.ZipFile, table: str) -> tuple[bytes, list[list[str]]]:
    raw = zf.read(f"csv/{table}.csv")
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""),
                                delimiter=";"))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """One ``crm export all`` of a seeded install: (zip, data dir, seeded ids)."""
    tmp = tmp_path_factory.mktemp("export")
    data_dir = tmp / "data"
    data_dir.mkdir()
    (data_dir / "secret_key").write_text("clave-de-la-instalacion")
    with migrated_session(f"sqlite:///{data_dir / 'crm.db'}") as session:
        seeded = _seed(session, data_dir)
    out = tmp / "salida" / "todo.zip"
    done = crm("export", "all", "--out", str(out), data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Exportación completa: {out}")
    assert "1 documentos" in done.stdout  # one file found, one missing, one outside
    assert "2 documentos sin fichero" in done.stderr
    return out, data_dir, seeded


def test_every_table_of_the_metadata_is_there_as_csv_and_xlsx(exported) -> None:  # noqa: ANN001
    out, _, _ = exported
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    assert len(tables) > 20
    for table in tables:
        assert f"csv/{table}.csv" in names and f"xlsx/{table}.xlsx" in names, table
    assert set(manifest["tables"]) == set(tables)
    assert manifest["tables"]["lead"]["rows"] == 2
    assert manifest["tables"]["user"]["rows"] == 7
    assert "LEEME.txt" in names
    assert out.stat().st_mode & 0o777 == 0o600
    assert not out.with_name(out.name + ".part").exists()


def test_no_secret_column_and_no_secret_value_anywhere(exported) -> None:  # noqa: ANN001
    out, _, _ = exported
    blobs = []
    with zipfile.ZipFile(out) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            blobs.append(data)
            if name.endswith(".xlsx"):  # the sheets' XML inside the workbook
                with zipfile.ZipFile(io.BytesIO(data)) as inner:
                    blobs += [inner.read(n) for n in inner.namelist()]
        for table in SQLModel.metadata.sorted_tables:
            _, rows = _csv(zf, table.name)
            header = set(rows[0])
            for column in table.columns:
                if export_service.is_secret(table.name, column.name):
                    assert column.name not in header, f"{table.name}.{column.name}"
            wb = load_workbook(io.BytesIO(zf.read(f"xlsx/{table.name}.xlsx")), read_only=True)
            assert [c.value for c in next(wb.worksheets[0].iter_rows(max_row=1))] == rows[0]
    everything = b"\n".join(blobs)
    assert SECRETS["password_hash"].startswith("$argon2")
    for secret in SECRETS.values():
        assert secret.encode() not in everything, secret[:12]
    assert b"clave-de-la-instalacion" not in everything  # the ../secret_key "document"


def test_the_secret_rule_covers_the_known_secrets_and_columns_added_later() -> None:
    left_out = set(export_service.left_out_columns())
    assert left_out >= export_service.SECRET_COLUMNS
    assert {"user.password_hash", "user.totp_secret_enc", "api_token.token_hash",
            "user_session.token_hash", "organisation.smtp_password_enc"} <= left_out
    later = Table("user_2fa", MetaData(), Column("id", Integer, primary_key=True),
                  Column("totp_secret_enc", String), Column("recovery_code_hashes", String),
                  Column("reset_token", String), Column("password", String),
                  Column("api_key", String), Column("label", String))
    assert export_service.exported_columns(later) == ["id", "label"]
    # every column of every table is either exported or left out as a secret or derived
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            exported_ = column.name in export_service.exported_columns(table)
            secret = export_service.is_secret(table.name, column.name)
            derived = column.name in export_service.DERIVED_COLUMNS
            assert exported_ != (secret or derived), f"{table.name}.{column.name}"


def test_csv_is_what_spanish_excel_opens(exported) -> None:  # noqa: ANN001
    out, _, seeded = exported
    with zipfile.ZipFile(out) as zf:
        raw, rows = _csv(zf, "opportunity")
        _, quotes = _csv(zf, "quote")
        _, leads = _csv(zf, "lead")
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b";" in raw.splitlines()[0] and b"\r\n" in raw
    opp = dict(zip(rows[0], rows[1], strict=True))
    assert opp["amount"] == "-1234,50"  # a number, not a neutralised text
    quote = dict(zip(quotes[0], quotes[1], strict=True))
    assert (quote["issue_date"], quote["total"]) == ("27/11/2026", "1512,50")
    lead = dict(zip(leads[0], leads[1], strict=True))
    assert lead["id"] == str(seeded["lead_id"])
    assert lead["created_at"] == "02/07/2026 00:30:15"  # UTC stored, Madrid shown
    assert lead["company"].startswith("'=HYPERLINK")  # never a formula
    assert "search_text" not in leads[0] and "custom" not in leads[0]


def test_custom_fields_are_columns_typed(exported) -> None:  # noqa: ANN001
    out, _, seeded = exported
    with zipfile.ZipFile(out) as zf:
        _, leads = _csv(zf, "lead")
        wb = load_workbook(io.BytesIO(zf.read("xlsx/lead.xlsx")))
        manifest = json.loads(zf.read("manifest.json"))
    header = leads[0]
    assert header[-4:] == ["custom.presupuesto", "custom.alta", "custom.vip", "custom.origen"]
    full, empty = (dict(zip(header, r, strict=True)) for r in leads[1:])
    assert [full[h] for h in header[-4:]] == ["1234,5", "05/03/2026", "sí", "feria"]
    assert [empty[h] for h in header[-4:]] == ["", "", "", ""]
    assert manifest["custom_fields"]["lead"] == ["presupuesto", "alta", "vip", "origen"]
    ws = wb["lead"]
    xheader = [c.value for c in ws[1]]
    row = dict(zip(xheader, [c.value for c in ws[2]], strict=True))
    assert row["custom.presupuesto"] == 1234.5
    assert row["custom.alta"] == datetime(2026, 3, 5)
    assert ws.cell(row=2, column=xheader.index("custom.alta") + 1).number_format == "dd/mm/yyyy"
    assert row["custom.vip"] is True
    assert row["created_at"] == datetime(2026, 7, 2, 0, 30, 15)
    assert row["company"].startswith("'=HYPERLINK")
    assert row["id"] == seeded["lead_id"]


def test_xlsx_opens_with_real_numbers(exported) -> None:  # noqa: ANN001
    out, _, _ = exported
    with zipfile.ZipFile(out) as zf:
        wb = load_workbook(io.BytesIO(zf.read("xlsx/opportunity.xlsx")))
    ws = wb["opportunity"]
    header = [c.value for c in ws[1]]
    row = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert row["amount"] == -1234.5 and row["name"] == "Flota 2027"
    assert ws[1][0].font.bold


def test_document_files_are_inside_and_nothing_outside_the_documents_dir(exported) -> None:  # noqa: ANN001
    out, _, _ = exported
    with zipfile.ZipFile(out) as zf:
        docs = [n for n in zf.namelist() if n.startswith("documentos/")]
        manifest = json.loads(zf.read("manifest.json"))
        assert len(docs) == 1 and docs[0].endswith("-contrato_.._firmado.pdf")
        assert zf.read(docs[0]) == DOC_BYTES
    assert manifest["documents"] == 1 and len(manifest["missing_documents"]) == 2


def test_the_export_is_audited_as_the_system(exported) -> None:  # noqa: ANN001
    _, data_dir, _ = exported
    engine = make_engine(f"sqlite:///{data_dir / 'crm.db'}")
    try:
        with Session(engine) as s:
            [event] = s.exec(select(AuditEvent).where(AuditEvent.entity == "export")).all()
    finally:
        engine.dispose()
    assert (event.action, event.actor_id) == ("export.done", None)
    assert event.after["rows"] > 10 and event.after["documents"] == 1


def test_an_existing_output_is_refused(exported) -> None:  # noqa: ANN001
    out, data_dir, _ = exported
    before = out.read_bytes()
    done = crm("export", "all", "--out", str(out), data_dir=data_dir)
    assert done.returncode == 1
    assert done.stderr.strip() == f"Error: El fichero {out} ya existe: elige otro nombre."
    assert out.read_bytes() == before


# --- the service on its own ------------------------------------------------------------------


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def test_empty_tables_give_headers_only(session: Session, tmp_path: Path) -> None:
    out = tmp_path / "vacio.zip"
    summary = export_service.export_all(session=session, actor=SYSTEM, out=out,
                                        settings=_settings(tmp_path))
    assert summary.rows == 0 and summary.documents == 0
    with zipfile.ZipFile(out) as zf:
        _, rows = _csv(zf, "lead")
        assert rows == [rows[0]] and "email" in rows[0]
        assert "custom" in rows[0]  # no definitions: the JSON as it is
        wb = load_workbook(io.BytesIO(zf.read("xlsx/lead.xlsx")))
        assert wb["lead"].max_row == 1


def test_all_null_columns_are_empty_cells(session: Session, tmp_path: Path) -> None:
    session.add(Lead())
    session.commit()
    out = tmp_path / "nulos.zip"
    export_service.export_all(session=session, actor=SYSTEM, out=out,
                              settings=_settings(tmp_path))
    with zipfile.ZipFile(out) as zf:
        _, rows = _csv(zf, "lead")
        row = dict(zip(rows[0], rows[1], strict=True))
        wb = load_workbook(io.BytesIO(zf.read("xlsx/lead.xlsx")))
    assert row["email"] == row["owner_id"] == row["converted_at"] == row["deleted_at"] == ""
    assert row["custom"] == "{}"
    ws = wb["lead"]
    xrow = dict(zip([c.value for c in ws[1]], [c.value for c in ws[2]], strict=True))
    assert xrow["id"] == int(row["id"])
    assert xrow["email"] is xrow["owner_id"] is xrow["converted_at"] is None


def test_a_big_table_continues_on_more_sheets(session: Session, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_service, "XLSX_MAX_ROWS", 2)
    session.add_all([Lead(company=f"L{i}") for i in range(5)])
    session.commit()
    out = tmp_path / "hojas.zip"
    export_service.export_all(session=session, actor=SYSTEM, out=out,
                              settings=_settings(tmp_path))
    with zipfile.ZipFile(out) as zf:
        wb = load_workbook(io.BytesIO(zf.read("xlsx/lead.xlsx")))
        _, rows = _csv(zf, "lead")
    assert wb.sheetnames == ["lead", "lead (2)", "lead (3)"]
    assert [ws.max_row for ws in wb.worksheets] == [3, 3, 2]  # a header on every sheet
    col = [c.value for c in wb.worksheets[0][1]].index("id")  # not the first: mixins come first
    ids = [r[col].value for ws in wb.worksheets for r in ws.iter_rows(min_row=2)]
    assert ids == sorted(ids) and len(ids) == 5
    assert len(rows) == 6


def test_only_admins_export(session: Session, tmp_path: Path) -> None:
    from crm_app.permissions import PermissionDenied

    people = make_people(session)
    session.commit()
    for user in (people.director, people.manager1, people.comercial1):
        with pytest.raises(PermissionDenied):
            export_service.export_all(session=session, actor=user, out=tmp_path / "x.zip",
                                      settings=_settings(tmp_path))
    assert not (tmp_path / "x.zip").exists()
    inactive = User(email="old@test.crm", name="Old", role="admin", active=False)
    with pytest.raises(PermissionDenied):
        export_service.export_all(session=session, actor=inactive, out=tmp_path / "x.zip",
                                  settings=_settings(tmp_path))


def test_a_full_disk_stops_and_leaves_no_file(session: Session, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_service, "MIN_FREE_BYTES", 1 << 62)
    out = tmp_path / "lleno.zip"
    with pytest.raises(export_service.ExportError, match="poco espacio"):
        export_service.export_all(session=session, actor=SYSTEM, out=out,
                                  settings=_settings(tmp_path))
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def _peak_mb(session: Session, tmp_path: Path, name: str) -> float:
    import tracemalloc

    tracemalloc.start()
    try:
        export_service.export_all(session=session, actor=SYSTEM, out=tmp_path / name,
                                  settings=_settings(tmp_path))
        return tracemalloc.get_traced_memory()[1] / 1_048_576
    finally:
        tracemalloc.stop()


@pytest.mark.slow  # ~30 s: every allocation traced while 5,000 rows are written
def test_rows_are_streamed_memory_does_not_grow_with_the_table(session: Session,
                                                               tmp_path: Path) -> None:
    """1,000 leads and then 4,000, each with 4 KB of notes: a whole-table list would add
    12 MB or more (the notes alone; with 2 KB notes, 7,000 rows measured 6 → 22 MB with
    ``result.all()``); streamed rows and members add next to nothing. (Bigger notes rather
    than more rows: tracing costs per allocation, and a row's notes are one.)"""
    from sqlalchemy import insert

    now = utcnow()
    rows = [{"company": f"Empresa {i:06d}", "email": f"lead{i}@example.es",
             "notes": f"{i:06d}" + "x" * 4_000, "custom": {}, "created_at": now,
             "updated_at": now} for i in range(4_000)]
    session.execute(insert(Lead), rows[:1_000])
    session.commit()
    small = _peak_mb(session, tmp_path, "pequeno.zip")
    session.execute(insert(Lead), rows[1_000:])
    session.commit()
    del rows
    big = _peak_mb(session, tmp_path, "grande.zip")
    with zipfile.ZipFile(tmp_path / "grande.zip") as zf:
        assert json.loads(zf.read("manifest.json"))["tables"]["lead"]["rows"] == 4_000
    assert big < small + 6, (small, big)


def test_old_exports_are_purged_and_only_the_newest_zip_kept(tmp_path: Path) -> None:
    from datetime import timedelta

    from crm_env import crm_environment

    with crm_environment({"CRM_DATA_DIR": str(tmp_path / "data"), "CRM_ENV": "test"}):
        root = export_service.exports_dir()
        now = datetime.now(UTC)

        def job(name: str, state: str, hours_ago: float) -> str:
            job_id = name * 32
            at = (now - timedelta(hours=hours_ago)).isoformat().replace("+00:00", "Z")
            (root / f"{job_id}.json").write_text(json.dumps(
                {"id": job_id, "state": state, "created_at": at, "finished_at": at}))
            if state == "done":
                (root / f"{job_id}.zip").write_bytes(b"PK")
            return job_id

        newest, failed = job("a", "done", 1), job("d", "failed", 1)
        job("b", "done", 2)  # an older finished one: only the newest ZIP stays
        job("c", "done", 25)  # past KEEP_HOURS
        job("e", "failed", 30)
        (root / f"{'f' * 32}.zip.part").write_bytes(b"PK")  # a run that died half-way
        assert export_service.purge_exports(now=now) == 3
        left = sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
        assert left == [f"{newest}.json", f"{newest}.zip", f"{failed}.json"]


@pytest.mark.postgres
def test_on_postgresql_one_snapshot_streams_every_table(pg_session: Session,
                                                        tmp_path: Path) -> None:
    """The same export on PostgreSQL: one REPEATABLE READ snapshot, server-side streaming."""
    people = make_people(pg_session)
    pg_session.add(CustomFieldDef(entity="lead", key="presupuesto", label="Presupuesto",
                                  type="number", position=1))
    pg_session.add(Lead(company="Ebro", owner_id=people.admin.id,
                        custom={"presupuesto": "99.5"}))
    pg_session.commit()
    out = tmp_path / "pg.zip"
    summary = export_service.export_all(session=pg_session, actor=SYSTEM, out=out,
                                        settings=_settings(tmp_path))
    assert summary.tables["user"] == 7 and summary.tables["lead"] == 1
    with zipfile.ZipFile(out) as zf:
        _, leads = _csv(zf, "lead")
        users = zf.read("csv/user.csv")
    assert dict(zip(leads[0], leads[1], strict=True))["custom.presupuesto"] == "99,5"
    assert b"$argon2" not in users and b"admin@test.crm" in users
