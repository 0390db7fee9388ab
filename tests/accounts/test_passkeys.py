"""Passkeys: added from the menu, then a sign-in without password or SMS, with every check the
server must make (challenge, origin, user verification, counter, ownership)."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from portal.accounts.models import PatientPasskey
from portal.core.models import AuditEvent
from tests import factories
from tests.accounts.soft_authenticator import SoftAuthenticator
from tests.conftest import csrf_from

PHONE = "06 12 34 56 78"
ORIGIN = "https://sourire.test"  # BASE_URL of the test configuration


@pytest.fixture
def parent(auth, client, make_practice, make_patient):
    child = make_patient(make_practice(), parent_mobile=PHONE, birth_date=date(2012, 5, 14))
    auth.patient_first_signin(child, PHONE)
    return child


def post_json(client, url, body=None, page="/cles"):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data=json.dumps(body) if body is not None else None,
                       headers={"X-CSRFToken": token, "Content-Type": "application/json"})


def add_passkey(client, device, password=factories.PATIENT_PASSWORD):
    options = post_json(client, "/cles/options", {"password": password}).get_json()
    return post_json(client, "/cles", device.create(options))


def test_add_then_sign_in_with_a_passkey(app, client, parent, db):
    device = SoftAuthenticator("sourire.test", ORIGIN)
    r = add_passkey(client, device)
    assert r.status_code == 200 and r.get_json()["redirect"] == "/cles"
    assert "Clé ajoutée le" in client.get("/cles").get_data(as_text=True)
    # a new browser, nothing typed: the passkey alone signs in
    other = app.test_client()
    options = post_json(other, "/connexion/cle/options", page="/connexion").get_json()
    assert options["userVerification"] == "required" and options["rpId"] == "sourire.test"
    r = post_json(other, "/connexion/cle", device.get(options), page="/connexion")
    assert r.status_code == 200 and r.get_json()["redirect"] == "/"
    assert "Dossier de" in other.get("/").get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.signin")
                              .order_by(AuditEvent.id.desc()))
    assert event.details == {"method": "passkey"} and event.actor_type == "patient"
    assert factories.outbox(PHONE, "auth_code")[-1].id == factories.outbox(PHONE, "auth_code")[0].id  # no new SMS


def test_registration_requires_user_verification_and_the_right_origin(client, parent, db):
    for device in (SoftAuthenticator("sourire.test", ORIGIN, user_verifying=False),
                   SoftAuthenticator("sourire.test", "https://evil.example"),
                   SoftAuthenticator("evil.example", ORIGIN)):
        r = add_passkey(client, device)
        assert r.status_code == 422 and "n'a pas pu être enregistrée" in r.get_json()["error"]
    assert db.session.scalar(select(PatientPasskey)) is None


def test_a_challenge_serves_once(app, client, parent):
    device = SoftAuthenticator("sourire.test", ORIGIN)
    add_passkey(client, device)
    other = app.test_client()
    options = post_json(other, "/connexion/cle/options", page="/connexion").get_json()
    assertion = device.get(options)
    assert post_json(other, "/connexion/cle", assertion, page="/connexion").status_code == 200
    # replayed from other browsers (the challenge lives on the server, a copied cookie is no help)
    for _ in range(2):
        replay = app.test_client()
        r = post_json(replay, "/connexion/cle", assertion, page="/connexion")
        assert r.status_code == 422 and replay.get("/").status_code == 302
    # a challenge this server never issued
    forged = device.get({"challenge": "AAAAAAAAAAAAAAAAAAAAAA"})
    assert post_json(app.test_client(), "/connexion/cle", forged, page="/connexion").status_code == 422


def test_adding_a_passkey_needs_the_password_and_tells_the_phone(client, parent, db):
    r = post_json(client, "/cles/options", {"password": "pas le bon mot de passe"})
    assert r.status_code == 422 and r.get_json()["error"] == "Mot de passe incorrect."
    assert post_json(client, "/cles/options").status_code == 422
    assert add_passkey(client, SoftAuthenticator("sourire.test", ORIGIN)).status_code == 200
    notice = factories.outbox(PHONE, "security_notice")
    assert len(notice) == 1 and "clé d'accès vient d'être ajoutée" in notice[0].body


def test_refusals_are_neutral_and_audited(app, client, parent, db):
    device = SoftAuthenticator("sourire.test", ORIGIN)
    add_passkey(client, device)
    other = app.test_client()
    cases = [
        SoftAuthenticator("sourire.test", ORIGIN),                         # a passkey this site never saw
        SoftAuthenticator("sourire.test", ORIGIN, user_verifying=False),  # no fingerprint, face or PIN
    ]
    cases[1].credentials = device.credentials
    for candidate in cases:
        options = post_json(other, "/connexion/cle/options", page="/connexion").get_json()
        if not candidate.credentials:
            candidate.create({"user": {"id": "AA"}, "challenge": options["challenge"]})
        r = post_json(other, "/connexion/cle", candidate.get(options), page="/connexion")
        assert r.status_code == 422 and "mot de passe et un code SMS" in r.get_json()["error"]
    assert other.get("/").status_code == 302
    reasons = [e.details.get("reason") for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "patient.signin_failed"))]
    assert reasons.count("passkey") == 2


def test_a_cloned_authenticator_is_refused(app, client, parent):
    device = SoftAuthenticator("sourire.test", ORIGIN)
    add_passkey(client, device)
    other = app.test_client()
    options = post_json(other, "/connexion/cle/options", page="/connexion").get_json()
    assert post_json(other, "/connexion/cle", device.get(options, counter_step=5), page="/connexion").status_code == 200
    clone = app.test_client()
    options = post_json(clone, "/connexion/cle/options", page="/connexion").get_json()
    r = post_json(clone, "/connexion/cle", device.get(options, counter_step=-3), page="/connexion")
    assert r.status_code == 422


def test_remove_and_staff_reset_forget_passkeys(app, auth, client, parent, make_staff, db):
    device = SoftAuthenticator("sourire.test", ORIGIN)
    add_passkey(client, device)
    add_passkey(client, SoftAuthenticator("sourire.test", ORIGIN))
    keys = db.session.scalars(select(PatientPasskey)).all()
    page = client.get("/cles").get_data(as_text=True)
    r = client.post(f"/cles/{keys[0].id}/supprimer", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 303 and len(db.session.scalars(select(PatientPasskey)).all()) == 1
    # the practice resets the access of someone who lost their phone: the passkey goes too
    from portal.accounts.patient_signin import reset_account_password
    from portal.core.audit import Actor
    from portal.core.db import commit

    account_id = keys[1].account_id
    reset_account_password(parent, account_id, actor=Actor.operator())
    commit()
    assert db.session.scalars(select(PatientPasskey)).all() == []


def test_another_account_cannot_remove_my_passkey(app, client, parent, make_patient, db):
    add_passkey(client, SoftAuthenticator("sourire.test", ORIGIN))
    key = db.session.scalar(select(PatientPasskey))
    stranger_child = make_patient(parent.practice, parent_mobile="07 55 44 33 22")
    from tests.conftest import Auth

    stranger = app.test_client()
    Auth(stranger).patient_first_signin(stranger_child, "07 55 44 33 22")
    page = stranger.get("/cles").get_data(as_text=True)
    assert stranger.post(f"/cles/{key.id}/supprimer", data={"csrf_token": csrf_from(page)}).status_code == 404
    assert db.session.scalar(select(PatientPasskey)) is not None


def test_garbage_answers_are_refused_cleanly(app, client, parent):
    other = app.test_client()
    token = csrf_from(other.get("/connexion").get_data(as_text=True))
    device = SoftAuthenticator("sourire.test", ORIGIN)
    add_passkey(client, device)
    options = post_json(other, "/connexion/cle/options", page="/connexion").get_json()
    good = device.get(options)
    bodies = [b"not json", b"[]", b'{"response": 3}', b"[" * 100000, b"x" * 20000,
              json.dumps({"id": "x", "rawId": "x", "response": {}}).encode(),
              json.dumps({**good, "rawId": "\u0000", "id": "\u0000"}).encode(),
              json.dumps({**good, "rawId": "A" * 2000, "id": "A" * 2000}).encode(),
              json.dumps({**good, "response": {"clientDataJSON": good["response"]["clientDataJSON"]}}).encode()]
    for body in bodies:
        r = other.post("/connexion/cle", data=body, headers={"X-CSRFToken": token})
        assert r.status_code == 422 and "error" in r.get_json(), body[:40]
    # the same shapes against registration, after a real challenge was issued
    for body in bodies[:4] + [json.dumps({"id": "x", "response": {}}).encode()]:
        post_json(client, "/cles/options", {"password": factories.PATIENT_PASSWORD})
        token = csrf_from(client.get("/cles").get_data(as_text=True))
        r = client.post("/cles", data=body, headers={"X-CSRFToken": token})
        assert r.status_code == 422 and "error" in r.get_json(), body[:40]
    options = post_json(client, "/cles/options", {"password": factories.PATIENT_PASSWORD}).get_json()
    attestation = SoftAuthenticator("sourire.test", ORIGIN).create(options)
    del attestation["response"]["attestationObject"]
    r = post_json(client, "/cles", attestation)
    assert r.status_code == 422 and "n'a pas pu être enregistrée" in r.get_json()["error"]
    assert "malformed" not in r.get_json()["error"]  # the library's words stay in the journal


def test_passkey_buttons_only_where_they_can_work(app, client, parent):
    saved = app.config["BASE_URL"]
    try:
        app.config["BASE_URL"] = "http://127.0.0.1:5000"  # browsers refuse an IP as relying party
        assert "data-passkey-get" not in app.test_client().get("/connexion").get_data(as_text=True)
        assert "pas disponibles à cette adresse" in client.get("/cles").get_data(as_text=True)
        app.config["BASE_URL"] = "https://localhost"
        page = app.test_client().get("/connexion", base_url="https://localhost").get_data(as_text=True)
        assert "data-passkey-get" in page
    finally:
        app.config["BASE_URL"] = saved
