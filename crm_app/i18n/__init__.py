"""The message catalog: every UI text by key, Spanish first, so English can follow.

Each module in this package holds one area's strings as ``ES = {key: text}`` (and optionally
``EN``); they are merged here. ``t("nav.leads")`` returns the text for the active locale,
falling back to Spanish. Keys are namespaced by area to keep modules from colliding.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

DEFAULT_LOCALE = "es"
_CATALOG: dict[str, dict[str, str]] = {"es": {}, "en": {}}


def _load() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for locale in ("es", "en"):
            part: dict[str, str] = getattr(module, locale.upper(), {})
            clash = set(part) & set(_CATALOG[locale])
            if clash:
                raise RuntimeError(f"duplicate message keys in {info.name}: {sorted(clash)}")
            _CATALOG[locale].update(part)


def t(key: str, locale: str = DEFAULT_LOCALE, **params: Any) -> str:
    """The text for ``key``; a missing key raises so it is caught by tests, not by users."""
    text = _CATALOG.get(locale, {}).get(key) or _CATALOG[DEFAULT_LOCALE][key]
    return text.format(**params) if params else text


def catalog(locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    return dict(_CATALOG.get(locale) or _CATALOG[DEFAULT_LOCALE])


_load()
