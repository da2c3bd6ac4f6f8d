"""The catalog screen's state, driven in-process like a browser tab would drive it."""

from __future__ import annotations

import sales_support as build
from state_harness import run, tab

from crm_app.i18n import t
from crm_app.services import products
from pages.catalog import CatalogState


def test_list_search_sort_and_tabs(session, people):
    build.product(session, people.admin, name="Hora de consultoría", sku="CONS-H",
                  unit_price="60")
    off = build.product(session, people.admin, name="Soporte anual", sku="SOP-A",
                        unit_price="1200")
    products.update_product(session=session, actor=people.admin, product_id=off.id,
                            data={"active": False})
    s = tab(CatalogState, people.comercial1)
    assert run(s.open_list()) == []
    assert (s.total, s.can_change, s.view, s.sort) == (1, False, "active", "name")
    assert s.rows[0]["price"] == "60,00\u00a0€"
    run(s.set_view("all"))
    assert s.total == 2
    run(s.set_view("deleted-or-anything"))  # not a tab: ignored
    assert s.view == "all"
    run(s.sort_by("unit_price"))
    assert [r["sku"] for r in s.rows] == ["CONS-H", "SOP-A"]
    run(s.sort_by("unit_price"))
    assert (s.sort, s.desc) == ("unit_price", True)
    assert [r["sku"] for r in s.rows] == ["SOP-A", "CONS-H"]
    run(s.sort_by("password_hash"))  # not a declared sort: ignored
    assert s.sort == "unit_price"
    run(s.search("soporte"))
    assert [r["sku"] for r in s.rows] == ["SOP-A"] and s.has_filters


def test_a_forged_save_from_a_comercial_is_refused(session, people):
    s = tab(CatalogState, people.comercial1)
    out = run(s.save({"name": "Hack", "sku": "H-1", "unit_price": "1", "tax_rate": "21"}))
    assert products.list_products(session=session, actor=people.admin, q="Hack").total == 0
    assert out and "toast" in str(out[-1]).lower() and t("common.denied") in str(out[-1])


def test_save_shows_the_services_field_errors_inline_then_saves(session, people):
    s = tab(CatalogState, people.manager1)
    run(s.open_list())
    s.new()
    run(s.save({"name": "", "sku": "X-1", "unit_price": "-3", "tax_rate": "21"}))
    assert s.errors == {"name": "El nombre es obligatorio.",
                        "unit_price": "El precio no puede ser menor que 0."}
    assert s.dialog_open and not s.saving
    run(s.save({"name": "Cable", "sku": "X-1", "unit_price": "3,50", "tax_rate": "21",
                "active": "on"}))
    assert s.errors == {} and not s.dialog_open and s.total == 1
    assert products.list_products(session=session, actor=people.admin, q="X-1").total == 1


def test_an_unexpected_error_becomes_a_spanish_toast_without_its_text(caplog):
    from crm_app.state import backend_error

    event = backend_error(RuntimeError("SELECT secret FROM users"))
    assert "Algo ha fallado" in str(event) and "secret" not in str(event)
    assert "SELECT secret" in caplog.text  # the traceback is in the log for whoever fixes it


def test_the_app_accepts_its_exception_handler():
    """Reflex checks the handler's signature only when the app compiles: check it here."""
    from crm_app.crm_app import app

    app._validate_exception_handlers()
