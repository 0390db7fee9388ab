"""Online booking forms (public pages)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

REQUIRED = _l("Ce champ est obligatoire.")


class _Visit(FlaskForm):
    # Free text, or one of the practice's reasons (the template then shows a list): the
    # service checks which (booking.services.clean_reason).
    reason = StringField(_l("Motif de la visite"), validators=[Length(max=200)])
    teleconsult_mobile = StringField(_l("Portable pour la téléconsultation"), validators=[Length(max=30)],
                                     render_kw={"autocomplete": "tel", "inputmode": "tel"})


class AccountBookingForm(_Visit):
    """A signed-in person: for whom among the patients linked to their number."""

    patient_id = SelectField(_l("Pour qui ?"), coerce=int, choices=[], validate_choice=True)


class NewcomerForm(_Visit):
    last_name = StringField(_l("Nom du patient"), validators=[DataRequired(REQUIRED), Length(max=80)],
                            render_kw={"autocomplete": "family-name"})
    first_name = StringField(_l("Prénom du patient"), validators=[DataRequired(REQUIRED), Length(max=80)],
                             render_kw={"autocomplete": "given-name"})
    birth_date = DateField(_l("Date de naissance du patient"),
                           validators=[DataRequired(_l("Saisissez une date valide."))], render_kw={"autocomplete": "bday"})
    mobile = StringField(_l("Votre portable (le code de confirmation y est envoyé)"),
                         validators=[DataRequired(REQUIRED), Length(max=30)],
                         render_kw={"autocomplete": "tel", "inputmode": "tel"})
    email = StringField(_l("Votre adresse e-mail"), validators=[DataRequired(REQUIRED), Length(max=200)],
                        render_kw={"autocomplete": "email", "inputmode": "email"})


class CodeForm(FlaskForm):
    code = StringField(_l("Code reçu par SMS"), validators=[DataRequired(REQUIRED), Length(max=12)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class ResendForm(FlaskForm):
    pass


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Motif de l'annulation"), validators=[DataRequired(_l("Indiquez le motif de "
                                                                                    "l'annulation.")),
                                                                   Length(max=200)])



