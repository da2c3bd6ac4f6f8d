"""The ``crm analytics``, ``crm report`` and ``crm bench kpis`` commands (Typer's ``CliRunner``,
``cli_runner``), each module on a data dir of its own over the shared ``analytics_world``
database (or one of its own when the test changes the data)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from analytics_data import World, build
from cli_runner import crm
from factories import make_people
from live_api import prepare_database
from sqlmodel import Session

from crm_app.db import make_engine


def run(data_dir: Path, *args: str, database_url: str | None = None
        ) -> subprocess.CompletedProcess:
    """``crm *args`` on ``data_dir`` (its ``crm.db`` unless ``database_url`` is given)."""
    return crm(*args, data_dir=data_dir, database_url=database_url)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli-analytics") / "data"
    data.mkdir()
    return data


def test_snapshot_and_monthly_report(analytics_world: World, data_dir: Path,
                                     tmp_path: Path) -> None:
    url = analytics_world.url
    r = run(data_dir, "analytics", "snapshot", database_url=url)
    assert r.returncode == 0, r.stderr
    assert "opportunities=13" in r.stdout
    assert (data_dir / "snapshots" / "current").exists()
    out = tmp_path / "nov.pdf"
    r = run(data_dir, "report", "monthly", "--month", "2025-11", "--as", "manager1@test.crm",
            "--out", str(out), database_url=url)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                              text=True, check=True).stdout
        text = re.sub(r"[ \u00a0]+", " ", text)
        assert "Equipo Norte" in text and re.search(r"Importe ganado 3\.500,50 €", text)
    denied = run(data_dir, "report", "monthly", "--month", "2025-11", "--as",
                 "comercial1@test.crm", "--scope", "company", "--out", str(tmp_path / "x.pdf"),
                 database_url=url)
    assert denied.returncode == 1 and "empresa" in denied.stderr
    bad = run(data_dir, "report", "monthly", "--month", "noviembre", "--as",
              "director@test.crm", "--out", str(tmp_path / "y.pdf"), database_url=url)
    assert bad.returncode == 1 and "AAAA-MM" in bad.stderr


@pytest.mark.slow
def test_bench_kpis_prints_json_lines(data_dir: Path, tmp_path: Path) -> None:
    r = run(data_dir, "bench", "kpis", "--opportunities", "2000", "--json", "--workdir",
            str(tmp_path))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    metrics = {row["metric"]: row for row in rows}
    assert {"snapshot_s", "dashboard_company_ms", "dashboard_team_ms", "report_pdf_s"} <= set(
        metrics)
    for row in rows:
        assert set(row) == {"bench", "metric", "value", "unit", "baseline", "ratio", "n"}
        assert row["bench"] == "kpis" and row["n"] == 2000
    company = metrics["dashboard_company_ms"]
    assert company["baseline"] > 0 and company["ratio"] == pytest.approx(
        company["value"] / company["baseline"], rel=1e-2)


def test_snapshot_without_leads_and_a_failing_one(tmp_path: Path) -> None:
    """Issue 10: customers and deals imported, no leads → ``crm analytics snapshot`` failed
    with a DuckDB binder error. Then a build that cannot go through: exit 1, a Spanish
    message and the reason, no traceback, and the last good snapshot still current."""
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'crm.db'}"
    prepare_database(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        d = build(s, make_people(s))
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE activity SET lead_id = NULL")
        conn.exec_driver_sql("UPDATE opportunity SET lead_id = NULL")
        conn.exec_driver_sql("DELETE FROM lead")
    r = run(data, "analytics", "snapshot")
    assert r.returncode == 0, r.stderr
    assert "leads=0" in r.stdout and "opportunities=13" in r.stdout
    good = (data / "snapshots" / "current").read_text()
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE opportunity SET amount = 1e30 WHERE id = ?",
                             (d.opps["O6"].id,))
    engine.dispose()
    r = run(data, "analytics", "snapshot")
    assert r.returncode == 1
    assert "Error: No se han podido actualizar los datos de análisis." in r.stderr
    assert "Conversion" in r.stderr and "Traceback" not in r.stderr
    assert (data / "snapshots" / "current").read_text() == good
