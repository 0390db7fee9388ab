"""Passkeys for patients and parents (WebAuthn, through py_webauthn).

A signed-in person adds a passkey from the menu, after typing their password again; afterwards
"Se connecter avec une clé d'accès" signs them in without password or SMS. User verification is
required at both ceremonies: the device (possession) unlocked by a fingerprint, face or PIN
(inherence or knowledge) is itself two factors. The relying party is the host of BASE_URL.

Every challenge is recorded on the server and spent by one UPDATE: a replayed answer, even with a
copied cookie, finds its challenge used.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from webauthn import (generate_authentication_options, generate_registration_options, options_to_json,
                      verify_authentication_response, verify_registration_response)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor,
                                      ResidentKeyRequirement, UserVerificationRequirement)

from portal.accounts.models import PasskeyChallenge, PatientAccount, PatientPasskey
from portal.accounts.passwords import verify_password
from portal.accounts.sessions import open_session
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import insert_or_ignore, utcnow
from portal.core.errors import Invalid, NotFound
from portal.core.phones import mask_phone
from portal.core.tokens import token_hash
from portal.extensions import db
from portal.notify.services import queue_sms
from portal.patients.services import linked_patients

CHALLENGE_TTL = timedelta(minutes=5)
MAX_PASSKEYS = 10
MAX_BODY = 16 * 1024  # a WebAuthn answer is a few kilobytes
_B64URL = re.compile(r"^[A-Za-z0-9_-]{16,1400}$")
_FAILURE_PROBLEMS = (WebAuthnException, ValueError, KeyError, TypeError, AttributeError)


def relying_party() -> tuple[str, str]:
    """(RP id, origin) from BASE_URL: passkeys are bound to this host."""
    parts = urlsplit(current_app.config["BASE_URL"])
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def available_on(host: str) -> bool:
    """Whether a page served on `host` can use passkeys: browsers refuse an IP address as relying
    party, and a host other than BASE_URL's would fail the origin check."""
    rp_id, _origin = relying_party()
    try:
        ipaddress.ip_address(rp_id)
        return False
    except ValueError:
        return host.split(":")[0].lower() == rp_id.lower()


def _user_handle(account: PatientAccount) -> bytes:
    # Opaque and stable: the device stores it; it must not be a phone number or a guessable id.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"passkey-user:{account.id}".encode(), hashlib.sha256).digest()[:16]


def _remember(challenge: bytes, purpose: str, account_id: int | None) -> None:
    now = utcnow()
    db.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at < now))  # housekeeping
    db.session.add(PasskeyChallenge(challenge_hash=token_hash(bytes_to_base64url(challenge)), purpose=purpose,
                                    account_id=account_id, expires_at=now + CHALLENGE_TTL))
    db.session.flush()


def _spend(credential: dict, purpose: str, account_id: int | None) -> bytes:
    """The challenge the device signed, if this server issued it for this purpose and it is
    unused and fresh; spent in the same statement. `Invalid` otherwise."""
    try:
        client_data = json.loads(base64url_to_bytes(credential["response"]["clientDataJSON"]))
        challenge = str(client_data["challenge"])
    except (KeyError, TypeError, ValueError, RecursionError):
        raise Invalid(_("Réponse de l'appareil illisible. Recommencez.")) from None
    now = utcnow()
    query = update(PasskeyChallenge).where(
        PasskeyChallenge.challenge_hash == token_hash(challenge), PasskeyChallenge.purpose == purpose,
        PasskeyChallenge.used_at.is_(None), PasskeyChallenge.expires_at > now)
    if account_id is not None:
        query = query.where(PasskeyChallenge.account_id == account_id)
    if db.session.execute(query.values(used_at=now)).rowcount != 1:
        raise Invalid(_("La demande a expiré. Recommencez."))
    return base64url_to_bytes(challenge)


def list_passkeys(account: PatientAccount) -> list[PatientPasskey]:
    """The account's passkeys, newest first."""
    return list(db.session.scalars(select(PatientPasskey).where(PatientPasskey.account_id == account.id)
                                   .order_by(PatientPasskey.id.desc())))


def _check_room(account: PatientAccount) -> list[PatientPasskey]:
    existing = list_passkeys(account)
    if len(existing) >= MAX_PASSKEYS:
        raise Invalid(_("Vous avez déjà %(n)d clés d'accès : supprimez-en une d'abord.", n=MAX_PASSKEYS))
    return existing


def registration_options(account: PatientAccount, password: str, *, actor: Actor) -> str:
    """Options for `navigator.credentials.create`, as JSON, once the password is typed again: a
    session left open on a shared phone must not be enough to plant a passkey."""
    if not verify_password(account.password_hash, password):
        audit.record("patient.signin_failed", actor=actor, practice_id=account.practice_id, target=account,
                     details={"reason": "password"})
        raise Invalid(_("Mot de passe incorrect."), "password")
    rp_id, _origin = relying_party()
    existing = _check_room(account)
    options = generate_registration_options(
        rp_id=rp_id, rp_name="Sourire", user_id=_user_handle(account),
        user_name=mask_phone(account.phone), user_display_name=account.practice.name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
                             for p in existing],
    )
    _remember(options.challenge, "register", account.id)
    return options_to_json(options)


def add_passkey(account: PatientAccount, credential: dict, *, label: str, actor: Actor) -> PatientPasskey:
    """Verify the device's answer and keep the new passkey; the number gets an SMS saying so.
    Raises `Invalid` with a reason fit for the person (the technical one goes to the journal)."""
    rp_id, origin = relying_party()
    challenge = _spend(credential, "register", account.id)
    _check_room(account)
    try:
        verified = verify_registration_response(credential=credential, expected_challenge=challenge,
                                                expected_rp_id=rp_id, expected_origin=origin,
                                                require_user_verification=True)
    except _FAILURE_PROBLEMS as exc:
        audit.record("patient.passkey_refused", actor=actor, practice_id=account.practice_id, target=account,
                     details={"why": str(exc)[:200]})
        raise Invalid(_("La clé d'accès n'a pas pu être enregistrée. Réessayez, ou utilisez un autre appareil.")) \
            from None
    # The same device answering twice at once: the second insert does nothing, and says so.
    new_id = db.session.scalar(insert_or_ignore(PatientPasskey, {
        "practice_id": account.practice_id, "account_id": account.id,
        "credential_id": bytes_to_base64url(verified.credential_id), "public_key": verified.credential_public_key,
        "sign_count": verified.sign_count, "label": label[:120], "created_at": utcnow()},
        [PatientPasskey.credential_id]).returning(PatientPasskey.id))
    if new_id is None:
        raise Invalid(_("Cette clé d'accès est déjà enregistrée."))
    passkey = db.session.get(PatientPasskey, new_id)
    audit.record("patient.passkey_added", actor=actor, practice_id=account.practice_id, target=passkey)
    queue_sms(practice_id=account.practice_id, to=account.phone, category="security_notice",
              key=f"passkey_added:{passkey.id}",
              body=_("%(practice)s : une clé d'accès vient d'être ajoutée à votre espace Sourire. "
                     "Si ce n'est pas vous, appelez le cabinet.", practice=account.practice.name))
    return passkey


def authentication_options() -> str:
    """Options for `navigator.credentials.get`: any passkey of this site (discoverable)."""
    rp_id, _origin = relying_party()
    options = generate_authentication_options(rp_id=rp_id, user_verification=UserVerificationRequirement.REQUIRED)
    _remember(options.challenge, "signin", None)
    return options_to_json(options)


def _refused(actor: Actor, why: str, account: PatientAccount | None = None) -> Invalid:
    audit.record("patient.signin_failed", actor=actor, practice_id=account.practice_id if account else None,
                 target=account, details={"reason": "passkey", "why": why[:200]})
    return Invalid(_("Cette clé d'accès n'a pas permis de vous connecter. Utilisez votre numéro, "
                     "votre mot de passe et un code SMS."))


def sign_in_with_passkey(credential: dict, *, actor: Actor) -> PatientAccount:
    """Verify a passkey assertion and open the session. Raises `Invalid` (neutral) otherwise."""
    rp_id, origin = relying_party()
    challenge = _spend(credential, "signin", None)
    raw_id = credential.get("rawId") or credential.get("id")
    if not isinstance(raw_id, str) or not _B64URL.match(raw_id):
        raise _refused(actor, "malformed credential id")
    passkey = db.session.scalar(select(PatientPasskey).where(PatientPasskey.credential_id == raw_id))
    if passkey is None:
        raise _refused(actor, "unknown credential")
    account = passkey.account
    try:
        handle = credential["response"].get("userHandle")
        if handle and base64url_to_bytes(handle) != _user_handle(account):
            raise ValueError("user handle does not match the credential's account")
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin,
            credential_public_key=passkey.public_key, credential_current_sign_count=passkey.sign_count,
            require_user_verification=True)
    except _FAILURE_PROBLEMS as exc:
        raise _refused(actor, str(exc), account) from None
    # A counter that went backwards means a cloned authenticator; the UPDATE keeps it monotonic
    # even when two sign-ins race. Synced passkeys always report 0, which is allowed.
    if verified.new_sign_count:
        moved = db.session.execute(update(PatientPasskey).where(
            PatientPasskey.id == passkey.id, PatientPasskey.sign_count < verified.new_sign_count)
            .values(sign_count=verified.new_sign_count)).rowcount
        if not moved:
            raise _refused(actor, "sign count did not increase", account)
    patients = linked_patients(account)
    if not account.active or not account.practice.active or not patients:
        raise _refused(actor, "no file to show", account)
    passkey.last_used_at = account.last_signin_at = utcnow()
    open_session(account, actor=actor, current_patient_id=patients[0].id)
    audit.record("patient.signin", actor=actor.become(account), target=account, details={"method": "passkey"})
    return account


def remove_passkey(account: PatientAccount, passkey_id: int, *, actor: Actor) -> None:
    """Forget one of the account's passkeys (a lost or replaced phone)."""
    passkey = db.session.scalar(select(PatientPasskey).where(PatientPasskey.id == passkey_id,
                                                             PatientPasskey.account_id == account.id))
    if passkey is None:
        raise NotFound()
    db.session.delete(passkey)
    audit.record("patient.passkey_removed", actor=actor, practice_id=account.practice_id, target=account,
                 details={"label": passkey.label})


def parse_credential(raw: bytes) -> dict:
    """The browser's JSON answer, or `Invalid`: size-limited, no control characters, the shape
    WebAuthn answers have."""
    if not raw or len(raw) > MAX_BODY:
        raise Invalid(_("Réponse de l'appareil illisible. Recommencez."))
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("response"), dict) or \
            any(ord(c) < 32 and c not in "\t\n\r" for c in raw.decode("utf-8", "replace")):
        raise Invalid(_("Réponse de l'appareil illisible. Recommencez."))
    return data
