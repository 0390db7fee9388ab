"""Forms of the console's pages: the module options, the statistics period, invitation templates."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

# Seed 000 "Options": each module with its description and its own sub-switches, in the seed's order.
# The keys are Practice.options keys (MODULE_DEFAULTS).
OPTION_GROUPS = [
    ("appointments", _l("Rendez-vous"), _l("Permet à l'utilisateur de visualiser rapidement son prochain rendez-vous."),
     [("appointments_checkin", _l("Scan sur borne d'accueil"),
       _l("Le patient présente le QR code de son rendez-vous à l'accueil ; il faut une douchette à l'accueil."))]),
    ("messaging", _l("Messagerie"), _l("Permet à l'utilisateur d'échanger en direct avec un interlocuteur du cabinet."),
     []),
    ("imaging", _l("Imagerie"),
     _l("Permet à l'utilisateur de visualiser les photos des types d'images et étapes de traitement paramétrés."), []),
    ("payments", _l("Paiements"),
     _l("Permet à l'utilisateur de visualiser ses échéances passées et à venir, ainsi que la somme due au cabinet."),
     [("payments_minors", _l("Accès pour les mineurs"), None),
      ("payments_online", _l("Paiement en ligne"),
       _l("Décoché, les patients voient leur solde sans pouvoir régler en ligne.")),
      ("payments_due_only", _l("Afficher que les échéances dues"), None)]),
    ("documents", _l("Documents"),
     _l("Permet à l'utilisateur de visualiser les documents signés ou à signer du patient, et de les signer s'il "
        "est signataire."),
     [("documents_minors", _l("Accès pour les mineurs"), None)]),
    ("questionnaires", _l("Questionnaires"),
     _l("Permet à l'utilisateur de visualiser et de remplir les questionnaires demandés pour le patient."),
     [("questionnaires_minors", _l("Accès pour les mineurs"), None)]),
    ("booking", _l("Réservation en ligne"),
     _l("La page publique du cabinet où patients et nouveaux patients prennent rendez-vous."), []),
]
OPTION_KEYS = [k for key, _label, _desc, subs in OPTION_GROUPS for k in [key, *(s[0] for s in subs)]]


class OptionsForm(FlaskForm):
    """One checkbox per option key; an unticked box is a switch turned off."""

    def values(self) -> dict[str, bool]:
        return {key: bool(self[key].data) for key in OPTION_KEYS}


for _key in OPTION_KEYS:
    setattr(OptionsForm, _key, BooleanField(_key))


class PeriodForm(FlaskForm):
    """The statistics period, read from the query string (a GET: no CSRF token)."""

    class Meta:
        csrf = False

    start = DateField(_l("Du"), validators=[InputRequired(_l("Saisissez une date de début valide."))])
    end = DateField(_l("Au"), validators=[InputRequired(_l("Saisissez une date de fin valide."))])


class InvitationTemplateForm(FlaskForm):
    """An invitation template; the service checks the merge fields (an unknown @FIELD is named)."""

    name = StringField(_l("Nom du modèle"))
    channel = SelectField(_l("Envoi par"), choices=[SelectChoice("letter", _l("Courrier (PDF à imprimer)")),
                                                    SelectChoice("email", _l("E-mail")), SelectChoice("sms", _l("SMS"))])
    subject = StringField(_l("Objet de l'e-mail"))
    body = TextAreaField(_l("Texte"), render_kw={"rows": 16})


class InvitationSendForm(FlaskForm):
    """Confirming a send: the template, the token drawn when it was shown (a second click finds
    the send already made) and, for a mass send, the stamp of what the preview showed."""

    template_id = HiddenField()
    token = HiddenField()
    previewed = HiddenField()
