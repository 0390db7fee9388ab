"""Booking at the desk (seed 003 §§ 1, 2, 8): finding, picking or creating the patient, the
booking's options, and the appointment's page (notes, remarks, move, duplicate, teleconsultation)."""
from __future__ import annotations

from datetime import time, timedelta

import time_machine
from sqlalchemy import event, func, select

from portal.agenda import services
from portal.agenda.models import Appointment, AppointmentStatus, ExtraRange, SecretaryRight, WaitingEntry
from portal.core.audit import AuditEvent
from portal.core.db import commit
from portal.extensions import db as _db
from portal.patients.models import Patient
from tests import factories
from tests.agenda.conftest import OPERATOR
from tests.agenda.test_booking import MONDAY, slots_on
from tests.conftest import csrf_from

DAY_URL = f"/console/agenda/?jour={MONDAY.isoformat()}"
BOOK_URL = f"/console/agenda/rendez-vous?jour={MONDAY.isoformat()}"


def day_page(client, week):
    return client.get(f"{DAY_URL}&praticien={week.practitioner.id}").get_data(as_text=True)


def post_booking(client, week, html, slot, follow_redirects=False, **data):
    return client.post(BOOK_URL, follow_redirects=follow_redirects, data={"csrf_token": csrf_from(html), "practitioner_id": week.practitioner.id,
                                       "slot": f"{slot.starts_at.isoformat()}|{data.pop('type_id', week.type.id)}",
                                       **data})


def booked(db):
    db.session.expire_all()
    return db.session.scalars(select(Appointment).where(Appointment.status == AppointmentStatus.booked)
                              .order_by(Appointment.starts_at)).all()


def test_find_by_email_pick_and_book_with_a_message_for_the_patient(auth, client, week, make_staff, make_patient, db):
    mum = make_patient(week.practice, number="801", last_name="Petit", first_name="Léa", email="lea@example.com")
    auth.staff(make_staff(week.practice, "secretary"))
    html = day_page(client, week)
    live = client.get("/console/agenda/patients", query_string={"patient_number": "LEA@example.com"},
                      headers={"HX-Request": "true", "HX-Target": "agenda-patient-pick"}).get_data(as_text=True)
    assert 'id="agenda-patient-pick"' in live and f'value="{mum.id}"' in live and "Petit Léa" in live
    r = post_booking(client, week, html, slots_on(week)[2], patient_id=mum.id, patient_message="Apportez la radio.",
                     note="Première visite", confirm="y")
    assert r.status_code == 303
    (visit,) = booked(db)
    assert (visit.patient_id, visit.note, visit.patient_message) == (mum.id, "Première visite", "Apportez la radio.")
    (mail,) = factories.outbox("lea@example.com")
    assert mail.key == f"booked:{visit.id}" and "Apportez la radio." in mail.body and "09:40" in mail.body
    from portal.agenda.desk import send_confirmation

    send_confirmation(week.practice, visit)  # a second call (a retried request) sends nothing more
    commit()
    assert len(factories.outbox("lea@example.com")) == 1


def test_an_ambiguous_search_offers_a_choice_and_keeps_what_was_typed(auth, client, week, make_staff, make_patient):
    make_patient(week.practice, number="778", last_name="Durand", first_name="Hugo")
    auth.staff(make_staff(week.practice, "secretary"))
    html = day_page(client, week)
    r = post_booking(client, week, html, slots_on(week)[0], patient_number="durand", note="gardé",
                     patient_message="à garder aussi")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Plusieurs patients correspondent" in page
    assert page.count('name="patient_id"') == 2 and 'value="gardé"' in page and "à garder aussi" in page
    r = post_booking(client, week, html, slots_on(week)[0], patient_number="", note="x")
    assert r.status_code == 422 and "Recherchez le patient, ou créez-le." in r.get_data(as_text=True)


def test_a_new_patient_created_inline(auth, client, week, make_staff, db):
    auth.staff(make_staff(week.practice, "secretary"))
    html = day_page(client, week)
    slot = slots_on(week)[1]
    bad = post_booking(client, week, html, slot, new_last_name="Nouveau", new_first_name="Noé",
                       new_birth_date="2015-02-03", new_mobile="12")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Ce numéro de téléphone n&#39;est pas valide." in page
    assert 'value="Nouveau"' in page and 'value="2015-02-03"' in page
    missing = post_booking(client, week, html, slot, new_last_name="Nouveau", new_first_name="Noé")
    assert missing.status_code == 422 and "date de naissance" in missing.get_data(as_text=True)
    unreachable = post_booking(client, week, html, slot, new_last_name="Nouveau", new_first_name="Noé",
                               new_birth_date="2015-02-03")
    assert unreachable.status_code == 422 and "portable ou une adresse e-mail" in unreachable.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Patient).where(Patient.first_name == "Noé")) == 0
    ok = post_booking(client, week, html, slot, new_last_name="Nouveau", new_first_name="Noé",
                      new_birth_date="2015-02-03", new_mobile="06 55 44 33 22", follow_redirects=True)
    assert "Rendez-vous pris pour Noé NOUVEAU" in ok.get_data(as_text=True)
    noe = db.session.scalar(select(Patient).where(Patient.first_name == "Noé"))
    assert noe.number == "778" and noe.mobile == "+33655443322"  # after the week's 777
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.created",
                                                      AuditEvent.target_id == noe.id)) is not None


def test_for_a_family_member(auth, client, week, make_staff, make_patient, db):
    big = make_patient(week.practice, number="901", last_name="Roux", first_name="Aîné", parent_mobile="0612121212")
    small = make_patient(week.practice, number="902", last_name="Roux", first_name="Cadet", parent_mobile="0612121212")
    make_patient(week.practice, number="903", last_name="Roux", first_name="Voisin", parent_mobile="0699999999")
    auth.staff(make_staff(week.practice, "secretary"))
    live = client.get("/console/agenda/patients", query_string={"patient_id": big.id}).get_data(as_text=True)
    assert "Cadet" in live and "famille" in live and "Voisin" not in live
    html = day_page(client, week)
    assert post_booking(client, week, html, slots_on(week)[0], patient_id=small.id).status_code == 303
    assert booked(db)[0].patient_id == small.id


def test_teleconsultation_needs_a_mobile_shown_on_the_planning_and_a_room_link(auth, client, week, make_staff, db):
    tele = services.add_appointment_type(practitioner=week.practitioner, name="Téléconsultation", code="TCS",
                                         duration_minutes=15, teleconsultation=True, actor=OPERATOR)
    db.session.add(ExtraRange(practice_id=week.practice.id, practitioner_id=week.practitioner.id, day=MONDAY,
                              starts=time(14), ends=time(15), appointment_type_id=tele.id))
    commit()
    secretary = make_staff(week.practice, "secretary")
    auth.staff(secretary)
    html = day_page(client, week)
    slot = next(s for s in slots_on(week) if s.appointment_type_id == tele.id)
    r = post_booking(client, week, html, slot, type_id=tele.id, patient_number="777")
    assert r.status_code == 422 and "Une téléconsultation demande un numéro de mobile." in r.get_data(as_text=True)
    r = post_booking(client, week, html, slot, type_id=tele.id, patient_number="777", teleconsult_mobile="0611223344",
                     follow_redirects=True)
    assert "(06 11 22 33 44)" in r.get_data(as_text=True)
    (visit,) = booked(db)
    url = services.room_url(visit)
    commit()
    assert url == f"https://meet.jit.si/sourire-{visit.room_token}" and len(visit.room_token) >= 43
    page = f"/console/agenda/rendez-vous/{visit.id}"
    assert 'id="appointment-room-later"' in client.get(page).get_data(as_text=True)
    with time_machine.travel(visit.starts_at - timedelta(minutes=10)):
        auth.staff(secretary)  # years ahead: the earlier session is long gone
        opened = client.get(page).get_data(as_text=True)
        assert f'href="{url}" target="_blank"' in opened and "Lancer la téléconsultation" in opened
    with time_machine.travel(visit.ends_at + timedelta(minutes=1)):  # 26 minutes on: still signed in
        assert "Lancer la téléconsultation" not in client.get(page).get_data(as_text=True)


def test_waiting_list_instead_of_booking(auth, client, week, make_staff, db):
    auth.staff(make_staff(week.practice, "secretary"))
    html = day_page(client, week)
    r = post_booking(client, week, html, slots_on(week)[0], patient_number="777", waiting="y", wishes="les matins",
                     follow_redirects=True)
    assert "est inscrit(e) sur la liste d&#39;attente" in r.get_data(as_text=True)
    (entry,) = db.session.scalars(select(WaitingEntry)).all()
    assert (entry.patient_id, entry.appointment_type_id, entry.wishes) == (week.patient.id, week.type.id, "les matins")
    assert booked(db) == []


def test_a_secretary_without_the_right_to_book_is_refused(auth, client, week, make_staff, db):
    secretary = make_staff(week.practice, "secretary")
    db.session.add(SecretaryRight(practice_id=week.practice.id, staff_user_id=secretary.id,
                                  practitioner_id=week.practitioner.id, can_book=False))
    commit()
    auth.staff(secretary)
    html = day_page(client, week)
    assert post_booking(client, week, html, slots_on(week)[0], patient_number="777").status_code == 403
    visit = services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                      appointment_type_id=week.type.id, patient_id=week.patient.id,
                                      starts_at=slots_on(week)[0].starts_at, actor=OPERATOR)
    commit()
    page = client.get(f"/console/agenda/rendez-vous/{visit.id}").get_data(as_text=True)  # may still see it
    r = client.post(f"/console/agenda/rendez-vous/{visit.id}/note", data={"csrf_token": csrf_from(page), "note": "x"})
    assert r.status_code == 403
    r = client.post(f"/console/agenda/rendez-vous/{visit.id}/annuler", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 403 and booked(db)[0].status is AppointmentStatus.booked


def test_appointment_page_notes_remarks_move_and_duplicate(auth, client, week, make_staff, make_patient, db):
    week.patient.email = "durand@example.com"
    slots = slots_on(week)
    visit = services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                      appointment_type_id=week.type.id, patient_id=week.patient.id,
                                      starts_at=slots[0].starts_at, actor=OPERATOR, note="avant")
    other = make_patient(week.practice, number="950", first_name="Autre")
    services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                              appointment_type_id=week.type.id, patient_id=other.id, starts_at=slots[5].starts_at,
                              actor=OPERATOR)
    commit()
    auth.staff(make_staff(week.practice, "secretary"))
    url = f"/console/agenda/rendez-vous/{visit.id}"
    page = client.get(url).get_data(as_text=True)
    assert f'id="appointment-{visit.id}"' in page and "avant" in page
    token = csrf_from(page)
    r = client.post(f"{url}/note", data={"csrf_token": token, "note": "après"}, follow_redirects=True)
    assert "Notes enregistrées." in r.get_data(as_text=True)
    r = client.post(f"{url}/remarques", data={"csrf_token": token, "remarks": "x" * 2001})
    assert r.status_code == 422 and "x" * 2001 in r.get_data(as_text=True)  # too long: kept, said
    client.post(f"{url}/remarques", data={"csrf_token": token, "remarks": "Allergie au latex"})
    db.session.expire_all()
    assert week.patient.remarks == "Allergie au latex" and db.session.get(Appointment, visit.id).note == "après"
    # move onto a taken time: refused clearly, nothing changed
    r = client.post(f"{url}/deplacer", data={"csrf_token": token, "day": MONDAY.isoformat(), "starts": "10:45"})
    assert r.status_code == 409 and "Ce créneau vient d&#39;être pris." in r.get_data(as_text=True)
    assert [a.id for a in booked(db)][0] == visit.id
    r = client.post(f"{url}/deplacer", data={"csrf_token": token, "slot": slots[3].starts_at.isoformat()})
    assert r.status_code == 303
    moved = booked(db)[0]
    assert moved.starts_at == slots[3].starts_at and moved.note == "après" and not moved.extra
    assert _db.session.get(Appointment, visit.id).status is AppointmentStatus.cancelled
    told = [m for m in factories.outbox(category="confirmation") if m.key == f"booked:{moved.id}"]
    assert len(told) == 1 and "est déplacé au" in told[0].body  # the patient hears of the new time
    r = client.post(f"/console/agenda/rendez-vous/{moved.id}/dupliquer",
                    data={"csrf_token": token, "copie-day": MONDAY.isoformat(), "copie-starts": "16:00"},
                    follow_redirects=True)
    assert "Rendez-vous dupliqué le 25/11/2030 à 16:00." in r.get_data(as_text=True)
    copy = booked(db)[-1]
    assert copy.extra and copy.patient_id == week.patient.id and copy.appointment_type_id == week.type.id
    r = client.post(f"{url}/deplacer", data={"csrf_token": token})  # nothing chosen
    assert r.status_code in (409, 422)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"agenda.note_changed", "patient.remarks_changed", "agenda.moved", "agenda.duplicated"} <= actions


def test_no_show_from_the_appointment_page(auth, client, week, make_staff, db):
    visit = services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                      appointment_type_id=week.type.id, patient_id=week.patient.id,
                                      starts_at=slots_on(week)[0].starts_at, actor=OPERATOR)
    commit()
    secretary = make_staff(week.practice, "secretary")
    with time_machine.travel(visit.ends_at + timedelta(hours=1)):
        auth.staff(secretary)
        page = client.get(f"/console/agenda/rendez-vous/{visit.id}").get_data(as_text=True)
        assert "ABSENCE INJUSTIFIÉE" in page
        client.post(f"/console/agenda/rendez-vous/{visit.id}/absence", data={"csrf_token": csrf_from(page)})
    db.session.expire_all()
    assert db.session.get(Appointment, visit.id).status is AppointmentStatus.no_show


def test_the_day_page_and_the_live_search_keep_few_queries(auth, client, week, make_staff, make_patient, db):
    for i in range(15):
        visit_patient = make_patient(week.practice, number=f"5{i:02d}", last_name="Lenoir", parent_mobile="0610101010")
        if i < 9:
            services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                      appointment_type_id=week.type.id, patient_id=visit_patient.id,
                                      starts_at=slots_on(week)[i].starts_at, actor=OPERATOR)
    commit()
    auth.staff(make_staff(week.practice, "secretary"))
    counted = []

    def count(*args):
        counted.append(1)

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        client.get(f"{DAY_URL}&praticien={week.practitioner.id}")
        day_queries = len(counted)
        counted.clear()
        client.get("/console/agenda/patients", query_string={"patient_number": "lenoir"})
        search_queries = len(counted)
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)
    assert day_queries < 30 and search_queries < 15, (day_queries, search_queries)


def test_cancelling_at_the_desk_tells_the_patient_once(auth, client, week, make_staff, make_patient, db):
    kid = make_patient(week.practice, number="951", parent_mobile="06 55 44 33 22")
    visit = services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                      appointment_type_id=week.type.id, patient_id=kid.id,
                                      starts_at=slots_on(week)[0].starts_at, actor=OPERATOR)
    commit()
    auth.staff(make_staff(week.practice, "secretary"))
    html = day_page(client, week)
    url = f"/console/agenda/rendez-vous/{visit.id}/annuler?jour={MONDAY.isoformat()}"
    r = client.post(url, data={"csrf_token": csrf_from(html)}, follow_redirects=True)
    assert "le patient est prévenu" in r.get_data(as_text=True)
    client.post(url, data={"csrf_token": csrf_from(html)})  # a double click
    sms = factories.outbox("06 55 44 33 22", "cancellation")
    assert len(sms) == 1 and "est annulé" in sms[0].body
    r = client.post(url, data={"csrf_token": "expired"}, follow_redirects=True)
    assert "La page a expiré" in r.get_data(as_text=True)
