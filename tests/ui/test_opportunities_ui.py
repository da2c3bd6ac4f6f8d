"""Opportunities in the browser, on a phone (390×844) and on a desktop (1440×900): the board
(every card of a column as wide as the column), the move dialog that asks for a stage's
required fields (kept clear of the screen's edges, its error under the field), the list (cards
on phones, the table on desktops; sort, a status filter and its chip), the record page, the
form's inline errors (a date typed dd/mm/aaaa) and a record that is not there.

The flow that creates an opportunity and moves it to won through a quote is
``test_sales_ui.py``; this file reads the demo data and saves nothing.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from uikit import PHONE, SALES_WALKS, signed_in

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page, size: dict) -> None:  # noqa: ANN001
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], page.url


def _pick(page, trigger: str, option: str) -> None:  # noqa: ANN001
    page.click(trigger)
    page.get_by_role("option", name=option, exact=True).click()


AMOUNT = re.compile(r"(\d[\d.]*,\d{2})[\s\u00a0]€")


def _euros(text: str) -> Decimal:
    return Decimal(text.replace(".", "").replace(",", "."))


CARD_WIDTHS = """() => [...document.querySelectorAll('[data-testid=kanban-column]')].map(col => {
    const style = getComputedStyle(col);
    const inner = col.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return {inner: Math.round(inner), cards: [...col.querySelectorAll('[data-testid=kanban-card]')]
        .map(c => Math.round(c.getBoundingClientRect().width))};
})"""


@pytest.mark.parametrize(("size", "user"), SALES_WALKS)
def test_board_move_dialog_list_record_and_form(live_app, browser, shot, size, user):
    phone = size is PHONE
    # --- the board: every card of a column takes the column's width ----------------------------
    ctx, page = signed_in(browser, live_app, user, size, path="/oportunidades")
    page.wait_for_selector("[data-testid=kanban-card]")
    columns = page.evaluate(CARD_WIDTHS)
    assert sum(len(c["cards"]) for c in columns) > 3, columns
    for col in columns:
        assert all(abs(w - col["inner"]) <= 1 for w in col["cards"]), columns
    _no_sideways_scroll(page, size)
    shot(page, "board")

    # --- "Mover a…" a stage that asks for the lost reason: the dialog -------------------------
    first = page.locator("[data-testid=kanban-column][data-kind=open] [data-testid=kanban-card]"
                         ).first
    card_id = first.get_attribute("id").removeprefix("card-")
    page.click(f"#move-{card_id}")
    page.get_by_role("menuitem", name="Perdida", exact=True).click()
    dialog = page.wait_for_selector("[data-testid=move-dialog]")
    page.wait_for_timeout(400)  # the opening animation
    box = dialog.bounding_box()
    assert box["x"] >= 8 and box["x"] + box["width"] <= size["width"] - 8, box
    page.click("#move-submit")  # nothing typed: the service's message under the field
    error = page.wait_for_selector("[data-testid=move-lost_reason-error]")
    assert "motivo de pérdida" in error.inner_text()
    shot(page, "move-dialog")
    page.click("#move-cancel")
    page.wait_for_selector("[data-testid=move-dialog]", state="detached")
    assert page.is_visible(f"[data-testid=kanban-column][data-kind=open] #card-{card_id}")

    # --- the list: cards on phones, the table on desktops; sort and filter ---------------------
    page.get_by_role("radio", name="Lista").click()
    page.wait_for_selector("[data-testid=opportunities-count]")
    assert re.match(r"^\d[\d.]* oportunidad(es)?$",
                    page.inner_text("[data-testid=opportunities-count]"))
    where, row = ("opportunities-cards", "opportunity-card") if phone else \
        ("opportunities-table", "opportunity-row")
    page.wait_for_selector(f"[data-testid={where}] [data-testid={row}]")
    assert not page.is_visible("[data-testid=opportunities-table]" if phone
                               else "[data-testid=opportunities-cards]")
    if phone:
        _pick(page, "#opportunities-sort-select", "Importe ↓")
        page.wait_for_function("document.querySelector('#opportunities-sort-select')"
                               ".innerText.includes('Importe ↓')")
    else:
        page.click("#opportunities-sort-amount")  # ascending first…
        page.wait_for_selector("th[aria-sort=ascending] #opportunities-sort-amount")
        page.click("#opportunities-sort-amount")  # …then descending
        page.wait_for_selector("th[aria-sort=descending] #opportunities-sort-amount")
    page.wait_for_timeout(300)
    texts = page.locator(f"[data-testid={where}] [data-testid={row}]").all_inner_texts()[:5]
    values = [_euros(m.group(1)) for m in (AMOUNT.search(x) for x in texts) if m]
    assert len(values) == len(texts) and values == sorted(values, reverse=True), texts
    page.click("#opportunities-filters-toggle")
    _pick(page, "#filter-status", "Ganada")
    page.wait_for_selector("[data-testid=chip-status] >> text=Estado: Ganada")
    _no_sideways_scroll(page, size)
    shot(page, "list")

    # --- the record page --------------------------------------------------------------------------
    page.locator(f"[data-testid={where}] [data-testid={row}] a").first.click()
    page.wait_for_url(re.compile(r".*/oportunidades/\d+$"))
    page.wait_for_selector("#opp-name")
    assert "Ganada" in page.inner_text("[data-testid=opp-stage]")
    for part in ("stage-path", "opp-data", "opp-quotes", "opp-history"):
        assert page.is_visible(f"[data-testid={part}]"), part
    _no_sideways_scroll(page, size)
    shot(page, "record")

    # --- the form: the service's errors under each field, a date typed dd/mm/aaaa -------------
    page.goto(live_app + "/oportunidades/nueva")
    page.wait_for_selector("#opportunity-form #name")
    assert page.get_attribute("#expected_close", "placeholder") == "dd/mm/aaaa"
    page.fill("#name", "Prueba de formulario")
    page.fill("#amount", "mil")
    page.fill("#expected_close", "31/02/2026")
    page.click("#opp-save")
    error = page.wait_for_selector("[data-testid=expected_close-error]")
    assert "dd/mm/aaaa" in error.inner_text()
    assert "número" in page.inner_text("[data-testid=amount-error]")
    assert page.url.rstrip("/").endswith("/oportunidades/nueva")  # nothing saved
    _no_sideways_scroll(page, size)
    shot(page, "form-error")

    # --- a record that is not there ---------------------------------------------------------------
    page.goto(live_app + "/oportunidades/99999999")
    assert "Oportunidad no encontrada." in page.wait_for_selector("#opp-not-found").inner_text()
    ctx.close()
