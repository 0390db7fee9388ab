"""Agenda set-up beyond the basics: types edited, ordered and copied, weekdays copied, extra
ranges, replacements, secretaries' rights."""
from __future__ import annotations

import re
from datetime import date, time, timedelta

from sqlalchemy import select

from portal.agenda import services, setup
from portal.agenda.availability import template_slots
from portal.agenda.models import AppointmentType, ExtraRange, Replacement, ScheduleRange, SecretaryRight
from portal.core.db import commit
from portal.core.models import Practitioner
from portal.core.services import add_practitioner
from tests.agenda.conftest import OPERATOR
from tests.conftest import csrf_from

MONDAY = date(2030, 11, 25)


def _post(client, page_url, url, data, **kw):
    page = client.get(page_url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_from(page), **data}, **kw)


def _type_data(**over):
    data = {"name": "Contrôle", "code": "cont", "duration_minutes": "20", "color": "#aa3300", "online": "y",
            "min_notice_hours": "12", "max_days_ahead": "60", "booking_message": "Apportez vos radios",
            "carte_vitale": "y", "patient_can_cancel": "y", "cancel_deadline_hours": "24"}
    return {**data, **over}


def test_edit_every_field_of_a_type(auth, client, make_staff, week, db):
    auth.staff(make_staff(week.practice, "practitioner"))
    url = f"/console/agenda/reglages/types/{week.type.id}"
    r = _post(client, url, url, _type_data(duration_minutes="2", color="rouge"))
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "entre 5 minutes et 8 heures" in body and "Apportez vos radios" in body
    r = _post(client, url, url, _type_data(new_patients="y", teleconsultation="y"))
    assert r.status_code == 303
    db.session.expire_all()
    kind = db.session.get(AppointmentType, week.type.id)
    assert (kind.code, kind.duration_minutes, kind.color, kind.min_notice_hours, kind.max_days_ahead) == \
        ("CONT", 20, "#aa3300", 12, 60)
    assert kind.online and kind.new_patients and kind.teleconsultation and kind.carte_vitale
    assert kind.patient_can_cancel and kind.cancel_deadline_hours == 24 and kind.booking_message == "Apportez vos radios"


def test_reorder_and_deactivate_types(auth, client, make_staff, week, db):
    auth.staff(make_staff(week.practice, "owner"))
    second = services.add_appointment_type(practitioner=week.practitioner, name="Urgence", duration_minutes=15,
                                           actor=OPERATOR)
    commit()
    base = f"/console/agenda/reglages?praticien={week.practitioner.id}"
    r = _post(client, base, f"/console/agenda/reglages/types/{second.id}/deplacer", {"sens": "haut"})
    assert r.status_code == 303
    page = client.get(base).get_data(as_text=True)
    assert page.index(f'id="type-{second.id}"') < page.index(f'id="type-{week.type.id}"')
    r = _post(client, base, f"/console/agenda/reglages/types/{second.id}/desactiver", {}, follow_redirects=True)
    assert "désactivé" in r.get_data(as_text=True)
    assert f'id="type-{second.id}"' not in client.get(base).get_data(as_text=True)
    assert client.get(f"/console/agenda/reglages/types/{second.id}").status_code == 404


def test_copy_a_type_to_another_practitioner(auth, client, make_staff, week, db):
    auth.staff(make_staff(week.practice, "owner"))
    other = add_practitioner(week.practice, first_name="Paul", last_name="Bernard", actor=OPERATOR)
    commit()
    url = f"/console/agenda/reglages/types/{week.type.id}"
    assert _post(client, url, url + "/copier", {"practitioner_ids": str(other.id)}).status_code == 303
    copies = db.session.scalars(select(AppointmentType).where(AppointmentType.practitioner_id == other.id)).all()
    assert [(c.name, c.code, c.duration_minutes) for c in copies] == [("Contrôle", "CONT", 20)]
    r = _post(client, url, url + "/copier", {"practitioner_ids": str(other.id)})
    assert r.status_code == 422 and "a déjà un type « Contrôle »" in r.get_data(as_text=True)


def test_copy_a_weekday_refuses_overlaps_unless_replacing(auth, client, make_staff, week, db):
    auth.staff(make_staff(week.practice, "owner"))
    services.add_range(week.schedule, weekday=0, starts=time(14), ends=time(16), appointment_type=week.type,
                       actor=OPERATOR)
    commit()
    base = f"/console/agenda/reglages?praticien={week.practitioner.id}"
    url = f"/console/agenda/reglages/copier-jour?praticien={week.practitioner.id}"
    data = {"schedule_id": str(week.schedule.id), "source": "0", "targets": ["1", "5"]}
    r = _post(client, base, url, data)
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "Mardi : la plage 09:00–12:00 chevaucherait celle de 09:00–12:00" in body
    r = _post(client, base, url, {**data, "replace": "y"})
    assert r.status_code == 303
    db.session.expire_all()
    days = sorted((x.weekday, x.starts) for x in db.session.scalars(
        select(ScheduleRange).where(ScheduleRange.schedule_id == week.schedule.id)) if x.weekday in (1, 5))
    assert days == [(1, time(9)), (1, time(14)), (5, time(9)), (5, time(14))]
    r = _post(client, base, url, {"schedule_id": str(week.schedule.id), "source": "6", "targets": ["1"]})
    assert r.status_code == 422 and "aucune plage à copier" in r.get_data(as_text=True)


def test_delete_a_range(auth, client, make_staff, week, db):
    auth.staff(make_staff(week.practice, "owner"))
    monday = next(r for r in week.schedule.ranges if r.weekday == 0)
    base = f"/console/agenda/reglages?praticien={week.practitioner.id}"
    assert _post(client, base, f"/console/agenda/reglages/plages/{monday.id}/supprimer", {}).status_code == 303
    assert template_slots(practice=week.practice, practitioner_id=week.practitioner.id, first=MONDAY,
                          last=MONDAY) == []


def test_extras_produce_extra_slots_and_deletion_removes_them(auth, client, make_staff, week, db):
    auth.staff(make_staff(week.practice, "owner"))
    base = f"/console/agenda/extras?praticien={week.practitioner.id}"
    saturday = MONDAY + timedelta(days=5)
    bad = _post(client, base, base, {"appointment_type_ids": str(week.type.id), "first": saturday.isoformat(),
                                     "starts": "12:00", "ends": "10:00"})
    assert bad.status_code == 422 and "après son début" in bad.get_data(as_text=True)
    r = _post(client, base, base, {"appointment_type_ids": str(week.type.id), "first": saturday.isoformat(),
                                   "last": (saturday + timedelta(days=7)).isoformat(), "weekdays": "5",
                                   "starts": "10:00", "ends": "11:00"})
    assert r.status_code == 303, r.get_data(as_text=True)
    slots = template_slots(practice=week.practice, practitioner_id=week.practitioner.id, first=saturday,
                           last=saturday + timedelta(days=7))
    weekend = [s for s in slots if s.local_start.weekday() == 5]
    assert len(weekend) == 6 and all(s.extra for s in weekend) and not any(s.extra for s in slots if s not in weekend)
    assert {s.local_start.date() for s in weekend} == {saturday, saturday + timedelta(days=7)}
    page = client.get(base).get_data(as_text=True)
    assert page.count('id="extra-') == 2
    extra_id = re.search(r'id="extra-(\d+)"', page).group(1)
    assert _post(client, base, f"/console/agenda/extras/{extra_id}/supprimer", {}).status_code == 303
    slots = template_slots(practice=week.practice, practitioner_id=week.practitioner.id, first=saturday,
                           last=saturday + timedelta(days=7))
    assert len([s for s in slots if s.extra]) == 3
    overlap = _post(client, base, base, {"appointment_type_ids": str(week.type.id),
                                         "first": (saturday + timedelta(days=7)).isoformat(),
                                         "starts": "10:30", "ends": "11:30"})
    assert overlap.status_code == 422 and "existe déjà de 10:00 à 11:00" in overlap.get_data(as_text=True)


def _replacement_data(week, substitute_id, schedule_id, **over):
    data = {"name": "Noël", "practitioner_id": str(week.practitioner.id), "substitute_id": str(substitute_id),
            "schedule_id": str(schedule_id), "starts_on": MONDAY.isoformat(),
            "ends_on": (MONDAY + timedelta(days=13)).isoformat(), "weekdays": ["1", "3"], "action": "save"}
    return {**data, **over}


def test_a_replacement_changes_slots_on_covered_weekdays_only(auth, client, make_staff, week, db):
    auth.staff(make_staff(week.practice, "owner"))
    substitute_week = services.create_schedule(practitioner=week.practitioner, name="Remplaçant", actor=OPERATOR)
    for weekday in range(5):
        services.add_range(substitute_week, weekday=weekday, starts=time(14), ends=time(15),
                           appointment_type=week.type, actor=OPERATOR)
    commit()
    url = "/console/agenda/remplacements"
    r = _post(client, url, url, _replacement_data(week, 0, substitute_week.id, substitute_last_name="",
                                                  ends_on=(MONDAY - timedelta(days=1)).isoformat()))
    assert r.status_code == 422
    # "voir les dates": every covered date ticked
    r = _post(client, url, url, _replacement_data(week, 0, substitute_week.id, substitute_last_name="Petit",
                                                  action="dates"))
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and page.count('name="kept"') == 4 and "Petit" in page
    tuesday2 = MONDAY + timedelta(days=8)
    kept = [d.isoformat() for d in (MONDAY + timedelta(days=1), MONDAY + timedelta(days=3), MONDAY + timedelta(days=10))]
    r = _post(client, url, url, _replacement_data(week, 0, substitute_week.id, substitute_last_name="Petit",
                                                  substitute_first_name="Léo", dates_shown="1", kept=kept))
    assert r.status_code == 303, r.get_data(as_text=True)
    substitute = db.session.scalar(select(Practitioner).where(Practitioner.last_name == "Petit"))
    assert substitute.active is False and substitute not in services.practitioners(week.practice.id)
    row = db.session.scalar(select(Replacement))
    assert row.skipped_dates == [tuesday2.isoformat()] and row.substitute_id == substitute.id

    def starts(day):
        return [s.local_start.time() for s in template_slots(practice=week.practice,
                                                             practitioner_id=week.practitioner.id, first=day, last=day)]
    assert starts(MONDAY + timedelta(days=1))[0] == time(14)      # covered Tuesday: the substitute's template
    assert starts(MONDAY + timedelta(days=3))[0] == time(14)      # covered Thursday
    assert starts(MONDAY)[0] == time(9)                            # Monday: not a chosen weekday
    assert starts(tuesday2)[0] == time(9)                          # skipped date
    assert starts(MONDAY + timedelta(days=15))[0] == time(9)       # after the end
    # edit shows the dates with the skipped one unticked, then delete
    edit = client.get(f"{url}/{row.id}").get_data(as_text=True)
    assert edit.count('name="kept"') == 4 and edit.count("checked") >= 3
    assert re.search(rf'value="{tuesday2.isoformat()}" >', edit)
    assert _post(client, url, f"{url}/{row.id}/supprimer", {}).status_code == 303
    assert starts(MONDAY + timedelta(days=1))[0] == time(9)


def test_secretary_rights(auth, client, make_staff, week, db):
    secretary = make_staff(week.practice, "secretary")
    owner = make_staff(week.practice, "owner")
    url = f"/console/agenda/reglages/types/{week.type.id}"
    other = app_client(client)
    auth.staff(secretary)
    assert client.get(url).status_code == 403
    assert client.get(f"/console/agenda/reglages?praticien={week.practitioner.id}").status_code == 403
    assert client.get("/console/agenda/extras").status_code == 403
    assert client.get("/console/agenda/droits").status_code == 403
    # the owner grants "configure" from the rights page
    from tests.conftest import Auth

    Auth(other).staff(owner)
    page = other.get("/console/agenda/droits").get_data(as_text=True)
    assert f'name="r-{secretary.id}-{week.practitioner.id}-configure"' in page
    r = other.post("/console/agenda/droits", data={"csrf_token": csrf_from(page),
                                                    f"r-{secretary.id}-{week.practitioner.id}-view": "1",
                                                    f"r-{secretary.id}-{week.practitioner.id}-book": "1",
                                                    f"r-{secretary.id}-{week.practitioner.id}-configure": "1"})
    assert r.status_code == 303
    row = db.session.scalar(select(SecretaryRight))
    assert (row.can_view, row.can_book, row.can_manage, row.can_configure) == (True, True, False, True)
    assert _post(client, url, url, _type_data(name="Contrôle long", duration_minutes="40")).status_code == 303
    assert 'href="/console/agenda/reglages"' in client.get("/console/agenda/").get_data(as_text=True)
    # still no "manage": schedules and extras stay closed
    base = f"/console/agenda/reglages?praticien={week.practitioner.id}"
    r = _post(client, base, f"/console/agenda/reglages/emplois-du-temps?praticien={week.practitioner.id}",
              {"name": "Été"})
    assert r.status_code == 403
    assert client.get("/console/agenda/extras").status_code == 403


def app_client(client):
    return client.application.test_client()


def test_extra_range_service_rules(week, db):
    saturday = MONDAY + timedelta(days=5)
    created = setup.add_extra_ranges(practitioner=week.practitioner, types=[week.type], days=[saturday],
                                     starts=time(9), ends=time(9, 40), actor=OPERATOR)
    assert len(created) == 1 and db.session.scalar(select(ExtraRange)).day == saturday
    import pytest

    from portal.core.errors import Invalid

    with pytest.raises(Invalid, match="trop courte"):
        setup.add_extra_ranges(practitioner=week.practitioner, types=[week.type], days=[saturday],
                               starts=time(14), ends=time(14, 10), actor=OPERATOR)
    with pytest.raises(Invalid, match="déjà passée"):
        setup.add_extra_ranges(practitioner=week.practitioner, types=[week.type], days=[date(2020, 1, 4)],
                               starts=time(14), ends=time(15), actor=OPERATOR)
