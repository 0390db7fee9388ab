"""The console's Paiements tab of a patient's page: what its template needs, built in one place
for the page itself (patients.show) and for the forms that come back to it with their errors."""
from __future__ import annotations

import secrets

from flask import g
from flask_login import current_user
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from portal.accounts.models import Role
from portal.billing import services
from portal.billing.forms import ItemForm, PaymentForm, responsible_choices


def item_form(patient, *, submitted: bool, **kw) -> ItemForm:
    """The item form, from the request when `submitted`, else blank (or from `kw`: `obj=item`)."""
    form = ItemForm(**kw) if submitted else ItemForm(formdata=None, **kw)
    form.responsible_id.choices = responsible_choices(patient, _("Le patient"))
    return form


def payment_form(patient, ledger, *, submitted: bool) -> PaymentForm:
    form = PaymentForm() if submitted else PaymentForm(formdata=None, token=secrets.token_urlsafe(24))
    form.payer_id.choices = responsible_choices(patient, _("Le patient"))
    form.items.choices = [SelectChoice(line.item.id, f"{line.item.label} ({services.money(line.remaining)})")
                          for line in ledger.lines if line.remaining > 0]
    return form


def context(patient, *, new_item: ItemForm | None = None, payment: PaymentForm | None = None) -> dict:
    """The ledger at the practice's today, and the two forms (blank, or as submitted)."""
    today = services.practice_today(g.practice)
    ledger = services.ledger(practice_id=g.practice.id, patient_id=patient.id, at=today, with_details=True)
    if new_item is None:
        owner = services.default_responsible(patient)
        new_item = item_form(patient, submitted=False, due_date=today,
                             responsible_id=str(owner.id) if owner else "")
    if payment is not None:  # as submitted: its item choices follow the ledger
        payment.items.choices = payment_form(patient, ledger, submitted=False).items.choices
    else:
        payment = payment_form(patient, ledger, submitted=False)
        payment.paid_on.data = today
        owner = services.default_responsible(patient)
        payment.payer_id.data = str(owner.id) if owner else ""
    # Refunds give money away: owners and practitioners only (secretaries see them listed).
    return {"ledger": ledger, "item_form": new_item, "payment_form": payment,
            "can_refund": current_user.can(Role.practitioner),
            "billing_history": services.history(practice_id=g.practice.id, patient_id=patient.id)}
