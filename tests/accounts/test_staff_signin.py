"""Staff sign-in with two factors, enrolment, recovery codes, invitations, resets, roles."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from portal.accounts.models import AuthSession, RecoveryCode, Role, StaffUser
from portal.core.db import utcnow
from portal.core.models import AuditEvent
from tests import factories
from tests.conftest import csrf_from


@pytest.fixture
def practice(make_practice):
    return make_practice()


def test_password_then_totp_opens_the_console(auth, client, practice, make_staff, db):
    user = make_staff(practice)
    r = auth.post("/console/connexion", {"email": user.email.upper(), "password": factories.PASSWORD})
    assert r.headers["Location"].endswith("/console/connexion/code")
    assert client.get("/console/").status_code == 302  # the password alone opens nothing
    r = auth.post("/console/connexion/code", {"code": pyotp.TOTP(user.totp_key).now()})
    assert r.status_code == 303
    assert "Tableau de bord" in client.get("/console/").get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.signin"))
    assert event.actor_id == user.id and event.ip == "127.0.0.1"


def test_wrong_password_is_neutral_and_audited(auth, practice, make_staff, db):
    user = make_staff(practice)
    for email in (user.email, "nobody@example.com"):
        r = auth.post("/console/connexion", {"email": email, "password": "wrong password here"})
        assert r.status_code == 422 and "E-mail ou mot de passe incorrect" in r.get_data(as_text=True)
        assert f'value="{email}"' in r.get_data(as_text=True)  # what was typed stays
    failures = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.signin_failed")).all()
    assert len(failures) == 2


def test_totp_code_cannot_be_reused(auth, client, practice, make_staff):
    user = make_staff(practice)
    code = pyotp.TOTP(user.totp_key).now()
    auth.post("/console/connexion", {"email": user.email, "password": factories.PASSWORD})
    assert auth.post("/console/connexion/code", {"code": code}).status_code == 303
    client.post("/deconnexion", data={"csrf_token": csrf_from(client.get("/console/").get_data(as_text=True))})
    auth.post("/console/connexion", {"email": user.email, "password": factories.PASSWORD})
    r = auth.post("/console/connexion/code", {"code": code})
    assert r.status_code == 422 and "déjà utilisé" in r.get_data(as_text=True)


def test_totp_accepts_one_step_of_drift_only(auth, practice, make_staff):
    user = make_staff(practice)
    totp = pyotp.TOTP(user.totp_key)
    # Mid-step and frozen: a step boundary crossed during the test would make "one step back" two.
    now = datetime.fromtimestamp((int(utcnow().timestamp()) // 30) * 30 + 15, tz=UTC)
    with time_machine.travel(now, tick=False):
        auth.post("/console/connexion", {"email": user.email, "password": factories.PASSWORD})
        r = auth.post("/console/connexion/code", {"code": totp.at(now - timedelta(seconds=90))})
        assert r.status_code == 422
        r = auth.post("/console/connexion/code", {"code": totp.at(now - timedelta(seconds=30))})
        assert r.status_code == 303


def test_recovery_code_works_once(auth, client, practice, make_staff, db):
    from portal.accounts.staff_auth import new_recovery_codes
    from portal.core.audit import Actor
    from portal.core.db import commit

    user = make_staff(practice)
    codes = new_recovery_codes(user, actor=Actor.operator())
    commit()
    assert db.session.scalar(select(RecoveryCode).where(RecoveryCode.code_hash.contains(codes[0].replace("-", "")))) is None
    auth.post("/console/connexion", {"email": user.email, "password": factories.PASSWORD})
    r = auth.post("/console/connexion/code", {"code": codes[0]}, follow_redirects=True)
    assert "il vous en reste 9" in r.get_data(as_text=True)
    client.post("/deconnexion", data={"csrf_token": csrf_from(client.get("/console/").get_data(as_text=True))})
    auth.post("/console/connexion", {"email": user.email, "password": factories.PASSWORD})
    assert auth.post("/console/connexion/code", {"code": codes[0]}).status_code == 422


def test_enrolment_with_qr_code_then_recovery_codes(auth, client, practice, make_staff, db):
    user = make_staff(practice, enrolled=False)
    r = auth.post("/console/connexion", {"email": user.email, "password": factories.PASSWORD})
    assert r.headers["Location"].endswith("/console/connexion/authentificateur")
    page = client.get("/console/connexion/authentificateur").get_data(as_text=True)
    assert "<svg" in page and 'id="totp-secret"' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert client.get("/console/").status_code == 302
    r = auth.post("/console/connexion/authentificateur", {"code": "000000"}, get_url="/console/connexion/authentificateur")
    assert r.status_code == 422
    r = auth.post("/console/connexion/authentificateur", {"code": pyotp.TOTP(secret).now()},
                  get_url="/console/connexion/authentificateur")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and len(re.findall(r"<code>[a-z0-9]{5}-[a-z0-9]{5}</code>", page)) == 10
    assert client.get("/console/").status_code == 200
    db.session.refresh(user)
    assert user.totp_confirmed_at is not None


def test_ten_failures_lock_the_account(auth, practice, make_staff):
    user = make_staff(practice)
    for _ in range(10):
        auth.post("/console/connexion", {"email": user.email, "password": "wrong password here"})
    r = auth.post("/console/connexion", {"email": user.email, "password": factories.PASSWORD})
    assert r.status_code == 429 or "bloqué" in r.get_data(as_text=True)
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        r = auth.post("/console/connexion", {"email": user.email, "password": factories.PASSWORD})
        assert r.status_code == 303


def test_idle_staff_session_ends_after_30_minutes(auth, client, practice, make_staff):
    auth.staff(make_staff(practice))
    with time_machine.travel(utcnow() + timedelta(minutes=29)):
        assert client.get("/console/").status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=29 + 31)):
        assert client.get("/console/").status_code == 302


def test_role_hierarchy(auth, client, practice, make_staff):
    secretary = make_staff(practice, Role.secretary)
    auth.staff(secretary)
    assert client.get("/console/patients/").status_code == 200
    assert client.get("/console/equipe").status_code == 403
    assert client.get("/console/journal").status_code == 403


def test_practitioner_can_do_all_a_secretary_can(app):
    from portal.accounts.models import StaffUser

    practitioner = StaffUser(role=Role.practitioner)
    owner = StaffUser(role=Role.owner)
    assert practitioner.can(Role.secretary) and not practitioner.can(Role.owner)
    assert owner.can(Role.practitioner) and owner.can(Role.secretary)
    assert not StaffUser(role=Role.secretary).can(Role.practitioner)


def test_invitation_is_single_use_and_expires(auth, client, practice, make_staff, db):
    owner = make_staff(practice)
    auth.staff(owner)
    r = auth.post("/console/equipe/inviter", {"email": "New.Person@Example.com", "role": "secretary"},
                  get_url="/console/equipe")
    assert r.status_code == 303
    link = factories.last_link("new.person@example.com")
    path = link.split("sourire.test", 1)[1]
    client.post("/deconnexion", data={"csrf_token": csrf_from(client.get("/console/").get_data(as_text=True))})
    r = auth.post(path, {"first_name": "Nina", "last_name": "Roy", "password": "court", "confirm": "court"})
    assert r.status_code == 422 and "Nina" in r.get_data(as_text=True)  # typed entries are kept
    r = auth.post(path, {"first_name": "Nina", "last_name": "Roy", "password": "une phrase assez longue",
                         "confirm": "une phrase assez longue"})
    assert r.headers["Location"].endswith("/console/connexion/authentificateur")
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == "new.person@example.com"))
    assert user.role is Role.secretary and user.practice_id == practice.id
    assert client.get(path).status_code == 404  # single use
    # a second invitation, left to expire
    from portal.accounts.staff_admin import invite_staff
    from portal.core.audit import Actor
    from portal.core.db import commit

    invite_staff(practice_id=practice.id, email="late@example.com", role=Role.secretary, by=owner,
                 actor=Actor.operator())
    commit()
    late = factories.last_link("late@example.com").split("sourire.test", 1)[1]
    with time_machine.travel(utcnow() + timedelta(hours=73)):
        assert client.get(late).status_code == 404


def test_only_owner_invites(auth, client, practice, make_staff):
    auth.staff(make_staff(practice, Role.practitioner))
    page = client.get("/console/").get_data(as_text=True)
    r = client.post("/console/equipe/inviter", data={"email": "x@example.com", "role": "owner",
                                                      "csrf_token": csrf_from(page)})
    assert r.status_code == 403
    assert factories.outbox("x@example.com") == []


def test_password_reset_by_email(auth, client, practice, make_staff, db):
    user = make_staff(practice)
    auth.staff(user)  # an open session, which the reset must end
    other = client.application.test_client()
    page = other.get("/console/mot-de-passe-oublie").get_data(as_text=True)
    for email in (user.email, "unknown@example.com"):
        r = other.post("/console/mot-de-passe-oublie", data={"email": email, "csrf_token": csrf_from(page)},
                       follow_redirects=True)
        assert "Si un compte existe" in r.get_data(as_text=True)
    assert factories.outbox("unknown@example.com") == []
    path = factories.last_link(user.email).split("sourire.test", 1)[1]
    page = other.get(path).get_data(as_text=True)
    r = other.post(path, data={"password": "encore un nouveau secret", "confirm": "encore un nouveau secret",
                               "csrf_token": csrf_from(page)})
    assert r.status_code == 303
    assert client.get("/console/").status_code == 302  # the old session was revoked
    assert other.get(path).status_code == 404  # the link is spent
    # the new password still needs the authenticator
    r = auth.post("/console/connexion", {"email": user.email, "password": "encore un nouveau secret"})
    assert r.headers["Location"].endswith("/console/connexion/code")


def test_disabling_an_account_ends_its_sessions(auth, client, practice, make_staff, db):
    owner = make_staff(practice)
    secretary = make_staff(practice, Role.secretary)
    other = client.application.test_client()
    Auth = type(auth)
    Auth(other).staff(secretary)
    assert other.get("/console/").status_code == 200
    auth.staff(owner)
    r = auth.post(f"/console/equipe/{secretary.id}/acces", {"active": "0"}, get_url="/console/equipe")
    assert r.status_code == 303
    assert other.get("/console/").status_code == 302
    sessions = db.session.scalars(select(AuthSession).where(AuthSession.staff_user_id == secretary.id)).all()
    assert all(s.revoked_reason == "disabled" for s in sessions)


def test_last_owner_cannot_be_demoted(auth, practice, make_staff):
    owner = make_staff(practice)
    auth.staff(owner)
    r = auth.post(f"/console/equipe/{owner.id}/role", {"role": "secretary"}, get_url="/console/equipe")
    assert r.status_code == 409 and "au moins un titulaire" in r.get_data(as_text=True)


def test_change_own_password_signs_out_other_sessions(auth, client, practice, make_staff):
    user = make_staff(practice)
    other = client.application.test_client()
    type(auth)(other).staff(user)
    with time_machine.travel(utcnow() + timedelta(seconds=31)):  # a fresh TOTP step for the second sign-in
        auth.staff(user)
        r = auth.post("/console/securite/mot-de-passe",
                      {"current": factories.PASSWORD, "password": "un tout nouveau secret", "confirm": "un tout nouveau secret"},
                      get_url="/console/securite")
        assert r.status_code == 303
        assert client.get("/console/").status_code == 200
        assert other.get("/console/").status_code == 302


def test_french_plural_rules_apply(auth, client, practice, make_staff):
    auth.staff(make_staff(practice))  # enrolled by the factory, so no recovery codes yet
    page = client.get("/console/securite").get_data(as_text=True)
    assert "Il vous reste 0 code de secours." in page  # French: 0 takes the singular


def test_the_authenticator_key_is_sealed_at_rest(practice, make_staff, db):
    from sqlalchemy import text

    user = make_staff(practice)
    stored = db.session.execute(text("SELECT totp_secret FROM staff_user WHERE id = :id"), {"id": user.id}).scalar()
    assert user.totp_key and user.totp_key not in stored and len(stored) > 64
