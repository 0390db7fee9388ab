"""A practitioner's agenda settings: appointment types, weekly schedules, activation periods.

Practitioners and owners may change every agenda; a secretary only where a `SecretaryRight`
row allows it: `configure` for types, `manage` for schedules (seed 003 § 10).
"""
from __future__ import annotations

from flask import abort, g, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.models import Role
from portal.agenda import bp, rights, services, setup
from portal.agenda.forms import (ActivationForm, CopyDayForm, CopyTypeForm, RangeForm, ScheduleForm, TypeEditForm,
                                 TypeForm, choices)
from portal.agenda.models import AppointmentType, Schedule, ScheduleRange
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, form_errors_from, id_arg, render
from portal.extensions import db


def _team(*wanted_rights: str):
    """The practitioners whose agenda the user may set up (with any of `wanted_rights`)."""
    team = services.practitioners(g.practice.id)
    if current_user.can(Role.practitioner):
        return team
    allowed = [p for p in team if any(rights.can(current_user, p.id, r) for r in wanted_rights)]
    if not allowed:
        abort(403)
    return allowed


def _practitioner(*wanted_rights: str):
    team = _team(*(wanted_rights or ("configure", "manage")))
    wanted = id_arg("praticien")
    if wanted is None:
        return team, team[0] if team else None
    chosen = next((p for p in team if p.id == wanted), None)
    if chosen is None:  # another practice's id, or an agenda this secretary may not set up
        abort(404 if current_user.can(Role.practitioner) else 403)
    return team, chosen


def _page(status=200, **forms):
    team, practitioner = _practitioner()
    ctx = {"team": team, "practitioner": practitioner, "types": [], "schedules": [], "activations": [],
           "others": [], "may_configure": False, "may_manage": False}
    if practitioner is not None:
        ctx.update(types=services.appointment_types(practice_id=g.practice.id, practitioner_id=practitioner.id),
                   schedules=services.schedules_of(practice_id=g.practice.id, practitioner_id=practitioner.id),
                   activations=services.activations_of(practice_id=g.practice.id, practitioner_id=practitioner.id),
                   may_configure=rights.can(current_user, practitioner.id, "configure"),
                   may_manage=rights.can(current_user, practitioner.id, "manage"))
    schedule_choices = choices((s.id, s.name) for s in ctx["schedules"])
    type_choices = choices((t.id, f"{t.name} ({t.duration_minutes} min)") for t in ctx["types"])
    type_form = forms.get("type_form") or TypeForm(formdata=None, duration_minutes=20)
    schedule_form = forms.get("schedule_form") or ScheduleForm(formdata=None)
    range_form = forms.get("range_form") or RangeForm(formdata=None)
    activation_form = forms.get("activation_form") or ActivationForm(formdata=None)
    copy_form = forms.get("copy_form") or CopyDayForm(formdata=None)
    range_form.schedule_id.choices = activation_form.schedule_id.choices = schedule_choices
    copy_form.schedule_id.choices = schedule_choices
    range_form.appointment_type_id.choices = type_choices
    return render("agenda/settings.html", status=status, type_form=type_form, schedule_form=schedule_form,
                  range_form=range_form, activation_form=activation_form, copy_form=copy_form, **ctx)


def _saved(message: str, practitioner_id: int):
    return done(message, "agenda.settings", praticien=practitioner_id)


@bp.route("/reglages")
@staff_required()
def settings():
    return _page()


@bp.route("/reglages/types", methods=["POST"])
@staff_required()
def add_type():
    _team, practitioner = _practitioner("configure")
    if practitioner is not None:
        rights.require(current_user, practitioner.id, "configure")
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


def _type(type_id: int) -> AppointmentType:
    kind = setup.find(AppointmentType, practice_id=g.practice.id, row_id=type_id)
    if not kind.active:
        abort(404)
    rights.require(current_user, kind.practitioner_id, "configure")
    return kind


def _type_page(kind, status=200, form=None, copy_form=None):
    if form is None:
        form = TypeEditForm(formdata=None, obj=kind)
        form.price.data = f"{kind.price_cents // 100},{kind.price_cents % 100:02d}" if kind.price_cents else ""
    copy_form = copy_form or CopyTypeForm(formdata=None)
    copy_form.practitioner_ids.choices = choices(
        (p.id, p.display_name) for p in services.practitioners(g.practice.id)
        if p.id != kind.practitioner_id and rights.can(current_user, p.id, "configure"))
    practitioner = services.get_practitioner(practice_id=g.practice.id, practitioner_id=kind.practitioner_id)
    return render("agenda/type.html", status=status, kind=kind, form=form, copy_form=copy_form,
                  practitioner=practitioner)


@bp.route("/reglages/types/<int:type_id>")
@staff_required()
def edit_type(type_id):
    return _type_page(_type(type_id))


@bp.route("/reglages/types/<int:type_id>", methods=["POST"])
@staff_required()
def save_type(type_id):
    kind = _type(type_id)
    form = TypeEditForm()
    if not form.validate_on_submit():
        return _type_page(kind, 422, form=form)
    try:
        setup.update_appointment_type(kind, actor=current_actor(), price=form.price.data or "",
                                      **{name: form[name].data for name in setup.TYPE_FIELDS})
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _type_page(setup.find(AppointmentType, practice_id=g.practice.id, row_id=type_id), 422, form=form)
    commit()
    return _saved(_("Type « %(name)s » enregistré.", name=kind.name), kind.practitioner_id)


@bp.route("/reglages/types/<int:type_id>/copier", methods=["POST"])
@staff_required()
def copy_type(type_id):
    kind = _type(type_id)
    form = CopyTypeForm()
    allowed = {p.id: p for p in services.practitioners(g.practice.id)
               if p.id != kind.practitioner_id and rights.can(current_user, p.id, "configure")}
    form.practitioner_ids.choices = choices((pid, p.display_name) for pid, p in allowed.items())
    if not form.validate_on_submit():
        return _type_page(kind, 422, copy_form=form)
    try:
        setup.copy_type_to(kind, targets=[allowed[pid] for pid in form.practitioner_ids.data], actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _type_page(setup.find(AppointmentType, practice_id=g.practice.id, row_id=type_id), 422, copy_form=form)
    commit()
    return done(_("Type « %(name)s » créé pour les praticiens choisis.", name=kind.name), "agenda.edit_type",
                type_id=kind.id)


@bp.route("/reglages/types/<int:type_id>/deplacer", methods=["POST"])
@staff_required()
def move_type(type_id):
    kind = _type(type_id)
    setup.move_appointment_type(kind, up=request.form.get("sens") == "haut", actor=current_actor())
    commit()
    return _saved(_("Ordre des types enregistré."), kind.practitioner_id)


@bp.route("/reglages/types/<int:type_id>/desactiver", methods=["POST"])
@staff_required()
def deactivate_type(type_id):
    kind = _type(type_id)
    setup.deactivate_appointment_type(kind, actor=current_actor())
    commit()
    return _saved(_("Type « %(name)s » désactivé : il n'offre plus de créneaux.", name=kind.name),
                  kind.practitioner_id)


@bp.route("/reglages/emplois-du-temps", methods=["POST"])
@staff_required()
def add_schedule():
    _team, practitioner = _practitioner("manage")
    if practitioner is not None:
        rights.require(current_user, practitioner.id, "manage")
    form = ScheduleForm()
    if practitioner is None or not form.validate_on_submit():
        return _page(422, schedule_form=form)
    services.create_schedule(practitioner=practitioner, name=form.name.data, actor=current_actor())
    commit()
    return _saved(_("Emploi du temps « %(name)s » créé.", name=form.name.data), practitioner.id)


def _managed_practitioner():
    _team, practitioner = _practitioner("manage")
    if practitioner is not None:
        rights.require(current_user, practitioner.id, "manage")
    return practitioner


@bp.route("/reglages/plages", methods=["POST"])
@staff_required()
def add_range():
    practitioner = _managed_practitioner()
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


@bp.route("/reglages/plages/<int:range_id>/supprimer", methods=["POST"])
@staff_required()
def delete_range(range_id):
    row = setup.find(ScheduleRange, practice_id=g.practice.id, row_id=range_id)
    schedule = setup.find(Schedule, practice_id=g.practice.id, row_id=row.schedule_id)
    rights.require(current_user, schedule.practitioner_id, "manage")
    setup.delete_range(schedule, range_id=range_id, actor=current_actor())
    commit()
    return _saved(_("Plage supprimée."), schedule.practitioner_id)


@bp.route("/reglages/copier-jour", methods=["POST"])
@staff_required()
def copy_day():
    practitioner = _managed_practitioner()
    if practitioner is None:
        return _page(422)
    form = CopyDayForm()
    form.schedule_id.choices = choices((s.id, s.name) for s in services.schedules_of(
        practice_id=g.practice.id, practitioner_id=practitioner.id))
    if not form.validate_on_submit():
        return _page(422, copy_form=form)
    try:
        schedule = services.get_schedule(practice_id=g.practice.id, practitioner_id=practitioner.id,
                                         schedule_id=form.schedule_id.data)
        count = setup.copy_weekday(schedule, source=form.source.data, targets=form.targets.data,
                                   replace=form.replace.data, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _page(422, copy_form=form)
    commit()
    return _saved(_("%(num)d plage(s) copiée(s).", num=count), practitioner.id)


@bp.route("/reglages/activations", methods=["POST"])
@staff_required()
def activate():
    practitioner = _managed_practitioner()
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
