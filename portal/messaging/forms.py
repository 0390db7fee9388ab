"""Forms of the Messagerie: a message (patient or staff) and a predefined message."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import Length

from portal.messaging.services import BODY_MAX

ACCEPT = "image/jpeg,image/png,image/heic,image/heif,application/pdf,.jpg,.jpeg,.png,.heic,.pdf"


class MessageForm(FlaskForm):
    """Emptiness and the file's type are the service's rules; the length is checked here too so
    that an over-long text comes back with what was typed."""

    body = TextAreaField(_l("Votre message"), validators=[Length(max=BODY_MAX)], id="message-body",
                         render_kw={"rows": 3})
    attachment = FileField(_l("Joindre une photo ou un PDF"), id="message-attachment", render_kw={"accept": ACCEPT})
    template_id = HiddenField()


class TemplateForm(FlaskForm):
    body = TextAreaField(_l("Texte du message"), validators=[Length(max=BODY_MAX)], render_kw={"rows": 3})
    attachment = FileField(_l("Pièce jointe (photo ou PDF)"), render_kw={"accept": ACCEPT})
    remove_attachment = BooleanField(_l("Retirer la pièce jointe"))
