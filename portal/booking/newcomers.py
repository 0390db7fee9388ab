"""A newcomer's online booking: their details, the slot held while they confirm with an SMS
code, and the file they get (or already have) once confirmed."""
from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, text, update

from portal.agenda import services as agenda
from portal.agenda.models import Appointment, AppointmentStatus
from portal.booking.confirmations import send_confirmation
from portal.booking.models import BookingRequest
from portal.booking.services import (check_slot, teleconsult_mobile_for, check_contacts, clean_reason,
                                     get_online_type, normalize_contact, settings_for)
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotFound, PermissionDenied, TooManyAttempts
from portal.core.models import Practice
from portal.core.phones import is_mobile, normalize_phone
from portal.core.text import compact_key
from portal.core.tokens import keyed_hash, new_token, same, token_hash
from portal.extensions import db
from portal.notify.models import SECRET_MARK, Channel
from portal.notify.services import count_recent, queue_sms
from portal.patients.models import Patient
from portal.patients.services import create_patient, next_patient_number, with_number

CODE_MAX_FAILURES = 5
SMS_WINDOW = timedelta(minutes=15)
SMS_PER_WINDOW = 3
RESEND_DELAY = timedelta(seconds=60)


def _person(last_name: str, first_name: str, birth_date: date | None, mobile: str, email: str):
    if not compact_key(last_name):
        raise Invalid(_("Indiquez le nom."), "last_name")
    if not compact_key(first_name):
        raise Invalid(_("Indiquez le prénom."), "first_name")
    if birth_date is None or birth_date >= date.today() or birth_date.year < 1900:
        raise Invalid(_("Indiquez une date de naissance valide."), "birth_date")
    phone = normalize_phone(mobile)
    if phone is None or not is_mobile(phone):
        raise Invalid(_("Indiquez un numéro de portable valide : le code de confirmation y est envoyé."), "mobile")
    if "@" not in (email or ""):
        raise Invalid(_("Indiquez une adresse e-mail valide : la confirmation y est envoyée."), "email")
    address = normalize_contact(email, field_name="email")
    return phone, address


def _new_code(request_id: int) -> tuple[str, str]:
    code = f"{secrets.randbelow(10**6):06d}"
    return code, keyed_hash(code, context=f"booking:{request_id}")


def _serialize_on_phone(phone: str) -> None:
    # Parallel requests for one number count its SMS budget one after the other (see
    # accounts.patient_signin._serialize_on); SQLite has a single writer already.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"sms:{phone}"})


def _guard_sms_budget(phone: str) -> None:
    _serialize_on_phone(phone)
    sent = count_recent(channel=Channel.sms, recipient=phone, category="booking_code", since=utcnow() - SMS_WINDOW)
    if sent >= SMS_PER_WINDOW:
        raise TooManyAttempts(_("Trop de codes envoyés à ce numéro. Réessayez dans 15 minutes."))


def _send_code(practice: Practice, request: BookingRequest, code: str) -> None:
    body = _("%(practice)s : votre code de confirmation de rendez-vous est %(code)s. Ne le communiquez à personne.",
             practice=practice.name, code=SECRET_MARK)
    queue_sms(practice_id=practice.id, to=request.mobile, body=body, category="booking_code",
              key=f"booking_code:{request.id}:{request.send_count}", secret=code)


def start_newcomer_booking(*, practice: Practice, practitioner_id: int, type_id: int, starts_at: datetime,
                           last_name: str, first_name: str, birth_date: date | None, mobile: str, email: str,
                           reason: str, teleconsult_mobile: str, actor: Actor) -> tuple[BookingRequest, str]:
    """A newcomer asks for a slot: it is held for them (others see it taken) for the practice's
    `hold_minutes`, and a code goes to their mobile. Returns the request and the browser's token."""
    practitioner, kind = get_online_type(practice=practice, practitioner_id=practitioner_id, type_id=type_id,
                                         newcomer=True)
    phone, address = _person(last_name, first_name, birth_date, mobile, email)
    reason = clean_reason(practice.id, reason)
    tele = teleconsult_mobile_for(kind, teleconsult_mobile or phone)
    check_contacts(practice.id, [phone, address])
    check_slot(practice, practitioner, kind, starts_at)
    _guard_sms_budget(phone)
    now = utcnow()
    hold_until = now + timedelta(minutes=settings_for(practice.id).hold_minutes)
    appointment = agenda.book_appointment(
        practice=practice, practitioner_id=practitioner.id, appointment_type_id=kind.id, patient_id=None,
        starts_at=starts_at, actor=actor, booked_by="patient", reason=reason, teleconsult_mobile=tele,
        hold_until=hold_until)
    token = new_token()
    request = BookingRequest(practice_id=practice.id, token_hash=token_hash(token), appointment_id=appointment.id,
                             last_name=last_name.strip()[:80], first_name=first_name.strip()[:80],
                             birth_date=birth_date, mobile=phone, email=address, code_hash="",
                             expires_at=hold_until, last_sent_at=now)
    db.session.add(request)
    db.session.flush()
    code, request.code_hash = _new_code(request.id)
    _send_code(practice, request, code)
    audit.record("booking.code_sent", actor=actor, practice_id=practice.id, target=request)
    return request, token


def request_by_token(practice: Practice, token: str | None) -> BookingRequest:
    """The newcomer's pending request held by this browser, or `NotFound`."""
    found = db.session.scalar(select(BookingRequest).where(
        BookingRequest.practice_id == practice.id, BookingRequest.token_hash == token_hash(token or "")))
    if found is None:
        raise NotFound()
    return found


def _usable(request: BookingRequest) -> None:
    if request.confirmed_at or request.failed_attempts >= CODE_MAX_FAILURES:
        raise Invalid(_("Cette demande n'est plus valable. Choisissez de nouveau un créneau."), "code")


def resend_newcomer_code(practice: Practice, request: BookingRequest, *, actor: Actor) -> None:
    """'Renvoyer': a fresh code; the failure counter and the hold's end are kept."""
    _usable(request)
    wait = request.last_sent_at + RESEND_DELAY - utcnow()
    if wait.total_seconds() > 0:
        raise TooManyAttempts(_("Patientez %(s)d secondes avant de demander un nouveau code.",
                                s=int(wait.total_seconds()) + 1))
    _guard_sms_budget(request.mobile)
    request.send_count += 1
    request.last_sent_at = utcnow()
    code, request.code_hash = _new_code(request.id)
    _send_code(practice, request, code)
    audit.record("booking.code_resent", actor=actor, practice_id=practice.id, target=request)


def _newcomer_patient(practice: Practice, request: BookingRequest, actor: Actor) -> Patient:
    """The file this person already has (same names and birth date, on the mobile they just
    proved is theirs), else a new one."""
    family = db.session.scalars(with_number(select(Patient), request.mobile).where(
        Patient.practice_id == practice.id, Patient.birth_date == request.birth_date)).all()
    last, first = compact_key(request.last_name), compact_key(request.first_name)
    same_person = [p for p in family if compact_key(p.last_name) == last and compact_key(p.first_name) == first]
    if len(same_person) == 1:
        return same_person[0]
    return create_patient(practice_id=practice.id, number=next_patient_number(practice.id), last_name=request.last_name,
                          first_name=request.first_name, birth_date=request.birth_date, mobile=request.mobile,
                          email=request.email, actor=actor)


def confirm_newcomer(practice: Practice, request: BookingRequest, code: str, *, actor: Actor) -> Appointment:
    """Check the SMS code and turn the held slot into the newcomer's appointment.

    Each try spends one attempt in a single UPDATE (parallel guesses cannot share one). The
    hold becomes a booking only if it is still held: a hold that ran out and was released to
    someone else gives `Conflict`.
    """
    _usable(request)
    spent = db.session.execute(update(BookingRequest).where(
        BookingRequest.id == request.id, BookingRequest.confirmed_at.is_(None),
        BookingRequest.failed_attempts < CODE_MAX_FAILURES).values(
        failed_attempts=BookingRequest.failed_attempts + 1)).rowcount
    db.session.refresh(request)
    if spent != 1:
        raise Invalid(_("Cette demande n'est plus valable. Choisissez de nouveau un créneau."), "code")
    typed = "".join(ch for ch in code or "" if ch.isdigit())
    if len(typed) != 6 or not same(keyed_hash(typed, context=f"booking:{request.id}"), request.code_hash):
        left = CODE_MAX_FAILURES - request.failed_attempts
        audit.record("booking.code_failed", actor=actor, practice_id=practice.id, target=request)
        if left <= 0:
            raise Invalid(_("Code incorrect. Trop d'essais : choisissez de nouveau un créneau."), "code")
        raise Invalid(_("Code incorrect. Il vous reste %(n)d essai(s).", n=left), "code")
    held = db.session.scalar(select(Appointment.status).where(Appointment.id == request.appointment_id))
    if held is not AppointmentStatus.held:
        raise Conflict(_("Le délai de confirmation est dépassé et le créneau a été libéré. "
                         "Choisissez un autre créneau."))
    patient = _newcomer_patient(practice, request, actor)
    # Their file may already be barred from booking online (a ban by patient, not by contact):
    # then the hold goes at once.
    try:
        check_contacts(practice.id, [request.mobile, request.email], patient_id=patient.id)
    except PermissionDenied:
        agenda.release_hold(request.appointment_id)
        request.confirmed_at = utcnow()  # spent: the same code cannot be tried again
        raise
    # Only if still held: a booking that released the expired hold a moment ago wins.
    taken = db.session.execute(update(Appointment).where(
        Appointment.id == request.appointment_id, Appointment.status == AppointmentStatus.held).values(
        status=AppointmentStatus.booked, hold_expires_at=None, patient_id=patient.id)).rowcount
    if taken != 1:
        raise Conflict(_("Le délai de confirmation est dépassé et le créneau a été libéré. "
                         "Choisissez un autre créneau."))
    appointment = db.session.get(Appointment, request.appointment_id, populate_existing=True)
    request.confirmed_at = utcnow()
    request.failed_attempts -= 1
    db.session.flush()
    audit.record("agenda.booked", actor=actor, practice_id=practice.id, target=appointment,
                 details={"patient_id": patient.id, "starts_at": appointment.starts_at.isoformat(), "online": True})
    from portal.billing.teleconsult import charge_booking

    charge_booking(practice=practice, appointment=appointment, actor=actor)  # held: not charged until now
    send_confirmation(appointment)
    return appointment
