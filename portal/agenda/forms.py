"""Agenda forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField,
                     TimeField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

REQUIRED = _l("Ce champ est obligatoire.")


class BookingForm(FlaskForm):
    """One form for the whole day: the patient once, then one submit button per free slot,
    whose value says which slot ("<UTC instant>|<type id>")."""

    practitioner_id = IntegerField(validators=[DataRequired(REQUIRED)])
    patient_number = StringField(_l("Patient : n° de dossier, portable ou nom"),
                                 validators=[DataRequired(REQUIRED), Length(max=100)], render_kw={"autocomplete": "off"})
    slot = HiddenField(validators=[DataRequired(_l("Choisissez un créneau."))])
    note = StringField(_l("Message pour l'équipe (facultatif)"), validators=[Length(max=500)])


class BlockForm(FlaskForm):
    # Ids of their own: this form shares the day page with the booking, extra and days-off forms.
    practitioner_id = IntegerField(validators=[DataRequired(REQUIRED)])
    starts = TimeField(_l("De"), validators=[DataRequired(_l("Saisissez une heure."))], id="block-starts")
    ends = TimeField(_l("À"), validators=[DataRequired(_l("Saisissez une heure."))], id="block-ends")
    appointment_type_id = SelectField(_l("Types concernés"), coerce=int, choices=[], validate_choice=True,
                                      id="block-type")
    label = StringField(_l("Motif (facultatif)"), validators=[Length(max=200)], id="block-label")


class DaysOffForm(FlaskForm):
    practitioner_id = IntegerField(validators=[DataRequired(REQUIRED)])
    first = DateField(_l("Du"), id="days-off-first", validators=[DataRequired(_l("Saisissez une date valide."))])
    last = DateField(_l("Au"), id="days-off-last", validators=[DataRequired(_l("Saisissez une date valide."))])
    label = StringField(_l("Motif (facultatif)"), validators=[Length(max=200)], id="days-off-label")


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them."""
    return [SelectChoice(value, label) for value, label in pairs]


WEEKDAYS = choices([(0, _l("Lundi")), (1, _l("Mardi")), (2, _l("Mercredi")), (3, _l("Jeudi")), (4, _l("Vendredi")),
                    (5, _l("Samedi")), (6, _l("Dimanche"))])


class TypeForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=120)])
    code = StringField(_l("Code court"), validators=[Length(max=12)], render_kw={"autocapitalize": "characters"})
    duration_minutes = IntegerField(_l("Durée (minutes)"), validators=[DataRequired(_l("Saisissez une durée en minutes."))])
    online = BooleanField(_l("Réservable en ligne"))


class ScheduleForm(FlaskForm):
    name = StringField(_l("Nom de l'emploi du temps"), validators=[DataRequired(REQUIRED), Length(max=120)])


class RangeForm(FlaskForm):
    schedule_id = SelectField(_l("Emploi du temps"), coerce=int, choices=[])
    weekday = SelectField(_l("Jour"), coerce=int, choices=WEEKDAYS)
    starts = TimeField(_l("De"), validators=[DataRequired(_l("Saisissez une heure."))])
    ends = TimeField(_l("À"), validators=[DataRequired(_l("Saisissez une heure."))])
    appointment_type_id = SelectField(_l("Type de rendez-vous"), coerce=int, choices=[])


class ActivationForm(FlaskForm):
    schedule_id = SelectField(_l("Emploi du temps"), coerce=int, choices=[])
    starts_on = DateField(_l("À partir du"), validators=[DataRequired(_l("Saisissez une date valide."))])
    ends_on = DateField(_l("Jusqu'au (facultatif)"), validators=[Optional()])


class ExtraForm(FlaskForm):
    """A visit outside the templates (seed 003 § 7a), shown "E" on the planning."""

    practitioner_id = IntegerField(validators=[DataRequired(REQUIRED)])
    patient_number = StringField(_l("Patient : n° de dossier, portable ou nom"),
                                 validators=[DataRequired(REQUIRED), Length(max=100)], render_kw={"autocomplete": "off"},
                                 id="extra-patient")
    starts = TimeField(_l("Heure"), validators=[DataRequired(_l("Saisissez une heure."))], id="extra-starts")
    appointment_type_id = SelectField(_l("Type de rendez-vous"), coerce=int, choices=[], id="extra-type")


class BulkCancelForm(FlaskForm):
    """Seed 003 § 4: a practitioner, dates, types, a time range, a message; preview, then confirm."""

    practitioner_id = SelectField(_l("Praticien"), coerce=int, choices=[])
    first = DateField(_l("Du"), validators=[DataRequired(_l("Saisissez une date valide."))])
    last = DateField(_l("Au"), validators=[DataRequired(_l("Saisissez une date valide."))])
    appointment_type_id = SelectField(_l("Types concernés"), coerce=int, choices=[])
    starts = TimeField(_l("De (facultatif)"), validators=[Optional()])
    ends = TimeField(_l("À (facultatif)"), validators=[Optional()])
    message = TextAreaField(_l("Message aux patients"), validators=[DataRequired(REQUIRED), Length(max=300)])
    send_sms = BooleanField(_l("Prévenir aussi par SMS"))
    block = BooleanField(_l("Bloquer les créneaux libérés"))
