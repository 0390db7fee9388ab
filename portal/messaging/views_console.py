"""The console's Messagerie: the practice's one inbox (conversations, unread first), a
conversation with the reply form, read / unread, and the files."""
from __future__ import annotations

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.forms import ConfirmForm
from portal.core.auth import module_open, module_required, staff_required
from portal.core.db import commit
from portal.core.errors import DomainError, NotFound
from portal.core.web import MAX_ID, current_actor, done, form_errors_from, id_arg, refused, render, safe_next
from portal.extensions import db
from portal.messaging import bp, predefined, services
from portal.messaging.forms import MessageForm
from portal.messaging.views import send_message_file, upload_from
from portal.patients.services import get_patient


@bp.route("/console/messagerie")
@staff_required()
def inbox():
    return render("messaging/inbox.html", conversations=services.conversations(g.practice.id),
                  unread=services.unread_count(g.practice.id))


@bp.route("/console/cabinet/messages")
@staff_required()
def old_inbox():
    """The inbox's address before the Messagerie (links in e-mails already sent)."""
    return redirect(url_for("messaging.inbox"), code=301)


@bp.route("/console/messagerie/non-lus")
@staff_required()
def unread_badge():
    """The side menu's unread count, polled by htmx."""
    return render("messaging/_unread_badge.html")


def _template(template_id):
    """The predefined message picked (an id from the query string or the form), or None."""
    try:
        template_id = int(template_id or 0)
    except (TypeError, ValueError):
        return None
    if not 0 < template_id <= MAX_ID:
        return None
    try:
        return predefined.get_template(practice_id=g.practice.id, template_id=template_id)
    except NotFound:
        return None  # a template deleted meanwhile: the reply goes without it


def _conversation_page(patient, form, *, status=200, messages=None):
    if messages is None:
        messages = services.thread(practice_id=g.practice.id, patient_id=patient.id)
    return render("messaging/conversation.html", fragment="messaging/_thread.html", target="messaging-thread",
                  status=status, patient=patient, messages=messages, form=form, confirm=ConfirmForm(),
                  templates=predefined.list_templates(g.practice.id), chosen=_template(form.template_id.data),
                  viewer="staff", can_reply=module_open("messaging"),
                  poll_url=url_for("messaging.conversation", patient_id=patient.id))


@bp.route("/console/messagerie/patients/<int:patient_id>")
@staff_required()
def conversation(patient_id: int):
    """One file's conversation; opening it reads what the patient sent. `?modele=` fills the
    reply with a predefined message."""
    patient = get_patient(practice_id=g.practice.id, patient_id=patient_id)
    messages = services.open_thread(practice_id=g.practice.id, patient_id=patient.id, by=current_user,
                                     actor=current_actor())
    commit()
    form = MessageForm(formdata=None)
    chosen = _template(id_arg("modele"))
    if chosen is not None:
        form.body.data, form.template_id.data = chosen.body, str(chosen.id)
    return _conversation_page(patient, form, messages=messages)


@bp.route("/console/messagerie/patients/<int:patient_id>", methods=["POST"])
@staff_required()
@module_required("messaging")
def reply(patient_id: int):
    patient = get_patient(practice_id=g.practice.id, patient_id=patient_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return _conversation_page(patient, form, status=422)
    try:
        services.reply(practice=g.practice, patient=patient, author=current_user, body=form.body.data,
                       upload=upload_from(form), template=_template(id_arg("template_id")), actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _conversation_page(patient, form, status=422)
    commit()
    flash(_("Réponse envoyée."), "success")
    # Back where the reply was written: the conversation, or the patient page's Messages tab.
    return redirect(safe_next(url_for("messaging.conversation", patient_id=patient.id)), code=303)


@bp.route("/console/messagerie/patients/<int:patient_id>/non-lu", methods=["POST"])
@staff_required()
def mark_unread(patient_id: int):
    """"Marquer non lu", then back to the inbox (staying on the conversation would read it again)."""
    patient = get_patient(practice_id=g.practice.id, patient_id=patient_id)
    if not ConfirmForm().validate_on_submit():
        return refused(_("Action non effectuée : rechargez la page."), "messaging.conversation", patient_id=patient.id)
    services.mark_unread(practice_id=g.practice.id, patient_id=patient.id, actor=current_actor())
    commit()
    return done(_("Conversation marquée comme non lue."), "messaging.inbox")


@bp.route("/console/messagerie/pieces/<int:patient_message_id>")
@staff_required()
def staff_attachment(patient_message_id: int):
    message = services.attachment_for_staff(practice_id=g.practice.id, message_id=patient_message_id,
                                            actor=current_actor())
    commit()  # the download's audit entry
    return send_message_file(message)


@bp.app_context_processor
def _console_context():
    def console_unread_messages() -> int:
        if not getattr(current_user, "is_authenticated", False) or current_user.kind != "staff":
            return 0
        return services.unread_count(current_user.practice_id)

    return {"console_unread_messages": console_unread_messages}
