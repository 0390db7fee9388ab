"""Bulk cancellation (seed 003 § 4): which visits a cancellation touches, what it would cost in
messages, and cancelling them with each patient told through the outbox."""
from __future__ import annotations

import hashlib
import json
from datetime import date, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.agenda.models import Appointment, AppointmentStatus, Unavailability, UnavailabilityKind
from portal.agenda.services import cancellation_text, day_bounds, get_practitioner, offer_freed_time
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.errors import Invalid
from portal.extensions import db
from portal.patients.models import Patient
from portal.patients.services import patient_contact


def appointments_to_cancel(*, practice, practitioner_id: int, first: date, last: date,
                           appointment_type_id: int | None = None, starts: time | None = None,
                           ends: time | None = None) -> list[Appointment]:
    """The future booked visits a bulk cancellation would touch (seed 003 § 4), in order."""
    practitioner = get_practitioner(practice_id=practice.id, practitioner_id=practitioner_id)
    if last < first:
        raise Invalid(_("La fin de la période doit être après son début."), "last")
    if (starts is None) != (ends is None) or (starts and ends and ends <= starts):
        raise Invalid(_("Donnez une heure de début et une heure de fin, la fin après le début."), "ends")
    since, _end = day_bounds(practice, first)
    _start, until = day_bounds(practice, last)
    query = select(Appointment).where(
        Appointment.practice_id == practice.id, Appointment.practitioner_id == practitioner.id,
        Appointment.status == AppointmentStatus.booked, Appointment.starts_at >= max(since, utcnow()),
        Appointment.starts_at < until).options(selectinload(Appointment.patient).selectinload(Patient.responsibles),
                                               selectinload(Appointment.appointment_type))
    if appointment_type_id:
        query = query.where(Appointment.appointment_type_id == appointment_type_id)
    rows = list(db.session.scalars(query.order_by(Appointment.starts_at)))
    if starts is not None:
        zone = ZoneInfo(practice.timezone)
        rows = [a for a in rows if starts <= a.starts_at.astimezone(zone).time() < ends]
    return rows


def cancellation_preview(practice, appointments: list[Appointment], message: str, *, send_sms: bool = True,
                         block: bool = False) -> dict:
    """How many visits, patients, SMS and SMS segments a bulk cancellation would cost, and a
    `stamp` of exactly what was shown (visits, message, options) for the confirmation to match."""
    from portal.notify.segments import sms_cost

    patients = {a.patient_id for a in appointments}
    sms = [a for a in appointments if patient_contact(a.patient)[0]]
    segments = sum(sms_cost(cancellation_text(practice, a, message)).segments for a in sms)
    emails = sum(1 for a in appointments if patient_contact(a.patient)[1])
    shown = json.dumps([sorted(a.id for a in appointments), message.strip(), bool(send_sms), bool(block)])
    return {"visits": len(appointments), "patients": len(patients), "sms": len(sms), "segments": segments,
            "emails": emails, "stamp": hashlib.sha256(shown.encode()).hexdigest()}


def bulk_cancel(*, practice, appointments: list[Appointment], message: str, send_sms: bool, block: bool,
                actor: Actor) -> int:
    """Cancel every visit, tell each patient once (e-mail, SMS if asked, and a notice in the
    patient space) through the outbox, and optionally block the freed time. Returns how many
    visits were cancelled."""
    from portal.billing.teleconsult import release_on_cancel
    from portal.notify.services import queue_email, queue_notice, queue_sms

    if not message.strip():
        raise Invalid(_("Écrivez le message envoyé aux patients."), "message")
    for appointment in appointments:
        appointment.status = AppointmentStatus.cancelled
        mobile, email = patient_contact(appointment.patient)
        text = cancellation_text(practice, appointment, message)
        if email:
            queue_email(practice_id=practice.id, to=email, subject=_("Rendez-vous annulé"), body=text,
                        key=f"bulk_cancel:{appointment.id}:email", category="cancellation")
        if send_sms and mobile:
            queue_sms(practice_id=practice.id, to=mobile, body=text, key=f"bulk_cancel:{appointment.id}:sms",
                      category="cancellation")
        queue_notice(practice_id=practice.id, patient_id=appointment.patient_id, text=text,
                     key=f"bulk_cancel:{appointment.id}", category="cancellation")
        appointment.cancelled_by, appointment.cancel_reason = "staff", message.strip()[:200]
        release_on_cancel(appointment, actor=actor)  # an unpaid teleconsultation fee goes too
        if not block:
            offer_freed_time(appointment)
        else:
            db.session.add(Unavailability(practice_id=practice.id, practitioner_id=appointment.practitioner_id,
                                          kind=UnavailabilityKind.block, starts_at=appointment.starts_at,
                                          ends_at=appointment.ends_at, label=_("Annulation groupée")))
    db.session.flush()
    audit.record("agenda.bulk_cancelled", actor=actor, practice_id=practice.id,
                 details={"count": len(appointments), "sms": send_sms, "blocked": block})
    return len(appointments)
