"""Staff pages: the patient list with its live search, a patient's file, the sharing switch."""
from __future__ import annotations

from flask import g, request, url_for
from flask_login import current_user
from flask_babel import gettext as _

from portal.accounts import patient_signin
from portal.agenda import services as agenda
from portal.billing import teleconsult
from portal.console import services as console
from portal.accounts.forms import ConfirmForm
from portal.core.auth import module_open, staff_required
from portal.core.db import commit
from portal.core.phones import display_phone
from portal.core.web import current_actor, done, refused, render
from portal.patients import bp, requests, services


RESULTS = 30


@bp.route("/")
@staff_required()
def index():
    query = request.args.get("q", "").strip()[:100]
    # One more than shown, to know whether to ask for a more precise search.
    patients = services.search_patients(practice_id=g.practice.id, query=query, limit=RESULTS + 1)
    unpaid = teleconsult.unpaid_patients(practice_id=g.practice.id, patient_ids=[p.id for p in patients[:RESULTS]])
    return render("patients/index.html", fragment="patients/_results.html", target="patients-results",
                  patients=patients[:RESULTS], more=len(patients) > RESULTS, query=query, unpaid=unpaid,
                  pending_requests=requests.count_pending(g.practice.id))


@bp.route("/connectes")
@staff_required()
def signed_in():
    """Seed 000 "Patients": everyone who has signed in to the patient space, by last sign-in."""
    oldest_first = request.args.get("tri") == "ancien"
    return render("patients/signed_in.html", rows=console.signed_in_accounts(g.practice.id, oldest_first=oldest_first),
                  oldest_first=oldest_first, limit=console.ACCOUNTS_SHOWN)


# The patient page's tabs: each gathers what one domain holds about the patient. A tab appears
# only once its domain exists (messages, payments, documents, questionnaires join as they land).
TABS = ("dossier", "rendez-vous", "messages", "paiements", "acces")


@bp.route("/<int:patient_id>")
@staff_required()
def show(patient_id: int):
    patient = services.get_patient(practice_id=g.practice.id, patient_id=patient_id)
    tab = request.args.get("rubrique", "dossier")
    tab = tab if tab in TABS else "dossier"
    upcoming, history, missed = agenda.patient_appointments(patient=patient)
    return render("patients/show.html", patient=patient, confirm=ConfirmForm(), tab=tab,
                  accounts=patient_signin.accounts_for_patient(patient), upcoming=upcoming, history=history,
                  missed=missed, unpaid=teleconsult.unpaid_appointments(
                      practice_id=g.practice.id, appointment_ids=[a.id for a in upcoming + history[:30]])
                  if tab == "rendez-vous" else set(), **(_messages_tab(patient) if tab == "messages" else {}),
                  **(_payments_tab(patient) if tab == "paiements" else {}))


def _payments_tab(patient) -> dict:
    """The Paiements tab (seed 000, Patients: "paiement effectués"): the ledger and its forms."""
    from portal.billing import tab

    return tab.context(patient)


def _messages_tab(patient) -> dict:
    """The Messages tab (seed 000, Patients: "échanges de messages"): the conversation, read as
    it is opened, and the reply form that comes back here."""
    from portal.messaging import predefined, services as messaging
    from portal.messaging.forms import MessageForm

    messages = messaging.open_thread(practice_id=g.practice.id, patient_id=patient.id, by=current_user,
                                     actor=current_actor())
    commit()
    return {"messages": messages, "form": MessageForm(formdata=None), "viewer": "staff", "chosen": None,
            "templates": predefined.list_templates(g.practice.id), "can_reply": module_open("messaging"),
            "poll_url": url_for("messaging.conversation", patient_id=patient.id),
            "next": url_for("patients.show", patient_id=patient.id, rubrique="messages")}


@bp.route("/<int:patient_id>/partage", methods=["POST"])
@staff_required()
def sharing(patient_id: int):
    patient = services.get_patient(practice_id=g.practice.id, patient_id=patient_id)
    if ConfirmForm().validate_on_submit():
        services.set_sharing(patient, do_not_share=request.form.get("do_not_share") == "1", actor=current_actor())
        commit()
    message = (_("Le dossier n'est plus partagé en ligne.") if patient.do_not_share_online
               else _("Le dossier est de nouveau visible en ligne."))
    return done(message, "patients.show", patient_id=patient.id)


@bp.route("/<int:patient_id>/acces/<int:account_id>/reinitialiser", methods=["POST"])
@staff_required()
def reset_access(patient_id: int, account_id: int):
    """Forget a linked account's password (the person lost it); sessions end."""
    patient = services.get_patient(practice_id=g.practice.id, patient_id=patient_id)
    if ConfirmForm().validate_on_submit():
        account = patient_signin.reset_account_password(patient, account_id, actor=current_actor())
        commit()
        return done(_("Accès du %(phone)s réinitialisé : la prochaine connexion demandera un code SMS puis un "
                      "nouveau mot de passe.", phone=display_phone(account.phone)), "patients.show",
                    patient_id=patient.id, rubrique="acces")
    return refused(_("Action non effectuée : rechargez la page."), "patients.show", patient_id=patient.id)
