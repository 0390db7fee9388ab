"""Checking patients in at the desk (seed 000's "scan sur borne d'accueil" option).

Each booked visit has a check-in code: its id and a keyed signature of it, so the code cannot be
guessed from an id and needs no storage. The patient space shows it as a QR code on the day of
the visit; a USB scanner at the desk types it into a plain text field, followed by Enter.
"""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import segno
from flask_babel import gettext as _
from sqlalchemy import select

from portal.agenda.models import Appointment, AppointmentStatus, CheckIn
from portal.agenda.services import day_bounds
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import insert_or_ignore, utcnow
from portal.core.errors import Invalid
from portal.core.tokens import keyed_hash, same
from portal.extensions import db

# Upper-case letters, digits and hyphens only: a scanner typing on an AZERTY or QWERTY layout
# produces them alike, and staff can type one by hand from the patient's screen.
CODE_RE = re.compile(r"^RDV-(\d{1,10})-([0-9A-F]{16})$")


def _signature(appointment_id: int) -> str:
    return keyed_hash(str(appointment_id), context="checkin")[:16].upper()


def checkin_code(appointment: Appointment) -> str:
    """The code the QR of this visit carries: "RDV-<id>-<16 hex signature>" (64 bits)."""
    return f"RDV-{appointment.id}-{_signature(appointment.id)}"


def qr_data_uri(code: str) -> str:
    """The QR code of `code` as an SVG data: URI, for an <img> (no inline script or style)."""
    return segno.make(code, error="m").svg_data_uri(scale=5, dark="#14213d", light="#ffffff")


def is_today(practice, appointment: Appointment, now: datetime | None = None) -> bool:
    """Whether the visit falls on today's date in the practice's zone."""
    today = (now or utcnow()).astimezone(ZoneInfo(practice.timezone)).date()
    start, end = day_bounds(practice, today)
    return start <= appointment.starts_at < end


def check_in(*, practice, code: str, by, actor: Actor) -> tuple[Appointment, CheckIn, bool]:
    """Mark the patient of the visit whose code was scanned as arrived. Returns the visit, its
    check-in and whether it is new (a second scan keeps the first time).

    Raises `Invalid` (field "code") for a code that is not one of this practice's, a cancelled
    visit or a visit of another day, and when the practice has not switched the option on.
    """
    if not practice.module_on("appointments_checkin"):
        raise Invalid(_("L'accueil par QR code n'est pas activé pour ce cabinet (Cabinet → Options)."), "code")
    match = CODE_RE.match((code or "").strip().upper())
    unknown = Invalid(_("Code non reconnu : ce n'est pas le QR code d'un rendez-vous de ce cabinet."), "code")
    if match is None or not same(match.group(2), _signature(int(match.group(1)))):
        raise unknown
    appointment = db.session.scalar(select(Appointment).where(
        Appointment.id == int(match.group(1)), Appointment.practice_id == practice.id))
    if appointment is None or appointment.patient_id is None:
        raise unknown  # another practice's visit: the same answer as a bad code
    zone = ZoneInfo(practice.timezone)
    local = appointment.starts_at.astimezone(zone)
    if appointment.status is AppointmentStatus.cancelled:
        raise Invalid(_("Le rendez-vous de %(name)s du %(date)s à %(time)s a été annulé.",
                        name=appointment.patient.full_name, date=local.strftime("%d/%m/%Y"),
                        time=local.strftime("%H:%M")), "code")
    if not is_today(practice, appointment):
        raise Invalid(_("Ce code est celui du rendez-vous de %(name)s du %(date)s, pas d'aujourd'hui.",
                        name=appointment.patient.full_name, date=local.strftime("%d/%m/%Y")), "code")
    new_id = db.session.scalar(insert_or_ignore(CheckIn, {
        "practice_id": practice.id, "appointment_id": appointment.id, "at": utcnow(),
        "by_id": getattr(by, "id", None)}, [CheckIn.appointment_id]).returning(CheckIn.id))
    found = db.session.scalar(select(CheckIn).where(CheckIn.appointment_id == appointment.id))
    if new_id is not None:
        audit.record("agenda.checked_in", actor=actor, practice_id=practice.id, target=appointment)
    return appointment, found, new_id is not None


def arrivals(*, practice_id: int, appointment_ids: list[int]) -> dict[int, datetime]:
    """When each of these visits' patients arrived, for those checked in."""
    if not appointment_ids:
        return {}
    return dict(db.session.execute(select(CheckIn.appointment_id, CheckIn.at).where(
        CheckIn.practice_id == practice_id, CheckIn.appointment_id.in_(appointment_ids))).all())


def todays_arrivals(practice, *, limit: int = 20) -> list[tuple[Appointment, datetime]]:
    """Today's check-ins at the practice, latest first (the desk page's list)."""
    start, end = day_bounds(practice, utcnow().astimezone(ZoneInfo(practice.timezone)).date())
    rows = db.session.execute(select(Appointment, CheckIn.at).join(CheckIn, CheckIn.appointment_id == Appointment.id)
                              .where(CheckIn.practice_id == practice.id, Appointment.starts_at >= start,
                                     Appointment.starts_at < end)
                              .order_by(CheckIn.at.desc()).limit(limit)).all()
    return [(a, at) for a, at in rows]
