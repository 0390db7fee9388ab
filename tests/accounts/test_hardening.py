"""Attack-shaped input: parallel guesses, account probing, hostile bytes and ids."""
from __future__ import annotations

import threading
from datetime import date, timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import func, select

from portal.accounts.models import PatientAccount, SmsChallenge
from portal.core.db import utcnow
from portal.core.models import AuditEvent
from tests import factories
from tests.conftest import Auth, csrf_from

PHONE = "06 12 34 56 78"


def parallel(app, n, fn):
    """Run `fn(client)` from n threads at once, each with its own client (its own browser)."""
    clients = [app.test_client() for _ in range(n)]
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        prepared = fn.prepare(clients[i]) if hasattr(fn, "prepare") else None
        barrier.wait()
        results[i] = fn(clients[i], prepared)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def child(make_practice, make_patient):
    return make_patient(make_practice(), parent_mobile=PHONE, last_name="Le Goff", first_name="Anne",
                        birth_date=date(2012, 5, 14))


def test_parallel_wrong_codes_cannot_share_attempts(app, auth, child, db):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers itself; the race is a PostgreSQL one")
    auth.patient_identify(child, PHONE)
    good = factories.last_code(PHONE)
    wrong = "000000" if good != "000000" else "111111"
    cookie = auth.client.get_cookie("__Host-sourire").value
    token = csrf_from(auth.client.get("/connexion/code").get_data(as_text=True))

    def guess(client, _):
        client.set_cookie("__Host-sourire", cookie)  # the same sign-in state, replayed 12 times at once
        return client.post("/connexion/code", data={"code": wrong, "csrf_token": token}).status_code

    assert all(code == 422 for code in parallel(app, 12, guess))
    challenge = db.session.scalar(select(SmsChallenge))
    db.session.refresh(challenge)
    assert challenge.failed_attempts == 5
    failures = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "patient.code_failed"))
    assert failures == 5  # only five guesses were ever compared
    r = auth.post("/connexion/code", {"code": good})
    assert r.status_code == 422


def test_a_totp_code_raced_from_two_browsers_opens_one_session(app, make_practice, make_staff, db):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers itself; the race is a PostgreSQL one")
    user = make_staff(make_practice())
    code = pyotp.TOTP(user.totp_key).now()

    def sign_in(client, _):
        Auth(client).post("/console/connexion", {"email": user.email, "password": factories.PASSWORD})
        return client

    clients = [sign_in(app.test_client(), None) for _ in range(6)]
    tokens = [csrf_from(c.get("/console/connexion/code").get_data(as_text=True)) for c in clients]
    barrier = threading.Barrier(6)
    codes = [None] * 6

    def post(i):
        barrier.wait()
        codes[i] = clients[i].post("/console/connexion/code", data={"code": code, "csrf_token": tokens[i]}).status_code

    threads = [threading.Thread(target=post, args=(i,)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(codes) == [303] + [422] * 5


def test_parallel_identifications_respect_the_sms_budget(app, child, db):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers itself; the race is a PostgreSQL one")

    typed = {"phone": PHONE, "last_name": child.last_name, "first_name": child.first_name,
             "birth_date": child.birth_date.isoformat()}

    def identify(client, _):
        page = client.get("/connexion?autre=1").get_data(as_text=True)
        return client.post("/connexion", data={**typed, "csrf_token": csrf_from(page)}).status_code

    codes = parallel(app, 6, identify)
    assert 500 not in codes  # a double tap never creates the account twice
    assert len(factories.outbox(PHONE, "auth_code")) == 3
    assert db.session.scalar(select(func.count()).select_from(PatientAccount)) == 1


def test_names_match_without_spaces_or_apostrophes(auth, child):
    typed = type("Typed", (), {"last_name": "LEGOFF", "first_name": "anne", "birth_date": child.birth_date})
    assert auth.patient_identify(typed, PHONE).status_code == 303


def test_a_locked_staff_account_answers_like_an_unknown_one(auth, make_practice, make_staff):
    user = make_staff(make_practice())
    for _ in range(10):
        auth.post("/console/connexion", {"email": user.email, "password": "wrong password here"})
    locked = auth.post("/console/connexion", {"email": user.email, "password": factories.PASSWORD})
    unknown = auth.post("/console/connexion", {"email": "nobody@example.com", "password": factories.PASSWORD})
    assert locked.status_code == unknown.status_code == 422
    strip = lambda r: r.get_data(as_text=True).replace(user.email, "").replace("nobody@example.com", "")  # noqa: E731
    assert "E-mail ou mot de passe incorrect" in strip(locked)
    assert strip(locked).split("<form")[1].split("</form>")[0].replace('value=""', "") == \
        strip(unknown).split("<form")[1].split("</form>")[0].replace('value=""', "")
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        assert auth.post("/console/connexion", {"email": user.email, "password": factories.PASSWORD}).status_code == 303


@pytest.mark.parametrize("data", [{"email": "a\x00b@example.com", "password": "x"},
                                  {"email": "a@example.com", "password": "pass\x07word"}])
def test_control_characters_are_refused_cleanly(client, data):
    page = client.get("/console/connexion").get_data(as_text=True)
    r = client.post("/console/connexion", data={**data, "csrf_token": csrf_from(page)})
    assert r.status_code == 422 and "caractère invisible" in r.get_data(as_text=True)


def test_ids_beyond_the_database_range_are_404(auth, client, make_practice, make_staff):
    auth.staff(make_staff(make_practice()))
    assert client.get("/console/patients/99999999999999999999").status_code == 404
    assert client.get("/console/messages-envoyes/?avant=99999999999999999999").status_code == 200
    assert client.get("/console/journal?avant=-5").status_code == 200
    page = client.get("/console/equipe").get_data(as_text=True)
    r = client.post("/console/equipe/99999999999999999999/role", data={"role": "owner", "csrf_token": csrf_from(page)})
    assert r.status_code == 404


def test_new_recovery_codes_need_a_fresh_authenticator_code(auth, client, make_practice, make_staff):
    user = make_staff(make_practice())
    auth.staff(user)
    page = client.get("/console/securite").get_data(as_text=True)
    r = client.post("/console/securite/codes", data={"code": "000000", "csrf_token": csrf_from(page)})
    assert r.status_code == 422 and "Code incorrect" in r.get_data(as_text=True)
    with time_machine.travel(utcnow() + timedelta(seconds=31)):  # a newer step than the sign-in's
        r = client.post("/console/securite/codes",
                        data={"code": pyotp.TOTP(user.totp_key).now(), "csrf_token": csrf_from(page)})
        assert r.status_code == 200 and r.get_data(as_text=True).count("<code>") == 10


def test_one_number_in_several_practices_shares_one_sms_budget(app, make_practice, make_patient, db):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers itself; the race is a PostgreSQL one")
    kids = [make_patient(make_practice(), parent_mobile=PHONE, first_name=f"Enfant{i}", birth_date=date(2012, 1, 1 + i))
            for i in range(4)]
    typed = [{"phone": PHONE, "last_name": k.last_name, "first_name": k.first_name,
              "birth_date": k.birth_date.isoformat()} for k in kids]
    clients = [app.test_client() for _ in kids]
    tokens = [csrf_from(c.get("/connexion?autre=1").get_data(as_text=True)) for c in clients]
    barrier = threading.Barrier(len(kids))
    codes = [None] * len(kids)

    def post(i):
        barrier.wait()
        codes[i] = clients[i].post("/connexion", data={**typed[i], "csrf_token": tokens[i]}).status_code

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(kids))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(codes) == [303, 303, 303, 422]
    assert len(factories.outbox(PHONE, "auth_code")) == 3


def test_the_fresh_code_for_recovery_codes_cannot_be_brute_forced(auth, client, make_practice, make_staff):
    user = make_staff(make_practice())
    auth.staff(user)
    token = csrf_from(client.get("/console/securite").get_data(as_text=True))
    statuses = [client.post("/console/securite/codes", data={"code": "000000", "csrf_token": token}).status_code
                for _ in range(11)]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429  # locked after ten, and rate limited
    with time_machine.travel(utcnow() + timedelta(seconds=31)):
        r = client.post("/console/securite/codes",
                        data={"code": pyotp.TOTP(user.totp_key).now(), "csrf_token": token})
        assert r.status_code == 429  # even the right code waits for the lock to pass


def test_a_locked_account_cannot_confirm_a_code_even_a_right_one(make_practice, make_staff, db):
    from portal.accounts.staff_auth import confirm_second_factor
    from portal.core.audit import Actor
    from portal.core.errors import TooManyAttempts

    user = make_staff(make_practice())
    user.locked_until = utcnow() + timedelta(minutes=5)
    with pytest.raises(TooManyAttempts):
        confirm_second_factor(user, pyotp.TOTP(user.totp_key).now(), actor=Actor.operator())
