"""The agenda screen's handlers: a slot opens "Nuevo evento" at its hour, the event lands on
the grid, a drop moves it, a comercial cannot toggle a calendar not on offer, and the ICS
link is shown and regenerated."""

from __future__ import annotations

from state_harness import run, tab

from pages.agenda import AgendaState


def test_a_slot_a_new_event_a_drop_and_the_feed(session, people):
    me = people.comercial1
    s = tab(AgendaState, me, path="/agenda", query={"vista": "week", "fecha": "2030-01-09"})
    run(s.load())
    assert s.title == "7/01 – 13/01/2030" and len(s.days) == 7
    assert [c["key"] for c in s.calendars] == ["me"] and s.events == []
    run(s.new_at("2030-01-08", "10:00"))
    assert s.new_open and s.new_start == "2030-01-08T10:00" and s.new_end == "2030-01-08T11:00"
    run(s.create())
    assert s.new_errors == {"subject": "Obligatorio."} and s.new_open  # nothing written
    s.new_subject = "Visita"
    run(s.create())
    assert not s.new_open
    [event] = s.events
    assert (event["day"], event["start"], event["end"]) == ("2030-01-08", "10:00", "11:00")
    run(s.drag_start(event["id"]))
    run(s.drop_on("2030-01-10", "15:00"))
    [event] = s.events
    assert (event["day"], event["start"]) == ("2030-01-10", "15:00") and not s.dragging
    run(s.toggle_calendar("me"))
    assert s.hidden == "me=0" and s.events == [] and s.calendars[0]["shown"] == ""
    run(s.toggle_calendar("team"))  # not on offer for a comercial: nothing changes
    assert s.hidden == "me=0"
    run(s.set_view("month"))
    assert s.title == "Enero de 2030" and len(s.days) == 42 and s.days[0]["date"] == "2029-12-31"
    run(s.open_day("2030-01-10"))
    assert s.view == "day" and [d["date"] for d in s.days] == ["2030-01-10"]
    run(s.show_feed())
    first = s.feed_url
    assert s.feed_open and first.endswith(".ics")
    run(s.regenerate_feed())
    assert s.feed_url != first
