"""Assignment rules as the editor shows them: conditions as rows of text inputs and back, and
the one-line summary of a rule ("Si provincia en Madrid → Usuario fijo: Ana").

Pure functions over the service's rule dicts (``services.assignment``): what a rule may hold
is checked there, once; this only turns it into text and back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_app.i18n import t
from crm_app.services import assignment

ACTIONS = assignment.ACTIONS
OPS = assignment.OPS
NO_VALUE_OPS = assignment.NO_VALUE_OPS
LIST_OPS = ("in", "not_in", "province_in", "region_in")
RULE_FIELDS = ("province", "source", "status", "company", "city", "position", "email", "phone",
               "nif", "created_at")
BLANK_CONDITION = {"field": "province", "op": "eq", "value": "", "value2": ""}


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value if v not in (None, ""))
    return str(value)


def cond_row(cond: Mapping[str, Any]) -> dict[str, str]:
    """A stored condition as the editor's row of strings (a range in two inputs)."""
    value = cond.get("value")
    field = str(cond.get("field") or "province")
    if cond.get("op") == "between" and isinstance(value, list | tuple):
        lo, hi = ([*value, None, None])[:2]
        return {"field": field, "op": "between", "value": "" if lo is None else str(lo),
                "value2": "" if hi is None else str(hi)}
    return {"field": field, "op": str(cond.get("op") or "eq"), "value": _value_text(value),
            "value2": ""}


def cond_data(row: Mapping[str, str]) -> dict[str, Any]:
    """The editor's row back to a condition for the service (which validates it)."""
    op = row.get("op") or "eq"
    raw = (row.get("value") or "").strip()
    if op in NO_VALUE_OPS:
        value: Any = None
    elif op == "between":
        value = [raw or None, (row.get("value2") or "").strip() or None]
    elif op in LIST_OPS or (op == "contains" and "," in raw):
        value = [v.strip() for v in raw.split(",") if v.strip()]
    else:
        value = raw
    return {"field": row.get("field") or "province", "op": op, "value": value}


def _condition_text(cond: Mapping[str, Any], fields: Mapping[str, str]) -> str:
    row = cond_row(cond)
    field = fields.get(row["field"], row["field"])
    op = t(f"leads.rules.op.{row['op']}")
    if row["op"] in NO_VALUE_OPS:
        return f"{field} {op}"
    if row["op"] in ("province_in", "region_in"):
        return f"{op} {row['value']}"
    if row["op"] == "between":
        return f"{field} {op} {row['value'] or '…'} – {row['value2'] or '…'}"
    return f"{field} {op} {row['value']}"


def summary(rule: Mapping[str, Any], *, fields: Mapping[str, str], users: Mapping[str, str],
            teams: Mapping[str, str]) -> tuple[str, str]:
    """(when, then) of a rule's card; ``fields``/``users``/``teams`` map values to labels."""
    parts = [_condition_text(c, fields) for c in rule.get("conditions") or []]
    when = t("rules_ui.when", conditions=" y ".join(parts)) if parts else t("rules_ui.always")
    config = rule.get("config") or {}
    action = rule.get("action")
    if action == "fixed_user":
        target = users.get(str(config.get("user_id")), "?")
    elif action in ("round_robin", "least_loaded"):
        if config.get("user_ids"):
            target = ", ".join(users.get(str(u), "?") for u in config["user_ids"])
        else:
            target = t("rules_ui.team_of", team=teams.get(str(config.get("team_id")), "?"))
    else:
        target = t("rules_ui.provinces", n=len(config.get("territory") or {}))
    return when, f"{t('leads.rules.action.' + str(action))}: {target}"


__all__ = ["ACTIONS", "BLANK_CONDITION", "LIST_OPS", "NO_VALUE_OPS", "OPS", "RULE_FIELDS",
           "cond_data", "cond_row", "summary"]
