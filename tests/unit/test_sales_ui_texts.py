"""The sales screens take every text from the catalog: each ``sui.*`` key they use exists.

Keys used at page-compile time fail the build anyway; this also covers the ones only read
inside event handlers (toasts, dialog titles), which would otherwise fail in front of a user.
"""

from __future__ import annotations

import re

import pytest

from crm_app.i18n import catalog, t
from crm_app.settings import PROJECT_ROOT
from pages.sales_shared import REQUIRED_FIELD_KEYS, dec_text, path_id, to_id

SCREENS = ["pages/accounts.py", "pages/opportunities.py", "pages/quotes.py", "pages/catalog.py",
           "pages/pipelines_settings.py", "pages/sales_shared.py", "pages/settings.py",
           "components/sales_ui.py"]


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for rel in SCREENS:
        text = (PROJECT_ROOT / rel).read_text(encoding="utf-8")
        keys |= set(re.findall(r"""["'](sui\.[a-z0-9_.]+)["']""", text))
    return keys


def test_every_sales_ui_key_exists_in_spanish():
    used = _used_keys()
    assert len(used) > 150  # the scan really found the screens' texts
    missing = sorted(k for k in used if k not in catalog("es"))
    assert not missing, missing


@pytest.mark.parametrize("key", [*(f"sui.required.{k}" for k in REQUIRED_FIELD_KEYS),
                                 "sui.stage.kind.open", "sui.stage.kind.won",
                                 "sui.stage.kind.lost"])
def test_keys_built_at_runtime_exist(key):
    assert t(key)


def test_input_helpers_speak_spanish_numbers_and_parse_routes():
    from decimal import Decimal

    assert dec_text(Decimal("1234.5000")) == "1234,5"
    assert dec_text(Decimal("21.00")) == "21"
    assert dec_text(None) == ""
    assert path_id("/clientes/42/editar", "clientes") == 42
    assert path_id("/clientes/nuevo", "clientes") is None
    assert path_id("/presupuestos/7", "presupuestos") == 7
    assert to_id("_") is None and to_id("") is None and to_id("0") is None and to_id("5") == 5
