"""Patient space: "Mes infos" (change requests), "Gestion des patients", and RGPD (privacy
page, consent step, my data as a page and a JSON file, asking to close the account)."""
from __future__ import annotations

import json
from datetime import date, datetime

from flask import Response, g, redirect, url_for
from flask_limiter.util import get_remote_address
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import bp as accounts_bp
from portal.core.auth import patient_required, public
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, form_errors_from, invalid, render
from portal.extensions import db, limiter
from portal.patients import links, privacy, requests
from portal.patients.forms import (AddPatientForm, ConsentForm, DeletionForm, LinkRequestForm, PatientDetailsForm,
                                   PersonForm)
from portal.patients.services import patient_for_account
from portal.space import bp


def before_consent(view):
    """Mark a patient view as reachable before the privacy notice is accepted."""
    view.before_consent = True
    return view


def _patient_form(patient, formdata=None):
    data = {**requests.patient_details(patient), "birth_date": patient.birth_date, "mobile": patient.mobile_display}
    return PatientDetailsForm(formdata=formdata, data=data, prefix=f"p{patient.id}")


def _info_page(person_form=None, patient_forms=None, status=200):
    person = requests.person_details(current_user)
    if person_form is None and person is not None:
        person_form = PersonForm(formdata=None, data=person, prefix="me")
    forms = {p.id: (patient_forms or {}).get(p.id) or _patient_form(p) for p in g.patients}
    return render("space/my_info.html", person_form=person_form, patient_forms=forms, status=status,
                  requests=requests.account_requests(current_user))


@bp.route("/mes-infos")
@patient_required
def my_info():
    return _info_page()


def _ask(form, patient=None):
    """Validate `form` and file the request; the page again with the typed values on a miss."""
    if form.validate_on_submit():
        values = {name: form[name].data for name in form._fields if name != "csrf_token"}
        try:
            requests.request_details_change(current_user, values=values, patient=patient, actor=current_actor())
            commit()
            return done(_("Demande envoyée au cabinet : elle sera appliquée après validation."), "space.my_info")
        except DomainError as exc:
            db.session.rollback()
            form_errors_from(exc, form)
    if patient is None:
        return _info_page(person_form=form, status=422)
    return _info_page(patient_forms={patient.id: form}, status=422)


@bp.route("/mes-infos/moi", methods=["POST"])
@patient_required
def my_info_person():
    if requests.person_details(current_user) is None:
        return redirect(url_for("space.my_info"), code=303)
    return _ask(PersonForm(prefix="me"))


@bp.route("/mes-infos/patients/<int:patient_id>", methods=["POST"])
@patient_required
def my_info_patient(patient_id: int):
    patient = patient_for_account(current_user, patient_id)
    return _ask(PatientDetailsForm(prefix=f"p{patient.id}"), patient=patient)


# Per account (a family's phone network may share one address with thousands): a few requests
# an hour is plenty for a family and slows anyone trying names.
LINK_LIMIT = "5 per hour;20 per day"


def _link_limit_key() -> str:
    return f"link:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def _manage_page(form, link_form=None, status=200):
    return render("space/manage_patients.html", form=form, link_form=link_form, status=status,
                  link_requests=links.link_requests(current_user), max_open=links.MAX_OPEN)


@bp.route("/gestion-patients", methods=["GET", "POST"])
@limiter.limit("20 per 15 minutes", methods=["POST"])
@patient_required
def manage_patients():
    """The patients this number sees, whose file is shown, and "add a patient": a look-up that
    only ever finds a patient already linked to the number (anyone else: a neutral answer, then
    the offer to ask the practice, prefilled with what was typed)."""
    form = AddPatientForm()
    link_form = None
    if form.validate_on_submit():
        try:
            found = requests.look_up_patient(current_user, last_name=form.last_name.data,
                                             first_name=form.first_name.data, birth_date=form.birth_date.data,
                                             actor=current_actor())
            return done(_("%(name)s est déjà dans votre liste : choisissez son dossier ci-dessous.",
                          name=found.full_name), "space.manage_patients")
        except DomainError as exc:
            commit()  # the audit entry of a miss stays
            form_errors_from(exc, form)
            link_form = LinkRequestForm(formdata=None, data={
                "last_name": form.last_name.data, "first_name": form.first_name.data,
                "birth_date": form.birth_date.data})
    return _manage_page(form, link_form, status=422 if form.is_submitted() else 200)


@bp.route("/gestion-patients/demande", methods=["POST"])
@patient_required
@limiter.limit(LINK_LIMIT, key_func=_link_limit_key)
def link_request():
    """Ask the practice to link a patient to this number. Whatever the practice holds, the
    answer is the same: the request waits for staff."""
    link_form = LinkRequestForm()
    if link_form.validate_on_submit():
        try:
            links.request_link(current_user, last_name=link_form.last_name.data,
                               first_name=link_form.first_name.data, birth_date=link_form.birth_date.data,
                               relation=link_form.relation.data or "", note=link_form.note.data or "",
                               actor=current_actor())
            commit()
            return done(_("Demande envoyée au cabinet. Vous verrez ici sa réponse."), "space.manage_patients")
        except DomainError as exc:
            db.session.rollback()
            form_errors_from(exc, link_form)
    return _manage_page(AddPatientForm(formdata=None), link_form, status=422)


@accounts_bp.route("/confidentialite")  # public, so on the sign-in pages' blueprint
@public
def privacy_page():
    from flask_login import current_user as user

    signed_in = user.is_authenticated and user.kind == "patient"
    return render("space/privacy.html", version=privacy.CONSENT_VERSION, signed_in=signed_in)


@bp.route("/consentement", methods=["GET", "POST"])
@patient_required
@before_consent
def consent():
    """The consent step at first sign-in (and again when the notice changes)."""
    if not privacy.needs_consent(current_user):
        return redirect(url_for("space.home"))
    form = ConsentForm()
    if form.validate_on_submit():
        privacy.give_consent(current_user, actor=current_actor())
        commit()
        return done(_("Merci. Bienvenue dans votre espace."), "space.home")
    return render("space/consent.html", form=form, version=privacy.CONSENT_VERSION,
                  status=422 if form.is_submitted() else 200)


def _local(iso: str | None) -> str:
    """An ISO instant of the export, shown in the practice's time zone (the JSON keeps UTC)."""
    return format_datetime(datetime.fromisoformat(iso), "short") if iso else "—"


def _day(iso: str | None) -> str:
    """An ISO date or instant of the export as the interface writes dates (instants in the
    practice's zone: flask_babel rebases a datetime)."""
    if not iso:
        return "—"
    return format_date(date.fromisoformat(iso) if len(iso) <= 10 else datetime.fromisoformat(iso), "short")


@bp.route("/mes-donnees")
@patient_required
def my_data():
    data = privacy.account_data(current_user)
    privacy.record_export(current_user, actor=current_actor(), fmt="html")
    commit()
    return render("space/my_data.html", data=data, deletion=DeletionForm(), when=_local, day=_day)


@bp.route("/mes-donnees.json")
@patient_required
def my_data_json():
    data = privacy.account_data(current_user)
    privacy.record_export(current_user, actor=current_actor(), fmt="json")
    commit()
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="mes-donnees-sourire.json"',
                             "Cache-Control": "no-store"})


@bp.route("/mes-donnees/suppression", methods=["POST"])
@patient_required
def delete_account_request():
    form = DeletionForm()
    if not form.validate_on_submit():
        return invalid("space/my_data.html", data=privacy.account_data(current_user), deletion=form, when=_local,
                       day=_day)
    requests.request_account_deletion(current_user, actor=current_actor())
    commit()
    return done(_("Demande de suppression envoyée au cabinet. Votre compte reste ouvert jusqu'à son traitement ; "
                  "les dossiers de soins sont conservés selon les durées légales."), "space.my_info")
