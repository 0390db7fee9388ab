"""Forms of the patient space's "Mes infos", "Gestion des patients" and RGPD pages, and of the
console's decisions on requests. Values are checked again by `portal.patients.requests`."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

REQUIRED = _l("Ce champ est obligatoire.")


class PersonForm(FlaskForm):
    """The signed-in person (a parent or financial responsible)."""

    last_name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=80)],
                            render_kw={"autocomplete": "family-name"})
    first_name = StringField(_l("Prénom"), validators=[DataRequired(REQUIRED), Length(max=80)],
                             render_kw={"autocomplete": "given-name"})
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=200)], render_kw={"autocomplete": "email"})
    address = StringField(_l("Adresse"), validators=[Optional(), Length(max=200)],
                          render_kw={"autocomplete": "street-address"})


class PatientDetailsForm(FlaskForm):
    """A linked patient's own details (one form per patient, told apart by a prefix)."""

    last_name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=80)])
    first_name = StringField(_l("Prénom"), validators=[DataRequired(REQUIRED), Length(max=80)])
    birth_date = DateField(_l("Date de naissance"), validators=[DataRequired(_l("Saisissez une date valide."))])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    mobile = StringField(_l("Portable"), validators=[Optional(), Length(max=30)],
                         render_kw={"inputmode": "tel"})
    address = StringField(_l("Adresse"), validators=[Optional(), Length(max=200)])
    postal_code = StringField(_l("Code postal"), validators=[Optional(), Length(max=12)],
                              render_kw={"inputmode": "numeric"})
    city = StringField(_l("Ville"), validators=[Optional(), Length(max=100)])


class AddPatientForm(FlaskForm):
    last_name = StringField(_l("Nom du patient"), validators=[DataRequired(REQUIRED), Length(max=80)],
                            render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    first_name = StringField(_l("Prénom du patient"), validators=[DataRequired(REQUIRED), Length(max=80)],
                             render_kw={"autocomplete": "off"})
    birth_date = DateField(_l("Date de naissance"), validators=[DataRequired(_l("Saisissez une date valide."))])


class LinkRequestForm(FlaskForm):
    """After a look-up that found nothing: ask the practice to link the patient to this number.
    The ids differ from the look-up form's, both being on one page."""

    last_name = StringField(_l("Nom du patient"), validators=[DataRequired(REQUIRED), Length(max=80)],
                            id="link-last-name", render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    first_name = StringField(_l("Prénom du patient"), validators=[DataRequired(REQUIRED), Length(max=80)],
                             id="link-first-name", render_kw={"autocomplete": "off"})
    birth_date = DateField(_l("Date de naissance"), validators=[DataRequired(_l("Saisissez une date valide."))],
                           id="link-birth-date")
    relation = SelectField(_l("Vous êtes"), choices=[SelectChoice(v, label) for v, label in (
                               ("", _l("— choisissez —")), ("parent", _l("Parent")),
                               ("self", _l("Le patient lui-même")), ("guardian", _l("Tuteur ou tutrice")),
                               ("financial", _l("Responsable financier")))],
                           id="link-relation", validate_choice=False)  # the service says what is wrong
    note = TextAreaField(_l("Message au cabinet (facultatif)"), validators=[Optional(), Length(max=500)],
                         id="link-note", render_kw={"rows": 3, "maxlength": 500})


class LinkAcceptForm(FlaskForm):
    """Console: the file to link and where the number goes on it."""

    patient_id = IntegerField(validators=[Optional()])
    role = SelectField(_l("Enregistrer le numéro comme"), choices=[SelectChoice(v, label) for v, label in (
        ("parent1", _l("Parent 1")), ("parent2", _l("Parent 2")), ("financial", _l("Responsable financier")),
        ("patient", _l("Portable du patient")))], validate_choice=False)


class ConsentForm(FlaskForm):
    accept = BooleanField(_l("J'ai lu la politique de confidentialité et j'accepte que mes données et celles de "
                             "mes patients soient accessibles dans cet espace en ligne."),
                          validators=[DataRequired(_l("Cochez la case pour continuer."))])


class DeletionForm(FlaskForm):
    confirm = BooleanField(_l("Je demande la suppression de mon compte en ligne."),
                           validators=[DataRequired(_l("Cochez la case pour confirmer."))])


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Motif (facultatif, montré au patient)"), validators=[Optional(), Length(max=500)])
