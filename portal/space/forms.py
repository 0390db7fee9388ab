"""Forms of Mon cabinet: the patient's message to the practice, and the practice's
coordinates as staff edit them (console → Cabinet → Coordonnées)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, StringField, TextAreaField
from wtforms.validators import Length

from portal.core.models import INFO_ZONES
from portal.messaging.services import BODY_MAX, SUBJECT_MAX


class ContactForm(FlaskForm):
    """Seed 001 "Contact": "Envoyer un e-mail à mon orthodontiste". Emptiness is the service's
    rule (one message for the form and the API alike); lengths are checked here too so that an
    over-long text keeps what was typed with its message."""

    subject = StringField(_l("Objet"), validators=[Length(max=SUBJECT_MAX)], id="contact-subject")
    body = TextAreaField(_l("Votre message"), validators=[Length(max=BODY_MAX)], id="contact-body",
                         render_kw={"rows": 5})


class CoordinatesForm(FlaskForm):
    address = StringField(_l("Adresse"), validators=[Length(max=200)])
    postal_code = StringField(_l("Code postal"), validators=[Length(max=12)])
    city = StringField(_l("Ville"), validators=[Length(max=100)])
    phone = StringField(_l("Téléphone"), validators=[Length(max=30)], render_kw={"inputmode": "tel"})
    phone_secondary = StringField(_l("Second téléphone"), validators=[Length(max=30)], render_kw={"inputmode": "tel"})
    email = StringField(_l("E-mail du cabinet"), validators=[Length(max=200)], render_kw={"inputmode": "email"})
    opening_hours = TextAreaField(_l("Horaires"), validators=[Length(max=2000)], render_kw={"rows": 3})
    info_zones = FieldList(TextAreaField(validators=[Length(max=2000)], render_kw={"rows": 2}),
                           min_entries=INFO_ZONES, max_entries=INFO_ZONES)
