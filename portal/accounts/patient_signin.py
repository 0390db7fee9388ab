"""Patient and parent sign-in: identification, SMS code, password (two factors).

First time: mobile number + the patient's last name, first name and birth date identify one
patient; a 6-digit SMS code proves the number; the person then chooses a password. Afterwards
a sign-in needs the password and an SMS code. Nothing here tells whether a person exists:
every miss gives the same neutral answer.
"""
from __future__ import annotations

import secrets
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, text, update
from sqlalchemy.orm import attributes

from portal.accounts.models import PatientAccount, PatientPasskey, SmsChallenge
from portal.accounts.passwords import check_policy, hash_password, verify_password
from portal.accounts.sessions import open_session
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import bump, insert_or_ignore, utcnow
from portal.core.errors import Invalid, TooManyAttempts
from portal.core.models import Practice
from portal.core.phones import normalize_phone
from portal.core.text import compact_key
from portal.core.tokens import keyed_hash, same
from portal.extensions import db
from portal.notify.models import SECRET_MARK, Channel
from portal.notify.services import count_recent, queue_sms
from portal.patients.models import Patient
from portal.patients.services import linked_patients, with_number

CODE_LIFETIME = timedelta(minutes=5)
CODE_MAX_FAILURES = 5
SMS_WINDOW = timedelta(minutes=15)
SMS_PER_WINDOW = 3
RESEND_DELAY = timedelta(seconds=60)
PASSWORD_MAX_FAILURES = 10
LOCKOUT = timedelta(minutes=15)
ENROL_GRACE = timedelta(minutes=15)  # time to choose a password once the code is verified


def neutral_miss() -> Invalid:
    """The one answer for every identification miss: it never says who exists."""
    return Invalid(_("Nous n'avons pas pu vous identifier. Vérifiez le numéro de téléphone, "
                     "le nom, le prénom et la date de naissance saisis."))


def parse_phone(raw: str) -> str:
    """E.164 form of a typed number; `Invalid` on the phone field otherwise."""
    phone = normalize_phone(raw)
    if phone is None:
        raise Invalid(_("Ce numéro de téléphone n'est pas valide."), "phone")
    return phone


def identify(*, phone: str, last_name: str, first_name: str, birth_date: date, actor: Actor,
             practice_code: str | None = None) -> Patient:
    """The one patient matching all four entries, whose own number, a parent's or the financial
    responsible's number is `phone`. Raises the neutral `Invalid` otherwise.

    A child followed by two practices matches twice: the person is then asked for the
    practice's code ("identifiant de cabinet", seed 001), which says nothing about which ones.
    """
    e164 = parse_phone(phone)
    # The number and the birth date narrow it to a family (indexed); names are compared here,
    # without case, accents, hyphens or spaces: "Le Goff" is "LEGOFF", "D'Arc" is "Darc".
    family = db.session.scalars(
        with_number(select(Patient), e164).join(Practice, Practice.id == Patient.practice_id).where(
            Patient.birth_date == birth_date,
            Patient.do_not_share_online.is_(False),
            Practice.active.is_(True),
        )
    ).all()
    last, first = compact_key(last_name), compact_key(first_name)
    candidates = [p for p in family if compact_key(p.last_name) == last and compact_key(p.first_name) == first]
    code = (practice_code or "").strip()
    if code:
        candidates = [p for p in candidates if p.practice.public_code == code]
    elif len({p.practice_id for p in candidates}) > 1:
        raise Invalid(_("Ce patient est suivi par plusieurs cabinets : indiquez l'identifiant du cabinet "
                        "(6 chiffres, sur ses courriers et SMS)."), "practice_code")
    if not last or not first or len(candidates) != 1:
        audit.record("patient.identify_failed", actor=actor, details={"phone_suffix": e164[-2:]})
        raise neutral_miss()
    return candidates[0]


def account_for(patient: Patient, phone: str) -> PatientAccount:
    """The portal account of the person holding `phone` in the patient's practice (created on
    first use; a double tap that creates it twice at once keeps one)."""
    e164 = parse_phone(phone)
    mine = select(PatientAccount).where(PatientAccount.practice_id == patient.practice_id,
                                        PatientAccount.phone == e164)
    account = db.session.scalar(mine)
    if account is None:
        db.session.execute(insert_or_ignore(PatientAccount, {"practice_id": patient.practice_id, "phone": e164,
                                                             "active": True, "failed_passwords": 0, "locale": "fr",
                                                             "created_at": utcnow()},
                                            [PatientAccount.practice_id, PatientAccount.phone]))
        account = db.session.scalar(mine)
    if not account.active:
        raise neutral_miss()
    return account


def _locked(account: PatientAccount) -> bool:
    return bool(account.locked_until and account.locked_until > utcnow())


def _check_lock(account: PatientAccount) -> None:
    if _locked(account):
        raise TooManyAttempts(_("Trop d'essais. Réessayez dans quelques minutes."))


def _password_failed(account: PatientAccount, actor: Actor) -> None:
    if bump(PatientAccount.failed_passwords, account.id) >= PASSWORD_MAX_FAILURES:
        account.locked_until, account.failed_passwords = utcnow() + LOCKOUT, 0
    audit.record("patient.signin_failed", actor=actor, practice_id=account.practice_id, target=account,
                 details={"reason": "password"})


def check_password(account: PatientAccount, password: str, *, actor: Actor) -> None:
    """Second factor check before any SMS leaves. Locks the account after repeated failures."""
    _check_lock(account)
    if not verify_password(account.password_hash, password):
        _password_failed(account, actor)
        raise Invalid(_("Mot de passe incorrect."), "password")
    account.failed_passwords = 0


def accounts_with_password(phone: str) -> list[PatientAccount]:
    """Active accounts holding this number that already chose a password."""
    e164 = parse_phone(phone)
    return list(db.session.scalars(select(PatientAccount).where(
        PatientAccount.phone == e164, PatientAccount.password_hash.is_not(None),
        PatientAccount.active.is_(True)).order_by(PatientAccount.last_signin_at.desc().nulls_last())))


def returning_signin(*, phone: str, password: str, actor: Actor) -> PatientAccount:
    """A remembered device: number and password. The same neutral answer for any miss,
    including a locked account: nothing tells which numbers have an account."""
    accounts = [a for a in accounts_with_password(phone) if not _locked(a)]
    if not accounts:
        verify_password(None, password)
        audit.record("patient.signin_failed", actor=actor, details={"reason": "unknown_or_locked"})
        raise Invalid(_("Numéro ou mot de passe incorrect."))
    for account in accounts:
        if verify_password(account.password_hash, password):
            account.failed_passwords = 0
            return account
    for account in accounts:
        _password_failed(account, actor)
    raise Invalid(_("Numéro ou mot de passe incorrect."))


def _new_code(challenge_id: int) -> tuple[str, str]:
    code = f"{secrets.randbelow(10**6):06d}"
    return code, keyed_hash(code, context=f"sms:{challenge_id}")


def _guard_sms_budget(phone: str) -> None:
    sent = count_recent(channel=Channel.sms, recipient=phone, category="auth_code", since=utcnow() - SMS_WINDOW)
    if sent >= SMS_PER_WINDOW:
        raise TooManyAttempts(_("Trop de codes envoyés à ce numéro. Réessayez dans 15 minutes."))


def _send(challenge: SmsChallenge, code: str) -> None:
    practice = db.session.get(Practice, challenge.practice_id)
    body = _("%(practice)s : votre code Sourire est %(code)s. Il expire dans 5 minutes. "
             "Ne le communiquez à personne.", practice=practice.name, code=SECRET_MARK)
    queue_sms(practice_id=challenge.practice_id, to=challenge.phone, body=body, category="auth_code",
              key=f"auth_code:{challenge.id}:{challenge.send_count}", secret=code)


def _serialize_on(account_id: int) -> None:
    """Make parallel requests for one number count its SMS budget one after the other, until
    commit: PostgreSQL takes a transaction lock on the number (one number may hold accounts in
    several practices); SQLite has one writer at a time once this no-op UPDATE has run."""
    account = db.session.get(PatientAccount, account_id)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"sms:{account.phone}"})
    else:
        db.session.execute(update(PatientAccount).where(PatientAccount.id == account_id)
                           .values(phone=PatientAccount.phone))


def send_code(account: PatientAccount, *, purpose: str, actor: Actor) -> SmsChallenge:
    """Send a new code to the account's number. Raises `TooManyAttempts` past the budget."""
    _check_lock(account)
    _serialize_on(account.id)
    _guard_sms_budget(account.phone)
    now = utcnow()
    challenge = SmsChallenge(practice_id=account.practice_id, account_id=account.id, phone=account.phone,
                             purpose=purpose, code_hash="", expires_at=now + CODE_LIFETIME, last_sent_at=now)
    db.session.add(challenge)
    db.session.flush()
    code, challenge.code_hash = _new_code(challenge.id)
    _send(challenge, code)
    audit.record("patient.code_sent", actor=actor, practice_id=account.practice_id, target=account,
                 details={"purpose": purpose})
    return challenge


def _usable(challenge: SmsChallenge) -> None:
    if challenge.consumed_at or challenge.verified_at or challenge.failed_attempts >= CODE_MAX_FAILURES:
        raise Invalid(_("Ce code n'est plus valable. Recommencez la connexion."), "code")


def resend_code(challenge: SmsChallenge, *, actor: Actor) -> None:
    """'Renvoyer': a fresh code on the same challenge. The failure counter is kept."""
    _usable(challenge)
    _serialize_on(challenge.account_id)
    db.session.refresh(challenge)  # what a parallel resend may have just changed
    wait = challenge.last_sent_at + RESEND_DELAY - utcnow()
    if wait.total_seconds() > 0:
        raise TooManyAttempts(_("Patientez %(s)d secondes avant de demander un nouveau code.",
                                s=int(wait.total_seconds()) + 1))
    _guard_sms_budget(challenge.phone)
    now = utcnow()
    challenge.send_count += 1
    challenge.last_sent_at, challenge.expires_at = now, now + CODE_LIFETIME
    code, challenge.code_hash = _new_code(challenge.id)
    _send(challenge, code)
    audit.record("patient.code_resent", actor=actor, practice_id=challenge.practice_id,
                 target=challenge, details={"send_count": challenge.send_count})


def verify_code(challenge: SmsChallenge, code: str, *, actor: Actor) -> None:
    """Check a typed code. Five wrong tries kill the challenge; an expired code is refused.

    Each try first spends one attempt in a single UPDATE, so parallel guesses cannot share one:
    the sixth finds none left. A right code gives its attempt back.
    """
    _usable(challenge)
    if challenge.expires_at <= utcnow():
        raise Invalid(_("Ce code a expiré. Demandez-en un nouveau avec « Renvoyer »."), "code")
    spent = db.session.execute(
        update(SmsChallenge).where(SmsChallenge.id == challenge.id, SmsChallenge.verified_at.is_(None),
                                   SmsChallenge.consumed_at.is_(None),
                                   SmsChallenge.failed_attempts < CODE_MAX_FAILURES)
        .values(failed_attempts=SmsChallenge.failed_attempts + 1)
    ).rowcount
    db.session.refresh(challenge)
    if spent != 1:
        raise Invalid(_("Ce code n'est plus valable. Recommencez la connexion."), "code")
    typed = "".join(ch for ch in code if ch.isdigit())
    if len(typed) != 6 or not same(keyed_hash(typed, context=f"sms:{challenge.id}"), challenge.code_hash):
        audit.record("patient.code_failed", actor=actor, practice_id=challenge.practice_id, target=challenge,
                     details={"failed_attempts": challenge.failed_attempts})
        left = CODE_MAX_FAILURES - challenge.failed_attempts
        if left <= 0:
            raise Invalid(_("Code incorrect. Trop d'essais : recommencez la connexion."), "code")
        raise Invalid(_("Code incorrect. Il vous reste %(n)d essai(s).", n=left), "code")
    challenge.failed_attempts -= 1
    challenge.verified_at = utcnow()


def _consume(challenge: SmsChallenge) -> None:
    """Spend a verified challenge, once: a second request with the same state finds it spent."""
    now = utcnow()
    spent = db.session.execute(
        update(SmsChallenge).where(SmsChallenge.id == challenge.id, SmsChallenge.consumed_at.is_(None))
        .values(consumed_at=now)
    ).rowcount
    if spent != 1:
        raise Invalid(_("Recommencez la connexion."))
    attributes.set_committed_value(challenge, "consumed_at", now)


def finish_signin(challenge: SmsChallenge, *, actor: Actor, patient_id: int | None = None) -> PatientAccount:
    """A verified sign-in code: open the session, showing `patient_id` when it is linked."""
    if challenge.purpose != "signin" or challenge.verified_at is None or challenge.consumed_at:
        raise Invalid(_("Recommencez la connexion."))
    _consume(challenge)
    account = db.session.get(PatientAccount, challenge.account_id)
    return _signed_in(account, actor, patient_id)


def set_first_password(challenge: SmsChallenge, password: str, *, actor: Actor,
                       patient_id: int | None = None) -> PatientAccount:
    """After the first code: the person chooses the password that is their second factor."""
    if (challenge.purpose != "enrol" or challenge.verified_at is None or challenge.consumed_at
            or challenge.verified_at + ENROL_GRACE < utcnow()):
        raise Invalid(_("Recommencez la connexion."))
    account = db.session.get(PatientAccount, challenge.account_id)
    personal = tuple(x for p in linked_patients(account) for x in (p.last_name, p.first_name))
    check_policy(password, personal=personal + (account.phone[-8:],))
    _consume(challenge)
    account.password_hash = hash_password(password)
    audit.record("patient.password_set", actor=actor, practice_id=account.practice_id, target=account)
    return _signed_in(account, actor, patient_id)


def _signed_in(account: PatientAccount, actor: Actor, patient_id: int | None) -> PatientAccount:
    patients = linked_patients(account)
    if not patients:  # the file was unlinked or withdrawn between the steps
        raise neutral_miss()
    # Show the file whose details were typed; a remembered device starts with the eldest.
    shown = next((p for p in patients if p.id == patient_id), patients[0])
    account.last_signin_at = utcnow()
    open_session(account, actor=actor, current_patient_id=shown.id)
    audit.record("patient.signin", actor=actor.become(account), target=account)
    return account


def change_password(account: PatientAccount, *, current: str, new: str, actor: Actor) -> None:
    """From the patient menu: needs the current password; other sessions are ended."""
    from portal.accounts.sessions import revoke_all

    if not verify_password(account.password_hash, current):
        raise Invalid(_("Mot de passe actuel incorrect."), "current")
    personal = tuple(x for p in linked_patients(account) for x in (p.last_name, p.first_name))
    check_policy(new, personal=personal)
    account.password_hash = hash_password(new)
    viewing = account.auth_session.current_patient_id if account.auth_session else None
    revoke_all(account, "password_changed")
    open_session(account, actor=actor, current_patient_id=viewing)  # this browser stays in
    audit.record("patient.password_changed", actor=actor, practice_id=account.practice_id, target=account)


def accounts_for_patient(patient) -> list[PatientAccount]:
    """The portal accounts that can see this patient: one per linked number that signed in."""
    phones = {patient.mobile, *(r.mobile for r in patient.responsibles)} - {None}
    if not phones:
        return []
    return list(db.session.scalars(select(PatientAccount).where(
        PatientAccount.practice_id == patient.practice_id, PatientAccount.phone.in_(phones))
        .order_by(PatientAccount.phone)))


def reset_account_password(patient, account_id: int, *, actor: Actor) -> PatientAccount:
    """Staff, after checking who calls: forget the password of an account linked to `patient`.

    Its sessions end; the next sign-in is a first one again (identification, SMS code, new
    password). Raises `NotFound` for an account not linked to this patient.
    """
    from portal.accounts.sessions import revoke_all
    from portal.core.errors import NotFound

    account = next((a for a in accounts_for_patient(patient) if a.id == account_id), None)
    if account is None:
        raise NotFound()
    account.password_hash = None
    account.failed_passwords, account.locked_until = 0, None
    # A lost password often means a lost phone: its passkeys go too.
    for passkey in db.session.scalars(select(PatientPasskey).where(PatientPasskey.account_id == account.id)):
        db.session.delete(passkey)
    revoke_all(account, "password_reset")
    audit.record("patient.access_reset", actor=actor, practice_id=account.practice_id, target=account,
                 details={"patient_id": patient.id})
    return account
