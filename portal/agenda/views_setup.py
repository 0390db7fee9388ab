"""Extra ranges, replacements and secretaries' rights (seed 003 §§ 7, 10, 11)."""
from __future__ import annotations

import re
from datetime import date

from flask import abort, g, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.models import Role
from portal.agenda import bp, rights, services, setup
from portal.agenda.forms import ExtraRangesForm, ReplacementForm, choices
from portal.agenda.models import ExtraRange, Replacement
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError, Invalid
from portal.core.web import current_actor, done, form_errors_from, id_arg, render
from portal.extensions import db

RIGHT_KEY = re.compile(r"^r-(\d+)-(\d+)-(view|book|manage|configure)$")


@bp.app_context_processor
def _menu_rights():
    def agenda_setup_allowed() -> bool:
        """Whether the side menu shows the agenda settings to this staff member."""
        if not getattr(current_user, "is_authenticated", False) or current_user.kind != "staff":
            return False
        if current_user.can(Role.practitioner):
            return True
        return any(r["manage"] or r["configure"] for r in rights.rights_of(current_user).values())

    return {"agenda_setup_allowed": agenda_setup_allowed}


def _managed():
    """The practitioners whose schedules the user may manage, and the one asked for."""
    team = [p for p in services.practitioners(g.practice.id) if rights.can(current_user, p.id, "manage")]
    if not team and not current_user.can(Role.practitioner):
        abort(403)
    wanted = id_arg("praticien")
    if wanted is None:
        return team, team[0] if team else None
    chosen = next((p for p in team if p.id == wanted), None)
    if chosen is None:
        abort(404 if current_user.can(Role.practitioner) else 403)
    return team, chosen


def _extras_page(status=200, form=None):
    team, practitioner = _managed()
    types = services.appointment_types(practice_id=g.practice.id, practitioner_id=practitioner.id) \
        if practitioner else []
    form = form or ExtraRangesForm(formdata=None)
    form.appointment_type_ids.choices = choices((t.id, f"{t.name} ({t.duration_minutes} min)") for t in types)
    extras = setup.upcoming_extras(practice=g.practice, practitioner_id=practitioner.id) if practitioner else []
    return render("agenda/extras.html", status=status, team=team, practitioner=practitioner, form=form,
                  extras=extras, type_names={t.id: t.name for t in types})


@bp.route("/extras")
@staff_required()
def extras():
    return _extras_page()


@bp.route("/extras", methods=["POST"])
@staff_required()
def add_extras():
    _team, practitioner = _managed()
    if practitioner is None:
        abort(404)
    types = {t.id: t for t in services.appointment_types(practice_id=g.practice.id, practitioner_id=practitioner.id)}
    form = ExtraRangesForm()
    form.appointment_type_ids.choices = choices((tid, t.name) for tid, t in types.items())
    if not form.validate_on_submit():
        return _extras_page(422, form)
    try:
        if form.last.data is None:
            days = [form.first.data]
        else:
            bits = sum(1 << d for d in form.weekdays.data) or 0b1111111  # no weekday ticked: every day
            days = setup.days_between(form.first.data, form.last.data, bits)
        created = setup.add_extra_ranges(practitioner=practitioner, days=days, starts=form.starts.data,
                                         ends=form.ends.data, actor=current_actor(),
                                         types=[types[tid] for tid in form.appointment_type_ids.data])
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _extras_page(422, form)
    commit()
    return done(_("%(num)d plage(s) extra ouverte(s) : les créneaux « E » apparaissent dans l'agenda.",
                  num=len(created)), "agenda.extras", praticien=practitioner.id)


@bp.route("/extras/<int:extra_id>/supprimer", methods=["POST"])
@staff_required()
def delete_extra(extra_id):
    extra = setup.find(ExtraRange, practice_id=g.practice.id, row_id=extra_id)
    rights.require(current_user, extra.practitioner_id, "manage")
    setup.delete_extra(extra, actor=current_actor())
    commit()
    return done(_("Plage extra supprimée."), "agenda.extras", praticien=extra.practitioner_id)


def _replacement_form(form: ReplacementForm, team) -> ReplacementForm:
    form.practitioner_id.choices = choices((p.id, p.display_name) for p in team)
    form.substitute_id.choices = choices([(0, _("— Nouveau remplaçant (saisir ci-dessous) —"))] + [
        (p.id, p.display_name + ("" if p.active else " " + _("(remplaçant)")))
        for p in setup.all_practitioners(g.practice.id)])
    form.schedule_id.choices = choices(
        (s.id, f"{p.display_name} — {s.name}") for p in team
        for s in services.schedules_of(practice_id=g.practice.id, practitioner_id=p.id))
    return form


def _covered_dates(form: ReplacementForm) -> list[date]:
    if form.starts_on.data and form.ends_on.data and form.weekdays.data:
        try:
            return setup.days_between(form.starts_on.data, form.ends_on.data, sum(1 << d for d in form.weekdays.data))
        except Invalid:
            return []
    return []


def _replacements_page(status=200, form=None, replacement=None, show_dates=False):
    team, _chosen = _managed()
    if form is None:
        form = ReplacementForm(formdata=None, obj=replacement)
        if replacement is not None:
            form.weekdays.data = [d for d in range(7) if replacement.weekdays >> d & 1]
            form.kept.data = [d.isoformat() for d in setup.days_between(replacement.starts_on, replacement.ends_on,
                                                                        replacement.weekdays)
                              if d.isoformat() not in (replacement.skipped_dates or [])]
            form.dates_shown.data = "1"
            show_dates = True
    form = _replacement_form(form, team)
    dates = _covered_dates(form) if show_dates else []
    visible = {p.id for p in team}
    listing = [r for r in setup.replacements_of(g.practice.id) if r.practitioner_id in visible]
    names = {p.id: p.display_name for p in setup.all_practitioners(g.practice.id)}
    template = "agenda/replacement.html" if replacement is not None else "agenda/replacements.html"
    return render(template, status=status, form=form, replacement=replacement, replacements=listing, names=names,
                  dates=dates, kept=set(form.kept.data or []))


@bp.route("/remplacements")
@staff_required()
def replacements():
    return _replacements_page()


def _save_replacement(replacement: Replacement | None):
    team, _chosen = _managed()
    form = _replacement_form(ReplacementForm(), team)
    if not form.validate_on_submit():
        return _replacements_page(422, form, replacement, show_dates=bool(form.dates_shown.data))
    if request.form.get("action") == "dates":  # "voir les dates": tick or untick each one, then save
        if not form.dates_shown.data:  # first look: every date ticked
            form.kept.data = [d.isoformat() for d in _covered_dates(form)]
        form.dates_shown.data = "1"
        return _replacements_page(200, form, replacement, show_dates=True)
    managed = {p.id: p for p in team}
    practitioner = managed.get(form.practitioner_id.data)
    if practitioner is None:
        abort(403)
    try:
        if form.substitute_id.data == 0:
            substitute = setup.add_substitute(g.practice, title=form.substitute_title.data,
                                              first_name=form.substitute_first_name.data,
                                              last_name=form.substitute_last_name.data, actor=current_actor())
        else:
            substitute = services.get_practitioner(practice_id=g.practice.id, practitioner_id=form.substitute_id.data)
        schedule = services.get_schedule(practice_id=g.practice.id, practitioner_id=practitioner.id,
                                         schedule_id=form.schedule_id.data) if form.schedule_id.data else None
        if schedule is None:
            raise Invalid(_("Créez d'abord un emploi du temps pour ce praticien."), "schedule_id")
        covered = _covered_dates(form)
        kept = set(form.kept.data or []) if form.dates_shown.data else {d.isoformat() for d in covered}
        row = setup.save_replacement(
            replacement=replacement, name=form.name.data, practitioner=practitioner, substitute=substitute,
            schedule=schedule, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
            weekdays=sum(1 << d for d in form.weekdays.data),
            skipped_dates=[d for d in covered if d.isoformat() not in kept], actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _replacements_page(422, form, replacement, show_dates=bool(form.dates_shown.data))
    commit()
    return done(_("Remplacement « %(name)s » enregistré.", name=row.name), "agenda.replacements")


@bp.route("/remplacements", methods=["POST"])
@staff_required()
def add_replacement():
    return _save_replacement(None)


def _replacement(replacement_id: int) -> Replacement:
    row = setup.find(Replacement, practice_id=g.practice.id, row_id=replacement_id)
    rights.require(current_user, row.practitioner_id, "manage")
    return row


@bp.route("/remplacements/<int:replacement_id>")
@staff_required()
def edit_replacement(replacement_id):
    return _replacements_page(replacement=_replacement(replacement_id))


@bp.route("/remplacements/<int:replacement_id>", methods=["POST"])
@staff_required()
def save_replacement(replacement_id):
    return _save_replacement(_replacement(replacement_id))


@bp.route("/remplacements/<int:replacement_id>/supprimer", methods=["POST"])
@staff_required()
def delete_replacement(replacement_id):
    row = _replacement(replacement_id)
    setup.delete_replacement(row, actor=current_actor())
    commit()
    return done(_("Remplacement supprimé."), "agenda.replacements")


def _rights_page(status=200):
    return render("agenda/rights.html", status=status, secretaries=setup.secretaries(g.practice.id),
                  team=services.practitioners(g.practice.id), grid=setup.rights_grid(g.practice.id),
                  defaults=rights.DEFAULTS, rights_list=rights.RIGHTS)


@bp.route("/droits")
@staff_required(Role.practitioner)
def secretary_rights():
    return _rights_page()


@bp.route("/droits", methods=["POST"])
@staff_required(Role.practitioner)
def save_rights():
    # Plain checkboxes, one per secretary × practitioner × right; CSRFProtect checks the token.
    granted: dict[tuple[int, int], set[str]] = {}
    for key in request.form:
        match = RIGHT_KEY.match(key)
        if match:
            granted.setdefault((int(match[1]), int(match[2])), set()).add(match[3])
    changed = setup.save_secretary_rights(practice_id=g.practice.id, granted=granted, actor=current_actor())
    commit()
    return done(_("Droits du secrétariat enregistrés (%(num)d changement(s)).", num=changed),
                "agenda.secretary_rights")
