""""Registrar llamada / reunión / nota" and "Nueva tarea" on a record's page (issue 13).

One dialog with kind chips (Llamada, Reunión, Correo, Nota, Tarea): a tap on "Registrar"
opens it on a call (subject pre-filled, only the outcome to write), a tap on "Guardar" logs
it — two taps at 390 px; "Nueva tarea" opens it on a task due later today. The page's
pending tasks (``record_activities``) are listed with a "Hecha" button.

``class XRecordState(ActivityLogMixin, RecordPageMixin, AppState)`` declares ``_log_link``
(the activity's link field: ``lead_id``, ``account_id``, ``opportunity_id``, ``quote_id``)
and calls ``self._load_activities(ctx)`` when it shows the record. The record's id comes from
``_log_record_id()`` (``record_id`` of ``RecordPageMixin`` unless overridden); after a save
``_after_log(ctx)`` shows the record again (its timeline), by default through ``_fill``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, ClassVar

import reflex as rx

from crm_app.formatting import TZ, datetime_es
from crm_app.i18n import t
from crm_app.models import utcnow
from crm_app.permissions import Perm, has_perm
from crm_app.services import activities as activity_service
from crm_app.services import lead_options
from crm_app.state import Ctx, events, handler, setter

LOG_KINDS = ("call", "meeting", "email", "note", "task")
REMINDERS = ("none", "0", "15", "60", "1440")
MAX_RECORD_ACTIVITIES = 20


def default_due(now: datetime | None = None) -> str:
    """"Later today": the next full hour in Madrid (at least 30 minutes ahead), or tomorrow
    at 09:00 once it is past 22:00; ``dd/mm/aaaa hh:mm``."""
    local = (now or utcnow()).astimezone(TZ)
    due = (local + timedelta(minutes=30)).replace(minute=0, second=0, microsecond=0) \
        + timedelta(hours=1)
    if due.date() != local.date() or local.hour >= 22:
        due = datetime.combine(local.date() + timedelta(days=1), time(9, 0), tzinfo=TZ)
    return due.strftime("%d/%m/%Y %H:%M")


def activity_rows(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """``activities.describe`` rows as display strings."""
    return [{"id": str(r["id"]), "subject": r["subject"],
             "kind": t(f"act.kind.{r['kind']}"), "kind_key": r["kind"],
             "due": datetime_es(r["due_at"]), "done": datetime_es(r["done_at"]),
             "overdue": "1" if r["overdue"] else "", "open": "1" if r["status"] == "open"
             else "", "owner": r["owner"], "outcome": r["outcome"]} for r in rows]


class ActivityLogMixin(rx.State, mixin=True):
    log_open: bool = False
    log_kind: str = "call"
    log_subject: str = ""
    log_outcome: str = ""
    log_notes: str = ""
    log_due: str = ""
    log_owner: str = ""
    log_reminder: str = "none"
    log_errors: dict[str, str] = {}
    log_saving: bool = False
    log_owner_options: list[dict[str, str]] = []
    record_activities: list[dict[str, str]] = []
    log_record_id: int = 0  # the page's record (0: a new, unsaved one, nothing to link yet)
    # What the dialog links to: the page's record, or one of its contacts.
    _log_target_field: str = ""
    _log_target_id: int = 0

    _log_link: ClassVar[str] = ""
    # Pages without a timeline (opportunity, quote) list the latest logged ones too.
    _log_done: ClassVar[int] = 0

    set_log_open = setter("log_open")
    set_log_subject = setter("log_subject", limit=200)
    set_log_outcome = setter("log_outcome", limit=200)
    set_log_notes = setter("log_notes", limit=10_000)
    set_log_due = setter("log_due", limit=40)
    set_log_owner = setter("log_owner", limit=12)
    set_log_reminder = setter("log_reminder", limit=8)

    # --- hooks ------------------------------------------------------------------------------------

    def _log_record_id(self) -> int:
        return int(getattr(self, "record_id", 0) or 0)

    def _after_log(self, ctx: Ctx) -> None:
        """Show the record again (its timeline, its pending tasks)."""
        fill = getattr(self, "_fill", None)
        if fill is not None:
            fill(ctx)
        else:
            self._load_activities(ctx)

    # --- helpers ----------------------------------------------------------------------------------

    def _load_activities(self, ctx: Ctx) -> None:
        """The record's pending tasks (due first), and the latest ``_log_done`` logged ones."""
        rid = self.log_record_id = self._log_record_id()
        if not rid or not self._log_link or not has_perm(ctx.user, Perm.RECORDS_VIEW):
            self.record_activities = []
            return
        page = activity_service.list_activities(
            session=ctx.session, actor=ctx.user, status="open", limit=MAX_RECORD_ACTIVITIES,
            **{self._log_link: rid})
        rows = list(page.items)
        if self._log_done:
            rows += activity_service.list_activities(
                session=ctx.session, actor=ctx.user, status="done", limit=self._log_done,
                **{self._log_link: rid}).items
        self.record_activities = activity_rows(activity_service.describe(ctx.session, rows))

    def _log_defaults(self, kind: str) -> None:
        self.log_kind = kind if kind in LOG_KINDS else "call"
        self.log_subject = t(f"act.log.default.{self.log_kind}")
        self.log_outcome = self.log_notes = ""
        self.log_due = default_due() if self.log_kind == "task" else ""
        self.log_reminder = "none"
        self.log_errors = {}

    # --- events -----------------------------------------------------------------------------------

    @handler(Perm.RECORDS_CHANGE)
    def open_log(self, ctx: Ctx, kind: str) -> None:
        """"Registrar" (a call) or "Nueva tarea": the dialog on that kind, for the page's
        record."""
        self._open_log(ctx, kind, self._log_link, self._log_record_id())

    @handler(Perm.RECORDS_CHANGE)
    def open_contact_log(self, ctx: Ctx, contact_id: str) -> None:
        """"Registrar" on one of a customer's contacts: a call with that person."""
        self._open_log(ctx, "call", "contact_id",
                       int(contact_id) if str(contact_id).isdigit() else 0)

    def _open_log(self, ctx: Ctx, kind: str, field: str, record_id: int) -> None:
        self._log_target_field, self._log_target_id = field, record_id
        self._log_defaults(kind)
        users = lead_options.assignable_users(session=ctx.session, actor=ctx.user)
        self.log_owner_options = [{"value": str(u.id), "label": u.name} for u in users]
        self.log_owner = str(ctx.user.id)
        self.log_open = True

    @rx.event
    def pick_log_kind(self, kind: str | list[str]) -> None:
        """A kind chip: its default subject (unless one was typed) and, for a task, a due
        date."""
        kind = str(kind)
        if kind not in LOG_KINDS:
            return
        defaults = {t(f"act.log.default.{k}") for k in LOG_KINDS}
        typed = self.log_subject.strip() and self.log_subject not in defaults
        self.log_kind = kind
        if not typed:
            self.log_subject = t(f"act.log.default.{kind}")
        if kind == "task" and not self.log_due:
            self.log_due = default_due()
        self.log_errors = {}

    @handler(Perm.RECORDS_CHANGE, errors="log_errors")
    def save_log(self, ctx: Ctx) -> Any:
        """Log the activity (done now) or create the task; the page shows it at once."""
        task = self.log_kind == "task"
        data: dict[str, Any] = {
            "kind": self.log_kind, "subject": self.log_subject, "notes": self.log_notes,
            (self._log_target_field or self._log_link):
                self._log_target_id or self._log_record_id()}
        if self.log_kind in ("call", "meeting", "email"):
            data["outcome"] = self.log_outcome
        if task:
            data["due_at"] = self.log_due
            data["owner_id"] = self.log_owner or None
            if self.log_reminder != "none":
                data["reminder_minutes"] = self.log_reminder
        with self._busy("log_saving"):  # type: ignore[attr-defined]  # AppState's
            yield
            activity_service.create_activity(session=ctx.session, actor=ctx.user, data=data)
        self.log_open = False
        self._after_log(ctx)
        yield rx.toast.success(t("act.log.task_saved" if task else "act.log.saved"))

    @handler(Perm.RECORDS_CHANGE)
    def record_activity_done(self, ctx: Ctx, activity_id: str) -> Any:
        """"Hecha" on one of the record's pending tasks."""
        activity_service.complete_activity(session=ctx.session, actor=ctx.user,
                                           activity_id=int(activity_id)
                                           if str(activity_id).isdigit() else 0)
        self._after_log(ctx)
        return events(rx.toast.success(t("act.toast.done")))


__all__ = ["LOG_KINDS", "REMINDERS", "ActivityLogMixin", "activity_rows", "default_due"]
