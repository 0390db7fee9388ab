"""The console's Paiements tab actions on a patient's file: add, change and delete an
installment or a fee, and record an offline payment. Every staff role may (seed 000: the
secretariat handles payments). Bad input comes back on the tab (422) with what was typed."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.billing import bp, services, tab
from portal.billing.models import ItemKind, PaymentMethod
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import Invalid
from portal.core.web import current_actor, done, form_errors_from, refused, render
from portal.extensions import db
from portal.patients.services import get_patient

PREFIX = "/console/patients/<int:patient_id>/paiements"


def _tab(patient, status=422, **forms):
    return render("patients/show.html", patient=patient, tab="paiements", status=status,
                  **tab.context(patient, **forms))


def _amount(form) -> int | None:
    try:
        return services.parse_amount(form.amount.data)
    except Invalid as exc:
        form_errors_from(exc, form)
        return None


def _item_values(form) -> dict:
    return {"label": form.label.data, "due_date": form.due_date.data, "care_date": form.care_date.data,
            "processed": form.processed.data, "responsible_id": int(form.responsible_id.data or 0) or None}


@bp.route(f"{PREFIX}/elements", methods=["POST"])
@staff_required()
def add_item(patient_id: int):
    """Add an installment or a fee to the file."""
    patient = get_patient(practice_id=g.practice.id, patient_id=patient_id)
    form = tab.item_form(patient, submitted=True)
    valid = form.validate_on_submit()
    amount = _amount(form)
    if not valid or amount is None:
        return _tab(patient, new_item=form)
    try:
        services.add_item(practice=g.practice, patient=patient, kind=ItemKind(form.kind.data), amount_cents=amount,
                          actor=current_actor(), **_item_values(form))
    except (Invalid, ValueError) as exc:
        db.session.rollback()
        form_errors_from(exc if isinstance(exc, Invalid) else Invalid(_("Choix invalide."), "kind"), form)
        return _tab(patient, new_item=form)
    commit()
    return done(_("« %(label)s » ajouté.", label=form.label.data.strip()), "patients.show", patient_id=patient.id,
                rubrique="paiements")


@bp.route(f"{PREFIX}/elements/<int:item_id>", methods=["GET", "POST"])
@staff_required()
def edit_item(patient_id: int, item_id: int):
    """Change an installment or a fee (an amount below what was paid on it is refused)."""
    patient = get_patient(practice_id=g.practice.id, patient_id=patient_id)
    item = services.get_item(practice_id=g.practice.id, patient_id=patient.id, item_id=item_id)
    if request.method == "GET":
        form = tab.item_form(patient, submitted=False, kind=item.kind.value, label=item.label,
                             amount=f"{item.amount_cents / 100:.2f}".replace(".", ","), due_date=item.due_date,
                             care_date=item.care_date, processed=item.processed,
                             responsible_id=str(item.responsible_id or ""))
        return render("billing/edit_item.html", patient=patient, item=item, form=form)
    form = tab.item_form(patient, submitted=True)
    valid = form.validate_on_submit()
    amount = _amount(form)
    if valid and amount is not None:
        try:
            services.update_item(practice=g.practice, patient=patient, item=item, amount_cents=amount,
                                 actor=current_actor(), **_item_values(form))
            commit()
            return done(_("Modification enregistrée."), "patients.show", patient_id=patient.id, rubrique="paiements")
        except Invalid as exc:
            db.session.rollback()
            form_errors_from(exc, form)
    return render("billing/edit_item.html", patient=patient, item=item, form=form, status=422)


@bp.route(f"{PREFIX}/elements/<int:item_id>/supprimer", methods=["POST"])
@staff_required()
def delete_item(patient_id: int, item_id: int):
    """Delete an item entered by mistake (refused once a payment is allocated to it)."""
    patient = get_patient(practice_id=g.practice.id, patient_id=patient_id)
    item = services.get_item(practice_id=g.practice.id, patient_id=patient.id, item_id=item_id)
    label = item.label
    try:
        services.delete_item(practice=g.practice, item=item, actor=current_actor())
    except Invalid as exc:
        db.session.rollback()
        return refused(exc.message, "patients.show", patient_id=patient.id, rubrique="paiements")
    commit()
    return done(_("« %(label)s » supprimé.", label=label), "patients.show", patient_id=patient.id,
                rubrique="paiements")


@bp.route(f"{PREFIX}/reglements", methods=["POST"])
@staff_required()
def record_payment(patient_id: int):
    """Record a payment received at the desk and allocate it (to the ticked items, else to the
    oldest due first). An amount above what remains due is refused."""
    patient = get_patient(practice_id=g.practice.id, patient_id=patient_id)
    form = tab.payment_form(patient, services.ledger(practice_id=g.practice.id, patient_id=patient.id,
                                                     at=services.practice_today(g.practice)), submitted=True)
    valid = form.validate_on_submit()
    amount = _amount(form)
    if not valid or amount is None:
        return _tab(patient, payment=form)
    try:
        services.record_payment(practice=g.practice, patient=patient, amount_cents=amount,
                                method=PaymentMethod(form.method.data), paid_on=form.paid_on.data,
                                payer_id=int(form.payer_id.data or 0) or None, reference=form.reference.data,
                                note=form.note.data, item_ids=list(form.items.data or []) or None,
                                token=form.token.data or None, recorded_by=current_user, actor=current_actor())
    except Invalid as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _tab(patient, payment=form)
    commit()
    return done(_("Règlement de %(amount)s enregistré.", amount=services.money(amount)), "patients.show",
                patient_id=patient.id, rubrique="paiements")
