"""Console → Cabinet → Relances de paiement: when and how overdue payments are reminded (owners
and practitioners), next to the payment options."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from portal.accounts.models import Role
from portal.billing import bp, online, reminders
from portal.billing.forms import OverdueSettingsForm
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, form_errors_from, render
from portal.extensions import db


def _page(form, status=200):
    return render("billing/reminder_settings.html", form=form, status=status,
                  payments_on=g.practice.module_on("payments"), link_offered=online.offered(g.practice))


@bp.route("/console/cabinet/relances-paiement", methods=["GET", "POST"])
@staff_required(Role.practitioner)
def reminder_settings():
    if request.method == "GET":
        row = reminders.settings_for(g.practice.id)
        return _page(OverdueSettingsForm(formdata=None, data={f: getattr(row, f) for f in reminders.FIELDS}))
    form = OverdueSettingsForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        changed = reminders.save_settings(g.practice, **{f: form[f].data for f in reminders.FIELDS},
                                          actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _page(form, 422)
    commit()
    return done(_("Relances enregistrées.") if changed else _("Aucun réglage n'a changé."), "billing.reminder_settings")
