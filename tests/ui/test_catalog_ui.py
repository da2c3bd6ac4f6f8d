"""The catalog's product image, on a desktop: an admin edits a product, picks a PNG in its
dialog, saves, and the list shows the thumbnail served by the authorised image route (the file
itself lives in the data directory, not in Reflex's public upload folder)."""

from __future__ import annotations

import struct
import zlib

import pytest
from playwright.sync_api import expect
from uikit import DESKTOP, signed_in

pytestmark = pytest.mark.browser


def _png(width: int = 4, height: int = 4) -> bytes:
    """A valid RGB PNG of one colour, built with zlib and struct."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\x1e\x90\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_product_image_upload_and_thumbnail(live_app, live_app_data_dir, browser, shot):
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", DESKTOP, path="/productos")
    page.wait_for_selector("[data-testid=product-row]")

    edit = page.locator("[data-testid=product-row] button[id^=product-edit-]").first
    product_id = edit.get_attribute("id").rsplit("-", 1)[1]
    edit.click()
    dialog = page.locator("[data-testid=product-dialog]")
    expect(dialog.locator("#product-name")).to_be_visible()

    png = _png()
    page.set_input_files("[data-testid=product-image-dropzone] input[type=file]",
                         files=[{"name": "muestra.png", "mimeType": "image/png",
                                 "buffer": png}])
    expect(dialog.locator("[data-testid=product-thumb]")).to_be_visible(timeout=15_000)
    expect(dialog.locator("#product-image-choose")).to_have_text("Cambiar imagen")
    shot(page, "dialog")
    page.click("#product-save")
    expect(dialog).to_be_hidden(timeout=15_000)

    row = page.locator(f"[data-testid=product-row]:has(#product-edit-{product_id})")
    thumb = row.locator("[data-testid=product-thumb]")
    expect(thumb).to_be_visible(timeout=15_000)
    page.wait_for_function("img => img.complete && img.naturalWidth === 4",
                           arg=thumb.element_handle(), timeout=15_000)
    src = thumb.get_attribute("src")
    assert src.startswith(f"/api/v1/products/{product_id}/image"), src
    answer = page.request.get(live_app + src)
    assert answer.status == 200, answer.status
    assert answer.headers["content-type"] == "image/png"
    assert answer.body() == png
    shot(page, "list")

    # Stored in the data directory; the public upload folder has no copy of it.
    assert (live_app_data_dir / "catalog" / f"product-{product_id}.png").read_bytes() == png
    public = [p for p in live_app_data_dir.rglob("*") if p.is_file()
              and "upload" in str(p.relative_to(live_app_data_dir)).lower()
              and p.read_bytes() == png]
    assert public == [], public
    # Without a session the image route answers 401.
    anonymous = browser.new_context()
    assert anonymous.request.get(live_app + src).status == 401
    anonymous.close()
    ctx.close()
