"""What the opportunity screens show of a record: the service's row as display strings, and
the fixed choices of the filters and forms (stage kinds, activity, channels)."""

from __future__ import annotations

from typing import Any

from crm_app.formatting import date_es, money
from crm_app.i18n import t
from crm_app.services.defaults import CHANNELS

KINDS = ("open", "won", "lost")


def option(value: Any, label: Any) -> dict[str, str]:
    return {"value": str(value), "label": str(label)}


def card(row: dict[str, Any]) -> dict[str, str]:
    """A row of ``opportunity_rows``/``kanban`` as the board, the list and the page show it."""
    kind = str(row["kind"])
    return {
        "id": str(row["id"]), "name": row["name"], "account": row["account_name"] or "",
        "amount": money(row["amount"]), "owner": row["owner"] or "",
        "stage_id": str(row["stage_id"]), "stage": row["stage_name"], "kind": kind,
        "stale": "1" if row["stale"] else "",
        "stale_text": t("sui.opp.stale_days", days=row["days_idle"] or 0),
        # open: when it should close; closed: when it did
        "when": date_es(row["expected_close"] if kind == "open" else row["closed_at"]),
        "expected_close": date_es(row["expected_close"]),
        "closed_at": date_es(row["closed_at"]), "weighted": money(row["weighted"]),
        "href": f"/oportunidades/{row['id']}",
    }


def kind_options() -> list[dict[str, str]]:
    return [option(k, t(f"sui.stage.kind.{k}")) for k in KINDS]


def stale_options() -> list[dict[str, str]]:
    return [option("yes", t("sui.filter.stale_yes")), option("no", t("sui.filter.stale_no"))]


def channel_options(current: str = "") -> list[dict[str, str]]:
    """The organisation's channels (and a record's own, if it is not one of them)."""
    values = [*CHANNELS, *([current] if current and current not in CHANNELS else [])]
    return [option(v, v) for v in values]


__all__ = ["KINDS", "card", "channel_options", "kind_options", "option", "stale_options"]
