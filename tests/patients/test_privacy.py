"""Issue 4, slice d: "download my data" (HTML page and JSON file) and the account deletion
request that staff handle (the account goes, the patient files stay)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.accounts.models import AuthSession, PatientAccount, PatientPasskey
from portal.core.models import AuditEvent
from portal.extensions import db as _db
from portal.notify.services import queue_email, queue_sms
from portal.patients.models import ChangeRequest, Patient, RequestKind, RequestState
from tests.conftest import Auth, csrf_from

PHONE = "06 12 34 56 78"


@pytest.fixture
def family(make_practice, make_patient):
    practice = make_practice()
    responsibles = [{"role": "parent1", "last_name": "Lefèvre", "first_name": "Claire", "mobile": PHONE,
                     "email": "claire@example.com"},
                    {"role": "parent2", "last_name": "Lefèvre", "first_name": "Marc", "mobile": "0698765432",
                     "email": "marc@example.com"}]
    lea = make_patient(practice, last_name="LEFEVRE", first_name="Léa", birth_date=date(2012, 5, 3),
                       responsibles=responsibles)
    return practice, lea


def _signed_in(app, patient):
    client = app.test_client()
    Auth(client).patient_first_signin(patient, PHONE)
    return client


def test_my_data_as_json_holds_details_messages_and_events_but_not_the_other_parent(app, family, db):
    practice, lea = family
    queue_sms(practice_id=practice.id, to="+33612345678", body="Rappel pour Léa", key="t-1", category="manual")
    queue_email(practice_id=practice.id, to="claire@example.com", subject="Reçu", body="Merci", key="t-2",
                category="manual")
    queue_email(practice_id=practice.id, to="marc@example.com", subject="Pour Marc", body="x", key="t-3",
                category="manual")
    _db.session.commit()
    client = _signed_in(app, lea)
    r = client.get("/mes-donnees.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert "attachment" in r.headers["Content-Disposition"]
    data = r.get_json()
    assert data["account"]["phone"] == "+33612345678" and data["account"]["privacy_consent_version"]
    assert data["me"]["email"] == "claire@example.com"
    assert data["patients"][0]["details"]["first_name"] == "Léa"
    assert data["patients"][0]["my_roles"] == ["parent1"]
    subjects = [m["subject"] or m["body"] for m in data["messages"]]
    assert "Reçu" in subjects and "Rappel pour Léa" in subjects and "Pour Marc" not in subjects
    assert all(code["body"].count("{secret}") == 0 for code in data["messages"])  # codes stay masked
    actions = [e["action"] for e in data["events"]]
    assert "patient.signin" in actions or "patient.password_set" in actions
    raw = r.get_data(as_text=True)
    assert "marc@example.com" not in raw and "0698765432" not in raw and "+33698765432" not in raw
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.data_exported"))


def test_my_data_page_is_readable_and_printable(app, family):
    _, lea = family
    client = _signed_in(app, lea)
    page = client.get("/mes-donnees").get_data(as_text=True)
    assert 'id="my-data"' in page and "Léa LEFEVRE" in page and "claire@example.com" in page
    assert "marc@example.com" not in page
    assert "/mes-donnees.json" in page and 'id="delete-account-form"' in page


def test_deletion_request_handled_by_staff_closes_the_account_and_keeps_the_file(app, auth, client, family,
                                                                                 make_staff, db):
    practice, lea = family
    parent = _signed_in(app, lea)
    page = parent.get("/mes-donnees").get_data(as_text=True)
    r = parent.post("/mes-donnees/suppression", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 422 and "Cochez la case" in r.get_data(as_text=True)
    r = parent.post("/mes-donnees/suppression", data={"csrf_token": csrf_from(page), "confirm": "y"})
    assert r.status_code == 303
    parent.post("/mes-donnees/suppression", data={"csrf_token": csrf_from(page), "confirm": "y"})
    reqs = list(db.session.scalars(select(ChangeRequest)))
    assert len(reqs) == 1 and reqs[0].kind is RequestKind.account_deletion  # one pending, not two
    assert "Suppression du compte en ligne" in parent.get("/mes-infos").get_data(as_text=True)
    account = db.session.scalar(select(PatientAccount))
    db.session.add(PatientPasskey(practice_id=practice.id, account_id=account.id, credential_id="cred-x",
                                  public_key=b"k", sign_count=0, label="Clé"))
    db.session.commit()

    auth.staff(make_staff(practice, "secretary"))
    console = client.get("/console/patients/demandes").get_data(as_text=True)
    assert "Suppression du compte en ligne" in console
    r = client.post(f"/console/patients/demandes/{reqs[0].id}/accepter", data={"csrf_token": csrf_from(console)})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(PatientAccount)) is None
    assert db.session.scalar(select(PatientPasskey)) is None
    assert db.session.scalar(select(AuthSession).where(AuthSession.patient_account_id.is_not(None))) is None
    assert db.session.get(Patient, lea.id) is not None  # legal retention: the file stays
    req = db.session.get(ChangeRequest, reqs[0].id)
    assert req.state is RequestState.accepted and req.account_id is None and req.requested_by == "+33612345678"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.account_deleted"))
    assert parent.get("/").status_code == 302  # the browser is signed out at once
