"""What the leads screens show, as strings: a lead as a list row, the timeline's items, a
stored custom value as the form shows it, and the choices of the status and province selects.

Pure functions of the services' dicts (no session): the states call them after one service
call, so the browser only ever receives display strings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from crm_app.formatting import ago, date_es, datetime_es, number, phone_es
from crm_app.i18n import catalog, t
from crm_app.services.lead_options import provinces
from crm_app.services.leads import STATUSES

CONVERTED = "convertido"
# Statuses a person may pick; "convertido" is reached only through the conversion.
PICKABLE_STATUSES = [s for s in STATUSES if s != CONVERTED]
_TIMELINE_ICONS = {"create": "sparkles", "update": "pencil", "status": "tag",
                   "assign": "user-round-cog", "delete": "trash-2", "restore": "rotate-ccw",
                   "convert": "building-2", "import": "upload", "import_update": "upload",
                   "call": "phone", "meeting": "users", "email": "mail", "task": "list-checks",
                   "note": "sticky-note", "anonymise": "user-x",
                   "export_personal_data": "download", "automation": "workflow"}


def option(value: Any, label: str) -> dict[str, str]:
    return {"value": str(value), "label": label}


def status_choices(pickable: bool = True) -> list[tuple[str, str]]:
    """(value, label) pairs for a status select; ``pickable`` leaves out "convertido"."""
    return [(s, t(f"lead.status.{s}")) for s in (PICKABLE_STATUSES if pickable else STATUSES)]


def status_options(pickable: bool = True) -> list[dict[str, str]]:
    """The same as ``{value, label}`` dicts, for a select whose options switch at run time."""
    return [option(v, label) for v, label in status_choices(pickable)]


def province_choices() -> list[tuple[str, str]]:
    return [(p, p) for p in provinces()]


def plural(key: str, n: int) -> str:
    """``1 lead reasignado`` / ``1.234 leads reasignados`` (``<key>.one`` / ``<key>.many``)."""
    return t(f"{key}.one" if n == 1 else f"{key}.many", n=number(n))


def as_datetime(value: Any) -> Any:
    """An ISO string of a service dict as a datetime (``None`` when it does not parse)."""
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


def lead_row(lead: dict) -> dict[str, str]:
    """One lead (a ``lead_dict``) as the strings a row or a card shows."""
    person = lead.get("name") or ""
    row = {
        "id": str(lead["id"]),
        "name": person or lead.get("company") or "—",
        "company": (lead.get("company") or "") if person else "",
        "email": lead.get("email") or "",
        "phone": phone_es(lead.get("phone")),
        "status": t(f"lead.status.{lead['status']}"),
        "status_key": lead["status"],
        "province": lead.get("province") or "",
        "source": lead.get("source") or "",
        "owner": lead.get("owner_name") or "",
        "created_at": date_es(as_datetime(lead.get("created_at"))),
        "href": f"/leads/{lead['id']}",
    }
    row["meta"] = " · ".join(v for v in (row["owner"], row["province"], row["created_at"]) if v)
    return row


def custom_display(kind: str, value: Any) -> str:
    """A stored custom value as the form shows it (dd/mm/aaaa, decimal comma)."""
    if value is None or value == "":
        return ""
    if kind == "date":
        try:
            return date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    if kind == "number":
        return str(value).replace(".", ",")
    if kind == "bool":
        return "true" if value in (True, "true") else "false"
    return str(value)


def custom_text(kind: str, value: Any) -> str:
    """A stored custom value as the record page reads it (``Sí``/``No`` for booleans)."""
    shown = custom_display(kind, value)
    if kind == "bool" and shown:
        return t("common.yes") if shown == "true" else t("common.no")
    return shown


# --- timeline ---------------------------------------------------------------------------------


def _change_value(field: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field == "status":
        return t(f"lead.status.{value}") if f"lead.status.{value}" in catalog() else str(value)
    if isinstance(value, bool):
        return t("common.yes") if value else t("common.no")
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        parsed = as_datetime(value)
        return datetime_es(parsed) if parsed else value
    return str(value)


def _field_label(field: str) -> str:
    key = f"leads.field.{field}"
    return t(key) if key in catalog() else field


def _title(item: dict) -> str:
    """The service's title, with status names as people read them."""
    if item.get("kind") == "event" and item.get("action") == "status":
        change = next((c for c in item.get("changes") or [] if c["field"] == "status"), None)
        if change is not None:
            return t("lead_ui.timeline.status", before=_change_value("status", change["before"]),
                     after=_change_value("status", change["after"]))
    return str(item.get("title") or "")


def timeline_rows(items: list[dict]) -> list[dict[str, str]]:
    """``lead_timeline`` items as the record page's timeline shows them. Changes of fields
    people do not edit (timestamps) and those the title already says are left out."""
    rows = []
    for item in items:
        at = as_datetime(item.get("at"))
        changes = [f"{_field_label(c['field'])}: {_change_value(c['field'], c['before'])} → "
                   f"{_change_value(c['field'], c['after'])}" for c in item.get("changes") or []
                   if f"leads.field.{c['field']}" in catalog()
                   and not (item.get("action") == "status" and c["field"] == "status")
                   and not (item.get("action") == "assign" and c["field"] == "owner_id")]
        rows.append({
            "id": f"{item['kind']}-{item['id']}",
            "title": _title(item),
            "detail": item.get("detail") or "",
            "who": item.get("actor_name") or "",
            "when": datetime_es(at) if isinstance(at, datetime) else "",
            "ago": ago(at) if isinstance(at, datetime) else "",
            "changes": "\n".join(changes),
            "icon": _TIMELINE_ICONS.get(item.get("action") or "", "circle"),
            "kind": item["kind"],
        })
    return rows
