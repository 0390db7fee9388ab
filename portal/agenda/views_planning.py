"""Seeing the planning: a week, everyone side by side, the past 30 days, the holiday calendar,
and the calendar events (post-its) one adds, changes or removes on it."""
from __future__ import annotations

from datetime import date, timedelta

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.forms import ConfirmForm
from portal.agenda import bp, planning, rights, services
from portal.agenda.forms import choices
from portal.agenda.forms_planning import EventForm
from portal.billing import teleconsult
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, date_arg, done, form_errors_from, id_arg, refused, render
from portal.extensions import db


def _day_arg() -> date:
    return date_arg("jour") or planning.today_in(g.practice)


def _visible_team() -> list:
    team = services.practitioners(g.practice.id)
    shown = set(rights.visible_practitioner_ids(current_user, [p.id for p in team]))
    return [p for p in team if p.id in shown]


def _chosen(team: list, practitioner_id: int | None):
    """The practitioner asked for (404 if not of this practice, 403 if hidden), else the first visible."""
    if practitioner_id is None:
        return team[0] if team else None
    practitioner = services.get_practitioner(practice_id=g.practice.id, practitioner_id=practitioner_id)
    rights.require(current_user, practitioner.id, "view")
    return practitioner


def _require_manage(practitioner_id: int | None) -> None:
    """Events of one agenda need its `manage` right; events for everyone need it on every agenda."""
    ids = [practitioner_id] if practitioner_id else [p.id for p in services.practitioners(g.practice.id)]
    for pid in ids:
        rights.require(current_user, pid, "manage")


def _can_manage(practitioner) -> bool:
    return practitioner is not None and rights.can(current_user, practitioner.id, "manage")


def _event_form(team: list, **kw) -> EventForm:
    form = EventForm(**kw)
    form.practitioner_id.choices = choices([(0, _("Tous les praticiens"))] + [(p.id, p.display_name) for p in team])
    return form


def _unpaid(plans) -> set[int]:
    """The unpaid teleconsultations among the visits shown (one query, seed 004's red)."""
    return teleconsult.unpaid_appointments(practice_id=g.practice.id, appointment_ids=[
        a.id for plan in plans for cell in plan.days for a in cell.appointments])


def _week(practitioner_id: int | None, day: date, *, form=None, editing=None, status=200):
    team = _visible_team()
    practitioner = _chosen(team, practitioner_id)
    plan = planning.week_planning(practice=g.practice, practitioner=practitioner, day=day) if practitioner else None
    first, last = planning.week_of(day)
    if form is None:
        form = _event_form(team, formdata=None, practitioner_id=practitioner.id if practitioner else 0,
                           starts_on=day, ends_on=day)
    week_events = sorted({e.id: e for cell in plan.days for e in cell.events}.values(),
                         key=lambda e: (e.starts_on, e.id)) if plan else []
    return render("agenda/week.html", fragment="agenda/_week.html", target="agenda-week", status=status,
                  team=team, practitioner=practitioner, day=day, first=first, last=last, plan=plan,
                  form=form, editing=editing, week_events=week_events, confirm=ConfirmForm(),
                  can_manage=_can_manage(practitioner), nav_view="week", nav_prev=day - timedelta(days=7),
                  nav_next=day + timedelta(days=7), event_class=planning.event_color_class,
                  unpaid=_unpaid([plan] if plan else []))


@bp.route("/semaine")
@staff_required()
def week():
    """One practitioner's week, Monday to Sunday, refreshing itself."""
    return _week(id_arg("praticien"), _day_arg())


def _all(day: date, mode: str):
    team = _visible_team()
    first, last = (day, day) if mode == "day" else planning.week_of(day)
    plans = planning.planning(practice=g.practice, practitioners=team, first=first, last=last)
    step = timedelta(days=1 if mode == "day" else 7)
    return render("agenda/all.html", fragment="agenda/_all.html", target="agenda-all", team=team, plans=plans,
                  day=day, first=first, last=last, mode=mode, nav_view="all" if mode == "day" else "all_week",
                  nav_prev=day - step, nav_next=day + step, practitioner=None, event_class=planning.event_color_class,
                  unpaid=_unpaid(plans))


@bp.route("/tous")
@staff_required()
def all_day():
    """Every visible practitioner's day, one column each."""
    return _all(_day_arg(), "day")


@bp.route("/tous/semaine")
@staff_required()
def all_week():
    """Every visible practitioner's week, one row each."""
    return _all(_day_arg(), "week")


@bp.route("/passe")
@staff_required()
def past():
    """The last 30 days of visits, newest first, unpaid teleconsultations then no-shows on top
    (seed 004)."""
    team = _visible_team()
    practitioner = _chosen(team, id_arg("praticien"))
    visits = planning.past_visits(practice=g.practice, practitioner_id=practitioner.id) if practitioner else None
    unpaid = teleconsult.unpaid_appointments(practice_id=g.practice.id, appointment_ids=[
        a.id for a in visits.attention + visits.visits]) if visits else set()
    return render("agenda/past.html", team=team, practitioner=practitioner, visits=visits, unpaid=unpaid,
                  day=planning.today_in(g.practice), nav_view="past", days=planning.PAST_DAYS)


@bp.route("/conges")
@staff_required()
def holidays():
    """The holiday calendar of one practitioner for one year (seed 003 § 5)."""
    team = _visible_team()
    practitioner = _chosen(team, id_arg("praticien"))
    today = planning.today_in(g.practice)
    year = request.args.get("annee", type=int) or today.year
    if not 2000 <= year <= 2100:
        year = today.year
    calendar = planning.holiday_year(practice=g.practice, practitioner_id=practitioner.id, year=year) \
        if practitioner else None
    return render("agenda/holidays.html", team=team, practitioner=practitioner, calendar=calendar, year=year,
                  day=today, confirm=ConfirmForm(), can_manage=_can_manage(practitioner), nav_view="holidays")


@bp.route("/conges/<int:unavailability_id>/rouvrir", methods=["POST"])
@staff_required()
def reopen_holiday(unavailability_id: int):
    """Reopen a holiday period from the holiday calendar, and come back to it."""
    row = planning.get_unavailability(practice_id=g.practice.id, unavailability_id=unavailability_id)
    rights.require(current_user, row.practitioner_id, "manage")
    year = request.args.get("annee", type=int)
    if not ConfirmForm().validate_on_submit():
        return refused(_("La page a expiré : rechargez-la puis recommencez."), "agenda.holidays",
                       praticien=row.practitioner_id, annee=year)
    practitioner_id = row.practitioner_id
    services.reopen(practice=g.practice, unavailability_id=row.id, actor=current_actor())
    commit()
    return done(_("Congés supprimés : ces jours sont de nouveau ouverts."), "agenda.holidays",
                praticien=practitioner_id, annee=year)


def _save_event(event=None):
    # The right first: someone who may not change events gets a 403, not a form's errors.
    _require_manage(id_arg("practitioner_id") or None)
    team = _visible_team()
    form = _event_form(team)
    day = _day_arg()
    shown = id_arg("praticien")
    if not form.validate_on_submit():
        return _week(shown, day, form=form, editing=event, status=422)
    practitioner_id = form.practitioner_id.data or None
    values = {"practice": g.practice, "practitioner_id": practitioner_id, "starts_on": form.starts_on.data,
              "ends_on": form.ends_on.data, "starts": form.starts.data, "ends": form.ends.data,
              "title": form.title.data, "details": form.details.data or "", "color": form.color.data,
              "actor": current_actor()}
    try:
        saved = planning.edit_event(event, **values) if event else planning.add_event(**values)
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _week(shown, day, form=form, editing=event, status=422)
    commit()
    message = _("Événement « %(title)s » modifié.", title=saved.title) if event else \
        _("Événement « %(title)s » ajouté au planning.", title=saved.title)
    return done(message, "agenda.week", praticien=practitioner_id or shown,
                jour=saved.starts_on.isoformat())


@bp.route("/evenements", methods=["POST"])
@staff_required()
def add_event():
    """A post-it on one agenda or on all (seed 003 § 12)."""
    return _save_event()


@bp.route("/evenements/<int:event_id>", methods=["GET", "POST"])
@staff_required()
def edit_event(event_id: int):
    """The week page with the event's form filled in; saving changes it."""
    event = planning.get_event(practice_id=g.practice.id, event_id=event_id)
    _require_manage(event.practitioner_id)
    if request.method == "POST":
        return _save_event(event)
    team = _visible_team()
    form = _event_form(team, formdata=None, obj=event)
    form.practitioner_id.data = event.practitioner_id or 0
    shown = event.practitioner_id or id_arg("praticien")
    return _week(shown, event.starts_on, form=form, editing=event)


@bp.route("/evenements/<int:event_id>/supprimer", methods=["POST"])
@staff_required()
def delete_event(event_id: int):
    event = planning.get_event(practice_id=g.practice.id, event_id=event_id)
    _require_manage(event.practitioner_id)
    shown = event.practitioner_id or id_arg("praticien")
    day = event.starts_on
    if not ConfirmForm().validate_on_submit():
        return refused(_("La page a expiré : rechargez-la puis recommencez."), "agenda.week", praticien=shown,
                       jour=day.isoformat())
    title = event.title
    planning.delete_event(event, actor=current_actor())
    commit()
    return done(_("Événement « %(title)s » supprimé.", title=title), "agenda.week", praticien=shown,
                jour=day.isoformat())

