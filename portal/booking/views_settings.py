"""Staff pages of online booking: the practice's settings and practitioners' profiles, the
known-contacts whitelist, bans and visit reasons. Owners and practitioners only."""
from __future__ import annotations

from flask import abort, flash, g, make_response, request
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.accounts.models import Role
from portal.agenda import services as agenda
from portal.booking import bp, services, setup
from portal.booking.forms_settings import BanForm, BookingSettingsForm, ContactForm, ImportForm, ProfileForm, ReasonForm
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError, Invalid
from portal.core.phones import display_phone
from portal.core.web import current_actor, done, form_errors_from, id_arg, render
from portal.extensions import db

IMPORT_MAX_BYTES = 2 * 1024 * 1024


def _settings_page(status=200, settings_form=None, profile_form=None):
    settings = services.settings_for(g.practice.id)
    team = agenda.practitioners(g.practice.id)
    wanted = id_arg("praticien")
    practitioner = next((p for p in team if p.id == wanted), team[0] if team else None)
    if settings_form is None:
        settings_form = BookingSettingsForm(formdata=None, obj=settings)
        settings_form.secretariat_phone.data = display_phone(settings.secretariat_phone) or settings.secretariat_phone
    if profile_form is None and practitioner is not None:
        profile_form = ProfileForm(formdata=None, obj=practitioner)
    return render("booking/settings.html", status=status, settings=settings, settings_form=settings_form,
                  profile_form=profile_form, team=team, practitioner=practitioner,
                  map_link=services.map_link(g.practice, settings))


@bp.route("/console/reservation/reglages")
@staff_required(Role.practitioner)
def settings():
    return _settings_page()


@bp.route("/console/reservation/reglages", methods=["POST"])
@staff_required(Role.practitioner)
def save_settings():
    form = BookingSettingsForm()
    if not form.validate_on_submit():
        return _settings_page(422, settings_form=form)
    values = {name: f.data for name, f in form._fields.items() if name != "csrf_token"}
    try:
        setup.update_settings(services.settings_for(g.practice.id), actor=current_actor(), **values)
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _settings_page(422, settings_form=form)
    commit()
    return done(_("Réglages de la réservation en ligne enregistrés."), "booking.settings")


@bp.route("/console/reservation/reglages/profil", methods=["POST"])
@staff_required(Role.practitioner)
def save_profile():
    practitioner = agenda.get_practitioner(practice_id=g.practice.id,
                                           practitioner_id=request.args.get("praticien", 0, type=int))
    form = ProfileForm()
    if not form.validate_on_submit():
        return _settings_page(422, profile_form=form)
    upload = form.photo.data
    try:
        setup.update_practitioner_profile(practitioner, specialty=form.specialty.data, diplomas=form.diplomas.data,
                                             photo=upload.read() if upload else None,
                                             remove_photo=form.remove_photo.data, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _settings_page(422, profile_form=form)
    commit()
    return done(_("Profil de %(name)s enregistré.", name=practitioner.display_name), "booking.settings",
                praticien=practitioner.id)


@bp.route("/console/reservation/praticiens/<int:practitioner_id>/photo")
@staff_required()
def photo(practitioner_id):
    practitioner = agenda.get_practitioner(practice_id=g.practice.id, practitioner_id=practitioner_id)
    if not practitioner.photo:
        abort(404)
    resp = make_response(practitioner.photo)
    resp.headers.update({"Content-Type": "image/jpeg", "Cache-Control": "private, max-age=60",
                         "X-Content-Type-Options": "nosniff"})
    return resp


def _contacts_page(status=200, contact_form=None, import_form=None, report=None):
    query = request.args.get("q", "").strip()[:100]
    return render("booking/contacts.html", fragment="booking/_contacts.html", target="booking-contacts",
                  status=status, query=query, contacts=setup.known_contacts(g.practice.id, query),
                  contact_form=contact_form or ContactForm(formdata=None),
                  import_form=import_form or ImportForm(formdata=None), report=report,
                  settings=services.settings_for(g.practice.id))


@bp.route("/console/reservation/contacts")
@staff_required(Role.practitioner)
def contacts():
    return _contacts_page()


@bp.route("/console/reservation/contacts", methods=["POST"])
@staff_required(Role.practitioner)
def add_contact():
    form = ContactForm()
    if not form.validate_on_submit():
        return _contacts_page(422, contact_form=form)
    try:
        contact = setup.add_known_contact(practice_id=g.practice.id, value=form.value.data, note=form.note.data,
                                             actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _contacts_page(422, contact_form=form)
    commit()
    return done(_("« %(value)s » peut réserver en ligne.", value=display_phone(contact.value)
                  if contact.value.startswith("+") else contact.value), "booking.contacts")


@bp.route("/console/reservation/contacts/import", methods=["POST"])
@staff_required(Role.practitioner)
def import_contacts():
    form = ImportForm()
    if not form.validate_on_submit():
        return _contacts_page(422, import_form=form)
    raw = form.file.data.read(IMPORT_MAX_BYTES + 1) if form.file.data else b""
    try:
        if not raw:
            raise Invalid(_("Choisissez un fichier CSV."), "file")
        if len(raw) > IMPORT_MAX_BYTES:
            raise Invalid(_("Fichier trop lourd (2 Mo au plus)."), "file")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")  # Excel's "CSV (séparateur : point-virgule)"
        report = setup.import_known_contacts(practice_id=g.practice.id, text=text,
                                                skip_bad_lines=form.skip_bad_lines.data, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _contacts_page(422, import_form=form)
    if not report.imported:
        db.session.rollback()
        return _contacts_page(422, import_form=form, report=report)
    commit()
    message = ngettext("%(num)d contact importé.", "%(num)d contacts importés.", report.added)
    if report.errors:  # stay on the page: the skipped lines are listed with their numbers
        flash(message + " " + ngettext("%(num)d ligne ignorée (voir ci-dessous).",
                                       "%(num)d lignes ignorées (voir ci-dessous).", len(report.errors)), "success")
        return _contacts_page(report=report)
    return done(message, "booking.contacts")


@bp.route("/console/reservation/contacts/<int:contact_id>/supprimer", methods=["POST"])
@staff_required(Role.practitioner)
def remove_contact(contact_id):
    setup.remove_known_contact(practice_id=g.practice.id, contact_id=contact_id, actor=current_actor())
    commit()
    return done(_("Contact retiré de la liste."), "booking.contacts")


def _bans_page(status=200, form=None):
    return render("booking/bans.html", status=status, bans=setup.bans(g.practice.id),
                  form=form or BanForm(formdata=None))


@bp.route("/console/reservation/interdits")
@staff_required(Role.practitioner)
def bans():
    return _bans_page()


@bp.route("/console/reservation/interdits", methods=["POST"])
@staff_required(Role.practitioner)
def add_ban():
    form = BanForm()
    if not form.validate_on_submit():
        return _bans_page(422, form)
    try:
        setup.add_ban(practice_id=g.practice.id, value=form.value.data, reason=form.reason.data,
                         actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _bans_page(422, form)
    commit()
    return done(_("Cette personne ne peut plus réserver en ligne."), "booking.bans")


@bp.route("/console/reservation/interdits/<int:ban_id>/supprimer", methods=["POST"])
@staff_required(Role.practitioner)
def remove_ban(ban_id):
    setup.remove_ban(practice_id=g.practice.id, ban_id=ban_id, actor=current_actor())
    commit()
    return done(_("Interdiction levée."), "booking.bans")


def _reasons_page(status=200, form=None):
    return render("booking/reasons.html", status=status, reasons=services.visit_reasons(g.practice.id),
                  form=form or ReasonForm(formdata=None), settings=services.settings_for(g.practice.id))


@bp.route("/console/reservation/motifs")
@staff_required(Role.practitioner)
def reasons():
    return _reasons_page()


@bp.route("/console/reservation/motifs", methods=["POST"])
@staff_required(Role.practitioner)
def add_reason():
    form = ReasonForm()
    if not form.validate_on_submit():
        return _reasons_page(422, form)
    try:
        setup.add_reason(practice_id=g.practice.id, label=form.label.data, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _reasons_page(422, form)
    commit()
    return done(_("Motif ajouté."), "booking.reasons")


@bp.route("/console/reservation/motifs/<int:reason_id>/supprimer", methods=["POST"])
@staff_required(Role.practitioner)
def remove_reason(reason_id):
    setup.remove_reason(practice_id=g.practice.id, reason_id=reason_id, actor=current_actor())
    commit()
    return done(_("Motif retiré."), "booking.reasons")


@bp.route("/console/reservation/motifs/<int:reason_id>/deplacer", methods=["POST"])
@staff_required(Role.practitioner)
def move_reason(reason_id):
    setup.move_reason(practice_id=g.practice.id, reason_id=reason_id, up=request.form.get("sens") == "haut",
                         actor=current_actor())
    commit()
    return done(_("Ordre des motifs enregistré."), "booking.reasons")
