"""Blocks, days off, cancellations and no-shows, and what they do to free slots."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import time_machine

from portal.agenda import services
from portal.agenda.availability import free_slots
from portal.agenda.models import AppointmentStatus
from portal.core.db import commit
from portal.core.errors import Invalid
from tests.agenda.conftest import OPERATOR
from tests.agenda.test_booking import MONDAY, book, slots_on
from tests.conftest import csrf_from


def free_times(week, day=MONDAY):
    return [s.local_start.strftime("%H:%M") for s in free_slots(practice=week.practice,
            practitioner_id=week.practitioner.id, first=day, last=day)]


def test_a_block_closes_its_slots_and_reopening_frees_them(week):
    row = services.block_time(practice=week.practice, practitioner_id=week.practitioner.id,
                              starts_at=services.local_to_utc(week.practice, MONDAY, time(10)),
                              ends_at=services.local_to_utc(week.practice, MONDAY, time(11)), actor=OPERATOR)
    commit()
    assert free_times(week) == ["09:00", "09:20", "09:40", "11:00", "11:20", "11:40"]
    with pytest.raises(Invalid, match="bloqué"):
        book(week, slots_on(week)[3])  # 10:00
    services.reopen(practice=week.practice, unavailability_id=row.id, actor=OPERATOR)
    commit()
    assert len(free_times(week)) == 9


def test_a_block_of_one_type_leaves_the_others(week):
    other = services.add_appointment_type(practitioner=week.practitioner, name="Urgence", code="URG",
                                          duration_minutes=20, actor=OPERATOR)
    services.add_range(week.schedule, weekday=0, starts=time(14), ends=time(15), appointment_type=other,
                       actor=OPERATOR)
    services.block_time(practice=week.practice, practitioner_id=week.practitioner.id,
                        starts_at=services.local_to_utc(week.practice, MONDAY, time(8)),
                        ends_at=services.local_to_utc(week.practice, MONDAY, time(18)),
                        appointment_type_id=week.type.id, actor=OPERATOR)
    commit()
    assert free_times(week) == ["14:00", "14:20", "14:40"]


def test_days_off_cover_whole_local_days_even_on_a_clock_change(week):
    services.take_days_off(practice=week.practice, practitioner_id=week.practitioner.id,
                           first=date(2030, 10, 25), last=date(2030, 10, 28), actor=OPERATOR)  # clocks change 27th
    commit()
    assert free_times(week, date(2030, 10, 25)) == [] and free_times(week, date(2030, 10, 28)) == []
    assert len(free_times(week, date(2030, 10, 29))) == 9
    with pytest.raises(Invalid):
        services.take_days_off(practice=week.practice, practitioner_id=week.practitioner.id,
                               first=date(2030, 10, 28), last=date(2030, 10, 25), actor=OPERATOR)


def test_cancel_frees_the_slot_and_a_no_show_is_kept(week, db):
    first, second, third = slots_on(week)[:3]
    a, b, c = book(week, first), book(week, second), book(week, third)
    commit()
    services.cancel_appointment(a, actor=OPERATOR, reason="malade")
    commit()
    assert "09:00" in free_times(week)
    with pytest.raises(Invalid, match="absence"):
        services.mark_no_show(b, actor=OPERATOR)  # it has not happened yet
    with time_machine.travel(third.starts_at + timedelta(minutes=30)):
        services.mark_no_show(b, actor=OPERATOR)
        commit()
        with pytest.raises(Invalid, match="passé"):
            services.cancel_appointment(c, actor=OPERATOR)  # too late to cancel: an absence, or it happened
    db.session.refresh(b)
    assert b.status is AppointmentStatus.no_show


def test_staff_block_an_afternoon_and_take_a_day_off_from_the_page(auth, client, week, make_staff, db):
    auth.staff(make_staff(week.practice, "secretary"))
    url = f"/console/agenda/?praticien={week.practitioner.id}&jour={MONDAY.isoformat()}"
    html = client.get(url).get_data(as_text=True)
    r = client.post(f"/console/agenda/bloquer?jour={MONDAY.isoformat()}", data={
        "csrf_token": csrf_from(html), "practitioner_id": week.practitioner.id, "starts": "11:00", "ends": "10:00",
        "appointment_type_id": "0", "label": "réunion"})
    assert r.status_code == 422 and "après le début" in r.get_data(as_text=True)
    assert 'value="réunion"' in r.get_data(as_text=True)
    r = client.post(f"/console/agenda/bloquer?jour={MONDAY.isoformat()}", data={
        "csrf_token": csrf_from(html), "practitioner_id": week.practitioner.id, "starts": "10:00", "ends": "12:00",
        "appointment_type_id": "0", "label": "réunion"}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "Créneaux bloqués de 10:00 à 12:00" in page and page.count('class="button button-small slot"') == 3
    r = client.post(f"/console/agenda/conges?jour={MONDAY.isoformat()}", data={
        "csrf_token": csrf_from(page), "practitioner_id": week.practitioner.id, "first": MONDAY.isoformat(),
        "last": MONDAY.isoformat()}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "Congés enregistrés" in page and "Aucun créneau libre ce jour-là" in page


def test_a_secretary_without_the_booking_right_cannot_block_or_close(auth, client, week, make_staff, db):
    from portal.agenda.models import SecretaryRight

    secretary = make_staff(week.practice, "secretary")
    db.session.add(SecretaryRight(practice_id=week.practice.id, staff_user_id=secretary.id,
                                  practitioner_id=week.practitioner.id, can_view=True, can_book=False))
    db.session.commit()
    auth.staff(secretary)
    html = client.get(f"/console/agenda/?praticien={week.practitioner.id}&jour={MONDAY.isoformat()}").get_data(
        as_text=True)
    token = csrf_from(html)
    r = client.post(f"/console/agenda/bloquer?jour={MONDAY.isoformat()}",
                    data={"csrf_token": token, "practitioner_id": week.practitioner.id, "starts": "09:00",
                          "ends": "10:00", "appointment_type_id": "0"})
    assert r.status_code == 403
    r = client.post(f"/console/agenda/conges?jour={MONDAY.isoformat()}",
                    data={"csrf_token": token, "practitioner_id": week.practitioner.id,
                          "first": MONDAY.isoformat(), "last": MONDAY.isoformat()})
    assert r.status_code == 403


def test_block_the_same_range_on_several_days_then_reopen_one(auth, client, week, make_staff, db):
    auth.staff(make_staff(week.practice, "secretary"))
    html = client.get(f"/console/agenda/?praticien={week.practitioner.id}&jour={MONDAY.isoformat()}").get_data(
        as_text=True)
    friday = MONDAY + timedelta(days=4)
    r = client.post(f"/console/agenda/bloquer?jour={MONDAY.isoformat()}",
                    data={"csrf_token": csrf_from(html), "practitioner_id": week.practitioner.id, "starts": "11:00",
                          "ends": "12:00", "appointment_type_id": "0", "until": friday.isoformat()})
    assert r.status_code == 303
    for offset in range(5):
        assert "11:00" not in free_times(week, MONDAY + timedelta(days=offset))
    r = client.post(f"/console/agenda/bloquer?jour={MONDAY.isoformat()}",
                    data={"csrf_token": csrf_from(html), "practitioner_id": week.practitioner.id, "starts": "11:00",
                          "ends": "12:00", "appointment_type_id": "0", "until": (MONDAY - timedelta(days=1)).isoformat()})
    assert r.status_code == 422 and "La fin de la période doit être après son début." in r.get_data(as_text=True)


def test_reopen_one_day_of_a_holiday_period(auth, client, week, make_staff, db):
    services.take_days_off(practice=week.practice, practitioner_id=week.practitioner.id, first=MONDAY,
                           last=MONDAY + timedelta(days=4), actor=OPERATOR)
    commit()
    auth.staff(make_staff(week.practice, "secretary"))
    wednesday = MONDAY + timedelta(days=2)
    html = client.get(f"/console/agenda/?praticien={week.practitioner.id}&jour={wednesday.isoformat()}").get_data(
        as_text=True)
    assert "Rouvrir ce jour" in html
    from sqlalchemy import select

    from portal.agenda.models import Unavailability

    row = db.session.scalar(select(Unavailability))
    r = client.post(f"/console/agenda/indisponibilites/{row.id}/rouvrir?jour={wednesday.isoformat()}",
                    data={"csrf_token": csrf_from(html), "practitioner_id": week.practitioner.id, "scope": "day"})
    assert r.status_code == 303
    assert free_times(week, wednesday)  # Wednesday is open again
    for closed in (MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=3), MONDAY + timedelta(days=4)):
        assert free_times(week, closed) == [], closed
