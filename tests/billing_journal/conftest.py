"""A practice with three patients whose files owe enough for several payments, a signed-in staff
client factory, and helpers to record payments and refunds on given days."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.billing import services
from portal.billing.models import ItemKind, Payment, PaymentMethod, Refund, RefundStatus
from portal.core.audit import Actor
from portal.core.db import commit
from portal.extensions import db
from tests.conftest import Auth
from tests.notify.test_messages_page import parse

OPERATOR = Actor.operator()
URL = "/console/paiements"


def page_of(response):
    return parse(response.get_data(as_text=True))


def cells(row) -> list[str]:
    return [c.text for c in row.iter() if c.tag in ("td", "th")]


@pytest.fixture
def desk(app):
    def signed_in(user):
        client = app.test_client()
        Auth(client).staff(user)
        return client

    return signed_in


@pytest.fixture
def clinic(make_practice, make_patient):
    """A practice and its patients Léa, Hugo and Zoé Martin, each owing 5 000 € since long ago."""
    practice = make_practice("Cabinet Journal")
    patients = []
    for first in ("Léa", "Hugo", "Zoé"):
        parent = {"role": "financial", "civility": "Mme", "last_name": "Martin", "first_name": "Claire",
                  "mobile": "06 12 34 56 78"}
        patient = make_patient(practice, last_name="Martin", first_name=first, responsibles=[parent])
        services.add_item(practice=practice, patient=patient, kind=ItemKind.installment, label="Traitement",
                          amount_cents=500000, due_date=date(2020, 1, 1), actor=OPERATOR)
        patients.append(patient)
    commit()
    return practice, patients


@pytest.fixture
def pay(clinic):
    """pay(patient, cents, method, days_ago=0, **kw): a payment recorded through the service."""
    practice, _patients = clinic

    def record(patient, cents, method=PaymentMethod.cheque, days_ago=0, **kw) -> Payment:
        payment = services.record_payment(practice=practice, patient=patient, amount_cents=cents,
                                          method=method, actor=OPERATOR,
                                          paid_on=services.practice_today(practice) - timedelta(days=days_ago), **kw)
        commit()
        return payment

    return record


def refund(payment: Payment, cents: int, status=RefundStatus.succeeded, on: date | None = None, **kw) -> Refund:
    """A refund row written directly (the refunds screens are another slice's), on the payment's day
    unless `on` says otherwise."""
    row = Refund(practice_id=payment.practice_id, patient_id=payment.patient_id, payment_id=payment.id,
                 amount_cents=cents, status=status, refunded_on=on or payment.paid_on, **kw)
    db.session.add(row)
    commit()
    return row
