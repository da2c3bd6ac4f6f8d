"""What the customer screens show, as strings: a customer as a list row, the choices of the
form's and the filters' selects, and the parts of the customer file (360°).

Pure functions of what one service call returned (no session): the states call them, so the
browser only ever receives display strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_app.formatting import ago, date_es, datetime_es, money, number, phone_es
from crm_app.i18n import t
from crm_app.services.defaults import CHANNELS, SECTORS, SIZE_BANDS
from crm_app.services.lead_options import provinces

if TYPE_CHECKING:  # rows are built from what a service returned; no data access here
    from crm_app.models import Account, User

# Text inputs of the form, in the order they appear (the first one in error is shown).
TEXT_FIELDS = ("name", "trade_name", "nif", "country", "address", "postal_code", "city",
               "email", "phone", "website", "notes")
SELECT_FIELDS = ("province", "sector", "size_band", "channel")
FIELD_ORDER = ("name", "trade_name", "nif", "country", "address", "postal_code", "city",
               "province", "email", "phone", "website", "sector", "size_band", "channel",
               "owner_id", "notes")
_TIMELINE_ICONS = {"lead": "user-plus", "audit": "pencil", "activity": "list-checks",
                   "email": "mail", "stage": "kanban", "document": "file",
                   "automation": "workflow"}


def option(value: Any, label: str) -> dict[str, str]:
    return {"value": str(value), "label": label}


def people(users: list[User]) -> list[dict[str, str]]:
    """Users as select options (value: id, label: name)."""
    return [option(u.id, u.name) for u in users]


def province_choices() -> list[tuple[str, str]]:
    return [(p, p) for p in provinces()]


def sector_choices() -> list[tuple[str, str]]:
    return [(s, s) for s in SECTORS]


def size_band_label(band: str) -> str:
    return t("sui.size_band", band=band) if band else ""


def size_band_choices() -> list[tuple[str, str]]:
    return [(b, size_band_label(b)) for b in SIZE_BANDS]


def channel_choices(current: str = "") -> list[dict[str, str]]:
    """The suggested channels, plus ``current`` when a record holds another one (an import's
    own wording): a select must offer the value it shows, or saving would drop it."""
    extra = [current] if current and current not in CHANNELS else []
    return [option(c, c) for c in (*CHANNELS, *extra)]


def plural(n: int, one: str, many: str) -> str:
    return t(one) if n == 1 else t(many)


# --- the list ---------------------------------------------------------------------------------


def account_row(a: Account, owner: str) -> dict[str, str]:
    """One customer as a row of the list (and a phone card)."""
    return {
        "id": str(a.id), "name": a.name, "trade_name": a.trade_name or "", "nif": a.nif or "",
        "province": a.province or "", "sector": a.sector or "",
        "size_band": a.size_band or "", "channel": a.channel or "", "owner": owner,
        "created_at": date_es(a.created_at), "deleted_at": date_es(a.deleted_at),
        "deleted_text": t("acc_ui.deleted_on", date=date_es(a.deleted_at))
        if a.deleted_at else "",
        "place": " · ".join(x or "—" for x in (a.province, a.sector, a.channel)),
        "href": f"/clientes/{a.id}",
    }


# --- the form ---------------------------------------------------------------------------------


def form_values(a: Account | None, default_owner: int) -> dict[str, str]:
    """The form's inputs for ``a`` (``None``: a new customer owned by ``default_owner``)."""
    if a is None:
        return {**{k: "" for k in TEXT_FIELDS}, "country": "ES",
                **{k: "" for k in SELECT_FIELDS}, "owner_id": str(default_owner),
                "recargo_equivalencia": ""}
    values = {k: str(getattr(a, k) or "") for k in (*TEXT_FIELDS, *SELECT_FIELDS)}
    values["owner_id"] = str(a.owner_id or "")
    values["recargo_equivalencia"] = "1" if a.recargo_equivalencia else ""
    return values


# --- the customer file ------------------------------------------------------------------------


def account_card(a: Account, owner: str) -> dict[str, str]:
    """The customer's own data on its file."""
    return {
        "id": str(a.id), "name": a.name, "trade_name": a.trade_name or "", "nif": a.nif or "",
        "address": a.address or "", "postal_code": a.postal_code or "", "city": a.city or "",
        "province": a.province or "", "country": a.country or "", "email": a.email or "",
        "phone": a.phone or "", "phone_display": phone_es(a.phone), "website": a.website or "",
        "sector": a.sector or "", "size_band": size_band_label(a.size_band or ""),
        "channel": a.channel or "", "owner": owner,
        "recargo": t("common.yes") if a.recargo_equivalencia else t("common.no"),
        "recargo_flag": "1" if a.recargo_equivalencia else "",
        "notes": a.notes or "", "created_at": date_es(a.created_at),
        "place": ", ".join(dict.fromkeys(x for x in (a.city, a.province) if x)),
    }


def contact_rows(contacts: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"id": str(c["id"]), "name": c["name"] or c["email"] or "—",
             "position": c["position"] or "", "email": c["email"] or "",
             "phone": c["phone"] or "", "phone_display": phone_es(c["phone"]),
             "initial": (c["name"] or c["email"] or "?")[:1].upper()} for c in contacts]


def _entry_href(entry: dict[str, Any]) -> str:
    target = {"opportunity": "/oportunidades/", "quote": "/presupuestos/",
              "lead": "/leads/"}.get(entry["entity"])
    return f"{target}{entry['entity_id']}" if target and entry["entity_id"] else ""


def timeline_rows(entries: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"when": datetime_es(e["at"]), "ago": ago(e["at"]), "kind": e["kind"],
             "icon": _TIMELINE_ICONS.get(e["kind"], "circle"), "title": e["title"],
             "detail": (e["detail"] or "")[:280], "user": e["user"] or "",
             "href": _entry_href(e)} for e in entries]


def opportunity_rows(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"id": str(r["id"]), "name": r["name"], "stage": r["stage_name"],
             "kind": str(r["kind"]), "amount": money(r["amount"]), "owner": r["owner"],
             "expected_close": date_es(r["expected_close"]),
             "closed_at": date_es(r["closed_at"]), "lost_reason": r["lost_reason"] or "",
             "stale": "1" if r["stale"] else "", "href": f"/oportunidades/{r['id']}"}
            for r in rows]


def quote_rows(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"id": str(q["id"]), "label": q["label"], "status": str(q["status"]),
             "status_label": q["status_label"], "total": money(q["total"]),
             "issue_date": date_es(q["issue_date"]), "href": f"/presupuestos/{q['id']}"}
            for q in rows]


def purchase_rows(purchases: dict[str, Any]) -> tuple[list[dict[str, str]],
                                                      list[dict[str, str]], str]:
    """(the last 20 purchases, the totals per year, the total) of ``account_360``."""
    items = [{"date": date_es(i["date"]), "title": i["title"], "amount": money(i["amount"]),
              "href": f"/presupuestos/{i['quote_id']}" if i["quote_id"]
              else f"/oportunidades/{i['opportunity_id']}"} for i in purchases["items"][:20]]
    years = [{"year": str(y["year"]), "total": money(y["total"]),
              "count": t("sui.account.purchases_one") if y["count"] == 1
              else t("sui.account.purchases_count", n=number(y["count"]))}
             for y in purchases["per_year"]]
    return items, years, money(purchases["total"])


def alert_rows(alerts: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"message": x["message"], "severity": x["severity"], "when": ago(x["created_at"])}
            for x in alerts]


def document_rows(documents: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"filename": d["filename"], "when": date_es(d["created_at"]),
             "size": f"{max(1, (d['size'] or 0) // 1024)} KB"} for d in documents]


__all__ = ["FIELD_ORDER", "SELECT_FIELDS", "TEXT_FIELDS", "account_card", "account_row",
           "alert_rows", "channel_choices", "contact_rows", "document_rows", "form_values",
           "opportunity_rows", "option", "people", "plural", "province_choices",
           "purchase_rows", "quote_rows", "sector_choices", "size_band_choices",
           "size_band_label", "timeline_rows"]
