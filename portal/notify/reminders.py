"""Appointment reminders: one e-mail 48 h before each visit (seed 003's reminders, to become
configurable rules). A periodic job sweeps the next 48 hours, so a visit booked, moved or
cancelled at any time is handled without a job per appointment."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.agenda.models import Appointment, AppointmentStatus
from portal.agenda.services import when_text
from portal.core.db import utcnow
from portal.core.models import Practice
from portal.extensions import db
from portal.notify.models import Channel, OutboxMessage
from portal.notify.services import queue_to_person
from portal.patients.models import Patient
from portal.patients.services import patient_contact

AHEAD = timedelta(hours=48)


def reminder_key(appointment: Appointment) -> str:
    """The outbox key of a visit's reminder; its start is part of it, so a moved visit gets a
    reminder for its new time."""
    return f"reminder48:{appointment.id}:{appointment.starts_at:%Y%m%dT%H%M}"


def send_due_reminders(now: datetime | None = None) -> int:
    """Queue the reminder of every visit starting within 48 hours that was booked earlier than
    48 hours before it (a later booking just got its confirmation). Once per visit and time,
    by the outbox key. Returns how many were queued. Three queries, then one insert each."""
    now = now or utcnow()
    due = db.session.scalars(select(Appointment).where(
        Appointment.status == AppointmentStatus.booked, Appointment.starts_at > now,
        Appointment.starts_at <= now + AHEAD).options(
        selectinload(Appointment.patient).selectinload(Patient.responsibles),
        selectinload(Appointment.appointment_type), selectinload(Appointment.practitioner))).all()
    due = [a for a in due if a.created_at <= a.starts_at - AHEAD]
    keys = {reminder_key(a) for a in due}
    sent = set(db.session.scalars(select(OutboxMessage.key).where(
        OutboxMessage.key.in_(keys | {k + ":sms" for k in keys})))) if keys else set()
    practices = {p.id: p for p in db.session.scalars(select(Practice).where(
        Practice.id.in_({a.practice_id for a in due})))} if due else {}
    queued = 0
    for appointment in due:
        key = reminder_key(appointment)
        if key in sent or key + ":sms" in sent:
            continue
        practice = practices[appointment.practice_id]
        if not practice.module_on("appointments"):
            continue
        when = when_text(practice, appointment.starts_at)
        mobile, email = patient_contact(appointment.patient)
        text = _("Rappel : %(patient)s a rendez-vous (%(type)s) avec %(doctor)s au cabinet %(practice)s le %(when)s. "
                 "En cas d'empêchement, prévenez le cabinet au %(phone)s.",
                 patient=appointment.patient.first_name, type=appointment.appointment_type.name,
                 doctor=appointment.practitioner.display_name, practice=practice.name, when=when,
                 phone=practice.phone or "—")
        if queue_to_person(practice_id=practice.id, mobile=mobile, email=email, subject=_("Rappel de rendez-vous"),
                           body=text, key=key, category="reminder", prefer=Channel.email) is None:
            continue
        queued += 1
    return queued
