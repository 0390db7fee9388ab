"""The console's actions on one payment of a patient's Paiements tab: refund it (through Stripe
for an online payment; owners and practitioners only, secretaries see refunds but can't make
them), and correct or delete a payment recorded at the desk (every staff role, as recording it).
Bad input comes back on the page (422) with what was typed."""
from __future__ import annotations

import secrets

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.models import Role
from portal.billing import bp, refunds, services
from portal.billing.forms import EditPaymentForm, RefundForm, responsible_choices
from portal.billing.models import OFFLINE_METHODS, PaymentMethod, RefundStatus
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError, Invalid
from portal.core.web import current_actor, done, form_errors_from, refused, render
from portal.extensions import db
from portal.patients.services import get_patient

PREFIX = "/console/patients/<int:patient_id>/paiements/reglements/<int:payment_id>"


def _typed(cents: int) -> str:
    """Cents as one types them ("390,50"), which `services.parse_amount` reads back."""
    return f"{cents // 100},{cents % 100:02d}"


def _load(patient_id: int, payment_id: int):
    patient = get_patient(practice_id=g.practice.id, patient_id=patient_id)
    return patient, services.get_payment(practice_id=g.practice.id, patient_id=patient.id, payment_id=payment_id)


def _back(message: str, patient, ok: bool = True):
    return (done if ok else refused)(message, "patients.show", patient_id=patient.id, rubrique="paiements")


@bp.route(f"{PREFIX}/rembourser", methods=["GET", "POST"])
@staff_required(Role.practitioner)
def refund_payment(patient_id: int, payment_id: int):
    """Refund all or part of a payment: the form (amount prefilled with what the payment still
    holds), then the refund, once per form."""
    patient, payment = _load(patient_id, payment_id)
    online = payment.method is PaymentMethod.online
    if request.method == "GET":
        form = RefundForm(formdata=None, amount=_typed(payment.net_cents), token=secrets.token_urlsafe(24),
                          given_back_by=payment.method.value if payment.method in OFFLINE_METHODS else "transfer")
        return render("billing/refund.html", patient=patient, payment=payment, form=form, online=online)
    form = RefundForm()
    if form.validate_on_submit():
        try:
            refund = refunds.refund_payment(
                practice=g.practice, payment=payment, amount_cents=services.parse_amount(form.amount.data),
                reason=form.reason.data, token=form.token.data,
                given_back_by=None if online else PaymentMethod(form.given_back_by.data),
                recorded_by=current_user, actor=current_actor())
            commit()
            amount = services.money(refund.amount_cents)
            if refund.status is RefundStatus.failed:
                return _back(_("Stripe n'a pas pu rembourser %(amount)s.", amount=amount), patient, ok=False)
            if refund.status is RefundStatus.pending:
                return _back(_("Remboursement de %(amount)s demandé à Stripe : en cours.", amount=amount), patient)
            return _back(_("Remboursement de %(amount)s enregistré.", amount=amount), patient)
        except (DomainError, ValueError) as exc:
            db.session.rollback()
            form_errors_from(exc if isinstance(exc, DomainError) else Invalid(_("Choix invalide."), "given_back_by"),
                             form)
    return render("billing/refund.html", patient=patient, payment=payment, form=form, online=online, status=422)


def _edit_form(patient, *, submitted: bool, **kw) -> EditPaymentForm:
    form = EditPaymentForm(**kw) if submitted else EditPaymentForm(formdata=None, **kw)
    form.payer_id.choices = responsible_choices(patient, _("Le patient"))
    return form


@bp.route(PREFIX, methods=["GET", "POST"])
@staff_required()
def edit_payment(patient_id: int, payment_id: int):
    """Correct a payment recorded at the desk (online payments and refunded ones are refused)."""
    patient, payment = _load(patient_id, payment_id)
    try:
        services.check_editable(payment)
    except Invalid as exc:
        db.session.rollback()
        return _back(exc.message, patient, ok=False)
    if request.method == "GET":
        form = _edit_form(patient, submitted=False, amount=_typed(payment.amount_cents), method=payment.method.value,
                          paid_on=payment.paid_on, payer_id=str(payment.payer_id or ""), reference=payment.reference,
                          note=payment.note)
        return render("billing/edit_payment.html", patient=patient, payment=payment, form=form)
    form = _edit_form(patient, submitted=True)
    if form.validate_on_submit():
        try:
            services.update_payment(practice=g.practice, patient=patient, payment=payment,
                                    amount_cents=services.parse_amount(form.amount.data),
                                    method=PaymentMethod(form.method.data), paid_on=form.paid_on.data,
                                    payer_id=int(form.payer_id.data or 0) or None, reference=form.reference.data,
                                    note=form.note.data, actor=current_actor())
            commit()
            return _back(_("Modification enregistrée."), patient)
        except Invalid as exc:
            db.session.rollback()
            form_errors_from(exc, form)
    return render("billing/edit_payment.html", patient=patient, payment=payment, form=form, status=422)


@bp.route(f"{PREFIX}/supprimer", methods=["POST"])
@staff_required()
def delete_payment(patient_id: int, payment_id: int):
    """Delete a payment recorded by mistake at the desk: its items are due again."""
    patient, payment = _load(patient_id, payment_id)
    amount = services.money(payment.amount_cents)
    try:
        services.delete_payment(practice=g.practice, payment=payment, actor=current_actor())
    except Invalid as exc:
        db.session.rollback()
        return _back(exc.message, patient, ok=False)
    commit()
    return _back(_("Règlement de %(amount)s supprimé.", amount=amount), patient)
