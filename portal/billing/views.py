"""The patient space's "Mes paiements" (seed 000): the file's installments and fees with their
details, a warning on what is overdue, the balance due, and "Régler en ligne" (Stripe Checkout)
when the practice offers it."""
from __future__ import annotations

import secrets

from flask import abort, g, make_response, redirect, request, url_for
from flask_babel import gettext as _

from portal.agenda import services as agenda
from portal.billing import bp, online, services, teleconsult
from portal.billing.forms import OnlinePaymentForm, TeleconsultPayForm
from portal.core.auth import module_open, module_required, patient_required
from portal.core.errors import DomainError
from portal.core.security import allow_checkout_form
from portal.core.web import form_errors_from, invalid, not_done, refused, render
from portal.extensions import limiter

ONLINE_LIMIT = "10 per 10 minutes"
RETURNED = "confirmation"  # ?en_ligne=confirmation: back from Checkout, the webhook not yet seen


def _page(ledger, today, form=None, status=200):
    if form is None and online.offered(g.practice) and ledger.balance_due > 0:
        form = OnlinePaymentForm(formdata=None, amount=_typed(ledger.balance_due),
                                 email=online.receipt_email(g.patient), token=secrets.token_urlsafe(24))
    page = dict(ledger=ledger, today=today, online_form=form,
                returned=request.args.get("en_ligne") == RETURNED)
    resp = make_response(invalid("billing/index.html", **page) if status == 422 else
                         render("billing/index.html", **page))
    if form is not None:
        # The form's answer is a redirect to Stripe's hosted Checkout: browsers check the
        # redirect's target against the page's form-action, so Checkout's origin is allowed here.
        allow_checkout_form(resp)
    return resp


def _typed(cents: int) -> str:
    """Cents as one types them ("390,50"), which `services.parse_amount` reads back."""
    return f"{cents // 100},{cents % 100:02d}"


def _ledger():
    today = services.practice_today(g.practice)
    return services.ledger(practice_id=g.practice.id, patient_id=g.patient.id, at=today,
                           due_only=g.practice.module_on("payments_due_only")), today


@bp.route("/paiements")
@patient_required
@module_required("payments")
def index():
    """The file shown's ledger at the practice's today; with the option "Afficher que les
    échéances dues", installments not yet due are left out."""
    ledger, today = _ledger()
    return _page(ledger, today)


@bp.route("/paiements/en-ligne", methods=["POST"])
@patient_required
@module_required("payments")
@limiter.limit(ONLINE_LIMIT)
def pay_online():
    """Create the Checkout Session and send the payer to Stripe (303). Refused in place (422)
    with what was typed when the amount is above the balance due or the e-mail is missing."""
    ledger, today = _ledger()
    if not online.offered(g.practice):
        not_done(_("Le paiement en ligne n'est pas proposé par ce cabinet."))
        return redirect(url_for("billing.index"), code=303)
    form = OnlinePaymentForm()
    if form.validate_on_submit():
        try:
            checkout = online.start_checkout(
                practice=g.practice, patient=g.patient, amount_text=form.amount.data, email=form.email.data,
                token=form.token.data, success_url=url_for("billing.index", en_ligne=RETURNED, _external=True),
                cancel_url=url_for("billing.index", _external=True))
            return redirect(checkout["url"], code=303)
        except DomainError as exc:
            form_errors_from(exc, form)
    return _page(ledger, today, form, status=422)


def _my_charge(appointment_id: int):
    """One of the shown patient's visits with a teleconsultation fee, or 404 (any other id)."""
    appointment = agenda.get_appointment(practice_id=g.practice.id, appointment_id=appointment_id)
    if appointment.patient_id != g.patient.id:
        abort(404)
    return appointment, teleconsult.get_charge(practice_id=g.practice.id, appointment_id=appointment.id)


def _pay_page(appointment, charge, form=None, status=200):
    form = form or TeleconsultPayForm(formdata=None, email=online.receipt_email(g.patient),
                                      token=secrets.token_urlsafe(24))
    page = dict(appointment=appointment, charge=charge, left=teleconsult.remaining(charge), form=form,
                returned=request.args.get("en_ligne") == RETURNED)
    resp = make_response(invalid("billing/teleconsult.html", **page) if status == 422 else
                         render("billing/teleconsult.html", status=status, **page))
    return allow_checkout_form(resp)


@bp.route("/paiements/teleconsultation/<int:appointment_id>", methods=["GET", "POST"])
@patient_required
@module_required("appointments")
@limiter.limit(ONLINE_LIMIT, methods=["POST"])
def pay_teleconsult(appointment_id: int):
    """"Payer" a teleconsultation (seed 004): its fee, and the e-mail for the receipt; the POST
    creates the Checkout Session and sends the payer to Stripe (303). Refused when the practice
    does not offer online payment; 422 in place with what was typed on a bad e-mail."""
    appointment, charge = _my_charge(appointment_id)
    if not (module_open("payments") and online.offered(g.practice)):
        return refused(_("Le paiement en ligne n'est pas proposé par ce cabinet."), "space.appointments")
    if request.method == "GET":
        return _pay_page(appointment, charge)
    form = TeleconsultPayForm()
    if form.validate_on_submit():
        try:
            checkout = teleconsult.start_checkout(
                practice=g.practice, appointment=appointment, email=form.email.data, token=form.token.data,
                success_url=url_for("billing.pay_teleconsult", appointment_id=appointment.id, en_ligne=RETURNED,
                                    _external=True),
                cancel_url=url_for("billing.pay_teleconsult", appointment_id=appointment.id, _external=True))
            return redirect(checkout["url"], code=303)
        except DomainError as exc:
            if exc.status == 409:
                return refused(exc.message, "space.appointments")
            form_errors_from(exc, form)
    return _pay_page(appointment, charge, form, status=422)


@bp.app_template_filter("money")
def money_filter(cents: int | None) -> str:
    return services.money(cents)
