""""Gestion des patients": asking the practice to link a patient's file to one's number.

The look-up (`requests.look_up_patient`) only finds files already linked to the number. After a
miss, the person may send a `ChangeRequest` of kind `patient_link` with what they typed and who
they are to the patient. Staff pick the matching file among candidates found by names and birth
date and choose where the number goes on it (`services.link_number`), or reject with a reason.
The answer the person gets never depends on whether a file exists: every request waits for staff.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import case, or_, select

from portal.core import audit
from portal.core.audit import Actor
from portal.core.errors import Invalid
from portal.core.text import compact_key, name_key
from portal.extensions import db
from portal.patients import requests, services
from portal.patients.models import ChangeRequest, Patient, RequestKind, RequestState

RELATIONS = ("parent", "self", "guardian", "financial")
MAX_OPEN = 3  # pending link requests per account: enough for a family, too few to probe names
NOTE_MAX = 500
# Where the number goes by default, from what the person said they are.
DEFAULT_ROLE = {"self": "patient", "parent": "parent1", "guardian": "parent1", "financial": "financial"}


def _open_requests(account) -> list[ChangeRequest]:
    return list(db.session.scalars(select(ChangeRequest).where(
        ChangeRequest.practice_id == account.practice_id, ChangeRequest.account_id == account.id,
        ChangeRequest.kind == RequestKind.patient_link, ChangeRequest.state == RequestState.pending)))


def request_link(account, *, last_name: str, first_name: str, birth_date: date | None, relation: str,
                 note: str, actor: Actor) -> ChangeRequest:
    """File a "please link this patient" request for staff. Raises `Invalid` naming the field at
    fault (names, birth date, relation, a note over 500 characters), when the patient is already
    in the person's list, or when `MAX_OPEN` requests already wait. The same patient asked twice
    while pending returns the first request. Audited as `patient.link_requested`."""
    last_name, first_name = " ".join((last_name or "").split()), " ".join((first_name or "").split())
    note = (note or "").strip()
    if not last_name:
        raise Invalid(_("Saisissez le nom du patient."), "last_name")
    if not first_name:
        raise Invalid(_("Saisissez le prénom du patient."), "first_name")
    if birth_date is None:
        raise Invalid(_("Saisissez une date de naissance valide."), "birth_date")
    if birth_date > date.today():
        raise Invalid(_("La date de naissance ne peut pas être dans le futur."), "birth_date")
    if relation not in RELATIONS:
        raise Invalid(_("Indiquez qui vous êtes pour ce patient."), "relation")
    if len(note) > NOTE_MAX:
        raise Invalid(_("Votre message est trop long (%(max)d caractères au plus).", max=NOTE_MAX), "note")
    last, first = compact_key(last_name), compact_key(first_name)
    for patient in services.linked_patients(account):
        if patient.birth_date == birth_date and (compact_key(patient.last_name), compact_key(patient.first_name)) \
                == (last, first):
            raise Invalid(_("%(name)s est déjà dans votre liste.", name=patient.full_name))
    pending = _open_requests(account)
    for req in pending:
        typed = req.changes
        if (compact_key(typed["last_name"]), compact_key(typed["first_name"]), typed["birth_date"]) \
                == (last, first, birth_date.isoformat()):
            return req  # a double tap, or the same patient asked again: one request is enough
    if len(pending) >= MAX_OPEN:
        raise Invalid(_("Vous avez déjà %(n)d demandes en attente : attendez la réponse du cabinet avant d'en "
                        "envoyer une autre.", n=len(pending)))
    req = ChangeRequest(practice_id=account.practice_id, kind=RequestKind.patient_link, account_id=account.id,
                        requested_by=account.phone, state=RequestState.pending, reason="",
                        changes={"last_name": last_name, "first_name": first_name,
                                 "birth_date": birth_date.isoformat(), "relation": relation, "note": note})
    db.session.add(req)
    db.session.flush()
    audit.record("patient.link_requested", actor=actor, practice_id=account.practice_id, target=req,
                 details={"relation": relation})
    return req


def link_requests(account, limit: int = 20) -> list[ChangeRequest]:
    """The account's link requests, newest first (what "Gestion des patients" shows)."""
    return list(db.session.scalars(select(ChangeRequest).where(
        ChangeRequest.practice_id == account.practice_id, ChangeRequest.account_id == account.id,
        ChangeRequest.kind == RequestKind.patient_link).order_by(ChangeRequest.id.desc()).limit(limit)))


def candidates(req: ChangeRequest, *, query: str = "", limit: int = 10) -> list[Patient]:
    """Files of the request's practice that may be the one the person means: same birth date
    and same last or first name (a typo in the other), or same names with another birth date (a
    typo in the date); exact matches first. With `query`, the staff search's results instead."""
    if query.strip():
        return services.search_patients(practice_id=req.practice_id, query=query, limit=limit)
    typed = req.changes
    last, first = name_key(typed["last_name"]), name_key(typed["first_name"])
    born = date.fromisoformat(typed["birth_date"])
    same_last, same_first = Patient.last_name_key == last, Patient.first_name_key == first
    exact = same_last & same_first & (Patient.birth_date == born)
    found = db.session.scalars(select(Patient).where(
        Patient.practice_id == req.practice_id,
        or_((Patient.birth_date == born) & (same_last | same_first), same_last & same_first))
        .order_by(case((exact, 0), else_=1), Patient.last_name_key, Patient.first_name_key).limit(limit))
    return list(found)


def suggested_role(req: ChangeRequest, patient: Patient | None) -> str:
    """Where the number would go on `patient` by default: from the relation the person gave,
    the first free place (a parent: parent 1, else parent 2)."""
    role = DEFAULT_ROLE.get(req.changes.get("relation"), "parent1")
    if patient is not None and role == "parent1":
        taken = {r.role.value for r in patient.responsibles if r.mobile}
        role = next((r for r in ("parent1", "parent2") if r not in taken), role)
    return role


def accept_link(req: ChangeRequest, *, patient_id: int | None, role: str, actor: Actor) -> Patient:
    """Staff link the chosen file (of the request's practice; another id is `NotFound`) to the
    number that asked, at `role` (see `services.link_number`). Raises `Invalid` when no file is
    chosen, the file refuses online sharing (the person would still not see it), the place holds
    another number, the request is already decided or its account is gone. Audited (the link,
    then the decision)."""
    if req.kind is not RequestKind.patient_link:
        raise Invalid(_("Cette demande n'est pas une demande d'ajout de patient."))
    if req.state is not RequestState.pending:
        raise Invalid(_("Cette demande a déjà été traitée."))
    if patient_id is None:
        raise Invalid(_("Choisissez le dossier du patient."), "patient_id")
    patient = services.get_patient(practice_id=req.practice_id, patient_id=patient_id)
    if patient.do_not_share_online:
        raise Invalid(_("Ce patient a refusé le partage en ligne : son dossier ne peut pas apparaître dans un "
                        "espace patient."), "patient_id")
    account = requests.account_of(req)
    if account is None:
        raise Invalid(_("Le compte qui a fait cette demande n'existe plus : refusez-la."))
    person = requests.person_details(account) or {}
    if req.changes.get("relation") == "self":
        person = {"last_name": patient.last_name, "first_name": patient.first_name}
    services.link_number(patient, phone=account.phone, role=role, actor=actor, names=person)
    requests.decide(req, RequestState.accepted, actor)
    req.patient_id = patient.id
    audit.record("patient.change_accepted", actor=actor, practice_id=req.practice_id, target=req,
                 details={"kind": req.kind.value, "patient_id": patient.id, "role": role})
    return patient
