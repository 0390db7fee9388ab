"""The console's Coordonnées (what patients see in Mon cabinet, with a live preview). Patients'
messages are in the messaging domain (console → Messagerie)."""
from __future__ import annotations

from flask import g
from flask_babel import gettext as _

from portal.accounts.models import Role
from portal.console import bp
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.phones import display_phone
from portal.core.web import current_actor, done, form_errors_from, render
from portal.extensions import db
from portal.space import services
from portal.space.forms import CoordinatesForm

FIELDS = ("address", "postal_code", "city", "phone", "phone_secondary", "email", "opening_hours")


def _form_values(form) -> dict:
    values = {name: getattr(form, name).data or "" for name in FIELDS}
    values["info_zones"] = [entry.data or "" for entry in form.info_zones]
    return values


def _coordinates_page(form=None, status=200):
    if form is None:
        form = CoordinatesForm(formdata=None, obj=g.practice)
        for name in ("phone", "phone_secondary"):
            getattr(form, name).data = display_phone(getattr(g.practice, name)) or getattr(g.practice, name)
    card = services.cabinet_card(g.practice, **_form_values(form))
    return render("console/coordinates.html", status=status, form=form, card=card)


@bp.route("/cabinet/coordonnees")
@staff_required(Role.practitioner)
def coordinates():
    return _coordinates_page()


@bp.route("/cabinet/coordonnees", methods=["POST"])
@staff_required(Role.practitioner)
def save_coordinates():
    form = CoordinatesForm()
    if not form.validate_on_submit():
        return _coordinates_page(form, 422)
    try:
        services.update_coordinates(g.practice, actor=current_actor(), **_form_values(form))
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _coordinates_page(form, 422)
    commit()
    return done(_("Coordonnées enregistrées : vos patients les voient dans « Mon cabinet »."), "console.coordinates")


@bp.route("/cabinet/coordonnees/apercu", methods=["POST"])
@staff_required(Role.practitioner)
def coordinates_preview():
    """The Mon cabinet card with what is typed, not saved (htmx, as staff type)."""
    form = CoordinatesForm()
    return render("space/_cabinet_card.html", card=services.cabinet_card(g.practice, **_form_values(form)))
