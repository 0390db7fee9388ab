"""Staff patient search, the patient file, and the RGPD sharing switch."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.core.models import AuditEvent
from portal.patients.services import search_patients
from tests.conftest import csrf_from


@pytest.fixture
def practice_with_patients(make_practice, make_patient):
    practice = make_practice()
    p1 = make_patient(practice, number="501", last_name="Lefèvre", first_name="Léa", mobile="0611111111",
                      parent_mobile="0622222222")
    p2 = make_patient(practice, number="502", last_name="Lefebvre", first_name="Hugo")
    p3 = make_patient(practice, number="503", last_name="Le Goff", first_name="Anne")
    make_patient(practice, number="504", last_name="Martin", first_name="Jules")
    return practice, p1, p2, p3


@pytest.mark.parametrize("query, expected", [
    ("lef", {"Léa", "Hugo"}),
    ("LEFE", {"Léa", "Hugo"}),
    ("lefèvre", {"Léa"}),
    ("lefevre lea", {"Léa"}),
    ("Lefebvre h", {"Hugo"}),
    ("le goff", {"Anne"}),
    ("le goff anne", {"Anne"}),   # a last name of two words, then the first name
    ("LE GOFF a", {"Anne"}),
    ("le goff hugo", set()),
    ("501", {"Léa"}),
    ("06 11 11 11 11", {"Léa"}),
    ("+33622222222", {"Léa"}),   # a parent's number finds the child
    ("0699999999", set()),
    ("zzz", set()),
    ("%", set()),
])
def test_search(practice_with_patients, query, expected):
    practice = practice_with_patients[0]
    assert {p.first_name for p in search_patients(practice_id=practice.id, query=query)} == expected


def test_search_page_and_htmx_fragment(auth, client, practice_with_patients, make_staff):
    practice = practice_with_patients[0]
    auth.staff(make_staff(practice, "secretary"))
    page = client.get("/console/patients/?q=lef").get_data(as_text=True)
    assert "<nav" in page and 'id="patients-results"' in page and "Léa" in page and "Martin" not in page
    r = client.get("/console/patients/?q=martin", headers={"HX-Request": "true", "HX-Target": "patients-results"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and body.lstrip().startswith("<section") and "<nav" not in body and "Jules" in body
    assert "HX-Request" in r.headers["Vary"]
    # a boosted navigation (HX-Request without our target) gets the whole page
    r = client.get("/console/patients/?q=martin", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<nav" in r.get_data(as_text=True)


def test_patient_file_and_sharing_switch(auth, client, practice_with_patients, make_staff, db):
    practice, lea, *_ = practice_with_patients
    user = make_staff(practice, "secretary")
    auth.staff(user)
    page = client.get(f"/console/patients/{lea.id}").get_data(as_text=True)
    assert "Fiche administrative" in page and "06 22 22 22 22" in page
    r = client.post(f"/console/patients/{lea.id}/partage", data={"do_not_share": "1", "csrf_token": csrf_from(page)},
                    follow_redirects=True)
    assert "n&#39;est plus partagé" in r.get_data(as_text=True)
    db.session.refresh(lea)
    assert lea.do_not_share_online
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.sharing_changed"))
    assert event.actor_id == user.id and event.target_id == lea.id and event.details == {"do_not_share_online": True}


def test_journal_is_for_the_owner(auth, client, practice_with_patients, make_staff):
    practice = practice_with_patients[0]
    auth.staff(make_staff(practice, "owner"))
    page = client.get("/console/journal").get_data(as_text=True)
    assert "Connexion" in page and "Patient créé" in page


def test_dashboard_counts(auth, client, practice_with_patients, make_staff):
    practice = practice_with_patients[0]
    auth.staff(make_staff(practice, "practitioner"))
    page = client.get("/console/").get_data(as_text=True)
    assert 'id="tile-patients"' in page and ">4<" in page and practice.public_code in page


def test_staff_reset_a_parents_lost_password(auth, client, make_practice, make_patient, make_staff, db, app):
    from portal.accounts.models import PatientAccount
    from tests.conftest import Auth

    practice = make_practice()
    child = make_patient(practice, parent_mobile="0633333333")
    parent = app.test_client()
    Auth(parent).patient_first_signin(child, "0633333333")
    assert parent.get("/").status_code == 200
    auth.staff(make_staff(practice, "secretary"))
    page = client.get(f"/console/patients/{child.id}").get_data(as_text=True)
    assert "Accès en ligne" in page and "06 33 33 33 33" in page
    account = db.session.scalar(select(PatientAccount))
    r = client.post(f"/console/patients/{child.id}/acces/{account.id}/reinitialiser",
                    data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "réinitialisé" in r.get_data(as_text=True)
    assert parent.get("/").status_code == 302  # the parent's sessions ended
    db.session.refresh(account)
    assert account.password_hash is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.access_reset"))
    # the next sign-in is a first one again
    r = Auth(parent).patient_identify(child, "0633333333")
    assert r.headers["Location"].endswith("/connexion/code")


def test_long_result_lists_ask_for_a_more_precise_search(auth, client, make_practice, make_patient, make_staff):
    practice = make_practice()
    for i in range(31):
        make_patient(practice, last_name="Martin", first_name=f"P{i:02d}")
    auth.staff(make_staff(practice, "secretary"))
    page = client.get("/console/patients/?q=mar").get_data(as_text=True)
    assert len(re.findall(r'id="patient-\d+"', page)) == 30 and "précisez la recherche" in page
