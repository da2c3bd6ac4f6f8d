"""What the automation rules did on some records, for their timelines (issue 13: "an execution
log shown in settings and on the record's timeline").

Its own small module (models only), so the lead and customer services can read it without
importing the rules engine, which imports them. The caller has already read the records
through ``restrict``: a run is shown only on a record its reader may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, select

from crm_app.i18n import t
from crm_app.models import AutomationRule, AutomationRun


def runs_on(session: Session, targets: Sequence[tuple[str, Sequence[int]]], *,
            limit: int = 100) -> list[dict[str, Any]]:
    """The runs on ``targets`` (``(entity, record ids)`` pairs), newest first: ``id``, ``at``,
    ``title`` ("Automatización «regla»"), ``detail`` (what it did), ``entity``,
    ``record_id``."""
    clauses = [(AutomationRun.entity == entity) & AutomationRun.record_id.in_(list(ids))  # type: ignore[attr-defined]
               for entity, ids in targets if ids]
    if not clauses:
        return []
    rows = session.exec(
        select(AutomationRun, AutomationRule.name)
        .join(AutomationRule, AutomationRule.id == AutomationRun.rule_id, isouter=True)
        .where(or_(*clauses))
        .order_by(AutomationRun.id.desc()).limit(max(1, min(limit, 500)))).all()  # type: ignore[union-attr]
    out = []
    for run, name in rows:
        did = "; ".join(str(a.get("summary", "")) for a in run.actions or []
                        if isinstance(a, dict) and a.get("summary"))
        at: datetime = run.created_at
        out.append({"id": run.id, "at": at, "entity": run.entity, "record_id": run.record_id,
                    "title": t("auto.timeline.title", rule=name or f"#{run.rule_id}"),
                    "detail": did})
    return out


__all__ = ["runs_on"]
