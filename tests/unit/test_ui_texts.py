"""Every screen takes its texts from the catalog: each key a page or component names exists.

Keys used at page-compile time fail the build anyway; this also covers the ones only read
inside event handlers (toasts, dialog titles), which would otherwise fail in front of a user.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from crm_app.formatting import dec_text, pct_text
from crm_app.i18n import catalog, t
from crm_app.settings import PROJECT_ROOT

UI_CODE = ["pages", "components", "crm_app/state.py", "crm_app/list_state.py"]
# t("key") / t('key', ...) with a literal key
KEY = re.compile(r"""\bt\(\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']""")


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for rel in UI_CODE:
        path = PROJECT_ROOT / rel
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            keys |= set(KEY.findall(file.read_text(encoding="utf-8")))
    return keys


def test_every_ui_key_exists_in_spanish():
    used = _used_keys()
    assert len(used) > 400  # the scan really found the screens' texts
    missing = sorted(k for k in used if k not in catalog("es"))
    assert not missing, missing


@pytest.mark.parametrize("key", ["sui.stage.kind.open", "sui.stage.kind.won",
                                 "sui.stage.kind.lost", "common.check_fields",
                                 "common.date_placeholder"])
def test_keys_built_at_runtime_exist(key):
    assert t(key)


def test_input_helpers_speak_spanish_numbers():
    assert dec_text(Decimal("1234.5000")) == "1234,5"
    assert dec_text(Decimal("21.00")) == "21"
    assert dec_text(None) == ""
    assert pct_text(Decimal("5.20")) == "5,2\u00a0%"
