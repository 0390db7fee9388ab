"""The practice's team: invitations, roles, disabling, password reset by e-mail, 2FA reset."""
from __future__ import annotations

from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.accounts.models import RecoveryCode, Role, StaffToken, StaffUser
from portal.accounts.passwords import check_policy, hash_password
from portal.accounts.sessions import revoke_all
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from portal.core.models import Practice
from portal.core.tokens import new_token, token_hash
from portal.extensions import db
from portal.notify.models import SECRET_MARK
from portal.notify.services import queue_email

INVITE_LIFETIME = timedelta(hours=72)
RESET_LIFETIME = timedelta(hours=1)


def clean_email(raw: str, field: str = "email") -> str:
    """Normalised, lower-case e-mail; `Invalid` on `field` when malformed."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid(_("Cette adresse e-mail n'est pas valide."), field) from None


def _require_owner(actor_user: StaffUser | None) -> None:
    if actor_user is not None and actor_user.role is not Role.owner:
        raise PermissionDenied(_("Seul le titulaire du cabinet peut gérer l'équipe."))


def get_staff(*, practice_id: int, staff_id: int) -> StaffUser:
    """A staff member of the practice, or `NotFound`."""
    user = db.session.scalar(select(StaffUser).where(StaffUser.id == staff_id, StaffUser.practice_id == practice_id))
    if user is None:
        raise NotFound()
    return user


def list_team(practice_id: int) -> list[StaffUser]:
    """The practice's staff, by name."""
    return list(db.session.scalars(select(StaffUser).where(StaffUser.practice_id == practice_id)
                                   .order_by(StaffUser.last_name, StaffUser.email)))


def pending_invitations(practice_id: int) -> list[StaffToken]:
    """Invitations not used, revoked or expired."""
    return list(db.session.scalars(select(StaffToken).where(
        StaffToken.practice_id == practice_id, StaffToken.purpose == "invite",
        StaffToken.used_at.is_(None), StaffToken.expires_at > utcnow()).order_by(StaffToken.id.desc())))


def create_staff(*, practice: Practice, email: str, role: Role, first_name: str = "", last_name: str = "",
                 password: str | None = None, actor: Actor) -> StaffUser:
    """Operator path (CLI, demo): an account created directly. Without a password, an
    invitation e-mail lets the person choose one and enrol their authenticator."""
    email = clean_email(email)
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)):
        raise Conflict(_("Un compte existe déjà pour cette adresse e-mail."), "email")
    user = StaffUser(practice_id=practice.id, email=email, role=role, first_name=first_name, last_name=last_name)
    if password is not None:
        check_policy(password, personal=(first_name, last_name, email.split("@")[0]))
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("staff.created", actor=actor, practice_id=practice.id, target=user, details={"role": role.value})
    return user


def invite_staff(*, practice_id: int, email: str, role: Role, by: StaffUser | None, actor: Actor) -> StaffToken:
    """Send a single-use link, valid 72 hours, to join the practice with `role`."""
    _require_owner(by)
    email = clean_email(email)
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)):
        raise Conflict(_("Un compte existe déjà pour cette adresse e-mail."), "email")
    token = new_token()
    invite = StaffToken(practice_id=practice_id, purpose="invite", token_hash=token_hash(token), email=email,
                        role=role, created_by_id=by.id if by else None, expires_at=utcnow() + INVITE_LIFETIME)
    db.session.add(invite)
    db.session.flush()
    practice = db.session.get(Practice, practice_id)
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/console/invitation/{SECRET_MARK}"
    body = _("Bonjour,\n\n%(who)s vous invite à rejoindre l'équipe de %(practice)s sur Sourire.\n\n"
             "Ouvrez ce lien pour choisir votre mot de passe et configurer votre application "
             "d'authentification (il est valable 72 heures et ne sert qu'une fois) :\n%(link)s\n\n"
             "Si vous n'attendiez pas cette invitation, ignorez ce message.",
             who=by.full_name if by else "Sourire", practice=practice.name, link=link)
    queue_email(practice_id=practice_id, to=email, subject=_("Invitation à rejoindre %(p)s", p=practice.name),
                body=body, key=f"invite:{invite.id}", category="invite", secret=token)
    audit.record("staff.invited", actor=actor, practice_id=practice_id, target=invite,
                 details={"email": email, "role": role.value})
    return invite


def _live_token(token: str, purpose: str) -> StaffToken:
    row = db.session.scalar(select(StaffToken).where(StaffToken.token_hash == token_hash(token),
                                                     StaffToken.purpose == purpose))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise Invalid(_("Ce lien n'est plus valable. Demandez-en un nouveau."))
    return row


def check_invitation(token: str) -> StaffToken:
    """A live invitation for this token, or `Invalid`."""
    return _live_token(token, "invite")


def accept_invitation(token: str, *, first_name: str, last_name: str, password: str, actor: Actor) -> StaffUser:
    """Create the account from a live invitation. The person enrols TOTP next."""
    invite = _live_token(token, "invite")
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == invite.email)):
        raise Conflict(_("Un compte existe déjà pour cette adresse e-mail."))
    check_policy(password, personal=(first_name, last_name, invite.email.split("@")[0]))
    user = StaffUser(practice_id=invite.practice_id, email=invite.email, role=invite.role,
                     first_name=first_name.strip(), last_name=last_name.strip(), password_hash=hash_password(password))
    db.session.add(user)
    invite.used_at = utcnow()
    db.session.flush()
    invite.staff_user_id = user.id
    audit.record("staff.invitation_accepted", actor=actor.become(user), target=user)
    return user


def revoke_invitation(*, practice_id: int, invite_id: int, by: StaffUser, actor: Actor) -> None:
    """Cancel a pending invitation (owner only); its link stops working."""
    _require_owner(by)
    invite = db.session.scalar(select(StaffToken).where(StaffToken.id == invite_id,
                                                        StaffToken.practice_id == practice_id,
                                                        StaffToken.purpose == "invite"))
    if invite is None:
        raise NotFound()
    invite.used_at = utcnow()
    audit.record("staff.invitation_revoked", actor=actor, practice_id=practice_id, target=invite)


def request_password_reset(email: str, *, actor: Actor) -> None:
    """Always answers the same; sends a 1-hour single-use link when the account exists."""
    try:
        email = clean_email(email)
    except Invalid:
        return
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
    if user is None or not user.active:
        audit.record("staff.reset_requested_unknown", actor=actor, details={"email": email[:200]})
        return
    token = new_token()
    row = StaffToken(practice_id=user.practice_id, purpose="reset", token_hash=token_hash(token), email=email,
                     staff_user_id=user.id, expires_at=utcnow() + RESET_LIFETIME)
    db.session.add(row)
    db.session.flush()
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/console/mot-de-passe/{SECRET_MARK}"
    body = _("Bonjour,\n\nPour choisir un nouveau mot de passe Sourire, ouvrez ce lien (valable une heure, "
             "une seule fois) :\n%(link)s\n\nVotre code d'authentification restera demandé à la connexion.\n"
             "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.", link=link)
    queue_email(practice_id=user.practice_id, to=email, subject=_("Nouveau mot de passe Sourire"), body=body,
                key=f"reset:{row.id}", category="reset", secret=token)
    audit.record("staff.reset_requested", actor=actor, practice_id=user.practice_id, target=user)


def check_reset(token: str) -> StaffToken:
    """A live password-reset link for this token, or `Invalid`."""
    return _live_token(token, "reset")


def reset_password(token: str, password: str, *, actor: Actor) -> StaffUser:
    """Set the new password, spend the link, end every session of the account."""
    row = _live_token(token, "reset")
    user = db.session.get(StaffUser, row.staff_user_id)
    if user is None or not user.active:
        raise Invalid(_("Ce lien n'est plus valable. Demandez-en un nouveau."))
    check_policy(password, personal=(user.first_name, user.last_name, user.email.split("@")[0]))
    user.password_hash = hash_password(password)
    user.failed_signins, user.locked_until = 0, None
    row.used_at = utcnow()
    revoke_all(user, "password_reset")
    audit.record("staff.password_reset", actor=actor.become(user), target=user)
    return user


def _owners_left(practice_id: int, excluding: int) -> int:
    return db.session.scalar(select(func.count(StaffUser.id)).where(
        StaffUser.practice_id == practice_id, StaffUser.role == Role.owner, StaffUser.active.is_(True),
        StaffUser.id != excluding))


def change_role(user: StaffUser, role: Role, *, by: StaffUser | None, actor: Actor) -> None:
    """Change a staff member's role (owner only); the last owner stays an owner (`Conflict`)."""
    _require_owner(by)
    if user.role is Role.owner and role is not Role.owner and _owners_left(user.practice_id, user.id) == 0:
        raise Conflict(_("Le cabinet doit garder au moins un titulaire."), "role")
    old, user.role = user.role, role
    audit.record("staff.role_changed", actor=actor, practice_id=user.practice_id, target=user,
                 details={"from": old.value, "to": role.value})


def set_active(user: StaffUser, active: bool, *, by: StaffUser | None, actor: Actor) -> None:
    """Disable (every session ends at once) or re-enable a staff account. `by=None` is an operator."""
    _require_owner(by)
    if by is not None and by.id == user.id and not active:
        raise Conflict(_("Vous ne pouvez pas désactiver votre propre compte."))
    # An operator may lock out even the last owner (a stolen account); the practice may not.
    if not active and by is not None and user.role is Role.owner and _owners_left(user.practice_id, user.id) == 0:
        raise Conflict(_("Le cabinet doit garder au moins un titulaire actif."))
    user.active = active
    if not active:
        revoke_all(user, "disabled")
    audit.record("staff.enabled" if active else "staff.disabled", actor=actor,
                 practice_id=user.practice_id, target=user)


def reset_two_factor(user: StaffUser, *, actor: Actor) -> None:
    """Operator path, after checking who asks: the next sign-in enrols a new authenticator."""
    user.totp_secret = user.totp_confirmed_at = user.totp_last_step = None
    for row in db.session.scalars(select(RecoveryCode).where(RecoveryCode.staff_user_id == user.id)):
        db.session.delete(row)
    revoke_all(user, "2fa_reset")
    audit.record("staff.2fa_reset", actor=actor, practice_id=user.practice_id, target=user)


def change_own_password(user: StaffUser, *, current: str, new: str, actor: Actor) -> None:
    """Change one's own password (needs the current one); every other session ends."""
    from portal.accounts.passwords import verify_password
    from portal.accounts.sessions import open_session

    if not verify_password(user.password_hash, current):
        raise Invalid(_("Mot de passe actuel incorrect."), "current")
    check_policy(new, personal=(user.first_name, user.last_name, user.email.split("@")[0]))
    user.password_hash = hash_password(new)
    revoke_all(user, "password_changed")
    open_session(user, actor=actor)  # this browser stays signed in; the others are signed out
    audit.record("staff.password_changed", actor=actor, practice_id=user.practice_id, target=user)
