"""Staff sign-in: e-mail and password, then an authenticator code (TOTP) or a recovery code.

Two factors are mandatory for every staff account: a password alone never opens a session.
TOTP: 30-second steps, one step of drift either way, and a code's step must be newer than the
last one accepted, so a code seen over a shoulder cannot be replayed.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

import pyotp
import segno
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import attributes

from portal.accounts.models import RecoveryCode, StaffUser
from portal.accounts.passwords import verify_password
from portal.accounts.sessions import open_session
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import bump, utcnow
from portal.core.errors import Invalid, TooManyAttempts
from portal.core.tokens import same, token_hash
from portal.extensions import db

MAX_FAILURES = 10
LOCKOUT = timedelta(minutes=15)
RECOVERY_CODES = 10
ISSUER = "Sourire"


def _neutral() -> Invalid:
    # The same words whether the e-mail is unknown, the password wrong or the account locked:
    # nothing here tells which e-mails have an account.
    return Invalid(_("E-mail ou mot de passe incorrect. Après 10 erreurs, le compte est bloqué 15 minutes."))


def _locked(user: StaffUser) -> bool:
    return bool(user.locked_until and user.locked_until > utcnow())


def _check_lock(user: StaffUser) -> None:
    if _locked(user):
        raise TooManyAttempts(_("Trop d'essais : compte bloqué quelques minutes. Réessayez plus tard."))


def _failed(user: StaffUser, actor: Actor, reason: str) -> None:
    if bump(StaffUser.failed_signins, user.id) >= MAX_FAILURES:
        user.locked_until, user.failed_signins = utcnow() + LOCKOUT, 0
    audit.record("staff.signin_failed", actor=actor, practice_id=user.practice_id, target=user,
                 details={"reason": reason})


def check_credentials(*, email: str, password: str, actor: Actor) -> StaffUser:
    """First factor. Returns the user; the caller then asks for the second factor."""
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None or user.password_hash is None or not user.active or _locked(user):
        verify_password(None, password)  # same time whether or not the account exists
        audit.record("staff.signin_failed", actor=actor,
                     practice_id=user.practice_id if user else None, target=user,
                     details={"reason": "unknown" if user is None else "locked" if user.active else "inactive",
                              "email": email[:200]})
        raise _neutral()
    if not verify_password(user.password_hash, password):
        _failed(user, actor, "password")
        raise _neutral()
    return user


def _matching_step(user: StaffUser, code: str) -> int | None:
    typed = "".join(ch for ch in code if ch.isdigit())
    key = user.totp_key
    if len(typed) != 6 or not key:
        return None
    totp = pyotp.TOTP(key)
    current = totp.timecode(utcnow())
    for step in (current - 1, current, current + 1):
        if same(totp.generate_otp(step), typed):
            return step
    return None


def _accept_totp(user: StaffUser, code: str) -> bool:
    """A valid code whose time step is newer than the last one accepted. The check and the
    record are one UPDATE, so a code raced from two browsers is accepted once."""
    step = _matching_step(user, code)
    if step is None:
        return False
    won = db.session.execute(
        update(StaffUser).where(StaffUser.id == user.id,
                                (StaffUser.totp_last_step.is_(None)) | (StaffUser.totp_last_step < step))
        .values(totp_last_step=step)
    ).rowcount == 1
    if won:
        attributes.set_committed_value(user, "totp_last_step", step)
    return won


def _use_recovery_code(user: StaffUser, code: str) -> bool:
    cleaned = code.strip().replace(" ", "").replace("-", "").lower()
    if len(cleaned) != 10:
        return False
    return db.session.execute(
        update(RecoveryCode).where(RecoveryCode.staff_user_id == user.id,
                                   RecoveryCode.code_hash == token_hash(cleaned), RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount == 1


def verify_second_factor(user: StaffUser, code: str, *, actor: Actor) -> str:
    """An authenticator code, or a recovery code (single use). Opens the session.

    Returns how the user got in: 'totp' or 'recovery'.
    """
    _check_lock(user)
    if user.totp_confirmed_at is None:
        raise Invalid(_("Configurez d'abord votre application d'authentification."))
    method = "totp" if _accept_totp(user, code) else "recovery" if _use_recovery_code(user, code) else None
    if method is None:
        _failed(user, actor, "second_factor")
        raise Invalid(_("Code incorrect ou déjà utilisé."), "code")
    user.failed_signins = 0
    user.last_signin_at = utcnow()
    open_session(user, actor=actor)
    audit.record("staff.signin", actor=actor.become(user), target=user, details={"method": method})
    return method


def start_totp_enrolment(user: StaffUser) -> str:
    """A new secret, not yet active, for the QR code. Returns the provisioning URI."""
    user.totp_key = pyotp.random_base32()
    user.totp_confirmed_at = None
    user.totp_last_step = None
    return provisioning_uri(user)


def provisioning_uri(user: StaffUser) -> str:
    """The otpauth:// URI that authenticator apps read from the QR code."""
    return pyotp.TOTP(user.totp_key).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG (no script, no external image: fits the CSP)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#14213d", light="#ffffff", omitsize=True)


def confirm_totp_enrolment(user: StaffUser, code: str, *, actor: Actor) -> list[str]:
    """The first code proves the app is set; returns fresh recovery codes, shown once."""
    if not user.totp_secret or user.totp_confirmed_at is not None:
        raise Invalid(_("Recommencez la configuration."))
    if not _accept_totp(user, code):
        raise Invalid(_("Code incorrect. Vérifiez l'heure de votre téléphone et réessayez."), "code")
    user.totp_confirmed_at = utcnow()
    audit.record("staff.totp_enrolled", actor=actor, practice_id=user.practice_id, target=user)
    return new_recovery_codes(user, actor=actor)


def new_recovery_codes(user: StaffUser, *, actor: Actor) -> list[str]:
    """Replace all recovery codes; returns them in clear, to show once."""
    for row in db.session.scalars(select(RecoveryCode).where(RecoveryCode.staff_user_id == user.id)):
        db.session.delete(row)
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = ["".join(secrets.choice(alphabet) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    for code in codes:
        db.session.add(RecoveryCode(practice_id=user.practice_id, staff_user_id=user.id, code_hash=token_hash(code)))
    audit.record("staff.recovery_codes_renewed", actor=actor, practice_id=user.practice_id, target=user)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def remaining_recovery_codes(user: StaffUser) -> int:
    """How many unused recovery codes the user has left."""
    return len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.staff_user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def finish_enrolment_signin(user: StaffUser, *, actor: Actor) -> None:
    """After a first enrolment (invitation, or 2FA reset by an operator): the fresh code just
    verified is the second factor, so the session opens."""
    user.last_signin_at = utcnow()
    open_session(user, actor=actor)
    audit.record("staff.signin", actor=actor.become(user), target=user, details={"method": "enrolment"})


def confirm_second_factor(user: StaffUser, code: str, *, actor: Actor) -> None:
    """Ask a signed-in user for a fresh authenticator code before a sensitive change."""
    _check_lock(user)
    if not _accept_totp(user, code):
        _failed(user, actor, "second_factor")
        raise Invalid(_("Code incorrect ou déjà utilisé."), "code")
