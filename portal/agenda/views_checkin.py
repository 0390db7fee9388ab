"""Console → Accueil des patients: one text field a USB scanner types each visit's code into."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import g
from flask_babel import gettext as _
from flask_login import current_user

from portal.agenda import bp, checkin
from portal.agenda.forms import CheckInForm
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, form_errors_from, render, wants_fragment
from portal.extensions import db


def _page(form, status=200, result=None):
    # The field is always rendered empty, so the next scan starts clean; a refused code is
    # repeated in the message instead.
    form.code.data = ""
    return render("agenda/checkin.html", fragment="agenda/_checkin.html", target="checkin-desk", status=status,
                  form=form, result=result, arrivals=checkin.todays_arrivals(g.practice),
                  enabled=g.practice.module_on("appointments_checkin"), zone=ZoneInfo(g.practice.timezone))


@bp.route("/accueil")
@staff_required()
def checkin_page():
    return _page(CheckInForm(formdata=None))


@bp.route("/accueil", methods=["POST"])
@staff_required()
def check_in():
    """A scanned code: the patient is marked arrived, or the reason it was not, in place."""
    form = CheckInForm()
    if not form.validate_on_submit():
        form.code.errors = [_("Code non reconnu : ce n'est pas le QR code d'un rendez-vous de ce cabinet.")]
        return _page(form, 422)
    try:
        appointment, arrival, new = checkin.check_in(practice=g.practice, code=form.code.data, by=current_user,
                                                     actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _page(form, 422)
    commit()
    zone = ZoneInfo(g.practice.timezone)
    values = {"name": appointment.patient.full_name, "time": appointment.starts_at.astimezone(zone).strftime("%H:%M"),
              "arrived": arrival.at.astimezone(zone).strftime("%H:%M")}
    message = (_("%(name)s est arrivé(e) : rendez-vous de %(time)s.", **values) if new else
               _("%(name)s était déjà noté(e) arrivé(e) à %(arrived)s (rendez-vous de %(time)s).", **values))
    if wants_fragment("checkin-desk"):
        return _page(CheckInForm(formdata=None), result=message)
    return done(message, "agenda.checkin_page")
