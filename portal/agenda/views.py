"""The day's planning of one practitioner, and booking a free slot for a patient."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import g, request
from flask_babel import gettext as _

from flask_login import current_user

from portal.agenda import availability, bp, checkin, desk, planning, rights, services, waiting
from portal.accounts.forms import ConfirmForm
from portal.agenda.forms import BlockForm, BookingForm, DaysOffForm, ExtraForm, choices
from portal.billing import teleconsult
from portal.core.auth import staff_required
from portal.core.db import commit, utcnow
from portal.core.errors import Conflict, DomainError
from portal.core.web import current_actor, date_arg, done, form_errors_from, id_arg, refused, render
from portal.extensions import db
from portal.patients.services import find_one_patient


def _day_arg() -> date:
    return date_arg("jour") or utcnow().astimezone(ZoneInfo(g.practice.timezone)).date()


def _type_choices(types: dict) -> list:
    return choices([(0, _("Tous les types"))] + [(t.id, t.name) for t in types.values()])


def _planning(practitioner_id: int | None, day: date, form=None, status=200, conflict=None, nearby=(),
              block_form=None, days_off_form=None, extra_form=None):
    everyone = services.practitioners(g.practice.id)
    visible = rights.visible_team(current_user, everyone)
    # An agenda asked for by id stays, so that `rights.require` below answers 403 rather than
    # silently showing another one.
    team = [p for p in everyone if p in visible or p.id == practitioner_id]
    current = next((p for p in team if p.id == practitioner_id), team[0] if team else None)
    slots, appointments, types, blocks, events = [], [], {}, [], []
    if current is not None:
        events = planning.events_between(practice_id=g.practice.id, first=day, last=day, practitioner_ids=[current.id])
        slots = availability.free_slots(practice=g.practice, practitioner_id=current.id, first=day, last=day)
        appointments = services.day_appointments(practice=g.practice, practitioner_id=current.id, day=day)
        types = {t.id: t for t in services.appointment_types(practice_id=g.practice.id, practitioner_id=current.id)}
        blocks = services.day_unavailabilities(practice=g.practice, practitioner_id=current.id, day=day)
    pid = current.id if current else None
    if current is not None:
        rights.require(current_user, current.id, "view")
    form = form or BookingForm(formdata=None, practitioner_id=pid)
    block_form = block_form or BlockForm(formdata=None, practitioner_id=pid)
    block_form.appointment_type_id.choices = _type_choices(types)
    days_off_form = days_off_form or DaysOffForm(formdata=None, practitioner_id=pid, first=day, last=day)
    extra_form = extra_form or ExtraForm(formdata=None, practitioner_id=pid)
    extra_form.appointment_type_id.choices = choices((t.id, t.name) for t in types.values())
    return render("agenda/day.html", fragment="agenda/_day.html", target="agenda-day", status=status,
                  team=team, practitioner=current, day=day, slots=slots, appointments=appointments, types=types,
                  blocks=blocks, events=events, form=form, block_form=block_form, days_off_form=days_off_form, extra_form=extra_form,
                  confirm=ConfirmForm(), conflict=conflict, nearby=nearby, timedelta=timedelta, now=utcnow(),
                  arrived=checkin.arrivals(practice_id=g.practice.id, appointment_ids=[a.id for a in appointments]),
                  unpaid=teleconsult.unpaid_appointments(practice_id=g.practice.id,
                                                         appointment_ids=[a.id for a in appointments]),
                  **desk.pick_context(form, practice_id=g.practice.id))



@bp.route("/")
@staff_required()
def day():
    return _planning(id_arg("praticien"), _day_arg())


@bp.route("/rendez-vous", methods=["POST"])
@staff_required()
def book():
    """Book a free slot (or, with the option ticked, put the patient on the waiting list for
    that slot's type) for a patient found, picked or created in the form."""
    form = BookingForm()
    day_shown = _day_arg()
    starts_at, type_id = desk.parse_slot(form.slot.data), desk.slot_type(form.slot.data)
    if not form.validate_on_submit() or starts_at is None or type_id is None:
        if form.slot.data and (starts_at is None or type_id is None):
            form.slot.errors = [_("Choisissez un créneau.")]
        return _planning(form.practitioner_id.data, day_shown, form=form, status=422)
    rights.require(current_user, form.practitioner_id.data, "book")
    try:
        patient = desk.choose_patient(practice_id=g.practice.id, patient_id=form.patient_id.data,
                                      query=form.patient_number.data, new=form.new_patient(), actor=current_actor())
        if form.waiting.data:
            waiting.add_to_waiting_list(practice=g.practice, practitioner_id=form.practitioner_id.data,
                                        appointment_type_id=type_id, patient=patient, wishes=form.wishes.data or "",
                                        actor=current_actor())
        else:
            appointment = desk.book_at_desk(
                practice=g.practice, practitioner_id=form.practitioner_id.data, appointment_type_id=type_id,
                patient=patient, starts_at=starts_at, note=form.note.data or "",
                patient_message=form.patient_message.data or "", teleconsult_mobile=form.teleconsult_mobile.data or "",
                confirm=form.confirm.data, actor=current_actor())
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
    if form.waiting.data:
        return _back(form.practitioner_id.data, day_shown,
                     _("%(name)s est inscrit(e) sur la liste d'attente.", name=patient.full_name))
    local = appointment.starts_at.astimezone(ZoneInfo(g.practice.timezone))
    return done(_("Rendez-vous pris pour %(name)s le %(when)s.", name=patient.full_name,
                  when=services.when_text(g.practice, appointment.starts_at)), "agenda.day",
                praticien=appointment.practitioner_id, jour=local.date().isoformat())


def _back(practitioner_id: int, day: date, message: str):
    return done(message, "agenda.day", praticien=practitioner_id, jour=day.isoformat())


@bp.route("/bloquer", methods=["POST"])
@staff_required()
def block():
    """Block a time range of the day shown, for every type or one."""
    day = _day_arg()
    types = {t.id: t for t in services.appointment_types(practice_id=g.practice.id,
                                                          practitioner_id=id_arg("practitioner_id") or 0)}
    form = BlockForm()
    form.appointment_type_id.choices = _type_choices(types)
    if not form.validate_on_submit():
        return _planning(form.practitioner_id.data, day, block_form=form, status=422)
    rights.require(current_user, form.practitioner_id.data, "book")
    try:
        services.block_days(practice=g.practice, practitioner_id=form.practitioner_id.data, first=day,
                            last=form.until.data or day, starts=form.starts.data, ends=form.ends.data,
                            appointment_type_id=form.appointment_type_id.data or None, label=form.label.data or "",
                            actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _planning(form.practitioner_id.data, day, block_form=form, status=422)
    commit()
    return _back(form.practitioner_id.data, day, _("Créneaux bloqués de %(a)s à %(b)s.",
                                                   a=form.starts.data.strftime("%H:%M"), b=form.ends.data.strftime("%H:%M")))


@bp.route("/conges", methods=["POST"])
@staff_required()
def days_off():
    """A day or a period off (seed 003 § 5)."""
    day = _day_arg()
    form = DaysOffForm()
    if not form.validate_on_submit():
        return _planning(form.practitioner_id.data, day, days_off_form=form, status=422)
    rights.require(current_user, form.practitioner_id.data, "book")
    try:
        services.take_days_off(practice=g.practice, practitioner_id=form.practitioner_id.data, first=form.first.data,
                               last=form.last.data, label=form.label.data or "", actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _planning(form.practitioner_id.data, day, days_off_form=form, status=422)
    commit()
    return _back(form.practitioner_id.data, day, _("Congés enregistrés."))


@bp.route("/indisponibilites/<int:unavailability_id>/rouvrir", methods=["POST"])
@staff_required()
def reopen(unavailability_id: int):
    day = _day_arg()
    row = planning.get_unavailability(practice_id=g.practice.id, unavailability_id=unavailability_id)
    rights.require(current_user, row.practitioner_id, "book")
    if not ConfirmForm().validate_on_submit():
        return refused(_("La page a expiré : rechargez-la puis recommencez."), "agenda.day",
                       praticien=row.practitioner_id, jour=day.isoformat())
    try:
        if request.form.get("scope") == "day":
            services.reopen_day(practice=g.practice, unavailability_id=row.id, day=day, actor=current_actor())
        else:
            services.reopen(practice=g.practice, unavailability_id=row.id, actor=current_actor())
    except DomainError as exc:
        return refused(exc.message, "agenda.day", praticien=row.practitioner_id, jour=day.isoformat())
    commit()
    return _back(id_arg("practitioner_id"), day, _("Créneaux rouverts."))


@bp.route("/rendez-vous/<int:appointment_id>/annuler", methods=["POST"])
@staff_required()
def cancel(appointment_id: int):
    appointment = services.get_appointment(practice_id=g.practice.id, appointment_id=appointment_id)
    rights.require(current_user, appointment.practitioner_id, "book")
    day = _day_arg()
    if not ConfirmForm().validate_on_submit():
        return refused(_("La page a expiré : rechargez-la puis recommencez."), "agenda.day",
                       praticien=appointment.practitioner_id, jour=day.isoformat())
    try:
        desk.cancel_at_desk(g.practice, appointment, reason=request.form.get("reason", ""), actor=current_actor())
    except DomainError as exc:
        return refused(exc.message, "agenda.day", praticien=appointment.practitioner_id, jour=day.isoformat())
    commit()
    return _back(appointment.practitioner_id, day, _("Rendez-vous annulé : le créneau est de nouveau libre et "
                                                     "le patient est prévenu."))


@bp.route("/rendez-vous/<int:appointment_id>/absence", methods=["POST"])
@staff_required()
def no_show(appointment_id: int):
    appointment = services.get_appointment(practice_id=g.practice.id, appointment_id=appointment_id)
    rights.require(current_user, appointment.practitioner_id, "book")
    day = _day_arg()
    if ConfirmForm().validate_on_submit():
        services.mark_no_show(appointment, actor=current_actor())
        commit()
    return _back(appointment.practitioner_id, day, _("Absence injustifiée notée."))


@bp.route("/extra", methods=["POST"])
@staff_required()
def book_extra():
    """A visit at any free time, outside the templates; the database still refuses an overlap."""
    day = _day_arg()
    types = {t.id: t for t in services.appointment_types(
        practice_id=g.practice.id, practitioner_id=id_arg("practitioner_id") or 0)}
    form = ExtraForm()
    form.appointment_type_id.choices = choices((t.id, t.name) for t in types.values())
    if not form.validate_on_submit():
        return _planning(form.practitioner_id.data, day, extra_form=form, status=422)
    rights.require(current_user, form.practitioner_id.data, "book")
    try:
        patient = find_one_patient(practice_id=g.practice.id, query=form.patient_number.data)
        services.book_appointment(practice=g.practice, practitioner_id=form.practitioner_id.data,
                                  appointment_type_id=form.appointment_type_id.data, patient_id=patient.id,
                                  starts_at=services.local_to_utc(g.practice, day, form.starts.data), extra=True,
                                  actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _planning(form.practitioner_id.data, day, extra_form=form, status=409 if exc.status == 409 else 422)
    commit()
    return _back(form.practitioner_id.data, day, _("Rendez-vous extra pris pour %(name)s à %(h)s.",
                                                   name=patient.full_name, h=form.starts.data.strftime("%H:%M")))
