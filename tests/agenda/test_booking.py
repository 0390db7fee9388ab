"""Booking: rules, the day's planning page, and no double booking even under 50 parallel requests."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.agenda import services
from portal.agenda.availability import template_slots
from portal.agenda.models import Appointment, AppointmentStatus
from portal.core.db import commit
from portal.core.errors import Conflict, Invalid, NotFound
from tests.agenda.conftest import OPERATOR
from tests.conftest import csrf_from
from tests.races import post_at_once

MONDAY = date(2030, 11, 25)  # far enough ahead to be bookable whenever the suite runs


def slots_on(week, day=MONDAY):
    return template_slots(practice=week.practice, practitioner_id=week.practitioner.id, first=day, last=day)


def book(week, slot, **kw):
    return services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                     appointment_type_id=week.type.id, patient_id=week.patient.id,
                                     starts_at=slot.starts_at, actor=OPERATOR, **kw)


def test_booking_a_slot_and_the_second_booking_is_refused(week, db):
    slot = slots_on(week)[0]
    appointment = book(week, slot)
    commit()
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=20)
    with pytest.raises(Conflict, match="vient d'être pris"):
        book(week, slot)


def test_a_cancelled_visit_frees_its_time(week, db):
    slot = slots_on(week)[0]
    first = book(week, slot)
    first.status = AppointmentStatus.cancelled
    commit()
    book(week, slot)
    commit()
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 2


def test_the_database_refuses_overlaps_even_without_the_service(week, db):
    """The constraint itself, not a Python check: an overlapping row written directly fails."""
    from sqlalchemy.exc import IntegrityError

    slot = slots_on(week)[0]
    book(week, slot)
    commit()
    db.session.add(Appointment(practice_id=week.practice.id, practitioner_id=week.practitioner.id,
                               appointment_type_id=week.type.id, patient_id=week.patient.id,
                               starts_at=slot.starts_at + timedelta(minutes=10),
                               ends_at=slot.starts_at + timedelta(minutes=30), status=AppointmentStatus.booked))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("case", ["past", "not_in_template", "other_practice_patient"])
def test_bad_bookings_get_a_clear_reason(week, make_practice, make_patient, case):
    slot = slots_on(week)[0]
    if case == "past":
        with time_machine.travel(slot.starts_at + timedelta(hours=1)):
            with pytest.raises(Invalid, match="déjà passé"):
                book(week, slot)
    elif case == "not_in_template":
        with pytest.raises(Invalid, match="n'existe pas dans l'emploi du temps"):
            services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                      appointment_type_id=week.type.id, patient_id=week.patient.id,
                                      starts_at=slot.starts_at + timedelta(minutes=7), actor=OPERATOR)
    else:
        stranger = make_patient(make_practice())
        with pytest.raises(NotFound):
            services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                      appointment_type_id=week.type.id, patient_id=stranger.id,
                                      starts_at=slot.starts_at, actor=OPERATOR)


def test_overlapping_or_backwards_ranges_are_refused(week):
    with pytest.raises(Invalid, match="chevauche"):
        services.add_range(week.schedule, weekday=0, starts=time(11, 30), ends=time(12, 30),
                           appointment_type=week.type, actor=OPERATOR)
    with pytest.raises(Invalid, match="après son début"):
        services.add_range(week.schedule, weekday=5, starts=time(12), ends=time(11), appointment_type=week.type,
                           actor=OPERATOR)


def test_staff_book_from_the_day_page(auth, client, week, make_staff):
    auth.staff(make_staff(week.practice, "secretary"))
    page = client.get(f"/console/agenda/?praticien={week.practitioner.id}&jour={MONDAY.isoformat()}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count('class="button button-small slot"') == 9
    slot = slots_on(week)[0]
    r = client.post(f"/console/agenda/rendez-vous?jour={MONDAY.isoformat()}", data={
        "csrf_token": csrf_from(html), "practitioner_id": week.practitioner.id, "patient_number": "777",
        "slot": f"{slot.starts_at.isoformat()}|{week.type.id}"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "Rendez-vous pris pour Zoé Durand le 25/11/2030 à 09:00" in html
    assert 'id="appointment-' in html and html.count('class="button button-small slot"') == 8
    # a number that is no patient's: said in place, the rest kept
    r = client.post(f"/console/agenda/rendez-vous?jour={MONDAY.isoformat()}", data={
        "csrf_token": csrf_from(html), "practitioner_id": week.practitioner.id, "patient_number": "999",
        "note": "gardé", "slot": f"{slots_on(week)[1].starts_at.isoformat()}|{week.type.id}"})
    assert r.status_code == 422 and "Aucun patient ne correspond" in r.get_data(as_text=True)
    assert 'value="gardé"' in r.get_data(as_text=True)


def test_fifty_parallel_bookings_of_one_slot_through_http(app, auth, client, week, make_staff, db):
    """Invariant 4 under a real race: 50 requests at once on a threaded HTTP server."""
    auth.staff(make_staff(week.practice, "secretary"))
    html = client.get(f"/console/agenda/?praticien={week.practitioner.id}&jour={MONDAY.isoformat()}").get_data(
        as_text=True)
    token, cookie = csrf_from(html), client.get_cookie("__Host-sourire").value
    slot = slots_on(week)[3]
    body = {"csrf_token": token, "practitioner_id": week.practitioner.id, "patient_number": "777",
            "slot": f"{slot.starts_at.isoformat()}|{week.type.id}"}
    results = post_at_once(app, f"/console/agenda/rendez-vous?jour={MONDAY.isoformat()}", [body] * 50, cookie)
    statuses = sorted(code for code, _ in results)
    assert statuses == [303] + [409] * 49, statuses
    refused = [text for code, text in results if code == 409]
    assert all("Ce créneau vient d'être pris" in t for t in refused)
    assert all("Créneaux libres les plus proches" in t for t in refused)  # and what is still free
    booked = db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.status == AppointmentStatus.booked))
    assert booked == 1


def test_another_practice_cannot_book_or_see_this_agenda(auth, client, week, make_practice, make_staff, make_patient):
    other = make_practice()
    make_patient(other, number="777", first_name="Autre")  # their own patient, with the same file number
    auth.staff(make_staff(other, "owner"))
    html = client.get(f"/console/agenda/?praticien={week.practitioner.id}").get_data(as_text=True)
    assert "Claire Martin" not in html
    slot = slots_on(week)[0]
    r = client.post("/console/agenda/rendez-vous", data={
        "csrf_token": csrf_from(html), "practitioner_id": week.practitioner.id, "patient_number": "777",
        "slot": f"{slot.starts_at.isoformat()}|{week.type.id}"})
    assert r.status_code == 404 and "Zoé" not in r.get_data(as_text=True)


def test_the_patient_can_be_given_by_mobile_or_name(auth, client, week, make_staff, make_patient):
    make_patient(week.practice, number="778", last_name="Durand", first_name="Hugo", parent_mobile="0611223344")
    auth.staff(make_staff(week.practice, "secretary"))
    html = client.get(f"/console/agenda/?praticien={week.practitioner.id}&jour={MONDAY.isoformat()}").get_data(
        as_text=True)
    slots = slots_on(week)

    def post(who, slot):
        return client.post(f"/console/agenda/rendez-vous?jour={MONDAY.isoformat()}", data={
            "csrf_token": csrf_from(html), "practitioner_id": week.practitioner.id, "patient_number": who,
            "slot": f"{slot.starts_at.isoformat()}|{week.type.id}"}, follow_redirects=True)

    r = post("durand", slots[0])  # two Durand
    assert r.status_code == 422 and "Plusieurs patients correspondent" in r.get_data(as_text=True)
    assert "(n° 777)" in r.get_data(as_text=True) and "(n° 778)" in r.get_data(as_text=True)
    assert "Hugo Durand" in post("06 11 22 33 44", slots[0]).get_data(as_text=True)  # a parent's mobile
    assert "Zoé Durand" in post("durand zoé", slots[1]).get_data(as_text=True)


def test_an_extra_outside_the_templates_and_its_overlap(auth, client, week, make_staff):
    auth.staff(make_staff(week.practice, "secretary"))
    html = client.get(f"/console/agenda/?praticien={week.practitioner.id}&jour={MONDAY.isoformat()}").get_data(
        as_text=True)
    data = {"csrf_token": csrf_from(html), "practitioner_id": week.practitioner.id, "patient_number": "777",
            "starts": "17:30", "appointment_type_id": week.type.id}
    r = client.post(f"/console/agenda/extra?jour={MONDAY.isoformat()}", data=data, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "Rendez-vous extra pris pour Zoé Durand à 17:30" in page and '<span class="badge">E</span>' in page
    r = client.post(f"/console/agenda/extra?jour={MONDAY.isoformat()}", data={**data, "starts": "17:40"})
    assert r.status_code == 409 and "vient d&#39;être pris" in r.get_data(as_text=True)  # overlaps 17:30–17:50


def test_the_day_page_has_no_duplicate_ids(auth, client, week, make_staff):
    """Four forms share the page: each field keeps its own id, so each label points at its field."""
    import re
    from collections import Counter

    auth.staff(make_staff(week.practice, "secretary"))
    html = client.get(f"/console/agenda/?praticien={week.practitioner.id}&jour={MONDAY.isoformat()}").get_data(
        as_text=True)
    twice = [i for i, n in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if n > 1]
    assert twice == []
