"""Scheduled report deliveries (``ReportSchedule``): admin CRUD and the daily delivery run.

An admin picks the report (``monthly``), the frequency (``weekly`` or ``monthly``) and the
recipients, by role and/or by user. ``deliver_due_reports`` (Celery beat, daily) sends every
recipient of every due schedule the PDF of THEIR OWN scope (``scope_for`` of the recipient:
a comercial gets their own figures, a manager their team, a director the company), one e-mail
per recipient, through ``services.mailer``.

When a schedule is due (Europe/Madrid calendar):

* ``monthly``: once per calendar month, on the first run of the month; the report is the
  month just closed;
* ``weekly``: once per ISO week, on the first run of the week (Monday); the report is the
  month to date up to yesterday (on the 1st, the whole previous month).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
from sqlmodel import Session, select

from crm_app.formatting import month_name, to_local
from crm_app.i18n import t
from crm_app.models import Organisation, ReportSchedule, Role, User, utcnow
from crm_app.permissions import Perm, has_perm, require
from crm_app.reports.monthly import render_monthly_report
from crm_app.services import analytics as analytics_service
from crm_app.services import audit, mailer
from crm_app.services import organisation as org_service
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.errors import DomainError, ValidationFailed
from crm_app.services.records import add_record, delete_record, get_existing, record_changes

log = logging.getLogger(__name__)

REPORTS = ("monthly",)
FREQUENCIES = ("weekly", "monthly")


# ---------------------------------------------------------------- admin CRUD


def _validate(*, session: Session, report: str, frequency: str, roles: Iterable[str],
              user_ids: Iterable[int]) -> tuple[list[str], list[int]]:
    errors: dict[str, str] = {}
    roles, user_ids = sorted(set(roles)), sorted({int(u) for u in user_ids})
    if report not in REPORTS:
        errors["report"] = "Informe desconocido."
    if frequency not in FREQUENCIES:
        errors["frequency"] = "Elige semanal o mensual."
    bad_roles = [r for r in roles if r not in {x.value for x in Role}]
    if bad_roles:
        errors["roles"] = "Rol desconocido: " + ", ".join(bad_roles)
    if user_ids:
        found = {u for u in session.exec(select(User.id).where(User.id.in_(user_ids))).all()}
        missing = [str(u) for u in user_ids if u not in found]
        if missing:
            errors["user_ids"] = "Usuarios inexistentes: " + ", ".join(missing)
    if not roles and not user_ids:
        errors["recipients"] = "Elige al menos un rol o un usuario."
    if errors:
        raise ValidationFailed(errors)
    return roles, user_ids


@needs_actor
def list_schedules(*, session: Session, actor: Actor) -> list[ReportSchedule]:
    require(actor, Perm.SETTINGS_CHANGE)
    return list(session.exec(select(ReportSchedule).order_by(ReportSchedule.id)).all())


@needs_actor
def recipient_choices(*, session: Session, actor: Actor) -> list[User]:
    """The people an admin may name as recipients: the active users, by name (admins only)."""
    require(actor, Perm.SETTINGS_CHANGE)
    return list(session.exec(select(User).where(User.active == True)  # noqa: E712
                             .order_by(User.name, User.id)).all())


@needs_actor
def create_schedule(*, session: Session, actor: Actor, report: str = "monthly",
                    frequency: str = "monthly", roles: Iterable[str] = (),
                    user_ids: Iterable[int] = (), active: bool = True) -> ReportSchedule:
    """Create a delivery (admins only)."""
    require(actor, Perm.SETTINGS_CHANGE)
    roles, user_ids = _validate(session=session, report=report, frequency=frequency,
                                roles=roles, user_ids=user_ids)
    row = ReportSchedule(report=report, frequency=frequency, roles=roles, user_ids=user_ids,
                         active=active, created_at=utcnow())
    return add_record(session=session, actor=actor, record=row, entity="report_schedule")


def _schedule(session: Session, schedule_id: int) -> ReportSchedule:
    return get_existing(session=session, model=ReportSchedule, record_id=schedule_id,
                        missing="Programación no encontrada.")


@needs_actor
def update_schedule(*, session: Session, actor: Actor, schedule_id: int,
                    **changes: Any) -> ReportSchedule:
    """Change report, frequency, roles, user_ids or active (admins only)."""
    require(actor, Perm.SETTINGS_CHANGE)
    row = _schedule(session, schedule_id)
    unknown = set(changes) - {"report", "frequency", "roles", "user_ids", "active"}
    if unknown:
        raise ValidationFailed({k: "Campo no editable." for k in unknown})
    before = audit.snapshot(row)
    merged = {"report": row.report, "frequency": row.frequency, "roles": row.roles,
              "user_ids": row.user_ids, **changes}
    roles, user_ids = _validate(session=session, report=merged["report"],
                                frequency=merged["frequency"], roles=merged["roles"],
                                user_ids=merged["user_ids"])
    row.report, row.frequency, row.roles, row.user_ids = (merged["report"], merged["frequency"],
                                                          roles, user_ids)
    if "active" in changes:
        row.active = bool(changes["active"])
    record_changes(session=session, actor=actor, record=row, entity="report_schedule",
                   before=before)
    session.commit()
    return row


@needs_actor
def delete_schedule(*, session: Session, actor: Actor, schedule_id: int) -> None:
    require(actor, Perm.SETTINGS_CHANGE)
    delete_record(session=session, actor=actor, record=_schedule(session, schedule_id),
                  entity="report_schedule")


# ---------------------------------------------------------------- when and to whom


def recipients(*, session: Session, schedule: ReportSchedule) -> list[User]:
    """Active users with the schedule's roles plus its named users, once each, who may see
    reports at all."""
    stmt = select(User).where(User.active == True)  # noqa: E712
    users = session.exec(stmt).all()
    wanted_roles, wanted_ids = set(schedule.roles or []), set(schedule.user_ids or [])
    chosen = [u for u in users if u.role in wanted_roles or u.id in wanted_ids]
    return sorted((u for u in chosen if has_perm(u, Perm.REPORTS_VIEW)), key=lambda u: u.id)


def is_due(schedule: ReportSchedule, now: datetime) -> bool:
    """Due once per calendar month (monthly) or ISO week (weekly), Madrid time."""
    if not schedule.active:
        return False
    if schedule.last_sent_at is None:
        return True
    last, today = to_local(schedule.last_sent_at).date(), to_local(now).date()
    if schedule.frequency == "weekly":
        return last.isocalendar()[:2] < today.isocalendar()[:2]
    return (last.year, last.month) < (today.year, today.month)


def report_month(schedule: ReportSchedule, now: datetime) -> date:
    """The month the delivery reports on (first day): the month just closed for a monthly
    schedule; the month of yesterday (month to date) for a weekly one."""
    today = to_local(now).date()
    if schedule.frequency == "weekly":
        return (today - timedelta(days=1)).replace(day=1)
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


# ---------------------------------------------------------------- delivery


def deliver_due_reports(*, session: Session, now: datetime,
                        con: duckdb.DuckDBPyConnection | None = None,
                        send: Callable[..., Any] | None = None,
                        settings: Any | None = None) -> list[dict[str, Any]]:
    """Send every due schedule's report to each recipient, in the recipient's own scope.

    One e-mail per recipient with the PDF attached. A failure for one recipient is logged and
    reported in the result without stopping the others; a schedule is marked sent
    (``last_sent_at = now``) when at least one recipient got it. Returns one dict per
    recipient: schedule_id, user_id, email, month, status (``sent``/``failed``), error.
    """
    if send is None:
        send = mailer.send_email
        # The company's SMTP server (Ajustes → Empresa) when it has one, else CRM_SMTP_*;
        # a password that no longer decrypts fails each recipient with its message below.
        if settings is None:
            try:
                settings = org_service.mail_settings(session=session)
            except DomainError as exc:
                settings = exc
    due = [s for s in session.exec(select(ReportSchedule).where(
        ReportSchedule.active == True)).all() if is_due(s, now)]  # noqa: E712
    if not due:
        return []
    org = session.exec(select(Organisation)).first()
    org_name = org.legal_name if org and org.legal_name else "CRM"
    own_con = con is None
    con = con or analytics_service.open_reader()
    results: list[dict[str, Any]] = []
    try:
        for schedule in due:
            month = report_month(schedule, now)
            label = month_name(month.month, month.year)
            sent = 0
            for user in recipients(session=session, schedule=schedule):
                result = {"schedule_id": schedule.id, "user_id": user.id, "email": user.email,
                          "month": month.strftime("%Y-%m"), "status": "sent", "error": ""}
                try:
                    scope = analytics_service.scope_for(user)
                    scope_text = analytics_service.scope_label(scope, session=session)
                    pdf = render_monthly_report(user=user, month=month, con=con, now=now,
                                                scope_label=scope_text)
                    if isinstance(settings, DomainError):
                        raise settings
                    kwargs = {"settings": settings} if settings is not None else {}
                    send(to=[user.email],
                         subject=t("analytics.report.mail_subject", month=label,
                                   scope=scope_text),
                         body=t("analytics.report.mail_body", name=user.name, month=label,
                                scope=scope_text, org=org_name),
                         attachments=[(f"informe-{month:%Y-%m}-{_slug(scope_text)}.pdf", pdf,
                                       "application/pdf")], **kwargs)
                    sent += 1
                except Exception as exc:  # one bad address must not stop the others
                    log.exception("report delivery failed for %s", user.email)
                    result.update(status="failed", error=str(exc)[:300])
                results.append(result)
            if sent:
                schedule.last_sent_at = now
                session.add(schedule)
                session.commit()
    finally:
        if own_con:
            con.close()
    return results


def _slug(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in plain).split()) or "informe"
