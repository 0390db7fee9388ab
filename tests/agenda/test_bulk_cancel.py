"""Bulk cancellation: a preview with the SMS cost, then each patient told once through the outbox."""
from __future__ import annotations

import re

from datetime import timedelta

from sqlalchemy import select

from portal.agenda import services
from portal.agenda.availability import free_slots
from portal.agenda.models import Appointment, AppointmentStatus
from portal.core.db import commit
from tests import factories
from tests.agenda.conftest import OPERATOR
from tests.agenda.test_booking import MONDAY, slots_on
from tests.conftest import csrf_from


def test_cancel_a_morning_in_bulk(auth, client, week, make_patient, make_staff, db):
    kids = [make_patient(week.practice, number=f"9{i}", first_name=f"Enfant{i}", parent_mobile=f"06 12 00 00 0{i}",
                         email=f"parent{i}@example.com") for i in range(3)]
    slots = slots_on(week)
    for kid, slot in zip(kids, [slots[0], slots[4], slots[8]], strict=True):  # 09:00, 10:20, 11:40
        services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                  appointment_type_id=week.type.id, patient_id=kid.id, starts_at=slot.starts_at,
                                  actor=OPERATOR)
    commit()
    auth.staff(make_staff(week.practice, "secretary"))
    page = client.get("/console/agenda/annulation").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "practitioner_id": week.practitioner.id, "first": MONDAY.isoformat(),
            "last": MONDAY.isoformat(), "appointment_type_id": "0", "starts": "09:00", "ends": "11:00",
            "message": "Le docteur est souffrant ; nous vous rappelons.", "send_sms": "y", "block": "y"}
    r = client.post("/console/agenda/annulation", data={**data, "action": "preview"})
    preview = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="bulk-cancel-preview"' in preview
    assert "2 rendez-vous" in preview and "2 patients" in preview and "et 2 SMS (2 segments facturés)" in preview
    assert db.session.scalar(select(Appointment).where(Appointment.status == AppointmentStatus.cancelled)) is None
    stamp = re.search(r'name="previewed" value="([0-9a-f]+)"', preview).group(1)
    # Confirming after changing a field shows the new preview instead of acting on it.
    r = client.post("/console/agenda/annulation", data={**data, "ends": "12:00", "action": "confirm",
                                                       "previewed": stamp})
    assert r.status_code == 409 and "a changé depuis l" in r.get_data(as_text=True)
    assert "3 rendez-vous" in r.get_data(as_text=True)
    r = client.post("/console/agenda/annulation", data={**data, "action": "confirm", "previewed": stamp},
                    follow_redirects=True)
    assert "2 rendez-vous annulés" in r.get_data(as_text=True)
    cancelled = db.session.scalars(select(Appointment).where(Appointment.status == AppointmentStatus.cancelled)).all()
    assert len(cancelled) == 2
    sms = factories.outbox(category="cancellation")
    assert sorted(m.channel.value for m in sms) == ["email", "email", "sms", "sms"]
    assert all("est annulé. Le docteur est souffrant" in m.body for m in sms)
    # the freed time is blocked, the 11:40 visit untouched; a second confirmation sends nothing more
    free = [s.local_start.strftime("%H:%M") for s in free_slots(practice=week.practice,
            practitioner_id=week.practitioner.id, first=MONDAY, last=MONDAY)]
    assert "09:00" not in free and "10:20" not in free and "09:20" in free
    client.post("/console/agenda/annulation", data={**data, "action": "confirm", "previewed": stamp})
    assert len(factories.outbox(category="cancellation")) == 4
    # and a notice in each patient's space, once
    from portal.notify.models import PatientNotice

    notices = db.session.scalars(select(PatientNotice)).all()
    assert sorted(n.patient_id for n in notices) == sorted([kids[0].id, kids[1].id])
    assert all("Le docteur est souffrant" in n.text for n in notices)


def test_bad_ranges_are_said_in_place(auth, client, week, make_staff):
    auth.staff(make_staff(week.practice, "secretary"))
    page = client.get("/console/agenda/annulation").get_data(as_text=True)
    base = {"csrf_token": csrf_from(page), "practitioner_id": week.practitioner.id, "appointment_type_id": "0",
            "message": "Fermeture exceptionnelle", "action": "preview"}
    r = client.post("/console/agenda/annulation", data={**base, "first": MONDAY.isoformat(),
                                                         "last": (MONDAY - timedelta(days=1)).isoformat()})
    assert r.status_code == 422 and "après son début" in r.get_data(as_text=True)
    assert "Fermeture exceptionnelle" in r.get_data(as_text=True)
    r = client.post("/console/agenda/annulation", data={**base, "first": MONDAY.isoformat(),
                                                         "last": MONDAY.isoformat(), "starts": "10:00"})
    assert r.status_code == 422 and "heure de fin" in r.get_data(as_text=True)
