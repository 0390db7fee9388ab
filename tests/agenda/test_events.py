"""Calendar events (seed 003 § 12): post-its on the planning that change no availability."""
from __future__ import annotations

from datetime import date, time
from html import unescape

import pytest
from sqlalchemy import select

from portal.agenda import planning
from portal.agenda.availability import free_slots
from portal.agenda.models import CalendarEvent, SecretaryRight
from portal.core.db import commit
from portal.core.errors import Invalid, NotFound
from portal.core.models import AuditEvent
from tests.agenda.conftest import OPERATOR
from tests.agenda.test_planning import MONDAY, second, week_url  # noqa: F401  (fixture)
from tests.conftest import csrf_from
from tests.notify.test_messages_page import parse


def add(week, **kw):
    values = {"practice": week.practice, "practitioner_id": week.practitioner.id, "starts_on": MONDAY,
              "ends_on": MONDAY, "title": "Réunion d'équipe", "actor": OPERATOR}
    return planning.add_event(**{**values, **kw})


def free(week, day=MONDAY):
    return [s.starts_at for s in free_slots(practice=week.practice, practitioner_id=week.practitioner.id, first=day,
                                            last=day)]


def test_events_are_added_changed_and_deleted_without_touching_free_slots(week, db):
    before = free(week)
    event = add(week, starts=time(9), ends=time(12), details="Salle 2", color="#56ccf2")
    commit()
    assert free(week) == before  # a post-it, not a block
    assert [e.id for e in planning.events_between(practice_id=week.practice.id, first=MONDAY, last=MONDAY)] == [event.id]
    planning.edit_event(event, practice=week.practice, practitioner_id=None, starts_on=MONDAY,
                        ends_on=date(2030, 11, 27), title="Formation", actor=OPERATOR)
    commit()
    assert (event.title, event.practitioner_id, event.starts, event.color) == ("Formation", None, None, "#f2c94c")
    assert planning.events_between(practice_id=week.practice.id, first=date(2030, 11, 27), last=date(2030, 11, 27),
                                   practitioner_ids=[week.practitioner.id]) == [event]
    planning.delete_event(event, actor=OPERATOR)
    commit()
    assert db.session.scalar(select(CalendarEvent)) is None and free(week) == before
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("agenda.event_%"))).all()
    assert sorted(actions) == ["agenda.event_added", "agenda.event_changed", "agenda.event_deleted"]


@pytest.mark.parametrize("kw, field", [
    ({"ends_on": date(2030, 11, 24)}, "ends_on"),
    ({"starts": time(10)}, "ends"),
    ({"starts": time(10), "ends": time(9)}, "ends"),
    ({"title": "  "}, "title"),
])
def test_bad_events_are_refused(week, kw, field):
    with pytest.raises(Invalid) as caught:
        add(week, **kw)
    assert caught.value.field == field


def test_an_event_of_another_practice_is_not_found(week, make_practice):
    other = make_practice()
    with pytest.raises(NotFound):
        planning.get_event(practice_id=other.id, event_id=add(week).id)


def test_staff_add_change_and_delete_an_event_from_the_week(auth, client, week, make_staff, second):  # noqa: F811
    auth.staff(make_staff(week.practice, "practitioner"))
    html = client.get(week_url(week)).get_data(as_text=True)
    r = client.post(f"/console/agenda/evenements?praticien={week.practitioner.id}&jour={MONDAY.isoformat()}", data={
        "csrf_token": csrf_from(html), "practitioner_id": "0", "title": "Réunion d'équipe",
        "starts_on": MONDAY.isoformat(), "ends_on": MONDAY.isoformat(), "starts": "12:30", "ends": "13:30",
        "details": "", "color": "#bb6bd9"}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "Événement « Réunion d'équipe » ajouté au planning." in parse(page).by_id("flash").text
    event = planning.events_between(practice_id=week.practice.id, first=MONDAY, last=MONDAY)[0]
    monday = parse(page).by_id(f"planning-day-{MONDAY.isoformat()}")
    assert "12:30–13:30 Réunion d'équipe" in monday.text and "event-purple" in page
    # for everyone: also on the other practitioner's week
    assert "Réunion d'équipe" in unescape(client.get(week_url(week, practitioner=second)).get_data(as_text=True))

    form = client.get(f"/console/agenda/evenements/{event.id}").get_data(as_text=True)
    filled = parse(form).by_id("agenda-event-form")
    assert filled.by_id("event-title").attrs["value"] == "Réunion d'équipe" and "Modifier l'événement" in filled.text
    r = client.post(f"/console/agenda/evenements/{event.id}?jour={MONDAY.isoformat()}", data={
        "csrf_token": csrf_from(form), "practitioner_id": str(week.practitioner.id), "title": "Réunion annulée",
        "starts_on": MONDAY.isoformat(), "ends_on": MONDAY.isoformat(), "starts": "", "ends": "", "details": "",
        "color": "#f2c94c"}, follow_redirects=True)
    assert "Événement « Réunion annulée » modifié." in r.get_data(as_text=True)
    assert "Réunion" not in client.get(week_url(week, practitioner=second)).get_data(as_text=True)

    r = client.post(f"/console/agenda/evenements/{event.id}/supprimer", data={"csrf_token": csrf_from(form)},
                    follow_redirects=True)
    assert "Événement « Réunion annulée » supprimé." in r.get_data(as_text=True)
    assert "Aucun événement cette semaine." in r.get_data(as_text=True)


def test_an_end_before_the_start_is_said_in_place_and_keeps_what_was_typed(auth, client, week, make_staff):
    auth.staff(make_staff(week.practice, "owner"))
    html = client.get(week_url(week)).get_data(as_text=True)
    r = client.post(f"/console/agenda/evenements?praticien={week.practitioner.id}&jour={MONDAY.isoformat()}", data={
        "csrf_token": csrf_from(html), "practitioner_id": str(week.practitioner.id), "title": "Séminaire",
        "starts_on": "2030-11-27", "ends_on": "2030-11-26", "starts": "", "ends": "", "details": "À Lyon",
        "color": "#6fcf97"})
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    form = parse(body).by_id("agenda-event-form")
    assert "La date de fin doit être le jour du début ou après." in form.text
    assert 'value="Séminaire"' in body and 'value="2030-11-26"' in body and "À Lyon" in body
    assert 'value="#6fcf97" selected' in body or 'selected value="#6fcf97"' in body
    assert planning.events_between(practice_id=week.practice.id, first=MONDAY, last=date(2030, 12, 1)) == []


def test_without_the_manage_right_events_are_read_only(auth, client, week, make_staff, db):
    event = add(week)
    commit()
    secretary = make_staff(week.practice, "secretary")  # no row: may see and book, not manage
    auth.staff(secretary)
    html = client.get(week_url(week)).get_data(as_text=True)
    assert "Réunion d&#39;équipe" in html and "agenda-event-form" not in html
    token = csrf_from(html)
    data = {"csrf_token": token, "practitioner_id": str(week.practitioner.id), "title": "X",
            "starts_on": MONDAY.isoformat(), "ends_on": MONDAY.isoformat(), "color": "#f2c94c"}
    assert client.post("/console/agenda/evenements", data=data).status_code == 403
    assert client.get(f"/console/agenda/evenements/{event.id}").status_code == 403
    assert client.post(f"/console/agenda/evenements/{event.id}/supprimer", data={"csrf_token": token}).status_code == 403
    db.session.add(SecretaryRight(practice_id=week.practice.id, staff_user_id=secretary.id,
                                  practitioner_id=week.practitioner.id, can_manage=True))
    commit()
    assert client.post("/console/agenda/evenements", data=data).status_code == 303


def test_the_day_page_shows_the_days_events(auth, client, week, make_staff, db):
    from portal.agenda import planning
    from tests.agenda.test_booking import MONDAY

    planning.add_event(practice=week.practice, practitioner_id=week.practitioner.id, starts_on=MONDAY,
                       ends_on=MONDAY, title="Livraison du fauteuil", actor=OPERATOR)
    db.session.commit()
    auth.staff(make_staff(week.practice, "secretary"))
    html = client.get(f"/console/agenda/?praticien={week.practitioner.id}&jour={MONDAY.isoformat()}").get_data(
        as_text=True)
    assert 'id="agenda-day-events"' in html and "Livraison du fauteuil" in html
