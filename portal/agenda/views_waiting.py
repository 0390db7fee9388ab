"""The waiting list (seed 003 § 3), per practitioner: who waits, adding and removing."""
from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.forms import ConfirmForm
from portal.agenda import bp, desk, rights, services, waiting
from portal.agenda.forms import WaitingForm, choices
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, form_errors_from, id_arg, render
from portal.extensions import db


def _list_page(practitioner_id: int | None, form=None, status=200):
    team = rights.visible_team(current_user, services.practitioners(g.practice.id))
    current = next((p for p in team if p.id == practitioner_id), team[0] if team else None)
    entries, types = [], []
    if current is not None:
        rights.require(current_user, current.id, "view")
        entries = waiting.waiting_entries(practice_id=g.practice.id, practitioner_id=current.id)
        types = services.appointment_types(practice_id=g.practice.id, practitioner_id=current.id)
    form = form or WaitingForm(formdata=None, practitioner_id=current.id if current else None)
    form.appointment_type_id.choices = choices((t.id, t.name) for t in types)
    return render("agenda/waiting.html", status=status, team=team, practitioner=current, entries=entries, form=form,
                  confirm=ConfirmForm(), **desk.pick_context(form, practice_id=g.practice.id))


@bp.route("/attente")
@staff_required()
def waiting_list():
    return _list_page(id_arg("praticien"))


@bp.route("/attente", methods=["POST"])
@staff_required()
def waiting_add():
    """Add a patient (found, picked or created) to a practitioner's waiting list."""
    form = WaitingForm()
    pid = form.practitioner_id.data
    form.appointment_type_id.choices = choices(
        (t.id, t.name) for t in services.appointment_types(practice_id=g.practice.id, practitioner_id=pid or 0))
    if not form.validate_on_submit():
        return _list_page(pid, form=form, status=422)
    rights.require(current_user, pid, "book")
    try:
        patient = desk.choose_patient(practice_id=g.practice.id, patient_id=form.patient_id.data,
                                      query=form.patient_number.data, new=form.new_patient(), actor=current_actor())
        waiting.add_to_waiting_list(practice=g.practice, practitioner_id=pid, patient=patient,
                                    appointment_type_id=form.appointment_type_id.data, wishes=form.wishes.data or "",
                                    actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _list_page(pid, form=form, status=422)
    commit()
    return done(_("%(name)s est inscrit(e) sur la liste d'attente.", name=patient.full_name), "agenda.waiting_list",
                praticien=pid)


@bp.route("/attente/<int:entry_id>/retirer", methods=["POST"])
@staff_required()
def waiting_remove(entry_id: int):
    entry = waiting.get_entry(practice_id=g.practice.id, entry_id=entry_id)
    rights.require(current_user, entry.practitioner_id, "book")
    if ConfirmForm().validate_on_submit():
        try:
            waiting.remove_entry(entry, actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            return done(exc.message, "agenda.waiting_list", praticien=entry.practitioner_id)
        commit()
    return done(_("Patient retiré de la liste d'attente."), "agenda.waiting_list", praticien=entry.practitioner_id)
