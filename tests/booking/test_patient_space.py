"""What a parent does with the appointments in the patient space: cancel online before the
deadline, add a visit to a calendar, join a teleconsultation, read the practice's notices."""
from __future__ import annotations

import html as html_lib
from datetime import timedelta

import time_machine
from sqlalchemy import select

from portal.agenda import services as agenda
from portal.agenda.models import Appointment, AppointmentStatus
from portal.core.db import commit
from portal.notify.services import queue_notice
from tests.agenda.conftest import OPERATOR
from tests.agenda.test_booking import slots_on
from tests.conftest import csrf_from
from tests.factories import outbox

PHONE = "06 12 34 56 78"


def text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def _visit(week, patient, slot):
    return agenda.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                   appointment_type_id=week.type.id, patient_id=patient.id, starts_at=slot.starts_at,
                                   actor=OPERATOR)


def test_cancel_from_my_appointments_before_the_deadline(auth, client, week, make_patient, db):
    child = make_patient(week.practice, parent_mobile=PHONE, email="parent@example.com")
    slot = slots_on(week)[0]
    with time_machine.travel(slot.starts_at - timedelta(days=5)):
        visit = _visit(week, child, slot)
        commit()
        auth.patient_first_signin(child, PHONE)
        page = text(client.get("/rendez-vous"))
        assert f"/rendez-vous/{visit.id}/annuler" in page and "Dr Claire Martin" in page
        form = text(client.get(f"/rendez-vous/{visit.id}/annuler"))
        r = client.post(f"/rendez-vous/{visit.id}/annuler", data={"csrf_token": csrf_from(form), "reason": ""})
        assert r.status_code == 422 and "Indiquez le motif" in text(r)
        r = client.post(f"/rendez-vous/{visit.id}/annuler",
                        data={"csrf_token": csrf_from(form), "reason": "Voyage scolaire"})
        assert r.status_code == 303
    db.session.refresh(visit)
    assert visit.status is AppointmentStatus.cancelled and visit.cancel_reason == "Voyage scolaire"
    assert outbox("parent@example.com", "cancellation")


def test_no_online_cancel_after_the_deadline_or_when_the_type_forbids(auth, client, week, make_patient, db):
    child = make_patient(week.practice, parent_mobile=PHONE)
    slots = slots_on(week)
    with time_machine.travel(slots[0].starts_at - timedelta(days=5)):
        late, locked = _visit(week, child, slots[0]), None
        commit()
    with time_machine.travel(slots[0].starts_at - timedelta(hours=10)):
        auth.patient_first_signin(child, PHONE)
        assert f"/rendez-vous/{late.id}/annuler" not in text(client.get("/rendez-vous"))
        form = text(client.get(f"/rendez-vous/{late.id}/annuler"))
        assert "Appelez le cabinet" in form
        r = client.post(f"/rendez-vous/{late.id}/annuler", data={"csrf_token": csrf_from(form), "reason": "x"})
        assert r.status_code == 422
    week.type.patient_can_cancel = False
    commit()
    with time_machine.travel(slots[0].starts_at - timedelta(days=4)):
        auth.patient_signin(child, PHONE)
        form = text(client.get(f"/rendez-vous/{late.id}/annuler"))
        assert "ne peut pas être annulé en ligne" in form
    assert db.session.get(Appointment, late.id).status is AppointmentStatus.booked
    del locked


def test_another_familys_visit_is_404(auth, client, week, make_patient):
    mine = make_patient(week.practice, parent_mobile=PHONE)
    slot = slots_on(week)[0]
    with time_machine.travel(slot.starts_at - timedelta(days=5)):
        theirs = _visit(week, week.patient, slot)
        commit()
        auth.patient_first_signin(mine, PHONE)
        assert client.get(f"/rendez-vous/{theirs.id}/annuler").status_code == 404
        assert client.get(f"/rendez-vous/{theirs.id}/agenda.ics").status_code == 404


def test_the_ics_download_and_the_teleconsultation_link(auth, client, week, make_patient, db):
    week.type.teleconsultation = True
    commit()
    child = make_patient(week.practice, parent_mobile=PHONE)
    slot = slots_on(week)[0]
    with time_machine.travel(slot.starts_at - timedelta(days=5)):
        visit = _visit(week, child, slot)
        commit()
        auth.patient_first_signin(child, PHONE)
        r = client.get(f"/rendez-vous/{visit.id}/agenda.ics")
        assert r.mimetype == "text/calendar" and b"BEGIN:VEVENT" in r.data
        assert f"sourire-{visit.room_token}".encode() in r.data.replace(b"\r\n ", b"")  # unfolded
        assert "Rejoindre la téléconsultation" not in text(client.get("/rendez-vous"))
    with time_machine.travel(slot.starts_at - timedelta(minutes=10)):
        auth.patient_signin(child, PHONE)
        page = text(client.get("/rendez-vous"))
    assert "Rejoindre la téléconsultation" in page and f"https://meet.jit.si/sourire-{visit.room_token}" in page
    assert len(visit.room_token) >= 43  # 256 bits: unguessable


def test_notices_show_on_the_home_page_until_hidden(auth, client, week, make_patient, db):
    child = make_patient(week.practice, parent_mobile=PHONE)
    other = make_patient(week.practice, parent_mobile="06 99 99 99 99")
    queue_notice(practice_id=week.practice.id, patient_id=child.id, text="Cabinet fermé lundi.", key="n1",
                 category="cancellation")
    queue_notice(practice_id=week.practice.id, patient_id=other.id, text="Pas pour vous.", key="n2",
                 category="cancellation")
    commit()
    auth.patient_first_signin(child, PHONE)
    home = text(client.get("/"))
    assert "Cabinet fermé lundi." in home and "Pas pour vous." not in home
    from portal.notify.models import PatientNotice

    theirs = db.session.scalar(select(PatientNotice).where(PatientNotice.key == "n2"))
    assert client.post(f"/avis/{theirs.id}/lu", data={"csrf_token": csrf_from(home)}).status_code == 404
    mine = db.session.scalar(select(PatientNotice).where(PatientNotice.key == "n1"))
    assert client.post(f"/avis/{mine.id}/lu", data={"csrf_token": csrf_from(home)}).status_code == 303
    assert "Cabinet fermé lundi." not in text(client.get("/"))
