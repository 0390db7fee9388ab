"""Predefined messages (seed 000, Paramètres → Onglet Messagerie): texts staff reply with, each
with an optional file. Owners and practitioners manage them; everyone on the team uses them."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from portal.core import audit
from portal.core.audit import Actor
from portal.core.errors import Invalid, NotFound
from portal.extensions import db
from portal.messaging import attachments
from portal.messaging.attachments import Upload
from portal.messaging.models import MessageTemplate
from portal.messaging.services import BODY_MAX


def _clean(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise Invalid(_("Écrivez le texte du message prédéfini."), "body")
    if len(body) > BODY_MAX:
        raise Invalid(_("Ce texte est trop long (%(max)d caractères au plus).", max=BODY_MAX), "body")
    return body


def list_templates(practice_id: int) -> list[MessageTemplate]:
    """The practice's predefined messages, oldest first (the order they were added in)."""
    return list(db.session.scalars(select(MessageTemplate).where(MessageTemplate.practice_id == practice_id)
                                   .order_by(MessageTemplate.id)))


def get_template(*, practice_id: int, template_id: int) -> MessageTemplate:
    """One of the practice's predefined messages, or `NotFound`."""
    row = db.session.scalar(select(MessageTemplate).where(MessageTemplate.id == template_id,
                                                          MessageTemplate.practice_id == practice_id))
    if row is None:
        raise NotFound()
    return row


def _set_file(row: MessageTemplate, upload: Upload | None, *, remove: bool) -> None:
    if upload is not None:
        row.attachment_key = attachments.store(row.practice_id, upload)
        row.attachment_name, row.attachment_type, row.attachment_size = upload.name, upload.mime, len(upload.data)
    elif remove:
        row.attachment_key, row.attachment_name, row.attachment_type, row.attachment_size = None, "", "", 0


def add_template(*, practice_id: int, body: str, upload: Upload | None, actor: Actor) -> MessageTemplate:
    """A new predefined message. Raises `Invalid` for an empty or too long text. Audited."""
    row = MessageTemplate(practice_id=practice_id, body=_clean(body))
    _set_file(row, upload, remove=False)
    db.session.add(row)
    db.session.flush()
    audit.record("messaging.template_added", actor=actor, practice_id=practice_id, target=row)
    return row


def update_template(*, practice_id: int, template_id: int, body: str, upload: Upload | None,
                    remove_attachment: bool, actor: Actor) -> MessageTemplate:
    """Change a predefined message's text and file (a new file replaces the old; `remove_attachment`
    takes it off). `NotFound` for another practice's id, `Invalid` for a bad text. Audited."""
    row = get_template(practice_id=practice_id, template_id=template_id)
    row.body = _clean(body)
    _set_file(row, upload, remove=remove_attachment)
    audit.record("messaging.template_changed", actor=actor, practice_id=practice_id, target=row)
    return row


def delete_template(*, practice_id: int, template_id: int, actor: Actor) -> None:
    """Delete a predefined message (messages already sent with it keep their own copy of the
    file). `NotFound` for another practice's id. Audited."""
    row = get_template(practice_id=practice_id, template_id=template_id)
    audit.record("messaging.template_deleted", actor=actor, practice_id=practice_id, target=row,
                 details={"body": row.body[:80]})
    db.session.delete(row)
