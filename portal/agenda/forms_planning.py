"""Forms of the planning pages: a calendar event (post-it, seed 003 § 12)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from portal.agenda.forms import REQUIRED, choices

EVENT_COLOR_CHOICES = choices([("#f2c94c", _l("Jaune")), ("#f2994a", _l("Orange")), ("#eb5757", _l("Rose")),
                               ("#6fcf97", _l("Vert")), ("#56ccf2", _l("Bleu")), ("#bb6bd9", _l("Violet"))])


class EventForm(FlaskForm):
    """Ids prefixed "event-": the form shares the week page with the planning's own ids."""

    practitioner_id = SelectField(_l("Agenda"), coerce=int, choices=[], id="event-practitioner")
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=200)], id="event-title")
    starts_on = DateField(_l("Du"), validators=[DataRequired(_l("Saisissez une date valide."))], id="event-starts-on")
    ends_on = DateField(_l("Au"), validators=[DataRequired(_l("Saisissez une date valide."))], id="event-ends-on")
    starts = TimeField(_l("De (facultatif)"), validators=[Optional()], id="event-starts")
    ends = TimeField(_l("À (facultatif)"), validators=[Optional()], id="event-ends")
    details = TextAreaField(_l("Détails (facultatif)"), validators=[Length(max=2000)], id="event-details")
    color = SelectField(_l("Couleur"), choices=EVENT_COLOR_CHOICES, id="event-color")
