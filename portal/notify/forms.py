"""Notify forms: a reminder rule of the patient space (seed 000, Notifications)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, TimeField
from wtforms.validators import Optional


class ReminderRuleForm(FlaskForm):
    """ "N jours avant à HH:MM" and its channels. Ranges and "at least one channel" are the
    service's rules (portal.notify.reminder_rules.add_rule); the form only parses."""

    days_before = IntegerField(_l("Jours avant"), validators=[Optional()], default=1,
                               render_kw={"inputmode": "numeric", "min": 0, "max": 14})
    at_time = TimeField(_l("À"), validators=[Optional()], default=None)
    sms = BooleanField(_l("SMS"), default=True)
    email = BooleanField(_l("E-mail"))
    notice = BooleanField(_l("Avis dans l'espace patient"))
