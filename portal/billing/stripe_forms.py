"""The console's form for the practice's Stripe keys."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import PasswordInput


class StripeKeysForm(FlaskForm):
    """The secrets are password inputs that keep what was typed when the form comes back with an
    error (hide_value=False), but the page never fills them from what is saved."""

    publishable_key = StringField(_l("Clé publiable"), validators=[InputRequired(_l("Saisissez la clé publiable.")),
                                                                  Length(max=255)])
    secret_key = PasswordField(_l("Clé secrète"), validators=[Length(max=255)],
                               widget=PasswordInput(hide_value=False))
    webhook_secret = PasswordField(_l("Secret de signature du webhook"), validators=[Length(max=255)],
                                   widget=PasswordInput(hide_value=False))
