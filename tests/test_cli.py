"""Operator commands: each works, refuses bad input clearly, and has --help."""
from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from portal.accounts.models import StaffUser
from portal.core.models import AuditEvent, Practice
from tests import factories


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


@pytest.mark.parametrize("command", [["practice"], ["practice", "create"], ["staff"], ["staff", "create"],
                                     ["staff", "disable"], ["staff", "reset-2fa"], ["demo", "load"], ["db", "upgrade"]])
def test_every_command_has_help(cli, command):
    result = cli.invoke(args=command + ["--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_create_practice_and_invite_owner(cli, db):
    result = cli.invoke(args=["practice", "create", "--name", "Cabinet du Lac", "--city", "Annecy"])
    assert result.exit_code == 0, result.output
    practice = db.session.scalar(select(Practice).where(Practice.slug == "cabinet-du-lac"))
    assert practice.public_code in result.output and len(practice.public_code) == 6
    result = cli.invoke(args=["staff", "create", "--practice", "cabinet-du-lac", "--email", "dr@example.com"])
    assert result.exit_code == 0, result.output
    assert "/console/invitation/" in factories.last_link("dr@example.com")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.invited")).actor_type == "operator"


def test_bad_input_gets_a_clear_error(cli, make_practice):
    make_practice(slug="pris")
    result = cli.invoke(args=["practice", "create", "--name", "Autre", "--slug", "pris"])
    assert result.exit_code != 0 and "déjà" in result.output
    result = cli.invoke(args=["practice", "create", "--name", "X", "--timezone", "Mars/Olympus"])
    assert result.exit_code != 0 and "Fuseau horaire inconnu" in result.output
    result = cli.invoke(args=["staff", "create", "--practice", "nope", "--email", "a@example.com"])
    assert result.exit_code != 0 and "introuvable" in result.output
    result = cli.invoke(args=["staff", "create", "--practice", "pris", "--email", "not-an-email"])
    assert result.exit_code != 0 and "pas valide" in result.output


def test_create_staff_with_password_prompt(cli, make_practice, db):
    make_practice(slug="p1")
    result = cli.invoke(args=["staff", "create", "--practice", "p1", "--email", "s@example.com", "--role", "secretary",
                              "--password"], input="court\ncourt\n")
    assert result.exit_code != 0 and "12" in result.output
    pwd = "une longue phrase secrète"
    result = cli.invoke(args=["staff", "create", "--practice", "p1", "--email", "s@example.com", "--role", "secretary",
                              "--password"], input=f"{pwd}\n{pwd}\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(StaffUser).where(StaffUser.email == "s@example.com")).password_hash


def test_disable_and_reset_2fa(cli, auth, client, make_practice, make_staff, db):
    user = make_staff(make_practice())
    auth.staff(user)
    result = cli.invoke(args=["staff", "reset-2fa", user.email])
    assert result.exit_code == 0
    assert client.get("/console/").status_code == 302  # sessions ended
    db.session.refresh(user)
    assert user.totp_secret is None
    r = auth.post("/console/connexion", {"email": user.email, "password": factories.PASSWORD})
    assert r.headers["Location"].endswith("/authentificateur")  # next sign-in enrols again
    result = cli.invoke(args=["staff", "disable", user.email])
    assert result.exit_code == 0
    db.session.refresh(user)
    assert not user.active
    result = cli.invoke(args=["staff", "disable", "nobody@example.com"])
    assert result.exit_code != 0 and "no staff account" in result.output


def test_demo_load_and_code(cli, db):
    result = cli.invoke(args=["demo", "load", "--patients", "5"])
    assert result.exit_code == 0 and "06 12 34 56 78" in result.output
    assert "already" in cli.invoke(args=["demo", "load"]).output
    owner = db.session.scalar(select(StaffUser).where(StaffUser.email == "claire.martin@example.com"))
    code = cli.invoke(args=["demo", "code", owner.email]).output.strip()
    assert pyotp.TOTP(owner.totp_key).verify(code, valid_window=1)
