"""/agenda: day, week and month over several calendars (``services.agenda``).

The screen holds only what is on it: the calendars on offer (with shown/hidden; the hidden
keys are remembered in the browser, ``localStorage``), the period's days and its events as
plain dicts with their position already computed (Madrid time). Clicking an empty slot opens
"Nuevo evento" at that hour; an event opens its card (its record, the record's documents, and
"Mover" to another day and time); on desktops an event can be dragged onto another slot.
Phones get the same period as a list. ``/agenda?vista=day|week|month&fecha=aaaa-mm-dd``
opens a given view and period.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import reflex as rx

from crm_app.formatting import TZ
from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import agenda as agenda_service
from crm_app.state import AppState, Ctx, handler
from crm_app.state_mixins.account_picker import AccountPickerMixin

VIEWS = ("day", "week", "month")
FIRST_HOUR, LAST_HOUR = 7, 21  # the grid's rows; earlier/later events sit at its edges
SLOT_PX = 48  # one hour
MONTH_CELL_EVENTS = 3
DAY_NAMES = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre")
KINDS = ("meeting", "task", "call")
NO_CALENDAR = "none"


def period(view: str, anchor: date) -> tuple[date, date]:
    """[first, last) days the view shows around ``anchor``."""
    if view == "day":
        return anchor, anchor + timedelta(days=1)
    if view == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return monday, monday + timedelta(days=7)
    first = anchor.replace(day=1)
    start = first - timedelta(days=first.weekday())
    return start, start + timedelta(days=42)


def step(view: str, anchor: date, direction: int) -> date:
    if view == "day":
        return anchor + timedelta(days=direction)
    if view == "week":
        return anchor + timedelta(days=7 * direction)
    month = anchor.month - 1 + direction
    return date(anchor.year + month // 12, month % 12 + 1, 1)


def title_of(view: str, anchor: date) -> str:
    first, last = period(view, anchor)
    if view == "day":
        return f"{DAY_NAMES[anchor.weekday()]} {anchor.day} de {MONTHS[anchor.month - 1]} " \
               f"de {anchor.year}"
    if view == "week":
        end = last - timedelta(days=1)
        return f"{first.day}/{first.month:02d} – {end.day}/{end.month:02d}/{end.year}"
    return f"{MONTHS[anchor.month - 1].capitalize()} de {anchor.year}"


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), TZ).astimezone(UTC)


def hhmm(value: datetime) -> str:
    return value.astimezone(TZ).strftime("%H:%M")


def input_value(value: datetime) -> str:
    """A ``datetime-local`` input's value (Madrid)."""
    return value.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


def event_row(e: dict[str, Any], names: dict[str, str]) -> dict[str, str]:
    """One event as the screen shows it (strings only), with its place on the day grid."""
    start = e["start"].astimezone(TZ)
    end = (e["end"] or e["start"]).astimezone(TZ)
    minutes = start.hour * 60 + start.minute - FIRST_HOUR * 60
    span = (LAST_HOUR - FIRST_HOUR) * 60
    top = min(max(minutes, 0), span - 30)
    length = max(int((end - start).total_seconds() // 60), 30)
    height = max(min(length, span - top), 24)
    record = e.get("record") or {}
    return {"id": str(e["id"]), "subject": e["subject"], "kind": t(f"activity.kind.{e['kind']}"),
            "day": start.date().isoformat(), "start": hhmm(start),
            "end": hhmm(end) if e["end"] else "",
            "when": f"{start.day:02d}/{start.month:02d}/{start.year} {hhmm(start)}"
                    + (f"–{hhmm(end)}" if e["end"] else ""),
            "start_input": input_value(start), "end_input": input_value(end) if e["end"] else "",
            "top": f"{top * SLOT_PX // 60}px", "height": f"{height * SLOT_PX // 60 - 2}px",
            "colour": e["colour"], "calendar": names.get(e["calendar"], ""),
            "location": e.get("location") or "", "owner": e.get("owner") or "",
            "done": "1" if e["done"] else "", "editable": "1" if e["editable"] else "",
            "record_name": record.get("name", ""), "record_url": record.get("url", ""),
            "documents_url": record.get("documents_url", "")}


class AgendaState(AccountPickerMixin, AppState):
    view: str = "week"
    anchor: str = ""  # ISO date (Madrid) the period is around
    title: str = ""
    calendars: list[dict[str, str]] = []
    # "key=1,key=0": the calendars shown/hidden by hand, remembered in the browser
    hidden: str = rx.LocalStorage("", name="crm_agenda_calendars", sync=True)
    days: list[dict[str, str]] = []  # the grid's columns (day/week) or the month's 42 cells
    hours: list[str] = [f"{h:02d}:00" for h in range(FIRST_HOUR, LAST_HOUR)]
    events: list[dict[str, str]] = []
    truncated: bool = False
    loading: bool = False
    dragging: bool = False
    _drag_id: str = ""
    # the new-event dialog
    new_open: bool = False
    new_kind: str = "meeting"
    new_subject: str = ""
    new_start: str = ""
    new_end: str = ""
    new_location: str = ""
    new_calendar: str = NO_CALENDAR
    new_errors: dict[str, str] = {}
    saving: bool = False
    shared_options: list[dict[str, str]] = []
    # the event card (and its "Mover")
    card_open: bool = False
    card: dict[str, str] = {}
    move_start: str = ""
    move_end: str = ""
    move_errors: dict[str, str] = {}
    # the private ICS feed
    feed_open: bool = False
    feed_url: str = ""

    # --- loading --------------------------------------------------------------------------

    def _anchor(self) -> date:
        try:
            return date.fromisoformat(self.anchor)
        except ValueError:
            return datetime.now(TZ).date()

    def _choices(self) -> dict[str, bool]:
        """The calendars the user has shown (``True``) or hidden (``False``) by hand; the
        others keep their default (theirs and the shared ones shown, the team's hidden)."""
        out: dict[str, bool] = {}
        for part in str(self.hidden or "").split(",")[:100]:
            key, _, flag = part.partition("=")
            if key and flag in ("0", "1"):
                out[key[:20]] = flag == "1"
        return out

    def _reload(self, ctx: Ctx) -> None:
        offered = agenda_service.calendars_for(session=ctx.session, actor=ctx.user)
        choices = self._choices()
        self.calendars = [{"key": c["key"], "name": c["name"], "colour": c["colour"],
                           "kind": c["kind"],
                           "shown": "1" if choices.get(c["key"], c["default"]) else ""}
                          for c in offered]
        self.shared_options = [{"value": NO_CALENDAR, "label": t("agenda.field.calendar_none")},
                               *[{"value": c["key"].split(":", 1)[1], "label": c["name"]}
                                 for c in offered if c["kind"] == "shared"]]
        anchor = self._anchor()
        self.anchor = anchor.isoformat()
        self.title = title_of(self.view, anchor)
        first, last = period(self.view, anchor)
        today = datetime.now(TZ).date()
        self.days = [{"date": d.isoformat(),
                      "label": f"{DAY_NAMES[d.weekday()]} {d.day}",
                      "long": f"{DAY_NAMES[d.weekday()]} {d.day}/{d.month:02d}",
                      "today": "1" if d == today else "",
                      "other_month": "1" if self.view == "month" and d.month != anchor.month
                      else ""}
                     for d in (first + timedelta(days=i) for i in range((last - first).days))]
        keys = [c["key"] for c in self.calendars if c["shown"]]
        out = agenda_service.list_events(session=ctx.session, actor=ctx.user,
                                         start=local_midnight(first), end=local_midnight(last),
                                         calendars=keys)
        names = {c["key"]: c["name"] for c in offered}
        self.events = [event_row(e, names) for e in out["events"]]
        self.truncated = out["truncated"]

    @handler(Perm.RECORDS_VIEW, guarded=True)
    def load(self, ctx: Ctx) -> None:
        query = self.router.url.query_parameters
        wanted = str(query.get("vista", "") or "")
        if wanted in VIEWS:
            self.view = wanted
        try:  # ?fecha=2026-12-09 opens the period around that day
            self.anchor = date.fromisoformat(str(query.get("fecha", "") or "")[:10]).isoformat()
        except ValueError:
            self.anchor = self.anchor or datetime.now(TZ).date().isoformat()
        self.new_open = self.card_open = self.feed_open = False
        self._reload(ctx)

    @handler(Perm.RECORDS_VIEW)
    def set_view(self, ctx: Ctx, view: str | list[str]) -> None:
        if isinstance(view, str) and view in VIEWS:
            self.view = view
            self._reload(ctx)

    @handler(Perm.RECORDS_VIEW)
    def go(self, ctx: Ctx, direction: int) -> None:
        """-1 previous period, 1 next, 0 today."""
        direction = max(-1, min(1, int(direction)))
        anchor = datetime.now(TZ).date() if direction == 0 else \
            step(self.view, self._anchor(), direction)
        self.anchor = anchor.isoformat()
        self._reload(ctx)

    @handler(Perm.RECORDS_VIEW)
    def open_day(self, ctx: Ctx, day: str) -> None:
        """A month cell's day number: that day's view."""
        try:
            self.anchor = date.fromisoformat(str(day)).isoformat()
        except ValueError:
            return
        self.view = "day"
        self._reload(ctx)

    @handler(Perm.RECORDS_VIEW)
    def toggle_calendar(self, ctx: Ctx, key: str) -> None:
        key = str(key)[:20]
        current = next((c for c in self.calendars if c["key"] == key), None)
        if current is None:
            return
        choices = self._choices()
        choices[key] = not current["shown"]
        self.hidden = ",".join(f"{k}={int(v)}" for k, v in sorted(choices.items()))[:2000]
        self._reload(ctx)

    # --- a new event ----------------------------------------------------------------------

    @handler(Perm.RECORDS_CHANGE)
    def new_at(self, ctx: Ctx, day: str, hour: str) -> None:
        """An empty slot clicked: "Nuevo evento" at that day and hour (an hour long)."""
        try:
            start = datetime.combine(date.fromisoformat(str(day)),
                                     time(max(0, min(23, int(str(hour)[:2]))), 0))
        except ValueError:
            return
        self.new_kind, self.new_subject, self.new_location = "meeting", "", ""
        self.new_calendar, self.new_errors = NO_CALENDAR, {}
        self.new_start = start.strftime("%Y-%m-%dT%H:%M")
        self.new_end = (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        self._set_account(ctx, None)
        self.new_open = True

    @rx.event
    def set_new_open(self, value: bool) -> None:
        self.new_open = bool(value)

    @rx.event
    def set_new_field(self, field: str, value: str) -> None:
        if field in ("kind", "subject", "start", "end", "location", "calendar"):
            setattr(self, f"new_{field}", str(value or "")[:300])

    @handler(Perm.RECORDS_CHANGE, errors="new_errors")
    def create(self, ctx: Ctx) -> Any:
        data: dict[str, Any] = {"kind": self.new_kind, "subject": self.new_subject,
                                "start": self.new_start, "end": self.new_end,
                                "location": self.new_location}
        if self.new_calendar != NO_CALENDAR:
            data["calendar_id"] = self.new_calendar
        if self.account_id:
            data["account_id"] = self.account_id
        with self._busy("saving"):
            yield
            agenda_service.create_event(session=ctx.session, actor=ctx.user, data=data)
            self.new_open = False
            self._reload(ctx)
        yield rx.toast.success(t("agenda.created"), id="agenda-created")

    # --- an event's card, moving it -----------------------------------------------------------

    @rx.event
    def open_card(self, event_id: str) -> None:
        found = next((e for e in self.events if e["id"] == str(event_id)), None)
        if found is None:
            return
        self.card = found
        self.move_start, self.move_end = found["start_input"], found["end_input"]
        self.move_errors = {}
        self.card_open = True

    @rx.event
    def set_card_open(self, value: bool) -> None:
        self.card_open = bool(value)

    @rx.event
    def set_move_field(self, field: str, value: str) -> None:
        if field in ("start", "end"):
            setattr(self, f"move_{field}", str(value or "")[:40])

    def _move(self, ctx: Ctx, event_id: str, data: dict[str, Any]) -> None:
        agenda_service.move_event(session=ctx.session, actor=ctx.user, activity_id=event_id,
                                  data=data)
        self._reload(ctx)

    @handler(Perm.RECORDS_CHANGE, errors="move_errors")
    def move(self, ctx: Ctx) -> Any:
        data: dict[str, Any] = {"start": self.move_start}
        if self.move_end:
            data["end"] = self.move_end
        with self._busy("saving"):
            yield
            self._move(ctx, self.card.get("id", ""), data)
            self.card_open = False
        yield rx.toast.success(t("agenda.moved"), id="agenda-moved")

    @rx.event
    def drag_start(self, event_id: str) -> None:
        self._drag_id = str(event_id)
        self.dragging = True

    @rx.event
    def drag_end(self) -> None:
        self.dragging = False

    @handler(Perm.RECORDS_CHANGE)
    def drop_on(self, ctx: Ctx, day: str, hour: str) -> Any:
        """An event dropped on a slot: it starts there (same length)."""
        self.dragging = False
        event_id, self._drag_id = self._drag_id, ""
        current = next((e for e in self.events if e["id"] == event_id), None)
        if current is None:
            return
        try:
            when = datetime.combine(date.fromisoformat(str(day)),
                                    time(max(0, min(23, int(str(hour)[:2]))), 0))
        except ValueError:
            return
        if current["start_input"] == when.strftime("%Y-%m-%dT%H:%M"):
            return
        self._move(ctx, event_id, {"start": when.strftime("%Y-%m-%dT%H:%M")})
        return rx.toast.success(t("agenda.moved"), id="agenda-moved")

    # --- the ICS feed -----------------------------------------------------------------------

    @handler(Perm.RECORDS_VIEW)
    def show_feed(self, ctx: Ctx) -> None:
        self.feed_url = agenda_service.feed_url(session=ctx.session, actor=ctx.user)
        self.feed_open = True

    @rx.event
    def set_feed_open(self, value: bool) -> None:
        self.feed_open = bool(value)

    @handler(Perm.RECORDS_VIEW)
    def regenerate_feed(self, ctx: Ctx) -> Any:
        self.feed_url = agenda_service.regenerate_feed(session=ctx.session, actor=ctx.user)
        return rx.toast.success(t("agenda.feed.regenerated"), id="agenda-feed-regenerated")


__all__ = ["AgendaState", "period", "step", "title_of"]
