"""Forms of the staff pages that set up online booking."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, InputRequired, Length

REQUIRED = _l("Ce champ est obligatoire.")
NUMBER = _l("Saisissez un nombre entier.")


class BookingSettingsForm(FlaskForm):
    """Seed 004's "paramétrage de l'officine", practice-wide."""

    specialties = TextAreaField(_l("Spécialités et diplômes du cabinet"), validators=[Length(max=4000)])
    payment_methods = TextAreaField(_l("Moyens de paiement acceptés (un par ligne)"), validators=[Length(max=2000)],
                                    render_kw={"rows": 4})
    transport = TextAreaField(_l("Pour venir au cabinet (bus, arrêt, parking…)"), validators=[Length(max=2000)])
    floor = StringField(_l("Étage"), validators=[Length(max=60)])
    lift = BooleanField(_l("Ascenseur"))
    disabled_access = BooleanField(_l("Accès handicapé"))
    access_notes = TextAreaField(_l("Accès : précisions"), validators=[Length(max=2000)])
    rolling_window_days = SelectField(_l("Planning ouvert aux patients sur"), coerce=int,
                                      choices=[C(90, _l("90 jours")), C(180, _l("180 jours (spécialiste)"))])
    visit_kinds = TextAreaField(_l("Types de visites (texte pour les patients)"), validators=[Length(max=4000)])
    convention = StringField(_l("Conventionnement"), validators=[Length(max=120)])
    carte_vitale = BooleanField(_l("Carte Vitale acceptée"))
    default_duration_minutes = IntegerField(_l("Durée d'une visite par défaut (minutes)"),
                                            validators=[InputRequired(NUMBER)])
    secretariat_phone = StringField(_l("Téléphone du secrétariat"), validators=[Length(max=30)])
    map_url = StringField(_l("Lien vers un plan (facultatif)"), validators=[Length(max=500)])
    mode = RadioField(_l("Réservation en ligne"), choices=[
        C("open", _l("Libre : tout le monde peut réserver")),
        C("known", _l("Patients connus seulement (adresses e-mail et portables enregistrés)"))])
    reason_mode = RadioField(_l("Motif de la visite"), choices=[
        C("free", _l("Saisie libre")), C("list", _l("Choisi dans la liste des motifs"))])
    video_base_url = StringField(_l("Serveur de visioconférence (téléconsultation)"),
                                 validators=[DataRequired(REQUIRED), Length(max=300)])
    hold_minutes = IntegerField(_l("Créneau retenu pour un nouveau patient pendant (minutes)"),
                                validators=[InputRequired(NUMBER)])


class ProfileForm(FlaskForm):
    """A practitioner's own details on the booking page."""

    specialty = StringField(_l("Spécialité (un mot)"), validators=[Length(max=120)], id="profile-specialty")
    diplomas = TextAreaField(_l("Diplômes"), validators=[Length(max=4000)], id="profile-diplomas")
    photo = FileField(_l("Photo d'identité (JPEG, PNG ou WebP, 3 Mo au plus)"), id="profile-photo",
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})
    remove_photo = BooleanField(_l("Retirer la photo"), id="profile-remove-photo")


class ContactForm(FlaskForm):
    value = StringField(_l("Adresse e-mail ou portable"), validators=[DataRequired(REQUIRED), Length(max=200)],
                        render_kw={"autocomplete": "off"})
    note = StringField(_l("Note (facultatif)"), validators=[Length(max=200)])


class ImportForm(FlaskForm):
    file = FileField(_l("Fichier CSV : un contact par ligne, puis « ; » et une note facultative"), id="import-file",
                     render_kw={"accept": ".csv,text/csv,text/plain"})
    skip_bad_lines = BooleanField(_l("Importer les lignes correctes même s'il y a des erreurs"), id="import-skip")


class BanForm(FlaskForm):
    value = StringField(_l("Adresse e-mail ou portable"), validators=[DataRequired(REQUIRED), Length(max=200)],
                        render_kw={"autocomplete": "off"})
    reason = StringField(_l("Raison"), validators=[Length(max=200)])


class ReasonForm(FlaskForm):
    label = StringField(_l("Nouveau motif"), validators=[DataRequired(REQUIRED), Length(max=200)])
