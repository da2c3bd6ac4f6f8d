"""Customers, opportunities and quotes as a sales rep uses them, on a phone and on a desktop.

One flow per screen size against the real app (``crm run``): create a customer (a wrong NIF is
refused inline first), an opportunity for it, move it on the kanban (drag and drop on the
desktop, "Mover a…" on the phone, where a stage with required fields asks for them), build a
quote with a catalog line and a free line while the totals update in es-ES format, open its
PDF through the authorised route, accept it, and find the opportunity in the won column. The
customer goes to the recycle bin at the end, so the demo data's counts stay as they were.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect
from stdnum.es import cif
from uikit import DESKTOP, PHONE, account_to_bin, signed_in

pytestmark = pytest.mark.browser


def _valid_cif() -> str:
    body = "B" + "".join(str(secrets.randbelow(10)) for _ in range(7))
    return body + cif.calc_check_digits(body)[0]


def _column(stage: str) -> str:
    return f'[data-testid=kanban-column][data-stage="{stage}"]'


def _no_sideways_scroll(page, width: int) -> None:  # noqa: ANN001
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _pick(page, trigger: str, option: str) -> None:  # noqa: ANN001
    page.click(trigger)
    page.get_by_role("option", name=option, exact=True).click()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_account_opportunity_quote_accept_and_kanban(live_app, browser, shot, size):
    phone = size == "phone"
    viewport = PHONE if phone else DESKTOP
    ctx, page = signed_in(browser, live_app,
                          "comercial1@demo.crm" if phone else "comercial2@demo.crm", viewport)
    tag = f"{size} {secrets.token_hex(3)}"
    account_name = f"Ferretería Prueba {tag} S.L."
    opp_name = f"Renovación equipos {tag}"

    # --- the customer: list, form with an inline NIF error, then the ficha ---------------------
    page.goto(live_app + "/clientes")
    page.wait_for_selector("[data-testid=accounts-count]")
    # Phones get one card per customer, desktops the table.
    row_kind = "account-card" if phone else "account-row"
    page.wait_for_selector(f"[data-testid={row_kind}]")
    assert not page.is_visible("[data-testid=accounts-table]") if phone else \
        not page.is_visible("[data-testid=accounts-cards]")
    assert re.match(r"^\d[\d.]* clientes$", page.inner_text("[data-testid=accounts-count]"))
    _no_sideways_scroll(page, viewport["width"])
    shot(page, "accounts")
    page.click("#account-new")
    page.wait_for_url(re.compile(r".*/clientes/nuevo$"))
    page.wait_for_selector("#account-form #name")
    page.fill("#name", account_name)
    page.fill("#nif", "B1234567X")
    page.fill("#postal_code", "28013")
    page.fill("#city", "Madrid")
    _pick(page, "#province", "Madrid")
    page.click("#account-save")
    error = page.wait_for_selector("[data-testid=nif-error]")
    assert "NIF" in error.inner_text() or "válido" in error.inner_text(), error.inner_text()
    assert "/clientes/nuevo" in page.url
    _no_sideways_scroll(page, viewport["width"])
    shot(page, "account-form-error")
    page.fill("#nif", _valid_cif())
    page.click("#account-save")
    page.wait_for_url(re.compile(r".*/clientes/\d+$"))
    account_id = page.url.rstrip("/").rsplit("/", 1)[1]
    page.wait_for_selector(f"#account-name:has-text('{account_name}')")
    for section in ("contacts", "opportunities", "quotes", "purchases", "timeline", "alerts",
                    "documents"):
        assert page.is_visible(f"[data-testid=account-{section}]"), section
    assert page.is_visible("[data-testid=purchases-empty]")
    assert page.is_visible("[data-testid=documents-empty]")
    page.wait_for_selector("[data-testid=timeline-item]")  # "Cliente dado de alta"
    _no_sideways_scroll(page, viewport["width"])
    shot(page, "account-file")

    # --- the opportunity, from the ficha ---------------------------------------------------------
    page.click("#account-new-opportunity")
    page.wait_for_url(re.compile(r".*/oportunidades/nueva\?cliente=\d+$"))
    page.wait_for_selector(f"#opp-account-name:has-text('{account_name}')")
    page.fill("#name", opp_name)
    page.fill("#amount", "1500")
    page.click("#opp-save")
    page.wait_for_url(re.compile(r".*/oportunidades/\d+$"))
    opp_id = page.url.rstrip("/").rsplit("/", 1)[1]
    page.wait_for_selector("[data-testid=history-item]")
    assert "En análisis" in page.inner_text("[data-testid=opp-stage]")

    # --- the kanban: drag and drop on the desktop, "Mover a…" on the phone ---------------------
    card = f"#card-{opp_id}"
    page.goto(live_app + "/oportunidades")
    page.wait_for_selector("[data-testid=kanban-column]")
    page.fill("#kanban-search", opp_name)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=kanban-card]').length === 1")
    page.wait_for_selector(f"{_column('En análisis')} {card}")
    count = page.inner_text(f"{_column('En análisis')} [data-testid=column-count]")
    assert count == "1", count
    assert page.inner_text(f"{_column('En análisis')} [data-testid=column-amount]") \
        == "1.500,00\u00a0€"
    if phone:
        # A stage with required fields (Perdida → motivo) asks for them; cancelling keeps it.
        page.click(f"#move-{opp_id}")
        page.get_by_role("menuitem", name="Perdida", exact=True).click()
        dialog = page.wait_for_selector("[data-testid=move-dialog]")
        assert "Motivo de pérdida" in dialog.inner_text()
        page.wait_for_timeout(400)  # let the dialog finish its opening animation
        shot(page, "move-dialog")
        page.click("#move-cancel")
        page.wait_for_selector("[data-testid=move-dialog]", state="detached")
        assert page.is_visible(f"{_column('En análisis')} {card}")
        page.click(f"#move-{opp_id}")
        page.get_by_role("menuitem", name="Oferta presentada", exact=True).click()
    else:
        page.drag_and_drop(card, _column("Oferta presentada"))
    page.wait_for_selector(f"{_column('Oferta presentada')} {card}")
    assert page.query_selector(f"{_column('En análisis')} {card}") is None
    _no_sideways_scroll(page, viewport["width"])
    shot(page, "kanban-moved")

    # --- the quote: catalog line + free line, live es-ES totals ---------------------------------
    page.goto(f"{live_app}/oportunidades/{opp_id}")
    page.wait_for_selector("[data-testid=history-item] >> text=Oferta presentada")
    page.click("#opp-new-quote")
    page.wait_for_url(re.compile(rf".*/presupuestos/nuevo\?oportunidad={opp_id}$"))
    page.wait_for_selector("[data-testid=quote-lines]")
    assert account_name in page.inner_text("[data-testid=quote-customer]")
    page.fill("#irpf", "0")
    page.fill("#product-search", "Monitor")
    page.click("[data-testid=product-option] >> text=Monitor")
    page.wait_for_selector("#line-0-quantity")
    assert page.input_value("#line-0-description").startswith("Monitor")
    page.fill("#line-0-quantity", "3")
    page.wait_for_function(
        "document.querySelector('[data-testid=total]').innerText === '1.012,77\u00a0€'")
    page.click("#add-free-line")
    page.fill("#line-1-description", "Instalación en oficina")
    page.fill("#line-1-unit_price", "250,50")
    page.wait_for_function(
        "document.querySelector('[data-testid=total]').innerText === '1.315,88\u00a0€'")
    assert page.inner_text("[data-testid=total-base]") == "1.087,50\u00a0€"
    assert page.inner_text("[data-testid=total-tax]") == "228,38\u00a0€"
    assert page.inner_text("[data-testid=quote-line]:nth-child(1) [data-testid=line-base]") \
        == "837,00\u00a0€"
    _no_sideways_scroll(page, viewport["width"])
    shot(page, "quote-editor")
    page.click("#quote-save")
    page.wait_for_url(re.compile(r".*/presupuestos/\d+$"))
    page.wait_for_selector("#quote-pdf")
    assert re.match(r"P-\d{4}-\d{4} v1", page.inner_text("#quote-number"))
    assert page.inner_text("[data-testid=total]") == "1.315,88\u00a0€"

    # --- its PDF, through the authorised API route with the session cookie ----------------------
    href = page.get_attribute("#quote-pdf", "href")
    assert href and re.match(r"^/api/v1/quotes/\d+/pdf$", href), href
    assert page.get_attribute("#quote-pdf", "target") == "_blank"
    pdf = page.request.get(live_app + href)
    assert pdf.status == 200
    assert pdf.headers["content-type"].startswith("application/pdf")
    body = pdf.body()
    assert body.startswith(b"%PDF") and len(body) > 1000
    anonymous = browser.new_context().request.get(live_app + href)
    assert anonymous.status in (401, 403)

    # --- accept it: the opportunity is won ------------------------------------------------------
    page.click("#quote-accept")
    page.wait_for_selector("[data-testid=quote-accept-dialog]")
    page.click("#quote-accept-confirm")
    page.wait_for_selector("[data-testid=quote-status] >> text=Aceptado")
    assert not page.is_visible("#quote-accept")
    shot(page, "quote-accepted")
    page.goto(live_app + "/oportunidades")
    page.wait_for_selector("[data-testid=kanban-column]")
    page.fill("#kanban-search", opp_name)
    page.wait_for_selector(f"{_column('Ganada')} {card}")
    assert page.inner_text(f"{_column('Ganada')} {card}").count("1.087,50") == 1
    if phone:  # one column at a time: the stage chips bring "Ganada" into view
        page.locator("[data-testid=stage-chip]", has_text="Ganada").click()
        expect(page.locator(card)).to_be_in_viewport(ratio=0.9)
        page.wait_for_timeout(500)  # the smooth scroll settles before the screenshot
    _no_sideways_scroll(page, viewport["width"])
    shot(page, "kanban-won")

    # --- the ficha shows the purchase; then the customer goes to the recycle bin ----------------
    page.goto(f"{live_app}/clientes/{account_id}")
    page.wait_for_selector("[data-testid=purchase-total]")
    assert page.inner_text("[data-testid=purchase-total]") == "1.087,50\u00a0€"
    page.wait_for_selector("[data-testid=timeline-item] >> text=Presupuesto aceptado")
    shot(page, "account-file-after")
    account_to_bin(page, tag)
    page.wait_for_selector(f"[data-testid={row_kind}] >> text={account_name}")
    assert page.is_visible(f"#restore-card-{account_id}" if phone else f"#restore-{account_id}")
    shot(page, "bin")
    ctx.close()
