"""Translated labels for values stored as codes, available in every template."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from portal.core.phones import display_phone

ROLE = {"owner": _l("Titulaire"), "practitioner": _l("Praticien"), "secretary": _l("Secrétaire")}
FILE_STATUS = {"consultation": _l("Consultation"), "in_treatment": _l("En traitement"),
               "retention": _l("Contention"), "finished": _l("Terminé")}
RESPONSIBLE_ROLE = {"parent1": _l("Parent 1"), "parent2": _l("Parent 2"), "financial": _l("Responsable financier")}
WEEKDAY = {0: _l("Lundi"), 1: _l("Mardi"), 2: _l("Mercredi"), 3: _l("Jeudi"), 4: _l("Vendredi"), 5: _l("Samedi"),
           6: _l("Dimanche")}
APPOINTMENT_STATUS = {"booked": _l("Prévu"), "cancelled": _l("Annulé"), "no_show": _l("Absence injustifiée"),
                      "held": _l("Réservé en ligne, en attente du code SMS")}
OUTBOX_STATUS = {"queued": _l("En attente"), "sending": _l("En cours d'envoi"), "sent": _l("Envoyé"),
                 "stored": _l("Conservé"), "failed": _l("Échec"),
                 "dropped": _l("Abandonné")}

# Every action written to the audit journal, as the journal page shows it.
AUDIT_ACTION = {
    "reminder.rule_added": _l("Rappel de rendez-vous ajouté"),
    "reminder.rule_removed": _l("Rappel de rendez-vous supprimé"),
    "patient.access_reset": _l("Accès en ligne réinitialisé"),
    "patient.code_failed": _l("Code SMS erroné"),
    "patient.code_resent": _l("Code SMS renvoyé"),
    "patient.code_sent": _l("Code SMS envoyé"),
    "patient.created": _l("Patient créé"),
    "patient.identify_failed": _l("Identification patient échouée"),
    "patient.message_read": _l("Message d'un patient marqué comme lu"),
    "patient.message_sent": _l("Message envoyé au cabinet depuis l'espace patient"),
    "patient.passkey_added": _l("Clé d'accès ajoutée"),
    "patient.passkey_refused": _l("Clé d'accès refusée à l'enregistrement"),
    "patient.passkey_removed": _l("Clé d'accès supprimée"),
    "patient.remarks_changed": _l("Remarques sur le patient modifiées"),
    "patient.password_changed": _l("Mot de passe patient modifié"),
    "patient.password_set": _l("Mot de passe patient choisi"),
    "patient.sharing_changed": _l("Partage en ligne modifié"),
    "patient.signin": _l("Connexion patient"),
    "patient.signin_failed": _l("Connexion patient refusée"),
    "patient.signout": _l("Déconnexion patient"),
    # Issue 4, slice d: Mes infos, Gestion des patients, RGPD.
    "patient.account_deleted": _l("Compte en ligne supprimé"),
    "patient.change_accepted": _l("Demande du patient acceptée"),
    "patient.change_rejected": _l("Demande du patient refusée"),
    "patient.change_requested": _l("Modification demandée par le patient"),
    "patient.consent_given": _l("Politique de confidentialité acceptée"),
    "patient.data_exported": _l("Données téléchargées par le patient"),
    "patient.deletion_requested": _l("Suppression du compte demandée"),
    "patient.details_changed": _l("Coordonnées du patient modifiées"),
    "patient.lookup_failed": _l("Ajout de patient : non trouvé"),
    "patient.link_requested": _l("Ajout d'un patient demandé au cabinet"),
    "patient.number_linked": _l("Numéro lié au dossier du patient"),
    "agenda.blocked": _l("Créneaux bloqués"),
    "booking.code_sent": _l("Code de réservation en ligne envoyé"),
    "booking.code_resent": _l("Code de réservation en ligne renvoyé"),
    "booking.code_failed": _l("Code de réservation en ligne erroné"),
    "agenda.booked": _l("Rendez-vous pris"),
    "agenda.bulk_cancelled": _l("Annulation groupée"),
    "agenda.cancelled": _l("Rendez-vous annulé"),
    "agenda.days_off": _l("Congés posés"),
    "agenda.checked_in": _l("Patient arrivé (QR code scanné à l'accueil)"),
    "agenda.event_added": _l("Événement ajouté au planning"),
    "agenda.event_changed": _l("Événement du planning modifié"),
    "agenda.event_deleted": _l("Événement du planning supprimé"),
    "agenda.duplicated": _l("Rendez-vous dupliqué"),
    "agenda.moved": _l("Rendez-vous déplacé"),
    "agenda.note_changed": _l("Notes du rendez-vous modifiées"),
    "agenda.offer_accepted": _l("Créneau libéré accepté depuis la liste d'attente"),
    "agenda.waiting_added": _l("Patient inscrit sur la liste d'attente"),
    "agenda.waiting_removed": _l("Patient retiré de la liste d'attente"),
    "agenda.held": _l("Créneau retenu pour un nouveau patient"),
    "agenda.no_show": _l("Absence injustifiée notée"),
    "agenda.reopened": _l("Créneaux rouverts"),
    "agenda.schedule_activated": _l("Emploi du temps activé"),
    "agenda.schedule_changed": _l("Emploi du temps modifié"),
    "agenda.schedule_created": _l("Emploi du temps créé"),
    "agenda.type_created": _l("Type de rendez-vous créé"),
    "agenda.type_changed": _l("Type de rendez-vous modifié"),
    "agenda.type_deactivated": _l("Type de rendez-vous désactivé"),
    "agenda.types_reordered": _l("Ordre des types de rendez-vous modifié"),
    "agenda.extras_added": _l("Plages extra ouvertes"),
    "agenda.extra_deleted": _l("Plage extra supprimée"),
    "agenda.replacement_saved": _l("Remplacement enregistré"),
    "agenda.replacement_deleted": _l("Remplacement supprimé"),
    "agenda.rights_changed": _l("Droits du secrétariat modifiés"),
    "billing.item_added": _l("Élément ajouté au compte du patient (échéance ou honoraires)"),
    "billing.item_changed": _l("Élément du compte du patient modifié"),
    "billing.item_deleted": _l("Élément du compte du patient supprimé"),
    "billing.payment_recorded": _l("Règlement enregistré"),
    "billing.flag_resolved": _l("Paiement à vérifier marqué comme traité"),
    "billing.overdue_settings_changed": _l("Relances de paiement modifiées"),
    "billing.teleconsult_cancelled_paid": _l("Téléconsultation réglée annulée (remboursement éventuel)"),
    "billing.payment_changed": _l("Règlement modifié"),
    "billing.payment_deleted": _l("Règlement supprimé"),
    "billing.payment_refunded": _l("Règlement remboursé"),
    "billing.refund_status_changed": _l("État d'un remboursement mis à jour par Stripe"),
    "billing.payments_exported": _l("Paiements exportés (fichier CSV)"),
    "booking.settings_changed": _l("Réglages de la réservation en ligne modifiés"),
    "booking.profile_changed": _l("Profil du praticien modifié"),
    "booking.contact_added": _l("Contact autorisé à réserver"),
    "booking.contact_removed": _l("Contact retiré des patients connus"),
    "booking.contacts_imported": _l("Contacts importés"),
    "booking.ban_added": _l("Interdiction de réserver"),
    "booking.ban_removed": _l("Interdiction de réserver levée"),
    "booking.reason_added": _l("Motif de visite ajouté"),
    "booking.reason_removed": _l("Motif de visite retiré"),
    "booking.reasons_reordered": _l("Ordre des motifs de visite modifié"),
    "invitation.letters_downloaded": _l("Courriers d'invitation téléchargés (PDF)"),
    "invitation.sent": _l("Invitations à l'espace patient envoyées"),
    "invitation.template_deleted": _l("Modèle d'invitation supprimé"),
    "invitation.template_saved": _l("Modèle d'invitation enregistré"),
    "messaging.replied": _l("Réponse du cabinet dans la Messagerie"),
    "messaging.marked_unread": _l("Conversation marquée comme non lue"),
    "messaging.attachment_downloaded": _l("Pièce jointe d'un patient ouverte"),
    "messaging.template_added": _l("Message prédéfini ajouté"),
    "messaging.template_changed": _l("Message prédéfini modifié"),
    "messaging.template_deleted": _l("Message prédéfini supprimé"),
    "practice.created": _l("Cabinet créé"),
    "practice.options_changed": _l("Options du cabinet modifiées"),
    "stripe.keys_saved": _l("Clés Stripe enregistrées"),
    "stripe.keys_removed": _l("Clés Stripe supprimées"),
    "practitioner.active_changed": _l("Praticien rendu actif ou inactif"),
    "practice.coordinates_changed": _l("Coordonnées du cabinet modifiées"),
    "practitioner.created": _l("Praticien ajouté"),
    "staff.2fa_reset": _l("Authentification à deux facteurs réinitialisée"),
    "staff.created": _l("Compte créé"),
    "staff.disabled": _l("Compte désactivé"),
    "staff.enabled": _l("Compte réactivé"),
    "staff.invitation_accepted": _l("Invitation acceptée"),
    "staff.invitation_revoked": _l("Invitation annulée"),
    "staff.invited": _l("Invitation envoyée"),
    "staff.password_changed": _l("Mot de passe modifié"),
    "staff.password_reset": _l("Mot de passe réinitialisé par e-mail"),
    "staff.recovery_codes_renewed": _l("Codes de secours renouvelés"),
    "staff.reset_requested": _l("Lien de mot de passe demandé"),
    "staff.reset_requested_unknown": _l("Lien demandé pour une adresse inconnue"),
    "staff.role_changed": _l("Rôle modifié"),
    "staff.signin": _l("Connexion"),
    "staff.signin_failed": _l("Connexion refusée"),
    "staff.signout": _l("Déconnexion"),
    "staff.totp_enrolled": _l("Application d'authentification configurée"),
}
FAILURE_REASON = {"password": _l("mot de passe"), "second_factor": _l("code d'authentification"),
                  "unknown": _l("compte inconnu"), "locked": _l("compte bloqué"), "inactive": _l("compte désactivé"),
                  "unknown_or_locked": _l("numéro inconnu ou compte bloqué"), "passkey": _l("clé d'accès")}
ACTOR_TYPE = {"staff": _l("Équipe"), "patient": _l("Patient ou parent"), "operator": _l("Opérateur"),
              "system": _l("Système"), "anonymous": _l("Anonyme")}
TARGET_TYPE = {"Patient": _l("Patient"), "PatientAccount": _l("Accès en ligne"), "StaffUser": _l("Compte"),
               "StaffToken": _l("Invitation"), "SmsChallenge": _l("Code SMS"), "PatientPasskey": _l("Clé d'accès"),
               "Appointment": _l("Rendez-vous"), "AppointmentType": _l("Type de rendez-vous"),
               "Schedule": _l("Emploi du temps"), "Unavailability": _l("Indisponibilité"),
               "CalendarEvent": _l("Événement du planning"), "Practice": _l("Cabinet"),
               "Practitioner": _l("Praticien"), "BookingRequest": _l("Demande de rendez-vous en ligne"),
               "WaitingEntry": _l("Liste d'attente"), "WaitingOffer": _l("Proposition de créneau"),
               "BookingSettings": _l("Réservation en ligne"), "ReminderRule": _l("Rappel de rendez-vous"),
               "KnownContact": _l("Patient connu"), "BookingBan": _l("Interdiction de réserver"),
               "VisitReason": _l("Motif de visite"), "ExtraRange": _l("Plage extra"),
               "Replacement": _l("Remplacement"), "ChangeRequest": _l("Demande du patient"),
               "SecretaryRight": _l("Droits du secrétariat"), "PracticeMessage": _l("Message d'un patient"),
               "InvitationTemplate": _l("Modèle d'invitation"), "InvitationBatch": _l("Envoi d'invitations"),
               "Message": _l("Message"), "MessageTemplate": _l("Message prédéfini"),
               "BillingItem": _l("Échéance ou honoraires"), "Payment": _l("Règlement"),
               "StripeAccount": _l("Compte Stripe"), "BillingFlag": _l("Paiement à vérifier"),
               "OverdueReminderSettings": _l("Relances de paiement"), "Refund": _l("Remboursement")}
# Paiements: how money was received, and the two kinds of items a file owes (seeds 000, 001).
PAYMENT_METHOD = {"cheque": _l("Chèque"), "card": _l("Carte bancaire (au cabinet)"), "transfer": _l("Virement"),
                  "cash": _l("Espèces"), "online": _l("Virement (en ligne)")}
ITEM_KIND = {"installment": _l("Échéance"), "fee": _l("Honoraires")}
# "Paiements à vérifier": why an online payment waits for staff.
FLAG_KIND = {"excess": _l("Payé au-delà du solde"), "unmatched": _l("Session payée sans dossier reconnu"),
             "amount_mismatch": _l("Montant différent"), "not_paid": _l("Session non payée"),
             "refund": _l("Remboursement fait dans Stripe")}
REFUND_STATUS = {"pending": _l("en cours"), "succeeded": _l("remboursé"), "failed": _l("échec")}


# Issue 4, slice d: the fields a "Mes infos" request may change, and a request's state.
PROFILE_FIELD = {"last_name": _l("Nom"), "first_name": _l("Prénom"), "birth_date": _l("Date de naissance"),
                 "email": _l("E-mail"), "mobile": _l("Portable"), "address": _l("Adresse"),
                 "postal_code": _l("Code postal"), "city": _l("Ville")}
REQUEST_STATE = {"pending": _l("En attente du cabinet"), "accepted": _l("Acceptée"), "rejected": _l("Refusée")}
REQUEST_KIND = {"details": _l("Modification des informations"),
                "account_deletion": _l("Suppression du compte en ligne"),
                "patient_link": _l("Ajout d'un patient à l'espace")}
# "Gestion des patients": who the person asking for a link says they are to the patient, and the
# place on the file where staff put their number ("patient": the patient's own mobile).
LINK_RELATION = {"self": _l("Je suis le patient"), "parent": _l("Parent"), "guardian": _l("Tuteur ou tutrice"),
                 "financial": _l("Responsable financier")}
LINK_ROLE = {"patient": _l("Portable du patient"), **RESPONSIBLE_ROLE}


def _label(table):
    def lookup(value):
        key = getattr(value, "value", value)
        return table.get(key, key)
    return lookup


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        role_label=_label(ROLE), file_status_label=_label(FILE_STATUS),
        responsible_role_label=_label(RESPONSIBLE_ROLE), outbox_status_label=_label(OUTBOX_STATUS),
        display_phone=display_phone, appointment_status_label=_label(APPOINTMENT_STATUS),
        weekday_label=_label(WEEKDAY), audit_action_label=_label(AUDIT_ACTION),
        actor_type_label=_label(ACTOR_TYPE), failure_reason_label=_label(FAILURE_REASON), target_type_label=_label(TARGET_TYPE),
        profile_field_label=_label(PROFILE_FIELD), request_state_label=_label(REQUEST_STATE),
        request_kind_label=_label(REQUEST_KIND), link_relation_label=_label(LINK_RELATION),
        link_role_label=_label(LINK_ROLE), payment_method_label=_label(PAYMENT_METHOD),
        item_kind_label=_label(ITEM_KIND), flag_kind_label=_label(FLAG_KIND),
        refund_status_label=_label(REFUND_STATUS),
    )
