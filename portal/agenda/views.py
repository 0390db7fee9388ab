"""The day's planning of one practitioner, and booking a free slot for a patient."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import g, request
from flask_babel import gettext as _
from sqlalchemy import select

from portal.agenda import availability, bp, services
from portal.agenda.forms import BookingForm
from portal.core.auth import staff_required
from portal.core.db import commit, utcnow
from portal.core.errors import Conflict, DomainError, Invalid
from portal.core.web import current_actor, done, form_errors_from, render
from portal.extensions import db
from portal.patients.models import Patient


def _day_arg() -> date:
    try:
        return date.fromisoformat(request.values.get("jour", ""))
    except ValueError:
        return utcnow().astimezone(ZoneInfo(g.practice.timezone)).date()


def _planning(practitioner_id: int | None, day: date, form=None, status=200, conflict=None, nearby=()):
    team = services.practitioners(g.practice.id)
    current = next((p for p in team if p.id == practitioner_id), team[0] if team else None)
    slots, appointments, types = [], [], {}
    if current is not None:
        slots = availability.free_slots(practice=g.practice, practitioner_id=current.id, first=day, last=day)
        appointments = services.day_appointments(practice=g.practice, practitioner_id=current.id, day=day)
        types = {t.id: t for t in services.appointment_types(practice_id=g.practice.id, practitioner_id=current.id)}
    form = form or BookingForm(formdata=None, practitioner_id=current.id if current else None)
    return render("agenda/day.html", fragment="agenda/_day.html", target="agenda-day", status=status,
                  team=team, practitioner=current, day=day, slots=slots, appointments=appointments, types=types,
                  form=form, conflict=conflict, nearby=nearby, timedelta=timedelta)


@bp.route("/")
@staff_required()
def day():
    return _planning(request.args.get("praticien", type=int), _day_arg())


@bp.route("/rendez-vous", methods=["POST"])
@staff_required()
def book():
    form = BookingForm()
    day_shown = _day_arg()
    if not form.validate_on_submit():
        return _planning(form.practitioner_id.data, day_shown, form=form, status=422)
    try:
        raw_start, raw_type = form.slot.data.split("|")
        starts_at, type_id = datetime.fromisoformat(raw_start), int(raw_type)
        if starts_at.tzinfo is None:
            raise ValueError
    except ValueError:
        form.slot.errors = [_("Choisissez un créneau.")]
        return _planning(form.practitioner_id.data, day_shown, form=form, status=422)
    patient = db.session.scalar(select(Patient).where(Patient.practice_id == g.practice.id,
                                                      Patient.number == form.patient_number.data.strip()))
    try:
        if patient is None:
            raise Invalid(_("Aucun patient n'a ce numéro de dossier."), "patient_number")
        appointment = services.book_appointment(
            practice=g.practice, practitioner_id=form.practitioner_id.data, appointment_type_id=type_id,
            patient_id=patient.id, starts_at=starts_at, note=form.note.data or "", actor=current_actor())
    except Conflict as exc:
        nearby = services.slots_near(practice=g.practice, practitioner_id=form.practitioner_id.data,
                                     appointment_type_id=type_id, around=starts_at)
        return _planning(form.practitioner_id.data, day_shown, form=form, status=409, conflict=exc.message,
                         nearby=nearby)
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _planning(form.practitioner_id.data, day_shown, form=form, status=422)
    commit()
    local = appointment.starts_at.astimezone(ZoneInfo(g.practice.timezone))
    return done(_("Rendez-vous pris pour %(name)s le %(when)s.", name=patient.full_name,
                  when=local.strftime("%d/%m/%Y à %H:%M")), "agenda.day",
                praticien=appointment.practitioner_id, jour=local.date().isoformat())
