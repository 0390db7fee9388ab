"""Seeing the planning (seed 004): a week, everyone side by side, the past 30 days, holidays,
the colours, the self-refreshing region, rights, and a query count that ignores the volume."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import event

from portal.agenda import planning, services
from portal.agenda.models import SecretaryRight
from portal.core.db import commit
from portal.core.services import add_practitioner
from portal.extensions import db as _db
from tests.agenda.conftest import OPERATOR
from tests.conftest import csrf_from
from tests.notify.test_messages_page import parse

MONDAY = date(2030, 11, 25)
NOW = datetime(2030, 11, 25, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris, before the first visit


def at(week, day, hour, minute=0):
    return services.local_to_utc(week.practice, day, time(hour, minute))


def book(week, day, hour, minute=0, *, practitioner=None, kind=None, patient=None):
    return services.book_appointment(
        practice=week.practice, practitioner_id=(practitioner or week.practitioner).id,
        appointment_type_id=(kind or week.type).id, patient_id=(patient or week.patient).id,
        starts_at=at(week, day, hour, minute), actor=OPERATOR)


def week_url(week, day=MONDAY, practitioner=None):
    return f"/console/agenda/semaine?praticien={(practitioner or week.practitioner).id}&jour={day.isoformat()}"


def classes(element) -> set[str]:
    return set(element.attrs.get("class", "").split())


@pytest.fixture
def owner(week, make_staff):
    return make_staff(week.practice, "owner")


@pytest.fixture
def second(week):
    """Another practitioner of the practice, working Mondays 14:00-16:00 in 30-minute visits."""
    other = add_practitioner(week.practice, first_name="Paul", last_name="Bernard", actor=OPERATOR)
    kind = services.add_appointment_type(practitioner=other, name="Bilan", code="BIL", duration_minutes=30,
                                         actor=OPERATOR)
    schedule = services.create_schedule(practitioner=other, name="Lundis", actor=OPERATOR)
    services.add_range(schedule, weekday=0, starts=time(14), ends=time(16), appointment_type=kind, actor=OPERATOR)
    services.activate_schedule(schedule, starts_on=date(2026, 1, 1), ends_on=None, actor=OPERATOR)
    commit()
    other.kind = kind
    return other


def test_the_week_shows_today_bronze_later_green_and_counts_free_slots(auth, client, week, owner):
    with time_machine.travel(NOW):
        today = book(week, MONDAY, 9)
        later = book(week, MONDAY + timedelta(days=1), 9, 20)
        commit()
        auth.staff(owner)
        r = client.get(week_url(week, MONDAY + timedelta(days=2)))  # any day of the week shows the whole week
    assert r.status_code == 200
    page = parse(r.get_data(as_text=True))
    assert "planning-visit-today" in classes(page.by_id(f"planning-appointment-{today.id}"))
    assert "planning-visit-later" in classes(page.by_id(f"planning-appointment-{later.id}"))
    monday = page.by_id(f"planning-day-{MONDAY.isoformat()}")
    assert "planning-day-today" in classes(monday) and "Durand Zoé" in monday.text and "09:00" in monday.text
    assert "8 créneaux libres" in monday.text
    assert "9 créneaux libres" in page.by_id("planning-day-2030-11-27").text
    assert "Rien de prévu" in page.by_id("planning-day-2030-12-01").text  # Sunday
    assert page.by_id("planning-day-2030-12-02") is None  # the next Monday is another week


def test_a_long_holiday_is_one_band_and_a_short_block_shows_its_start_and_end(auth, client, week, owner):
    services.take_days_off(practice=week.practice, practitioner_id=week.practitioner.id,
                           first=MONDAY + timedelta(days=2), last=MONDAY + timedelta(days=12), actor=OPERATOR)
    services.block_time(practice=week.practice, practitioner_id=week.practitioner.id, starts_at=at(week, MONDAY, 10),
                        ends_at=at(week, MONDAY, 11), label="Réunion", actor=OPERATOR)
    commit()
    with time_machine.travel(NOW):
        auth.staff(owner)
        html = client.get(week_url(week)).get_data(as_text=True)
    page = parse(html)
    assert html.count("Congés du") == 1
    assert "Congés du mercredi 27 novembre au samedi 7 décembre 2030" in page.by_id("agenda-week").text
    for offset in range(2, 7):
        cell = page.by_id(f"planning-day-{(MONDAY + timedelta(days=offset)).isoformat()}")
        assert "planning-day-off" in classes(cell) and "créneau" not in cell.text
    monday = page.by_id(f"planning-day-{MONDAY.isoformat()}")
    block = next(li for li in monday.find_all("li") if "planning-unavailable" in classes(li))
    assert "10:00 → 11:00" in block.text and "Réunion" in block.text
    assert "6 créneaux libres" in monday.text


def test_everyone_side_by_side_for_a_day_and_a_week(auth, client, week, owner, second):
    with time_machine.travel(NOW):
        mine = book(week, MONDAY, 9)
        theirs = book(week, MONDAY, 14, practitioner=second, kind=second.kind)
        commit()
        auth.staff(owner)
        day = parse(client.get(f"/console/agenda/tous?jour={MONDAY.isoformat()}").get_data(as_text=True))
        weekly = parse(client.get(f"/console/agenda/tous/semaine?jour={MONDAY.isoformat()}").get_data(as_text=True))
    first, other = (day.by_id(f"planning-practitioner-{p.id}") for p in (week.practitioner, second))
    assert first.by_id(f"planning-appointment-{mine.id}") and not first.by_id(f"planning-appointment-{theirs.id}")
    assert other.by_id(f"planning-appointment-{theirs.id}") and "3 créneaux libres" in other.text
    row = weekly.by_id(f"planning-practitioner-{second.id}")
    assert len(row.find_all("td")) == 7 and row.by_id(f"planning-appointment-{theirs.id}")
    assert weekly.by_id(f"planning-practitioner-{week.practitioner.id}").by_id(f"planning-appointment-{mine.id}")


def test_a_secretary_does_not_see_an_agenda_hidden_from_her(auth, client, week, second, make_staff, db):
    secretary = make_staff(week.practice, "secretary")
    db.session.add(SecretaryRight(practice_id=week.practice.id, staff_user_id=secretary.id,
                                  practitioner_id=second.id, can_view=False))
    commit()
    auth.staff(secretary)
    assert client.get(week_url(week, practitioner=second)).status_code == 403
    assert client.get(f"/console/agenda/passe?praticien={second.id}").status_code == 403
    assert client.get(f"/console/agenda/conges?praticien={second.id}").status_code == 403
    day = parse(client.get(f"/console/agenda/tous?jour={MONDAY.isoformat()}").get_data(as_text=True))
    assert day.by_id(f"planning-practitioner-{week.practitioner.id}")
    assert day.by_id(f"planning-practitioner-{second.id}") is None
    html = client.get("/console/agenda/semaine").get_data(as_text=True)
    assert "Bernard" not in html and "Martin" in html


def test_the_last_30_days_newest_first_with_no_shows_on_top(auth, client, week, owner):
    tele = services.add_appointment_type(practitioner=week.practitioner, name="Téléconsultation", code="TEL",
                                         duration_minutes=20, teleconsultation=True, actor=OPERATOR)
    services.add_range(week.schedule, weekday=2, starts=time(14), ends=time(15), appointment_type=tele,
                       actor=OPERATOR)
    commit()
    with time_machine.travel(datetime(2030, 10, 1, 7, tzinfo=UTC)):
        too_old = book(week, date(2030, 10, 21), 9)  # 35 days before MONDAY
        oldest = book(week, date(2030, 11, 5), 9)
        missed = book(week, date(2030, 11, 12), 9)
        recent = book(week, date(2030, 11, 19), 9)
        video = book(week, date(2030, 11, 20), 14, kind=tele)
        upcoming = book(week, MONDAY, 9)
        commit()
    with time_machine.travel(datetime(2030, 11, 19, 10, tzinfo=UTC)):
        services.mark_no_show(missed, actor=OPERATOR)
        commit()
    with time_machine.travel(NOW):
        visits = planning.past_visits(practice=week.practice, practitioner_id=week.practitioner.id)
        assert [a.id for a in visits.attention] == [missed.id]
        assert [a.id for a in visits.visits] == [video.id, recent.id, oldest.id]
        auth.staff(owner)
        html = client.get(f"/console/agenda/passe?praticien={week.practitioner.id}").get_data(as_text=True)
    page = parse(html)
    rows = [tr.attrs["id"] for tr in page.find_all("tr") if tr.attrs.get("id", "").startswith("past-appointment-")]
    assert rows == [f"past-appointment-{i}" for i in (missed.id, video.id, recent.id, oldest.id)]
    assert "planning-no-show" in classes(page.by_id(f"past-appointment-{missed.id}"))
    assert "Téléconsultation" in page.by_id(f"past-appointment-{video.id}").text
    assert f"past-appointment-{too_old.id}" not in html and f"past-appointment-{upcoming.id}" not in html


def test_the_planning_region_refreshes_itself_alone(auth, client, week, owner):
    auth.staff(owner)
    full = client.get(week_url(week)).get_data(as_text=True)
    region = parse(full).by_id("agenda-week")
    assert region.attrs["hx-trigger"] == "every 30s" and region.attrs["hx-swap"] == "outerHTML"
    assert not region.find_all("form") and not region.find_all("input")  # nothing typed can be lost
    r = client.get(region.attrs["hx-get"], headers={"HX-Request": "true", "HX-Target": "agenda-week"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "HX-Request" in r.headers["Vary"]
    assert "<html" not in body and "agenda-event-form" not in body
    fragment = parse(body)
    assert [e.attrs.get("id") for e in fragment.children if hasattr(e, "attrs")] == ["agenda-week"]
    assert fragment.by_id("agenda-week").attrs["hx-trigger"] == "every 30s"
    r = client.get(f"/console/agenda/tous?jour={MONDAY.isoformat()}",
                   headers={"HX-Request": "true", "HX-Target": "agenda-all"})
    assert "<html" not in r.get_data(as_text=True) and parse(r.get_data(as_text=True)).by_id("agenda-all")


def test_the_holiday_calendar_lists_periods_and_reopens_them(auth, client, week, owner, db):
    row = services.take_days_off(practice=week.practice, practitioner_id=week.practitioner.id,
                                 first=date(2030, 8, 4), last=date(2030, 8, 15), label="Été", actor=OPERATOR)
    commit()
    auth.staff(owner)
    html = client.get(f"/console/agenda/conges?praticien={week.practitioner.id}&annee=2030").get_data(as_text=True)
    page = parse(html)
    assert "du dimanche 4 août 2030 au jeudi 15 août 2030" in page.by_id(f"holiday-{row.id}").text
    assert html.count("holiday-off") == 12
    r = client.post(f"/console/agenda/conges/{row.id}/rouvrir?annee=2030", data={"csrf_token": csrf_from(html)},
                    follow_redirects=True)
    assert "Congés supprimés" in r.get_data(as_text=True) and "Aucun congé en 2030" in r.get_data(as_text=True)
    db.session.expire_all()
    assert planning.holiday_year(practice=week.practice, practitioner_id=week.practitioner.id, year=2030).bands == []


@contextmanager
def counted():
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_week_costs_the_same_queries_for_one_visit_or_many(auth, client, week, owner, make_patient):
    with time_machine.travel(NOW):
        book(week, MONDAY, 9)
        commit()
        auth.staff(owner)
        url = week_url(week)  # built outside the count: it reloads the test's own expired objects
        client.get(url)
        with counted() as few:
            assert client.get(url).status_code == 200
        for offset in range(1, 5):
            for hour in (9, 10, 11):
                book(week, MONDAY + timedelta(days=offset), hour,
                     patient=make_patient(week.practice, last_name=f"Patient{offset}{hour}"))
        services.take_days_off(practice=week.practice, practitioner_id=week.practitioner.id,
                               first=MONDAY + timedelta(days=5), last=MONDAY + timedelta(days=6), actor=OPERATOR)
        commit()
        with counted() as many:
            html = client.get(url).get_data(as_text=True)
    assert html.count('id="planning-appointment-') == 13
    assert len(many) == len(few), "\n".join(s[:90] for s in many) + "\n---\n" + "\n".join(s[:90] for s in few)
