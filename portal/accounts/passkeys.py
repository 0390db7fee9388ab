"""Passkeys for patients and parents (WebAuthn, through py_webauthn).

A signed-in person adds a passkey from the menu; afterwards "Se connecter avec une clé d'accès"
signs them in without password or SMS. User verification is required at both ceremonies: the
device (possession) unlocked by a fingerprint, face or PIN (inherence or knowledge) is itself two
factors, and no SMS is spent. The relying party is the host of BASE_URL.

Challenges travel in the signed session cookie between the two requests of a ceremony and are
single-use: each verification pops its challenge first.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from webauthn import (generate_authentication_options, generate_registration_options, options_to_json,
                      verify_authentication_response, verify_registration_response)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor,
                                      ResidentKeyRequirement, UserVerificationRequirement)

from portal.accounts.models import PatientAccount, PatientPasskey
from portal.accounts.sessions import open_session
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.errors import Invalid, NotFound
from portal.core.phones import mask_phone
from portal.extensions import db
from portal.patients.services import linked_patients

CHALLENGE_TTL = 300  # seconds between asking for options and answering with the device
MAX_PASSKEYS = 10


def relying_party() -> tuple[str, str]:
    """(RP id, origin) from BASE_URL: passkeys are bound to this host."""
    parts = urlsplit(current_app.config["BASE_URL"])
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def _user_handle(account: PatientAccount) -> bytes:
    # Opaque and stable: the device stores it; it must not be a phone number or a guessable id.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"passkey-user:{account.id}".encode(), hashlib.sha256).digest()[:16]


def _pack(challenge: bytes) -> dict:
    return {"challenge": bytes_to_base64url(challenge), "at": int(time.time())}


def _unpack(state: dict | None) -> bytes:
    if not state or time.time() - state.get("at", 0) > CHALLENGE_TTL:
        raise Invalid(_("La demande a expiré. Recommencez."))
    return base64url_to_bytes(state["challenge"])


def list_passkeys(account: PatientAccount) -> list[PatientPasskey]:
    """The account's passkeys, newest first."""
    return list(db.session.scalars(select(PatientPasskey).where(PatientPasskey.account_id == account.id)
                                   .order_by(PatientPasskey.id.desc())))


def registration_options(account: PatientAccount) -> tuple[str, dict]:
    """Options for `navigator.credentials.create`, as JSON, and the state to keep until the answer."""
    rp_id, _origin = relying_party()
    existing = list_passkeys(account)
    if len(existing) >= MAX_PASSKEYS:
        raise Invalid(_("Vous avez déjà %(n)d clés d'accès : supprimez-en une d'abord.", n=MAX_PASSKEYS))
    options = generate_registration_options(
        rp_id=rp_id, rp_name="Sourire", user_id=_user_handle(account),
        user_name=mask_phone(account.phone), user_display_name=account.practice.name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
                             for p in existing],
    )
    return options_to_json(options), _pack(options.challenge)


def add_passkey(account: PatientAccount, credential: dict, state: dict | None, *, label: str,
                actor: Actor) -> PatientPasskey:
    """Verify the device's answer and keep the new passkey. Raises `Invalid` with the reason."""
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(credential=credential, expected_challenge=_unpack(state),
                                                expected_rp_id=rp_id, expected_origin=origin,
                                                require_user_verification=True)
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise Invalid(_("La clé d'accès n'a pas pu être enregistrée (%(why)s).", why=str(exc)[:120])) from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(select(PatientPasskey.id).where(PatientPasskey.credential_id == credential_id)):
        raise Invalid(_("Cette clé d'accès est déjà enregistrée."))
    passkey = PatientPasskey(practice_id=account.practice_id, account_id=account.id, credential_id=credential_id,
                             public_key=verified.credential_public_key, sign_count=verified.sign_count,
                             label=label[:120])
    db.session.add(passkey)
    db.session.flush()
    audit.record("patient.passkey_added", actor=actor, practice_id=account.practice_id, target=passkey)
    return passkey


def authentication_options() -> tuple[str, dict]:
    """Options for `navigator.credentials.get`: any passkey of this site (discoverable)."""
    rp_id, _origin = relying_party()
    options = generate_authentication_options(rp_id=rp_id, user_verification=UserVerificationRequirement.REQUIRED)
    return options_to_json(options), _pack(options.challenge)


def _refused(actor: Actor, why: str, account: PatientAccount | None = None) -> Invalid:
    audit.record("patient.signin_failed", actor=actor, practice_id=account.practice_id if account else None,
                 target=account, details={"reason": "passkey", "why": why[:200]})
    return Invalid(_("Cette clé d'accès n'a pas permis de vous connecter. Utilisez votre numéro, "
                     "votre mot de passe et un code SMS."))


def sign_in_with_passkey(credential: dict, state: dict | None, *, actor: Actor) -> PatientAccount:
    """Verify a passkey assertion and open the session. Raises `Invalid` (neutral) otherwise."""
    rp_id, origin = relying_party()
    challenge = _unpack(state)
    raw_id = credential.get("rawId") or credential.get("id") if isinstance(credential, dict) else None
    passkey = db.session.scalar(select(PatientPasskey).where(PatientPasskey.credential_id == str(raw_id or "")))
    if passkey is None:
        raise _refused(actor, "unknown credential")
    account = passkey.account
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin,
            credential_public_key=passkey.public_key, credential_current_sign_count=passkey.sign_count,
            require_user_verification=True)
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        raise _refused(actor, str(exc), account) from None
    # A counter that went backwards means a cloned authenticator; the UPDATE keeps it monotonic
    # even when two sign-ins race. Synced passkeys always report 0, which is allowed.
    if verified.new_sign_count:
        moved = db.session.execute(update(PatientPasskey).where(
            PatientPasskey.id == passkey.id, PatientPasskey.sign_count < verified.new_sign_count)
            .values(sign_count=verified.new_sign_count)).rowcount
        if not moved:
            raise _refused(actor, "sign count did not increase", account)
    if not account.active or not linked_patients(account):
        raise _refused(actor, "no file to show", account)
    passkey.last_used_at = account.last_signin_at = utcnow()
    open_session(account, actor=actor, current_patient_id=linked_patients(account)[0].id)
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
    """The browser's JSON answer, or `Invalid`."""
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("response"), dict):
        raise Invalid(_("Réponse de l'appareil illisible. Recommencez."))
    return data
