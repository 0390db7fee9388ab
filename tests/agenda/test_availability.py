"""Free slots: templates, activation periods, appointments, daylight saving, query count."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import event

from portal.agenda import services
from portal.agenda.availability import free_slots, template_slots
from portal.core.db import commit
from tests.agenda.conftest import OPERATOR


def local_times(slots):
    return [s.local_start.strftime("%a %H:%M") for s in slots]


def test_a_weekday_gives_nine_slots_and_the_weekend_none(week):
    monday, saturday = date(2026, 11, 23), date(2026, 11, 28)
    slots = template_slots(practice=week.practice, practitioner_id=week.practitioner.id, first=monday, last=monday)
    assert [s.local_start.strftime("%H:%M") for s in slots] == [
        "09:00", "09:20", "09:40", "10:00", "10:20", "10:40", "11:00", "11:20", "11:40"]
    assert template_slots(practice=week.practice, practitioner_id=week.practitioner.id, first=saturday,
                          last=saturday + timedelta(days=1)) == []


@pytest.mark.parametrize(("day", "utc_hour"), [(date(2027, 3, 26), 8), (date(2027, 3, 29), 7),
                                               (date(2027, 10, 29), 7), (date(2027, 11, 1), 8)])
def test_nine_o_clock_stays_nine_o_clock_across_daylight_saving(week, day, utc_hour):
    """Europe/Paris changes on 2027-03-28 and 2027-10-31: the wall clock does not move, so the
    instant does (08:00 UTC in winter, 07:00 UTC in summer)."""
    first = template_slots(practice=week.practice, practitioner_id=week.practitioner.id, first=day, last=day)[0]
    assert first.local_start.strftime("%H:%M") == "09:00"
    assert first.starts_at == datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)


@pytest.mark.parametrize(("day", "utc_hour"), [(date(2027, 3, 26), 8), (date(2027, 3, 29), 7)])
def test_booking_nine_o_clock_over_http_on_each_side_of_the_change(auth, client, week, make_staff, db, day, utc_hour):
    from tests.conftest import csrf_from

    with time_machine.travel(datetime(2027, 3, 20, 9, tzinfo=UTC), tick=True):
        auth.staff(make_staff(week.practice, "secretary"))  # signed in "then", so the session is fresh
        html = client.get(f"/console/agenda/?praticien={week.practitioner.id}&jour={day.isoformat()}").get_data(
            as_text=True)
        instant = datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)
        assert f'value="{instant.isoformat()}|{week.type.id}"' in html  # the 09:00 button
        r = client.post(f"/console/agenda/rendez-vous?jour={day.isoformat()}",
                        data={"csrf_token": csrf_from(html), "practitioner_id": week.practitioner.id,
                              "patient_number": "777", "slot": f"{instant.isoformat()}|{week.type.id}"},
                        follow_redirects=True)
    assert "le " + day.strftime("%d/%m/%Y") + " à 09:00" in r.get_data(as_text=True)


def test_a_range_in_the_spring_gap_gives_no_impossible_slot(week):
    sunday = date(2027, 3, 28)
    night = services.create_schedule(practitioner=week.practitioner, name="Garde", actor=OPERATOR)
    services.add_range(night, weekday=6, starts=time(1, 40), ends=time(3, 40), appointment_type=week.type,
                       actor=OPERATOR)
    services.activate_schedule(night, starts_on=sunday, ends_on=sunday, actor=OPERATOR)
    commit()
    slots = template_slots(practice=week.practice, practitioner_id=week.practitioner.id, first=sunday, last=sunday)
    shown = [s.local_start.strftime("%H:%M") for s in slots]
    assert shown == ["01:40", "03:00", "03:20"]  # 02:00–02:59 does not exist that night
    assert len({s.starts_at for s in slots}) == len(slots)


def test_a_later_activation_overrides_for_its_period(week):
    holidays = services.create_schedule(practitioner=week.practitioner, name="Vacances scolaires", actor=OPERATOR)
    services.add_range(holidays, weekday=0, starts=time(14), ends=time(15), appointment_type=week.type,
                       actor=OPERATOR)
    services.activate_schedule(holidays, starts_on=date(2026, 12, 21), ends_on=date(2027, 1, 3), actor=OPERATOR)
    commit()
    during = template_slots(practice=week.practice, practitioner_id=week.practitioner.id,
                            first=date(2026, 12, 21), last=date(2026, 12, 21))
    after = template_slots(practice=week.practice, practitioner_id=week.practitioner.id,
                           first=date(2027, 1, 4), last=date(2027, 1, 4))
    assert local_times(during) == ["Mon 14:00", "Mon 14:20", "Mon 14:40"]
    assert local_times(after)[0] == "Mon 09:00" and len(after) == 9


def test_booked_and_past_slots_are_not_free(week, db):
    monday = date(2026, 11, 23)
    slots = template_slots(practice=week.practice, practitioner_id=week.practitioner.id, first=monday, last=monday)
    with time_machine.travel(datetime(2026, 11, 22, 12, tzinfo=UTC)):
        services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                  appointment_type_id=week.type.id, patient_id=week.patient.id,
                                  starts_at=slots[2].starts_at, actor=OPERATOR)
        commit()
    with time_machine.travel(slots[1].starts_at + timedelta(minutes=1)):  # 09:21 on Monday
        free = free_slots(practice=week.practice, practitioner_id=week.practitioner.id, first=monday, last=monday)
    assert [s.local_start.strftime("%H:%M") for s in free][:2] == ["10:00", "10:20"]


def test_an_extra_visit_overlapping_several_slots_blocks_them_all(week):
    monday = date(2026, 11, 23)
    slots = template_slots(practice=week.practice, practitioner_id=week.practitioner.id, first=monday, last=monday)
    long = services.add_appointment_type(practitioner=week.practitioner, name="Pose d'appareil", code="POSE",
                                         duration_minutes=50, actor=OPERATOR)
    with time_machine.travel(datetime(2026, 11, 22, 12, tzinfo=UTC)):
        services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                  appointment_type_id=long.id, patient_id=week.patient.id,
                                  starts_at=slots[0].starts_at + timedelta(minutes=10), actor=OPERATOR, extra=True)
        commit()
        free = free_slots(practice=week.practice, practitioner_id=week.practitioner.id, first=monday, last=monday)
    assert [s.local_start.strftime("%H:%M") for s in free][0] == "10:00"  # 09:10–10:00 is taken


def test_the_query_count_does_not_grow_with_the_span(week, db):
    practice, practitioner_id = week.practice, week.practitioner.id  # loaded before counting
    practice.timezone  # noqa: B018
    counts = []
    for days in (1, 180):
        seen: list[str] = []

        def listener(conn, cursor, statement, *rest, seen=seen):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            with time_machine.travel(datetime(2026, 11, 22, 12, tzinfo=UTC)):
                slots = free_slots(practice=practice, practitioner_id=practitioner_id,
                                   first=date(2026, 11, 23), last=date(2026, 11, 23) + timedelta(days=days - 1))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        counts.append(len(seen))
        assert slots
    # activations, replacements, extra ranges, template ranges, types, blocks, appointments
    assert counts[0] == counts[1] <= 7


def test_the_next_free_slots_across_practitioners(week, db):
    from portal.agenda.availability import next_free_slots
    from portal.core.services import add_practitioner

    other = add_practitioner(week.practice, first_name="Paul", last_name="Bernard", actor=OPERATOR)
    kind = services.add_appointment_type(practitioner=other, name="Contrôle", code="CONT", duration_minutes=30,
                                         actor=OPERATOR)
    schedule = services.create_schedule(practitioner=other, name="Mardi", actor=OPERATOR)
    services.add_range(schedule, weekday=1, starts=time(8), ends=time(9), appointment_type=kind, actor=OPERATOR)
    services.activate_schedule(schedule, starts_on=date(2026, 1, 1), ends_on=None, actor=OPERATOR)
    services.add_appointment_type(practitioner=other, name="Autre", code="RVC", duration_minutes=30, actor=OPERATOR)
    db.session.commit()
    with time_machine.travel(datetime(2026, 11, 23, 8, tzinfo=UTC)):  # Monday 09:00 in Paris
        pairs = next_free_slots(practice=week.practice, code="cont", count=20, first=date(2026, 11, 23),
                                last=date(2027, 5, 22))
    assert len(pairs) == 20
    starts = [s.starts_at for _, s in pairs]
    assert starts == sorted(starts)
    # Monday's remaining morning is Dr Martin's; Tuesday 08:00 and 08:30 are Dr Bernard's, before her 09:00.
    tuesday = [(pid, s.local_start.strftime("%H:%M")) for pid, s in pairs if s.local_start.day == 24]
    assert tuesday[:3] == [(other.id, "08:00"), (other.id, "08:30"), (week.practitioner.id, "09:00")]
