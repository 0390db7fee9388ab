"""A practitioner's agenda settings: appointment types, weekly schedules, activation periods."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from portal.accounts.models import Role
from portal.agenda import bp, services
from portal.agenda.forms import ActivationForm, RangeForm, ScheduleForm, TypeForm, choices
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, form_errors_from, render
from portal.extensions import db


def _practitioner():
    team = services.practitioners(g.practice.id)
    wanted = request.values.get("praticien", type=int)
    return team, next((p for p in team if p.id == wanted), team[0] if team else None)


def _page(status=200, **forms):
    team, practitioner = _practitioner()
    ctx = {"team": team, "practitioner": practitioner, "types": [], "schedules": [], "activations": []}
    if practitioner is not None:
        ctx.update(types=services.appointment_types(practice_id=g.practice.id, practitioner_id=practitioner.id),
                   schedules=services.schedules_of(practice_id=g.practice.id, practitioner_id=practitioner.id),
                   activations=services.activations_of(practice_id=g.practice.id, practitioner_id=practitioner.id))
    schedule_choices = choices((s.id, s.name) for s in ctx["schedules"])
    type_choices = choices((t.id, f"{t.name} ({t.duration_minutes} min)") for t in ctx["types"])
    type_form = forms.get("type_form") or TypeForm(formdata=None, duration_minutes=20)
    schedule_form = forms.get("schedule_form") or ScheduleForm(formdata=None)
    range_form = forms.get("range_form") or RangeForm(formdata=None)
    activation_form = forms.get("activation_form") or ActivationForm(formdata=None)
    range_form.schedule_id.choices = activation_form.schedule_id.choices = schedule_choices
    range_form.appointment_type_id.choices = type_choices
    return render("agenda/settings.html", status=status, type_form=type_form, schedule_form=schedule_form,
                  range_form=range_form, activation_form=activation_form, **ctx)


def _saved(message: str, practitioner_id: int):
    return done(message, "agenda.settings", praticien=practitioner_id)


@bp.route("/reglages")
@staff_required(Role.practitioner)
def settings():
    return _page()


@bp.route("/reglages/types", methods=["POST"])
@staff_required(Role.practitioner)
def add_type():
    _team, practitioner = _practitioner()
    form = TypeForm()
    if practitioner is None or not form.validate_on_submit():
        return _page(422, type_form=form)
    try:
        services.add_appointment_type(practitioner=practitioner, name=form.name.data, code=form.code.data or "",
                                      duration_minutes=form.duration_minutes.data, online=form.online.data,
                                      actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _page(422, type_form=form)
    commit()
    return _saved(_("Type de rendez-vous « %(name)s » ajouté.", name=form.name.data), practitioner.id)


@bp.route("/reglages/emplois-du-temps", methods=["POST"])
@staff_required(Role.practitioner)
def add_schedule():
    _team, practitioner = _practitioner()
    form = ScheduleForm()
    if practitioner is None or not form.validate_on_submit():
        return _page(422, schedule_form=form)
    services.create_schedule(practitioner=practitioner, name=form.name.data, actor=current_actor())
    commit()
    return _saved(_("Emploi du temps « %(name)s » créé.", name=form.name.data), practitioner.id)


@bp.route("/reglages/plages", methods=["POST"])
@staff_required(Role.practitioner)
def add_range():
    _team, practitioner = _practitioner()
    if practitioner is None:
        return _page(422)
    schedules = services.schedules_of(practice_id=g.practice.id, practitioner_id=practitioner.id)
    types = services.appointment_types(practice_id=g.practice.id, practitioner_id=practitioner.id)
    form = RangeForm()
    form.schedule_id.choices = choices((s.id, s.name) for s in schedules)
    form.appointment_type_id.choices = choices((t.id, t.name) for t in types)
    if not form.validate_on_submit():
        return _page(422, range_form=form)
    try:
        schedule = services.get_schedule(practice_id=g.practice.id, practitioner_id=practitioner.id,
                                         schedule_id=form.schedule_id.data)
        kind = services.get_type(practice_id=g.practice.id, practitioner_id=practitioner.id,
                                 type_id=form.appointment_type_id.data)
        services.add_range(schedule, weekday=form.weekday.data, starts=form.starts.data, ends=form.ends.data,
                           appointment_type=kind, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _page(422, range_form=form)
    commit()
    return _saved(_("Plage ajoutée : les créneaux apparaissent dans l'agenda."), practitioner.id)


@bp.route("/reglages/activations", methods=["POST"])
@staff_required(Role.practitioner)
def activate():
    _team, practitioner = _practitioner()
    if practitioner is None:
        return _page(422)
    form = ActivationForm()
    form.schedule_id.choices = choices((s.id, s.name) for s in services.schedules_of(
        practice_id=g.practice.id, practitioner_id=practitioner.id))
    if not form.validate_on_submit():
        return _page(422, activation_form=form)
    try:
        schedule = services.get_schedule(practice_id=g.practice.id, practitioner_id=practitioner.id,
                                         schedule_id=form.schedule_id.data)
        services.activate_schedule(schedule, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                                   actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _page(422, activation_form=form)
    commit()
    return _saved(_("Période d'activation enregistrée."), practitioner.id)
