"""Requests from the patient space that staff decide: a change of details ("Mes infos") and the
closing of a portal account (RGPD). Also the "Gestion des patients" look-up.

Nothing a person types changes a file by itself: it waits as a `ChangeRequest` that staff accept
(the change is applied through the patients services and audited) or reject with a reason.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.errors import Invalid, NotFound
from portal.core.phones import normalize_phone
from portal.core.text import compact_key
from portal.extensions import db
from portal.patients import services
from portal.patients.models import ChangeRequest, Patient, RequestKind, RequestState, Responsible

# What a person may ask to change, in the order the forms show them.
PERSON_FIELDS = ("last_name", "first_name", "email", "address")
PATIENT_FIELDS = ("last_name", "first_name", "birth_date", "email", "mobile", "address", "postal_code", "city")
REQUIRED = {"last_name", "first_name", "birth_date"}


def person_records(account) -> list[Responsible]:
    """The responsible rows (parent 1, parent 2, financial) carrying the account's number on the
    files it can see: one person, written once per child's file."""
    return [r for p in services.linked_patients(account) for r in p.responsibles_in_order if r.mobile == account.phone]


def person_details(account) -> dict | None:
    """The signed-in person's names, e-mail and address as the practice holds them, or None
    when the number is only a patient's own (an adult patient is shown with their file)."""
    records = person_records(account)
    if not records:
        return None
    first = records[0]
    return {name: getattr(first, name) or "" for name in PERSON_FIELDS}


def patient_details(patient: Patient) -> dict:
    """A patient's own details as strings, as the forms show them and the diff stores them."""
    return {name: _as_text(getattr(patient, name)) for name in PATIENT_FIELDS}


def _as_text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def _clean(values: dict, fields: tuple[str, ...]) -> dict:
    """Typed values normalised the way they are stored; `Invalid` on the field at fault."""
    clean = {}
    for name in fields:
        value = values.get(name)
        if name == "birth_date":
            if not isinstance(value, date):
                raise Invalid(_("Saisissez une date de naissance valide."), name)
            if value > date.today():
                raise Invalid(_("La date de naissance ne peut pas être dans le futur."), name)
            clean[name] = value.isoformat()
            continue
        value = " ".join((value or "").split())
        if name in REQUIRED and not value:
            raise Invalid(_("Ce champ est obligatoire."), name)
        if name == "email" and value:
            value = value.lower()
            if not services.EMAIL_RE.match(value):
                raise Invalid(_("Cette adresse e-mail n'est pas valide."), name)
        if name == "mobile" and value:
            e164 = normalize_phone(value)
            if e164 is None:
                raise Invalid(_("Ce numéro de téléphone n'est pas valide."), name)
            value = e164
        clean[name] = value
    return clean


def request_details_change(account, *, values: dict, actor: Actor, patient: Patient | None = None) -> ChangeRequest:
    """Ask staff to change a linked patient's details (`patient`) or the person's own (no
    patient). Only the fields that differ are kept, each as [old, new]. Raises `Invalid` on a
    bad value (naming the field) or when nothing changed; `NotFound` for a patient the account
    cannot see. Audited as `patient.change_requested`."""
    if patient is not None:
        services.patient_for_account(account, patient.id)  # any other file is a 404
        before, fields = patient_details(patient), PATIENT_FIELDS
    else:
        before, fields = person_details(account), PERSON_FIELDS
        if before is None:
            raise NotFound()
    after = _clean(values, fields)
    changes = {name: [before[name], after[name]] for name in fields if after[name] != before[name]}
    if not changes:
        raise Invalid(_("Aucune modification : les informations saisies sont celles que le cabinet connaît déjà."))
    req = ChangeRequest(practice_id=account.practice_id, kind=RequestKind.details, account_id=account.id,
                        requested_by=account.phone, patient_id=patient.id if patient else None, changes=changes,
                        state=RequestState.pending, reason="")
    db.session.add(req)
    db.session.flush()
    audit.record("patient.change_requested", actor=actor, practice_id=account.practice_id, target=req,
                 details={"fields": sorted(changes), "patient_id": req.patient_id})
    return req


def request_account_deletion(account, *, actor: Actor) -> ChangeRequest:
    """Ask the practice to close the portal account (RGPD). One pending request at a time: a
    second tap returns the first. Audited as `patient.deletion_requested`."""
    pending = db.session.scalar(select(ChangeRequest).where(
        ChangeRequest.practice_id == account.practice_id, ChangeRequest.account_id == account.id,
        ChangeRequest.kind == RequestKind.account_deletion, ChangeRequest.state == RequestState.pending))
    if pending is not None:
        return pending
    req = ChangeRequest(practice_id=account.practice_id, kind=RequestKind.account_deletion, account_id=account.id,
                        requested_by=account.phone, changes={}, state=RequestState.pending, reason="")
    db.session.add(req)
    db.session.flush()
    audit.record("patient.deletion_requested", actor=actor, practice_id=account.practice_id, target=req)
    return req


def account_requests(account, limit: int = 30) -> list[ChangeRequest]:
    """The account's own requests, newest first (what "Mes infos" shows with their state); link
    requests are shown in "Gestion des patients" instead."""
    return list(db.session.scalars(select(ChangeRequest).where(
        ChangeRequest.practice_id == account.practice_id, ChangeRequest.account_id == account.id,
        ChangeRequest.kind != RequestKind.patient_link)
        .order_by(ChangeRequest.id.desc()).limit(limit)))


def pending_requests(practice_id: int) -> list[ChangeRequest]:
    """The practice's requests waiting for a decision, oldest first."""
    return list(db.session.scalars(select(ChangeRequest).where(
        ChangeRequest.practice_id == practice_id, ChangeRequest.state == RequestState.pending)
        .order_by(ChangeRequest.id)))


def count_pending(practice_id: int) -> int:
    """How many requests wait for the practice's decision (the badge on the patients page)."""
    return db.session.scalar(select(func.count(ChangeRequest.id)).where(
        ChangeRequest.practice_id == practice_id, ChangeRequest.state == RequestState.pending))


def get_request(*, practice_id: int, request_id: int) -> ChangeRequest:
    """A request of the practice, or `NotFound` (another practice's id is a 404)."""
    req = db.session.scalar(select(ChangeRequest).where(ChangeRequest.id == request_id,
                                                        ChangeRequest.practice_id == practice_id))
    if req is None:
        raise NotFound()
    return req


def account_of(req: ChangeRequest):
    """The portal account that sent a request, or None once it was deleted."""
    from portal.accounts.models import PatientAccount

    return db.session.get(PatientAccount, req.account_id) if req.account_id else None


def decide(req: ChangeRequest, state: RequestState, actor: Actor, reason: str = "") -> None:
    """Record staff's decision on a pending request; `Invalid` when it was already decided."""
    if req.state is not RequestState.pending:
        raise Invalid(_("Cette demande a déjà été traitée."))
    req.state, req.decided_at, req.reason = state, utcnow(), reason
    req.decided_by_id = actor.id if actor.type == "staff" else None


def accept_request(req: ChangeRequest, *, actor: Actor) -> None:
    """Staff accept: a details change is applied to the patient's file, or to every responsible
    row carrying the person's number; an account deletion closes the account. Raises `Invalid`
    when already decided or when the person's account is gone, and for a link request (staff
    choose the file: `portal.patients.links.accept_link`). Audited."""
    if req.kind is RequestKind.patient_link:
        raise Invalid(_("Choisissez le dossier à lier au numéro."))
    decide(req, RequestState.accepted, actor)
    new = {name: pair[1] for name, pair in req.changes.items()}
    if req.kind is RequestKind.account_deletion:
        account = account_of(req)
        if account is not None:
            delete_account(account, actor=actor)
    elif req.patient_id is not None:
        services.update_patient_details(req.patient, new, actor=actor)
    else:
        account = account_of(req)
        if account is None:
            raise Invalid(_("Le compte qui a fait cette demande n'existe plus : refusez-la."))
        for responsible in person_records(account):
            services.update_responsible_details(responsible, new, actor=actor)
    audit.record("patient.change_accepted", actor=actor, practice_id=req.practice_id, target=req,
                 details={"kind": req.kind.value, "fields": sorted(req.changes)})


def reject_request(req: ChangeRequest, *, reason: str, actor: Actor) -> None:
    """Staff reject, with an optional reason the person sees. `Invalid` when already decided. Audited."""
    decide(req, RequestState.rejected, actor, " ".join((reason or "").split())[:500])
    audit.record("patient.change_rejected", actor=actor, practice_id=req.practice_id, target=req,
                 details={"kind": req.kind.value})


def delete_account(account, *, actor: Actor) -> None:
    """Close a portal account (RGPD): the account, its sessions, passkeys and codes go; the
    patient files stay (legal retention), as do the audit trail and decided requests.
    Audited as `patient.account_deleted` (the number's last two digits only)."""
    from portal.accounts.models import AuthSession, PasskeyChallenge, PatientAccount, PatientPasskey, SmsChallenge
    from portal.notify.models import ReminderRule

    # Deleted explicitly rather than left to ON DELETE: SQLite enforces foreign keys only when asked.
    for model, column in ((AuthSession, AuthSession.patient_account_id), (PatientPasskey, PatientPasskey.account_id),
                          (SmsChallenge, SmsChallenge.account_id), (PasskeyChallenge, PasskeyChallenge.account_id),
                          (ReminderRule, ReminderRule.account_id)):
        db.session.execute(delete(model).where(column == account.id))
    db.session.execute(ChangeRequest.__table__.update().where(ChangeRequest.account_id == account.id)
                       .values(account_id=None))
    audit.record("patient.account_deleted", actor=actor, practice_id=account.practice_id, target=account,
                 details={"phone_suffix": account.phone[-2:]})
    db.session.execute(delete(PatientAccount).where(PatientAccount.id == account.id))
    db.session.flush()
    db.session.expunge(account)  # the row is gone: nothing may write to it afterwards


def look_up_patient(account, *, last_name: str, first_name: str, birth_date: date | None, actor: Actor) -> Patient:
    """"Gestion des patients": the typed patient if the practice links them to this number (then
    they are already in the list). Anyone else — unknown, hidden from online sharing, or on
    another number — gets the same neutral `Invalid`, so the answer never tells who exists.
    Misses are audited (`patient.lookup_failed`) to see someone trying names."""
    if not (last_name or "").strip():
        raise Invalid(_("Saisissez le nom du patient."), "last_name")
    if not (first_name or "").strip():
        raise Invalid(_("Saisissez le prénom du patient."), "first_name")
    if birth_date is None:
        raise Invalid(_("Saisissez une date de naissance valide."), "birth_date")
    last, first = compact_key(last_name), compact_key(first_name)
    for patient in services.linked_patients(account):
        if (patient.birth_date == birth_date and compact_key(patient.last_name) == last
                and compact_key(patient.first_name) == first):
            return patient
    audit.record("patient.lookup_failed", actor=actor, practice_id=account.practice_id, target=account)
    raise Invalid(_("Nous n'avons pas trouvé ce patient avec votre numéro de téléphone. Vous pouvez demander au "
                    "cabinet d'ajouter votre numéro à son dossier."))
