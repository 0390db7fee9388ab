"""Patient and parent sign-in: identification, SMS code rules, password as second factor."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from sqlalchemy import select

from portal.accounts.models import AuthSession, PatientAccount, SmsChallenge
from portal.core.db import utcnow
from portal.core.models import AuditEvent
from tests import factories
from tests.conftest import csrf_from

PHONE = "06 12 34 56 78"


@pytest.fixture
def family(make_practice, make_patient):
    practice = make_practice()
    lea = make_patient(practice, parent_mobile=PHONE, last_name="Lefèvre", first_name="Léa", birth_date=date(2012, 5, 14))
    hugo = make_patient(practice, parent_mobile=PHONE, last_name="Lefèvre", first_name="Hugo", birth_date=date(2015, 2, 3))
    return practice, lea, hugo


def test_first_signin_needs_sms_code_then_a_password(auth, client, family, db):
    _, lea, hugo = family
    r = auth.patient_identify(lea, PHONE)
    assert r.status_code == 303 and r.headers["Location"].endswith("/connexion/code")
    sms = factories.outbox(PHONE, "auth_code")
    assert len(sms) == 1 and sms[0].segments == 1 and sms[0].encoding == "GSM-7"
    # the code is stored hashed, never in clear
    challenge = db.session.scalar(select(SmsChallenge))
    assert factories.last_code(PHONE) not in challenge.code_hash
    r = auth.post("/connexion/code", {"code": factories.last_code(PHONE)})
    assert r.headers["Location"].endswith("/connexion/mot-de-passe/nouveau")
    assert client.get("/").status_code == 302  # no session before the password is chosen
    r = auth.post("/connexion/mot-de-passe/nouveau",
                  {"password": factories.PATIENT_PASSWORD, "confirm": factories.PATIENT_PASSWORD})
    assert r.status_code == 303 and r.headers["Location"].endswith("/consentement")
    # RGPD: the privacy notice is accepted before the home page
    assert client.get("/").headers["Location"].endswith("/consentement")
    auth.consent()
    home = client.get("/").get_data(as_text=True)
    assert "Dossier de" in home and "Léa" in home and "Hugo" in home
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.signin")) is not None


def test_identification_ignores_case_accents_and_format(auth, family):
    _, lea, _ = family
    typed = SimpleNamespace(last_name="LEFEVRE", first_name="lea", birth_date=lea.birth_date)  # as on a phone
    r = auth.patient_identify(typed, "+33 6 12 34 56 78")
    assert r.status_code == 303


@pytest.mark.parametrize("change", [
    {"last_name": "Martin"}, {"first_name": "Zoé"}, {"birth_date": date(2012, 5, 15)}, {"phone": "06 99 99 99 99"},
])
def test_any_mismatch_gets_the_same_neutral_message_and_keeps_entries(auth, family, change, db):
    _, lea, _ = family
    data = {"phone": change.get("phone", PHONE), "last_name": change.get("last_name", lea.last_name),
            "first_name": change.get("first_name", lea.first_name),
            "birth_date": change.get("birth_date", lea.birth_date).isoformat()}
    r = auth.post("/connexion?autre=1", data, get_url="/connexion?autre=1")
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Nous n&#39;avons pas pu vous identifier" in page or "Nous n'avons pas pu vous identifier" in page
    assert f'value="{data["last_name"]}"' in page and f'value="{data["first_name"]}"' in page
    assert factories.outbox(category="auth_code") == []
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.identify_failed"))


def test_all_fields_are_required(auth):
    r = auth.post("/connexion?autre=1", {"phone": PHONE, "last_name": "", "first_name": "x", "birth_date": ""},
                  get_url="/connexion?autre=1")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Ce champ est obligatoire." in page and "Saisissez une date valide." in page


def test_an_invalid_phone_is_said_so(auth, family):
    _, lea, _ = family
    r = auth.patient_identify(lea, "12")
    assert r.status_code == 422 and "numéro de téléphone n&#39;est pas valide" in r.get_data(as_text=True)


def test_two_matches_are_refused(auth, family, make_patient):
    practice, lea, _ = family
    make_patient(practice, parent_mobile=PHONE, last_name="Lefèvre", first_name="Léa", birth_date=lea.birth_date)
    assert auth.patient_identify(lea, PHONE).status_code == 422


def test_patient_who_refused_online_sharing_cannot_be_found(auth, family, db):
    _, lea, _ = family
    lea.do_not_share_online = True
    db.session.commit()
    assert auth.patient_identify(lea, PHONE).status_code == 422


@pytest.mark.parametrize("slot", ["own", "parent1", "parent2", "financial"])
def test_each_number_slot_identifies(auth, make_practice, make_patient, slot):
    practice = make_practice()
    other = "07 55 44 33 22"
    kwargs = {"mobile": PHONE if slot == "own" else other}
    responsibles = [{"role": r, "last_name": "X", "mobile": PHONE if r == slot else None}
                    for r in ("parent1", "parent2", "financial")]
    patient = make_patient(practice, responsibles=responsibles, **kwargs)
    assert auth.patient_identify(patient, PHONE).status_code == 303


def test_wrong_codes_count_and_five_kill_the_challenge(auth, family, db):
    _, lea, _ = family
    auth.patient_identify(lea, PHONE)
    good = factories.last_code(PHONE)
    bad = "000000" if good != "000000" else "111111"
    for left in (4, 3, 2, 1):
        r = auth.post("/connexion/code", {"code": bad})
        assert r.status_code == 422 and f"Il vous reste {left} essai" in r.get_data(as_text=True)
    r = auth.post("/connexion/code", {"code": bad})
    assert "Trop d&#39;essais" in r.get_data(as_text=True)
    r = auth.post("/connexion/code", {"code": good})  # even the right code is dead now
    assert r.status_code == 422 and "plus valable" in r.get_data(as_text=True)


def test_code_expires_after_five_minutes(auth, family):
    _, lea, _ = family
    auth.patient_identify(lea, PHONE)
    code = factories.last_code(PHONE)
    page = auth.client.get("/connexion/code").get_data(as_text=True)
    with time_machine.travel(utcnow() + timedelta(minutes=5, seconds=1)):
        r = auth.client.post("/connexion/code", data={"code": code, "csrf_token": csrf_from(page)})
    assert r.status_code == 422 and "expiré" in r.get_data(as_text=True)


def test_code_is_single_use(auth, family, db):
    from portal.accounts import patient_signin
    from portal.core.audit import Actor
    from portal.core.errors import Invalid

    _, lea, _ = family
    auth.patient_identify(lea, PHONE)
    code = factories.last_code(PHONE)
    assert auth.post("/connexion/code", {"code": code}).status_code == 303
    challenge = db.session.scalar(select(SmsChallenge))
    db.session.refresh(challenge)
    with pytest.raises(Invalid):
        patient_signin.verify_code(challenge, code, actor=Actor("anonymous"))


def test_resend_waits_60_seconds_and_keeps_failures(auth, family, db):
    _, lea, _ = family
    auth.patient_identify(lea, PHONE)
    first = factories.last_code(PHONE)
    wrong = "000000" if first != "000000" else "111111"
    auth.post("/connexion/code", {"code": wrong})
    auth.post("/connexion/code", {"code": wrong})
    r = auth.post("/connexion/code/renvoyer", {}, get_url="/connexion/code")
    assert r.status_code == 429 and "Patientez" in r.get_data(as_text=True)
    assert len(factories.outbox(PHONE, "auth_code")) == 1
    page = auth.client.get("/connexion/code").get_data(as_text=True)
    # stay in the future: the signed session cookie refuses timestamps from ahead of "now"
    with time_machine.travel(utcnow() + timedelta(seconds=61)):
        r = auth.client.post("/connexion/code/renvoyer", data={"csrf_token": csrf_from(page)})
        assert r.status_code == 303
        assert len(factories.outbox(PHONE, "auth_code")) == 2
        challenge = db.session.scalar(select(SmsChallenge))
        db.session.refresh(challenge)
        assert challenge.failed_attempts == 2  # a resend buys no new guesses
        r = auth.post("/connexion/code", {"code": first})  # the first code was replaced
        assert r.status_code == 422 or factories.last_code(PHONE) == first
        assert auth.post("/connexion/code", {"code": factories.last_code(PHONE)}).status_code == 303


def test_at_most_three_sms_per_number_per_15_minutes(auth, family):
    _, lea, _ = family
    start = utcnow()
    for i in range(3):
        with time_machine.travel(start + timedelta(seconds=70 * i)):
            auth.client.cookie_jar.clear() if hasattr(auth.client, "cookie_jar") else None
            assert auth.patient_identify(lea, PHONE).status_code == 303
    with time_machine.travel(start + timedelta(seconds=300)):
        r = auth.patient_identify(lea, PHONE)
    assert r.status_code == 422 and "Trop de codes" in r.get_data(as_text=True)
    assert len(factories.outbox(PHONE, "auth_code")) == 3
    with time_machine.travel(start + timedelta(minutes=16)):
        assert auth.patient_identify(lea, PHONE).status_code == 303


def test_password_policy(auth, family):
    _, lea, _ = family
    auth.patient_identify(lea, PHONE)
    auth.post("/connexion/code", {"code": factories.last_code(PHONE)})
    for pwd, message in [("court", "au moins 12"), ("motdepasse123", "trop courant"),
                         ("azertyuiopqsdf", "trop courant"), ("lefevre-lea-2012", "votre nom"),
                         ("aaaaaaaaaaaaaa", "trop courant")]:
        r = auth.post("/connexion/mot-de-passe/nouveau", {"password": pwd, "confirm": pwd})
        assert r.status_code == 422, pwd
        assert message in r.get_data(as_text=True), pwd
    r = auth.post("/connexion/mot-de-passe/nouveau", {"password": "un bon mot de passe", "confirm": "autre chose"})
    assert r.status_code == 422 and "pas identiques" in r.get_data(as_text=True)


def test_password_is_stored_with_argon2(auth, family, db):
    _, lea, _ = family
    auth.patient_first_signin(lea, PHONE)
    account = db.session.scalar(select(PatientAccount))
    assert account.password_hash.startswith("$argon2id$")


def test_returning_signin_needs_password_and_code(auth, client, family, db):
    _, lea, _ = family
    auth.patient_first_signin(lea, PHONE)
    client.post("/deconnexion", data={"csrf_token": csrf_from(client.get("/menu").get_data(as_text=True))})
    assert client.get("/").status_code == 302
    r = auth.patient_identify(lea, PHONE)
    assert r.headers["Location"].endswith("/connexion/mot-de-passe")
    sent_before = len(factories.outbox(PHONE, "auth_code"))
    r = auth.post("/connexion/mot-de-passe", {"password": "pas le bon mot de passe"})
    assert r.status_code == 422 and "Mot de passe incorrect" in r.get_data(as_text=True)
    assert len(factories.outbox(PHONE, "auth_code")) == sent_before  # no SMS before the password is right
    r = auth.post("/connexion/mot-de-passe", {"password": factories.PATIENT_PASSWORD})
    assert r.headers["Location"].endswith("/connexion/code")
    r = auth.post("/connexion/code", {"code": factories.last_code(PHONE)})
    assert r.status_code == 303 and client.get("/").status_code == 200


def test_remember_keeps_the_number_not_the_session(auth, client, family):
    _, lea, _ = family
    r = auth.patient_identify(lea, PHONE, remember=True)
    cookie = client.get_cookie("__Host-sourire-phone")
    assert cookie is not None and cookie.value == "+33612345678"
    assert cookie.secure and cookie.http_only and cookie.expires is not None
    auth.post("/connexion/code", {"code": factories.last_code(PHONE)})
    auth.post("/connexion/mot-de-passe/nouveau",
              {"password": factories.PATIENT_PASSWORD, "confirm": factories.PATIENT_PASSWORD})
    auth.consent()
    client.post("/deconnexion", data={"csrf_token": csrf_from(client.get("/menu").get_data(as_text=True))})
    page = client.get("/connexion").get_data(as_text=True)
    assert 'id="patient-returning-form"' in page and "06 12 34 56 78" in page
    assert client.get("/").status_code == 302  # the number is remembered, the session is not
    # the remembered device signs in with number + password, then the SMS code
    r = auth.post("/connexion/retour", {"phone": PHONE, "password": factories.PATIENT_PASSWORD}, get_url="/connexion")
    assert r.headers["Location"].endswith("/connexion/code")
    r = auth.post("/connexion/code", {"code": factories.last_code(PHONE)})
    assert r.status_code == 303 and client.get("/").status_code == 200


def test_returning_signin_wrong_password_is_neutral(auth, family):
    r = auth.post("/connexion/retour", {"phone": "07 55 00 00 01", "password": "nimporte quoi du tout"},
                  get_url="/connexion?autre=1")
    assert r.status_code == 422 and "Numéro ou mot de passe incorrect" in r.get_data(as_text=True)


def test_ten_wrong_passwords_lock_the_account(auth, family, db):
    _, lea, _ = family
    auth.patient_first_signin(lea, PHONE)
    auth.client.post("/deconnexion", data={"csrf_token": csrf_from(auth.client.get("/menu").get_data(as_text=True))})
    auth.patient_identify(lea, PHONE)
    for _ in range(10):
        auth.post("/connexion/mot-de-passe", {"password": "mauvais mot de passe"})
    r = auth.post("/connexion/mot-de-passe", {"password": factories.PATIENT_PASSWORD})
    assert r.status_code == 422 and "Trop d&#39;essais" in r.get_data(as_text=True)


def test_signout_revokes_the_server_session(auth, client, family, db):
    _, lea, _ = family
    auth.patient_first_signin(lea, PHONE)
    cookie = client.get_cookie("__Host-sourire")
    client.post("/deconnexion", data={"csrf_token": csrf_from(client.get("/menu").get_data(as_text=True))})
    row = db.session.scalar(select(AuthSession))
    db.session.refresh(row)
    assert row.revoked_at is not None and row.revoked_reason == "signout"
    # replaying the old cookie does not bring the session back
    client.set_cookie("__Host-sourire", cookie.value)
    assert client.get("/").status_code == 302


def test_idle_patient_session_ends_after_one_hour(auth, client, family, db):
    _, lea, _ = family
    auth.patient_first_signin(lea, PHONE)
    with time_machine.travel(utcnow() + timedelta(minutes=59)):
        assert client.get("/").status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=59 + 61)):
        assert client.get("/").status_code == 302
    row = db.session.scalar(select(AuthSession))
    db.session.refresh(row)
    assert row.revoked_reason == "idle"


def test_session_is_renewed_at_signin(auth, client, family):
    _, lea, _ = family
    client.get("/connexion")
    before = client.get_cookie("__Host-sourire").value
    auth.patient_first_signin(lea, PHONE)
    assert client.get_cookie("__Host-sourire").value != before


def test_unlinking_a_number_ends_access_at_once(auth, client, family, db):
    _, lea, hugo = family
    auth.patient_first_signin(lea, PHONE)
    for p in (lea, hugo):
        p.do_not_share_online = True
    db.session.commit()
    assert client.get("/").status_code == 403


def test_change_password_from_the_menu(auth, client, family, db):
    _, lea, _ = family
    auth.patient_first_signin(lea, PHONE)
    r = auth.post("/mot-de-passe", {"current": "faux mot de passe", "password": "nouveau mot de passe solide",
                                    "confirm": "nouveau mot de passe solide"})
    assert r.status_code == 422 and "actuel incorrect" in r.get_data(as_text=True)
    r = auth.post("/mot-de-passe", {"current": factories.PATIENT_PASSWORD, "password": "nouveau mot de passe solide",
                                    "confirm": "nouveau mot de passe solide"})
    assert r.status_code == 303
    assert client.get("/").status_code == 200  # this browser stays signed in


def test_the_file_whose_details_were_typed_is_shown_first(auth, client, family):
    _, lea, hugo = family
    auth.patient_first_signin(hugo, PHONE)
    assert 'id="patient-file-%d"' % hugo.id in client.get("/").get_data(as_text=True)
    client.post("/deconnexion", data={"csrf_token": csrf_from(client.get("/menu").get_data(as_text=True))})
    auth.patient_signin(lea, PHONE)
    assert 'id="patient-file-%d"' % lea.id in client.get("/").get_data(as_text=True)


def test_a_child_followed_by_two_practices_is_asked_for_the_practice_code(auth, client, family, make_practice,
                                                                           make_patient):
    practice, lea, _ = family
    other = make_practice()
    make_patient(other, parent_mobile=PHONE, last_name="Lefèvre", first_name="Léa", birth_date=lea.birth_date)
    r = auth.patient_identify(lea, PHONE)
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "plusieurs cabinets" in page and 'name="practice_code"' in page
    assert factories.outbox(PHONE, "auth_code") == []
    data = {"phone": PHONE, "last_name": "Lefèvre", "first_name": "Léa", "birth_date": lea.birth_date.isoformat(),
            "practice_code": practice.public_code}
    r = auth.post("/connexion?autre=1", data, get_url=f"/connexion?autre=1&cabinet={practice.public_code}")
    assert r.status_code == 303
    r = auth.post("/connexion/code", {"code": factories.last_code(PHONE)})
    auth.post("/connexion/mot-de-passe/nouveau",
              {"password": factories.PATIENT_PASSWORD, "confirm": factories.PATIENT_PASSWORD})
    auth.consent()
    assert practice.name in client.get("/").get_data(as_text=True)


def test_a_practice_link_prefills_its_code(client, family):
    practice = family[0]
    page = client.get(f"/connexion?autre=1&cabinet={practice.public_code}").get_data(as_text=True)
    assert f'value="{practice.public_code}"' in page
