"""Ajustes → Exportar datos in the browser (issue 12). On a desktop (1440 px) the admin goes
from /ajustes to the screen, starts "Exportar todos los datos", the real Celery worker of the
app builds it while the screen follows its progress, and the ZIP downloads: every table as CSV
(BOM, ``;``) and XLSX, no password hash. On a phone (390 px) the finished export fits the
screen. A comercial cannot download it (403) nor open the screen."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from playwright.sync_api import expect
from uikit import DESKTOP, PHONE, no_sideways_scroll, signed_in

pytestmark = pytest.mark.browser

BUILD_TIMEOUT = 300_000  # the demo company, every table twice, on a loaded 2-core machine


def test_admin_exports_everything_and_downloads_the_zip(live_app, browser, shot, tmp_path):
    from sqlmodel import SQLModel

    import crm_app.models  # noqa: F401

    ctx, page = signed_in(browser, live_app, "admin@demo.crm", DESKTOP, path="/ajustes")
    try:
        page.click("#settings-export")
        page.wait_for_url(re.compile(r".*/ajustes/exportar$"))
        expect(page.get_by_test_id("export-card")).to_be_visible()
        page.click("#export-start")
        expect(page.get_by_test_id("export-state")).to_have_text(
            re.compile("En cola|Exportando…|Lista"))
        expect(page.locator("#export-start")).to_be_disabled()
        shot(page, "desktop-running")
        expect(page.locator("#export-download")).to_be_visible(timeout=BUILD_TIMEOUT)
        expect(page.get_by_test_id("export-state")).to_have_text("Lista")
        expect(page.get_by_test_id("export-finished")).to_contain_text("filas")
        expect(page.locator("#export-start")).to_be_enabled()
        shot(page, "desktop-done")
        with page.expect_download() as info:
            page.click("#export-download")
        download = info.value
        assert re.fullmatch(r"crm-exportacion-\d{8}-\d{4}\.zip", download.suggested_filename)
        path = tmp_path / "export.zip"
        download.save_as(path)
        href = "/api/v1/exports/" + download.url.rsplit("/api/v1/exports/", 1)[1]
    finally:
        ctx.close()
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        users = zf.read("csv/user.csv")
    for table in SQLModel.metadata.sorted_tables:
        assert {f"csv/{table.name}.csv", f"xlsx/{table.name}.xlsx"} <= names, table.name
    assert manifest["tables"]["lead"]["rows"] > 0
    assert users.startswith(b"\xef\xbb\xbf") and b";" in users.splitlines()[0]
    assert b"admin@demo.crm" in users and b"password_hash" not in users
    assert b"$argon2" not in users
    _phone(browser, live_app, shot)
    _comercial(browser, live_app, href)


def _phone(browser, live_app: str, shot) -> None:  # noqa: ANN001
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", PHONE, path="/ajustes/exportar")
    try:
        expect(page.locator("#export-download")).to_be_visible(timeout=30_000)
        no_sideways_scroll(page, PHONE)
        shot(page, "phone-done")
    finally:
        ctx.close()


def _comercial(browser, live_app: str, href: str) -> None:  # noqa: ANN001
    ctx, page = signed_in(browser, live_app, "comercial1@demo.crm", PHONE)
    try:
        assert page.request.get(live_app + href).status == 403
        page.goto(live_app + "/ajustes/exportar")
        page.wait_for_selector("#greeting")  # sent back to Inicio
        expect(page.get_by_test_id("export-card")).to_have_count(0)
    finally:
        ctx.close()


def test_the_zip_is_not_public(live_app, browser):
    """Without a session the download route answers 401 (never a static file)."""
    ctx = browser.new_context()
    try:
        r = ctx.request.get(live_app + "/api/v1/exports/" + "0" * 32 + "/download")
        assert r.status == 401
    finally:
        ctx.close()
