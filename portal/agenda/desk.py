"""Booking at the desk (seed 003 §§ 1–2): choosing or creating the patient, the booking's
options (notes, a message for the patient, a teleconsultation mobile), and what staff do to an
appointment afterwards (notes, remarks, move, duplicate)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from portal.agenda.models import Appointment, AppointmentStatus
from portal.agenda.services import (book_appointment, cancel_appointment, cancellation_text, get_type,
                                    offer_freed_time, when_text)
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid
from portal.core.phones import normalize_phone
from portal.core.web import parse_instant
from portal.extensions import db
from portal.patients.models import Patient
from portal.patients.services import (create_patient_at_desk, family_of, find_one_patient, get_patient, patient_contact,
                                      search_patients)


def choose_patient(*, practice_id: int, patient_id: int | None, query: str, new: dict | None,
                   actor: Actor) -> Patient:
    """The patient a desk form means: the one picked (`patient_id`, this practice's only), else
    a new patient typed in (created, audited), else the single match of the search `query`.
    Raises `Invalid` on field 'patient_number' when nobody is given or the search is ambiguous,
    on the new patient's fields when they are wrong; `NotFound` for another practice's id."""
    if patient_id:
        return get_patient(practice_id=practice_id, patient_id=patient_id)
    if new is not None:
        return create_patient_at_desk(practice_id=practice_id, actor=actor, **new)
    if not (query or "").strip():
        raise Invalid(_("Recherchez le patient, ou créez-le."), "patient_number")
    return find_one_patient(practice_id=practice_id, query=query)


def _teleconsult_mobile(kind, raw: str) -> str:
    if not kind.teleconsultation:
        return ""
    mobile = normalize_phone(raw or "")
    if not (raw or "").strip():
        raise Invalid(_("Une téléconsultation demande un numéro de mobile."), "teleconsult_mobile")
    if mobile is None:
        raise Invalid(_("Ce numéro de téléphone n'est pas valide."), "teleconsult_mobile")
    return mobile


def book_at_desk(*, practice, practitioner_id: int, appointment_type_id: int, patient: Patient,
                 starts_at: datetime, actor: Actor, extra: bool = False, note: str = "", patient_message: str = "",
                 teleconsult_mobile: str = "", confirm: bool = True) -> Appointment:
    """Staff book a visit for `patient` (`book_appointment`'s rules and errors). A
    teleconsultation needs a valid mobile (`Invalid` on 'teleconsult_mobile'). With `confirm`,
    or whenever there is a message for the patient, the patient is told through the outbox."""
    kind = get_type(practice_id=practice.id, practitioner_id=practitioner_id, type_id=appointment_type_id)
    mobile = _teleconsult_mobile(kind, teleconsult_mobile)
    appointment = book_appointment(practice=practice, practitioner_id=practitioner_id,
                                   appointment_type_id=appointment_type_id, patient_id=patient.id,
                                   starts_at=starts_at, actor=actor, extra=extra, note=note,
                                   patient_message=patient_message, teleconsult_mobile=mobile)
    if confirm or appointment.patient_message:
        send_confirmation(practice, appointment)
    return appointment


def confirmation_text(practice, appointment: Appointment, *, moved: bool = False) -> str:
    """The words of a booking confirmation, with the staff's message for the patient."""
    text = (_("%(practice)s : le rendez-vous de %(name)s est déplacé au %(when)s (%(kind)s).",
              practice=practice.name, name=appointment.patient.first_name,
              when=when_text(practice, appointment.starts_at), kind=appointment.appointment_type.name) if moved else
            _("%(practice)s : rendez-vous confirmé pour %(name)s le %(when)s (%(kind)s).",
              practice=practice.name, name=appointment.patient.first_name,
              when=when_text(practice, appointment.starts_at), kind=appointment.appointment_type.name))
    if appointment.patient_message:
        text += " " + appointment.patient_message
    return text


def send_confirmation(practice, appointment: Appointment, *, moved: bool = False) -> None:
    """Tell the patient of a booking (or of its new time): by SMS when a mobile is known, else
    by e-mail. Keyed on the appointment, so it leaves once."""
    from portal.notify.services import queue_to_person

    db.session.refresh(appointment, ["patient", "appointment_type"])
    mobile, email = patient_contact(appointment.patient)
    queue_to_person(practice_id=practice.id, mobile=mobile, email=email,
                    subject=_("Rendez-vous déplacé") if moved else _("Rendez-vous confirmé"),
                    body=confirmation_text(practice, appointment, moved=moved), key=f"booked:{appointment.id}",
                    category="confirmation")


def update_note(appointment: Appointment, *, note: str, actor: Actor) -> None:
    """Change the staff's notes on a visit."""
    appointment.note = note.strip()[:500]
    audit.record("agenda.note_changed", actor=actor, practice_id=appointment.practice_id, target=appointment)


def update_remarks(patient: Patient, *, remarks: str, actor: Actor) -> None:
    """Change the staff's remarks about a patient (shown on the planning)."""
    patient.remarks = remarks.strip()[:2000]
    audit.record("patient.remarks_changed", actor=actor, practice_id=patient.practice_id, target=patient)


def _again(practice, appointment: Appointment, *, starts_at: datetime, extra: bool, actor: Actor,
           charge: bool = True) -> Appointment:
    return book_appointment(practice=practice, practitioner_id=appointment.practitioner_id,
                            appointment_type_id=appointment.appointment_type_id, patient_id=appointment.patient_id,
                            starts_at=starts_at, actor=actor, extra=extra, note=appointment.note,
                            patient_message=appointment.patient_message, reason=appointment.reason,
                            teleconsult_mobile=appointment.teleconsult_mobile, charge=charge)


def cancel_at_desk(practice, appointment: Appointment, *, reason: str, actor: Actor) -> None:
    """Staff cancel one visit: its time is free at once (and offered to the waiting list), and
    the patient is told once, by SMS or else e-mail."""
    from portal.notify.services import queue_to_person

    cancel_appointment(appointment, actor=actor, reason=reason)
    appointment.cancelled_by = "staff"
    mobile, email = patient_contact(appointment.patient)
    queue_to_person(practice_id=practice.id, mobile=mobile, email=email, subject=_("Rendez-vous annulé"),
                    body=cancellation_text(practice, appointment, _("Contactez le cabinet pour un autre rendez-vous.")),
                    key=f"cancelled:{appointment.id}", category="cancellation")


def move_appointment(appointment: Appointment, *, practice, starts_at: datetime, extra: bool,
                     actor: Actor) -> Appointment:
    """Move a visit to another time of the same practitioner and type: a free slot, or any free
    time as an extra. The old visit is cancelled and a new one booked in one unit of work, so
    a failure leaves the old one in place; the database settles a race (`Conflict`). The freed
    time is offered to the waiting list. Returns the new visit."""
    if appointment.status is not AppointmentStatus.booked:
        raise Conflict(_("Ce rendez-vous n'est plus prévu."))
    if appointment.starts_at <= utcnow():
        raise Invalid(_("Un rendez-vous passé ne peut pas être déplacé."))
    if starts_at == appointment.starts_at:
        raise Invalid(_("Choisissez un autre horaire que l'actuel."), "slot")
    old_id = appointment.id
    appointment.status = AppointmentStatus.cancelled
    appointment.cancelled_by, appointment.cancel_reason = "staff", "moved"
    db.session.flush()  # its time is free for the new booking (it may overlap the old one)
    moved = _again(practice, appointment, starts_at=starts_at, extra=extra, actor=actor, charge=False)
    from portal.billing.teleconsult import transfer

    transfer(appointment, moved, practice=practice)  # the fee (paid or not) follows the visit
    audit.record("agenda.moved", actor=actor, practice_id=practice.id, target=moved,
                 details={"from_appointment": old_id, "starts_at": starts_at.isoformat()})
    offer_freed_time(appointment)
    send_confirmation(practice, moved, moved=True)
    return moved


def duplicate_appointment(appointment: Appointment, *, practice, starts_at: datetime, extra: bool,
                          actor: Actor) -> Appointment:
    """Book the same patient and type at another time (a slot, or an extra); `book_appointment`'s
    errors. Returns the copy."""
    if appointment.patient_id is None:
        raise Invalid(_("Ce créneau n'a pas encore de patient."))
    copy = _again(practice, appointment, starts_at=starts_at, extra=extra, actor=actor)
    audit.record("agenda.duplicated", actor=actor, practice_id=practice.id, target=copy,
                 details={"from_appointment": appointment.id})
    return copy


def parse_slot(raw: str) -> datetime | None:
    """A slot button's start ("<UTC instant>" or "<UTC instant>|<type id>"), or None."""
    return parse_instant((raw or "").split("|")[0])


def slot_type(raw: str) -> int | None:
    """A slot button's type id ("<UTC instant>|<type id>"), or None when absent or not a number."""
    value = (raw or "").partition("|")[2]
    return int(value) if value.isdigit() and len(value) < 10 else None


def day_of(practice, instant: datetime) -> date:
    """The practice's local date of an instant."""
    return instant.astimezone(ZoneInfo(practice.timezone)).date()


def local_moment(practice, instant: datetime) -> datetime:
    """An instant in the practice's zone."""
    return instant.astimezone(ZoneInfo(practice.timezone))


def pick_context(form, *, practice_id: int, search: bool = False) -> dict:
    """What the patient region of a desk form shows: the patient picked and their family
    (patients sharing a mobile), or the matches of the search when it was ambiguous (or
    `search`, the live list). `NotFound` for a patient of another practice."""
    chosen, matches = None, []
    query = form.patient_number.data or ""
    if form.patient_id.data:
        chosen = get_patient(practice_id=practice_id, patient_id=form.patient_id.data)
    elif query.strip() and (search or form.patient_number.errors):
        matches = search_patients(practice_id=practice_id, query=query, limit=8)
    return {"chosen": chosen, "family": family_of(chosen) if chosen else [], "matches": matches,
            "searched": bool(query.strip())}
