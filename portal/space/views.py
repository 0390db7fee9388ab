"""Home (with notices), my appointments (cancel online, add to a calendar), the menu, switching
between the patients linked to one number, own password and passkeys, reminder rules
(Notifications)."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_user

from portal.accounts import passkeys, patient_signin
from portal.accounts.forms import ChangePasswordForm, ConfirmForm
from portal.agenda import checkin, ics, services as agenda
from portal.billing import online, teleconsult
from portal.booking import confirmations
from portal.booking.forms import CancelForm
from portal.notify import reminder_rules, services as notify
from portal.notify.forms import ReminderRuleForm
from portal.core.auth import is_minor, module_open, module_required, patient_required
from portal.core.db import commit, utcnow
from portal.core.errors import DomainError
from portal.core.web import (current_actor, done, form_errors_from, invalid, refused, render, safe_next,
                             wants_fragment)
from portal.extensions import db, limiter
from portal.patients.services import patient_for_account
from portal.space import bp, services as cabinet


@bp.route("/")
@patient_required
def home():
    upcoming = []
    if module_open("appointments"):
        upcoming, _history, _missed = agenda.patient_appointments(patient=g.patient)
    # The other children's next visits, so a parent sees the whole family at a glance; a minor's
    # only where the practice opens appointments to minors.
    others = [p for p in g.patients if p.id != g.patient.id
              and g.practice.module_for("appointments", minor=is_minor(p, g.practice))]
    family = agenda.next_visits([p.id for p in others])
    notices = notify.unread_notices(patient_ids=[g.patient.id])
    if not module_open("messaging"):  # "open the Messagerie" would point nowhere
        from portal.messaging.services import NOTICE_CATEGORY

        notices = [n for n in notices if n.category != NOTICE_CATEGORY]
    return render("space/home.html", next_visit=upcoming[0] if upcoming else None, notices=notices,
                  family=[(p, family.get(p.id)) for p in others], confirm=ConfirmForm(), **_owed())


def _owed() -> dict:
    """The shown patient's unpaid teleconsultations (seed 004: red until paid) and whether a
    "Payer" button may be offered."""
    if not module_open("appointments"):
        return {"owed": [], "can_pay": False}
    return {"owed": teleconsult.unpaid_of_patient(practice_id=g.practice.id, patient_id=g.patient.id),
            "can_pay": module_open("payments") and online.offered(g.practice)}


@bp.route("/rendez-vous")
@patient_required
@module_required("appointments")
def appointments():
    """Upcoming visits and the missed count; `?tout=1` ("Tout afficher") adds the history in
    chronological order (seed 000)."""
    upcoming, history, missed = agenda.patient_appointments(patient=g.patient)
    show_all = request.args.get("tout") == "1"
    qr = {}
    if g.practice.module_on("appointments_checkin"):
        qr = {a.id: (code, checkin.qr_data_uri(code)) for a in upcoming if checkin.is_today(g.practice, a)
              for code in [checkin.checkin_code(a)]}
    return render("space/appointments.html", upcoming=upcoming, history=list(reversed(history)) if show_all else [],
                  missed=missed, show_all=show_all,
                  can_cancel={a.id for a in upcoming if confirmations.can_cancel_online(a)},
                  rooms={a.id: agenda.room_url(a) for a in upcoming if a.room_token}, now=utcnow(),
                  timedelta=timedelta, qr=qr, map_url=cabinet.cabinet_card(g.practice, request.user_agent.string).map_url,
                  added=cabinet.added_to_calendar(current_user, [a.id for a in upcoming]), **_owed())


@bp.route("/menu")
@patient_required
def menu():
    return render("space/menu.html")


@bp.route("/patients/<int:patient_id>/afficher", methods=["POST"])
@patient_required
def switch_patient(patient_id: int):
    """Show another of the patients linked to this number (404 for any other id)."""
    patient = patient_for_account(current_user, patient_id)
    if not ConfirmForm().validate_on_submit():
        return refused(_("Action non effectuée : rechargez la page."), "space.home")
    current_user.auth_session.current_patient_id = patient.id
    commit()
    flash(_("Vous consultez maintenant le dossier de %(name)s.", name=patient.full_name), "success")
    return redirect(safe_next("/"), code=303)  # back to the page the switch was made from


@bp.route("/mot-de-passe", methods=["GET", "POST"])
@patient_required
def password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("space/password.html", form=form, status=status)
    try:
        patient_signin.change_password(current_user, current=form.current.data, new=form.password.data,
                                       actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return invalid("space/password.html", form=form)
    commit()
    login_user(current_user._get_current_object())
    return done(_("Mot de passe modifié. Vos autres appareils ont été déconnectés."), "space.menu")


@bp.app_context_processor
def _space_context():
    return {"viewing": getattr(g, "patient", None), "module_open": module_open}


@bp.route("/cles")
@patient_required
def passkeys_page():
    return render("space/passkeys.html", keys=passkeys.list_passkeys(current_user), confirm=ConfirmForm(),
                  available=passkeys.available_on(request.host))


@bp.route("/cles/options", methods=["POST"])
@limiter.limit("10 per 15 minutes")
@patient_required
def passkey_options():
    """Options for the browser's "create a passkey" prompt (JSON), after the password is typed again."""
    body = request.get_json(silent=True)
    password = body.get("password") if isinstance(body, dict) else None
    try:
        options = passkeys.registration_options(current_user, password if isinstance(password, str) else "",
                                                actor=current_actor())
    except DomainError as exc:
        commit()
        return {"error": exc.message}, 422
    commit()
    return current_app.response_class(options, mimetype="application/json")


@bp.route("/cles", methods=["POST"])
@limiter.limit("10 per 15 minutes")
@patient_required
def passkey_add():
    """The device's answer (JSON): the passkey is kept, or the reason it was not."""
    label = _("Clé ajoutée le %(date)s", date=format_date(utcnow(), "short"))
    try:
        passkeys.add_passkey(current_user, passkeys.parse_credential(request.get_data()), label=label,
                             actor=current_actor())
    except DomainError as exc:
        commit()  # the spent challenge and the journal entry stay
        return {"error": exc.message}, 422
    commit()
    flash(_("Clé d'accès ajoutée : la prochaine fois, connectez-vous avec elle."), "success")
    return {"redirect": url_for("space.passkeys_page")}


@bp.route("/cles/<int:passkey_id>/supprimer", methods=["POST"])
@patient_required
def passkey_remove(passkey_id: int):
    if ConfirmForm().validate_on_submit():
        passkeys.remove_passkey(current_user, passkey_id, actor=current_actor())
        commit()
    return done(_("Clé d'accès supprimée."), "space.passkeys_page")


def _my_upcoming(appointment_id: int):
    """One of the current patient's upcoming visits, or 404 (any other id)."""
    upcoming, _history, _missed = agenda.patient_appointments(patient=g.patient)
    found = next((a for a in upcoming if a.id == appointment_id), None)
    if found is None:
        abort(404)
    return found


@bp.route("/rendez-vous/<int:appointment_id>/annuler", methods=["GET", "POST"])
@patient_required
@module_required("appointments")
def cancel_appointment(appointment_id: int):
    appointment = _my_upcoming(appointment_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            confirmations.cancel_online(appointment, reason=form.reason.data, actor=current_actor())
            commit()
            return done(_("Le rendez-vous est annulé. Un e-mail de confirmation vous est envoyé."), "space.appointments")
        except DomainError as exc:
            form_errors_from(exc, form)
    zone = ZoneInfo(g.practice.timezone)
    return render("space/cancel.html", status=422 if form.is_submitted() else 200, appointment=appointment,
                  form=form, local=appointment.starts_at.astimezone(zone),
                  deadline=confirmations.cancel_deadline(appointment).astimezone(zone),
                  can_cancel=confirmations.can_cancel_online(appointment))


@bp.route("/rendez-vous/<int:appointment_id>/agenda.ics")
@patient_required
@module_required("appointments")
def appointment_ics(appointment_id: int):
    appointment = _my_upcoming(appointment_id)
    cabinet.remember_calendar_addition(current_user, appointment)
    commit()
    return _ics(appointment)


def _ics(appointment):
    body = ics.appointment_ics(appointment, g.practice, room_url=agenda.room_url(appointment))
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="rendez-vous-{appointment.id}.ics"'})


@bp.route("/rendez-vous/<int:appointment_id>/ajouter-a-mon-agenda")
@patient_required
@module_required("appointments")
def add_to_calendar(appointment_id: int):
    """"Ajouter à mon agenda": the .ics the first time; afterwards, seed 000's message that it
    was already added, with a link to download it again."""
    appointment = _my_upcoming(appointment_id)
    if cabinet.remember_calendar_addition(current_user, appointment):
        commit()
        return _ics(appointment)
    return render("space/calendar_added.html", appointment=appointment)


@bp.route("/avis/<int:notice_id>/lu", methods=["POST"])
@patient_required
def notice_read(notice_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    notify.mark_notice_read(patient_ids=[p.id for p in g.patients], notice_id=notice_id)
    commit()
    return done(_("Avis masqué."), "space.home")


def _reminders_page(form, *, status: int = 200, message: str = ""):
    return render("space/notifications.html", fragment="space/_reminders.html", target="space-reminders",
                  status=status, rules=reminder_rules.rules_of(current_user), form=form, confirm=ConfirmForm(),
                  has_email=bool(reminder_rules.account_email(current_user)), message=message)


@bp.route("/notifications")
@patient_required
@module_required("appointments")
def notifications():
    return _reminders_page(ReminderRuleForm(formdata=None))


@bp.route("/notifications", methods=["POST"])
@patient_required
@module_required("appointments")
def notification_add():
    """Add a rule ("+"). Bad input comes back in place (422) with what was typed."""
    form = ReminderRuleForm()
    form.validate_on_submit()
    if form.csrf_token.errors:
        return refused(_("Action non effectuée : rechargez la page."), "space.notifications")
    # Unparsable numbers or times read as missing: the service says what is expected, in French.
    days = None if form.days_before.errors else form.days_before.data
    at = None if form.at_time.errors else form.at_time.data
    form.days_before.errors, form.at_time.errors = [], []
    try:
        reminder_rules.add_rule(current_user, days_before=days, at_time=at, sms=form.sms.data,
                                email=form.email.data, notice=form.notice.data, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _reminders_page(form, status=422)
    commit()
    if wants_fragment("space-reminders"):
        return _reminders_page(ReminderRuleForm(formdata=None), message=_("Rappel ajouté."))
    return done(_("Rappel ajouté."), "space.notifications")


@bp.route("/notifications/<int:rule_id>/supprimer", methods=["POST"])
@bp.route("/notifications/defaut/supprimer", methods=["POST"])
@patient_required
@module_required("appointments")
def notification_remove(rule_id: int | None = None):
    """Remove a rule (the bin); without an id, the default rule of an account that never
    changed its rules (it has no row yet)."""
    if not ConfirmForm().validate_on_submit():
        return refused(_("Action non effectuée : rechargez la page."), "space.notifications")
    reminder_rules.remove_rule(current_user, rule_id, actor=current_actor())
    commit()
    if wants_fragment("space-reminders"):
        return _reminders_page(ReminderRuleForm(formdata=None), message=_("Rappel supprimé."))
    return done(_("Rappel supprimé."), "space.notifications")
