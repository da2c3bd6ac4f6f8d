"""The quote PDF: what the customer reads (pdftotext), in Spanish format, rendered fast."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from datetime import date

import pytest
import sales_support as build
from sqlmodel import select

from crm_app.models import Organisation
from crm_app.services import contacts, quotes


def pdftotext(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        message = "pdftotext missing: apt-get install -y poppler-utils"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    path = tmp_path / "q.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         check=True, timeout=30)
    return re.sub(r"[ \u00a0]+", " ", out.stdout.decode())


@pytest.fixture
def sample(session, people, tmp_path):
    org = session.exec(select(Organisation)).one()
    org.legal_name = "Soluciones del Norte S.L."
    org.address = "Calle Mayor, 12"
    org.postal_code, org.city, org.province = "48001", "Bilbao", "Vizcaya"
    org.quote_conditions = "Forma de pago: transferencia a 30 días."
    logo = tmp_path / "logo.png"
    logo.write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cf000000030101005d8d7a4c0000000049454e44ae426082"))
    org.logo_path = str(logo)
    session.add(org)
    session.commit()
    acc = build.account(session, people.comercial1, name="Ferretería Hermanos López S.L.",
                        nif="A58818501", address="Avenida de la Constitución, 45",
                        postal_code="41001", city="Sevilla", province="Sevilla",
                        recargo_equivalencia=True)
    eva = contacts.create_contact(session=session, actor=people.comercial1, data={
        "account_id": acc.id, "first_name": "María", "last_name": "López"})
    q = build.quote(session, people.comercial1, acc.id, contact_id=eva.id, irpf_pct="15",
                    issue_date=date(2026, 3, 2), valid_until=date(2026, 4, 1),
                    global_discount_pct="5", lines=[
        {"description": "Licencia CRM anual", "quantity": "3", "unit_price": "1234.50",
         "tax_rate": "21"},
        {"description": "Implantación\nDos sesiones de 4 horas", "quantity": "8",
         "unit_price": "45", "discount_pct": "10", "tax_rate": "21", "unit": "h"},
        {"description": "Manual impreso", "quantity": "2", "unit_price": "12.345",
         "tax_rate": "4"},
        {"description": "Curso bonificado", "quantity": "1", "unit_price": "300",
         "tax_rate": "exento"}])
    return q


def test_pdf_shows_number_customer_and_spanish_totals(session, people, sample, tmp_path):
    filename, pdf = quotes.quote_pdf(session=session, actor=people.comercial1,
                                     quote_id=sample.id)
    assert filename == f"Presupuesto-{sample.number}-v1.pdf"
    assert pdf.startswith(b"%PDF")
    text = pdftotext(pdf, tmp_path)
    totals = quotes.quote_view(session=session, actor=people.comercial1,
                               quote_id=sample.id)["totals"]
    # 21 %: (3.703,50 + 324,00) × 0,95 = 3.826,125 → 3.826,13; IVA 803,49; R.E. 198,96
    # 4 %: 24,69 × 0,95 = 23,4555 → 23,46; IVA 0,94; R.E. 0,12; exento: 285,00
    assert totals["base"] == "4134.59" and totals["total"] == "4517.91"
    for expected in [
        "PRESUPUESTO", sample.number, "02/03/2026", "01/04/2026",
        "Soluciones del Norte S.L.", "48001 Bilbao (Vizcaya)",
        "Ferretería Hermanos López S.L.", "NIF A58818501", "41001 Sevilla", "María López",
        "Licencia CRM anual", "1.234,50 €", "3.703,50 €", "12,345 €", "Dos sesiones de 4 horas",
        "3.826,13 €", "803,49 €", "5,2 %", "198,96 €", "Exento", "285,00 €",
        "Descuento 5 %", "Retención IRPF 15 %", "−620,19 €", "4.134,59 €", "4.517,91 €",
        "válido hasta el 01/04/2026", "Forma de pago: transferencia a 30 días.",
        "Página 1 de 1",
    ]:
        assert expected in text, expected


def test_pdf_renders_in_under_a_second(session, people, sample):
    """Measured in CPU time so a busy shared machine does not make it flaky; the first render
    of a process also pays WeasyPrint's import and font set-up (``quote_pdf.warm_up``)."""
    quotes.quote_pdf(session=session, actor=people.comercial1, quote_id=sample.id)  # warm up
    best = min(_cpu_time(lambda: quotes.quote_pdf(session=session, actor=people.comercial1,
                                                  quote_id=sample.id)) for _ in range(3))
    assert best < 1.0, f"{best:.2f} s"


def _cpu_time(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def test_long_quote_paginates_and_html_is_escaped(session, people, tmp_path):
    acc = build.account(session, people.comercial1, name="<b>Evil</b> & Co")
    lines = [{"description": f"Línea {i}", "quantity": "1", "unit_price": "10"}
             for i in range(70)]
    q = build.quote(session, people.comercial1, acc.id, lines=lines,
                    notes='Nota con "comillas" y </style>')
    _, pdf = quotes.quote_pdf(session=session, actor=people.comercial1, quote_id=q.id)
    text = pdftotext(pdf, tmp_path)
    assert "<b>Evil</b> & Co" in text
    pages = int(re.search(r"Página 1 de (\d+)", text).group(1))
    assert pages >= 2 and all(f"Página {n} de {pages}" in text for n in range(1, pages + 1))
    assert text.count("Descripción") >= 2  # the table header repeats on every page
    assert "Línea 69" in text and "847,00 €" in text  # 700 + 21 % IVA


def test_pdf_is_scoped(session, people, sample):
    from crm_app.services.errors import NotFound

    with pytest.raises(NotFound):
        quotes.quote_pdf(session=session, actor=people.comercial3, quote_id=sample.id)


def test_the_pdf_takes_the_issuer_from_ajustes_empresa(session, people, tmp_path):
    """Issue 12: legal and trade name, NIF, address, country, IBAN and payment terms from the
    company settings; its logo embedded; its brand colour on the headings."""
    from crm_app.services import organisation as org_service

    org_service.update_company(session=session, actor=people.admin, data={
        "legal_name": "Talleres Ebro, S.L.", "trade_name": "Ebro Motor", "nif": "B12345674",
        "address": "Calle del Coso, 42", "postal_code": "50001", "city": "Zaragoza",
        "province": "Zaragoza", "phone": "976123456", "email": "hola@ebromotor.es",
        "iban": "ES9121000418450200051332", "payment_terms_days": 60,
        "brand_color": "#b91c1c"})
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cf000000030101005d8d7a4c0000000049454e44ae426082")
    org_service.set_logo(session=session, actor=people.admin, content=png)
    acc = build.account(session, people.comercial1, name="Cliente Final S.A.")
    q = build.quote(session, people.comercial1, acc.id)
    _, pdf = quotes.quote_pdf(session=session, actor=people.comercial1, quote_id=q.id)
    text = pdftotext(pdf, tmp_path)
    for expected in ["Talleres Ebro, S.L.", "Ebro Motor", "NIF B12345674", "Calle del Coso, 42",
                     "50001 Zaragoza", "976 12 34 56", "hola@ebromotor.es",
                     "A 60 días por transferencia a la cuenta ES91 2100 0418 4502 0005 1332."]:
        assert expected in text, expected
    (tmp_path / "c.pdf").write_bytes(pdf)
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "c.pdf")],
                            capture_output=True, text=True, check=True, timeout=30).stdout
    assert len(images.strip().splitlines()) >= 3  # header, rule, the logo
    from crm_app.reports.quote_pdf import quote_context
    org = session.exec(select(Organisation)).one()
    assert quote_context(quote=q, lines=[], totals=quotes.quote_totals(
        session=session, actor=people.comercial1, quote_id=q.id), org=org,
        account=acc)["accent"] == "#b91c1c"
    org.brand_color = "red;}</style>"
    assert quote_context(quote=q, lines=[], totals=quotes.quote_totals(
        session=session, actor=people.comercial1, quote_id=q.id), org=org,
        account=acc)["accent"] == "#1d4ed8"
