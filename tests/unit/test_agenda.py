"""The agenda service (issue 13): calendars on offer per role, the scoped range read, events
created and moved (validated, audited), shared calendars, and the ICS feed parsed back with
``icalendar`` (UTC times, scoping, a regenerated token killing the old URL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar as ICalendar
from sqlmodel import Session, select

from crm_app.models import Account, Activity, AuditEvent, CalendarFeed, Lead, utcnow
from crm_app.permissions import PermissionDenied
from crm_app.services import agenda
from crm_app.services.errors import NotFound, TooManyRequests, ValidationFailed

MON = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # a Monday
WEEK = (MON, MON + timedelta(days=7))


def _act(session: Session, owner, subject: str, at: datetime, **kw) -> Activity:  # noqa: ANN001
    row = Activity(kind=kw.pop("kind", "meeting"), subject=subject, due_at=at,
                   owner_id=owner.id, team_id=owner.team_id, **kw)
    session.add(row)
    session.commit()
    return row


def _subjects(result: dict) -> set[str]:
    return {e["subject"] for e in result["events"]}


@pytest.fixture
def world(session: Session, people):  # noqa: ANN001, ANN201
    room = agenda.create_calendar(session=session, actor=people.admin,
                                  data={"name": "Sala de reuniones", "colour": "#12a594"})
    acme = Account(name="Acme Talleres", owner_id=people.comercial1.id,
                   team_id=people.comercial1.team_id)
    session.add(acme)
    session.commit()
    _act(session, people.comercial1, "c1 visita", MON + timedelta(hours=9), account_id=acme.id)
    _act(session, people.comercial2, "c2 llamada", MON + timedelta(hours=10), kind="call")
    _act(session, people.comercial3, "c3 sur", MON + timedelta(hours=11))
    _act(session, people.comercial1, "c1 sala", MON + timedelta(hours=12), calendar_id=room.id)
    _act(session, people.comercial2, "c2 sala", MON + timedelta(hours=13), calendar_id=room.id)
    _act(session, people.comercial1, "c1 fuera", MON + timedelta(days=20))
    return room, acme


def test_a_comercial_overlays_only_their_own_and_the_shared_calendars(session, people, world):
    room, acme = world
    offered = agenda.calendars_for(session=session, actor=people.comercial1)
    assert [c["key"] for c in offered] == ["me", f"shared:{room.id}"]
    out = agenda.list_events(session=session, actor=people.comercial1, start=WEEK[0],
                             end=WEEK[1])
    # a colleague's booking of the shared room is not theirs to read
    assert _subjects(out) == {"c1 visita", "c1 sala"}
    visit = next(e for e in out["events"] if e["subject"] == "c1 visita")
    assert visit["calendar"] == "me" and visit["record"]["url"] == f"/clientes/{acme.id}"
    assert visit["record"]["documents_url"] == f"/clientes/{acme.id}#documentos"
    assert visit["end"] - visit["start"] == timedelta(minutes=60)
    shared = next(e for e in out["events"] if e["subject"] == "c1 sala")
    assert shared["calendar"] == f"shared:{room.id}" and shared["colour"] == "#12a594"
    with pytest.raises(ValidationFailed) as exc:
        agenda.list_events(session=session, actor=people.comercial1, start=WEEK[0],
                           end=WEEK[1], calendars=["team"])
    assert "calendars" in exc.value.errors
    with pytest.raises(ValidationFailed):
        agenda.list_events(session=session, actor=people.comercial1, start=WEEK[0],
                           end=WEEK[1], calendars=[f"user:{people.comercial2.id}"])


def test_a_manager_overlays_the_team_and_each_member(session, people, world):
    room, _ = world
    keys = [c["key"] for c in agenda.calendars_for(session=session, actor=people.manager1)]
    assert keys == ["me", f"user:{people.comercial1.id}", f"user:{people.comercial2.id}",
                    "team", f"shared:{room.id}"]
    out = agenda.list_events(session=session, actor=people.manager1, start=WEEK[0],
                             end=WEEK[1], calendars=["team", f"shared:{room.id}"])
    assert _subjects(out) == {"c1 visita", "c2 llamada", "c1 sala", "c2 sala"}
    one = agenda.list_events(session=session, actor=people.manager1, start=WEEK[0],
                             end=WEEK[1], calendars=[f"user:{people.comercial2.id}"])
    assert _subjects(one) == {"c2 llamada"}
    assert one["events"][0]["calendar"] == f"user:{people.comercial2.id}"
    # another team's manager sees none of Norte's
    other = agenda.list_events(session=session, actor=people.manager2, start=WEEK[0],
                               end=WEEK[1], calendars=["team", f"shared:{room.id}"])
    assert _subjects(other) == {"c3 sur"}


def test_the_range_is_bounded(session, people, world):
    with pytest.raises(ValidationFailed) as exc:
        agenda.list_events(session=session, actor=people.admin, start=MON,
                           end=MON + timedelta(days=agenda.MAX_RANGE_DAYS + 1))
    assert "to" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        agenda.list_events(session=session, actor=people.admin, start="ayer", end=MON)
    assert "from" in exc.value.errors


def test_create_and_move_an_event(session, people, world):
    room, acme = world
    made = agenda.create_event(session=session, actor=people.comercial1, data={
        "subject": "Revisión de flota", "start": "2026-12-09T10:00", "account_id": acme.id,
        "calendar_id": room.id, "location": "Oficina"})
    # a time without offset is Madrid's: 10:00 CET is 09:00 UTC
    assert made.due_at == datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    assert made.ends_at == made.due_at + timedelta(hours=1) and made.kind == "meeting"
    moved = agenda.move_event(session=session, actor=people.comercial1, activity_id=made.id,
                              data={"start": "2026-12-10T16:30:00+01:00"})
    assert moved.due_at == datetime(2026, 12, 10, 15, 30, tzinfo=UTC)
    assert moved.ends_at - moved.due_at == timedelta(hours=1)  # kept its length
    actions = session.exec(select(AuditEvent.action).where(
        AuditEvent.entity == "activity", AuditEvent.entity_id == made.id)).all()
    assert actions == ["create", "reschedule"]
    # a colleague's event cannot be moved, nor even found
    with pytest.raises(NotFound):
        agenda.move_event(session=session, actor=people.comercial2, activity_id=made.id,
                          data={"start": "2026-12-11T10:00"})


def test_create_refuses_bad_input_per_field_and_writes_nothing(session, people, world):
    lead = Lead(first_name="Ana", company="Otra", owner_id=people.comercial3.id,
                team_id=people.comercial3.team_id)
    session.add(lead)
    session.commit()
    before = len(session.exec(select(Activity)).all())
    with pytest.raises(ValidationFailed) as exc:
        agenda.create_event(session=session, actor=people.comercial1, data={
            "subject": "", "start": "2026-12-09T10:00", "end": "2026-12-09T09:00",
            "lead_id": lead.id, "calendar_id": 999, "kind": "party"})
    assert set(exc.value.errors) == {"subject", "end", "lead_id", "calendar_id", "kind"}
    assert len(session.exec(select(Activity)).all()) == before


def test_shared_calendars_are_admins_and_archived_ones_leave_the_agenda(session, people,
                                                                         world):
    room, _ = world
    with pytest.raises(PermissionDenied):
        agenda.create_calendar(session=session, actor=people.manager1, data={"name": "X"})
    with pytest.raises(ValidationFailed) as exc:
        agenda.create_calendar(session=session, actor=people.admin,
                               data={"name": "sala de REUNIONES", "colour": "red"})
    assert set(exc.value.errors) == {"name", "colour"}
    agenda.update_calendar(session=session, actor=people.admin, calendar_id=room.id,
                           data={"active": False})
    keys = [c["key"] for c in agenda.calendars_for(session=session, actor=people.comercial1)]
    assert keys == ["me"]
    with pytest.raises(ValidationFailed) as exc:
        agenda.create_event(session=session, actor=people.comercial1, data={
            "subject": "x", "start": "2026-12-09T10:00", "calendar_id": room.id})
    assert "calendar_id" in exc.value.errors


def _feed(session: Session, url: str) -> ICalendar:
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    return ICalendar.from_ical(agenda.feed_ics(session=session, token=token, client="10.0.0.1"))


def test_the_ics_feed_parses_back_scoped_in_utc_and_dies_when_regenerated(session, people):
    now = utcnow().replace(microsecond=0)
    acme = Account(name="Acme Talleres", owner_id=people.comercial1.id,
                   team_id=people.comercial1.team_id)
    session.add(acme)
    session.commit()
    mine = _act(session, people.comercial1, "Visita Acme", now + timedelta(days=1),
                account_id=acme.id, ends_at=now + timedelta(days=1, hours=2),
                location="Zaragoza")
    _act(session, people.comercial2, "De otra persona", now + timedelta(days=1))
    url = agenda.feed_url(session=session, actor=people.comercial1)
    assert agenda.feed_url(session=session, actor=people.comercial1) == url  # shown again
    assert session.get(CalendarFeed, people.comercial1.id) is None  # reading wrote nothing
    cal = _feed(session, url)
    events = cal.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Reunión: Visita Acme"]
    event = events[0]
    assert str(event["UID"]) == f"activity-{mine.id}@127.0.0.1"
    assert event.decoded("DTSTART") == now + timedelta(days=1)
    assert event.decoded("DTSTART").tzinfo is not None
    assert event["DTSTART"].to_ical().endswith(b"Z")  # UTC, not floating
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=2)
    assert "Cliente: Acme Talleres" in str(event["DESCRIPTION"])
    assert f"/clientes/{acme.id}" in str(event["DESCRIPTION"])
    new = agenda.regenerate_feed(session=session, actor=people.comercial1)
    assert new != url and agenda.feed_url(session=session, actor=people.comercial1) == new
    row = session.get(CalendarFeed, people.comercial1.id)
    token = new.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in (row.token_seed, row.token_hash) and len(row.token_hash) == 64
    with pytest.raises(NotFound):
        _feed(session, url)
    assert len(_feed(session, new).walk("VEVENT")) == 1
    forged = f"{people.comercial2.id}-" + token.split("-", 1)[1]  # another user's id
    for bad in ("../../etc/passwd", forged, token[:-1] + ("0" if token[-1] != "0" else "1")):
        with pytest.raises(NotFound):
            agenda.feed_ics(session=session, token=bad)


def test_the_feed_is_rate_limited(session, people, monkeypatch):
    agenda._feed_store.cache_clear()
    monkeypatch.setattr(agenda, "FEED_PER_TOKEN", 2)
    url = agenda.feed_url(session=session, actor=people.comercial1)
    _feed(session, url)
    _feed(session, url)
    with pytest.raises(TooManyRequests):
        _feed(session, url)
    agenda._feed_store.cache_clear()


def test_the_screens_periods_and_an_events_place_on_the_grid():
    from datetime import date

    from pages.agenda.state import event_row, period, step, title_of

    assert period("week", date(2026, 12, 10)) == (date(2026, 12, 7), date(2026, 12, 14))
    first, last = period("month", date(2026, 12, 10))
    assert first == date(2026, 11, 30) and (last - first).days == 42
    assert step("month", date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert title_of("week", date(2026, 12, 10)) == "7/12 – 13/12/2026"
    row = event_row({"id": 5, "subject": "Visita", "kind": "meeting",
                     "start": datetime(2026, 12, 9, 9, 30, tzinfo=UTC),  # 10:30 Madrid
                     "end": datetime(2026, 12, 9, 11, 0, tzinfo=UTC), "colour": "#3e63dd",
                     "calendar": "me", "done": False, "editable": True, "record": None},
                    {"me": "Mi calendario"})
    assert (row["day"], row["start"], row["end"]) == ("2026-12-09", "10:30", "12:00")
    assert row["top"] == f"{(3 * 60 + 30) * 48 // 60}px"  # 3 h 30 min below 07:00
    assert row["height"] == f"{90 * 48 // 60 - 2}px"
    assert row["when"] == "09/12/2026 10:30–12:00" and row["calendar"] == "Mi calendario"


def test_wrong_tokens_count_against_the_address(session, people, monkeypatch):
    agenda._feed_store.cache_clear()
    monkeypatch.setattr(agenda, "FEED_PER_IP", 3)
    for i in range(3):
        with pytest.raises(NotFound):
            agenda.feed_ics(session=session, token=f"{i}-guess", client="10.9.9.9")
    with pytest.raises(TooManyRequests):
        agenda.feed_ics(session=session, token="9-guess", client="10.9.9.9")
    agenda._feed_store.cache_clear()


def test_the_feed_secrets_stay_out_of_the_data_export():
    from crm_app.models import CalendarFeed
    from crm_app.services import export_all

    secret = [c.name for c in CalendarFeed.__table__.columns
              if export_all.SECRET_NAME.search(c.name)]
    assert secret == ["token_seed", "token_hash"]
