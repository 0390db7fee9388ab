"""Mes RDV extras (seed 000): "Tout afficher", "Me rendre au cabinet", "Ajouter à mon agenda"
remembered per person, and the check-in QR code of the day's visit scanned at the desk."""
from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from portal.accounts.models import Role
from portal.agenda import services as agenda
from portal.agenda.checkin import checkin_code
from portal.agenda.models import AppointmentStatus, CheckIn
from portal.core.db import commit
from tests.agenda.conftest import OPERATOR
from tests.agenda.test_booking import slots_on
from tests.booking.test_patient_space import _visit, text
from tests.conftest import Auth, csrf_from

PHONE = "06 12 34 56 78"


def test_tout_afficher_adds_the_history_in_chronological_order(auth, client, week, make_patient, db):
    child = make_patient(week.practice, parent_mobile=PHONE)
    slots = slots_on(week)
    with time_machine.travel(slots[0].starts_at - timedelta(days=3)):
        first, second, later = _visit(week, child, slots[0]), _visit(week, child, slots[2]), _visit(week, child, slots[5])
        commit()
    agenda_first = first.id
    with time_machine.travel(slots[4].starts_at):
        first.status = AppointmentStatus.no_show
        commit()
        auth.patient_first_signin(child, PHONE)
        page = text(client.get("/rendez-vous"))
        assert f'id="visit-{later.id}"' in page and f'id="visit-{agenda_first}"' not in page
        assert "Vous avez manqué 1 rendez-vous" in page and "Tout afficher" in page
        full = text(client.get("/rendez-vous?tout=1"))
        assert full.index(f'id="visit-{first.id}"') < full.index(f'id="visit-{second.id}"')  # oldest first
        assert "Masquer l'historique" in full


def test_me_rendre_au_cabinet_opens_the_map(auth, client, week, make_patient):
    week.practice.address, week.practice.city = "3 rue Aristide Bergès", "Dijon"
    child = make_patient(week.practice, parent_mobile=PHONE)
    slot = slots_on(week)[0]
    with time_machine.travel(slot.starts_at - timedelta(days=3)):
        _visit(week, child, slot)
        commit()
        auth.patient_first_signin(child, PHONE)
        page = text(client.get("/rendez-vous"))
    assert "Me rendre au cabinet" in page and "openstreetmap.org/search?query=3+rue+Aristide" in page


def test_adding_to_the_calendar_twice_says_it_was_already_added(auth, client, week, make_patient, app):
    child = make_patient(week.practice, parent_mobile=PHONE)
    slot = slots_on(week)[0]
    with time_machine.travel(slot.starts_at - timedelta(days=3)):
        visit = _visit(week, child, slot)
        commit()
        auth.patient_first_signin(child, PHONE)
        first = client.get(f"/rendez-vous/{visit.id}/ajouter-a-mon-agenda")
        assert first.mimetype == "text/calendar" and b"BEGIN:VEVENT" in first.data
        second = client.get(f"/rendez-vous/{visit.id}/ajouter-a-mon-agenda")
        assert second.status_code == 200 and "Ce rendez-vous a déjà été ajouté à votre agenda" in text(second)
        assert f"/rendez-vous/{visit.id}/agenda.ics" in text(second)
        assert "déjà ajouté" in text(client.get("/rendez-vous"))
        # another family's visit is not theirs to add
        other = make_patient(week.practice, parent_mobile="06 99 99 99 99")
        theirs = _visit(week, other, slots_on(week)[3])
        commit()
        assert client.get(f"/rendez-vous/{theirs.id}/ajouter-a-mon-agenda").status_code == 404


def _desk(app, week, make_staff):
    desk = app.test_client()
    Auth(desk).staff(make_staff(week.practice, Role.secretary))
    return desk


def test_the_qr_code_of_todays_visit_checks_the_patient_in(auth, client, week, make_patient, make_staff, app, db):
    week.practice.options = {"appointments_checkin": True}
    child = make_patient(week.practice, parent_mobile=PHONE, first_name="Léa")
    slots = slots_on(week)
    with time_machine.travel(slots[0].starts_at - timedelta(days=3)):
        today, other_day = _visit(week, child, slots[3]), None
        commit()
    with time_machine.travel(slots[0].starts_at - timedelta(hours=1)):  # the morning of the visit
        auth.patient_first_signin(child, PHONE)
        page = text(client.get("/rendez-vous"))
        code = checkin_code(today)
        assert f'id="checkin-qr-{today.id}"' in page and code in page and 'src="data:image/svg+xml' in page
        assert str(today.id) != code and re.fullmatch(r"RDV-\d+-[0-9A-F]{16}", code)
        desk = _desk(app, week, make_staff)
        form = text(desk.get("/console/agenda/accueil"))
        assert 'autofocus' in form
        hx = {"HX-Request": "true", "HX-Target": "checkin-desk"}
        r = desk.post("/console/agenda/accueil", data={"csrf_token": csrf_from(form), "code": code.lower() + " "},
                      headers=hx)
        body = text(r)
        assert r.status_code == 200 and "Léa" in body and "est arrivé(e)" in body and "<html" not in body
        assert 'value=""' in body or 'value=' not in body.split('id="checkin-code"')[1].split(">")[0]
        again = text(desk.post("/console/agenda/accueil", data={"csrf_token": csrf_from(form), "code": code},
                               headers=hx))
        assert "déjà noté(e) arrivé(e)" in again
        day = text(desk.get(f"/console/agenda/?praticien={week.practitioner.id}&jour={today.starts_at.date()}"))
        assert f'id="appointment-{today.id}-arrived"' in day and "Arrivé(e)" in day
    assert len(db.session.scalars(select(CheckIn)).all()) == 1
    del other_day


def test_wrong_foreign_and_other_day_codes_are_refused_in_place(week, make_patient, make_practice, make_staff, app, db):
    week.practice.options = {"appointments_checkin": True}
    child = make_patient(week.practice, parent_mobile=PHONE)
    slots = slots_on(week)
    tuesday = slots_on(week, slots[0].starts_at.date() + timedelta(days=1))
    with time_machine.travel(slots[0].starts_at - timedelta(days=3)):
        tomorrow = _visit(week, child, tuesday[0])
        cancelled = _visit(week, child, slots[1])
        agenda.cancel_appointment(cancelled, actor=OPERATOR)
        commit()
    # another practice's visit today, with its own valid code
    from portal.core.services import add_practitioner
    other = make_practice("Autre")
    doc = add_practitioner(other, first_name="A", last_name="B", actor=OPERATOR)
    kind = agenda.add_appointment_type(practitioner=doc, name="C", duration_minutes=20, actor=OPERATOR)
    foreign = agenda.book_appointment(practice=other, practitioner_id=doc.id, appointment_type_id=kind.id,
                                      patient_id=make_patient(other).id, starts_at=slots[2].starts_at, actor=OPERATOR,
                                      extra=True)
    commit()
    with time_machine.travel(slots[0].starts_at - timedelta(hours=1)):
        desk = _desk(app, week, make_staff)
        token = csrf_from(text(desk.get("/console/agenda/accueil")))
        hx = {"HX-Request": "true", "HX-Target": "checkin-desk"}
        for code, expected in ((f"RDV-{tomorrow.id}-0000000000000000", "Code non reconnu"),
                               (str(tomorrow.id), "Code non reconnu"),
                               (checkin_code(foreign), "Code non reconnu"),
                               (checkin_code(tomorrow), "pas d'aujourd'hui"),
                               (checkin_code(cancelled), "a été annulé")):
            r = desk.post("/console/agenda/accueil", data={"csrf_token": token, "code": code}, headers=hx)
            assert r.status_code == 422 and expected in text(r), (code, text(r))
            assert 'id="checkin-code"' in text(r) and "autofocus" in text(r)
    assert db.session.scalars(select(CheckIn)).all() == []


def test_no_qr_and_no_check_in_while_the_option_is_off(auth, client, week, make_patient, make_staff, app, db):
    child = make_patient(week.practice, parent_mobile=PHONE)
    slots = slots_on(week)
    with time_machine.travel(slots[0].starts_at - timedelta(days=3)):
        visit = _visit(week, child, slots[0])
        commit()
    with time_machine.travel(slots[0].starts_at - timedelta(hours=1)):
        auth.patient_first_signin(child, PHONE)
        assert "checkin-qr" not in text(client.get("/rendez-vous"))
        desk = _desk(app, week, make_staff)
        page = text(desk.get("/console/agenda/accueil"))
        assert "n'est pas activé" in page
        r = desk.post("/console/agenda/accueil", data={"csrf_token": csrf_from(page), "code": checkin_code(visit)})
        assert r.status_code == 422
    assert db.session.scalars(select(CheckIn)).all() == []
