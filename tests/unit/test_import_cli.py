"""The ``crm import`` and ``crm bench import`` commands (Typer's ``CliRunner``,
``cli_runner``), on the test's SQLite file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cli_runner import crm as run_crm
from sqlmodel import Session, select

from crm_app.models import ImportBatch, ImportStatus, Lead


def crm(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return run_crm(*args, data_dir=tmp_path / "data",
                   database_url=f"sqlite:///{tmp_path / 'test.db'}")


def leads(engine) -> list[Lead]:  # noqa: ANN001
    with Session(engine) as s:
        return list(s.exec(select(Lead).order_by(Lead.id)).all())


def test_import_json_output_then_undo(tmp_path, engine, people) -> None:  # noqa: ANN001
    csv_file = tmp_path / "leads.csv"
    csv_file.write_bytes(("Nombre;Correo electrónico;Teléfono;Fecha de alta\r\n"
                          "Ángel;angel@x.es;600 12 34 56;15/03/2024\r\n"
                          "\r\n"
                          "Bad;bad@@x;;\r\n"
                          "Ángel bis;ANGEL@x.es;;\r\n").encode("cp1252"))
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"Teléfono": "phone"}), encoding="utf-8")
    out = crm(tmp_path, "import", "leads", str(csv_file), "--mapping", str(mapping),
              "--as", "admin@test.crm", "--json")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert set(data) == {"batch_id", "rows", "created", "updated", "skipped", "errors",
                         "duplicates"}
    assert (data["rows"], data["created"], data["updated"], data["skipped"]) == (3, 1, 0, 1)
    assert [(e["row"], e["field"]) for e in data["errors"]] == [(4, "email")]
    assert set(data["errors"][0]) == {"row", "field", "message"}
    assert data["duplicates"] == [{"row": 5, "field": "email", "existing_id": None}]
    [angel] = leads(engine)
    assert (angel.first_name, angel.phone, angel.import_batch_id) == (
        "Ángel", "+34600123456", data["batch_id"])

    denied = crm(tmp_path, "import", "undo", str(data["batch_id"]), "--as",
                 "comercial1@test.crm")
    assert denied.returncode != 0 and "administrador" in denied.stderr
    undone = crm(tmp_path, "import", "undo", str(data["batch_id"]), "--as", "admin@test.crm")
    assert undone.returncode == 0, undone.stderr
    assert leads(engine) == []
    with Session(engine) as s:
        assert s.get(ImportBatch, data["batch_id"]).status == ImportStatus.UNDONE


def test_unreadable_file_exits_non_zero_and_imports_nothing(tmp_path, engine, people) -> None:  # noqa: ANN001
    junk = tmp_path / "foto.csv"
    junk.write_bytes(bytes(range(256)) * 20)
    out = crm(tmp_path, "import", "leads", str(junk), "--as", "admin@test.crm", "--json")
    assert out.returncode != 0
    assert out.stdout == ""
    assert "binario" in out.stderr and "No se ha importado nada" in out.stderr
    empty = tmp_path / "vacio.csv"
    empty.write_bytes(b"")
    out = crm(tmp_path, "import", "contacts", str(empty), "--as", "admin@test.crm")
    assert out.returncode != 0 and "vacío" in out.stderr
    with Session(engine) as s:
        assert s.exec(select(ImportBatch)).all() == []
    assert leads(engine) == []


def test_dry_run_and_accounts_and_opportunities(tmp_path, engine, people) -> None:  # noqa: ANN001
    accounts = tmp_path / "clientes.csv"
    accounts.write_text("Razón social,CIF\nAcme S.L.,B12345674\n", encoding="utf-8")
    dry = crm(tmp_path, "import", "accounts", str(accounts), "--dry-run", "--json",
              "--as", "director@test.crm")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["batch_id"] is None
    real = crm(tmp_path, "import", "accounts", str(accounts), "--as", "director@test.crm")
    assert real.returncode == 0 and "1 creadas" in real.stdout
    opps = tmp_path / "oportunidades.csv"
    opps.write_text("Nombre\tImporte\tEtapa\tCliente\tFecha de alta\tFecha de cierre\n"
                    "Venta\t1.500,00\tGanada\tAcme S.L.\t01/02/2024\t10/02/2024\n",
                    encoding="utf-8-sig")
    out = crm(tmp_path, "import", "opportunities", str(opps), "--as", "director@test.crm",
              "--json", "--on-duplicate", "create")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["created"] == 1


def test_bench_prints_json_lines(tmp_path) -> None:  # noqa: ANN001
    out = crm(tmp_path, "bench", "import", "--rows", "400", "--json", "--repeat", "2",
              "--workdir", str(tmp_path / "bench"))
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.strip().splitlines()]
    assert [line["metric"] for line in lines] == ["import_s", "rows_per_s", "cpu_s",
                                                  "import_s_best", "runs", "load_avg_1m",
                                                  "peak_rss_mb"]
    by_metric = {line["metric"]: line for line in lines}
    assert by_metric["runs"]["value"] == 2
    peak = by_metric["peak_rss_mb"]
    assert 50 < peak["value"] < 2000 and 50 < peak["baseline"] < 2000 and peak["unit"] == "MB"
    for line in lines:
        assert set(line) == {"bench", "metric", "value", "unit", "baseline", "ratio", "n"}
        assert line["bench"] == "import" and line["n"] == 400
    for line in lines[:4]:
        assert line["value"] > 0 and line["baseline"] > 0 and line["ratio"] > 0


def test_bench_leads_prints_json_lines(tmp_path) -> None:  # noqa: ANN001
    out = crm(tmp_path, "bench", "leads", "--rows", "600", "--repeat", "1", "--json",
              "--workdir", str(tmp_path / "bench-leads"))
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.strip().splitlines()]
    assert [line["metric"] for line in lines] == [
        "page_company_ms", "page_deep_ms", "page_team_ms", "page_comercial_ms",
        "filter_status_ms", "filter_source_ms", "filter_rare_province_ms", "search_text_ms",
        "search_email_ms", "sort_company_ms", "recycle_bin_ms"]
    for line in lines:
        assert set(line) == {"bench", "metric", "value", "unit", "baseline", "ratio", "n"}
        assert line["bench"] == "leads_list" and line["unit"] == "ms"
        assert line["value"] > 0 and line["baseline"] > 0
        assert 500 < line["n"] <= 600  # the import's invalid and duplicate rows are left out
