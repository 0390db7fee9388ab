"""Forms of the patient space's "Mes infos", "Gestion des patients" and RGPD pages, and of the
console's decisions on requests. Values are checked again by `portal.patients.requests`."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, StringField, TextAreaField
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


class ConsentForm(FlaskForm):
    accept = BooleanField(_l("J'ai lu la politique de confidentialité et j'accepte que mes données et celles de "
                             "mes patients soient accessibles dans cet espace en ligne."),
                          validators=[DataRequired(_l("Cochez la case pour continuer."))])


class DeletionForm(FlaskForm):
    confirm = BooleanField(_l("Je demande la suppression de mon compte en ligne."),
                           validators=[DataRequired(_l("Cochez la case pour confirmer."))])


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Motif (facultatif, montré au patient)"), validators=[Optional(), Length(max=500)])
