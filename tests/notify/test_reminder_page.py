"""The patient space's Notifications page: the default rule, "+" and the bin, bad input in place."""
from __future__ import annotations

import html as html_lib
from datetime import time

from sqlalchemy import select

from portal.accounts.models import PatientAccount
from portal.core.audit import AuditEvent
from portal.notify.models import ReminderRule
from tests.conftest import csrf_from

PHONE = "06 12 34 56 78"
HX = {"HX-Request": "true", "HX-Target": "space-reminders"}


def text(r) -> str:
    return html_lib.unescape(r.get_data(as_text=True))


def rules(db):
    db.session.expire_all()
    return [(r.days_before, r.at_time, r.sms, r.email, r.notice) for r in db.session.scalars(
        select(ReminderRule).order_by(ReminderRule.days_before.desc(), ReminderRule.at_time))]


def test_default_then_add_and_remove(auth, client, make_practice, make_patient, db):
    practice = make_practice()
    kid = make_patient(practice, parent_mobile=PHONE)
    auth.patient_first_signin(kid, PHONE)
    assert "/notifications" in text(client.get("/menu"))
    page = client.get("/notifications")
    body = text(page)
    assert page.status_code == 200 and "1 jour avant à 12:00" in body and "SMS" in body
    assert rules(db) == []  # the default is not stored until the person changes something
    token = csrf_from(body)
    r = client.post("/notifications", data={"csrf_token": token, "days_before": "2", "at_time": "18:00",
                                            "email": "y", "notice": "y"}, headers=HX)
    assert r.status_code == 200 and 'id="space-reminders"' in text(r) and "<html" not in text(r)
    assert "Rappel ajouté." in text(r) and "2 jours avant à 18:00" in text(r) and "1 jour avant à 12:00" in text(r)
    assert rules(db) == [(2, time(18), False, True, True), (1, time(12), True, False, False)]
    default = db.session.scalar(select(ReminderRule).where(ReminderRule.days_before == 1))
    r = client.post(f"/notifications/{default.id}/supprimer", data={"csrf_token": token})  # without htmx
    assert r.status_code == 303 and r.headers["Location"].endswith("/notifications")
    assert rules(db) == [(2, time(18), False, True, True)]
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"reminder.rule_added", "reminder.rule_removed"} <= actions


def test_removing_the_default_leaves_no_reminders(auth, client, make_practice, make_patient, db):
    practice = make_practice()
    kid = make_patient(practice, parent_mobile=PHONE)
    auth.patient_first_signin(kid, PHONE)
    token = csrf_from(text(client.get("/notifications")))
    r = client.post("/notifications/defaut/supprimer", data={"csrf_token": token}, headers=HX)
    assert r.status_code == 200 and "Aucun rappel" in text(r)
    assert rules(db) == []
    assert db.session.scalar(select(PatientAccount.reminders_customised)) is True
    assert client.post("/notifications/defaut/supprimer", data={"csrf_token": token}).status_code == 404


def test_bad_input_is_refused_in_place_keeping_what_was_typed(auth, client, make_practice, make_patient, db):
    practice = make_practice()
    kid = make_patient(practice, parent_mobile=PHONE)
    auth.patient_first_signin(kid, PHONE)
    token = csrf_from(text(client.get("/notifications")))
    cases = [({"days_before": "15", "at_time": "08:30", "sms": "y"}, "Choisissez un délai de 0 à 14 jours."),
             ({"days_before": "trois", "at_time": "08:30", "sms": "y"}, "Choisissez un délai de 0 à 14 jours."),
             ({"days_before": "3", "at_time": "", "sms": "y"}, "Indiquez l'heure du rappel."),
             ({"days_before": "3", "at_time": "25:99", "sms": "y"}, "Indiquez l'heure du rappel."),
             ({"days_before": "3", "at_time": "08:30"}, "Cochez au moins un moyen"),
             ({"days_before": "1", "at_time": "12:00", "sms": "y"}, "Ce rappel existe déjà")]
    for data, message in cases:
        r = client.post("/notifications", data={"csrf_token": token, **data}, headers=HX)
        body = text(r)
        assert r.status_code == 422 and message in body, (data, body)
        if data["at_time"] == "08:30":
            assert 'value="08:30"' in body
    assert rules(db) == [(1, time(12), True, False, False)] or rules(db) == []
    r = client.post("/notifications", data={"csrf_token": "faux", "days_before": "1", "at_time": "10:00", "sms": "y"})
    assert r.status_code == 400  # the app-wide CSRF check: nothing saved
    assert all(rule[1] != time(10) for rule in rules(db))


def test_the_page_goes_with_the_appointments_module(auth, client, make_practice, make_patient, db):
    practice = make_practice()
    kid = make_patient(practice, parent_mobile=PHONE)
    auth.patient_first_signin(kid, PHONE)
    practice.options = {**(practice.options or {}), "appointments": False}
    db.session.commit()
    assert client.get("/notifications").status_code == 404
    assert "/notifications" not in text(client.get("/menu"))
