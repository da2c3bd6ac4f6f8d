"""Analytics service: who may see which scope, and the snapshot the dashboards read.

``scope_for`` is the ONE place that turns a user (and what they ask for) into an
``analytics.scope.Scope``; pages, the API, the PDF report and the scheduled e-mails all go
through it, so a comercial can never compute a team or company figure, whatever the request.

Rules (``Perm.REPORTS_VIEW`` is needed for any of them):

* comercial: only ``own``; asking for ``team`` or ``company`` (or another user or a team)
  raises ``PermissionDenied`` (the API answers 403; we do not silently downgrade, so a client
  never shows an "empresa" title over personal figures);
* manager: ``own`` or ``team`` (their own team); a manager without a team gets ``own``;
* director and admin (``Perm.REPORTS_COMPANY``): anything, including a specific team
  (``team_id``) or a specific user (``user_id``).

Filters (channel, owner, team...) are separate and only ever narrow a scope.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import duckdb
from sqlalchemy import update
from sqlmodel import Session, select

from analytics import kpis, periods
from analytics import snapshot as snap
from analytics.scope import Filters, Scope
from crm_app import db
from crm_app.formatting import date_es, datetime_es, time_es, to_local
from crm_app.i18n import t
from crm_app.models import Alert, Opportunity, Role, Team, User
from crm_app.permissions import Perm, PermissionDenied, has_perm, require, restrict, scope_of
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.audit import jsonable as _jsonable
from crm_app.services.custom_fields import parse_date
from crm_app.services.errors import DomainError, ValidationFailed

log = logging.getLogger(__name__)

SCOPE_ALIASES = {"me": "own", "own": "own", "mine": "own", "team": "team", "company": "company"}


def scope_for(user: User, requested: str | None = None, *, team_id: int | None = None,
              user_id: int | None = None) -> Scope:
    """The analytics scope ``user`` gets for ``requested`` (me|own|team|company or None for
    the widest the role allows), optionally a specific team or user (directors and admins;
    a manager may name their own team). Raises ``PermissionDenied``."""
    require(user, Perm.REPORTS_VIEW)
    widest = scope_of(user)
    company_ok = has_perm(user, Perm.REPORTS_COMPANY) and widest == "company"
    if requested is not None and requested not in SCOPE_ALIASES:
        raise ValidationFailed({"scope": "Usa me, team o company."})
    kind = SCOPE_ALIASES.get(requested or "")
    if user_id is not None:
        if user_id == user.id:
            return Scope.own(user.id)
        if company_ok:
            return Scope.own(user_id)
        raise PermissionDenied("No puedes ver los informes de otro usuario.")
    if team_id is not None and kind in (None, "team"):
        if company_ok or (widest == "team" and team_id == user.team_id):
            return Scope.team(team_id)
        raise PermissionDenied("No puedes ver los informes de otro equipo.")
    kind = kind or widest
    if kind == "company":
        if not company_ok:
            raise PermissionDenied("Solo dirección y administración ven los datos de la empresa.")
        return Scope.company()
    if kind == "team":
        if widest == "own":
            raise PermissionDenied("Solo los jefes de equipo y dirección ven datos de equipo.")
        if user.team_id is None:
            if widest == "team":
                return Scope.own(user.id)
            raise ValidationFailed({"team_id": "Indica el equipo."})
        return Scope.team(user.team_id)
    return Scope.own(user.id)


def scope_label(scope: Scope, *, session: Session | None = None,
                team_name: str | None = None, user_name: str | None = None) -> str:
    """``Empresa``, ``Equipo Norte``, ``Ana García`` (names looked up if a session is given)."""
    if scope.kind == "company":
        return t("analytics.scope.company")
    if scope.kind == "team":
        if team_name is None and session is not None:
            team = session.get(Team, scope.team_id)
            team_name = team.name if team else str(scope.team_id)
        name = team_name or ""
        # Teams are often named "Equipo Norte": do not print "Equipo Equipo Norte".
        if name.lower().startswith(t("analytics.scope.team", name="").strip().lower()):
            return name
        return t("analytics.scope.team", name=name)
    if user_name is None and session is not None:
        person = session.get(User, scope.user_id)
        user_name = person.name if person else str(scope.user_id)
    return t("analytics.scope.own", name=user_name or "")


# ---------------------------------------------------------------- the snapshot


def database_url() -> str:
    """The URL of the app's database, as the engine in use sees it (tests swap the engine)."""
    return db.get_engine().url.render_as_string(hide_password=False)


class SnapshotFailed(DomainError):
    """A snapshot build failed; the last good snapshot (if any) is still the one served."""


ALERT_KIND = "analytics_snapshot"


def ensure_snapshot() -> snap.SnapshotInfo:
    """The current snapshot, built now from the app's database if there is none."""
    info = snap.snapshot_info()
    return info if info is not None else _build()


def _build() -> snap.SnapshotInfo:
    """Build the snapshot; on failure log it (no secrets), alert the admins once and raise
    ``SnapshotFailed`` (its cause left out: a driver's message may hold the database URL); on
    success close those alerts."""
    url = database_url()
    try:
        info = snap.build_snapshot(database_url=url)
    except Exception as exc:  # noqa: BLE001 - every failure is reported the same way
        status = snap.build_status()
        error = status.error if status and not status.ok else snap.describe_error(exc, url)
        failures = status.failures if status and not status.ok else 1
        good = snap.snapshot_info()
        log.error("analytics snapshot build failed (%d in a row; serving %s): %s", failures,
                  good.version if good else "nothing", error)
        _alert_admins(status, error)
        raise SnapshotFailed(t("snapshot_health.failed" if good else
                               "snapshot_health.failed_first")) from None
    _resolve_alerts()
    return info


def _alert_admins(status: snap.BuildStatus | None, error: str) -> None:
    """One open alert per active admin while the builds keep failing (a retry every few
    minutes adds none); the database itself may be what failed, so this never raises."""
    since = status.failed_since if status and status.failed_since else datetime.now(UTC)
    good = status.last_good_at if status else None
    message = t("snapshot_health.alert", since=datetime_es(since),
                good=datetime_es(good) if good else t("snapshot_health.none"), error=error)
    try:
        with db.session_scope() as session:
            admins = session.exec(select(User).where(User.role == Role.ADMIN,
                                                     User.active == True)).all()  # noqa: E712
            alerted = set(session.exec(select(Alert.owner_id).where(
                Alert.kind == ALERT_KIND, Alert.resolved_at.is_(None))).all())  # type: ignore[union-attr]
            for admin in admins:
                if admin.id not in alerted:
                    session.add(Alert(kind=ALERT_KIND, severity="critical",
                                      message=message[:300], owner_id=admin.id,
                                      team_id=admin.team_id))
    except Exception as exc:  # noqa: BLE001
        log.error("could not raise the snapshot alert: %s", type(exc).__name__)


def _resolve_alerts() -> None:
    """A build went through: the open snapshot alerts are resolved (one UPDATE)."""
    try:
        with db.session_scope() as session:
            session.execute(update(Alert).where(Alert.kind == ALERT_KIND,
                                                Alert.resolved_at.is_(None))  # type: ignore[union-attr]
                            .values(resolved_at=datetime.now(UTC)))
    except Exception as exc:  # noqa: BLE001 - the snapshot itself is fine
        log.error("could not resolve the snapshot alerts: %s", type(exc).__name__)


def snapshot_warning(built_at: datetime) -> str:
    """The warning a dashboard shows over a snapshot built at ``built_at`` when the builds
    after it failed: since when, and the time of the data shown (Madrid, dd/mm/aaaa HH:MM).
    Empty when the last build went well."""
    status = snap.build_status()
    if status is None or status.ok or status.at <= built_at:
        return ""
    return t("snapshot_health.warning", since=datetime_es(status.failed_since or status.at),
             good=datetime_es(built_at))


@needs_actor
def rebuild_snapshot(*, actor: Actor) -> snap.SnapshotInfo:
    """Rebuild the snapshot now (managers, directors, admins; ``actors.SYSTEM`` for the jobs)."""
    if not has_perm(actor, Perm.REPORTS_VIEW):  # the asesor reads no analytics
        raise PermissionDenied()
    if scope_of(actor) == "own":
        raise PermissionDenied("Solo jefes de equipo, dirección y administración pueden "
                               "actualizar los datos.")
    if not actor.active:
        raise PermissionDenied()
    return _build()


def open_reader() -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current snapshot (built first if missing)."""
    ensure_snapshot()
    return snap.open_snapshot()


@contextmanager
def reading() -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only snapshot connection for one computation (built first if missing), closed
    when it ends; run it in a worker thread, never on the UI's event loop."""
    con = open_reader()
    try:
        yield con
    finally:
        con.close()


def snapshot_label(built_at: datetime, now: datetime | None = None) -> str:
    """``Datos de las 10:42`` (today) or ``Datos del 26/11/2026 a las 10:42``, Madrid time."""
    now = now or datetime.now(UTC)
    if to_local(built_at).date() == to_local(now).date():
        return t("analytics.snapshot_at", time=time_es(built_at))
    return t("analytics.snapshot_at_day", date=date_es(built_at), time=time_es(built_at))


def opportunity_names(*, session: Session, user: User, ids: list[int]) -> dict[int, str]:
    """Names for a page of drill-down rows (kept out of the snapshot: 1M unique strings),
    read through ``restrict`` so they follow the same row rules as every list."""
    if not ids:
        return {}
    stmt = restrict(select(Opportunity.id, Opportunity.name).where(Opportunity.id.in_(ids)),
                    user)
    return {row[0]: row[1] for row in session.exec(stmt).all()}


DRILL_MAX_ROWS = 10_000  # the most a drill-down list exports


@needs_actor
def opportunities_behind(*, session: Session, actor: Actor, status: str, start: date, end: date,
                         filters: dict[str, Any] | None = None, offset: int = 0,
                         limit: int = 20) -> tuple[list[dict[str, Any]], int]:
    """One page of the opportunities behind a figure of ``actor``'s dashboards (the scope
    their role gets, narrowed by ``filters``), newest closed first for closed deals, largest
    first otherwise, with their names read through ``restrict``. Reads the snapshot: call it
    from a worker thread."""
    scope = scope_for(actor)
    with reading() as con:
        result = kpis.opportunities_list(
            con, scope, periods.custom(start, end), Filters(**(filters or {})), status=status,
            offset=max(0, int(offset)), limit=max(1, min(int(limit), DRILL_MAX_ROWS)),
            order="closed_desc" if status in ("won", "lost", "closed") else "amount_desc")
    names = opportunity_names(session=session, user=actor,
                              ids=[i["opportunity_id"] for i in result["items"]])
    for item in result["items"]:
        item["name"] = names.get(item["opportunity_id"], "")
    return result["items"], result["total"]


def report_dates(*, kind: str, ref: str = "", start: str = "", end: str = "",
                 today: date) -> tuple[date, date | None, date | None]:
    """The dates of a report request as typed (``dd/mm/aaaa`` or ISO): (reference day, from,
    to); from and to only for a custom range, within ``periods.MAX_RANGE_DAYS``. Errors are
    field errors named like the form's fields: ``ref_date``, ``date_from``, ``date_to``."""
    errors: dict[str, str] = {}

    def read(text: str, name: str) -> date | None:
        if not str(text or "").strip():
            return None
        try:
            return parse_date(text)
        except ValueError:
            errors[name] = t("aui.period.bad_date")
            return None

    if kind not in periods.REPORT_KINDS:
        raise ValidationFailed({"period": t("aui.period.bad_date")})
    if kind != "custom":
        day = read(ref, "ref_date")
        if errors:
            raise ValidationFailed(errors)
        return day or today, None, None
    first, last = read(start, "date_from"), read(end, "date_to")
    for name, value in (("date_from", first), ("date_to", last)):
        if value is None and name not in errors:
            errors[name] = t("aui.period.bad_date")
    if errors:
        raise ValidationFailed(errors)
    assert first is not None and last is not None
    try:
        periods.bounded(first, last)
    except periods.PeriodError as exc:
        raise ValidationFailed({"date_to": t(f"aui.period.{exc.code}")}) from None
    return today, first, last


def jsonable(value: Any) -> Any:
    """Decimals as strings, dates and times as ISO text, recursively."""
    return _jsonable(value)
