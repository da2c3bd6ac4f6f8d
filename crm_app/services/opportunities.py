"""Opportunities: create, edit, list, kanban, and stage moves with their history.

Every stage move writes a ``StageChange`` (from, to, when, who; owner and team copied so
analytics can scope it) and sets ``stage_entered_at``; entering a won/lost stage sets
``closed_at``, reopening clears it. A stage's ``required_fields`` must be filled on entry.
An open opportunity is "sin actividad" when
``now − max(stage_entered_at, last_activity_at) > stage.stale_days`` (or the organisation's
default).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from crm_app.formatting import TZ
from crm_app.i18n import t
from crm_app.models import (
    Account,
    Contact,
    Lead,
    Opportunity,
    Pipeline,
    Product,
    Stage,
    StageChange,
    StageKind,
    utcnow,
)
from crm_app.models.bounds import MAX_DAYS
from crm_app.permissions import Action, Perm, restrict
from crm_app.services import alerts, audit, outbox
from crm_app.services.actors import SYSTEM, Actor, needs_actor
from crm_app.services.custom_fields import clean_custom
from crm_app.services.defaults import (
    ensure_default_pipeline,
    pipeline_stages,
)
from crm_app.services.errors import NotFound, ValidationFailed
from crm_app.services.links import as_id, blank, stage_of, visible
from crm_app.services.pipelines import REQUIRABLE_FIELDS, custom_requirable, requirable_specs
from crm_app.services.records import (
    add_record,
    bin_clause,
    record_changes,
)
from crm_app.services.sales_common import (
    Page,
    as_date,
    assign_owner,
    aware,
    bin_owned,
    cents,
    check,
    get_owned,
    is_admin,
    order_by,
    owner_change,
    paginate,
    require_user,
    restore_owned,
    text,
    to_decimal,
    user_names,
    where_equal,
)
from crm_app.services.sales_reads import (
    get_visible_account,
    is_stale,
    opportunity_row,
    org_stale_default,
    stages_by_id,
    stale_clause,
)
from crm_app.services.search import matches

OPPORTUNITY_FIELDS = ("name", "account_id", "contact_id", "lead_id", "pipeline_id", "stage_id",
                      "product_id", "amount", "expected_close", "channel", "description",
                      "lost_reason", "custom", "owner_id", "created_at", "closed_at")
# Fields a stage move may set together with the move (e.g. the lost reason).
MOVE_FIELDS = ("amount", "expected_close", "contact_id", "product_id", "description", "channel",
               "lost_reason", "custom", "closed_at")
OPPORTUNITY_SORTS = {
    "name": Opportunity.name, "amount": Opportunity.amount,
    "expected_close": Opportunity.expected_close, "created_at": Opportunity.created_at,
    "updated_at": Opportunity.updated_at, "closed_at": Opportunity.closed_at,
    "stage_entered_at": Opportunity.stage_entered_at,
}
KANBAN_PAGE = 20
# The won/lost columns of the board show what closed in the last N days (older closes are
# history: the list and the reports have them).
KANBAN_CLOSED_DAYS = 90
KANBAN_MAX = 100  # cards per column at most


# --- helpers ----------------------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Decimal):
        return value <= 0
    return False


def _clean(session: Session, actor: Actor, data: Mapping[str, Any], allowed: tuple,
           current: Opportunity | None, errors: dict[str, str]) -> dict[str, Any]:
    """Validate the opportunity fields present in ``data`` (``custom.<key>`` keys allowed)."""
    out: dict[str, Any] = {}
    custom_updates = {k.split(".", 1)[1]: v for k, v in data.items()
                      if k.startswith("custom.") and "custom" in allowed}
    for key in sorted(set(data) - set(allowed) - {f"custom.{k}" for k in custom_updates}):
        errors[key] = "Campo desconocido."
    if "name" in data:
        out["name"] = text(data.get("name"), field_name="name", errors=errors, max_len=200,
                           required=True, label="El nombre")
    for key, max_len in (("channel", 60), ("lost_reason", 200)):
        if key in data:
            out[key] = text(data.get(key), field_name=key, errors=errors, max_len=max_len)
    if "description" in data:
        out["description"] = str(data.get("description") or "")
    if "amount" in data:
        out["amount"] = to_decimal(data.get("amount"), field_name="amount", errors=errors,
                                   default=Decimal("0.00"), minimum=Decimal(0),
                                   maximum=Decimal("999999999999.99"), places=2,
                                   label="El importe")
    if "expected_close" in data:
        out["expected_close"] = as_date(data.get("expected_close"), field_name="expected_close",
                                        errors=errors)

    def keep(key: str) -> int | None:
        return getattr(current, key) if current is not None else None

    account = None
    if "account_id" in data:
        account = get_visible_account(session, actor, data.get("account_id"), errors,
                                      keep=keep("account_id"))
        out["account_id"] = account.id if account else None
    elif current is not None and current.account_id:
        account = session.get(Account, current.account_id)
    if "contact_id" in data:
        contact = visible(session, actor, Contact, data.get("contact_id"), field="contact_id",
                          errors=errors, keep=keep("contact_id"))
        out["contact_id"] = contact.id if contact is not None else None
        if contact is not None and account is not None \
                and contact.account_id not in (None, account.id):
            errors["contact_id"] = "El contacto no es de este cliente."
    if "product_id" in data:
        product = visible(session, actor, Product, data.get("product_id"), field="product_id",
                          errors=errors, keep=keep("product_id"))
        out["product_id"] = product.id if product is not None else None
    if "lead_id" in data and not blank(data.get("lead_id")):
        lead = visible(session, actor, Lead, data["lead_id"], field="lead_id", errors=errors,
                       keep=keep("lead_id"))
        if lead is not None:
            out["lead_id"] = lead.id
    if "custom" in data or custom_updates:
        base = data.get("custom")
        if base is not None and not isinstance(base, dict):
            errors["custom"] = t("links.custom.not_object")
        else:
            out["custom"] = clean_custom(
                session=session, entity="opportunity", values={**(base or {}), **custom_updates},
                base=current.custom if current is not None else None, errors=errors)
    for key in ("created_at", "closed_at"):
        if key in data and data.get(key) not in (None, ""):
            if not is_admin(actor):
                errors[key] = "Solo un administrador puede fijar fechas históricas."
            else:
                out[key] = aware(data[key], field_name=key, errors=errors)
    return out


def _value_of(opp: Opportunity, values: Mapping[str, Any], key: str) -> Any:
    if key.startswith("custom."):
        return (values.get("custom") or opp.custom or {}).get(key.split(".", 1)[1])
    return values[key] if key in values else getattr(opp, key, None)


def _check_required(session: Session, opp: Opportunity, stage: Stage,
                    values: Mapping[str, Any], errors: dict[str, str]) -> None:
    labels = {**REQUIRABLE_FIELDS, **custom_requirable(session)}
    for key in stage.required_fields or []:
        if _is_empty(_value_of(opp, values, key)):
            label = labels.get(key, key)
            errors[key] = f"Para pasar a «{stage.name}» indica {label}."


def _first_open_stage(session: Session, pipeline_id: int) -> Stage:
    stages = pipeline_stages(session=session, pipeline_id=pipeline_id)
    for stage in stages:
        if stage.kind == StageKind.OPEN:
            return stage
    return stages[0]


def won_stage(session: Session, pipeline_id: int) -> Stage:
    for stage in pipeline_stages(session=session, pipeline_id=pipeline_id):
        if stage.kind == StageKind.WON:
            return stage
    raise ValidationFailed({"stage_id": "El embudo no tiene etapa ganada."})


def _record_change(session: Session, actor: Actor, opp: Opportunity,
                   from_stage_id: int | None, to_stage_id: int, at: datetime) -> StageChange:
    change = StageChange(opportunity_id=opp.id, from_stage_id=from_stage_id,
                         to_stage_id=to_stage_id, changed_at=at,
                         changed_by_id=actor.id,
                         owner_id=opp.owner_id, team_id=opp.team_id)
    session.add(change)
    return change


def _enter(opp: Opportunity, stage: Stage, at: datetime, closed_at: datetime | None) -> None:
    opp.stage_id = stage.id
    opp.stage_entered_at = at
    if stage.kind in (StageKind.WON, StageKind.LOST):
        opp.closed_at = closed_at or at
    else:
        opp.closed_at = None
    if stage.kind != StageKind.LOST:
        opp.lost_reason = ""


# --- commands ---------------------------------------------------------------------------------


@needs_actor
def create_opportunity(*, session: Session, actor: Actor,
                       data: Mapping[str, Any]) -> Opportunity:
    """Create an opportunity in ``pipeline_id`` (default pipeline) at ``stage_id`` (its first
    open stage). The entry into that stage is the first ``StageChange``. Admins may give
    ``created_at`` and ``closed_at`` to load history."""
    require_user(actor, Perm.RECORDS_CHANGE)
    errors: dict[str, str] = {}
    values = _clean(session, actor, data, OPPORTUNITY_FIELDS, None, errors)
    if "name" not in data:
        errors["name"] = "El nombre es obligatorio."
    pipeline = visible(session, actor, Pipeline, data.get("pipeline_id"), field="pipeline_id",
                       errors=errors) or ensure_default_pipeline(session=session)
    if blank(data.get("stage_id")):
        stage = _first_open_stage(session, pipeline.id)
    else:
        stage = stage_of(session, actor, pipeline.id, data.get("stage_id"), errors=errors)
    owner_id, team_id = assign_owner(session=session, actor=actor, owner_id=data.get("owner_id"),
                                     errors=errors)
    opp = Opportunity(name=values.get("name", ""), pipeline_id=pipeline.id,
                      stage_id=stage.id if stage else 0, owner_id=owner_id, team_id=team_id)
    if stage is not None:
        _check_required(session, opp, stage, values, errors)
        if values.get("closed_at") and stage.kind == StageKind.OPEN:
            errors["closed_at"] = "Solo una oportunidad cerrada tiene fecha de cierre."
    check(errors)
    account_id = values.get("account_id")
    if "channel" not in values and account_id:
        values["channel"] = session.get(Account, account_id).channel
    now = utcnow()
    created_at = values.pop("created_at", None) or now
    closed_at = values.pop("closed_at", None)
    for key, value in values.items():
        setattr(opp, key, value)
    opp.created_at = created_at
    # Created straight into a won/lost stage (history load): it entered it when it closed.
    entered = (closed_at or created_at) if stage.kind != StageKind.OPEN else created_at
    _enter(opp, stage, entered, closed_at)
    add_record(session=session, actor=actor, record=opp, entity="opportunity", commit=False)
    _record_change(session, actor, opp, None, stage.id, entered)
    session.commit()
    return opp


@needs_actor
def update_opportunity(*, session: Session, actor: Actor, opportunity_id: int,
                       data: Mapping[str, Any]) -> Opportunity:
    """Change fields; a ``stage_id`` in ``data`` is a stage move (with its rules)."""
    opp = get_owned(session, actor, Opportunity, opportunity_id, Action.CHANGE,
                    label="Oportunidad")
    errors: dict[str, str] = {}
    fields = {k: v for k, v in data.items() if k not in {"stage_id", "pipeline_id", "owner_id"}}
    values = _clean(session, actor, fields, OPPORTUNITY_FIELDS, opp, errors)
    if "pipeline_id" in data and data["pipeline_id"] not in (None, opp.pipeline_id):
        errors["pipeline_id"] = "Para cambiar de embudo crea la oportunidad en el otro embudo."
    values.update(owner_change(session=session, actor=actor, record=opp, data=data,
                               errors=errors))
    if "closed_at" in values and values["closed_at"] is not None and opp.closed_at is None \
            and data.get("stage_id") in (None, opp.stage_id):
        errors["closed_at"] = "Solo una oportunidad cerrada tiene fecha de cierre."
    move_to = data.get("stage_id")
    if not blank(move_to) and as_id(move_to) != opp.stage_id:
        stage = stage_of(session, actor, opp.pipeline_id, move_to, errors=errors)
        if stage is not None:
            _check_required(session, opp, stage, values, errors)
    else:
        stage = None
        current = session.get(Stage, opp.stage_id)
        if current is not None:
            _check_required(session, opp, current, values, errors)
    check(errors)
    _write(session=session, actor=actor, opp=opp, values=values, stage=stage,
           action="move" if stage is not None else "update")
    session.commit()
    return opp


def _write(*, session: Session, actor: Actor, opp: Opportunity, values: dict[str, Any],
           stage: Stage | None, action: str, at: datetime | None = None) -> None:
    """Set validated ``values`` on ``opp``, move it to ``stage`` when that is another stage,
    and audit what changed as ``action``; no commit.

    An edit and a move are one write: the fields a move asks for go with it, and a
    ``closed_at`` re-dates the close (a move into won/lost) or an already closed deal only.
    """
    before = audit.snapshot(opp)
    closed_at = values.pop("closed_at", None)
    for key, value in values.items():
        setattr(opp, key, value)
    if stage is not None and stage.id != opp.stage_id:
        _move(session, actor, opp, stage, closed_at=closed_at, at=at)
    elif closed_at is not None and opp.closed_at is not None:
        opp.closed_at = closed_at
    record_changes(session=session, actor=actor, record=opp, entity="opportunity",
                   before=before, action=action)


def _move(session: Session, actor: Actor, opp: Opportunity, stage: Stage, *,
          closed_at: datetime | None = None, at: datetime | None = None) -> StageChange:
    if stage.kind == StageKind.OPEN:
        closed_at = None
    at = at or closed_at or utcnow()
    change = _record_change(session, actor, opp, opp.stage_id, stage.id, at)
    outbox.emit(session=session, event="opportunity.stage_entered", entity="opportunity",
                record_id=opp.id, actor_id=actor.id,
                data={"from_stage_id": opp.stage_id, "to_stage_id": stage.id})
    _enter(opp, stage, at, closed_at)
    return change


@needs_actor
def move_stage(*, session: Session, actor: Actor, opportunity_id: int, stage_id: int,
               fields: Mapping[str, Any] | None = None, at: datetime | None = None,
               commit: bool = True) -> Opportunity:
    """Move an opportunity to ``stage_id`` (same pipeline), setting ``fields`` with it.

    The target stage's required fields must be filled (in ``fields`` or already on the
    opportunity), else ``ValidationFailed`` keyed by field. Records a ``StageChange``. Admins
    may pass ``at`` (or ``fields["closed_at"]``) to record a historic move.
    """
    opp = get_owned(session, actor, Opportunity, opportunity_id, Action.CHANGE,
                    label="Oportunidad")
    errors: dict[str, str] = {}
    values = _clean(session, actor, dict(fields or {}), MOVE_FIELDS, opp, errors)
    if at is not None and not is_admin(actor):
        errors["at"] = "Solo un administrador puede fijar fechas históricas."
    stage = stage_of(session, actor, opp.pipeline_id, stage_id, errors=errors)
    if stage is None and "stage_id" not in errors:  # blank
        errors["stage_id"] = t("links.missing.stage")
    if stage is not None:
        _check_required(session, opp, stage, values, errors)
    check(errors)
    before = session.get(Stage, opp.stage_id) if opp.stage_id else None
    _write(session=session, actor=actor, opp=opp, values=values, stage=stage, action="move",
           at=at)
    if stage.kind == StageKind.WON and (before is None or before.kind != StageKind.WON):
        alerts.deal_won(session=session, actor=actor, opp=opp)
    if commit:
        session.commit()
    else:
        session.flush()
    return opp


@needs_actor
def delete_opportunity(*, session: Session, actor: Actor,
                       opportunity_id: int) -> Opportunity:
    return bin_owned(session=session, actor=actor, model=Opportunity, record_id=opportunity_id,
                     entity="opportunity", label="Oportunidad")


@needs_actor
def restore_opportunity(*, session: Session, actor: Actor,
                        opportunity_id: int) -> Opportunity:
    return restore_owned(session=session, actor=actor, model=Opportunity,
                         record_id=opportunity_id, entity="opportunity", label="Oportunidad")


def touch_activity(*, session: Session, opportunity_id: int | None,
                   at: datetime | None = None) -> None:
    """Note activity on an opportunity (resets its "sin actividad" clock); no commit."""
    if not opportunity_id:
        return
    opp = session.get(Opportunity, opportunity_id)
    if opp is not None:
        at = at or utcnow()
        if opp.last_activity_at is None or at > opp.last_activity_at:
            opp.last_activity_at = at
            session.add(opp)


# --- reads ------------------------------------------------------------------------------------


@needs_actor
def get_opportunity(*, session: Session, actor: Actor, opportunity_id: int) -> Opportunity:
    return get_owned(session, actor, Opportunity, opportunity_id, label="Oportunidad")


def _filtered(session: Session, actor: Actor, *, q: str = "",
              pipeline_id: int | None = None, stage_id: int | None = None, status: str = "",
              owner_id: int | None = None, team_id: int | None = None,
              account_id: int | None = None, channel: str = "", stale: bool | None = None,
              closed_from: date | None = None, closed_to: date | None = None,
              deleted: bool = False) -> Any:
    stmt = select(Opportunity)
    stmt = stmt.where(bin_clause(Opportunity, deleted=deleted))
    if (q or "").strip():
        stmt = stmt.where(or_(matches(Opportunity, q),
                              Opportunity.account_id.in_(select(Account.id).where(
                                  matches(Account, q, first_section=True)))))
    stmt = where_equal(stmt, Opportunity, pipeline_id=pipeline_id, stage_id=stage_id,
                       owner_id=owner_id, team_id=team_id, account_id=account_id,
                       channel=channel)
    if status:
        stmt = stmt.where(Opportunity.stage_id.in_(select(Stage.id).where(Stage.kind == status)))
    errors: dict[str, str] = {}
    since = aware(closed_from, field_name="closed_from", errors=errors) if closed_from else None
    # aware() checks the range first, so the day after closed_to is a valid date too.
    until = aware(closed_to, field_name="closed_to", errors=errors) if closed_to else None
    if errors:
        raise ValidationFailed(errors)
    if since is not None:
        stmt = stmt.where(Opportunity.closed_at >= since)
    if until is not None and closed_to is not None:  # up to the next midnight in Madrid
        next_day = closed_to + timedelta(days=1)
        stmt = stmt.where(Opportunity.closed_at < datetime(
            next_day.year, next_day.month, next_day.day, tzinfo=TZ).astimezone(UTC))
    if stale is not None:
        clause = stale_clause(session, utcnow(), org_stale_default(session))
        stmt = stmt.where(clause if stale else ~clause)
    return restrict(stmt, actor)


@needs_actor
def list_opportunities(*, session: Session, actor: Actor, q: str = "",
                       pipeline_id: int | None = None, stage_id: int | None = None,
                       status: str = "", owner_id: int | None = None,
                       team_id: int | None = None, account_id: int | None = None,
                       channel: str = "", stale: bool | None = None,
                       closed_from: date | None = None, closed_to: date | None = None,
                       deleted: bool = False, sort: str = "-created_at", offset: int = 0,
                       limit: int = 25) -> Page[Opportunity]:
    """One page of opportunities; ``status`` is a stage kind (open, won, lost); ``stale``
    keeps (True) or drops (False) the "sin actividad" ones."""
    stmt = _filtered(session, actor, q=q, pipeline_id=pipeline_id, stage_id=stage_id,
                     status=status, owner_id=owner_id, team_id=team_id, account_id=account_id,
                     channel=channel, stale=stale, closed_from=closed_from,
                     closed_to=closed_to, deleted=deleted)
    stmt = order_by(stmt, Opportunity, sort, OPPORTUNITY_SORTS, "-created_at")
    rows, total = paginate(session, stmt, offset, limit)
    return Page(rows, total, max(0, offset), limit)


def opportunity_rows(session: Session, opps: list[Opportunity]) -> list[dict[str, Any]]:
    """Plain dicts with stage, account and owner names, for lists and the API."""
    stages = stages_by_id(session)
    default_days = org_stale_default(session)
    account_ids = {o.account_id for o in opps if o.account_id}
    accounts = dict(session.exec(select(Account.id, Account.name)
                                 .where(Account.id.in_(account_ids))).all()) if account_ids \
        else {}
    now = utcnow()
    rows = [opportunity_row(session, o, stages, now=now, default_days=default_days,
                            account_names=accounts) for o in opps]
    names = user_names(session, {r["owner_id"] for r in rows})
    for row in rows:
        row["owner"] = names.get(row["owner_id"], "")
    return rows


@needs_actor
def kanban(*, session: Session, actor: Actor, pipeline_id: int | None = None,
           q: str = "", owner_id: int | None = None, team_id: int | None = None,
           account_id: int | None = None, channel: str = "",
           closed_days: int | None = KANBAN_CLOSED_DAYS,
           per_column: int = KANBAN_PAGE) -> dict[str, Any]:
    """The board: per stage column ``count``, ``amount``, ``weighted`` (amount × stage
    probability) over every visible opportunity, and the first ``per_column`` cards.

    ``closed_days`` limits the won/lost columns to opportunities closed in the last N days
    (``None``: all of them); the board says which window it used. Each column names the
    fields its stage asks for on entry (``required_labels``). More cards of one column:
    ``list_opportunities(stage_id=…, offset=…)``.
    """
    pipeline = session.get(Pipeline, pipeline_id) if pipeline_id else \
        ensure_default_pipeline(session=session)
    if pipeline is None:
        raise NotFound("Embudo no encontrado.")
    stages = pipeline_stages(session=session, pipeline_id=pipeline.id)
    base = _filtered(session, actor, q=q, pipeline_id=pipeline.id, owner_id=owner_id,
                     team_id=team_id, account_id=account_id, channel=channel)
    if closed_days:
        # More than MAX_DAYS back is "all of them"; the clamp keeps the date in range.
        since = utcnow() - timedelta(days=min(int(closed_days), MAX_DAYS))
        base = base.where(or_(Opportunity.closed_at.is_(None), Opportunity.closed_at >= since))
    sub = base.subquery()
    sums = {sid: (int(n), Decimal(amount or 0)) for sid, n, amount in session.exec(
        select(sub.c.stage_id, func.count(), func.sum(sub.c.amount)).group_by(sub.c.stage_id)
    ).all()}
    per_column = max(1, min(per_column, KANBAN_MAX))
    default_days = org_stale_default(session)
    all_stages = {s.id: s for s in stages}
    specs = requirable_specs(session)
    now = utcnow()
    columns = []
    card_opps: list[Opportunity] = []
    for stage in stages:
        count, amount = sums.get(stage.id, (0, Decimal(0)))
        stmt = base.where(Opportunity.stage_id == stage.id)
        if stage.kind == StageKind.OPEN:
            stmt = stmt.order_by(Opportunity.expected_close.is_(None),
                                 Opportunity.expected_close, Opportunity.id.desc())
        else:
            stmt = stmt.order_by(Opportunity.closed_at.desc(), Opportunity.id.desc())
        cards = list(session.exec(stmt.limit(per_column)).all())
        card_opps.extend(cards)
        columns.append({
            "stage_id": stage.id, "name": stage.name, "kind": stage.kind,
            "probability": stage.probability, "count": count, "amount": cents(amount),
            "weighted": cents(amount * Decimal(stage.probability) / 100),
            "required_fields": list(stage.required_fields or []),
            "required_labels": [specs[k]["label"] if k in specs else k
                                for k in stage.required_fields or []],
            "cards": cards, "has_more": count > len(cards),
        })
    account_ids = {o.account_id for o in card_opps if o.account_id}
    accounts = dict(session.exec(select(Account.id, Account.name)
                                 .where(Account.id.in_(account_ids))).all()) if account_ids \
        else {}
    names = user_names(session, {o.owner_id for o in card_opps})
    for column in columns:
        rows = []
        for opp in column["cards"]:
            row = opportunity_row(session, opp, all_stages, now=now, default_days=default_days,
                                  account_names=accounts)
            row["owner"] = names.get(opp.owner_id, "")
            rows.append(row)
        column["cards"] = rows
    open_cols = [c for c in columns if c["kind"] == StageKind.OPEN]
    return {
        "pipeline": {"id": pipeline.id, "name": pipeline.name},
        "closed_days": closed_days or None,
        "columns": columns,
        "totals": {
            "open_count": sum(c["count"] for c in open_cols),
            "open_amount": sum((c["amount"] for c in open_cols), Decimal("0.00")),
            "open_weighted": sum((c["weighted"] for c in open_cols), Decimal("0.00")),
        },
    }


@needs_actor
def move_requirements(*, session: Session, actor: Actor, opportunity_id: int | str,
                      stage_id: int | str) -> dict[str, Any]:
    """What moving the opportunity to ``stage_id`` still needs: the target stage's required
    fields that are empty on it, as ``{key, label, kind}`` for the dialog that asks for them
    (none: the move can go ahead as it is).

    Checked like the move itself: an opportunity the actor may not change reads as not found,
    a stage of another pipeline is a field error. ``account_id`` tells the dialog whose
    contacts to offer.
    """
    opp = get_owned(session, actor, Opportunity, opportunity_id, Action.CHANGE)
    errors: dict[str, str] = {}
    stage = stage_of(session, actor, opp.pipeline_id, stage_id, errors=errors)
    if stage is None and "stage_id" not in errors:  # blank
        errors["stage_id"] = t("links.missing.stage")
    check(errors)
    specs = requirable_specs(session)
    missing = [k for k in stage.required_fields or [] if _is_empty(_value_of(opp, {}, k))]
    return {"opportunity_id": opp.id, "account_id": opp.account_id, "stage_id": stage.id,
            "stage_name": stage.name,
            "fields": [specs.get(k, {"key": k, "label": k, "kind": "text"}) for k in missing]}


@needs_actor
def opportunity_detail(*, session: Session, actor: Actor,
                       opportunity_id: int | str) -> dict[str, Any]:
    """The opportunity as its page and its form show it: the list row (stage, amounts,
    owner, customer) plus its contact and product names, description, pipeline and the
    pipeline's stages (``current`` marks its own). Linked records are read through the scope:
    a contact the actor may not see shows no name."""
    opp = get_opportunity(session=session, actor=actor, opportunity_id=opportunity_id)
    row = opportunity_rows(session, [opp])[0]
    contact = visible(session, actor, Contact, opp.contact_id, field="contact_id", errors={})
    product = session.get(Product, opp.product_id) if opp.product_id else None
    pipeline = session.get(Pipeline, opp.pipeline_id)
    return {
        **row,
        "contact": f"{contact.first_name} {contact.last_name}".strip() if contact else "",
        "product_id": opp.product_id, "product": product.name if product else "",
        "description": opp.description or "", "custom": dict(opp.custom or {}),
        "pipeline": pipeline.name if pipeline else "",
        "stages": [{"id": st.id, "name": st.name, "kind": st.kind,
                    "current": st.id == opp.stage_id}
                   for st in pipeline_stages(session=session, pipeline_id=opp.pipeline_id)],
    }


@needs_actor
def stage_history(*, session: Session, actor: Actor,
                  opportunity_id: int) -> list[dict[str, Any]]:
    """The opportunity's stage changes, oldest first, with stage and user names."""
    opp = get_opportunity(session=session, actor=actor, opportunity_id=opportunity_id)
    stmt = select(StageChange).where(StageChange.opportunity_id == opp.id)
    stmt = restrict(stmt, actor)
    changes = list(session.exec(stmt.order_by(StageChange.changed_at, StageChange.id)).all())
    stages = stages_by_id(session)
    names = user_names(session, {c.changed_by_id for c in changes})
    return [{"id": c.id, "from_stage_id": c.from_stage_id, "to_stage_id": c.to_stage_id,
             "from_stage": stages[c.from_stage_id].name if c.from_stage_id in stages else "",
             "to_stage": stages[c.to_stage_id].name if c.to_stage_id in stages else "",
             "changed_at": c.changed_at, "changed_by_id": c.changed_by_id,
             "changed_by": names.get(c.changed_by_id, "") if c.changed_by_id
             else SYSTEM.name}
            for c in changes]


__all__ = ["KANBAN_CLOSED_DAYS", "MOVE_FIELDS", "OPPORTUNITY_FIELDS", "create_opportunity",
           "delete_opportunity", "get_opportunity", "is_stale", "kanban", "list_opportunities",
           "move_requirements", "move_stage", "opportunity_detail", "opportunity_row",
           "opportunity_rows", "restore_opportunity", "stage_history", "stages_by_id",
           "touch_activity", "update_opportunity", "won_stage"]
