"""The patient space's Messagerie: the conversation of the file shown, sending a message with
an optional photo or PDF, and the files of the conversation."""
from __future__ import annotations

from flask import abort, g, send_file, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from portal.core.auth import module_open, module_required, patient_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, form_errors_from, render, wants_fragment
from portal.extensions import db, limiter
from portal.messaging import attachments, bp, services
from portal.messaging.forms import MessageForm

# Per account: a family on a phone network shares its IP with thousands.
SEND_LIMIT = "30 per hour;200 per day"


def _sender_key() -> str:
    return f"messaging:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def upload_from(form):
    """The form's file, checked (`Invalid` on the field when it is not one we keep), or None."""
    file = form.attachment.data
    if not file or not getattr(file, "filename", ""):
        return None
    return attachments.check_file(file.read(), file.filename, field="attachment")


def _page(form, *, status=200, fragment="messaging/_thread.html", target="messaging-thread"):
    messages = services.thread(practice_id=g.practice.id, patient_id=g.patient.id)
    return render("messaging/index.html", fragment=fragment, target=target, status=status, messages=messages,
                  form=form, viewer="patient", poll_url=url_for("messaging.index"))


@bp.route("/messagerie")
@patient_required
def index():
    """The conversation, oldest to newest; htmx polls the thread (root id messaging-thread).
    Seeing it reads the practice's messages. Switched off: 404, except to a poll from a page
    opened before, which gets 286 (htmx stops polling) and a line saying so, not an error toast
    every 20 seconds."""
    if not module_open("messaging"):
        if wants_fragment("messaging-thread"):
            return render("messaging/_closed.html", status=286)
        abort(404)
    services.read_by_patient(practice_id=g.practice.id, patient_id=g.patient.id)
    commit()
    return _page(MessageForm(formdata=None))


@bp.route("/messagerie", methods=["POST"])
@patient_required
@module_required("messaging")
@limiter.limit(SEND_LIMIT, key_func=_sender_key)
def send():
    """Send a message for the file shown. Bad input comes back in place (422) with the text typed."""
    form = MessageForm()
    swap = dict(fragment="messaging/_conversation.html", target="messaging-conversation")
    if not form.validate_on_submit():
        return _page(form, status=422, **swap)
    try:
        services.send_from_patient(practice=g.practice, account=current_user, patient=g.patient,
                                   body=form.body.data, upload=upload_from(form), actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _page(form, status=422, **swap)
    commit()
    if wants_fragment("messaging-conversation"):
        return _page(MessageForm(formdata=None), **swap)
    return done(_("Message envoyé."), "messaging.index")


@bp.route("/messagerie/pieces/<int:patient_message_id>")
@patient_required
@module_required("messaging")
def attachment(patient_message_id: int):
    """A file of a conversation this account may see (any other id: 404)."""
    message = services.message_for_patient(practice_id=g.practice.id, patient_ids=[p.id for p in g.patients],
                                           message_id=patient_message_id)
    return send_message_file(message)


def send_message_file(row):
    path = attachments.path_of(row.attachment_key) if row.has_attachment else None
    if path is None or not path.is_file():  # no file, or lost from the storage: nothing to serve
        abort(404)
    response = send_file(path, mimetype=row.attachment_type,
                         download_name=row.attachment_name, as_attachment=not row.attachment_is_image,
                         max_age=0, conditional=False)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.app_context_processor
def _messaging_context():
    def messaging_unread() -> int:
        """The file shown's unread messages from the practice (the space's badge)."""
        patient = getattr(g, "patient", None)
        if patient is None or not module_open("messaging"):
            return 0
        return services.unread_for_patient(practice_id=g.practice.id, patient_id=patient.id)

    return {"messaging_unread": messaging_unread, "photo_formats": attachments.PHOTO_FORMATS}
