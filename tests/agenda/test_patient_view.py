"""What a parent sees of the appointments: next visit on the home page, upcoming and history,
missed visits counted, nothing of another family."""
from __future__ import annotations

from datetime import timedelta

import time_machine

from portal.agenda import services
from portal.agenda.models import AppointmentStatus
from portal.core.db import commit
from tests.agenda.conftest import OPERATOR
from tests.agenda.test_booking import slots_on
from tests.conftest import csrf_from

PHONE = "06 12 34 56 78"


def test_home_and_my_appointments(auth, client, week, make_patient, db):
    child = make_patient(week.practice, parent_mobile=PHONE, first_name="Léa")
    week.type.carte_vitale = True
    commit()
    slots = slots_on(week)
    with time_machine.travel(slots[0].starts_at - timedelta(days=10)):
        visits = [services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                            appointment_type_id=week.type.id, patient_id=child.id,
                                            starts_at=s.starts_at, actor=OPERATOR) for s in slots[:3]]
        commit()
    with time_machine.travel(slots[0].starts_at - timedelta(days=1)):
        auth.patient_first_signin(child, PHONE)
        home = client.get("/").get_data(as_text=True)
        assert 'id="next-visit"' in home and "09:00" in home and "Carte Vitale !" in home
        client.post("/deconnexion", data={"csrf_token": csrf_from(home)})
    with time_machine.travel(slots[1].starts_at + timedelta(minutes=30)):
        services.mark_no_show(visits[0], actor=OPERATOR)  # 09:00 missed
        visits[2].status = AppointmentStatus.cancelled       # 09:40 cancelled: shown nowhere
        commit()
        auth.patient_signin(child, PHONE)
        home = client.get("/").get_data(as_text=True)
        assert "Aucun rendez-vous prévu" in home  # 09:20 is over too
        page = client.get("/rendez-vous").get_data(as_text=True)
        assert "Vous avez manqué 1 rendez-vous." in page
        assert page.count('id="visit-') == 0  # the history waits for "Tout afficher" (seed 000)
        page = client.get("/rendez-vous?tout=1").get_data(as_text=True)
        assert page.count('id="visit-') == 2


def test_the_module_switch_hides_appointments(auth, client, week, make_patient, db):
    child = make_patient(week.practice, parent_mobile=PHONE)
    week.practice.options = {"appointments": False}
    commit()
    auth.patient_first_signin(child, PHONE)
    assert client.get("/rendez-vous").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert "Mes RDV" not in home and 'id="next-visit"' not in home


def test_no_one_sees_another_familys_visits(auth, client, week, make_patient):
    mine = make_patient(week.practice, parent_mobile=PHONE, first_name="Léa")
    services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                              appointment_type_id=week.type.id, patient_id=week.patient.id,
                              starts_at=slots_on(week)[0].starts_at, actor=OPERATOR)
    commit()
    auth.patient_first_signin(mine, PHONE)
    page = client.get("/rendez-vous").get_data(as_text=True)
    assert 'id="visit-' not in page and "Aucun rendez-vous prévu" in page


def test_staff_see_a_patients_visits_and_no_shows(auth, client, week, make_staff):
    slots = slots_on(week)
    with time_machine.travel(slots[0].starts_at - timedelta(days=3)):
        visits = [services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                            appointment_type_id=week.type.id, patient_id=week.patient.id,
                                            starts_at=s.starts_at, actor=OPERATOR) for s in slots[:2]]
        commit()
    with time_machine.travel(slots[0].starts_at + timedelta(minutes=15)):  # 09:15: the 09:20 visit is ahead
        services.mark_no_show(visits[0], actor=OPERATOR)
        commit()
        auth.staff(make_staff(week.practice, "secretary"))
        page = client.get(f"/console/patients/{week.patient.id}?rubrique=rendez-vous").get_data(as_text=True)
        assert "1 rendez-vous manqué." in page and page.count('id="appointment-') == 2
        assert "À venir" in page and "Absence injustifiée" in page


def test_the_home_shows_each_childs_next_visit(auth, client, week, make_patient, db):
    from datetime import date

    lea = make_patient(week.practice, parent_mobile=PHONE, first_name="Léa", birth_date=date(2012, 5, 14))
    hugo = make_patient(week.practice, parent_mobile=PHONE, first_name="Hugo", birth_date=date(2015, 2, 3))
    zoe = make_patient(week.practice, parent_mobile=PHONE, first_name="Zoé", birth_date=date(2016, 8, 1))
    slots = slots_on(week)
    with time_machine.travel(slots[0].starts_at - timedelta(days=3)):
        for who, slot in ((lea, slots[0]), (hugo, slots[2]), (hugo, slots[4])):
            services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                      appointment_type_id=week.type.id, patient_id=who.id,
                                      starts_at=slot.starts_at, actor=OPERATOR)
        commit()
        auth.patient_first_signin(lea, PHONE)
        home = client.get("/").get_data(as_text=True)
        family = home[home.index('id="family-visits"'):]
        assert f'id="family-visit-{hugo.id}"' in family and f'id="family-visit-{zoe.id}"' in family
        assert f'id="family-visit-{lea.id}"' not in family  # Léa's own visit is the tile above
        hugo_row = family[family.index(f'id="family-visit-{hugo.id}"'):family.index(f'id="family-visit-{zoe.id}"')]
        assert "09:40" in hugo_row and "10:20" not in hugo_row  # the next one only
        assert "aucun rendez-vous prévu" in family[family.index(f'id="family-visit-{zoe.id}"'):]
        week.practice.options = {"appointments": False}  # the module off: no visits anywhere
        commit()
        assert 'id="family-visits"' not in client.get("/").get_data(as_text=True)
