"""At the desk: the live patient search of the booking forms, and one appointment's page with
its actions (notes, patient remarks, move, duplicate, cancel, absence, teleconsultation)."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.forms import ConfirmForm
from portal.agenda import bp, desk, rights, services
from portal.agenda.availability import free_slots
from portal.agenda.forms import MoveForm, NoteForm, PatientPickForm, RemarksForm
from portal.billing import teleconsult
from portal.billing.forms import TeleconsultPaidForm
from portal.core.auth import staff_required
from portal.core.db import commit, utcnow
from portal.core.errors import DomainError
from portal.core.web import current_actor, date_arg, done, form_errors_from, render
from portal.extensions import db


@bp.route("/patients")
@staff_required()
def patient_pick():
    """The patient region of a desk form, for htmx: matches of the search, or the patient picked
    and their family."""
    form = PatientPickForm(request.args, meta={"csrf": False})
    form.validate()
    return render_template("agenda/_patient_pick.html", **desk.pick_context(form, practice_id=g.practice.id,
                                                                             search=True))


def _page(appointment, *, status=200, note_form=None, remarks_form=None, move_form=None, copy_form=None,
          conflict=None, paid_form=None):
    rights.require(current_user, appointment.practitioner_id, "view")
    shown = date_arg("jour") or desk.day_of(g.practice, appointment.starts_at)
    charge = teleconsult.charge_of(appointment)
    slots = free_slots(practice=g.practice, practitioner_id=appointment.practitioner_id, first=shown, last=shown,
                       appointment_type_id=appointment.appointment_type_id)
    return render("agenda/appointment.html", status=status, appointment=appointment, patient=appointment.patient,
                  shown=shown, slots=slots, timedelta=timedelta, now=utcnow(),
                  room_url=services.room_url(appointment), room_open=services.teleconsultation_open(appointment),
                  note_form=note_form or NoteForm(formdata=None, note=appointment.note),
                  remarks_form=remarks_form or RemarksForm(formdata=None, remarks=appointment.patient.remarks),
                  move_form=move_form or MoveForm(formdata=None), copy_form=copy_form or MoveForm(formdata=None, prefix="copie"),
                  confirm=ConfirmForm(), conflict=conflict, charge=charge,
                  charge_left=teleconsult.remaining(charge) if charge else 0,
                  paid_form=paid_form or TeleconsultPaidForm(formdata=None))


def _load(appointment_id: int, right: str = "book"):
    appointment = services.get_appointment(practice_id=g.practice.id, appointment_id=appointment_id)
    if appointment.patient_id is None:
        abort(404)  # a newcomer's hold, not an appointment yet: nothing to act on
    rights.require(current_user, appointment.practitioner_id, right)
    return appointment


@bp.route("/rendez-vous/<int:appointment_id>")
@staff_required()
def appointment(appointment_id: int):
    return _page(_load(appointment_id, "view"))


@bp.route("/rendez-vous/<int:appointment_id>/note", methods=["POST"])
@staff_required()
def appointment_note(appointment_id: int):
    appointment = _load(appointment_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _page(appointment, status=422, note_form=form)
    desk.update_note(appointment, note=form.note.data or "", actor=current_actor())
    commit()
    return done(_("Notes enregistrées."), "agenda.appointment", appointment_id=appointment.id)


@bp.route("/rendez-vous/<int:appointment_id>/remarques", methods=["POST"])
@staff_required()
def patient_remarks(appointment_id: int):
    appointment = _load(appointment_id)
    form = RemarksForm()
    if not form.validate_on_submit():
        return _page(appointment, status=422, remarks_form=form)
    desk.update_remarks(appointment.patient, remarks=form.remarks.data or "", actor=current_actor())
    commit()
    return done(_("Remarques sur le patient enregistrées."), "agenda.appointment", appointment_id=appointment.id)


def _other_time(form):
    """The time a move or copy form asks for: (instant, extra), or None with the error set."""
    if form.slot.data:
        instant = desk.parse_slot(form.slot.data)
        if instant is None:
            form.slot.errors = [_("Choisissez un créneau.")]
        return (instant, False) if instant else None
    if form.day.data and form.starts.data:
        try:
            return services.local_to_utc(g.practice, form.day.data, form.starts.data), True
        except DomainError as exc:
            form.starts.errors = [exc.message]
            return None
    form.form_errors.append(_("Choisissez un créneau libre, ou une date et une heure (extra)."))
    return None


def _reschedule(appointment_id: int, copy: bool):
    appointment = _load(appointment_id)
    form = MoveForm(prefix="copie") if copy else MoveForm()
    forms = {"copy_form": form} if copy else {"move_form": form}
    wanted = _other_time(form) if form.validate_on_submit() else None
    if wanted is None:
        return _page(appointment, status=422, **forms)
    action = desk.duplicate_appointment if copy else desk.move_appointment
    try:
        result = action(appointment, practice=g.practice, starts_at=wanted[0], extra=wanted[1], actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        appointment = services.get_appointment(practice_id=g.practice.id, appointment_id=appointment_id)
        if exc.status == 409:
            return _page(appointment, status=409, conflict=exc.message, **forms)
        form_errors_from(exc, form)
        return _page(appointment, status=422, **forms)
    commit()
    local = desk.local_moment(g.practice, result.starts_at)
    when, hour = local.strftime("%d/%m/%Y"), local.strftime("%H:%M")
    message = (_("Rendez-vous dupliqué le %(d)s à %(h)s.", d=when, h=hour) if copy
               else _("Rendez-vous déplacé au %(d)s à %(h)s.", d=when, h=hour))
    return done(message, "agenda.appointment", appointment_id=result.id)


@bp.route("/rendez-vous/<int:appointment_id>/deplacer", methods=["POST"])
@staff_required()
def move(appointment_id: int):
    return _reschedule(appointment_id, copy=False)


@bp.route("/rendez-vous/<int:appointment_id>/dupliquer", methods=["POST"])
@staff_required()
def duplicate(appointment_id: int):
    return _reschedule(appointment_id, copy=True)


@bp.route("/rendez-vous/<int:appointment_id>/payee", methods=["POST"])
@staff_required()
def teleconsult_paid(appointment_id: int):
    """Staff mark a prepaid teleconsultation paid (an offline payment on its fee, audited);
    marking it twice is refused (409) with the reason in place."""
    appointment = _load(appointment_id)
    form = TeleconsultPaidForm()
    if not form.validate_on_submit():
        return _page(appointment, status=422, paid_form=form)
    try:
        teleconsult.mark_paid(practice=g.practice, appointment=appointment, method=form.method.data,
                              reference=form.reference.data or "", recorded_by=current_user, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        appointment = services.get_appointment(practice_id=g.practice.id, appointment_id=appointment_id)
        if exc.status == 409:
            return _page(appointment, status=409, conflict=exc.message, paid_form=form)
        form_errors_from(exc, form)
        return _page(appointment, status=422, paid_form=form)
    commit()
    return done(_("Téléconsultation marquée payée."), "agenda.appointment", appointment_id=appointment.id)
