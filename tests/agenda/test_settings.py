"""A practitioner sets up a week from the settings page, and the slots appear in the agenda."""
from __future__ import annotations

from datetime import date

from portal.core.services import add_practitioner
from tests.agenda.conftest import OPERATOR
from tests.conftest import csrf_from

MONDAY = date(2030, 11, 25)


def test_set_up_a_week_and_see_the_slots(auth, client, make_practice, make_staff, db):
    practice = make_practice()
    owner = make_staff(practice, "owner")
    practitioner = add_practitioner(practice, first_name="Paul", last_name="Bernard", actor=OPERATOR)
    db.session.commit()
    auth.staff(owner)
    base = f"/console/agenda/reglages?praticien={practitioner.id}"
    page = client.get(base).get_data(as_text=True)
    r = client.post(f"/console/agenda/reglages/types?praticien={practitioner.id}", data={
        "csrf_token": csrf_from(page), "name": "Contrôle", "code": "cont", "duration_minutes": "2"})
    assert r.status_code == 422 and "entre 5 minutes et 8 heures" in r.get_data(as_text=True)
    assert 'value="Contrôle"' in r.get_data(as_text=True)
    for url, data in [
        ("types", {"name": "Contrôle", "code": "cont", "duration_minutes": "30", "online": "y"}),
        ("emplois-du-temps", {"name": "Semaine type"}),
    ]:
        r = client.post(f"/console/agenda/reglages/{url}?praticien={practitioner.id}",
                        data={"csrf_token": csrf_from(page), **data})
        assert r.status_code == 303, r.get_data(as_text=True)
    page = client.get(base).get_data(as_text=True)
    import re

    schedule_id = re.search(r'id="schedule-(\d+)"', page).group(1)
    type_id = re.search(r'id="type-(\d+)"', page).group(1)
    r = client.post(f"/console/agenda/reglages/plages?praticien={practitioner.id}", data={
        "csrf_token": csrf_from(page), "schedule_id": schedule_id, "weekday": "0", "starts": "12:00", "ends": "09:00",
        "appointment_type_id": type_id})
    assert r.status_code == 422 and "après son début" in r.get_data(as_text=True)
    r = client.post(f"/console/agenda/reglages/plages?praticien={practitioner.id}", data={
        "csrf_token": csrf_from(page), "schedule_id": schedule_id, "weekday": "0", "starts": "09:00", "ends": "11:00",
        "appointment_type_id": type_id}, follow_redirects=True)
    assert "les créneaux apparaissent" in r.get_data(as_text=True) and "Lundi 09:00–11:00" in r.get_data(as_text=True)
    r = client.post(f"/console/agenda/reglages/activations?praticien={practitioner.id}", data={
        "csrf_token": csrf_from(page), "schedule_id": schedule_id, "starts_on": "2030-01-01", "ends_on": ""})
    assert r.status_code == 303
    agenda = client.get(f"/console/agenda/?praticien={practitioner.id}&jour={MONDAY.isoformat()}").get_data(as_text=True)
    assert agenda.count('class="button button-small slot"') == 4 and "09:30 · CONT" in re.sub(r"\s+", " ", agenda)


def test_secretaries_do_not_change_schedules(auth, client, make_practice, make_staff):
    practice = make_practice()
    auth.staff(make_staff(practice, "secretary"))
    assert client.get("/console/agenda/reglages").status_code == 403
    assert 'href="/console/agenda/reglages"' not in client.get("/console/agenda/").get_data(as_text=True)
