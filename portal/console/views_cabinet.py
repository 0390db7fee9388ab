"""The console's Cabinet pages (seed 000): Informations, Options, Praticiens, and Statistiques."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role
from portal.agenda.setup import all_practitioners
from portal.billing import journal
from portal.console import bp, charts, health, services
from portal.console.forms import OPTION_GROUPS, OPTION_KEYS, OptionsForm, PeriodForm
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, form_errors_from, invalid, refused, render
from portal.extensions import db


@bp.route("/cabinet")
@staff_required(Role.practitioner)
def cabinet_info():
    return render("console/cabinet_info.html", lines=health.portal_state(g.practice),
                  is_owner=current_user.can(Role.owner))


@bp.route("/cabinet/options", methods=["GET", "POST"])
@staff_required(Role.owner)
def options():
    current = {key: g.practice.module_on(key) for key in OPTION_KEYS}
    form = OptionsForm(data=current if request.method == "GET" else None)
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("console/options.html", form=form, groups=OPTION_GROUPS, status=status)
    try:
        changes = services.save_options(g.practice, form.values(), actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return invalid("console/options.html", form=form, groups=OPTION_GROUPS)
    commit()
    return done(_("Options enregistrées.") if changes else _("Aucune option n'a changé."), "console.options")


@bp.route("/cabinet/praticiens")
@staff_required(Role.owner)
def practitioners():
    return render("console/practitioners.html", team=all_practitioners(g.practice.id), confirm=ConfirmForm())


@bp.route("/cabinet/praticiens/<int:practitioner_id>/actif", methods=["POST"])
@staff_required(Role.owner)
def practitioner_active(practitioner_id: int):
    active = request.form.get("active") == "1"
    if not ConfirmForm().validate_on_submit():
        return refused(_("Action non effectuée : rechargez la page."), "console.practitioners")
    practitioner = services.set_practitioner_active(practice_id=g.practice.id, practitioner_id=practitioner_id,
                                                    active=active, actor=current_actor())
    commit()
    message = (_("%(name)s apparaît dans l'espace patient et la réservation en ligne.") if active else
               _("%(name)s n'apparaît plus dans l'espace patient ni dans la réservation en ligne."))
    return done(message % {"name": practitioner.display_name}, "console.practitioners")


@bp.route("/statistiques")
@staff_required(Role.practitioner)
def statistics():
    today = datetime.now(ZoneInfo(g.practice.timezone)).date()
    given = "start" in request.args or "end" in request.args
    form = PeriodForm(request.args if given else None,
                      data=None if given else {"start": today - timedelta(days=29), "end": today})
    totals = services.signin_totals(g.practice.id)
    if given and not form.validate():
        return invalid("console/statistics.html", form=form, stats=None, chart=None, totals=totals)
    try:
        stats = services.signins_per_day(g.practice, start=form.start.data, end=form.end.data)
    except DomainError as exc:
        form_errors_from(exc, form)
        return invalid("console/statistics.html", form=form, stats=None, chart=None, totals=totals)
    # Seed 000 "Statistiques": the payments per day of the same period, when the module is on.
    days = journal.per_day(g.practice.id, stats.start, stats.end)
    return render("console/statistics.html", form=form, stats=stats, chart=charts.bar_chart(stats.days),
                  totals=totals, days=days,
                  payments_chart=charts.bar_chart([(d.day, round(d.received / 100)) for d in days]) if days else None)
