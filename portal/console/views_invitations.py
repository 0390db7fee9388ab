"""The console's Invitations (seed 001's publipostage): templates, their preview, a mass send with
its preview and confirmation, an invitation to one patient, the sends' history and letters."""
from __future__ import annotations

import secrets

from flask import g, make_response, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role
from portal.console import bp, invitations as inv, letters
from portal.console.forms import InvitationSendForm, InvitationTemplateForm
from portal.console.models import InvitationChannel, InvitationTemplate
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError, Invalid
from portal.core.web import current_actor, done, form_errors_from, id_arg, not_done, refused, render
from portal.extensions import db
from portal.patients.services import find_one_patient, get_patient


def _preview_patient():
    """The patient a preview is rendered for (?patient= a file number or a name), else the
    sample; with the error when the query matches no one or several."""
    query = request.args.get("patient", "").strip()[:100]
    if not query:
        return inv.sample_patient(g.practice), query, None
    try:
        return find_one_patient(practice_id=g.practice.id, query=query), query, None
    except Invalid as exc:
        return inv.sample_patient(g.practice), query, exc.message


def _editor(form, template=None, status=200):
    shown = InvitationTemplate(channel=InvitationChannel(form.channel.data or "letter"), subject=form.subject.data or "",
                               body=form.body.data or "")
    patient, query, error = _preview_patient()
    preview = inv.render_for(g.practice, shown, patient)
    return render("console/invitation_edit.html", status=status, form=form, template=template, fields=inv.MERGE_FIELDS,
                  preview=preview, channel=shown.channel, patient_query=query, patient_error=error,
                  skipped=inv.SKIP_REASON.get(inv.skip_reason(shown.channel, preview.recipient)), confirm=ConfirmForm())


@bp.route("/invitations")
@staff_required(Role.practitioner)
def invitations():
    templates = inv.default_templates(g.practice)
    commit()
    return render("console/invitations.html", templates=templates, batches=inv.recent_batches(g.practice.id),
                  channel_label=inv.CHANNEL_LABEL)


@bp.route("/invitations/modeles/nouveau", methods=["GET", "POST"])
@staff_required(Role.practitioner)
def invitation_new():
    return _save(None)


@bp.route("/invitations/modeles/<int:template_id>", methods=["GET", "POST"])
@staff_required(Role.practitioner)
def invitation_edit(template_id: int):
    return _save(inv.get_template(practice_id=g.practice.id, template_id=template_id))


def _save(template):
    form = InvitationTemplateForm(obj=template if request.method == "GET" else None)
    if template is not None and request.method == "GET":
        form.channel.data = template.channel.value
    if request.method == "GET" or not form.validate_on_submit():
        return _editor(form, template, 422 if form.is_submitted() else 200)
    try:
        saved = inv.save_template(practice=g.practice, template=template, name=form.name.data or "",
                                  channel=form.channel.data, subject=form.subject.data or "",
                                  body=form.body.data or "", actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _editor(form, template, 422)
    commit()
    return done(_("Modèle « %(name)s » enregistré.", name=saved.name), "console.invitation_edit", template_id=saved.id)


@bp.route("/invitations/modeles/<int:template_id>/supprimer", methods=["POST"])
@staff_required(Role.practitioner)
def invitation_delete(template_id: int):
    template = inv.get_template(practice_id=g.practice.id, template_id=template_id)
    if not ConfirmForm().validate_on_submit():
        return refused(_("Action non effectuée : rechargez la page."), "console.invitation_edit", template_id=template_id)
    inv.delete_template(template, actor=current_actor())
    commit()
    return done(_("Modèle supprimé."), "console.invitations")


@bp.route("/invitations/modeles/<int:template_id>/apercu.pdf")
@staff_required(Role.practitioner)
def invitation_preview_pdf(template_id: int):
    template = inv.get_template(practice_id=g.practice.id, template_id=template_id)
    patient, _query, _error = _preview_patient()
    pdf, _pages = letters.letters_pdf(g.practice, template, [patient])
    return _pdf(pdf, "apercu-courrier.pdf")


@bp.route("/invitations/modeles/<int:template_id>/envoi", methods=["GET", "POST"])
@staff_required(Role.practitioner)
def invitation_mass(template_id: int):
    template = inv.get_template(practice_id=g.practice.id, template_id=template_id)
    plan = inv.plan_send(g.practice, template, inv.not_signed_in(g.practice))
    form = InvitationSendForm()
    if request.method == "GET" or not form.validate_on_submit() or form.previewed.data != plan.stamp:
        changed = request.method == "POST"
        if changed:
            form.form_errors.append(_("La liste des destinataires ou le modèle a changé depuis l'aperçu : vérifiez ce "
                                      "nouvel aperçu, puis confirmez."))
        form.token.data, form.previewed.data = secrets.token_urlsafe(24), plan.stamp
        return render("console/invitation_mass.html", status=409 if changed else 200, form=form, plan=plan,
                      template=template, reasons=inv.SKIP_REASON)
    try:
        batch, created = inv.send(practice=g.practice, plan=plan, token=form.token.data, mass=True, staff=current_user,
                                  actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        return refused(exc.message, "console.invitation_mass", template_id=template.id)
    commit()
    return done(_sent_message(batch, created), "console.invitation_batch", batch_id=batch.id)


def _sent_message(batch, created: bool) -> str:
    if not created:
        return _("Cet envoi avait déjà été fait : rien n'a été envoyé de plus.")
    if batch.channel is InvitationChannel.letter:
        return _("%(n)d courriers prêts : téléchargez le PDF à imprimer.", n=batch.recipients)
    return _("%(n)d invitations envoyées (voir Messages envoyés).", n=batch.recipients)


@bp.route("/invitations/patient/<int:patient_id>", methods=["GET", "POST"])
@staff_required()
def invite_patient(patient_id: int):
    patient = get_patient(practice_id=g.practice.id, patient_id=patient_id)
    templates = inv.default_templates(g.practice)
    form = InvitationSendForm()
    if request.method == "POST" and form.validate_on_submit():
        template = inv.get_template(practice_id=g.practice.id, template_id=id_arg("template_id") or 0)
        try:
            plan = inv.plan_for_patient(g.practice, template, patient)
            batch, created = inv.send(practice=g.practice, plan=plan, token=form.token.data or secrets.token_urlsafe(24),
                                      mass=False, staff=current_user, actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            not_done(exc.message)
        else:
            commit()
            return done(_sent_message(batch, created), "console.invitation_batch", batch_id=batch.id)
    commit()  # the default templates, on a first visit
    choices = []
    for template in templates:
        rendered = inv.render_for(g.practice, template, patient)
        choices.append((template, rendered, inv.skip_reason(template.channel, rendered.recipient)))
    return render("console/invitation_patient.html", status=422 if request.method == "POST" else 200, patient=patient,
                  choices=choices, token=secrets.token_urlsafe(24), reasons=inv.SKIP_REASON, form=form)


@bp.route("/invitations/envois/<int:batch_id>")
@staff_required()
def invitation_batch(batch_id: int):
    batch = inv.get_batch(practice_id=g.practice.id, batch_id=batch_id)
    return render("console/invitation_batch.html", batch=batch, channel_label=inv.CHANNEL_LABEL,
                  parts=letters.batch_parts(batch), per_part=letters.PART)


@bp.route("/invitations/envois/<int:batch_id>/courriers.pdf")
@staff_required()
def invitation_letters(batch_id: int):
    batch = inv.get_batch(practice_id=g.practice.id, batch_id=batch_id)
    if batch.channel is not InvitationChannel.letter:
        return refused(_("Cet envoi n'est pas un courrier."), "console.invitation_batch", batch_id=batch.id)
    part = id_arg("partie") or 1
    pdf, _pages = letters.batch_pdf(batch, actor=current_actor(), part=part)
    commit()
    return _pdf(pdf, f"invitations-{batch.id}-{part}.pdf")


def _pdf(data: bytes, name: str):
    resp = make_response(data)
    resp.headers["Content-Type"] = "application/pdf"
    resp.headers["Content-Disposition"] = f'inline; filename="{name}"'
    resp.headers["Cache-Control"] = "private, no-store"  # patients' names and addresses
    return resp
