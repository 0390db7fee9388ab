"""Agenda forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, ColorField, DateField, HiddenField, IntegerField, SelectField, SelectMultipleField,
                     StringField, TextAreaField, TimeField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

REQUIRED = _l("Ce champ est obligatoire.")


class PatientPickForm(FlaskForm):
    """Who the visit is for (seed 003 § 1): a search (file number, mobile, name or e-mail), a
    pick among several matches or a family member (`patient_id`), or a new patient typed in."""

    patient_number = StringField(_l("Patient : n° de dossier, portable, nom ou e-mail"),
                                 validators=[Optional(), Length(max=100)], render_kw={"autocomplete": "off"})
    patient_id = IntegerField(validators=[Optional()])
    new_last_name = StringField(_l("Nom"), validators=[Length(max=80)])
    new_first_name = StringField(_l("Prénom"), validators=[Length(max=80)])
    new_birth_date = DateField(_l("Date de naissance"), validators=[Optional()])
    new_mobile = StringField(_l("Portable"), validators=[Length(max=30)], render_kw={"inputmode": "tel"})
    new_email = StringField(_l("E-mail"), validators=[Length(max=200)], render_kw={"inputmode": "email"})

    def new_patient(self) -> dict | None:
        """The new patient's details, when staff typed any."""
        if not any(f.data for f in (self.new_last_name, self.new_first_name, self.new_birth_date, self.new_mobile,
                                    self.new_email)):
            return None
        return {"last_name": self.new_last_name.data or "", "first_name": self.new_first_name.data or "",
                "birth_date": self.new_birth_date.data, "mobile": self.new_mobile.data or "",
                "email": self.new_email.data or ""}


class BookingForm(PatientPickForm):
    """One form for the whole day: the patient once, then one submit button per free slot,
    whose value says which slot ("<UTC instant>|<type id>")."""

    practitioner_id = IntegerField(validators=[DataRequired(REQUIRED)])
    slot = HiddenField(validators=[DataRequired(_l("Choisissez un créneau."))])
    note = StringField(_l("Message pour l'équipe (facultatif)"), validators=[Length(max=500)])
    patient_message = TextAreaField(_l("Message pour le patient (facultatif)"), validators=[Length(max=300)])
    teleconsult_mobile = StringField(_l("Portable pour la téléconsultation"), validators=[Length(max=30)],
                                     render_kw={"inputmode": "tel"})
    confirm = BooleanField(_l("Envoyer la confirmation au patient (SMS ou e-mail)"), default=True)
    waiting = BooleanField(_l("Inscrire plutôt sur la liste d'attente (type du créneau choisi)"))
    wishes = StringField(_l("Souhaits pour la liste d'attente (facultatif)"), validators=[Length(max=300)])


class WaitingForm(PatientPickForm):
    """Seed 003 § 3: a patient waiting for a time to free up, without an appointment."""

    practitioner_id = IntegerField(validators=[DataRequired(REQUIRED)])
    appointment_type_id = SelectField(_l("Type de rendez-vous"), coerce=int, choices=[])
    wishes = StringField(_l("Souhaits (facultatif)"), validators=[Length(max=300)],
                         render_kw={"placeholder": _l("les matins, pas le mercredi…")})


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Notes pour l'équipe"), validators=[Length(max=500)])


class RemarksForm(FlaskForm):
    remarks = TextAreaField(_l("Remarques sur ce patient"), validators=[Length(max=2000)])


class MoveForm(FlaskForm):
    """Another time for a visit (or its copy): a free slot's button ("<UTC instant>"), or a date
    and an hour typed in, booked as an extra."""

    slot = HiddenField()
    day = DateField(_l("Date"), validators=[Optional()])
    starts = TimeField(_l("Heure"), validators=[Optional()])


class BlockForm(FlaskForm):
    # Ids of their own: this form shares the day page with the booking, extra and days-off forms.
    practitioner_id = IntegerField(validators=[DataRequired(REQUIRED)])
    starts = TimeField(_l("De"), validators=[DataRequired(_l("Saisissez une heure."))], id="block-starts")
    ends = TimeField(_l("À"), validators=[DataRequired(_l("Saisissez une heure."))], id="block-ends")
    appointment_type_id = SelectField(_l("Types concernés"), coerce=int, choices=[], validate_choice=True,
                                      id="block-type")
    until = DateField(_l("Chaque jour jusqu'au (facultatif)"), validators=[Optional()], id="block-until")
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
    # Ids of their own: these forms share the settings page with the type and range forms.
    name = StringField(_l("Nom de l'emploi du temps"), validators=[DataRequired(REQUIRED), Length(max=120)],
                       id="schedule-name")


class RangeForm(FlaskForm):
    schedule_id = SelectField(_l("Emploi du temps"), coerce=int, choices=[])
    weekday = SelectField(_l("Jour"), coerce=int, choices=WEEKDAYS)
    starts = TimeField(_l("De"), validators=[DataRequired(_l("Saisissez une heure."))])
    ends = TimeField(_l("À"), validators=[DataRequired(_l("Saisissez une heure."))])
    appointment_type_id = SelectField(_l("Type de rendez-vous"), coerce=int, choices=[])


class ActivationForm(FlaskForm):
    schedule_id = SelectField(_l("Emploi du temps"), coerce=int, choices=[], id="activation-schedule")
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


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (weekdays, types, practitioners)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


NUMBER = _l("Saisissez un nombre entier.")


class TypeEditForm(FlaskForm):
    """Every setting of an appointment type (seed 003 § 13)."""

    name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=120)])
    code = StringField(_l("Code court"), validators=[Length(max=12)], render_kw={"autocapitalize": "characters"})
    duration_minutes = IntegerField(_l("Durée (minutes)"), validators=[InputRequired(NUMBER)])
    color = ColorField(_l("Couleur"), validators=[DataRequired(REQUIRED)])
    online = BooleanField(_l("Les patients peuvent le réserver en ligne"))
    new_patients = BooleanField(_l("Les nouveaux patients aussi"))
    min_notice_hours = IntegerField(_l("Délai minimum avant le rendez-vous (heures)"), validators=[InputRequired(NUMBER)])
    max_days_ahead = IntegerField(_l("Réservable jusqu'à (jours à l'avance)"), validators=[InputRequired(NUMBER)])
    booking_message = TextAreaField(_l("Message affiché à la réservation"), validators=[Length(max=2000)])
    teleconsultation = BooleanField(_l("Téléconsultation"))
    prepayment = BooleanField(_l("Paiement à la réservation (téléconsultation)"))
    price = StringField(_l("Prix de la visite (€)"), validators=[Length(max=20)],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    carte_vitale = BooleanField(_l("Carte Vitale à présenter"))
    patient_can_cancel = BooleanField(_l("Le patient peut l'annuler lui-même"))
    cancel_deadline_hours = IntegerField(_l("Annulation possible jusqu'à (heures avant)"),
                                         validators=[InputRequired(NUMBER)])


class CopyDayForm(FlaskForm):
    schedule_id = SelectField(_l("Emploi du temps"), coerce=int, choices=[], id="copy-day-schedule")
    source = SelectField(_l("Copier les plages du"), coerce=int, choices=WEEKDAYS, id="copy-day-source")
    targets = CheckboxesField(_l("Sur les jours"), coerce=int, choices=WEEKDAYS, id="copy-day-targets")
    replace = BooleanField(_l("Remplacer les plages de ces jours"), id="copy-day-replace")


class CopyTypeForm(FlaskForm):
    practitioner_ids = CheckboxesField(_l("Créer ce type aussi pour"), coerce=int, choices=[])


class ExtraRangesForm(FlaskForm):
    """Extra ranges (seed 003 § 7b): types, a date or a period with weekdays, a time range."""

    appointment_type_ids = CheckboxesField(_l("Types de rendez-vous"), coerce=int, choices=[])
    first = DateField(_l("Le (ou du)"), validators=[DataRequired(_l("Saisissez une date valide."))])
    last = DateField(_l("Au (facultatif)"), validators=[Optional()])
    weekdays = CheckboxesField(_l("Jours de la semaine (pour une période)"), coerce=int, choices=WEEKDAYS)
    starts = TimeField(_l("De"), validators=[DataRequired(_l("Saisissez une heure."))])
    ends = TimeField(_l("À (fin du dernier rendez-vous)"), validators=[DataRequired(_l("Saisissez une heure."))])


class ReplacementForm(FlaskForm):
    """A replacement (seed 003 § 11); the substitute is chosen, or typed to be created."""

    name = StringField(_l("Nom du remplacement"), validators=[DataRequired(REQUIRED), Length(max=120)])
    practitioner_id = SelectField(_l("Praticien remplacé"), coerce=int, choices=[])
    substitute_id = SelectField(_l("Remplaçant"), coerce=int, choices=[])
    substitute_title = StringField(_l("Titre"), default="Dr", validators=[Length(max=20)])
    substitute_first_name = StringField(_l("Prénom"), validators=[Length(max=80)])
    substitute_last_name = StringField(_l("Nom"), validators=[Length(max=80)])
    schedule_id = SelectField(_l("Emploi du temps du remplaçant"), coerce=int, choices=[])
    starts_on = DateField(_l("Du"), validators=[DataRequired(_l("Saisissez une date valide."))])
    ends_on = DateField(_l("Au"), validators=[DataRequired(_l("Saisissez une date valide."))])
    weekdays = CheckboxesField(_l("Jours concernés"), coerce=int, choices=WEEKDAYS, default=[0, 1, 2, 3, 4])
    dates_shown = HiddenField()
    kept = SelectMultipleField(choices=[], validate_choice=False)  # the ticked dates of "voir les dates"


class CheckInForm(FlaskForm):
    """The desk's one field: a USB scanner types the visit's code, then Enter."""

    code = StringField(_l("Code du rendez-vous (scannez le QR code)"), validators=[Length(max=60)],
                       id="checkin-code", render_kw={"autocomplete": "off", "autofocus": True,
                                                     "autocapitalize": "characters", "spellcheck": "false"})
