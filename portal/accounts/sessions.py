"""Server-side sessions: opened at sign-in, checked at every request, revoked at sign-out,
after the idle timeout, and when an account is disabled or its password reset."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from portal.accounts.models import AuthSession, PatientAccount, StaffUser
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.tokens import new_token, token_hash
from portal.extensions import db

TOUCH_EVERY = timedelta(seconds=60)  # write last_seen at most once a minute per session


def idle_limit(kind: str) -> timedelta:
    """How long a session of this kind may stay unused."""
    minutes = current_app.config["STAFF_IDLE_MINUTES" if kind == "staff" else "PATIENT_IDLE_MINUTES"]
    return timedelta(minutes=minutes)


def open_session(user: StaffUser | PatientAccount, *, actor: Actor, current_patient_id: int | None = None) -> str:
    """Create a session row for `user` and return the token for the cookie (set on `user`)."""
    token = new_token()
    now = utcnow()
    row = AuthSession(
        token_hash=token_hash(token), kind=user.kind, practice_id=user.practice_id,
        staff_user_id=user.id if user.kind == "staff" else None,
        patient_account_id=user.id if user.kind == "patient" else None,
        current_patient_id=current_patient_id, last_seen_at=now,
        ip=actor.ip[:64], user_agent=actor.user_agent[:300],
    )
    db.session.add(row)
    db.session.flush()
    user.session_token, user.auth_session = token, row
    return token


def load_session(token: str | None):
    """The signed-in user for a cookie token, or None when the session is gone.

    Touching `last_seen_at` is committed on its own, before the view runs: it is bookkeeping
    of the session, not part of the request's unit of work.
    """
    if not token:
        return None
    # One query for the session, its user and the practice every page shows.
    row = db.session.scalar(select(AuthSession).where(AuthSession.token_hash == token_hash(token)).options(
        joinedload(AuthSession.staff_user).joinedload(StaffUser.practice),
        joinedload(AuthSession.patient_account).joinedload(PatientAccount.practice)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if now - row.last_seen_at > idle_limit(row.kind):
        row.revoked_at, row.revoked_reason = now, "idle"
        db.session.commit()
        return None
    user = row.staff_user if row.kind == "staff" else row.patient_account
    if user is None or not user.active:
        row.revoked_at, row.revoked_reason = now, "disabled"
        db.session.commit()
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    user.session_token, user.auth_session = token, row
    return user


def revoke_session(row: AuthSession, reason: str) -> None:
    """End one session (sign-out)."""
    if row.revoked_at is None:
        row.revoked_at, row.revoked_reason = utcnow(), reason


def revoke_all(user: StaffUser | PatientAccount, reason: str) -> int:
    """End every open session of `user`; returns how many were open."""
    column = AuthSession.staff_user_id if user.kind == "staff" else AuthSession.patient_account_id
    result = db.session.execute(
        update(AuthSession).where(column == user.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return result.rowcount
