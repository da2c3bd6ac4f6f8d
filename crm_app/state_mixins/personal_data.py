"""The "Datos personales (RGPD)" card of a person's page (a lead, a contact): the legal basis
and the consent per purpose as form values, and the payload the service validates.

``class XState(PersonalDataMixin, ...)`` calls ``_pd_show(record_dict)`` when it shows the
record and sends ``_pd_payload()`` to its own service's update (``update_lead`` /
``update_contact``: the same validation as the API and the import); the field errors come
back in ``pd_errors`` under the service's keys (``legal_basis``, ``consent.comercial.at``…).
A consent date is shown dd/mm/aaaa in Madrid time and sent back only when it was changed, so
saving the card never rounds a stored time to midnight.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import reflex as rx

from crm_app.formatting import date_es
from crm_app.i18n import t
from crm_app.services.personal_data import LEGAL_BASES, METHODS
from crm_app.state import setter

NONE = "__none"  # Radix selects refuse "" (components.forms.NONE)
_PURPOSES = {"com": "comercial", "news": "newsletter"}


def _options(prefix: str, values: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"value": NONE, "label": t(f"{prefix}.")},
            *({"value": v, "label": t(f"{prefix}.{v}")} for v in values)]


BASIS_OPTIONS = _options("pd.basis", LEGAL_BASES)
METHOD_OPTIONS = _options("pd.method", METHODS)


def _when(value: Any) -> str:
    if not value:
        return ""
    try:
        return date_es(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return ""


class PersonalDataMixin(rx.State, mixin=True):
    pd_basis: str = NONE
    pd_com_given: bool = False
    pd_com_at: str = ""
    pd_com_method: str = NONE
    pd_com_text: str = ""
    pd_news_given: bool = False
    pd_news_at: str = ""
    pd_news_method: str = NONE
    pd_news_text: str = ""
    pd_errors: dict[str, str] = {}
    pd_anonymised: str = ""  # "Anonimizado el 27/11/2026", or "" while the person is not
    pd_saving: bool = False

    _pd_shown_at: dict[str, str] = {}

    set_pd_basis = setter("pd_basis")
    set_pd_com_given = setter("pd_com_given")
    set_pd_com_at = setter("pd_com_at", limit=40)
    set_pd_com_method = setter("pd_com_method")
    set_pd_com_text = setter("pd_com_text", limit=300)
    set_pd_news_given = setter("pd_news_given")
    set_pd_news_at = setter("pd_news_at", limit=40)
    set_pd_news_method = setter("pd_news_method")
    set_pd_news_text = setter("pd_news_text", limit=300)

    def _pd_show(self, data: dict[str, Any]) -> None:
        """Fill the card from a lead/contact as its service answers it."""
        self.pd_errors = {}
        self.pd_basis = data.get("legal_basis") or NONE
        consent = data.get("consent") or {}
        shown: dict[str, str] = {}
        for short, purpose in _PURPOSES.items():
            entry = consent.get(purpose) or {}
            setattr(self, f"pd_{short}_given", bool(entry.get("given")))
            shown[short] = _when(entry.get("at"))
            setattr(self, f"pd_{short}_at", shown[short])
            setattr(self, f"pd_{short}_method", entry.get("method") or NONE)
            setattr(self, f"pd_{short}_text", entry.get("text") or "")
        self._pd_shown_at = shown
        when = data.get("anonymised_at")
        self.pd_anonymised = (t("pd.anonymised.badge", date=_when(when if isinstance(when, str)
                                                                    else when.isoformat()))
                              if when else "")

    def _pd_payload(self) -> dict[str, Any]:
        """``{"legal_basis", "consent"}`` for the service; a date only when it was edited."""
        consent: dict[str, dict[str, Any]] = {}
        for short, purpose in _PURPOSES.items():
            method = getattr(self, f"pd_{short}_method")
            entry: dict[str, Any] = {"given": getattr(self, f"pd_{short}_given"),
                                     "method": "" if method == NONE else method,
                                     "text": getattr(self, f"pd_{short}_text")}
            at = getattr(self, f"pd_{short}_at").strip()
            if at != self._pd_shown_at.get(short, ""):
                entry["at"] = at or None
            consent[purpose] = entry
        return {"legal_basis": "" if self.pd_basis == NONE else self.pd_basis,
                "consent": consent}


__all__ = ["BASIS_OPTIONS", "METHOD_OPTIONS", "NONE", "PersonalDataMixin"]
