"""Sign-in and account forms. Labels are French msgids translated by Flask-Babel."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.accounts.models import Role

REQUIRED = _l("Ce champ est obligatoire.")


class IdentifyForm(FlaskForm):
    phone = StringField(_l("Numéro de téléphone"), validators=[DataRequired(REQUIRED), Length(max=30)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    last_name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=80)],
                            render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    first_name = StringField(_l("Prénom"), validators=[DataRequired(REQUIRED), Length(max=80)],
                             render_kw={"autocomplete": "off"})
    birth_date = DateField(_l("Date de naissance"), validators=[DataRequired(_l("Saisissez une date valide."))])
    remember = BooleanField(_l("Mémoriser mes identifiants"))
    # Only asked for when a child is followed by several practices (or given by ?cabinet=).
    practice_code = StringField(_l("Identifiant de cabinet"), validators=[Optional(), Length(max=12)],
                                render_kw={"inputmode": "numeric", "autocomplete": "off"})


class ReturningForm(FlaskForm):
    phone = StringField(_l("Numéro de téléphone"), validators=[DataRequired(REQUIRED), Length(max=30)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(REQUIRED), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class PasswordStepForm(FlaskForm):
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(REQUIRED), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class CodeForm(FlaskForm):
    code = StringField(_l("Code reçu par SMS"), validators=[DataRequired(REQUIRED), Length(max=12)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "7"})


class ResendForm(FlaskForm):
    pass


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("Nouveau mot de passe"), validators=[DataRequired(REQUIRED), Length(max=256)],
                             render_kw={"autocomplete": "new-password", "minlength": "12"})
    confirm = PasswordField(_l("Confirmez le mot de passe"), validators=[DataRequired(REQUIRED)],
                            render_kw={"autocomplete": "new-password"})

    def validate_confirm(self, field):
        from wtforms.validators import ValidationError

        if field.data != self.password.data:
            raise ValidationError(_l("Les deux mots de passe ne sont pas identiques."))


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Mot de passe actuel"), validators=[DataRequired(REQUIRED)],
                            render_kw={"autocomplete": "current-password"})


class StaffSigninForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(REQUIRED), Length(max=200)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(REQUIRED), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class TotpForm(FlaskForm):
    code = StringField(_l("Code de l'application d'authentification"),
                       validators=[DataRequired(REQUIRED), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class AcceptInvitationForm(NewPasswordForm):
    first_name = StringField(_l("Prénom"), validators=[DataRequired(REQUIRED), Length(max=80)])
    last_name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=80)])


class ForgotForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(REQUIRED), Length(max=200)])


ROLE_CHOICES = [SelectChoice(Role.secretary.value, _l("Secrétaire")),
                SelectChoice(Role.practitioner.value, _l("Praticien")),
                SelectChoice(Role.owner.value, _l("Titulaire"))]


class InviteForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(REQUIRED), Length(max=200)])
    role = SelectField(_l("Rôle"), choices=ROLE_CHOICES, default=Role.secretary.value)


class RoleForm(FlaskForm):
    role = SelectField(_l("Rôle"), choices=ROLE_CHOICES)


class ConfirmForm(FlaskForm):
    """A button-only form: CSRF and nothing else."""

    confirm = HiddenField(default="1")
