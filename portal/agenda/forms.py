"""Agenda forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, Length

REQUIRED = _l("Ce champ est obligatoire.")


class BookingForm(FlaskForm):
    """One form for the whole day: the patient once, then one submit button per free slot,
    whose value says which slot ("<UTC instant>|<type id>")."""

    practitioner_id = IntegerField(validators=[DataRequired(REQUIRED)])
    patient_number = StringField(_l("N° de dossier du patient"), validators=[DataRequired(REQUIRED), Length(max=20)],
                                 render_kw={"inputmode": "numeric", "autocomplete": "off"})
    slot = HiddenField(validators=[DataRequired(_l("Choisissez un créneau."))])
    note = StringField(_l("Message pour l'équipe (facultatif)"), validators=[Length(max=500)])


class BlockForm(FlaskForm):
    practitioner_id = IntegerField(validators=[DataRequired(REQUIRED)])
    starts = TimeField(_l("De"), validators=[DataRequired(_l("Saisissez une heure."))])
    ends = TimeField(_l("À"), validators=[DataRequired(_l("Saisissez une heure."))])
    appointment_type_id = SelectField(_l("Types concernés"), coerce=int, choices=[], validate_choice=True)
    label = StringField(_l("Motif (facultatif)"), validators=[Length(max=200)])


class DaysOffForm(FlaskForm):
    practitioner_id = IntegerField(validators=[DataRequired(REQUIRED)])
    first = DateField(_l("Du"), validators=[DataRequired(_l("Saisissez une date valide."))])
    last = DateField(_l("Au"), validators=[DataRequired(_l("Saisissez une date valide."))])
    label = StringField(_l("Motif (facultatif)"), validators=[Length(max=200)])
