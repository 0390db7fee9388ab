"""Bulk cancellation (seed 003 § 4): a preview of who is affected and what it costs, then the act."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.agenda import bp, bulk, rights, services
from portal.agenda.forms import BulkCancelForm, choices
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, form_errors_from, render
from portal.extensions import db


def _form() -> BulkCancelForm:
    form = BulkCancelForm()
    team = rights.visible_team(current_user, services.practitioners(g.practice.id))
    form.practitioner_id.choices = choices((p.id, p.display_name) for p in team)
    chosen = form.practitioner_id.data or (team[0].id if team else 0)
    types = services.appointment_types(practice_id=g.practice.id, practitioner_id=chosen)
    form.appointment_type_id.choices = choices([(0, _("Tous les types"))] + [(t.id, t.name) for t in types])
    return form


@bp.route("/annulation", methods=["GET", "POST"])
@staff_required()
def bulk_cancel():
    form = _form()
    if request.method == "GET" or not form.validate_on_submit():
        return render("agenda/bulk_cancel.html", form=form, preview=None, status=422 if form.is_submitted() else 200)
    rights.require(current_user, form.practitioner_id.data, "book")
    try:
        affected = bulk.appointments_to_cancel(
            practice=g.practice, practitioner_id=form.practitioner_id.data, first=form.first.data,
            last=form.last.data, appointment_type_id=form.appointment_type_id.data or None,
            starts=form.starts.data, ends=form.ends.data)
        preview = bulk.cancellation_preview(g.practice, affected, form.message.data, send_sms=form.send_sms.data,
                                                block=form.block.data)
        if request.form.get("action") != "confirm" or request.form.get("previewed") != preview["stamp"]:
            changed = request.form.get("action") == "confirm"
            if changed:
                form.form_errors.append(_("La sélection ou le message a changé depuis l'aperçu : vérifiez ce nouvel "
                                          "aperçu, puis confirmez."))
            return render("agenda/bulk_cancel.html", form=form, preview=preview, affected=affected,
                          status=409 if changed else 200)
        count = bulk.bulk_cancel(practice=g.practice, appointments=affected, message=form.message.data,
                                     send_sms=form.send_sms.data, block=form.block.data, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return render("agenda/bulk_cancel.html", form=form, preview=None, status=422)
    commit()
    return done(_("%(n)d rendez-vous annulés ; les patients sont prévenus (voir Messages envoyés).", n=count),
                "agenda.day", praticien=form.practitioner_id.data, jour=form.first.data.isoformat())
