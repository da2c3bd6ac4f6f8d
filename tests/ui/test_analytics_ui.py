"""Dashboards and reports as users see them: Inicio for a comercial and for the director
(different, correct totals, checked against plain SQL on the app's own database), and the
report matrix on a phone (a cut, a chart, a click on a bar, the opportunities behind it, CSV).
"""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from uikit import DESKTOP, PHONE, signed_in

pytestmark = pytest.mark.browser

MADRID = ZoneInfo("Europe/Madrid")


# ---------------------------------------------------------------- expected figures (plain SQL)


def _db(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{data_dir / 'crm.db'}?mode=ro", uri=True)


def _user_id(con: sqlite3.Connection, email: str) -> int:
    return con.execute('SELECT id FROM "user" WHERE email = ?', (email,)).fetchone()[0]


def _open_pipeline(data_dir: Path, owner_email: str | None,
                   team_of: str | None = None) -> Decimal:
    """Σ amount of the opportunities in an open stage: the owner's own, the team of
    ``team_of`` (a manager), or the company's."""
    with _db(data_dir) as con:
        sql = ("SELECT o.amount FROM opportunity o JOIN stage s ON s.id = o.stage_id "
               "WHERE s.kind = 'open' AND o.deleted_at IS NULL")
        params: tuple = ()
        if owner_email:
            sql += " AND o.owner_id = ?"
            params = (_user_id(con, owner_email),)
        if team_of:
            sql += ' AND o.team_id = (SELECT team_id FROM "user" WHERE email = ?)'
            params = (team_of,)
        return sum((Decimal(str(r[0])) for r in con.execute(sql, params)), Decimal("0"))


def _fiscal_year(con: sqlite3.Connection, today: date) -> tuple[date, date]:
    start_month = con.execute("SELECT fiscal_year_start_month FROM organisation "
                              "ORDER BY id LIMIT 1").fetchone()[0] or 1
    year = today.year if today.month >= start_month else today.year - 1
    start = date(year, start_month, 1)
    end = date(year + 1, start_month, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def _local_day(stored: str) -> date:
    return datetime.fromisoformat(stored).replace(tzinfo=UTC).astimezone(MADRID).date()


def _won_this_fiscal_year(data_dir: Path, owner_email: str | None,
                          product: str | None = None) -> tuple[Decimal, int]:
    """Σ amount and count of the opportunities won (closed in a won stage) in this fiscal
    year, by their Madrid closing day."""
    with _db(data_dir) as con:
        start, end = _fiscal_year(con, datetime.now(MADRID).date())
        sql = ("SELECT o.amount, o.closed_at FROM opportunity o JOIN stage s ON s.id = o.stage_id"
               " LEFT JOIN product p ON p.id = o.product_id "
               "WHERE s.kind = 'won' AND o.deleted_at IS NULL AND o.closed_at IS NOT NULL")
        params: list = []
        if owner_email:
            sql += " AND o.owner_id = ?"
            params.append(_user_id(con, owner_email))
        if product:
            sql += " AND p.name = ?"
            params.append(product)
        rows = [(Decimal(str(a)), _local_day(c)) for a, c in con.execute(sql, params)]
    won = [a for a, day in rows if start <= day <= end]
    return sum(won, Decimal("0")), len(won)


def _eur(value: Decimal) -> str:
    """es-ES money, written independently of the app: ``1.234,56 €``."""
    text = f"{value.quantize(Decimal('0.01')):,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") + "\u00a0€"


def _card_value(page, card: str, expected: str, timeout: float = 30) -> str:  # noqa: ANN001
    """The value of a KPI card once it shows ``expected`` (or the last text seen)."""
    selector = f"[data-testid={card}] [data-testid=kpi-value]"
    page.wait_for_selector(selector)
    deadline = time.monotonic() + timeout
    text = page.inner_text(selector)
    while text != expected and time.monotonic() < deadline:
        time.sleep(0.3)
        text = page.inner_text(selector)
    return text


def _no_sideways_scroll(page) -> None:  # noqa: ANN001
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _click_first_bar(page, chart: str) -> None:  # noqa: ANN001
    """Click the first bar of a plotly chart like a finger would."""
    bar = page.wait_for_selector(f"#{chart}-plot .trace.bars .point path")
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


# ---------------------------------------------------------------- Inicio


def test_inicio_shows_each_role_its_own_correct_totals(live_app, live_app_data_dir, browser,
                                                        shot):
    own = _open_pipeline(live_app_data_dir, "comercial1@demo.crm")
    company = _open_pipeline(live_app_data_dir, None)
    own_won, _ = _won_this_fiscal_year(live_app_data_dir, "comercial1@demo.crm")
    company_won, _ = _won_this_fiscal_year(live_app_data_dir, None)
    assert own < company and own_won < company_won  # the demo data makes them differ

    seen = {}
    for email, pipeline, won, viewport in (
            ("comercial1@demo.crm", own, own_won, PHONE),
            ("director@demo.crm", company, company_won, DESKTOP)):
        ctx, page = signed_in(browser, live_app, email, viewport)
        page.wait_for_selector("[data-testid=kpi-open-leads]")
        shown = _card_value(page, "kpi-pipeline-amount", _eur(pipeline))
        assert shown == _eur(pipeline), (email, shown)
        assert page.inner_text("#snapshot-at").startswith("Datos de")
        # Every card says how it moved against the previous period.
        change = page.inner_text("[data-testid=kpi-won-amount]")
        assert re.search(r"[▲▼=]|sin comparación", change), change
        # The fiscal year: won amount equals the SQL sum of this fiscal year's won deals.
        page.click("#period-fiscal_year")
        shown_won = _card_value(page, "kpi-won-amount", _eur(won))
        assert shown_won == _eur(won), (email, shown_won)
        assert page.inner_text("#period-label").startswith("ejercicio")
        page.wait_for_selector("#chart-pipeline-plot .trace.bars")
        page.wait_for_selector("#chart-months-plot .trace.bars")
        page.wait_for_selector("#chart-funnel-plot .trace")
        seen[email] = (shown, shown_won)
        if email.startswith("director"):
            # The director sees each team side by side, and may refresh the data.
            table = page.wait_for_selector("[data-testid=compare-table]")
            assert "Equipo Norte" in table.inner_text() and "Equipo Sur" in table.inner_text()
            assert page.is_visible("#refresh-data")
            # A bar of the pipeline chart lists the opportunities behind it.
            _click_first_bar(page, "chart-pipeline")
            page.wait_for_selector("[data-testid=drill-dialog]")
            page.wait_for_function(
                "/^[1-9][\\d.]* oportunidades$/.test("
                "document.querySelector('[data-testid=drill-count]').innerText)")
            assert "abiertas" in page.inner_text("[data-testid=drill-dialog]")
            shot(page, "director-drill")
            page.click("#drill-close")
        else:
            # A comercial sees no team table and cannot rebuild the snapshot.
            assert page.query_selector("[data-testid=compare-table]") is None
            assert not page.is_visible("#refresh-data")
            _no_sideways_scroll(page)
        shot(page, "comercial-phone" if email.startswith("comercial") else "director-desktop")
        ctx.close()
    assert seen["comercial1@demo.crm"] != seen["director@demo.crm"]


def test_inicio_for_a_manager_shows_the_team_and_each_comercial(live_app, live_app_data_dir,
                                                                browser, shot):
    team = _open_pipeline(live_app_data_dir, None, team_of="manager1@demo.crm")
    assert Decimal("0") < team < _open_pipeline(live_app_data_dir, None)
    with _db(live_app_data_dir) as con:
        members = [r[0] for r in con.execute(
            'SELECT name FROM "user" WHERE active AND role = \'comercial\' AND team_id = '
            '(SELECT team_id FROM "user" WHERE email = ?)', ("manager1@demo.crm",))]
    ctx, page = signed_in(browser, live_app, "manager1@demo.crm", DESKTOP)
    shown = _card_value(page, "kpi-pipeline-amount", _eur(team))
    assert shown == _eur(team)
    assert page.inner_text("#scope-label").startswith("Equipo")
    table = page.wait_for_selector("[data-testid=compare-table]").inner_text()
    assert members and all(name in table for name in members), (members, table)
    # "Actualizar datos" rebuilds the snapshot in the background, with a progress bar.
    page.click("#refresh-data")
    page.wait_for_selector("text=Datos actualizados.", timeout=60_000)
    assert _card_value(page, "kpi-pipeline-amount", _eur(team)) == _eur(team)
    shot(page, "manager")
    ctx.close()


# ---------------------------------------------------------------- Informes


def test_informes_on_a_phone_cut_chart_drill_and_export(live_app, live_app_data_dir, browser,
                                                        shot):
    ctx, page = signed_in(browser, live_app, "comercial1@demo.crm", PHONE,
                          path="/informes", accept_downloads=True)
    page.wait_for_selector("[data-testid=report-controls]")
    page.wait_for_selector("#chart-matrix-plot .trace.bars")
    # A comercial cannot cut by team (own scope only).
    page.click("#cut-select")
    assert page.query_selector("#cut-team") is None
    page.click("#cut-product")
    page.wait_for_function(
        "document.querySelector('[data-testid=matrix-table]').innerText.includes('Producto')")
    page.wait_for_selector("#chart-matrix-plot .trace.bars .point path")
    _no_sideways_scroll(page)
    shot(page, "matrix")

    # The first bar: the comercial's best product by won amount this fiscal year. The
    # dialog's title names it ("Oportunidades · ganadas · <producto> · ejercicio 2026").
    _click_first_bar(page, "chart-matrix")
    page.wait_for_selector("[data-testid=drill-dialog]")
    title = page.inner_text("#drill-title")
    parts = title.split(" · ")
    assert parts[:2] == ["Oportunidades", "ganadas"] and parts[-1].startswith("ejercicio"), title
    product = " · ".join(parts[2:-1])
    amount, count = _won_this_fiscal_year(live_app_data_dir, "comercial1@demo.crm", product)
    assert count > 0
    page.wait_for_function(
        "(n) => document.querySelector('[data-testid=drill-count]').innerText === n",
        arg="1 oportunidad" if count == 1 else f"{count} oportunidades")
    rows = page.query_selector_all("[data-testid=drill-table] tbody tr")
    assert len(rows) == min(count, 20)
    shown = sum(Decimal(r.query_selector_all("td")[4].inner_text().replace("\u00a0€", "")
                        .replace(".", "").replace(",", ".")) for r in rows)
    if count <= 20:
        assert shown == amount
    shot(page, "drill")
    page.click("#drill-close")
    page.wait_for_selector("[data-testid=drill-dialog]", state="detached")

    # Export the matrix as CSV: the product's row with its won amount, Spanish decimals.
    with page.expect_download() as info:
        page.click("#matrix-export-csv")
    download = info.value
    # a Spanish file name (it was "informe-product-…")
    assert re.fullmatch(r"informe-producto-\d{8}-\d{8}\.csv", download.suggested_filename)
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("Producto;Importe ganado")
    first = next(line for line in lines if line.startswith(product.replace('"', '""'))
                 or line.startswith(f'"{product}'))
    assert f"{amount:.2f}".replace(".", ",") in first

    # The monthly PDF of the chosen month, rendered on the server for the user's scope.
    with page.expect_download(timeout=60_000) as info:
        page.click("#pdf-download")
    pdf = info.value
    assert pdf.suggested_filename.startswith("informe-") and pdf.suggested_filename.endswith(
        ".pdf")
    assert Path(pdf.path()).read_bytes()[:5] == b"%PDF-"

    # The year-over-year view of the same cut.
    page.click("#view-yoy")
    page.wait_for_function(
        "document.querySelector('[data-testid=evolution-table]').innerText"
        ".includes('año anterior')")
    _no_sideways_scroll(page)
    shot(page, "yoy")
    ctx.close()


def test_admin_schedules_a_delivery_on_informes(live_app, live_app_data_dir, browser, shot):
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", DESKTOP, path="/informes")
    card = page.wait_for_selector("[data-testid=schedules-card]")
    assert "Envíos programados" in card.inner_text()
    page.click("#schedule-add")  # nobody chosen: the service's Spanish error
    page.wait_for_selector("#schedule-error")
    assert "rol o un usuario" in page.inner_text("#schedule-error")
    page.click("#schedule-role-director")
    page.click("#schedule-add")
    page.wait_for_selector("text=Envío guardado.")
    page.wait_for_selector("[data-testid=schedules-card] td >> text=Dirección")
    with _db(live_app_data_dir) as con:
        rows = con.execute("SELECT frequency, roles, active FROM report_schedule").fetchall()
    assert rows == [("monthly", '["director"]', 1)]
    page.wait_for_selector("#chart-matrix-plot .trace.bars")
    # Every channel is in the matrix (the demo has seven); the monthly evolution shows the
    # first five, "Otros" with the rest and each month's total, so nothing is dropped.
    page.wait_for_function(
        "document.querySelector('[data-testid=evolution-table]').innerText.includes('Otros')")
    assert "Llamada en frío" in page.inner_text("[data-testid=matrix-table]")
    heads = page.inner_text("[data-testid=evolution-table] thead")
    assert heads.strip().endswith("Total"), heads
    shot(page, "schedules")
    page.click("[data-testid=schedules-card] [aria-label='Eliminar envío']")
    page.click("[role=alertdialog] button:has-text('Eliminar')")
    page.wait_for_selector("text=Envío eliminado.")
    with _db(live_app_data_dir) as con:
        assert con.execute("SELECT count(*) FROM report_schedule").fetchone()[0] == 0
    ctx.close()


def test_inicio_on_a_phone_fits_and_links_tu_dia(live_app, live_app_data_dir, browser, shot):
    """At 390 px: "Tu día" comes first and each card opens the list filtered to what it
    counts; six-figure amounts fit their KPI card; the drill-down dialog keeps a margin from
    the screen's edges; the favicon is served."""
    ctx, page = signed_in(browser, live_app, "director@demo.crm", PHONE)
    assert page.request.get(live_app + "/favicon.ico").status == 200
    company = _open_pipeline(live_app_data_dir, None)
    assert company >= 100_000  # a six-figure amount, "113.816,65 €" at least
    assert _card_value(page, "kpi-pipeline-amount", _eur(company)) == _eur(company)
    today = page.wait_for_selector("[data-testid=today]").bounding_box()
    cards = page.wait_for_selector("[data-testid=kpi-pipeline-amount]").bounding_box()
    assert today and cards and today["y"] < cards["y"]
    links = {c: page.get_attribute(f"a:has([data-testid={c}])", "href")
             for c in ("kpi-open-leads", "kpi-tasks-due", "kpi-tasks-overdue",
                       "kpi-open-quotes")}
    assert links == {"kpi-open-leads": "/leads?estado=abiertos",
                     "kpi-tasks-due": "/tareas?vence=hoy",
                     "kpi-tasks-overdue": "/tareas?vence=vencidas",
                     "kpi-open-quotes": "/presupuestos?estado=abiertos"}
    clipped = page.evaluate(
        "[...document.querySelectorAll('[data-testid=kpi-value]')].filter(e => "
        "e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > "
        "e.closest('.rt-Card').getBoundingClientRect().right).map(e => e.innerText)")
    assert clipped == []
    _no_sideways_scroll(page)
    shot(page, "inicio")
    _click_first_bar(page, "chart-pipeline")
    dialog = page.wait_for_selector("[data-testid=drill-dialog]")
    page.wait_for_function(
        "/^[1-9][\\d.]* oportunidades$/.test("
        "document.querySelector('[data-testid=drill-count]').innerText)")
    box = dialog.bounding_box()
    assert box and box["x"] >= 8 and box["x"] + box["width"] <= PHONE["width"] - 8, box
    shot(page, "drill")
    ctx.close()
