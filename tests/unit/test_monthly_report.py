"""The monthly PDF: real snapshot → WeasyPrint → pdftotext shows the right figures, es-ES.

Figures from tests/analytics_data.py (November 2025, fiscal year from April)."""

from __future__ import annotations

import gc
import re
import shutil
import subprocess
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from analytics.scope import Scope
from analytics.snapshot import open_snapshot
from crm_app.permissions import PermissionDenied
from crm_app.reports.monthly import render_monthly_report, render_pdf, signed_change

NOW = datetime(2026, 11, 27, 9, 42, tzinfo=UTC)
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (poppler-utils) is not installed")


@pytest.fixture(scope="module")
def world(analytics_world, tmp_path_factory):  # noqa: ANN001, ANN201
    con = open_snapshot(target_dir=analytics_world.snapshot_dir)
    yield con, analytics_world.data, tmp_path_factory.mktemp("report")
    con.close()


def pdf_text(pdf: bytes, tmp: Path, name: str) -> str:
    path = tmp / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    return re.sub(r"[ \u00a0]+", " ", out)


def report_text(world, who: str, month: date) -> str:  # noqa: ANN001
    """The text of ``who``'s monthly PDF for ``month``, as pdftotext reads it."""
    con, d, tmp = world
    pdf = render_monthly_report(user=getattr(d.people, who), month=month, con=con, now=NOW)
    assert pdf.startswith(b"%PDF")
    return pdf_text(pdf, tmp, f"{who}-{month:%Y-%m-%d}")


def test_signed_change():
    assert signed_change(0.25) == "+25,0\u00a0%"
    assert signed_change(-0.032) == "−3,2\u00a0%"
    assert signed_change(None) == "—"


def test_render_pdf_leaves_the_garbage_collector_as_it_found_it():
    """render_pdf holds the cyclic GC during a render (speed); it must not leave it off, nor
    turn it on for a caller that had it off."""
    assert gc.isenabled()
    assert render_pdf("<p>·</p>").startswith(b"%PDF")
    assert gc.isenabled()
    gc.disable()
    try:
        render_pdf("<p>·</p>")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_director_report_shows_company_figures(world):
    started = time.perf_counter()
    text = report_text(world, "director", date(2025, 11, 1))
    elapsed = time.perf_counter() - started
    assert "Informe comercial mensual" in text
    assert "Noviembre de 2025" in text and "Empresa" in text
    assert "Demo Pruebas S.L." in text
    # KPI table: won 7.500,50 € vs October 1.500,00 € (+400,0 %) vs November 2024 700,00 €
    assert re.search(r"Importe ganado 7\.500,50 € 1\.500,00 € \+400,0 % 700,00 € \+971,5 %",
                     text), text[:3000]
    assert re.search(r"Tasa de éxito 50,0 %", text)
    assert "Importe medio ganado 2.500,17 €" in text  # 7.500,50 ÷ 3
    # fiscal year 2025/26 from April: 1.200 (abr) + 1.500 (oct) + 7.500,50 (nov) = 10.200,50
    assert "Acumulado del ejercicio 2025/26" in text
    assert re.search(r"Total del ejercicio 10\.200,50 € 700,00 € \+1\.357,2 %", text)
    assert re.search(r"nov 25 7\.500,50 € 700,00 € \+971,5 % 10\.200,50 € 700,00 €", text)
    # pipeline by stage at the end of November: 17.000 € open, 5.300 € weighted
    assert re.search(r"Total 3 17\.000,00 € 5\.300,00 €", text)
    assert re.search(r"En análisis 10 % 1 10\.000,00 € 1\.000,00 €", text)
    # funnel of the November cohort: 4 → 2 → 2 → 1
    assert re.search(r"Ganada 1 50,0 % 25,0 %", text)
    # per team and per comercial tables for a director
    assert re.search(r"Sur 4\.000,00 € 1 1 50,0 %", text)
    assert re.search(r"Norte 3\.500,50 € 2 2 50,0 %", text)
    assert "Comparativa por comercial" in text and "Comercial1" in text
    assert "Datos de" in text and "27/11/2026 10:42" in text  # Madrid time of NOW
    # speed is measured by `crm bench kpis` (report_pdf_s); here only a gross regression fails
    assert elapsed < 30, f"render took {elapsed:.2f} s"


def test_comercial_report_is_own_scope_without_comparisons(world):
    text = report_text(world, "comercial1", date(2025, 11, 15))
    assert "Comercial1" in text
    assert re.search(r"Importe ganado 3\.500,50 €", text)  # O1 + O2
    assert "Empresa" not in text
    assert "Comparativa por comercial" not in text and "Comparativa por equipo" not in text
    assert "7.500,50" not in text  # no company figure leaks


def test_manager_report_has_per_comercial_table(world):
    text = report_text(world, "manager1", date(2025, 11, 1))
    assert "Equipo Norte" in text
    assert re.search(r"Importe ganado 3\.500,50 €", text)
    assert "Comparativa por comercial" in text and "Comparativa por equipo" not in text
    assert re.search(r"Comercial1 3\.500,50 € 2 0 100,0 % 1\.750,25 € 5\.000,00 € 4", text)
    assert "Comercial3" not in text


def test_scope_above_the_role_is_refused(world):
    con, d, _ = world
    with pytest.raises(PermissionDenied):
        render_monthly_report(user=d.people.comercial1, month=date(2025, 11, 1), con=con,
                              scope=Scope.company())


def test_empty_month(world):
    text = report_text(world, "director", date(2024, 6, 1))
    assert "Junio de 2024" in text
    assert re.search(r"Importe ganado 0,00 € 0,00 € — 0,00 € —", text)
    assert "Ninguna oportunidad cambió de etapa en el mes." in text
